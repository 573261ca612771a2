// Byte-array helpers for golden-byte tests.
#pragma once

#include <cstddef>
#include <cstdint>
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

/// A backend message as it travels: its type byte, its length (counting itself), its body.
inline std::string framed(char type, std::string_view body) {
    std::string out(1, type);
    const auto len = static_cast<std::uint32_t>(body.size() + 4);
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>(len >> shift);
    return out += body;
}

/// The bytes as a std::string, so that Catch2 prints a readable diff when a comparison fails.
inline std::string to_string(std::span<const std::byte> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

} // namespace pgasio::test
