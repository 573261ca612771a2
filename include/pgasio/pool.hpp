// A pool of connections to one server: shared (pipelined) requests and exclusive leases.
#pragma once

#include <pgasio/config.hpp>
#include <pgasio/connection.hpp>
#include <pgasio/detail/async_spawn.hpp>
#include <pgasio/detail/owned_param.hpp>
#include <pgasio/detail/pool_waiter.hpp>
#include <pgasio/pool_stats.hpp>
#include <pgasio/pooled_connection.hpp>
#include <pgasio/secret_string.hpp>
#include <pgasio/transaction.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>

#include <boost/assert/source_location.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace pgasio {

/// Asked for the password of each new connection a pool opens, with the configuration it is
/// for: rotating secrets (a cloud provider's short-lived IAM token, a vault lease) then need no
/// restart. Runs on the pool's executor; an exception fails that connection attempt (and is
/// reported as a connect failure with its message).
using credential_provider = std::function<boost::asio::awaitable<secret_string>(const config&)>;

/// Called once for each lease held past pool_options::leak_threshold, with where it was
/// acquired and how long it has been held so far.
using leak_handler =
    std::function<void(const boost::source_location& where, std::chrono::milliseconds held)>;

/// A pool of connections to the server(s) of one configuration, used in two ways:
///
/// - Shared: `co_await pool.async_query(...)` (and execute, query_one, query_opt, query_as)
///   runs on the least-loaded open connection that is not leased, pipelined there with the
///   other coroutines' requests, as on a shared pgasio::connection: 64 coroutines share 8
///   connections without waiting for one to be free. Each request runs on its own (its own
///   implicit transaction), so only what needs no session state goes this way.
/// - Leased: `co_await pool.async_acquire()` gives a pooled_connection, a connection for the
///   caller alone (transactions, COPY, LISTEN, SET, temporary tables), given back when the
///   handle goes; `pool.async_transaction(fn)` runs a transaction function on one.
///
/// Sizing and lifetimes come from the configuration's pool_options: min_connections are kept
/// open (opened in the background from the start), at most max_connections are open, at most
/// max_connecting are being opened at once (failed attempts back off, with jitter); a
/// connection idle for idle_timeout is closed (never below min_connections), one older than
/// max_lifetime (±10%, so that they do not all go at once) is closed when next idle; idle
/// connections are checked every health_check_interval, a leased one idle for over a second is
/// checked before it is handed out; a broken one (closed by the server, a fatal error) is
/// dropped and replaced. Callers that find no connection wait in one FIFO queue for at most
/// acquire_timeout, then fail with client_errc::pool_timeout and a message giving the pool's
/// state and the last connection error. Every query has the configuration's query_timeout
/// unless given its own (pgasio::with_timeout).
///
/// Every operation may be started from any thread, and the pool's state is guarded; with an
/// executor run by several threads, set pool_options::thread_safe. Operations take any
/// completion token, as pgasio::connection's do (the default makes `co_await` return the result
/// or throw pgasio::error). Destroying the pool fails its waiters with client_errc::pool_closed
/// and closes its idle connections at once, without waiting for the others: a connection with
/// requests in flight closes once they are answered, a leased one when it comes back. Prefer
/// async_close(), which waits for them (up to a deadline) and completes once all are closed.
/// Leases may outlive the pool object.
///
/// @code
/// auto cfg = pgasio::config::builder("postgresql://app@db1/shop").pool_size(2, 8).build();
/// pgasio::pool db(co_await asio::this_coro::executor, cfg.value());
/// auto rows = co_await db.async_query("SELECT name FROM users WHERE id = $1", 42);
/// co_await db.async_transaction([&](pgasio::transaction& tx) -> asio::awaitable<void> {
///     co_await tx.async_execute("UPDATE accounts SET balance = balance - 100 WHERE id = 1");
///     co_await tx.async_execute("UPDATE accounts SET balance = balance + 100 WHERE id = 2");
/// });
/// co_await db.async_close();
/// @endcode
class pool {
public:
    /// The executor the pool's own work (and, unless thread_safe, its connections) runs on.
    using executor_type = boost::asio::any_io_executor;

