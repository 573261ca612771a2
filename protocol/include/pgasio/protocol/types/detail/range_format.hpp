// The range wire formats without the bound type: binary flags and framing, text syntax.
#pragma once

#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/error.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pgasio::protocol::types::detail {

/// The flags byte of a binary range (src/include/utils/rangetypes.h).
namespace range_flags {
inline constexpr std::uint8_t empty = 0x01;           ///< the range is empty
inline constexpr std::uint8_t lower_inclusive = 0x02; ///< '[' rather than '('
inline constexpr std::uint8_t upper_inclusive = 0x04; ///< ']' rather than ')'
inline constexpr std::uint8_t lower_infinite = 0x08;  ///< no lower bound
inline constexpr std::uint8_t upper_infinite = 0x10;  ///< no upper bound
// 0x20 and 0x40 (bound is NULL) are never set, 0x80 (contains empty) is used only inside GiST
// indexes: none of them can appear in a value.
} // namespace range_flags

/// The parts of a binary range value.
struct binary_range {
    bool empty = false;
    bool lower_inclusive = false;
    bool upper_inclusive = false;
    std::optional<std::span<const std::byte>> lower; ///< the bound's bytes; nullopt: unbounded
    std::optional<std::span<const std::byte>> upper;
};

/// Reads a binary range: the flags byte, then an int32 length and the bytes of each bound that
/// is present. Refuses what the server never writes: unknown flags, an empty range with any
/// other flag, an infinite bound marked inclusive, a negative bound length, missing or trailing
/// bytes. Errors: invalid_range.
boost::system::error_code read_range(std::span<const std::byte> in, binary_range& out) noexcept;

/// The flags byte of a range; errors: invalid_range (an empty range with bounds or inclusive
/// flags, or an unbounded side marked inclusive).
boost::system::error_code range_flags_of(bool empty, bool has_lower, bool lower_inclusive,
                                         bool has_upper, bool upper_inclusive,
                                         std::uint8_t& flags) noexcept;

/// A parsed text range: flags and the unescaped text of each bound (nullopt: unbounded).
struct text_range {
    bool empty = false;
    bool lower_inclusive = false;
    bool upper_inclusive = false;
    std::optional<std::string> lower;
    std::optional<std::string> upper;
};

/// Parses the text form of a range (rangetypes.html, "Range Input/Output"): "empty" (any case),
/// or '[' or '(', an optional lower bound, ',', an optional upper bound, ']' or ')', with white
/// space around the whole. A bound may be double-quoted ("" inside quotes is a quote) and may use
/// backslash escapes; an absent bound is unbounded, a quoted empty one ("") is the empty string.
/// An unbounded side written inclusive ("[,5]") is read as exclusive, as the server does.
/// Errors: invalid_text_value.
boost::system::error_code parse_text_range(std::string_view in, text_range& out);

/// Appends the text of a range whose flags were checked, given the text of its bounds, quoting
/// a bound as the server does when it is empty or holds quotes, backslashes, parentheses,
/// brackets, commas or white space.
void append_text_range(std::string& out, const text_range& r);

} // namespace pgasio::protocol::types::detail
