// Exclusive use of a connection's session, for transactions and other session state.
#pragma once

#include <pgasio/connection.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

namespace pgasio {

/// Exclusive use of one connection's session, from connection::async_acquire_exclusive.
///
/// While a lease is held, the requests made through it are the only ones written to the
/// server; other coroutines' requests on the connection wait (in order, with their timeouts and
/// cancellation still applying) and run once it is released. The lease's operations are the
/// connection's, with the same parameters, tokens and errors; several of them may be in flight
/// at once (pipelined, in order).
///
/// Releasing it (release(), destruction, or move-assignment) never leaves the session in a
/// transaction: a transaction block still open when the lease's last request is answered is
/// rolled back before anyone else's request is written (it never commits by accident).
/// Operations started on a released lease fail with client_errc::lease_ended, through their
/// completion as any failure. An empty lease (default-constructed or moved from) has no
/// connection to complete them on: its operations throw pgasio::error (lease_ended) from the
/// call, whatever the completion token. For transactions,
/// connection::async_begin gives a pgasio::transaction, a lease with COMMIT, ROLLBACK and
/// savepoints of its own. The connection
/// must outlive the lease and must not be moved while it is held; a lease is used on the
/// connection's executor, like the connection.
///
/// @code
/// auto lease = co_await conn.async_acquire_exclusive();
/// co_await lease.async_execute("BEGIN ISOLATION LEVEL SERIALIZABLE");
/// auto rows = co_await lease.async_query("SELECT balance FROM accounts WHERE id = $1", 1);
/// co_await lease.async_execute("UPDATE accounts SET balance = $1 WHERE id = $2",
///                              rows[0].get<std::int64_t>(0) - 100, 1);
/// co_await lease.async_execute("COMMIT");
/// @endcode
class exclusive_lease {
public:
    /// An empty lease (valid() is false): its operations throw pgasio::error (lease_ended) from
    /// the call.
    exclusive_lease() = default;
    /// Takes over the lease; the source is left empty.
    exclusive_lease(exclusive_lease&& other) noexcept
        : conn_(std::exchange(other.conn_, nullptr))
        , impl_(std::move(other.impl_))
        , section_(std::exchange(other.section_, 0)) {}
    /// Releases this lease, then takes over `other`'s.
    exclusive_lease& operator=(exclusive_lease&& other) noexcept {
        if (this != &other) {
            release();
            conn_ = std::exchange(other.conn_, nullptr);
            impl_ = std::move(other.impl_);
            section_ = std::exchange(other.section_, 0);
        }
        return *this;
    }
    exclusive_lease(const exclusive_lease&) = delete;
    exclusive_lease& operator=(const exclusive_lease&) = delete;
    /// Releases the lease (see release()).
    ~exclusive_lease() { release(); }

    /// True between the grant and the release.
    bool valid() const noexcept { return section_ != 0; }
    /// The connection it holds (requires valid()).
    connection& get_connection() const noexcept { return *conn_; }

    /// Ends the lease once the requests made through it are answered (rolling back a
    /// transaction block they left open); then the others' requests go on. Does not wait;
    /// releasing an empty or released lease does nothing.
    void release() noexcept {
        if (section_ != 0) connection::release_section(impl_, section_);
        section_ = 0;
        impl_.reset();
    }

    /// connection::async_query, inside the lease.
    template <class... Args>
    auto async_query(std::string_view sql, Args&&... args) {
        return forward([&](auto&&... a) { return conn().async_query(sql, a...); },
                       std::forward<Args>(args)...);
    }
    /// connection::async_query of a prepared statement, inside the lease.
    template <class... Args>
    auto async_query(const statement& stmt, Args&&... args) {
        return forward([&](auto&&... a) { return conn().async_query(stmt, a...); },
                       std::forward<Args>(args)...);
    }
    /// connection::async_execute, inside the lease.
    template <class Sql, class... Args>
    auto async_execute(const Sql& sql, Args&&... args) {
        return forward([&](auto&&... a) { return conn().async_execute(sql, a...); },
                       std::forward<Args>(args)...);
    }
    /// connection::async_query_one, inside the lease.
    template <class Sql, class... Args>
    auto async_query_one(const Sql& sql, Args&&... args) {
        return forward([&](auto&&... a) { return conn().async_query_one(sql, a...); },
                       std::forward<Args>(args)...);
    }
    /// connection::async_query_opt, inside the lease.
    template <class Sql, class... Args>
    auto async_query_opt(const Sql& sql, Args&&... args) {
        return forward([&](auto&&... a) { return conn().async_query_opt(sql, a...); },
                       std::forward<Args>(args)...);
    }
    /// connection::async_query_as, inside the lease.
    template <class T, class Sql, class... Args>
    auto async_query_as(const Sql& sql, Args&&... args) {
        return forward([&](auto&&... a) { return conn().template async_query_as<T>(sql, a...); },
                       std::forward<Args>(args)...);
    }
    /// connection::query_stream, inside the lease: its rows come from the returned row_stream's
    /// async_next (which fails with lease_ended when the lease was released).
    template <class... Params>
    row_stream query_stream(std::string_view sql, const Params&... params) {
        return conn().stream_in(request_section(), sql, nullptr, params...);
    }
    /// connection::query_stream of a prepared statement, inside the lease.
    template <class... Params>
    row_stream query_stream(const statement& stmt, const Params&... params) {
        return conn().stream_in(request_section(), stmt.sql(), &stmt, params...);
    }
    /// connection::async_simple_query, inside the lease.
    template <class Token = default_token>
    auto async_simple_query(std::string_view sql, Token&& token = {}) {
        return conn().async_simple_query(sql, in_lease(std::forward<Token>(token)));
    }
    /// connection::async_execute_batch, inside the lease.
    template <class Token = default_token>
    auto async_execute_batch(batch b, Token&& token = {}) {
        return conn().async_execute_batch(std::move(b), in_lease(std::forward<Token>(token)));
    }
    /// connection::async_copy_in, inside the lease (a COPY in the lease's transaction).
    template <class Token = default_token>
    auto async_copy_in(std::string_view sql, Token&& token = {}) {
        return conn().async_copy_in(sql, in_lease(std::forward<Token>(token)));
    }
    /// connection::async_copy_out, inside the lease.
    template <class Token = default_token>
    auto async_copy_out(std::string_view sql, Token&& token = {}) {
        return conn().async_copy_out(sql, in_lease(std::forward<Token>(token)));
    }
    /// connection::async_copy_in_rows, inside the lease.
    template <class Token = default_token>
    auto async_copy_in_rows(std::string_view table, std::vector<std::string> columns,
                            Token&& token = {}) {
        return conn().async_copy_in_rows(table, std::move(columns),
                                         in_lease(std::forward<Token>(token)));
    }
    /// connection::async_copy_in_as (columns from T's member names), inside the lease.
    template <class T, class Token = default_token>
    auto async_copy_in_as(std::string_view table, Token&& token = {}) {
        return conn().template async_copy_in_as<T>(table, in_lease(std::forward<Token>(token)));
    }
    /// connection::async_copy_in_as with a column list, inside the lease.
    template <class T, class Token = default_token>
    auto async_copy_in_as(std::string_view table, std::vector<std::string> columns,
                          Token&& token = {}) {
        return conn().template async_copy_in_as<T>(table, std::move(columns),
                                                   in_lease(std::forward<Token>(token)));
    }
    /// connection::async_copy_out_rows, inside the lease.
    template <class Token = default_token>
    auto async_copy_out_rows(std::string_view table, std::vector<std::string> columns,
                             Token&& token = {}) {
        return conn().async_copy_out_rows(table, std::move(columns),
                                          in_lease(std::forward<Token>(token)));
    }
    /// connection::async_prepare, inside the lease.
    template <class Token = default_token>
    auto async_prepare(std::string_view sql, Token&& token = {}) {
        return conn().async_prepare(sql, in_lease(std::forward<Token>(token)));
    }

