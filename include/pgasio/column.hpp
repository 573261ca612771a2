// The columns of a query result.
#pragma once

#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/format_code.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pgasio {

class type_registry;

/// One column of a result, as RowDescription described it, owned (it outlives the read buffer).
struct column {
    std::string name;                ///< the column's label ("?column?" when the query gave none)
    protocol::oid type_oid = 0;      ///< the value's type (protocol::oids)
    protocol::oid table_oid = 0;     ///< the table it comes from, or 0 for an expression
    std::int16_t column_number = 0;  ///< its attribute number in that table, or 0
    std::int16_t type_size = 0;      ///< pg_type.typlen: negative for variable width
    std::int32_t type_modifier = -1; ///< pg_attribute.atttypmod, e.g. varchar(n) gives n + 4
    protocol::format_code format = protocol::format_code::text; ///< how values are sent
    /// The user-defined types of the connection that described it (pgasio/type_registry.hpp),
    /// which the codecs of enums, composites and hstore read its values with; null for columns
    /// made without a connection.
    std::shared_ptr<const type_registry> types;

    /// Whether both designate the same element.
    friend bool operator==(const column&, const column&) = default;
};

/// The columns of a statement, shared by the statement and every result it produces (a result
/// keeps them alive, so they are described once per statement, not once per result).
using column_list = std::shared_ptr<const std::vector<column>>;

namespace detail {

/// Copies the columns of a decoded RowDescription; `types` is the registry of the connection
/// that read it (column::types).
column_list make_columns(const protocol::row_description_view& rd,
                         std::shared_ptr<const type_registry> types = nullptr);

} // namespace detail

} // namespace pgasio
