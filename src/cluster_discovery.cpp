// How a cluster finds out what its members are: a probe of each (role, lag, latency), bounded,
// all at once; the answers decide the primary and which replicas take reads.
#include "cluster_impl.hpp"
#include "topology.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ostream>

namespace pgasio::detail {
namespace {

using std::chrono::steady_clock;

// The role, lag or position of one member, on a connection of its pool. A connection idle since
// before a promotion still has in_hot_standby on: the lag query, which only a standby answers,
// tells.
boost::asio::awaitable<probe_result> probe(pool& p) {
    const auto start = steady_clock::now();
    probe_result r;
    // The probes are pgasio's own work, not the application's: no observer hears of them.
    auto lease = co_await p.async_acquire(detail::unobserved());
    r.role = co_await async_server_role(*lease);
    if (r.role == server_role::standby) {
        try {
            const standby_lag lag = co_await async_standby_lag(*lease);
            r.pending_bytes = lag.bytes;
            r.replay_delay = lag.seconds;
            r.position = lag.replayed;
        } catch (const error& e) {
            if (e.code() != client_errc::unexpected_null) throw;
            r.role = server_role::primary;
        }
    }
    if (r.role == server_role::primary) r.position = co_await async_current_wal_lsn(*lease);
    r.answered = true;
    r.latency = std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - start);
    co_return r;
}

// probe(p), given up after `timeout` (the probe is cancelled: a query sent is cancelled on the
// server, the connection stays in the pool).
boost::asio::awaitable<probe_result> bounded_probe(pool& p, std::chrono::milliseconds timeout) {
    using namespace boost::asio::experimental::awaitable_operators;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, timeout);
    probe_result r;
    try {
        auto first = co_await (probe(p) || timer.async_wait(boost::asio::use_awaitable));
        if (first.index() == 0) co_return std::get<0>(std::move(first));
        r.error = fmt::format("no answer within {}", timeout);
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    co_return r;
}

std::uint64_t bytes_between(wal_lsn from, wal_lsn to) {
    return to > from ? static_cast<std::uint64_t>(to - from) : 0;
}

} // namespace

void cluster_impl::apply(const std::vector<probe_result>& results) {
    std::lock_guard lock(mutex);
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < members.size(); ++i) {
        auto& s = members[i].status;
        const auto& r = results[i];
        s.reachable = r.answered;
        s.error = r.error;
        s.latency = r.latency;
        if (r.answered) s.role = r.role;
        s.replayed = r.position;
        // The primary it was, while it still is one; else the first that says it is one.
        const bool is_primary = r.answered && r.role == server_role::primary;
        if (is_primary && (!found || i == primary)) found = i;
    }
    if (found && last_primary && found != last_primary) ++counters.failovers;
    if (found)
        primary = last_primary = found;
    else if (discovered)
        primary.reset();
    // A plain value beside `found`, not a std::optional<wal_lsn>: GCC 12 at -O2 -g warns that
    // the optional's value may be used uninitialized (a false positive, an error with -Werror).
    const wal_lsn primary_position = found ? results[*found].position : wal_lsn{};
    for (std::size_t i = 0; i < members.size(); ++i) {
        auto& s = members[i].status;
        const auto& r = results[i];
        const bool standby = r.answered && r.role == server_role::standby;
        s.lag_bytes = !standby ? 0
                      : found  ? bytes_between(r.position, primary_position)
                               : r.pending_bytes;
        s.lag_seconds = standby ? r.replay_delay : std::chrono::duration<double>(0);
        s.takes_reads = standby &&
                        (options.max_lag_bytes == 0 || s.lag_bytes <= options.max_lag_bytes) &&
                        (options.max_lag.count() == 0 || s.lag_seconds <= options.max_lag);
    }
    discovered = true;
    ++counters.rechecks;
}