    /// Opens a server-side cursor over `sql` with `params` (as async_query takes them) in this
    /// lease; see pgasio::cursor and cursor_options. Completion signature: void(error_code,
    /// cursor). Errors: async_query's; client_errc::cursor_needs_transaction for a portal
    /// opened outside a transaction block; for a declared cursor without WITH HOLD outside one,
    /// the server's 25P01 (no_active_sql_transaction). Nothing stays open after an error.
    template <class... Args>
    auto async_open_cursor(std::string_view sql, const cursor_options& options, Args&&... args) {
        detail::connection_impl* impl = conn().impl_.get();
        return detail::split_token(
            [&](auto& token, const auto&... params) {
                auto leased = in_lease(std::move(token));
                return boost::asio::async_initiate<decltype(leased), void(error_code, cursor)>(
                    connection::cursor_initiation{impl}, leased, detail::op_settings{},
                    std::string(sql), options, params...);
            },
            std::forward<Args>(args)...);
    }

private:
    friend class connection;
    friend class transaction; // a transaction is a lease that sends its own COMMIT
    exclusive_lease(connection& conn, std::shared_ptr<detail::connection_impl> impl,
                    std::uint64_t section) noexcept
        : conn_(&conn)
        , impl_(std::move(impl))
        , section_(section) {}

    // The connection the lease's operations go to. An empty lease has none: its operations go
    // to no connection at all, and fail as a released lease's do (section 0 is never active).
    connection& conn() const {
        if (!conn_) throw error(client_errc::lease_ended, {});
        return *conn_;
    }
    // The section its requests run in. A released lease's is one never active: the engine
    // refuses it.
    std::uint64_t request_section() const noexcept {
        return section_ == 0 ? released_section : section_;
    }
    template <class Token>
    detail::in_section_t<std::decay_t<Token>> in_lease(Token&& token) const {
        return {request_section(), std::forward<Token>(token)};
    }
    // Calls `op(params..., token)` with the caller's token (or the default) run in the lease.
    template <class Op, class... Args>
    auto forward(Op&& op, Args&&... args) {
        return detail::split_token(
            [&](auto& token, const auto&... params) {
                return op(params..., in_lease(std::move(token)));
            },
            std::forward<Args>(args)...);
    }

    static constexpr std::uint64_t released_section = ~std::uint64_t{0};

    connection* conn_ = nullptr;
    std::shared_ptr<detail::connection_impl> impl_;
    std::uint64_t section_ = 0;
};

template <class Token>
auto connection::async_acquire_exclusive(Token&& token) {
    auto init = [this](auto handler, detail::op_settings) {
        // The engine grants a section id; the caller gets a lease holding it.
        // The handler's executor and cancellation slot stay its own: cancelling the wait works.
        auto ex = boost::asio::get_associated_executor(handler, get_executor());
        auto slot = boost::asio::get_associated_cancellation_slot(handler);
        start_acquire(
            impl_.get(),
            boost::asio::bind_cancellation_slot(
                slot,
                boost::asio::bind_executor(ex, [this, h = std::move(handler), impl = impl_](
                                                   error_code ec, std::uint64_t section) mutable {
                    std::move(h)(ec,
                                 ec ? exclusive_lease{} : exclusive_lease(*this, impl, section));
                })));
    };
    return boost::asio::async_initiate<Token, void(error_code, exclusive_lease)>(
        init, token, detail::op_settings{});
}

} // namespace pgasio
