// The state behind a pgasio::pool.
#pragma once

#include "connection_impl.hpp"
#include "waiter_line.hpp"

#include <pgasio/pool.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <boost/assert/source_location.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pgasio::detail {

/// What a pool reads of its connections from any thread.
struct pool_access {
    /// The session is open (false once the server closed it or a fatal error broke it).
    static bool is_open(const connection& c) noexcept { return c.impl_ && c.impl_->open; }
    /// Answers every request of `c` still unanswered with `ec` and `diag` and marks the session
    /// closed (its socket is left for async_close). On the connection's executor.
    static void give_up(connection& c, error_code ec, const diagnostics& diag) {
        if (is_open(c)) c.impl_->shut_down(ec, diag);
    }
    /// `c`, whose lease came back with its COMMIT unwritten, goes to a waiting lease: see
    /// connection_impl::hold_writes_for_next_section (only from the connection's executor).
    static void hold_writes_for_next_section(connection& c) {
        if (c.impl_ && c.impl_->on_executor()) c.impl_->hold_writes_for_next_section();
    }
    /// What a row stream shares with its request.
    static stream_state* state(row_stream& s) noexcept { return s.state_.get(); }
};

using clock = std::chrono::steady_clock;

/// One of a pool's connections and what the pool knows of it.
struct pool_slot {
    explicit pool_slot(const asio::any_io_executor& ex)
        : conn(ex) {}

    enum class state {
        opening, ///< being connected
        shared,  ///< open, taking shared requests (and leases)
        leased,  ///< open, held by a pooled_connection
        closing, ///< on its way out: no longer in the pool's list
    };

    connection conn;
    // Under the pool's lock:
    state st = state::opening;
    clock::time_point opened_at{};
    clock::time_point expires_at = clock::time_point::max(); ///< max_lifetime, with jitter
    clock::time_point leased_at{};
    boost::source_location leased_where{};
    bool leak_reported = false;
    // Without the lock (touched as each shared request is answered):
    /// Shared requests (and the pool's own checks) routed here, not answered yet.
    std::atomic<std::size_t> outstanding{0};
    /// COMMITs not answered yet of transactions whose lease came back as the COMMIT was
    /// queued (pool_impl::give_back_committing). Meanwhile the connection may be leased again
    /// or take shared requests (written behind the COMMIT), but is not closed.
    std::atomic<std::size_t> committing{0};
    /// clock ticks when the connection was last used (a request answered, a lease returned).
    std::atomic<clock::rep> last_used{0};

    clock::time_point idle_since() const noexcept {
        return clock::time_point(clock::duration(last_used.load(std::memory_order_relaxed)));
    }
    void touch(clock::time_point now = clock::now()) noexcept {
        last_used.store(now.time_since_epoch().count(), std::memory_order_relaxed);
    }
};

/// Owned through a shared_ptr by the pool object, its leases and its own background work.
///
/// One mutex guards the lists and counters; connections are used outside it. The pool's own
/// work (opening connections, the maintenance loop, timers) runs on `executor`.
class pool_impl : public std::enable_shared_from_this<pool_impl> {
public:
    pool_impl(const asio::any_io_executor& ex, config cfg);

    /// Starts the maintenance loop (which opens min_connections).
    void start();
    /// The pool object is gone: fail the waiters, close what is not in use.
    void shut_down() noexcept;
    /// The least-loaded shared connection, its load counted (null when there is none).
    connection* pick_shared(std::shared_ptr<pool_slot>& slot);
    /// An idle connection leased at once, when no one waits and it needs no check first (null
    /// otherwise: the caller waits).
    connection* lease_now(std::shared_ptr<pool_slot>& slot, const boost::source_location& where);
    /// Serves `w` as soon as a connection is there (posted, never inline, for a lease).
    void wait(std::unique_ptr<pool_waiter> w);
    /// A lease came back.
    void give_back(const std::shared_ptr<pool_slot>& slot) noexcept;
    /// A lease's transaction is about to queue its COMMIT, after which the lease is to come
    /// back at once (give_back_committing): the COMMIT is counted in pool_slot::committing
    /// (pool_commit_done on its answer is the caller's). False, and nothing done, when the pool
    /// would close the connection as it came back (broken, its lifetime over, the pool
    /// closing), which would cut the COMMIT off: the lease is to come back with give_back
    /// after the answer.
    bool claim_commit(const std::shared_ptr<pool_slot>& slot) noexcept;
    /// A lease comes back, its COMMIT (claim_commit) queued and unanswered: the connection
    /// serves others at once, and is not closed before the COMMIT is answered.
    void give_back_committing(const std::shared_ptr<pool_slot>& slot) noexcept;
    pool_stats stats() const;
    /// Tells the observer, if any, the pool's state now (observer::pool_state).
    void report_state() const;
    /// async_close's work.
    asio::awaitable<void> close(std::chrono::milliseconds deadline);

    void set_provider(credential_provider p);
    void set_leak_handler(leak_handler h);

