// The codec customisation point: how a C++ type is encoded to and decoded from PostgreSQL values.
#pragma once

#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/format_code.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace pgasio::protocol::types {

/// `codec<T>` maps the C++ type T to PostgreSQL values. pgasio specialises it for the built-in
/// types (one header per type family in this folder); users may specialise it for their own.
///
/// A specialisation provides:
/// @code
/// static constexpr oid type_oid;    // the type T is sent as (Bind parameter type)
/// static constexpr oid array_oid;   // the array type whose elements are T
/// static bool accepts(oid t) noexcept;   // server types whose values decode into T
/// // Appends the binary form of v (the value bytes only: no length prefix).
/// static boost::system::error_code encode_binary(write_buffer& out, const T& v);
/// // Decodes the binary form of a value of server type t. `in` holds exactly the value bytes.
/// static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t, T& out);
/// // Appends the text form of v.
/// static boost::system::error_code encode_text(std::string& out, const T& v);
/// // Decodes the text form of a value of server type t.
/// static boost::system::error_code decode_text(std::string_view in, oid t, T& out);
/// // Optional: the character between elements in the text form of arrays of T, when it is not
/// // ',' (the type's typdelim in pg_type: ';' for box).
/// static constexpr char array_delimiter;
/// // Optional, for a type whose OID is not fixed (a user-defined type: type_oid and array_oid
/// // are then 0, and parameters of T go out with type 0, which the server resolves): the OID
/// // array elements of T are labelled with (array_recv checks it), and the element type of the
/// // array type t, 0 when t is no array of T's type. pgasio/type_registry.hpp finds them.
/// static oid runtime_type_oid() noexcept;
/// static oid element_of_array(oid t) noexcept;
/// @endcode
///
/// Decoders check every size and never read outside `in`; on error `out` is left unspecified and
/// the error_code names the problem (invalid_binary_length, invalid_text_value,
/// value_out_of_range, ...). View types (std::string_view, std::span<const std::byte>) decode
/// into views of `in`: they are valid only as long as the bytes they were decoded from.
template <class T>
struct codec;

} // namespace pgasio::protocol::types
