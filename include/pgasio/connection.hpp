// A connection to a PostgreSQL server, usable from C++20 coroutines and any Asio completion token.
#pragma once

#include <pgasio/batch.hpp>
#include <pgasio/batch_results.hpp>
#include <pgasio/config.hpp>
#include <pgasio/copy.hpp>
#include <pgasio/copy_rows.hpp>
#include <pgasio/cursor.hpp>
#include <pgasio/detail/current_types.hpp>
#include <pgasio/detail/split_token.hpp>
#include <pgasio/error.hpp>
#include <pgasio/notification.hpp>
#include <pgasio/params.hpp>
#include <pgasio/query_as.hpp>
#include <pgasio/result.hpp>
#include <pgasio/row_stream.hpp>
#include <pgasio/statement.hpp>
#include <pgasio/transaction_options.hpp>
#include <pgasio/types.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>

namespace pgasio {

namespace detail {
class connection_impl;
class result_request;
struct pool_access;
} // namespace detail

class exclusive_lease;
class transaction;
class type_registry; // pgasio/type_registry.hpp

/// One session with a PostgreSQL server.
///
/// Bound to one executor: the engine runs there, and every completion handler runs on its own
/// associated executor (the caller's coroutine, strand...). That executor must run one handler at a
/// time, in the order they were posted: a strand (`asio::make_strand(ctx)`) when several threads
/// run the io_context; callers and their cancellations may then come from any thread. Query
/// operations may be started from any thread: started elsewhere, they are encoded on the calling
/// thread and queued on the connection's executor (cheapest when already there). Completion
/// handlers are never called from inside the initiating function nor from inside a cancellation
/// handler. The object may be moved but not copied (not while an exclusive_lease of it is held);
/// destroying it closes the socket (operations still running complete with an error, a connect
/// still running opens nothing): at once on the connection's executor, else on that executor as
/// soon as it runs, as the socket is used there. Prefer async_close(), which says goodbye to the
/// server first.
///
/// Every `async_*` function takes any Asio completion token. The default (`default_token`)
/// makes `co_await` return the result or throw pgasio::error with the server's diagnostics;
/// `asio::as_tuple(asio::deferred)` gives the error_code instead; wrap any token in
/// pgasio::diagnostics_into(diag, token) to also get what the server (or pgasio) said about a
/// failure, and in pgasio::with_timeout(d, token) to give the operation its own timeout.
///
/// Sharing. Requests from any number of coroutines are pipelined: written back to back, each
/// with its own Sync (so each runs in its own implicit transaction and an error in one never
/// touches another), answered in order. Simple queries, COPY and BEGIN / START TRANSACTION run
/// alone on the wire. Session state that spans requests needs the session to itself:
/// transactions go through async_begin() (or pgasio::async_transaction); SET, temporary objects
/// used across statements, through async_acquire_exclusive(). A transaction block opened on the
/// shared connection is rolled back at once and its request fails with
/// client_errc::transaction_needs_lease, so no other coroutine's statement ever runs inside it.
/// Once it has caught up with a server still busy (sending rows or COPY data, or with
/// config::pipeline_read_pause_depth requests or more in flight), the connection waits
/// config::pipeline_read_pause (500 µs) before reading again, so that one read and one write
/// serve many rows or requests: they may reach their caller up to that much later.
///
/// Cancellation and timeouts. An operation is cancelled through its token's cancellation slot
/// (e.g. `co_await (query || timer)` with awaitable operators) or by its timeout
/// (pgasio::with_timeout, else the connection's default: the configuration's query_timeout,
/// or set_query_timeout). A request not yet sent is dropped; one already sent is answered at
/// once (operation_aborted or client_errc::query_timeout) and, once it is the request the
/// server runs, stopped there with a CancelRequest, also when others are pipelined behind it.
/// Only terminal cancellation applies to a request already sent (partial and total would
/// promise it had no effect). A CancelRequest stops whatever statement the backend runs when
/// it lands: when it lands on a later request, that request had no effect (its implicit
/// transaction was rolled back) and is sent again, unseen by its caller; so no request fails
/// with 57014 unless it was cancelled itself (or by the server: statement_timeout), or part of
/// it had taken effect when the cancel landed (a row stream whose rows reached its reader, a
/// simple query one of whose statements completed): that one cannot be sent again, and fails
/// with 57014 and a detail saying so. A request sent again runs after the requests already
/// written behind it: requests in flight together from different callers have no order between
/// them then (put statements whose order matters in one transaction or batch). A statement of an
/// independent batch is never run after a later one of its batch: stopped this way with a later
/// one already sent, it fails with 57014 and a detail saying so (it had no effect). A cancel the
/// server does not answer within connect_timeout (10 s without one) closes the connection with
/// client_errc::cancel_timeout, as does a cancelled request whose answers have not ended within
/// that time after the server took the cancel (a backend that does not stop, or a stream out of
/// step): such a connection would answer nothing again, and is_open() says so.
///
/// @code
/// asio::awaitable<void> run() {
///     pgasio::connection conn(co_await asio::this_coro::executor);
///     co_await conn.async_connect(pgasio::config::parse("postgresql://app@db1/shop").value());
///     fmt::print("connected to PostgreSQL {}\n", conn.parameter("server_version").value_or("?"));
///     co_await conn.async_close();
/// }
/// @endcode
class connection {
public:
    /// The executor the connection runs on.
    using executor_type = boost::asio::any_io_executor;

