// A prepared statement: a server-side plan with known parameter and column types.
#pragma once

#include <pgasio/column.hpp>
#include <pgasio/protocol/format_code.hpp>

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace pgasio {

namespace detail {
/// What the server said when the statement was prepared.
struct statement_data {
    std::string name;
    std::string sql;
    std::vector<protocol::oid> parameter_types;
    column_list columns; ///< null when the statement returns no rows
};
} // namespace detail

/// A statement prepared on one connection by connection::async_prepare. Executing it sends only
/// Bind, Execute and Sync: no parsing or planning on the server, no description round trip.
///
/// A cheap handle (copies share the description). It belongs to the connection that prepared it:
/// using it on another connection fails with the server's "prepared statement does not exist".
/// It stays valid on the server until connection::async_close_statement or the session's end.
class statement {
public:
    /// An empty handle (valid() is false).
    statement() = default;
    explicit statement(std::shared_ptr<const detail::statement_data> data) noexcept
        : data_(std::move(data)) {}

    bool valid() const noexcept { return data_ != nullptr; }
    /// The server-side name ("pgasio_s1", ...).
    const std::string& name() const noexcept { return data_->name; }
    /// The SQL text it was prepared from.
    const std::string& sql() const noexcept { return data_->sql; }
    /// The types of $1, $2, ... as the server resolved them.
    std::span<const protocol::oid> parameter_types() const noexcept {
        return data_->parameter_types;
    }
    /// The columns of its rows (empty for a statement that returns none).
    const std::vector<column>& columns() const noexcept {
        static const std::vector<column> none;
        return data_->columns ? *data_->columns : none;
    }
    /// The shared description (for the engine).
    const std::shared_ptr<const detail::statement_data>& data() const noexcept { return data_; }

private:
    std::shared_ptr<const detail::statement_data> data_;
};

} // namespace pgasio
