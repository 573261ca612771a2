// Text-form helpers shared by the type codecs: number parsing and formatting, whitespace, hex.
#pragma once

#include <pgasio/protocol/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>

namespace pgasio::protocol::types::detail {

/// True for the characters PostgreSQL's scanner treats as white space (isspace in the C locale).
constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/// `s` without leading and trailing white space.
constexpr std::string_view trim_space(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

/// ASCII case-insensitive equality (the server's keywords: NULL, NaN, empty, ...).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
        };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

/// The value of a hexadecimal digit (either case), or -1.
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Appends the two lower-case hexadecimal digits of `b`.
inline void append_hex(std::string& out, std::uint8_t b) {
    constexpr char digits[] = "0123456789abcdef";
    out += digits[b >> 4];
    out += digits[b & 0x0f];
}

/// embedded_nul if `s` holds a NUL byte: PostgreSQL text values cannot contain one.
inline boost::system::error_code check_no_nul(std::string_view s) noexcept {
    // memchr must not see the null data() of an empty view.
    if (!s.empty() && std::memchr(s.data(), 0, s.size())) return client_errc::embedded_nul;
    return {};
}

/// Parses a decimal integer as PostgreSQL's int2in/int4in/int8in do: white space around it and a
/// leading '+' or '-' are allowed. Decimal only: the server writes integers in decimal (the
/// "0x1f" and "1_000" input forms of PostgreSQL 16 are not read). Errors: invalid_text_value (not a
/// number), value_out_of_range (outside [min, max]).
boost::system::error_code parse_integer(std::string_view in, std::int64_t min, std::int64_t max,
                                        std::int64_t& out) noexcept;

/// parse_integer bounded by the range of `Int`.
template <class Int>
boost::system::error_code parse_integer(std::string_view in, Int& out) noexcept {
    std::int64_t v = 0;
    auto ec = parse_integer(in, static_cast<std::int64_t>(std::numeric_limits<Int>::min()),
                            static_cast<std::int64_t>(std::numeric_limits<Int>::max()), v);
    if (!ec) out = static_cast<Int>(v);
    return ec;
}

/// Appends the decimal form of `v`.
void append_integer(std::string& out, std::int64_t v);

/// Parses a float4 (`float`) or float8 (`double`) in PostgreSQL's input syntax: white space
/// around it, an optional sign, decimal or exponent notation, "NaN", "Infinity", "inf" (any case).
/// Errors: invalid_text_value, value_out_of_range (overflow, or underflow to zero).
boost::system::error_code parse_float(std::string_view in, float& out) noexcept;
boost::system::error_code parse_float(std::string_view in, double& out) noexcept;

/// Appends the shortest text that reads back as exactly `v` ("NaN", "Infinity", "-Infinity" for
/// the special values, as the server writes them).
void append_float(std::string& out, float v);
void append_float(std::string& out, double v);

} // namespace pgasio::protocol::types::detail