    /// A pool of connections made with `cfg` (copied), running on `ex`; it starts opening
    /// cfg.pool.min_connections at once. Throws pgasio::error (client_errc::pool_closed is never
    /// thrown here) with config::validate()'s explanation when `cfg` is not valid.
    pool(const executor_type& ex, config cfg);
    /// As above, on `ctx`'s executor (e.g. an io_context).
    template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
    pool(ExecutionContext& ctx, config cfg)
        : pool(executor_type(ctx.get_executor()), std::move(cfg)) {}
    /// Closes the pool without waiting (see the class comment).
    ~pool();
    /// Takes `other`'s pool; `other` is left empty (only destruction and assignment).
    pool(pool&&) noexcept = default;
    /// Closes this pool as the destructor does, then takes `other`'s.
    pool& operator=(pool&& other) noexcept;
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    /// The executor the pool's own work runs on.
    executor_type get_executor() const noexcept;
    /// The configuration the pool's connections are opened with.
    const config& get_config() const noexcept;
    /// Asks `provider` for the password of every connection opened from now on (instead of the
    /// configuration's).
    void set_credential_provider(credential_provider provider);
    /// Replaces the report of leaked leases (pool_options::leak_threshold). The default writes
    /// one line to stderr: where the lease was acquired and for how long it has been held.
    void set_leak_handler(leak_handler handler);
    /// The pool's connections and counters now (see pool_stats).
    pool_stats stats() const;

    /// connection::async_query on a shared connection (see the class comment). Completion
    /// signature: void(error_code, result). Errors: the connection's; client_errc::pool_timeout
    /// when no connection could be had within acquire_timeout, pool_closed after async_close or
    /// destruction, operation_aborted when cancelled while waiting.
    ///
    /// As with a connection, the parameters need only outlive this call: a request that waits
    /// for a connection keeps its own copy of what a std::string_view, a C string or a std::span
    /// among them points at. (A pgasio::named parameter's name stays a view, as it always is.)
    /// The same holds for the other shared operations below.
    template <class... Args>
    auto async_query(std::string_view sql, Args&&... args) {
        return initiate_shared<void(error_code, result)>(
            [](connection& c, std::string_view s, auto&&... a) { return c.async_query(s, a...); },
            sql, std::forward<Args>(args)...);
    }
    /// connection::async_execute on a shared connection (errors as async_query's).
    template <class... Args>
    auto async_execute(std::string_view sql, Args&&... args) {
        return initiate_shared<void(error_code, std::uint64_t)>(
            [](connection& c, std::string_view s, auto&&... a) { return c.async_execute(s, a...); },
            sql, std::forward<Args>(args)...);
    }
    /// connection::async_query_one on a shared connection (errors as async_query's).
    template <class... Args>
    auto async_query_one(std::string_view sql, Args&&... args) {
        return initiate_shared<void(error_code, result)>(
            [](connection& c, std::string_view s, auto&&... a) {
                return c.async_query_one(s, a...);
            },
            sql, std::forward<Args>(args)...);
    }
    /// connection::async_query_opt on a shared connection (errors as async_query's).
    template <class... Args>
    auto async_query_opt(std::string_view sql, Args&&... args) {
        return initiate_shared<void(error_code, result)>(
            [](connection& c, std::string_view s, auto&&... a) {
                return c.async_query_opt(s, a...);
            },
            sql, std::forward<Args>(args)...);
    }
    /// connection::async_query_as on a shared connection (errors as async_query's).
    template <class T, class... Args>
    auto async_query_as(std::string_view sql, Args&&... args) {
        return initiate_shared<void(error_code, std::vector<T>)>(
            [](connection& c, std::string_view s, auto&&... a) {
                return c.template async_query_as<T>(s, a...);
            },
            sql, std::forward<Args>(args)...);
    }
    /// connection::query_stream on a shared connection, as an operation: it completes (once a
    /// connection is there) with the row_stream, whose rows come from its async_next. The
    /// connection counts as busy until the stream and its query are done. Completion
    /// signature: void(error_code, row_stream). Errors: async_query's waiting errors; the
    /// query's own come from async_next.
    /// @code
    /// auto rows = co_await db.async_query_stream("SELECT id FROM big_table");
    /// for (pgasio::result part; !(part = co_await rows.async_next()).empty();)
    ///     for (auto row : part) use(row.get<std::int64_t>(0));
    /// @endcode
    template <class... Args>
    auto async_query_stream(std::string_view sql, Args&&... args) {
        return initiate_shared<void(error_code, row_stream)>(detail::pool_stream_op{}, sql,
                                                             std::forward<Args>(args)...);
    }