    const asio::any_io_executor executor; ///< the pool's own work
    const config cfg;
    /// cfg with the observer the pool reports its acquires and its state to (null: none).
    const std::shared_ptr<const config> observed;
    /// What it is called in its reports of its state (pool_options::name, or host:port).
    const std::string name;
    /// The user-defined types its connections share (cfg.pool.types, or the pool's own).
    const std::shared_ptr<type_registry> types;

private:
    struct served {
        std::unique_ptr<pool_waiter> waiter;
        std::shared_ptr<pool_slot> slot;
    };
    struct failed {
        std::unique_ptr<pool_waiter> waiter;
        error_code ec;
        std::string why;
    };
    // What is decided under the lock and done after it.
    struct outcomes {
        std::vector<served> serve;
        std::vector<failed> fail;
        std::vector<std::shared_ptr<pool_slot>> close;
        std::vector<std::shared_ptr<pool_slot>> open;
        std::vector<std::shared_ptr<pool_slot>> ping;
        std::vector<std::shared_ptr<served>> check; ///< acquires to check for (in checks_)
        bool wake = false; ///< the maintenance loop must look again (a new earliest deadline)
        /// Nothing to do (a lease given back with no one waiting, the usual case): every field
        /// above is empty or false.
        bool empty() const noexcept {
            return serve.empty() && fail.empty() && close.empty() && open.empty() && ping.empty() &&
                   check.empty() && !wake;
        }
    };
    void carry_out(outcomes& o);
    /// give_back's work, and give_back_committing's when `committing`.
    void return_lease(const std::shared_ptr<pool_slot>& slot, bool committing) noexcept;
    /// Hands `checking->slot` to `checking->waiter` (an acquire, in checks_) once an empty query
    /// shows it still works.
    void check_then_lease(const std::shared_ptr<served>& checking);

    // All under the lock:
    /// Whether a connection is open (shared or leased).
    bool any_open() const;
    /// Fails every waiter in the queue with `ec`, `why` saying why.
    void fail_waiters(outcomes& o, error_code ec, const std::string& why);
    /// The open shared connection with the fewest requests in flight (null: none).
    std::shared_ptr<pool_slot> least_loaded() const;
    /// An idle connection: one that needs no check first (check_idle_after) if there is one,
    /// else one that does (null: none idle).
    std::shared_ptr<pool_slot> idle_slot(clock::time_point now) const;
    /// The connection for a lease wanted at `now` (null: none now; open_more may open one).
    std::shared_ptr<pool_slot> pick_for_lease(clock::time_point now);
    /// Marks `slot` leased from `now`, acquired at `where`.
    void lease(pool_slot& slot, clock::time_point now, const boost::source_location& where);
    /// Hands connections to the waiters that can have one, and opens more when they are owed.
    void dispatch(outcomes& o);
    /// Opens connections the waiters are owed at `now`, as max_connections, max_connecting
    /// and the backoff after failed connects allow.
    void open_more(outcomes& o, clock::time_point now);
    /// Opens one more connection, if max_connections and max_connecting allow.
    void grow(outcomes& o);
    /// A slot for a new connection, on its executor.
    std::shared_ptr<pool_slot> new_slot() const;
    /// Closing: no more operations, the waiters fail with pool_closed (`why`).
    void stop_taking(outcomes& o, const char* why);
    /// Takes `s` out of the pool: it will be closed.
    void retire(const std::shared_ptr<pool_slot>& s, outcomes& o);
    /// Housekeeping: timed-out waiters, broken, idle and expired connections, leaks, pings.
    void tidy(outcomes& o, std::vector<std::pair<boost::source_location, clock::duration>>& leaks);
    /// The counters and the gauges now (stats() without taking the lock).
    pool_stats snapshot() const;
    /// The gauges that explain a timed-out acquire, and the last connection error.
    std::string state_text() const;
    std::size_t count(pool_slot::state st) const;
    bool has_shared_waiter() const;
    clock::time_point next_wake() const;

    asio::awaitable<void> open_one(std::shared_ptr<pool_slot> slot);
    asio::awaitable<void> maintain();
    void wake_maintenance();
    /// Ends `w`'s wait when its caller cancels it, in line or while its connection is checked
    /// (see pool_waiter). Only in the caller's initiating function.
    void watch_cancellation(pool_waiter& w);
    /// Fails the waiter numbered `id` with operation_aborted, if it still waits.
    void cancel_wait(std::uint64_t id);

    const asio::any_io_executor conn_executor_; ///< connections' (strands of it when thread_safe)
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<pool_slot>> slots_; ///< opening, shared or leased
    waiter_line waiters_;
    /// The acquires given a connection that is being checked first (check_then_lease). An
    /// entry's waiter is null once the check's answer, a cancellation or acquire_timeout took
    /// it; the check's answer removes the entry.
    std::vector<std::shared_ptr<served>> checks_;
    std::uint64_t last_waiter_id_ = 0; ///< the number of the latest waiter (pool_waiter::id)
    bool closing_ = false;
    credential_provider provider_;
    leak_handler leak_handler_;
    pool_stats counters_; ///< its counters (the gauges are computed)
    std::string last_connect_error_;
    unsigned connect_failures_in_row_ = 0;
    clock::time_point backoff_until_{};
    clock::time_point next_ping_{};
    asio::steady_timer wake_; ///< the maintenance loop sleeps on it (used on `executor` only)
};

} // namespace pgasio::detail