    /// A closed connection whose operations run on `ex`.
    explicit connection(const executor_type& ex);
    /// A closed connection whose operations run on `ctx`'s executor (e.g. an io_context).
    template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
    explicit connection(ExecutionContext& ctx)
        : connection(executor_type(ctx.get_executor())) {}
    ~connection();
    /// Takes over `other`'s session (not while an exclusive_lease of it is held).
    connection(connection&&) noexcept;
    /// Closes this connection's socket, then takes over `other`'s session.
    connection& operator=(connection&&) noexcept;

    /// The executor the connection runs on.
    executor_type get_executor() const noexcept;

    /// Opens the session as libpq would with the same configuration: each host in turn (shuffled
    /// with load_balance_hosts=random) and each of its addresses, until one accepts us and has
    /// the target_session_attrs asked for. For each attempt (bounded by connect_timeout as a
    /// whole: name look-up, TCP, TLS handshake, every authentication round trip): TCP or unix
    /// socket; TLS as sslmode and sslnegotiation say; StartupMessage; authentication by
    /// whatever method the server asks for among those require_auth allows (trust, cleartext
    /// password, MD5, SCRAM-SHA-256, SCRAM-SHA-256-PLUS with channel binding, client
    /// certificates); then the server's parameters and cancellation key.
    ///
    /// Completion signature: void(error_code). On failure nothing stays open, and the
    /// diagnostics hold the server's error (e.g. 28P01 invalid_password) or pgasio's
    /// explanation; when several hosts were tried, the message lists each attempt's error.
    /// Errors include: the server's SQLSTATEs; client_errc::connect_timeout,
    /// tls_not_supported_by_server, session_attrs_mismatch, authentication_method_refused,
    /// password_required, unsupported_authentication, scram_* errors, connection_closed;
    /// network errors (asio::error::connection_refused, host_not_found...);
    /// client_errc::already_connected on an open connection (which is left as it was: close
    /// it first). The password never appears in any of them. A connection closed by an error
    /// may connect again: the new session starts clean (statements of the old one fail with
    /// statement_not_prepared, nothing of its results or errors carries over).
    ///
    /// `cfg` is copied: it need not outlive the call.
    template <class Token = default_token>
    auto async_connect(const config& cfg, Token&& token = {}) {
        return async_connect_impl(cfg, nullptr, std::forward<Token>(token));
    }
    /// As above, filling `diag` on failure. `diag` must outlive the operation.
    template <class Token = default_token>
    auto async_connect(const config& cfg, diagnostics& diag, Token&& token = {}) {
        return async_connect_impl(cfg, &diag, std::forward<Token>(token));
    }

    /// Sends Terminate and closes the socket. Completion signature: void(error_code); closing a
    /// connection that is not open succeeds.
    template <class Token = default_token>
    auto async_close(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(close_initiation{impl_.get()},
                                                                    token, detail::op_settings{});
    }

    // -----------------------------------------------------------------------------------------
    // Queries. Any number of coroutines may use one connection at once: requests are queued,
    // written back to back (one write for all that are ready) and answered in order. Nobody
    // gets "another operation is in progress". Cancellation, timeouts and what runs alone: see
    // the class comment.
    //
    // Parameters are C++ values sent in binary, typed by their C++ type ($1 of an int is int4,
    // of a std::string text, of std::optional<T> NULL or T, of std::vector<T> an array...); a
    // single std::span<const pgasio::value> passes a dynamic list. The completion token, if
    // any, comes last. Results are binary and decoded lazily (row_view::get<T>).

    /// Runs `sql` with `params` (Parse, Bind, Describe, Execute, Sync in one write) and returns
    /// its rows. Completion signature: void(error_code, result). Errors: the server's
    /// (sqlstate_category: syntax, constraint...), after which the connection stays usable;
    /// client_errc::parameter_count_mismatch for parameters that do not fit the placeholders
    /// (a placeholder with none, $3 with two; a parameter that no placeholder takes),
    /// client_errc::embedded_nul and codec errors for parameters that cannot be sent (nothing is
    /// sent then, and an open transaction goes on); operation_aborted or client_errc::query_timeout
    /// when cancelled (the connection stays usable); client_errc::copy_needs_copy_api for a
    /// COPY FROM STDIN or TO STDOUT (refused, nothing copied, the connection stays usable:
    /// async_copy_in and async_copy_out run those);
    /// client_errc::transaction_needs_lease for a BEGIN outside an exclusive lease (rolled
    /// back); client_errc::statement_not_prepared for an empty statement handle or one of
    /// another session; connection errors (fatal).
    /// @code
    /// auto rows = co_await conn.async_query("SELECT id, name FROM users WHERE age > $1", 18);
    /// for (auto row : rows) fmt::print("{} {}\n", row.get<int>(0),
    /// row.get<std::string_view>("name"));
    /// @endcode
    template <class... Args>
    auto async_query(std::string_view sql, Args&&... args) {
        return initiate_query<void(error_code, result)>(query_initiation{impl_.get()}, sql,
                                                        std::forward<Args>(args)...);
    }

    /// Executes the prepared statement `stmt` with `params`: Bind, Execute, Sync only. The
    /// parameter count is checked first (client_errc::parameter_count_mismatch, nothing sent).
    template <class... Args>
    auto async_query(const statement& stmt, Args&&... args) {
        return initiate_query<void(error_code, result)>(query_initiation{impl_.get()}, stmt,
                                                        std::forward<Args>(args)...);
    }