boost::asio::awaitable<void> refresh(std::shared_ptr<cluster_impl> impl,
                                     std::chrono::milliseconds timeout) {
    // Every probe at once, on the strand (so that `left` needs no lock); `done` wakes this
    // coroutine when the last has answered. The probes share what they fill in: a cancelled
    // refresh (a health check given up) ends before its probes do, which then finish into it.
    struct round {
        explicit round(const std::shared_ptr<cluster_impl>& c)
            : results(c->members.size())
            , left(results.size())
            , done(c->strand, steady_clock::time_point::max()) {}
        std::vector<probe_result> results;
        std::size_t left;
        boost::asio::steady_timer done;
    };
    auto r = std::make_shared<round>(impl);
    for (std::size_t i = 0; i < r->results.size(); ++i)
        boost::asio::co_spawn(
            impl->strand,
            [impl, r, i, timeout]() -> boost::asio::awaitable<void> {
                r->results[i] = co_await bounded_probe(*impl->members[i].connections, timeout);
                if (--r->left == 0) r->done.cancel();
            },
            boost::asio::detached);
    while (r->left != 0)
        co_await r->done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    impl->apply(r->results);
}

boost::asio::awaitable<void> recheck_loop(std::shared_ptr<cluster_impl> impl) {
    while (true) {
        {
            std::lock_guard lock(impl->mutex);
            if (impl->closed) co_return;
        }
        impl->recheck_requested = false;
        co_await refresh(impl, impl->options.probe_timeout);
        if (impl->recheck_requested) continue;
        const auto interval = impl->options.recheck_interval;
        if (interval.count() == 0)
            impl->timer.expires_at(steady_clock::time_point::max());
        else
            impl->timer.expires_after(interval);
        co_await impl->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
}

boost::asio::awaitable<cluster_health> cluster_health_check(std::shared_ptr<cluster_impl> impl,
                                                            std::chrono::milliseconds timeout) {
    const auto start = steady_clock::now();
    co_await boost::asio::co_spawn(impl->strand, refresh(impl, timeout),
                                   boost::asio::use_awaitable);
    cluster_health health;
    health.latency =
        std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - start);
    std::lock_guard lock(impl->mutex);
    for (std::size_t i = 0; i < impl->members.size(); ++i) {
        member_status s = impl->members[i].status;
        s.pool = impl->members[i].connections->stats();
        if (i == impl->primary && s.reachable)
            health.primary = std::move(s);
        else
            health.replicas.push_back(std::move(s));
    }
    health.healthy = health.primary.has_value();
    co_return health;
}

boost::asio::awaitable<void> cluster_refresh(std::shared_ptr<cluster_impl> impl) {
    co_await boost::asio::co_spawn(impl->strand, refresh(impl, impl->options.probe_timeout),
                                   boost::asio::use_awaitable);
}

} // namespace pgasio::detail

namespace pgasio {
namespace {

std::string describe(std::string_view what, const member_status& s) {
    std::string out = fmt::format("  {} {}", what, to_string(s.host));
    if (!s.reachable) return out + fmt::format(" unreachable: {}", s.error);
    out += fmt::format(" latency={}", s.latency);
    if (s.role == server_role::standby)
        out += fmt::format(" lag={} bytes, {:.3f} s{}", s.lag_bytes, s.lag_seconds.count(),
                           s.takes_reads ? "" : " (takes no reads)");
    else
        out += fmt::format(" wal={}", s.replayed);
    return out + fmt::format(" pool: {}", s.pool);
}

} // namespace

std::string to_string(const cluster_health& health) {
    std::string out =
        fmt::format("{} latency={}", health.healthy ? "healthy" : "unhealthy", health.latency);
    if (health.primary) out += "\n" + describe("primary", *health.primary);
    for (const auto& r : health.replicas)
        out += "\n" + describe(r.role ? to_string(*r.role) : "member", r);
    return out;
}

std::ostream& operator<<(std::ostream& os, const cluster_health& health) {
    return os << to_string(health);
}

} // namespace pgasio
