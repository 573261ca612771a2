// What an operation that waits in a queue keeps of each of its parameters: its own copy of what
// a view points at.
#pragma once

#include <pgasio/detail/decode_field.hpp>
#include <pgasio/detail/param_traits.hpp>
#include <pgasio/named_param.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pgasio::detail {

/// True for std::span of any element type and extent.
template <class T>
inline constexpr bool is_span_v = false;
template <class T, std::size_t N>
inline constexpr bool is_span_v<std::span<T, N>> = true;

/// True for std::vector.
template <class T>
inline constexpr bool is_vector_v = false;
template <class T>
inline constexpr bool is_vector_v<std::vector<T>> = true;

/// `v` (a parameter as the caller passed it) as a queued operation keeps it: the same
/// value, sent the same way (the same type OID, NULL where `v` is), but owning what a view
/// points at, so that the caller's strings and buffers need only outlive the call.
/// - std::string_view → std::string; const char* → std::optional<std::string> (a null pointer
///   is NULL);
/// - std::span<const T> → std::vector<T> (a span of bytes is bytea, as the vector of bytes is;
///   a span of pgasio::value is a dynamic list, as the vector of them is);
/// - std::optional, std::vector and pgasio::named of these, element by element (a named
///   parameter's name stays a view: a string literal, as its documentation asks);
/// - anything else: a copy.
template <class T>
auto owned_param(const T& v) {
    using P = std::decay_t<const T&>;
    const P& p = v; // a character array is taken as a pointer to its first character
    if constexpr (std::is_same_v<P, std::string_view>) {
        return std::string(p);
    } else if constexpr (std::is_same_v<P, const char*> || std::is_same_v<P, char*>) {
        return p ? std::optional<std::string>(p) : std::optional<std::string>();
    } else if constexpr (is_span_v<P> || is_vector_v<P>) {
        using element = typename P::value_type; // a span's has no const
        using owned = decltype(owned_param(std::declval<const element&>()));
        std::vector<owned> out;
        if constexpr (std::is_same_v<owned, element>) {
            out.assign(p.begin(), p.end());
        } else {
            out.reserve(p.size());
            for (const auto& e : p)
                out.push_back(owned_param(e));
        }
        return out;
    } else if constexpr (is_optional_v<P>) {
        using owned = decltype(owned_param(*p));
        return p ? std::optional<owned>(owned_param(*p)) : std::optional<owned>();
    } else if constexpr (is_named_param_v<P>) {
        return named_param<decltype(owned_param(p.value))>{p.name, owned_param(p.value)};
    } else {
        return p;
    }
}

/// The type owned_param gives for a parameter of type P.
template <class P>
using owned_param_t = decltype(owned_param(std::declval<const P&>()));

} // namespace pgasio::detail