    /// As async_query, returning the number of rows affected (INSERT, UPDATE, DELETE, MERGE,
    /// SELECT, COPY...; 0 for other commands). Completion signature: void(error_code, uint64_t).
    template <class Sql, class... Args>
    auto async_execute(const Sql& sql, Args&&... args) {
        return initiate_query<void(error_code, std::uint64_t)>(
            adapted_initiation<count_adapter>{impl_.get()}, sql, std::forward<Args>(args)...);
    }

    /// As async_query, failing with client_errc::unexpected_row_count unless exactly one row
    /// came back. Completion signature: void(error_code, result) (the result has one row).
    template <class Sql, class... Args>
    auto async_query_one(const Sql& sql, Args&&... args) {
        return initiate_query<void(error_code, result)>(
            adapted_initiation<row_count_adapter<true>>{impl_.get()}, sql,
            std::forward<Args>(args)...);
    }

    /// As async_query, failing with client_errc::unexpected_row_count when more than one row
    /// came back. Completion signature: void(error_code, result) (zero or one row).
    template <class Sql, class... Args>
    auto async_query_opt(const Sql& sql, Args&&... args) {
        return initiate_query<void(error_code, result)>(
            adapted_initiation<row_count_adapter<false>>{impl_.get()}, sql,
            std::forward<Args>(args)...);
    }

    /// As async_query, each row turned into a T: an aggregate described with
    /// BOOST_DESCRIBE_STRUCT (members matched to columns by name), another aggregate (by
    /// position, Boost.PFR), or a std::tuple (by position). The columns are checked once per
    /// result. Completion signature: void(error_code, std::vector<T>). Errors: as async_query,
    /// and client_errc::type_mismatch / unexpected_null naming the column that does not fit.
    template <class T, class Sql, class... Args>
    auto async_query_as(const Sql& sql, Args&&... args) {
        return initiate_query<void(error_code, std::vector<T>)>(
            adapted_initiation<rows_as_adapter<T>>{impl_.get()}, sql, std::forward<Args>(args)...);
    }

    /// Runs `sql` with `params` (as async_query does) and returns its rows as a row_stream:
    /// handed out in parts as they arrive, in bounded memory whatever the result's size (see
    /// row_stream). Nothing is awaited here; errors (the server's, parameters that cannot be
    /// sent, a closed connection) come from the stream's async_next. To keep a query open on
    /// the server and fetch its rows when the caller chooses (other statements running in
    /// between), use a server-side cursor: exclusive_lease::async_open_cursor.
    /// @code
    /// auto rows = conn.query_stream("SELECT g FROM generate_series(1, $1::int4) g", 10'000'000);
    /// std::int64_t sum = 0;
    /// for (;;) {
    ///     auto part = co_await rows.async_next();
    ///     if (part.empty()) break;
    ///     for (auto row : part) sum += row.get<std::int32_t>(0);
    /// }
    /// @endcode
    template <class... Params>
    row_stream query_stream(std::string_view sql, const Params&... params) {
        return stream_of(sql, nullptr, params...);
    }
    /// As above, for the prepared statement `stmt` (Bind, Execute, Sync only).
    template <class... Params>
    row_stream query_stream(const statement& stmt, const Params&... params) {
        return stream_of(stmt.sql(), &stmt, params...);
    }

    /// Runs `sql` with the simple query protocol: several statements separated by ';', no
    /// parameters, results in text format (row_view::get decodes text too). Completion
    /// signature: void(error_code, std::vector<result>), one result per statement. On error,
    /// the statements before it have run (and committed, outside a transaction block).
    template <class Token = default_token>
    auto async_simple_query(std::string_view sql, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, std::vector<result>)>(
            simple_initiation{impl_.get()}, token, detail::op_settings{}, std::string(sql));
    }

