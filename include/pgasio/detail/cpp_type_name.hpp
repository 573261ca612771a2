// A readable name of a C++ type, for error messages.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pgasio::detail {

/// What the compiler calls T, cut out of the function signature it prints.
template <class T>
constexpr std::string_view compiler_type_name() noexcept {
    const std::string_view sig = __PRETTY_FUNCTION__;
    const auto from = sig.find("T = ");
    if (from == std::string_view::npos) return "an unnamed type";
    const auto begin = from + 4;
    const auto end = sig.find_first_of(";]", begin);
    return sig.substr(begin, end - begin);
}

/// The name error messages use for T: the standard spelling for the common types (the compiler's
/// would say "long" or "std::__cxx11::basic_string<char>"), the compiler's for the others.
template <class T>
constexpr std::string_view cpp_type_name() noexcept {
    if constexpr (std::is_same_v<T, bool>)
        return "bool";
    else if constexpr (std::is_same_v<T, std::int16_t>)
        return "std::int16_t";
    else if constexpr (std::is_same_v<T, std::int32_t>)
        return "std::int32_t";
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return "std::int64_t";
    else if constexpr (std::is_same_v<T, std::uint32_t>)
        return "std::uint32_t";
    else if constexpr (std::is_same_v<T, std::string>)
        return "std::string";
    else if constexpr (std::is_same_v<T, std::string_view>)
        return "std::string_view";
    else if constexpr (std::is_same_v<T, std::vector<std::byte>>)
        return "std::vector<std::byte>";
    else if constexpr (std::is_same_v<T, std::span<const std::byte>>)
        return "std::span<const std::byte>";
    else if constexpr (std::is_same_v<T, std::chrono::sys_days>)
        return "std::chrono::sys_days";
    else
        return compiler_type_name<T>();
}

} // namespace pgasio::detail
