// A transaction: a session held from BEGIN to COMMIT or ROLLBACK, its savepoints, and
// async_transaction, which runs a function in one and runs it again after a conflict.
#pragma once

#include <pgasio/connection.hpp>
#include <pgasio/detail/async_spawn.hpp>
#include <pgasio/exclusive_lease.hpp>
#include <pgasio/transaction_options.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace pgasio {

class transaction;

namespace detail {
struct transaction_state;

template <class T>
struct awaitable_value {};
template <class T, class Executor>
struct awaitable_value<boost::asio::awaitable<T, Executor>> {
    using type = T;
};
/// What a transaction function returns (T of its asio::awaitable<T>).
template <class Fn>
using transaction_result_t =
    typename awaitable_value<std::invoke_result_t<Fn&, transaction&>>::type;

template <class Fn, class R = transaction_result_t<Fn>>
boost::asio::awaitable<R> run_savepoint_scope(transaction& tx, Fn fn);
} // namespace detail

/// A function run in a transaction (async_transaction, transaction::async_savepoint_scope):
/// called with the transaction, it returns the asio::awaitable<T> that does the work (T may be
/// void).
template <class Fn>
concept transaction_function = std::invocable<Fn&, transaction&> && requires {
    typename detail::transaction_result_t<Fn>;
};

/// A savepoint of a pgasio::transaction, from transaction::async_savepoint: a point inside the
/// transaction that it can roll back to (undoing what was done since, and nothing before) or
/// release (keeping it all).
///
/// (transaction::async_savepoint_scope runs a function inside one, undoing its work when it
/// fails.) Savepoints nest: rolling back to a savepoint ends the savepoints made after it (it stays
/// itself), and releasing one ends it and those made after it. A handle knows when it has ended
/// that way, or with its transaction: its operations then fail with client_errc::savepoint_ended
/// without sending anything (a ROLLBACK TO of an unknown savepoint would make the server abort
/// the whole transaction). A RELEASE or ROLLBACK TO that timed out or was cancelled
/// (client_errc::query_timeout, operation_aborted) may have run on the server: the savepoints it
/// would end are ended on the client all the same. Destroying a handle does nothing on the
/// server: the savepoint lasts until it is released, rolled back past, or its transaction ends.
/// A savepoint is used on its connection's executor, like the transaction.
class savepoint {
public:
    /// An empty handle: its operations fail with savepoint_ended.
    savepoint() = default;

    /// Its name on the server, as given to async_savepoint or generated ("pgasio_sp_1", ...).
    const std::string& name() const noexcept { return name_; }
    /// True until it is released, rolled back past, or its transaction ends.
    bool active() const noexcept;

private:
    friend class transaction;
    savepoint(std::shared_ptr<detail::transaction_state> tx, std::string name,
              std::uint64_t id) noexcept
        : tx_(std::move(tx))
        , name_(std::move(name))
        , id_(id) {}

    std::shared_ptr<detail::transaction_state> tx_;
    std::string name_;
    std::uint64_t id_ = 0;
};

