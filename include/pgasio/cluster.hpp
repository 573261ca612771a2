// A router over one pool per server of a replication cluster: writes to the primary, reads to
// replicas that are close enough behind it, roles and lag discovered and kept up to date.
#pragma once

#include <pgasio/config.hpp>
#include <pgasio/detail/async_spawn.hpp>
#include <pgasio/detail/split_token.hpp>
#include <pgasio/pool.hpp>
#include <pgasio/server_role.hpp>
#include <pgasio/wal_lsn.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h> // formatter<string_view>::format, which the formatters below use

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio {

/// Where a request goes. The default rule: `execute` and transactions that may write go to the
/// primary, `query` to a replica; an intent given to the call overrides it.
class intent {
public:
    /// A replica that qualifies (reachable, within the lag limits), else the primary (unless
    /// cluster_options::reads_fall_back_to_primary is off).
    static constexpr intent read() noexcept { return intent(false, {}); }
    /// The primary.
    static constexpr intent write() noexcept { return intent(true, {}); }
    /// A replica known to have replayed WAL up to `token` (from cluster::async_write_position
    /// after a write), so that the read sees that write; else the primary (whatever
    /// reads_fall_back_to_primary says: the primary always sees it).
    static constexpr intent read_your_writes(wal_lsn token) noexcept {
        return intent(false, token);
    }

    /// True for write().
    [[nodiscard]] constexpr bool is_write() const noexcept { return write_; }
    /// The read-your-writes token, if any.
    [[nodiscard]] constexpr std::optional<wal_lsn> token() const noexcept { return token_; }

private:
    constexpr intent(bool write, std::optional<wal_lsn> token) noexcept
        : write_(write)
        , token_(token) {}
    bool write_;
    std::optional<wal_lsn> token_;
};

/// How a cluster routes and how often it looks at its members.
struct cluster_options {
    /// How often every member's role and lag are measured again. A write that fails with
    /// 25006 read_only_sql_transaction, or because the primary cannot be reached, makes the
    /// cluster look at once. Zero: only then (and on async_refresh()).
    std::chrono::milliseconds recheck_interval{std::chrono::seconds(5)};
    /// A replica more than this many bytes of WAL behind the primary takes no reads until it
    /// catches up (as measured at the latest re-check). Zero: no limit.
    std::uint64_t max_lag_bytes = 16 * 1024 * 1024;
    /// A replica whose last replayed transaction is older than this while it has WAL waiting
    /// takes no reads until it catches up. Zero: no limit.
    std::chrono::milliseconds max_lag{std::chrono::seconds(10)};
    /// When no replica qualifies for a read: true, it goes to the primary (counted in
    /// cluster_stats::fallbacks); false, it fails with client_errc::no_replica.
    bool reads_fall_back_to_primary = true;
    /// The bound of each member's probe (role, lag, latency) in re-checks and health checks.
    /// A probe runs on a connection leased from the member's pool: a member whose every
    /// connection stays leased for longer than this looks unreachable until one comes back.
    std::chrono::milliseconds probe_timeout{std::chrono::seconds(5)};
};

/// What the cluster knows of one member, as of its latest probe.
struct member_status {
    host_spec host;                               ///< the member
    std::optional<server_role> role;              ///< nullopt until a probe has answered
    bool reachable = false;                       ///< its latest probe answered in time
    std::chrono::microseconds latency{0};         ///< how long its latest probe took
    std::uint64_t lag_bytes = 0;                  ///< a standby's WAL behind the primary
    std::chrono::duration<double> lag_seconds{0}; ///< a standby's replay delay
    wal_lsn replayed;           ///< a standby's replay position; a primary's WAL position
    bool takes_reads = false;   ///< a reachable standby within the lag limits
    std::string error;          ///< why the latest probe failed; empty when it did not
    std::uint64_t requests = 0; ///< requests routed to it
    pool_stats pool;            ///< its pool
};

/// A cluster's routing counters (since it was made) and its members now.
struct cluster_stats {
    std::uint64_t primary_writes = 0;   ///< requests with a write intent, sent to the primary
    std::uint64_t replica_reads = 0;    ///< reads sent to a replica
    std::uint64_t primary_reads = 0;    ///< reads sent to the primary (fallbacks included)
    std::uint64_t fallbacks = 0;        ///< reads that went to the primary for want of a replica
    std::uint64_t failovers = 0;        ///< times another member became the primary
    std::uint64_t rechecks = 0;         ///< times every member was probed
    std::uint64_t unroutable = 0;       ///< requests failed with a client_errc
    std::vector<member_status> members; ///< every member, in configuration order
};

/// The answer of cluster::async_health_check.
struct cluster_health {
    /// The primary answered in time (the cluster can take writes).
    bool healthy = false;
    /// How long the whole check took (its probes run at once).
    std::chrono::microseconds latency{0};
    /// The primary's status, when a member is the primary.
    std::optional<member_status> primary;
    /// Every other member (standbys, and members that did not answer).
    std::vector<member_status> replicas;
};

/// A summary line, then one per member, e.g.
/// `healthy latency=2134µs\n  primary db1:5432 latency=812µs wal=0/3000148 pool: open=1 ...`
/// (durations as fmt writes them; a standby outside the lag limits says "(takes no reads)").
std::string to_string(const cluster_health& health);
/// Writes to_string(health).
std::ostream& operator<<(std::ostream& os, const cluster_health& health);

namespace detail {
class cluster_impl;

// A routing decision: the pool to use (kept alive by the member it belongs to), or why there
// is none.
struct cluster_target {
    pool* target = nullptr;
    bool to_primary = false;
    error_code ec;
    std::string why;
};
// Where a request with intent `in` goes now (counted in the cluster's statistics).
cluster_target cluster_route(cluster_impl& impl, const intent& in);
// Where `in` routes to (its target set); throws pgasio::error with the client_errc when there
// is no member to route to.
cluster_target cluster_route_or_throw(cluster_impl& impl, const intent& in);
boost::asio::any_io_executor cluster_executor(const cluster_impl& impl) noexcept;
boost::asio::awaitable<wal_lsn> cluster_write_position(std::shared_ptr<cluster_impl> impl);
boost::asio::awaitable<pooled_connection> cluster_acquire(std::shared_ptr<cluster_impl> impl,
                                                          intent in);
boost::asio::awaitable<void> cluster_refresh(std::shared_ptr<cluster_impl> impl);
boost::asio::awaitable<cluster_health> cluster_health_check(std::shared_ptr<cluster_impl> impl,
                                                            std::chrono::milliseconds timeout);
boost::asio::awaitable<void> cluster_close(std::shared_ptr<cluster_impl> impl,
                                           std::chrono::milliseconds deadline);
// The bookkeeping once a routed request completed with `ec` (a re-check when it says the
// primary is gone or read-only).
void cluster_request_done(cluster_impl& impl, const cluster_target& target,
                          const error_code& ec) noexcept;

// Completes a request that could not be routed with the client_errc `target` gives, its
// explanation in the caller's diagnostics; on the handler's executor, through `ex`, never inline.
template <class Value, class Handler>
void fail_unrouted(Handler&& handler, const op_settings& op, const boost::asio::any_io_executor& ex,
                   const cluster_target& target) {
    if (op.diag) {
        *op.diag = diagnostics{};
        op.diag->message = target.why;
    }
    auto own = boost::asio::get_associated_executor(handler, ex);
    boost::asio::post(ex, boost::asio::bind_executor(
                              own, [h = std::forward<Handler>(handler), ec = target.ec]() mutable {
                                  std::move(h)(ec, Value{});
                              }));
}

// A routed request's handler: tells the cluster how it went, then calls the caller's handler.
template <class Handler>
struct cluster_observer {
    Handler handler;
    std::shared_ptr<cluster_impl> impl;
    cluster_target target;

    template <class... Args>
    void operator()(error_code ec, Args&&... args) {
        cluster_request_done(*impl, target, ec);
        impl.reset();
        std::move(handler)(ec, std::forward<Args>(args)...);
    }
};
} // namespace detail

/// A replication cluster seen as one database: one pgasio::pool per member (the hosts and
/// replicas of its configuration), requests routed by intent.
///
/// Routing: `async_execute` goes to the primary, `async_query` to a replica that qualifies, in
/// turn; an intent given first overrides that (`async_query(pgasio::intent::write(), ...)`). A
/// replica qualifies while it answers and is within cluster_options' lag limits; a read with
/// no replica to go to goes to the primary, or fails (reads_fall_back_to_primary).
/// Read-your-writes: `async_write_position()` after a write gives a token; a read with
/// `intent::read_your_writes(token)` goes to a replica that has replayed past it, else to the
/// primary. Transactions go to the primary unless read-only.
///
/// Discovery: no member's role is taken on trust. Every recheck_interval each member is asked
/// whether it is in recovery and how far behind it is (bounded by probe_timeout); the one that
/// is not in recovery is the primary, so a promoted replica becomes the primary without a
/// restart. A write that fails with 25006 read_only_sql_transaction or because the primary is
/// unreachable makes the cluster look at once (the write itself fails: it may not be safe to
/// run again). Until the first look has answered, the first host is taken for the primary and
/// no replica takes reads; async_refresh() waits for a look.
///
/// Thread safety, cancellation and completion tokens: as pool's; operations may be started from
/// any thread. Destroying the cluster closes its pools without waiting for requests in flight;
/// prefer async_close().
///
/// @code
/// auto cfg = pgasio::config::builder("postgresql://app@db1/shop")
///                .add_replica("postgresql://app@db2/shop")
///                .build();
/// pgasio::cluster db(co_await asio::this_coro::executor, cfg.value());
/// co_await db.async_execute("UPDATE users SET name = $1 WHERE id = $2", "Ada", 42); // primary
/// auto token = co_await db.async_write_position();
/// auto rows = co_await db.async_query(pgasio::intent::read_your_writes(token),
///                                     "SELECT name FROM users WHERE id = $1", 42);
/// fmt::print("{}\n", co_await db.async_health_check());
/// @endcode
class cluster {
public:
    /// The executor the cluster's own work and its pools run on.
    using executor_type = boost::asio::any_io_executor;

    /// A cluster of `cfg`'s hosts and replicas (config::replicas), each with a pool of its
    /// own made from `cfg` (its pool_options apply to each; target_session_attrs does not: a
    /// member's pool connects to it whatever its role), running on `ex`; the first look at the
    /// members starts at once. Throws pgasio::error, as pool's constructor does, when `cfg` is
    /// not valid.
    cluster(executor_type ex, const config& cfg, cluster_options options = {});
    /// Stops the re-checks; the pools close at once when the last operation has finished.
    ~cluster();
    /// Takes `other`'s cluster; `other` is left empty (only destruction and assignment).
    cluster(cluster&&) noexcept = default;
    /// Lets go of this cluster as the destructor does, then takes `other`'s.
    cluster& operator=(cluster&& other) noexcept;
    cluster(const cluster&) = delete;
    cluster& operator=(const cluster&) = delete;

    /// The executor the cluster's own work runs on.
    executor_type get_executor() const noexcept;
    /// The configuration the cluster was made with: its hosts, then its replicas
    /// (config::replicas), are its members.
    const config& get_config() const noexcept;
    /// Routing counters and what is known of each member now.
    cluster_stats stats() const;

    /// pool::async_query on a replica that qualifies (intent::read()). Completion signature:
    /// void(error_code, result). Errors: the pool's, and client_errc::no_primary / no_replica
    /// when there is nowhere to send it.
    template <class... Args>
    auto async_query(std::string_view sql, Args&&... args) {
        return async_query(intent::read(), sql, std::forward<Args>(args)...);
    }
    /// pool::async_query where `in` says.
    template <class... Args>
    auto async_query(const intent& in, std::string_view sql, Args&&... args) {
        return initiate_routed<void(error_code, result)>(
            in,
            [](pool& p, std::string_view s, auto&&... a) {
                return p.async_query(s, std::forward<decltype(a)>(a)...);
            },
            sql, std::forward<Args>(args)...);
    }
    /// pool::async_query_one on a replica that qualifies (errors as async_query's).
    template <class... Args>
    auto async_query_one(std::string_view sql, Args&&... args) {
        return async_query_one(intent::read(), sql, std::forward<Args>(args)...);
    }
    /// pool::async_query_one where `in` says.
    template <class... Args>
    auto async_query_one(const intent& in, std::string_view sql, Args&&... args) {
        return initiate_routed<void(error_code, result)>(
            in,
            [](pool& p, std::string_view s, auto&&... a) {
                return p.async_query_one(s, std::forward<decltype(a)>(a)...);
            },
            sql, std::forward<Args>(args)...);
    }
    /// pool::async_execute on the primary (intent::write()). Completion signature:
    /// void(error_code, std::uint64_t). Errors as async_query's.
    template <class... Args>
    auto async_execute(std::string_view sql, Args&&... args) {
        return async_execute(intent::write(), sql, std::forward<Args>(args)...);
    }
    /// pool::async_execute where `in` says.
    template <class... Args>
    auto async_execute(const intent& in, std::string_view sql, Args&&... args) {
        return initiate_routed<void(error_code, std::uint64_t)>(
            in,
            [](pool& p, std::string_view s, auto&&... a) {
                return p.async_execute(s, std::forward<decltype(a)>(a)...);
            },
            sql, std::forward<Args>(args)...);
    }

    /// The primary's WAL position now: taken after a write has returned, a token for
    /// intent::read_your_writes (every transaction committed before is at or before it).
    /// Completion signature: void(std::exception_ptr, wal_lsn); the exception is a
    /// pgasio::error (client_errc::no_primary, or the query's).
    template <class Token = boost::asio::deferred_t>
    auto async_write_position(Token&& token = {}) {
        return detail::async_spawn(get_executor(), detail::cluster_write_position(impl_),
                                   std::forward<Token>(token));
    }

    /// pool::async_acquire on the member `in` says (the primary by default): a connection for
    /// the caller alone. Completion signature: void(std::exception_ptr, pooled_connection); the
    /// exception is a pgasio::error (a client_errc, or the pool's).
    template <class Token = boost::asio::deferred_t>
    auto async_acquire(const intent& in = intent::write(), Token&& token = {}) {
        return detail::async_spawn(get_executor(), detail::cluster_acquire(impl_, in),
                                   std::forward<Token>(token));
    }

    /// pool::async_transaction on the primary, or on a replica that qualifies for a read-only
    /// transaction (options.access == access_mode::read_only). Completion signature:
    /// void(std::exception_ptr, T), as pool's.
    template <transaction_function Fn, class Token = boost::asio::deferred_t>
    auto async_transaction(const transaction_options& options, Fn fn, Token&& token = {}) {
        using R = detail::transaction_result_t<Fn>;
        return detail::async_spawn(get_executor(),
                                   run_transaction<R>(impl_, options, std::move(fn)),
                                   std::forward<Token>(token));
    }
    /// As above, with the server's default transaction modes: on the primary.
    template <transaction_function Fn, class Token = boost::asio::deferred_t>
    auto async_transaction(Fn fn, Token&& token = {}) {
        return async_transaction(transaction_options{}, std::move(fn), std::forward<Token>(token));
    }

    /// Probes every member now (role, lag, latency; each bounded by probe_timeout) and routes
    /// by what they answered. Completion signature: void(std::exception_ptr) (never fails: a
    /// member that does not answer is marked so).
    template <class Token = boost::asio::deferred_t>
    auto async_refresh(Token&& token = {}) {
        return detail::async_spawn(get_executor(), detail::cluster_refresh(impl_),
                                   std::forward<Token>(token));
    }

    /// Probes every member now, each bounded by `timeout` (as async_refresh does, the answers
    /// updating the routing too), and reports: healthy when the primary answered, each member's
    /// role, latency, lag and pool statistics. Completion signature:
    /// void(std::exception_ptr, cluster_health) (never fails).
    template <class Token = boost::asio::deferred_t>
    auto async_health_check(std::chrono::milliseconds timeout = std::chrono::seconds(5),
                            Token&& token = {}) {
        return detail::async_spawn(get_executor(), detail::cluster_health_check(impl_, timeout),
                                   std::forward<Token>(token));
    }

    /// Stops the re-checks and closes every pool at once (pool::async_close with `deadline`,
    /// which so bounds the whole close): from its start, requests routed to any member fail
    /// with client_errc::pool_closed. Completion signature: void(std::exception_ptr) (never
    /// fails).
    template <class Token = boost::asio::deferred_t>
    auto async_close(std::chrono::milliseconds deadline = std::chrono::seconds(30),
                     Token&& token = {}) {
        return detail::async_spawn(get_executor(), detail::cluster_close(impl_, deadline),
                                   std::forward<Token>(token));
    }

private:
    // Static, holding the cluster's state: the operation may start after the cluster object
    // that made it was moved from (a deferred operation awaited later).
    template <class R, class Fn>
    static boost::asio::awaitable<R> run_transaction(std::shared_ptr<detail::cluster_impl> impl,
                                                     transaction_options options, Fn fn) {
        const bool read_only = options.access == access_mode::read_only;
        const auto target =
            detail::cluster_route_or_throw(*impl, read_only ? intent::read() : intent::write());
        std::exception_ptr failure;
        try {
            co_return co_await target.target->async_transaction(options, std::move(fn),
                                                                boost::asio::deferred);
        } catch (const boost::system::system_error& e) {
            // (No co_await in a handler.) A 25006 or a lost member makes the cluster look again,
            // as a shared request's failure does; not a 25006 of a read-only transaction, which
            // says nothing of the server's role.
            auto reported = target;
            if (read_only) reported.to_primary = false;
            detail::cluster_request_done(*impl, reported, e.code());
            failure = std::current_exception();
        }
        std::rethrow_exception(failure);
    }

    // Runs `op(pool, sql, params..., token)` on the pool the intent routes to, or fails the
    // caller with the client_errc that says why there is none.
    template <class Signature, class Op>
    struct routed_initiation;
    template <class Value, class Op>
    struct routed_initiation<void(error_code, Value), Op> {
        std::shared_ptr<detail::cluster_impl> impl;
        intent in;
        template <class Handler, class... Params>
        void operator()(Handler&& handler, const detail::op_settings& op, std::string_view sql,
                        const Params&... params) const {
            auto target = detail::cluster_route(*impl, in);
            if (!target.target) {
                detail::fail_unrouted<Value>(std::forward<Handler>(handler), op,
                                             detail::cluster_executor(*impl), target);
                return;
            }
            pool& p = *target.target;
            Op{}(p, sql, params...,
                 detail::with_settings(
                     op, detail::cluster_observer<std::decay_t<Handler>>{
                             std::forward<Handler>(handler), impl, std::move(target)}));
        }
    };
    template <class Signature, class Op, class... Args>
    auto initiate_routed(const intent& in, Op, std::string_view sql, Args&&... args) {
        return detail::split_token(
            [&](auto& token, const auto&... params) {
                return boost::asio::async_initiate<std::remove_reference_t<decltype(token)>,
                                                   Signature>(
                    routed_initiation<Signature, Op>{impl_, in}, token, detail::op_settings{}, sql,
                    params...);
            },
            std::forward<Args>(args)...);
    }

    std::shared_ptr<detail::cluster_impl> impl_;
};

} // namespace pgasio

/// Formats a cluster_health as to_string() does.
template <>
struct fmt::formatter<pgasio::cluster_health> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(const pgasio::cluster_health& health, FormatContext& ctx) const
        -> decltype(ctx.out()) {
        return fmt::formatter<std::string_view>::format(pgasio::to_string(health), ctx);
    }
};

// A routed request's handler keeps the caller's executor, cancellation slot and allocator.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, pgasio::detail::cluster_observer<Handler>,
                               DefaultCandidate> : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type
    get(const pgasio::detail::cluster_observer<Handler>& h) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler);
    }
    static auto get(const pgasio::detail::cluster_observer<Handler>& h,
                    const DefaultCandidate& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c)) {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};
