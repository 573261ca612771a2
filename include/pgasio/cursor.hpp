// A server-side cursor: a query's rows kept on the server and fetched a batch at a time.
#pragma once

#include <pgasio/error.hpp>
#include <pgasio/result.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace pgasio {

namespace detail {
struct cursor_state;
} // namespace detail

/// How exclusive_lease::async_open_cursor keeps a query's rows on the server.
struct cursor_options {
    /// The two ways the server can hold a query open.
    enum class kind : std::uint8_t {
        /// A protocol portal: the query is bound to a named portal and each fetch is an Execute
        /// with a row limit. Nothing is added to the SQL and rows come in binary. A portal lives
        /// in the transaction block it was opened in: opening one outside a block fails with
        /// client_errc::cursor_needs_transaction (nothing stays open).
        portal,
        /// `DECLARE name NO SCROLL CURSOR [WITH HOLD] FOR sql`, each fetch a `FETCH FORWARD n`.
        /// Without with_hold the server requires a transaction block (SQLSTATE 25P01).
        declared,
    };

    /// Rows per async_fetch (0 is taken as 1; at most 2,147,483,647).
    std::uint32_t fetch_size = 1000;
    /// How the server holds the query open.
    kind form = kind::portal;
    /// `declared` only: WITH HOLD, the cursor survives the COMMIT of the transaction that
    /// declared it (the server then materialises the rest of its rows) and can be fetched
    /// outside any transaction block.
    bool with_hold = false;
};

/// A query's rows held on the server by exclusive_lease::async_open_cursor, fetched
/// cursor_options::fetch_size rows at a time: constant memory in the client, and the caller
/// decides when the next rows come (between fetches the lease may run other statements).
///
/// A cursor's operations run in the lease that opened it, pipelined with the lease's other
/// operations, and fail with client_errc::lease_ended once the lease is released. A portal
/// cursor, or a declared one without WITH HOLD, ends with its transaction block (COMMIT,
/// ROLLBACK, or the rollback that releasing a lease does); fetching it then fails with the
/// server's error 34000 (invalid_cursor_name). A cursor not closed by async_close is closed on
/// the server after its destruction (in the background, once the lease is released: a WITH HOLD
/// cursor never stays open for the rest of the session). A cursor is used on the connection's
/// executor, like the connection.
///
/// @code
/// auto lease = co_await conn.async_acquire_exclusive();
/// co_await lease.async_execute("BEGIN");
/// auto cur = co_await lease.async_open_cursor("SELECT id, name FROM big_table WHERE region = $1",
///                                             pgasio::cursor_options{.fetch_size = 5000}, "eu");
/// while (!cur.exhausted()) {
///     pgasio::result rows = co_await cur.async_fetch();
///     for (auto row : rows) handle(row.get<std::int64_t>(0), row.get<std::string_view>(1));
/// }
/// co_await cur.async_close();
/// co_await lease.async_execute("COMMIT");
/// @endcode
class cursor {
public:
    /// An empty cursor: its operations fail with client_errc::cursor_closed.
    cursor() = default;
    /// Made by exclusive_lease::async_open_cursor, which hands it out.
    explicit cursor(std::shared_ptr<detail::cursor_state> state) noexcept
        : state_(std::move(state)) {}
    /// Takes over the cursor; the source is left empty.
    cursor(cursor&&) noexcept = default;
    /// Closes this cursor (as its destructor does), then takes over `other`'s.
    cursor& operator=(cursor&& other) noexcept {
        if (this != &other) {
            close_in_background();
            state_ = std::move(other.state_);
        }
        return *this;
    }
    cursor(const cursor&) = delete;
    cursor& operator=(const cursor&) = delete;
    /// Closes it on the server, in the background, unless async_close did.
    ~cursor() { close_in_background(); }

    /// True once a fetch has returned the last rows (further fetches return none).
    bool exhausted() const noexcept;
    /// Its name on the server ("pgasio_c1", ...; unique in the process); empty when empty.
    const std::string& name() const noexcept;

    /// The next rows: at most fetch_size, fewer (or none) at the end, after which exhausted() is
    /// true. Completion signature: void(error_code, result); the result has the query's columns
    /// and the same typed access as any result. Errors: the server's (a failed row aborts the
    /// transaction block, as it would in any client), client_errc::cursor_closed after
    /// async_close, lease_ended after the lease's release, and the connection's errors;
    /// timeouts and cancellation as for connection::async_query.
    template <class Token = default_token>
    auto async_fetch(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, result)>(
            [state = state_](auto handler, detail::op_settings op) {
                start_fetch(state, result_handler(std::move(handler)), op);
            },
            token, detail::op_settings{});
    }

    /// Closes it on the server (Close of its portal). Completion signature: void(error_code).
    /// Errors: client_errc::cursor_closed when already closed, lease_ended, and the
    /// connection's errors.
    template <class Token = default_token>
    auto async_close(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [state = state_](auto handler, detail::op_settings op) {
                start_close(state, void_handler(std::move(handler)), op);
            },
            token, detail::op_settings{});
    }

private:
    using result_handler = boost::asio::any_completion_handler<void(error_code, result)>;
    using void_handler = boost::asio::any_completion_handler<void(error_code)>;
    static void start_fetch(const std::shared_ptr<detail::cursor_state>& state,
                            result_handler handler, const detail::op_settings& op);
    static void start_close(const std::shared_ptr<detail::cursor_state>& state,
                            void_handler handler, const detail::op_settings& op);
    void close_in_background() noexcept;

    std::shared_ptr<detail::cursor_state> state_;
};

} // namespace pgasio
