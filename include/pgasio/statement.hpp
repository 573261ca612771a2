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
    /// The result format codes its Bind carries, one per column when a column's type is read
    /// in text (pgasio has no binary codec for it); empty: every column binary.
    std::vector<protocol::format_code> result_formats;
    std::uint64_t session = 0; ///< the session that prepared it (connection_impl::session_id)
    bool runs_alone = false;   ///< a COPY or a transaction start (see detail::runs_alone)
};
} // namespace detail

/// A statement prepared on one connection by connection::async_prepare. Executing it sends only
/// Bind, Execute and Sync: no parsing or planning on the server, no description round trip.
///
/// A cheap handle (copies share the description). It belongs to the session that prepared it:
/// used on another connection, or on the same connection after a reconnect, it fails with
/// client_errc::statement_not_prepared (nothing is sent), as does an empty handle. It stays
/// valid on the server until connection::async_close_statement or the session's end.
class statement {
public:
    /// An empty handle (valid() is false).
    statement() = default;
    /// Made by connection::async_prepare, which hands it out.
    explicit statement(std::shared_ptr<const detail::statement_data> data) noexcept
        : data_(std::move(data)) {}

    /// False for an empty handle.
    bool valid() const noexcept { return data_ != nullptr; }
    /// The server-side name (`pgasio_p`, a digest of the SQL text, `_` and a number unique in
    /// the process: a name that two processes generate alike names the same text); empty for
    /// an empty handle.
    const std::string& name() const noexcept { return data_ ? data_->name : empty_string(); }
    /// The SQL text it was prepared from; empty for an empty handle.
    const std::string& sql() const noexcept { return data_ ? data_->sql : empty_string(); }
    /// The types of $1, $2, ... as the server resolved them (none for an empty handle).
    std::span<const protocol::oid> parameter_types() const noexcept {
        if (!data_) return {};
        return data_->parameter_types;
    }
    /// The columns of its rows (empty for a statement that returns none).
    const std::vector<column>& columns() const noexcept {
        static const std::vector<column> none;
        return data_ && data_->columns ? *data_->columns : none;
    }
    /// The shared description (for the engine).
    const std::shared_ptr<const detail::statement_data>& data() const noexcept { return data_; }

private:
    static const std::string& empty_string() noexcept {
        static const std::string none;
        return none;
    }
    std::shared_ptr<const detail::statement_data> data_;
};

} // namespace pgasio