    /// A connection for the caller alone (see pooled_connection), waiting in the pool's queue
    /// when none is free. Completion signature: void(error_code, pooled_connection). Errors:
    /// client_errc::pool_timeout after acquire_timeout (the message gives the pool's state),
    /// pool_closed, operation_aborted when the wait is cancelled. `where` is reported if the
    /// lease leaks (pool_options::leak_threshold).
    template <class Token = default_token>
    auto async_acquire(Token&& token = {}, boost::source_location where = BOOST_CURRENT_LOCATION) {
        return boost::asio::async_initiate<Token, void(error_code, pooled_connection)>(
            acquire_initiation{impl_}, token, detail::op_settings{}, where);
    }

    /// A lease of an idle connection taken now, or an empty handle (valid() is false) when
    /// none can be had without waiting: no connection is idle, other callers already wait for
    /// one (they come first), the idle one is due for its check (pool_options::check_idle_after),
    /// or the pool is closing. Never waits, never blocks on I/O, never throws; the lease is the
    /// same as async_acquire's. Being no asynchronous operation, it costs no completion: use it
    /// as the fast path in front of async_acquire where acquires are frequent. `where` is
    /// reported if the lease leaks.
    ///
    /// @code
    /// auto conn = db.try_acquire();
    /// if (!conn.valid()) conn = co_await db.async_acquire();
    /// @endcode
    pooled_connection try_acquire(boost::source_location where = BOOST_CURRENT_LOCATION);

    /// pgasio::async_transaction on a leased connection: acquires one, runs `fn` in a
    /// transaction begun with `options`, commits, gives the connection back. Each run (again
    /// after serialization failures and deadlocks, as `retry` says) has a lease of its own,
    /// given back before the pause that precedes the next. The lease is given back as soon as
    /// the COMMIT is queued, not once it is answered: the next lease's first request (another
    /// transaction's BEGIN) is written right behind it, as for transactions on a connection
    /// (transaction::async_commit); the COMMIT's answer still decides the outcome. (The lease
    /// is kept until the answer when the pool would close the connection at once: broken,
    /// past its max_lifetime, or the pool closing.) Completion signature:
    /// void(std::exception_ptr, T), as async_transaction's; errors: async_acquire's (a run
    /// after a serialization failure may end with pool_timeout, for one) and
    /// async_transaction's.
    template <transaction_function Fn, class Token = boost::asio::deferred_t>
    auto async_transaction(const transaction_options& options, const retry_options& retry, Fn fn,
                           Token&& token = {}) {
        using R = detail::transaction_result_t<Fn>;
        return detail::async_spawn(get_executor(),
                                   run_transaction<R>(impl_, options, retry, std::move(fn)),
                                   std::forward<Token>(token));
    }
    /// As above, with the default retry_options.
    template <transaction_function Fn, class Token = boost::asio::deferred_t>
    auto async_transaction(const transaction_options& options, Fn fn, Token&& token = {}) {
        return async_transaction(options, retry_options{}, std::move(fn),
                                 std::forward<Token>(token));
    }
    /// As above, with the server's default transaction modes.
    template <transaction_function Fn, class Token = boost::asio::deferred_t>
    auto async_transaction(Fn fn, Token&& token = {}) {
        return async_transaction(transaction_options{}, retry_options{}, std::move(fn),
                                 std::forward<Token>(token));
    }

    /// Closes the pool gracefully: from now on its operations fail with client_errc::pool_closed
    /// (waiters too); the requests in flight and the leases out are given until `deadline` to
    /// finish and come back; then every connection says goodbye (Terminate) and closes, and the
    /// requests still unanswered (a lease's too) fail with pool_closed, the message naming the
    /// deadline. Completion signature: void(error_code) (never fails).
    template <class Token = default_token>
    auto async_close(std::chrono::milliseconds deadline = std::chrono::seconds(30),
                     Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [impl = impl_](auto handler, detail::op_settings, std::chrono::milliseconds d) {
                start_close(impl, close_handler(std::move(handler)), d);
            },
            token, detail::op_settings{}, deadline);
    }