/// A transaction block holding its connection's session, from connection::async_begin: from
/// then until COMMIT or ROLLBACK only its statements are written to the server; other
/// coroutines' requests on the connection wait, in order, and never run inside it.
///
/// When BEGIN goes out. async_begin sends nothing: BEGIN, with the transaction's modes, goes
/// with the transaction's first request, in the same write, saving its round trip. In front of
/// that request's messages when it is an extended query (async_query, async_execute and their
/// kin, a prepared statement, a batch, a row stream, a cursor), with no Sync of its own: should
/// the server refuse BEGIN, it skips the statement too, which so never runs outside the
/// transaction. As a simple Query of its own, just before it, when the first request is a
/// simple query (async_simple_query, COPY, a savepoint, query_exec_mode::simple_protocol):
/// the request is then written once BEGIN has succeeded. The request carrying BEGIN runs alone:
/// requests of the transaction issued while it is in flight are written after its answer.
/// A BEGIN the server refuses (a mode it does not allow, such as SERIALIZABLE or READ WRITE on
/// a hot standby) fails that first request with BEGIN's error and diagnostics, and every later
/// operation of the transaction with the same error (its diagnostics saying that the
/// transaction never began) without sending anything; async_rollback succeeds. A transaction
/// that sent nothing sends nothing at its end either: its async_commit and async_rollback
/// succeed at once.
///
/// It has an exclusive_lease's operations, with the same parameters, tokens and errors:
/// async_query (SQL or a prepared statement), async_execute, async_query_one, async_query_opt,
/// async_query_as, query_stream, async_simple_query, async_execute_batch, async_prepare,
/// async_copy_in, async_copy_out and async_open_cursor. After COMMIT or ROLLBACK they fail with
/// client_errc::lease_ended.
///
/// Ending it. async_commit or async_rollback end it and let the connection serve the others.
/// async_commit lets them as soon as COMMIT is sent, not once its answer is back: COMMIT ends
/// the transaction block whatever its outcome, so the next caller waiting for the connection
/// (another transaction's first statement, a shared query) is written right behind it, often
/// in the same write, and runs after it on the server, outside the transaction. Operations
/// started on the transaction after async_commit fail with client_errc::lease_ended.
/// Destroying (or move-assigning) a transaction that is still active rolls it back, in the
/// background, before anyone else's request is written: it never commits by accident, and
/// never leaves the session in a transaction block. A statement error inside it leaves the
/// transaction failed (the server's 25P02 in_failed_sql_transaction for what follows, unless a
/// savepoint is rolled back to); its COMMIT then fails with client_errc::transaction_rolled_back.
///
/// The connection must outlive the transaction and must not be moved while it is active. The
/// transaction must stay where it is (not moved or destroyed) while one of its own operations
/// (commit, rollback, savepoints) runs, and is used on its connection's executor.
///
/// @code
/// auto tx = co_await conn.async_begin({.isolation = pgasio::isolation_level::repeatable_read});
/// auto rows = co_await tx.async_query("SELECT balance FROM accounts WHERE id = $1", 1);
/// co_await tx.async_execute("UPDATE accounts SET balance = $1 WHERE id = $2",
///                           rows[0].get<std::int64_t>(0) - 100, 1);
/// co_await tx.async_commit();
/// @endcode
class transaction : private exclusive_lease {
public:
    /// An empty transaction (active() is false): async_commit and async_savepoint fail with
    /// lease_ended through their completion, its statements by throwing pgasio::error
    /// (lease_ended) from the call, as an empty exclusive_lease's; async_rollback succeeds.
    transaction() = default;
    /// Takes over the transaction; the source is left empty.
    transaction(transaction&&) noexcept = default;
    /// Rolls back the transaction this one held, if still active (see the class comment).
    transaction& operator=(transaction&& other) noexcept;
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    /// Rolls back, in the background, when still active (see the class comment).
    ~transaction();

    /// True from async_begin until the transaction is committed or rolled back.
    bool active() const noexcept { return valid(); }
    /// The transaction's id (the server's xid8, as `pg_xact_status` takes it), known once
    /// async_commit has sent the COMMIT and the server answered the id it asks for with it.
    /// Empty before that, for a transaction that wrote nothing (it has no id) or was begun
    /// READ ONLY (none is asked for), and when the connection was lost before the id arrived.
    /// After async_commit fails with client_errc::commit_in_doubt, it names the transaction
    /// whose outcome to check later (as the error's diagnostics do).
    std::optional<std::uint64_t> id() const noexcept;
    /// The connection it runs on (requires active()).
    using exclusive_lease::get_connection;

    using exclusive_lease::async_copy_in;
    using exclusive_lease::async_copy_out;
    using exclusive_lease::async_execute;
    using exclusive_lease::async_execute_batch;
    using exclusive_lease::async_open_cursor;
    using exclusive_lease::async_prepare;
    using exclusive_lease::async_query;
    using exclusive_lease::async_query_as;
    using exclusive_lease::async_query_one;
    using exclusive_lease::async_query_opt;
    using exclusive_lease::async_simple_query;
    using exclusive_lease::query_stream;

