// Byte-array helpers for golden-byte tests.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio::test {

/// The bytes of `s`, embedded NULs included (write literals as "..."sv).
inline std::vector<std::byte> to_bytes(std::string_view s) {
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    return {p, p + s.size()};
}

/// The bytes as a std::string, so that Catch2 prints a readable diff when a comparison fails.
inline std::string to_string(std::span<const std::byte> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

} // namespace pgasio::test