private:
    using close_handler = boost::asio::any_completion_handler<void(error_code)>;
    static void start_close(const std::shared_ptr<detail::pool_impl>& impl, close_handler handler,
                            std::chrono::milliseconds deadline);

    // The least-loaded connection for a shared request now (its load already counted), or
    // none (null connection) when the caller has to wait.
    struct shared_pick {
        std::shared_ptr<detail::pool_slot> slot;
        connection* conn = nullptr;
    };
    static shared_pick pick_shared(detail::pool_impl& impl);
    // An idle connection leased at once (null when the caller has to wait, or the connection
    // has to be checked first); reported to the observer unless `op` says unobserved.
    static connection* lease_now(detail::pool_impl& impl, std::shared_ptr<detail::pool_slot>& slot,
                                 const detail::op_settings& op,
                                 const boost::source_location& where);
    // Queues `w` (or fails it when the pool is closed).
    static void wait(const std::shared_ptr<detail::pool_impl>& impl,
                     std::unique_ptr<detail::pool_waiter> w);

    // Runs `op(conn, sql, params..., token)` on a shared connection: at once when one is
    // there (the parameters are not copied), else from the queue once one is, with copies that
    // own what views point at (detail::owned_param): the caller's need only outlive the call,
    // as a connection's do.
    template <class Signature, class Op>
    struct shared_initiation;
    template <class Value, class Op>
    struct shared_initiation<void(error_code, Value), Op> {
        std::shared_ptr<detail::pool_impl> impl;
        template <class Handler, class... Params>
        void operator()(Handler&& handler, const detail::op_settings& op, std::string_view sql,
                        const Params&... params) const {
            using handler_type = std::decay_t<Handler>;
            auto picked = pick_shared(*impl);
            if (picked.conn) {
                Op{}(*picked.conn, sql, params...,
                     detail::with_settings(
                         op, detail::pool_counted_handler<handler_type>{
                                 std::forward<Handler>(handler), std::move(picked.slot)}));
                return;
            }
            auto launch = [sql = std::string(sql),
                           copies = std::tuple<detail::owned_param_t<Params>...>(
                               detail::owned_param(params)...)](connection& c, auto token) mutable {
                std::apply([&](const auto&... p) { Op{}(c, sql, p..., std::move(token)); }, copies);
            };
            wait(impl,
                 std::make_unique<detail::shared_waiter<Value, handler_type, decltype(launch)>>(
                     std::forward<Handler>(handler), op, std::move(launch)));
        }
    };
    template <class Signature, class Op, class... Args>
    auto initiate_shared(Op, std::string_view sql, Args&&... args) {
        return detail::split_token(
            [&](auto& token, const auto&... params) {
                return boost::asio::async_initiate<std::remove_reference_t<decltype(token)>,
                                                   Signature>(
                    shared_initiation<Signature, Op>{impl_}, token, detail::op_settings{}, sql,
                    params...);
            },
            std::forward<Args>(args)...);
    }

    struct acquire_initiation {
        std::shared_ptr<detail::pool_impl> impl;
        template <class Handler>
        void operator()(Handler&& handler, const detail::op_settings& op,
                        boost::source_location where) const {
            std::shared_ptr<detail::pool_slot> slot;
            if (connection* conn = lease_now(*impl, slot, op, where))
                return detail::hand_lease(handler, impl, std::move(slot), *conn);
            wait(impl, std::make_unique<detail::lease_waiter<std::decay_t<Handler>>>(
                           std::forward<Handler>(handler), op, where));
        }
    };

    // run_transaction's attempts: each on a connection leased for it, given back as soon as
    // its COMMIT is queued.
    struct transaction_session {
        std::shared_ptr<detail::pool_impl> impl;
        // With the default token, as async_acquire's: a failure throws the pgasio::error that
        // explains it (the pool's state for a timeout, the last connection error).
        auto async_take() const {
            default_token token;
            return boost::asio::async_initiate<default_token, void(error_code, pooled_connection)>(
                acquire_initiation{impl}, token, detail::op_settings{}, BOOST_CURRENT_LOCATION);
        }
        static boost::asio::awaitable<void> async_commit(transaction& tx, pooled_connection& conn) {
            return commit_handing_over(tx, conn);
        }
    };
    // Commits `tx` and gives `conn` back once the COMMIT is queued, before its answer: the
    // connection's next user (another transaction's BEGIN) is written right behind it, as on a
    // connection shared by transactions. `conn` is kept until the answer when the pool would
    // close the connection now (broken, its lifetime over, the pool closing): closing it would
    // cut the COMMIT off.
    static boost::asio::awaitable<void> commit_handing_over(transaction& tx,
                                                            pooled_connection& conn);

    // Static, holding the pool's state: the operation may start after the pool object that
    // made it was moved from (a deferred operation awaited later).
    template <class R, class Fn>
    static boost::asio::awaitable<R> run_transaction(std::shared_ptr<detail::pool_impl> impl,
                                                     transaction_options options,
                                                     retry_options retry, Fn fn) {
        return detail::run_transaction<Fn, R>(transaction_session{std::move(impl)}, options, retry,
                                              std::move(fn));
    }

    std::shared_ptr<detail::pool_impl> impl_;
};

} // namespace pgasio
