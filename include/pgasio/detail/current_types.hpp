// The type registry that the codecs of user-defined types consult while a value is decoded or
// encoded.
#pragma once

#include <string>

namespace pgasio {
class type_registry;
} // namespace pgasio

namespace pgasio::detail {

/// The registry of the connection whose value is being decoded or encoded on this thread, or
/// null. The codec interface (protocol::types::codec) passes no connection: a codec of a
/// user-defined type (an enum, a composite, hstore), whose OIDs and layout differ from one
/// database to the next, finds them here. Set by type_scope for the duration of one decode
/// (row_view::get, from the column's registry) or one Bind's parameters (from the connection's).
const type_registry* current_types() noexcept;

/// Makes `r` the current registry of this thread until destroyed (scopes nest).
class type_scope {
public:
    explicit type_scope(const type_registry* r) noexcept;
    ~type_scope();
    type_scope(const type_scope&) = delete;
    type_scope& operator=(const type_scope&) = delete;

private:
    const type_registry* saved_;
};

/// Says, for the error a failed decode or encode of a user-defined type reports, what exactly
/// was wrong (the enum label a C++ enum lacks, the attribute a struct has no member for): an
/// error_code cannot carry it. row_view::get's message ends with it (take_decode_detail).
void set_decode_detail(std::string detail);
/// The detail set on this thread since the last call, emptied.
std::string take_decode_detail();

} // namespace pgasio::detail