    /// Runs the statements of `b` in one round trip, with one Sync at the end or one per
    /// statement (its batch_mode). Completion signature: void(error_code, batch_results): one
    /// outcome per statement, in order, whatever became of it (a statement's own error is in
    /// its outcome, not in the error_code). The error_code says what stopped the batch as a
    /// whole before every statement was answered — the connection lost, cancellation, a
    /// timeout, a parameter that cannot be sent — and the outcomes then still say what was
    /// answered before it (the rest failed with that error). The batch is moved in: it need not
    /// outlive the call.
    template <class Token = default_token>
    auto async_execute_batch(batch b, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, batch_results)>(
            batch_initiation{impl_.get()}, token, detail::op_settings{}, std::move(b));
    }

    /// Prepares `sql` as a named statement (Parse, Describe, Sync). Completion signature:
    /// void(error_code, statement), whose parameter and column types are known.
    template <class Token = default_token>
    auto async_prepare(std::string_view sql, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, statement)>(
            prepare_initiation{impl_.get()}, token, detail::op_settings{}, std::string(sql));
    }

    /// Releases a prepared statement on the server. Completion signature: void(error_code).
    template <class Token = default_token>
    auto async_close_statement(const statement& stmt, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            close_statement_initiation{impl_.get()}, token, detail::op_settings{}, stmt);
    }

    /// Loads the user-defined types named by `args` (each a name, "mood" or "public.address",
    /// resolved as SQL does: unqualified names through the search_path; or a
    /// std::vector<std::string> of names), optionally followed by a completion token, from the
    /// catalogs into the connection's type registry, with every user-defined type they are made
    /// of (attribute types, domain base types, element and array types), and the registry's
    /// pending ones (registered with register_type and not loaded yet, or marked changed), in
    /// one query. Enums, composites, domains and arrays of them, and extension types (hstore)
    /// are then read and written by their codecs (docs/types.md, "User-defined types"). Loading
    /// a type again replaces it; no names loads the pending ones. Completion signature:
    /// void(error_code); client_errc::unknown_type when a name is not a type of the database,
    /// the diagnostics naming it.
    ///
    /// @code
    /// co_await conn.async_load_types("mood", "public.address");
    /// address a = rows[0].get<address>(0);
    /// @endcode
    template <class... Args>
    auto async_load_types(Args&&... args) {
        return detail::split_token(
            [&](auto& token, const auto&... names) {
                std::vector<std::string> all;
                (add_type_names(all, names), ...);
                return boost::asio::async_initiate<std::remove_reference_t<decltype(token)>,
                                                   void(error_code)>(
                    load_types_initiation{impl_.get()}, token, detail::op_settings{},
                    std::move(all));
            },
            std::forward<Args>(args)...);
    }
    /// The user-defined types this connection knows (loaded by async_load_types; include
    /// pgasio/type_registry.hpp to use them). Never null.
    const std::shared_ptr<type_registry>& types() const noexcept;
    /// Makes the connection use `types` (several connections to one database may share one
    /// registry: types load once). Results already read keep the registry they were read with.
    /// A null `types` gives the connection a new empty registry.
    void set_types(std::shared_ptr<type_registry> types);

    /// LISTEN on `channel` (quoted as an identifier: any name works). Notifications then arrive
    /// through async_receive_notification; none is lost while the connection lives.
    template <class Token = default_token>
    auto async_listen(std::string_view channel, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            listen_initiation{impl_.get()}, token, detail::op_settings{}, "LISTEN ",
            std::string(channel));
    }
    /// UNLISTEN `channel`.
    template <class Token = default_token>
    auto async_unlisten(std::string_view channel, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            listen_initiation{impl_.get()}, token, detail::op_settings{}, "UNLISTEN ",
            std::string(channel));
    }
    /// The next notification (at once if one is waiting). Completion signature:
    /// void(error_code, notification). One waiter at a time; it fails with the connection's
    /// error when the connection closes, and with operation_aborted when cancelled.
    template <class Token = default_token>
    auto async_receive_notification(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, notification)>(
            notification_initiation{impl_.get()}, token, detail::op_settings{});
    }

    /// Starts `sql`, a `COPY ... FROM STDIN` statement (text, CSV or binary; sent as a simple
    /// query, so without parameters), and returns the writer of its data once the server is
    /// ready for it (see copy_writer). The COPY runs alone: the connection's other requests
    /// wait until it is finished or aborted. Completion signature: void(error_code,
    /// copy_writer). Errors: the server's (no such table, a malformed statement),
    /// client_errc::copy_not_started when `sql` starts no COPY FROM STDIN (it ran, as a
    /// simple query), timeouts and cancellation as for async_query until the writer is handed
    /// out (the writer's operations then have their own), invalid_argument for a
    /// pgasio::with_copy_buffer size out of range (nothing is sent), the connection's.
    template <class Token = default_token>
    auto async_copy_in(std::string_view sql, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, copy_writer)>(
            [impl = impl_.get()](auto handler, detail::op_settings op, const std::string& text) {
                start_copy_in(impl, copy_in_handler(std::move(handler)), op, text);
            },
            token, detail::op_settings{}, std::string(sql));
    }

    /// Starts `sql`, a `COPY ... TO STDOUT` statement, and returns the reader of its data once
    /// the server starts sending (see copy_reader). The COPY runs alone. Completion signature:
    /// void(error_code, copy_reader). Errors: as async_copy_in's (copy_not_started when `sql`
    /// starts no COPY TO STDOUT).
    template <class Token = default_token>
    auto async_copy_out(std::string_view sql, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, copy_reader)>(
            [impl = impl_.get()](auto handler, detail::op_settings op, const std::string& text) {
                start_copy_out(impl, copy_out_handler(std::move(handler)), op, text);
            },
            token, detail::op_settings{}, std::string(sql));
    }

    /// Starts a typed binary COPY of `columns` (in that order) into `table` and returns its
    /// writer (see copy_row_writer) once the server is ready for rows. The names are quoted as
    /// identifiers (any name works, exactly as written, case kept); the columns' types are
    /// described by the server in the same round trip (a `SELECT columns FROM table LIMIT 0`
    /// sent with the COPY), so each value written is checked against its column. The COPY
    /// runs alone, as async_copy_in's. Completion signature: void(error_code,
    /// copy_row_writer). Errors: boost::system::errc::invalid_argument for an empty table name
    /// or column list, or a name that is empty, longer than 63 bytes or holds a NUL (nothing is
    /// sent); the server's (no such table, no such column: 42P01, 42703, naming it);
    /// async_copy_in's. (GCC 12 cannot co_await an expression that holds a braced list: name
    /// the column list first, as below.)
    /// @code
    /// const std::vector<std::string> columns{"id", "name"};
    /// auto w = co_await conn.async_copy_in_rows("items", columns);
    /// co_await w.async_write_row(1, "first");
    /// std::uint64_t rows = co_await w.async_finish();
    /// @endcode
    template <class Token = default_token>
    auto async_copy_in_rows(std::string_view table, std::vector<std::string> columns,
                            Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, copy_row_writer)>(
            [impl = impl_.get()](auto handler, detail::op_settings op, const std::string& name,
                                 const std::vector<std::string>& cols) {
                start_copy_in_rows(impl, copy_in_rows_handler(std::move(handler)), op, name, cols);
            },
            token, detail::op_settings{}, std::string(table), std::move(columns));
    }

    /// async_copy_in_rows for rows of type T, a BOOST_DESCRIBE_STRUCT whose public member names
    /// are the columns (in declaration order; write them with copy_row_writer::write_row(obj)
    /// or async_write_rows(range)). Once the server has described the columns, each member's
    /// type is checked against its column's: the writer is handed out only when all fit.
    /// Completion signature: void(error_code, copy_row_writer). Errors: async_copy_in_rows's
    /// (42703 for a member without a column, naming it); client_errc::type_mismatch naming
    /// the member, its column and both types (the COPY is aborted, nothing copied).
    /// @code
    /// struct item { std::int64_t id; std::string name; };
    /// BOOST_DESCRIBE_STRUCT(item, (), (id, name))
    /// auto w = co_await conn.async_copy_in_as<item>("items");
    /// co_await w.async_write_rows(items);
    /// co_await w.async_finish();
    /// @endcode
    template <class T, class Token = default_token>
    auto async_copy_in_as(std::string_view table, Token&& token = {}) {
        return async_copy_in_as<T>(table, detail::member_names<T>(), std::forward<Token>(token));
    }
    /// async_copy_in_as for rows of type T (a described struct, another aggregate or a
    /// std::tuple) whose fields go, in order, to `columns`.
    template <class T, class Token = default_token>
    auto async_copy_in_as(std::string_view table, std::vector<std::string> columns,
                          Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, copy_row_writer)>(
            [impl = impl_.get()](auto handler, detail::op_settings op, const std::string& name,
                                 const std::vector<std::string>& cols) {
                auto ex = boost::asio::get_associated_executor(handler, executor_of(impl));
                auto slot = boost::asio::get_associated_cancellation_slot(handler);
                auto checked = [h = std::move(handler), diag = op.diag](error_code ec,
                                                                        copy_row_writer w) mutable {
                    if (!ec) ec = detail::check_copy_fields<T>(w.columns(), diag);
                    // A writer dropped here aborts the COPY: nothing of it is copied.
                    if (ec) w = copy_row_writer();
                    std::move(h)(ec, std::move(w));
                };
                start_copy_in_rows(impl,
                                   copy_in_rows_handler(boost::asio::bind_cancellation_slot(
                                       slot, boost::asio::bind_executor(ex, std::move(checked)))),
                                   op, name, cols);
            },
            token, detail::op_settings{}, std::string(table), std::move(columns));
    }

    /// Starts a typed binary COPY of `columns` of `table` to the client and returns its reader
    /// (see copy_row_reader) once the data starts: rows in batches, each a pgasio::result
    /// whose columns have the types the server described. Names and errors as
    /// async_copy_in_rows's; the COPY runs alone. Completion signature: void(error_code,
    /// copy_row_reader).
    /// @code
    /// const std::vector<std::string> columns{"id", "name"};
    /// auto r = co_await conn.async_copy_out_rows("items", columns);
    /// for (pgasio::result batch; !(batch = co_await r.async_next()).empty();)
    ///     for (const item& it : pgasio::rows_as<item>(batch)) use(it);
    /// @endcode
    template <class Token = default_token>
    auto async_copy_out_rows(std::string_view table, std::vector<std::string> columns,
                             Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, copy_row_reader)>(
            [impl = impl_.get()](auto handler, detail::op_settings op, const std::string& name,
                                 const std::vector<std::string>& cols) {
                start_copy_out_rows(impl, copy_out_rows_handler(std::move(handler)), op, name,
                                    cols);
            },
            token, detail::op_settings{}, std::string(table), std::move(columns));
    }

    /// Waits for exclusive use of the session and returns it as a lease: from the grant until
    /// the lease is released (or destroyed), only operations run through the lease are written
    /// to the server; everyone else's wait in order, encoded, and go on afterwards. Requests
    /// queued before the grant run first. Leases are granted one at a time, in the order asked
    /// for. Use one for everything that needs the session to itself: transactions
    /// (BEGIN ... COMMIT), session settings, several statements that must see each other's
    /// effects without anyone in between.
    ///
    /// Completion signature: void(error_code, exclusive_lease). Errors: not_connected, the
    /// connection's error if it closes while waiting, and operation_aborted when the wait is
    /// cancelled (any cancellation type: the waiter leaves the line, nothing was granted; a
    /// lease already granted is not taken back). The connection must outlive the lease
    /// and must not be moved while it is held.
    /// @code
    /// auto lease = co_await conn.async_acquire_exclusive();
    /// co_await lease.async_execute("BEGIN");
    /// co_await lease.async_execute("UPDATE accounts SET balance = balance - $1 WHERE id = $2",
    /// 100, 1); co_await lease.async_execute("COMMIT");
    /// @endcode
    template <class Token = default_token>
    auto async_acquire_exclusive(Token&& token = {});

    /// Begins a transaction with `options` (BEGIN with its isolation level, access mode and
    /// deferrability) on an exclusive lease of the session, and returns it: see
    /// pgasio::transaction, which has the lease's query operations and ends with
    /// async_commit or async_rollback (or rolls back when destroyed). Waits, as
    /// async_acquire_exclusive does, for the requests queued before it and the leases asked for
    /// before it. Sends nothing itself: BEGIN goes with the transaction's first request, whose
    /// errors then include BEGIN's (see pgasio::transaction). For a transaction function run
    /// again after serialization failures, see pgasio::async_transaction.
    ///
    /// Completion signature: void(error_code, transaction). Errors: async_acquire_exclusive's
    /// (not_connected, operation_aborted when cancelled while waiting); nothing stays open after
    /// an error. The connection must outlive the transaction and must not be moved while it is
    /// active.
    /// @code
    /// auto tx = co_await conn.async_begin({.isolation = pgasio::isolation_level::serializable});
    /// co_await tx.async_execute("UPDATE accounts SET balance = balance - 100 WHERE id = 1");
    /// co_await tx.async_commit();
    /// @endcode
    template <class Token = default_token>
    auto async_begin(const transaction_options& options = {}, Token&& token = {});

    /// Called with every NoticeResponse (RAISE NOTICE, warnings) on the connection's executor.
    /// By default notices are dropped.
    void set_notice_handler(std::function<void(const diagnostics&)> handler);

    /// The default deadline of each request from when it is queued, for operations without
    /// their own (pgasio::with_timeout); 0 means none. async_connect sets it to the
    /// configuration's query_timeout (pool_options, 30 s unless configured); this changes it
    /// for requests queued from now on. A request past it fails with client_errc::query_timeout
    /// and is cancelled as the class comment says; the connection stays usable. Row streams
    /// have none. Call it on the connection's executor.
    void set_query_timeout(std::chrono::milliseconds timeout);

    /// True between a successful async_connect and a close (or a fatal error).
    bool is_open() const noexcept;
    /// True when the session is encrypted with TLS.
    bool uses_tls() const noexcept;
    /// True when authentication used SCRAM-SHA-256-PLUS, binding it to the TLS session.
    bool uses_channel_binding() const noexcept;
    /// The host of the configuration that accepted the connection.
    const host_spec& host() const noexcept;
    /// The latest value the server reported for a run-time parameter (server_version,
    /// server_encoding, client_encoding, TimeZone, DateStyle, integer_datetimes,
    /// standard_conforming_strings, in_hot_standby, default_transaction_read_only,
    /// session_authorization, application_name, ...). The view is valid until the next
    /// operation on the connection.
    std::optional<std::string_view> parameter(std::string_view name) const;
    /// The server's process ID for this session (pg_backend_pid()).
    std::int32_t backend_pid() const noexcept;
    /// The protocol version the session speaks (3.0, or 3.2 when asked for and offered).
    protocol::protocol_version protocol_version() const noexcept;

