#include "cluster_impl.hpp"
#include "topology.hpp"

#include <pgasio/with_diagnostics.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <ostream>
#include <vector>

namespace pgasio {
namespace {

// The configuration of one member's pool: the cluster's, with that host alone. Which server
// it must be is the cluster's business, not the connection's.
config member_config(const config& cfg, const host_spec& host) {
    config one = cfg;
    one.hosts = {host};
    // Each member's pool reports under its own name: without a name given, the pool's own
    // default (its server) is one already.
    if (!cfg.pool.name.empty()) one.pool.name = cfg.pool.name + "/" + to_string(host);
    one.replicas.clear();
    one.target_session_attrs = session_attrs::any;
    return one;
}

} // namespace

namespace detail {

cluster_impl::cluster_impl(boost::asio::any_io_executor executor, const config& made_with,
                           const cluster_options& opts)
    : ex(std::move(executor))
    , strand(boost::asio::make_strand(ex))
    , cfg(made_with)
    , options(opts)
    , observer(cfg.observer ? cfg.observer : default_observer())
    , timer(strand) {
    std::vector<host_spec> hosts = cfg.hosts;
    hosts.insert(hosts.end(), cfg.replicas.begin(), cfg.replicas.end());
    for (const auto& host : hosts) {
        cluster_member m{std::make_unique<pool>(ex, member_config(cfg, host)), {}};
        m.status.host = host;
        members.push_back(std::move(m));
    }
    // Until the members have answered, the first host is taken for the primary.
    primary = 0;
}

void cluster_impl::request_recheck() {
    boost::asio::post(strand, [self = shared_from_this()] {
        self->recheck_requested = true;
        self->timer.cancel();
    });
}

namespace {

cluster_target no_target(cluster_impl& impl, client_errc code, std::string why) {
    ++impl.counters.unroutable;
    return {nullptr, false, make_error_code(code), std::move(why)};
}

cluster_target to_member(cluster_impl& impl, std::size_t i, bool to_primary) {
    ++impl.members[i].status.requests;
    return {impl.members[i].connections.get(), to_primary, {}, {}};
}

} // namespace

cluster_target cluster_route(cluster_impl& impl, const intent& in) {
    std::lock_guard lock(impl.mutex);
    if (impl.closed)
        return {nullptr, false, make_error_code(client_errc::pool_closed),
                "the cluster is closing or closed"};
    if (!in.is_write()) {
        const std::size_t n = impl.members.size();
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t i = (impl.next_replica + k) % n;
            const auto& s = impl.members[i].status;
            if (!s.takes_reads || (in.token() && s.replayed < *in.token())) continue;
            impl.next_replica = i + 1;
            ++impl.counters.replica_reads;
            if (impl.observer) impl.observer->routed(server_role::standby);
            return to_member(impl, i, false);
        }
        if (!in.token() && !impl.options.reads_fall_back_to_primary)
            return no_target(impl, client_errc::no_replica,
                             "no replica of the cluster qualifies for reads (all unreachable or "
                             "past the lag limits), and reads may not fall back to the primary");
    }
    if (!impl.primary) {
        // A replica may have been promoted since the last look.
        impl.request_recheck();
        return no_target(impl, client_errc::no_primary,
                         "no member of the cluster is a reachable primary (a re-check is on its "
                         "way)");
    }
    if (in.is_write()) {
        ++impl.counters.primary_writes;
    } else {
        ++impl.counters.primary_reads;
        if (impl.members.size() > 1) ++impl.counters.fallbacks;
    }
    if (impl.observer) impl.observer->routed(server_role::primary);
    return to_member(impl, *impl.primary, true);
}

cluster_target cluster_route_or_throw(cluster_impl& impl, const intent& in) {
    auto target = cluster_route(impl, in);
    if (!target.target) {
        diagnostics diag;
        diag.message = std::move(target.why);
        throw error(target.ec, std::move(diag));
    }
    return target;
}

void cluster_request_done(cluster_impl& impl, const cluster_target& target,
                          const error_code& ec) noexcept {
    // 25006 from the primary: it is one no longer. A broken connection or a pool that cannot
    // open one: the member may be gone. Either way the roles may have changed.
    const bool demoted = target.to_primary && ec == sqlstate::read_only_sql_transaction;
    if (demoted || is_fatal(ec) || ec == client_errc::pool_timeout) impl.request_recheck();
}

boost::asio::any_io_executor cluster_executor(const cluster_impl& impl) noexcept {
    return impl.ex;
}

boost::asio::awaitable<wal_lsn> cluster_write_position(std::shared_ptr<cluster_impl> impl) {
    pool& primary = *cluster_route_or_throw(*impl, intent::write()).target;
    auto lease = co_await primary.async_acquire();
    co_return co_await async_current_wal_lsn(*lease);
}

boost::asio::awaitable<pooled_connection> cluster_acquire(std::shared_ptr<cluster_impl> impl,
                                                          intent in) {
    const auto target = cluster_route_or_throw(*impl, in);
    diagnostics diag;
    auto [ec, lease] = co_await target.target->async_acquire(
        diagnostics_into(diag, boost::asio::as_tuple(boost::asio::deferred)));
    // A member that gives no connection may be gone: the cluster looks again. (What goes wrong
    // on the lease later is the caller's to see: the cluster does not.)
    cluster_request_done(*impl, target, ec);
    if (ec) throw error(ec, std::move(diag));
    co_return std::move(lease);
}

void cluster_stop(cluster_impl& impl) noexcept {
    {
        std::lock_guard lock(impl.mutex);
        impl.closed = true;
    }
    impl.request_recheck(); // the loop sees `closed` and ends
}

boost::asio::awaitable<void> cluster_close(std::shared_ptr<cluster_impl> impl,
                                           std::chrono::milliseconds deadline) {
    cluster_stop(*impl);
    // All at once: every pool refuses new requests from now on, and `deadline` bounds the whole
    // close, not each pool's in turn.
    using close_op = decltype(std::declval<pool&>().async_close(deadline, boost::asio::deferred));
    std::vector<close_op> closes;
    closes.reserve(impl->members.size());
    for (auto& m : impl->members)
        closes.push_back(m.connections->async_close(deadline, boost::asio::deferred));
    co_await boost::asio::experimental::make_parallel_group(std::move(closes))
        .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::deferred);
}

} // namespace detail

cluster::cluster(executor_type ex, const config& cfg, cluster_options options)
    : impl_(std::make_shared<detail::cluster_impl>(std::move(ex), cfg, options)) {
    boost::asio::co_spawn(impl_->strand, detail::recheck_loop(impl_), boost::asio::detached);
}

cluster::~cluster() {
    if (impl_) detail::cluster_stop(*impl_);
}

cluster& cluster::operator=(cluster&& other) noexcept {
    if (this != &other) {
        if (impl_) detail::cluster_stop(*impl_);
        impl_ = std::move(other.impl_);
    }
    return *this;
}

cluster::executor_type cluster::get_executor() const noexcept {
    return impl_->ex;
}

const config& cluster::get_config() const noexcept {
    return impl_->cfg;
}

cluster_stats cluster::stats() const {
    cluster_stats out;
    {
        std::lock_guard lock(impl_->mutex);
        out = impl_->counters;
        for (const auto& m : impl_->members)
            out.members.push_back(m.status);
    }
    for (std::size_t i = 0; i < out.members.size(); ++i)
        out.members[i].pool = impl_->members[i].connections->stats();
    return out;
}

} // namespace pgasio
