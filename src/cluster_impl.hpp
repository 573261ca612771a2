// The state a pgasio::cluster shares with its operations and its re-check loop.
#pragma once

#include <pgasio/cluster.hpp>
#include <pgasio/observer.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace pgasio::detail {

// One member: its pool (made once, never moved: routed requests hold a pointer to it) and what
// the latest probe said of it.
struct cluster_member {
    std::unique_ptr<pool> connections;
    member_status status; // guarded by cluster_impl::mutex; status.pool is filled on reading
};

// What a probe of one member found.
struct probe_result {
    std::optional<server_role> role;
    bool answered = false;
    std::chrono::microseconds latency{0};
    std::uint64_t pending_bytes = 0; // a standby's WAL received, not replayed
    std::chrono::duration<double> replay_delay{0};
    wal_lsn position; // a standby's replay position, a primary's WAL position
    std::string error;
};

class cluster_impl : public std::enable_shared_from_this<cluster_impl> {
public:
    cluster_impl(boost::asio::any_io_executor executor, const config& made_with,
                 const cluster_options& opts);

    const boost::asio::any_io_executor ex;
    // Runs the re-check loop, its timer and the probes' bookkeeping.
    const boost::asio::strand<boost::asio::any_io_executor> strand;
    // What the cluster was made with (cluster::get_config).
    const config cfg;
    const cluster_options options;
    // Where routing decisions are reported (null: nowhere).
    const std::shared_ptr<pgasio::observer> observer;
    // Hosts, then replicas; fixed from construction on.
    std::vector<cluster_member> members;

    // Guards what follows, and each member's status.
    mutable std::mutex mutex;
    std::optional<std::size_t> primary; // the member writes go to
    // The member last found to be the primary, kept while none is (a failover usually passes
    // through rounds with no primary: the old one gone, the new one not promoted yet).
    std::optional<std::size_t> last_primary;
    bool discovered = false;      // a probe round has answered
    std::size_t next_replica = 0; // where the round robin of reads resumes
    cluster_stats counters;       // the counters; `members` unused
    bool closed = false;

    // Strand only.
    boost::asio::steady_timer timer;
    bool recheck_requested = false;

    // Makes the re-check loop look at the members now (from any thread).
    void request_recheck();
    // Takes a probe round's answers (one per member) into the routing.
    void apply(const std::vector<probe_result>& results);
};

// Ends the re-checks (the pools live on until the last operation holding the state ends).
void cluster_stop(cluster_impl& impl) noexcept;

// Probes every member at once, each bounded by `timeout`, and applies the answers. Runs on
// impl->strand.
boost::asio::awaitable<void> refresh(std::shared_ptr<cluster_impl> impl,
                                     std::chrono::milliseconds timeout);
// Re-checks every recheck_interval, and when asked, until the cluster is closed.
boost::asio::awaitable<void> recheck_loop(std::shared_ptr<cluster_impl> impl);

} // namespace pgasio::detail