    /// Commits, and ends the transaction whatever the outcome (the connection then serves the
    /// others). Completion signature: void(error_code). Errors:
    /// - client_errc::transaction_rolled_back: the transaction had failed (a statement's error
    ///   not rolled back to a savepoint), so the server rolled it back instead; or the COMMIT
    ///   was cancelled or timed out before it was sent (it waited behind the transaction's
    ///   statements), and the transaction was rolled back;
    /// - the server's error when COMMIT itself fails (40001 serialization_failure at
    ///   SERIALIZABLE, a deferred constraint's violation...): the transaction was rolled back;
    /// - when the connection is lost, the server ends the session (a FATAL error such as 57P01
    ///   admin_shutdown, which a backend terminated just after committing sends), or the
    ///   operation is cancelled or times out, after COMMIT may have reached the server, the
    ///   outcome is asked of the server on a second connection (pg_xact_status of the
    ///   transaction id, which the COMMIT request learns before the COMMIT runs, at no extra
    ///   round trip), waiting while it is still in progress, for up to the configuration's
    ///   connect_timeout (10 s without one): committed is success; aborted is
    ///   client_errc::transaction_rolled_back; otherwise client_errc::commit_in_doubt,
    ///   whose diagnostics name the transaction id (DETAIL; id() gives it as a number) and how
    ///   to check it later (HINT).
    ///   A transaction that wrote nothing has no id and nothing to lose: the connection's own
    ///   error is reported then, as it is for one begun READ ONLY (whose id is not asked for:
    ///   its COMMIT is COMMIT alone);
    /// - client_errc::lease_ended when the transaction already ended, and the connection's
    ///   errors when it was closed before the COMMIT was sent;
    /// - BEGIN's error when the server refused the transaction's BEGIN (see the class comment):
    ///   nothing is sent.
    ///
    /// A transaction that sent nothing (its BEGIN still waiting for a first request) commits
    /// without sending anything, and succeeds.
    ///
    /// A timeout (pgasio::with_timeout) applies to the COMMIT request.
    template <class Token = default_token>
    auto async_commit(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [this](auto handler, detail::op_settings op) {
                start_commit(*this, void_handler(std::move(handler)), op);
            },
            token, detail::op_settings{});
    }

    /// Rolls back and ends the transaction. Completion signature: void(error_code). Rolling
    /// back a transaction that already ended (committed, rolled back, or whose COMMIT failed)
    /// succeeds and sends nothing, so cleanup paths need no check. Errors: the connection's
    /// (the server rolls back a transaction whose connection is gone).
    template <class Token = default_token>
    auto async_rollback(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [this](auto handler, detail::op_settings op) {
                start_rollback(*this, void_handler(std::move(handler)), op);
            },
            token, detail::op_settings{});
    }

    /// Makes a savepoint named `name` (SAVEPOINT, the name quoted as an identifier: any text
    /// works, case kept). Completion signature: void(error_code, savepoint). Errors:
    /// client_errc::invalid_savepoint_name (nothing sent) for a name that is empty, longer than
    /// 63 bytes (the server would cut it), holds a NUL byte, or names a savepoint of this
    /// transaction still active (the server would shadow the older one, and its handle would
    /// then roll back to the newer); lease_ended once the transaction ended; the server's
    /// (25P02 in a failed transaction) and the connection's.
    /// @code
    /// auto before_import = co_await tx.async_savepoint("before_import");
    /// auto [ec, n] = co_await tx.async_execute("INSERT INTO items SELECT * FROM staging",
    ///                                          asio::as_tuple(asio::deferred));
    /// if (ec) co_await tx.async_rollback_to(before_import);  // the transaction goes on
    /// else co_await tx.async_release(before_import);
    /// @endcode
    template <class Token = default_token>
    auto async_savepoint(std::string_view name, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, savepoint)>(
            [this](auto handler, detail::op_settings op, const std::string& n) {
                start_savepoint(*this, savepoint_handler(std::move(handler)), op, n);
            },
            token, detail::op_settings{}, std::string(name));
    }
    /// As above, with a generated name ("pgasio_sp_1", "pgasio_sp_2", ... in the transaction).
    template <class Token = default_token>
    requires(!std::is_convertible_v<Token, std::string_view>) auto async_savepoint(
        Token&& token = {}) {
        return async_savepoint(std::string_view(), std::forward<Token>(token));
    }

    /// Rolls back to `sp`: undoes what was done since it was made (a failed transaction works
    /// again), ends the savepoints made after it, and keeps `sp` (it can be rolled back to
    /// again). Completion signature: void(error_code). Errors: client_errc::savepoint_ended
    /// (nothing sent) when `sp` is not an active savepoint of this transaction; the server's and
    /// the connection's.
    template <class Token = default_token>
    auto async_rollback_to(const savepoint& sp, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [this](auto handler, detail::op_settings op, const savepoint& s) {
                start_end_savepoint(*this, void_handler(std::move(handler)), op, s, true);
            },
            token, detail::op_settings{}, std::cref(sp));
    }

    /// Releases `sp` (RELEASE SAVEPOINT): keeps what was done since, and ends `sp` and the
    /// savepoints made after it. Completion signature: void(error_code). Errors: as
    /// async_rollback_to's.
    template <class Token = default_token>
    auto async_release(const savepoint& sp, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [this](auto handler, detail::op_settings op, const savepoint& s) {
                start_end_savepoint(*this, void_handler(std::move(handler)), op, s, false);
            },
            token, detail::op_settings{}, std::cref(sp));
    }

    /// Runs `fn(*this)` inside a savepoint made for it: released when `fn` succeeds (its work
    /// stays, to commit with the transaction), rolled back to and released when `fn` fails
    /// with an error or exception, which then propagates, the transaction going on as it was
    /// before the scope. Scopes nest (`fn` may open its own). Completion signature:
    /// void(std::exception_ptr, T), as async_transaction's: the default token makes `co_await`
    /// return what `fn` returned or throw what failed. Throws pgasio::error with
    /// client_errc::lease_ended (from this call) on an empty transaction.
    /// @code
    /// for (const auto& item : items) {
    ///     try {
    ///         co_await tx.async_savepoint_scope([&](pgasio::transaction& t) ->
    ///         asio::awaitable<void> {
    ///             co_await t.async_execute("INSERT INTO items VALUES ($1, $2)", item.id,
    ///             item.name);
    ///         });
    ///     } catch (const pgasio::error& e) {
    ///         rejected.push_back(item.id); // the rest of the transaction is kept
    ///     }
    /// }
    /// @endcode
    template <transaction_function Fn, class Token = boost::asio::deferred_t>
    auto async_savepoint_scope(Fn fn, Token&& token = {}) {
        return detail::async_spawn(conn().get_executor(),
                                   detail::run_savepoint_scope(*this, std::move(fn)),
                                   std::forward<Token>(token));
    }

