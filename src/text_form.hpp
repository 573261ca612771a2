// Text for values and types where no server is asked: the PostgreSQL text form of a value, and a
// type's name for messages.
#pragma once

#include <pgasio/column.hpp>

#include <pgasio/protocol/format_code.hpp>

#include <cstddef>
#include <span>
#include <string>

namespace pgasio::detail {

/// FirstNormalObjectId: OIDs from here on are of objects created in the database (types of
/// CREATE TYPE, CREATE DOMAIN, an extension); no built-in type has one.
inline constexpr protocol::oid first_user_oid = 16384;

/// Replaces `text` with the PostgreSQL text form of `raw`, one non-NULL value of column `col`
/// (its type_oid and format say how to read the bytes): the value is decoded through
/// codec<T>::decode and written back through codec<T>::encode_text, for every built-in type
/// pgasio has a codec for, their ranges and their arrays (of any dimension, with NULLs).
///
/// Used where a value must become text without a server: printing rows (pgasio/format.hpp) and
/// writing parameters into the SQL of a simple query (interpolate.hpp).
///
/// Returns false, leaving `text` unspecified, for a type pgasio has no codec for and for bytes
/// that do not decode as `col`'s type (or whose text form cannot be written, e.g. a string
/// holding a NUL byte).
bool known_text(const column& col, std::span<const std::byte> raw, std::string& text);

/// known_text of one binary value of type `t`, read with the registry of the connection at work
/// (current_types.hpp), which the values of its user-defined types take their text from.
bool known_binary_text(protocol::oid t, std::span<const std::byte> raw, std::string& text);

/// True when pgasio decodes values of type `t` in binary: the built-in types known_text handles
/// (those with a codec in protocol/types), their ranges, and arrays of them.
bool decodes_binary(protocol::oid t) noexcept;

/// A type for error messages: "text (oid 25)", or "oid 16385" for a type that is not built in.
std::string describe_type(protocol::oid t);

} // namespace pgasio::detail
