// The types a database defines at run time, as far as the codecs of built-in types meet them.
#pragma once

#include <pgasio/protocol/format_code.hpp>

namespace pgasio::protocol::types {

/// What the codecs of built-in types need to know of the types a database defines at run time
/// (CREATE DOMAIN, CREATE TYPE), whose OIDs differ from one database to the next.
///
/// The server sends a domain's values as its base type's, and names the base type in a row
/// description, so a codec of the base type reads them. Arrays are the exception: array_send
/// labels the elements of an array of a domain with the domain, and the column's type is the
/// domain's array type. With the runtime_types installed, the array codecs of the base type
/// read such arrays too (std::vector<std::int32_t> reads an array of a domain over int4).
///
/// Without one installed (the codec alone, as in a fuzz target) only built-in types are known.
/// pgasio installs one when a type_registry is made: it answers from the registry of the
/// connection whose value is being decoded (pgasio/type_registry.hpp).
class runtime_types {
public:
    /// `t` with its domains resolved: the base type of a domain (of a domain...), else `t`.
    virtual oid base_type(oid t) const noexcept = 0;
    /// The element type of `array_type` when it is an array type defined at run time (of a
    /// domain, an enum, a composite), else 0.
    virtual oid array_element(oid array_type) const noexcept = 0;
    /// The array type of `element`, a type defined at run time, else 0.
    virtual oid array_of(oid element) const noexcept = 0;

protected:
    ~runtime_types() = default;
};

/// Installs `r` for every thread and returns the one it replaces (null: none); `r` must live
/// until the program no longer decodes (or until replaced). Null uninstalls.
const runtime_types* install_runtime_types(const runtime_types* r) noexcept;

/// `t` with its domains resolved by the installed runtime_types; `t` with none installed.
oid runtime_base_type(oid t) noexcept;

/// The element type of `array_type` by the installed runtime_types (an array type defined at
/// run time); 0 with none installed or for other types.
oid runtime_array_element(oid array_type) noexcept;

/// The array type of `element` by the installed runtime_types (a type defined at run time); 0
/// with none installed or for other types.
oid runtime_array_of(oid element) noexcept;

} // namespace pgasio::protocol::types