private:
    friend class connection;
    friend class pool; // its transactions' COMMIT gives the connection back once queued
    transaction(exclusive_lease lease, std::shared_ptr<detail::transaction_state> state) noexcept
        : exclusive_lease(std::move(lease))
        , state_(std::move(state)) {}

    using void_handler = boost::asio::any_completion_handler<void(error_code)>;
    using savepoint_handler = boost::asio::any_completion_handler<void(error_code, savepoint)>;
    using begin_handler = boost::asio::any_completion_handler<void(error_code, transaction)>;
    static void start_begin(connection& conn, begin_handler handler, const detail::op_settings& op,
                            const transaction_options& options);
    static void start_commit(transaction& tx, void_handler handler, const detail::op_settings& op);
    static void start_rollback(transaction& tx, void_handler handler,
                               const detail::op_settings& op);
    static void start_savepoint(transaction& tx, savepoint_handler handler,
                                const detail::op_settings& op, const std::string& name);
    static void start_end_savepoint(transaction& tx, void_handler handler,
                                    const detail::op_settings& op, const savepoint& sp,
                                    bool rollback);
    // Ends the transaction on the client side: the lease goes, savepoints end.
    void finish() noexcept;
    // Ends, with nothing sent, a transaction whose BEGIN never went out (nothing to commit or
    // roll back) or failed (COMMIT fails with BEGIN's error), answering `handler`: true then.
    bool ends_unsent(bool commit, void_handler& handler, diagnostics* diag);

    std::shared_ptr<detail::transaction_state> state_;
};

