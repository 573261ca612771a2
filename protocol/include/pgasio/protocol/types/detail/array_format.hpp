// The array wire formats without the element type: binary header and element framing, and the
// text syntax ({...}, quoting, dimension decoration). array.hpp builds the typed codecs on these.
#pragma once

#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/format_code.hpp>
#include <pgasio/protocol/types/array_dimension.hpp>
#include <pgasio/protocol/types/detail/value_length.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio::protocol::types::detail {

/// PostgreSQL's MAXDIM: no array has more dimensions.
inline constexpr std::size_t max_array_dimensions = 6;

/// The header of a binary array value.
struct binary_array_header {
    std::vector<array_dimension> dims; ///< empty for an array without elements
    oid element_type = 0;
    std::size_t count = 0; ///< the number of elements that follow
};

/// Reads the header of a binary array: ndim (0..6), the has-null flag (0 or 1), the element
/// type, and per dimension its length (>= 0) and lower bound (lower bound + length must fit an
/// int32). The element count is the product of the lengths, and is refused (before anything is
/// allocated) when the remaining bytes cannot hold that many elements (each needs at least its
/// 4-byte length). An array with no elements comes back with no dimensions, as the server would
/// store it. `r` is left at the first element. Errors: invalid_array.
boost::system::error_code read_array_header(protocol::detail::byte_reader& r,
                                            binary_array_header& out) noexcept;

/// Reads the next element's framing: its bytes, or nullopt for NULL (length -1).
/// Errors: invalid_array (a length below -1, or past the end of the value).
boost::system::error_code
read_array_element(protocol::detail::byte_reader& r,
                   std::optional<std::span<const std::byte>>& out) noexcept;

/// Checks the shape of an array value before it is sent: at most 6 dimensions, lengths >= 0,
/// lower bound + length within int32, and exactly as many elements as the lengths multiply to (no
/// dimensions: no elements). Errors: invalid_array.
boost::system::error_code check_array_shape(std::span<const array_dimension> dims,
                                            std::size_t count) noexcept;

/// Appends a binary array header. An array without elements is written with no dimensions.
void write_array_header(write_buffer& out, std::span<const array_dimension> dims, bool has_null,
                        oid element_type, std::size_t count);

/// A parsed text array: its dimensions and the unescaped text of each element (nullopt: NULL),
/// in row-major order.
struct text_array {
    std::vector<array_dimension> dims;
    std::vector<std::optional<std::string>> elements;
};

/// Parses the text form of an array (arrays.html, "Array Value Input"): optional dimension
/// decoration "[lb:ub]...=", nested braces, elements separated by `delimiter` (the element type's
/// typdelim: ',' for every built-in type but box, whose ';' leaves its own commas unquoted),
/// double-quoted elements with backslash escapes, backslash escapes in unquoted elements, white
/// space around elements ignored, unquoted NULL (any case) for a NULL element. Errors:
/// invalid_text_value (syntax), invalid_array (sub-arrays of different lengths, more than 6
/// dimensions, decoration that disagrees with the contents).
boost::system::error_code parse_text_array(std::string_view in, text_array& out,
                                           char delimiter = ',');

/// Appends the text form of an array whose element texts are given (nullopt: NULL), quoting
/// elements that need it as the server does (empty, "NULL", braces, quotes, backslashes, the
/// delimiter, white space), separating them with `delimiter` (see parse_text_array) and writing
/// the dimension decoration when a lower bound is not 1. The shape must have been checked
/// (check_array_shape).
void append_text_array(std::string& out, std::span<const array_dimension> dims,
                       std::span<const std::optional<std::string>> elements, char delimiter = ',');

} // namespace pgasio::protocol::types::detail
