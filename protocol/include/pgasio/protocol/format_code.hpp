// Wire format codes and object identifiers, shared by messages and type codecs.
#pragma once

#include <cstdint>

namespace pgasio::protocol {

/// A PostgreSQL object identifier (a type's OID, a table's OID).
using oid = std::uint32_t;

/// How a parameter or column value is represented on the wire.
enum class format_code : std::int16_t {
    text = 0,   ///< the type's text input/output form
    binary = 1, ///< the type's send/receive form (network byte order)
};

} // namespace pgasio::protocol