template <class Token>
auto connection::async_begin(const transaction_options& options, Token&& token) {
    return boost::asio::async_initiate<Token, void(error_code, transaction)>(
        [this](auto handler, detail::op_settings op, const transaction_options& opts) {
            transaction::start_begin(*this, transaction::begin_handler(std::move(handler)), op,
                                     opts);
        },
        token, detail::op_settings{}, options);
}

/// How async_transaction runs its function again after a serialization failure or a deadlock:
/// at most `max_attempts` runs in all, the n-th retry after a pause drawn at random between half
/// and all of min(max_backoff, initial_backoff × 2^(n-1)) (exponential backoff with jitter, so
/// that the transactions that collided do not collide again in step).
struct retry_options {
    /// Runs in all, the first included (0 is taken as 1: no retry).
    unsigned max_attempts = 5;
    /// The pause before the first retry (at most; at least half of it).
    std::chrono::milliseconds initial_backoff{10};
    /// The longest pause between two runs.
    std::chrono::milliseconds max_backoff{1000};
};

namespace detail {
/// The pause before retry number `retry` (1 for the first), as retry_options describes.
std::chrono::milliseconds retry_delay(const retry_options& options, unsigned retry);

template <class Fn, class R>
boost::asio::awaitable<R> run_savepoint_scope(transaction& tx, Fn fn) {
    savepoint sp = co_await tx.async_savepoint();
    std::exception_ptr failure;
    try {
        if constexpr (std::is_void_v<R>) {
            co_await fn(tx);
            co_await tx.async_release(sp);
            co_return;
        } else {
            R value = co_await fn(tx);
            co_await tx.async_release(sp);
            co_return value;
        }
    } catch (...) {
        failure = std::current_exception();
    }
    // (No co_await inside a handler.) Back to where the scope began; when even that fails,
    // the transaction has failed and its COMMIT will say so. Also when the scope failed by
    // being cancelled: this coroutine (spawned for the scope alone) would otherwise throw at
    // every co_await from then on, leaving the scope's work in the transaction.
    co_await boost::asio::this_coro::reset_cancellation_state(boost::asio::disable_cancellation());
    auto [ec] = co_await tx.async_rollback_to(sp, boost::asio::as_tuple(boost::asio::deferred));
    if (!ec) co_await tx.async_release(sp, boost::asio::as_tuple(boost::asio::deferred));
    std::rethrow_exception(failure);
}

/// run_transaction's connection, the same for every attempt.
struct connection_session {
    connection& conn;
    /// The connection an attempt runs on: this one, at once.
    auto async_take() const { return boost::asio::deferred_t::values(&conn); }
    /// Commits `tx`.
    static auto async_commit(transaction& tx, connection*) { return tx.async_commit(); }
};

/// Runs `fn` in transactions until one commits (see async_transaction). `Session` gives each
/// attempt its connection and commits: `async_take()` is an operation completing with a handle
/// that points to the connection and holds it for the attempt (connection* or
/// pooled_connection), `async_commit(tx, handle)` commits `tx` (and may give the handle's
/// connection up as soon as the COMMIT is queued).
template <class Fn, class R = transaction_result_t<Fn>, class Session>
boost::asio::awaitable<R> run_transaction(Session session, transaction_options options,
                                          retry_options retry, Fn fn) {
    for (unsigned attempt = 1;; ++attempt) {
        // Made before the co_await: built inside the co_await's expression, an initiation's
        // shared_ptr was released once too often in GCC 12's code (a use after free).
        auto take = session.async_take();
        auto held = co_await std::move(take);
        transaction tx = co_await held->async_begin(options);
        std::exception_ptr failure;
        error_code code;
        try {
            if constexpr (std::is_void_v<R>) {
                co_await fn(tx);
                co_await Session::async_commit(tx, held);
                co_return;
            } else {
                R value = co_await fn(tx);
                co_await Session::async_commit(tx, held);
                co_return value;
            }
        } catch (const boost::system::system_error& e) {
            failure = std::current_exception();
            code = e.code();
        } catch (...) {
            failure = std::current_exception();
        }
        // (No co_await inside a handler.) A failed COMMIT has already ended the transaction:
        // rolling back then sends nothing.
        co_await tx.async_rollback(boost::asio::as_tuple(boost::asio::deferred));
        held = {}; // not held through the pause
        if (!is_retryable(code) || attempt >= retry.max_attempts) std::rethrow_exception(failure);
        boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor,
                                        retry_delay(retry, attempt));
        co_await pause.async_wait(boost::asio::as_tuple(boost::asio::deferred));
    }
}
} // namespace detail

