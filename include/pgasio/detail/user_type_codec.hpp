// What the codecs of user-defined types (enums, composites, hstore) share, compiled once.
#pragma once

#include <pgasio/detail/current_types.hpp>

#include <pgasio/protocol/format_code.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

namespace pgasio {
struct user_type;
} // namespace pgasio

namespace pgasio::detail {

/// The OID the current registry (current_types) has loaded for the type registered for the C++
/// type `cpp` (type_registry::register_type), or 0.
protocol::oid registered_oid(std::type_index cpp) noexcept;
/// Whether the C++ type `cpp` was registered with the current registry.
bool is_registered(std::type_index cpp) noexcept;
/// The loaded type `t` of the current registry, or null.
std::shared_ptr<const user_type> loaded_type(protocol::oid t) noexcept;
/// `t` with domains resolved to their base type (through the current registry).
protocol::oid resolve_domain(protocol::oid t) noexcept;
/// The element type of the loaded array type `array_type`, or 0.
protocol::oid loaded_element_of(protocol::oid array_type) noexcept;
/// Whether `t` is a loaded enum type (the one registered for `cpp`, if it was registered).
bool accepts_enum(protocol::oid t, std::type_index cpp) noexcept;
/// Whether `t` is a loaded composite type (the one registered for `cpp`, if it was registered),
/// or, when `by_position`, also an anonymous record (ROW(...): `record`).
bool accepts_composite(protocol::oid t, std::type_index cpp, bool by_position) noexcept;
/// Whether `t` is a loaded type named `name` (in any schema), or the one registered for `cpp`.
bool accepts_named(protocol::oid t, std::string_view name, std::type_index cpp) noexcept;
/// The OID of the loaded type named `name`, or of the one registered for `cpp`; 0 when none.
protocol::oid named_oid(std::string_view name, std::type_index cpp) noexcept;

/// Fails the decode of `label`, a label of enum type `t` that the C++ enum `cpp_type` lacks:
/// client_errc::invalid_text_value, the detail naming both.
boost::system::error_code unknown_label(std::string_view label, protocol::oid t,
                                        std::string_view cpp_type);

/// One field of a record: its type and its bytes (nullopt for NULL).
struct record_field {
    protocol::oid type_oid = 0;
    std::optional<std::span<const std::byte>> value;
};
/// Reads the binary form of a record (record_send: int32 field count, then per field its type
/// OID, an int32 length or -1 for NULL, and the bytes). Errors: invalid_binary_length.
boost::system::error_code read_record(std::span<const std::byte> in,
                                      std::vector<record_field>& out);
/// Reads the text form of a record (`(1,"a b",)`: an empty unquoted field is NULL).
/// Errors: invalid_text_value.
boost::system::error_code read_record_text(std::string_view in,
                                           std::vector<std::optional<std::string>>& out);
/// Appends the text form of a record of `fields` (quoted as record_out does).
void append_record_text(std::string& out, std::span<const std::optional<std::string>> fields);

/// The layout of composite type `t` from the current registry, checked against `fields` (null
/// fields: text values, whose types are not sent): null when `t` is not loaded (`record`); when
/// the value no longer matches (attributes added or dropped since the load), the type is marked
/// changed and `ec` is client_errc::type_changed, the detail naming the type.
std::shared_ptr<const user_type> record_layout(protocol::oid t, std::size_t field_count,
                                               std::span<const record_field> fields,
                                               boost::system::error_code& ec);
/// The index of the attribute `name` in `layout`, or npos (the detail then names the
/// attribute the C++ member `name` of `cpp_type` lacks).
std::size_t attribute_index(const user_type& layout, std::string_view name,
                            std::string_view cpp_type);
/// Fails a composite value whose field count differs from the C++ type's member count:
/// client_errc::type_mismatch, the detail saying both.
boost::system::error_code field_count_mismatch(protocol::oid t, std::size_t fields,
                                               std::size_t members, std::string_view cpp_type);
/// The OID to label a field with, sent as `sent` (its codec's type, 0 when known only at run
/// time) into attribute `attr` of `layout`: the attribute's type when the bytes are that type's
/// (the same type, a domain over it, a string type for text); else 0 and the detail says why.
protocol::oid attribute_oid(const user_type& layout, std::size_t attr, protocol::oid sent,
                            bool sent_accepted);
/// Fails an encode of a value of `cpp_type` whose composite type is not known:
/// client_errc::unknown_type, the detail saying to register it.
boost::system::error_code composite_not_registered(std::string_view cpp_type);

} // namespace pgasio::detail