private:
    friend class exclusive_lease;
    friend class transaction;
    friend struct detail::pool_access;
    using handler_type = boost::asio::any_completion_handler<void(error_code)>;
    using section_handler = boost::asio::any_completion_handler<void(error_code, std::uint64_t)>;
    static void start_acquire(detail::connection_impl* impl, section_handler handler);
    static void release_section(const std::shared_ptr<detail::connection_impl>& impl,
                                std::uint64_t section) noexcept;

    struct connect_initiation {
        detail::connection_impl* impl;
        void operator()(handler_type handler, detail::op_settings op, const config& cfg) const {
            start_connect(impl, std::move(handler), op.diag, cfg);
        }
    };
    struct close_initiation {
        detail::connection_impl* impl;
        void operator()(handler_type handler, detail::op_settings op) const {
            start_close(impl, std::move(handler), op.diag);
        }
    };

    using result_handler = boost::asio::any_completion_handler<void(error_code, result)>;
    using results_handler =
        boost::asio::any_completion_handler<void(error_code, std::vector<result>)>;
    using batch_handler = boost::asio::any_completion_handler<void(error_code, batch_results)>;
    using statement_handler = boost::asio::any_completion_handler<void(error_code, statement)>;
    using notification_handler =
        boost::asio::any_completion_handler<void(error_code, notification)>;

    // Type-erased parameters: their types and a function that writes them into a Bind.
    struct param_source {
        std::span<const protocol::oid> types;
        std::size_t count;
        void (*write)(const void* ctx, protocol::field_writer& out);
        const void* ctx;
        /// Appends the parameters given a name (pgasio::named), for observers; null when none is.
        void (*named)(const void* ctx, std::vector<detail::named_value>& out);
    };
    template <class... Params>
    static void write_params_of(const void* ctx, protocol::field_writer& bind) {
        std::apply([&](const Params&... p) { detail::write_params(bind, p...); },
                   *static_cast<const std::tuple<const Params&...>*>(ctx));
    }
    template <class... Params>
    static void named_params_of(const void* ctx, std::vector<detail::named_value>& out) {
        std::apply([&](const Params&... p) { detail::named_values(out, p...); },
                   *static_cast<const std::tuple<const Params&...>*>(ctx));
    }
    // param_source::named for these parameters.
    template <class... Params>
    static constexpr auto named_source() {
        using fn = void (*)(const void*, std::vector<detail::named_value>&);
        return detail::has_named_params_v<Params...> ? fn(&named_params_of<Params...>)
                                                     : fn(nullptr);
    }

    // Splits (params..., [token]) and starts `init` with the query and its parameters. The SQL
    // text is copied (a deferred operation may start after the caller's string is gone).
    template <class Signature, class Initiation, class Sql, class... Args>
    auto initiate_query(Initiation init, const Sql& sql, Args&&... args) {
        return detail::split_token(
            [&](auto& token, const auto&... params) {
                return boost::asio::async_initiate<std::remove_reference_t<decltype(token)>,
                                                   Signature>(init, token, detail::op_settings{},
                                                              query_text(sql), params...);
            },
            std::forward<Args>(args)...);
    }

    static std::string query_text(std::string_view sql) { return std::string(sql); }
    static const statement& query_text(const statement& stmt) { return stmt; }

    template <class... Params>
    row_stream stream_of(std::string_view sql, const statement* stmt, const Params&... params) {
        return stream_in(0, sql, stmt, params...);
    }
    // As stream_of, in the exclusive lease `section` (0: none).
    template <class... Params>
    row_stream stream_in(std::uint64_t section, std::string_view sql, const statement* stmt,
                         const Params&... params) {
        static_assert((detail::parameter<const Params&> && ...),
                      "query_stream takes no completion token: its rows come from async_next");
        const auto types = param_types_in(impl_.get(), params...);
        const std::tuple<const Params&...> refs(params...);
        const param_source src{types, detail::param_count(params...), &write_params_of<Params...>,
                               &refs, named_source<Params...>()};
        return start_stream(impl_.get(), section, sql, stmt, src);
    }
    static row_stream start_stream(detail::connection_impl* impl, std::uint64_t section,
                                   std::string_view sql, const statement* stmt,
                                   const param_source& params);
    static void queue_query(detail::connection_impl* impl,
                            std::unique_ptr<detail::result_request> r, std::string_view sql,
                            const statement* stmt, const param_source& params);
    static void queue_simple_query(detail::connection_impl* impl,
                                   std::unique_ptr<detail::result_request> r, std::string_view sql,
                                   const param_source& params);
    static void start_query(detail::connection_impl* impl, result_handler handler,
                            const detail::op_settings& op, std::string_view sql,
                            const statement* stmt, const param_source& params);
    static void start_simple(detail::connection_impl* impl, results_handler handler,
                             const detail::op_settings& op, std::string_view sql);
    static void start_batch(detail::connection_impl* impl, batch_handler handler,
                            const detail::op_settings& op, batch b);
    static void start_prepare(detail::connection_impl* impl, statement_handler handler,
                              const detail::op_settings& op, std::string_view sql);
    static void start_close_statement(detail::connection_impl* impl, handler_type handler,
                                      const detail::op_settings& op, const statement& stmt);
    static void start_listen(detail::connection_impl* impl, handler_type handler,
                             const detail::op_settings& op, std::string_view command,
                             std::string_view channel);
    static void start_receive_notification(detail::connection_impl* impl,
                                           notification_handler handler);
    using copy_in_handler = boost::asio::any_completion_handler<void(error_code, copy_writer)>;
    using copy_out_handler = boost::asio::any_completion_handler<void(error_code, copy_reader)>;
    static void start_copy_in(detail::connection_impl* impl, copy_in_handler handler,
                              const detail::op_settings& op, std::string_view sql);
    static void start_copy_out(detail::connection_impl* impl, copy_out_handler handler,
                               const detail::op_settings& op, std::string_view sql);
    using copy_in_rows_handler =
        boost::asio::any_completion_handler<void(error_code, copy_row_writer)>;
    using copy_out_rows_handler =
        boost::asio::any_completion_handler<void(error_code, copy_row_reader)>;
    static void start_copy_in_rows(detail::connection_impl* impl, copy_in_rows_handler handler,
                                   const detail::op_settings& op, std::string_view table,
                                   std::span<const std::string> columns);
    static void start_copy_out_rows(detail::connection_impl* impl, copy_out_rows_handler handler,
                                    const detail::op_settings& op, std::string_view table,
                                    std::span<const std::string> columns);
    using cursor_handler = boost::asio::any_completion_handler<void(error_code, cursor)>;
    static void start_open_cursor(detail::connection_impl* impl, cursor_handler handler,
                                  const detail::op_settings& op, std::string_view sql,
                                  const cursor_options& options, const param_source& params);

    // Opens a cursor (exclusive_lease::async_open_cursor) over `sql` with `params`.
    struct cursor_initiation {
        detail::connection_impl* impl;
        template <class Handler, class... Params>
        void operator()(Handler&& handler, const detail::op_settings& op, const std::string& sql,
                        const cursor_options& options, const Params&... params) const {
            const auto types = param_types_in(impl, params...);
            const std::tuple<const Params&...> refs(params...);
            const param_source src{types, detail::param_count(params...),
                                   &write_params_of<Params...>, &refs, named_source<Params...>()};
            start_open_cursor(impl, cursor_handler(std::forward<Handler>(handler)), op, sql,
                              options, src);
        }
    };

    struct query_initiation {
        detail::connection_impl* impl;
        template <class Handler, class Sql, class... Params>
        void operator()(Handler&& handler, detail::op_settings op, const Sql& sql,
                        const Params&... params) const {
            const auto types = param_types_in(impl, params...);
            const std::tuple<const Params&...> refs(params...);
            const param_source src{types, detail::param_count(params...),
                                   &write_params_of<Params...>, &refs, named_source<Params...>()};
            const auto own = executor_of(impl);
            op.on_connection_executor = boost::asio::get_associated_executor(handler, own) == own;
            if constexpr (std::is_same_v<Sql, statement>)
                start_query(impl, result_handler(std::forward<Handler>(handler)), op, sql.sql(),
                            &sql, src);
            else
                start_query(impl, result_handler(std::forward<Handler>(handler)), op, sql, nullptr,
                            src);
        }
    };

    // Runs a query and turns its result into what the caller asked for: the adapter's
    // operator()(result&, diagnostics*) -> error_code, plus its value type.
    template <class Adapter>
    struct adapted_initiation {
        detail::connection_impl* impl;
        template <class Handler, class Sql, class... Params>
        void operator()(Handler&& handler, detail::op_settings op, const Sql& sql,
                        const Params&... params) const {
            diagnostics* diag = op.diag;
            auto slot = boost::asio::get_associated_cancellation_slot(handler);
            auto ex = boost::asio::get_associated_executor(handler, executor_of(impl));
            auto adapted = [h = std::forward<Handler>(handler), diag](error_code ec,
                                                                      result r) mutable {
                typename Adapter::value_type out{};
                if (!ec) ec = Adapter{}(r, out, diag);
                std::move(h)(ec, std::move(out));
            };
            query_initiation{impl}(boost::asio::bind_cancellation_slot(
                                       slot, boost::asio::bind_executor(ex, std::move(adapted))),
                                   op, sql, params...);
        }
    };
    struct count_adapter {
        using value_type = std::uint64_t;
        error_code operator()(result& r, std::uint64_t& out, diagnostics*) const {
            out = r.rows_affected();
            return {};
        }
    };
    template <bool Exactly>
    struct row_count_adapter {
        using value_type = result;
        error_code operator()(result& r, result& out, diagnostics* diag) const {
            if (r.size() > 1 || (Exactly && r.size() != 1)) {
                if (diag) {
                    *diag = diagnostics{};
                    diag->message = (Exactly ? "expected exactly one row, got "
                                             : "expected at most one row, got ") +
                                    std::to_string(r.size());
                }
                return client_errc::unexpected_row_count;
            }
            out = std::move(r);
            return {};
        }
    };
    template <class T>
    struct rows_as_adapter {
        using value_type = std::vector<T>;
        error_code operator()(result& r, std::vector<T>& out, diagnostics* diag) const {
            try {
                out = detail::rows_as<T>(r);
                return {};
            } catch (const pgasio::error& e) {
                if (diag) *diag = e.diag();
                return e.code();
            }
        }
    };
    struct simple_initiation {
        detail::connection_impl* impl;
        void operator()(results_handler handler, detail::op_settings op,
                        const std::string& sql) const {
            start_simple(impl, std::move(handler), op, sql);
        }
    };
    struct batch_initiation {
        detail::connection_impl* impl;
        void operator()(batch_handler handler, detail::op_settings op, batch b) const {
            start_batch(impl, std::move(handler), op, std::move(b));
        }
    };
    struct prepare_initiation {
        detail::connection_impl* impl;
        void operator()(statement_handler handler, detail::op_settings op,
                        const std::string& sql) const {
            start_prepare(impl, std::move(handler), op, sql);
        }
    };
    struct close_statement_initiation {
        detail::connection_impl* impl;
        void operator()(handler_type handler, detail::op_settings op, const statement& stmt) const {
            start_close_statement(impl, std::move(handler), op, stmt);
        }
    };
    static void add_type_names(std::vector<std::string>& out, std::string_view name) {
        out.emplace_back(name);
    }
    static void add_type_names(std::vector<std::string>& out,
                               const std::vector<std::string>& names) {
        out.insert(out.end(), names.begin(), names.end());
    }
    struct load_types_initiation {
        detail::connection_impl* impl;
        void operator()(handler_type handler, detail::op_settings op,
                        std::vector<std::string> names) const {
            start_load_types(impl, std::move(handler), op, std::move(names));
        }
    };
    static void start_load_types(detail::connection_impl* impl, handler_type handler,
                                 const detail::op_settings& op, std::vector<std::string> names);
    struct listen_initiation {
        detail::connection_impl* impl;
        void operator()(handler_type handler, detail::op_settings op, const char* command,
                        const std::string& channel) const {
            start_listen(impl, std::move(handler), op, command, channel);
        }
    };
    struct notification_initiation {
        detail::connection_impl* impl;
        void operator()(notification_handler handler, detail::op_settings) const {
            start_receive_notification(impl, std::move(handler));
        }
    };
    static executor_type executor_of(detail::connection_impl* impl) noexcept;
    // The type registry of `impl` (connection::types).
    static const type_registry* types_of(detail::connection_impl* impl) noexcept;
    // The types the parameters are sent as on `impl`: those of registered user-defined types
    // (composites, arrays of enums) come from its registry.
    template <class... Params>
    static auto param_types_in(detail::connection_impl* impl, const Params&... params) {
        const detail::type_scope scope(types_of(impl));
        return detail::param_types_of(params...);
    }

    static void start_connect(detail::connection_impl* impl, handler_type handler,
                              diagnostics* diag, const config& cfg);
    static void start_close(detail::connection_impl* impl, handler_type handler, diagnostics* diag);

    template <class Token>
    auto async_connect_impl(const config& cfg, diagnostics* diag, Token&& token) {
        detail::op_settings op;
        op.diag = diag;
        return boost::asio::async_initiate<Token, void(error_code)>(connect_initiation{impl_.get()},
                                                                    token, op, cfg);
    }

    std::shared_ptr<detail::connection_impl> impl_;
};

} // namespace pgasio

#include <pgasio/exclusive_lease.hpp>
#include <pgasio/transaction.hpp>