/// Runs `fn(tx)` in a transaction begun with `options` on `conn`, then commits, and completes
/// with what `fn` returned. When `fn` or the COMMIT fails with an error is_retryable() accepts
/// (40001 serialization_failure, 40P01 deadlock_detected), the transaction is rolled back and
/// `fn` run again in a new one, after a pause (see retry_options), up to retry.max_attempts
/// runs; the last failure then propagates. Any other error or exception, from `fn` or the
/// COMMIT, rolls the transaction back and propagates as it was: client_errc::commit_in_doubt
/// (the transaction may have committed) is never retried. `fn` may run several times: it must
/// do nothing outside the transaction that should not be repeated, and must not keep the
/// transaction beyond its own end.
///
/// Completion signature: void(std::exception_ptr, T) (void(std::exception_ptr) for void): the
/// default token makes `co_await` return T or throw what failed (pgasio::error, with the
/// server's diagnostics, for the driver's errors). `fn` is moved in; `conn` must outlive the
/// operation.
///
/// @code
/// co_await pgasio::async_transaction(
///     conn, {.isolation = pgasio::isolation_level::serializable},
///     [&](pgasio::transaction& tx) -> asio::awaitable<void> {
///         co_await tx.async_execute("UPDATE accounts SET balance = balance - 100 WHERE id = 1");
///         co_await tx.async_execute("UPDATE accounts SET balance = balance + 100 WHERE id = 2");
///     });
/// @endcode
template <transaction_function Fn, class Token = boost::asio::deferred_t>
auto async_transaction(connection& conn, const transaction_options& options,
                       const retry_options& retry, Fn fn, Token&& token = {}) {
    return detail::async_spawn(
        conn.get_executor(),
        detail::run_transaction(detail::connection_session{conn}, options, retry, std::move(fn)),
        std::forward<Token>(token));
}
/// As above, with the default retry_options.
template <transaction_function Fn, class Token = boost::asio::deferred_t>
auto async_transaction(connection& conn, const transaction_options& options, Fn fn,
                       Token&& token = {}) {
    return async_transaction(conn, options, retry_options{}, std::move(fn),
                             std::forward<Token>(token));
}
/// As above, with the server's default transaction modes.
template <transaction_function Fn, class Token = boost::asio::deferred_t>
auto async_transaction(connection& conn, Fn fn, Token&& token = {}) {
    return async_transaction(conn, transaction_options{}, retry_options{}, std::move(fn),
                             std::forward<Token>(token));
}

} // namespace pgasio
