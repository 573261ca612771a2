// The connection pool: routing of shared requests, the wait queue, leases, and the background
// work that opens, checks and retires connections.
#include "observe.hpp"
#include "pool_impl.hpp"
#include "request_kinds.hpp"

#include <pgasio/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <ostream>
#include <random>

namespace pgasio {

namespace detail {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

// The longest the maintenance loop sleeps: it tidies up at least this often.
constexpr auto tidy_period = std::chrono::seconds(1);
// Failed connection attempts back off from this, doubling up to the cap (with jitter).
constexpr retry_options connect_backoff{0, std::chrono::milliseconds(100),
                                        std::chrono::seconds(10)};

// A connection attempt failed with an error that the next attempt will meet too, whoever asks
// for it: the server refused the credentials (SQLSTATE class 28) or the database (3D000).
// Waiting out acquire_timeout would only hide it. A credential provider's failure is not one: it
// may be a passing outage of the secret store.
bool refuses_everyone(error_code ec) {
    const std::string state = sqlstate_of(ec);
    return state.starts_with("28") || state == "3D000";
}

// max_lifetime ±10%, so that connections opened together do not all expire together.
clock::duration jittered_lifetime(std::chrono::milliseconds lifetime) {
    thread_local std::mt19937 rng{std::random_device{}()};
    std::uniform_real_distribution<double> factor(0.9, 1.1);
    return std::chrono::duration_cast<clock::duration>(lifetime * factor(rng));
}

// Whether a connection about to be leased has been idle long enough to be checked first
// (pool_options::check_idle_after): one round trip, against handing out a connection the server
// dropped meanwhile.
bool needs_check(const pool_slot& slot, clock::time_point now,
                 std::chrono::milliseconds check_idle_after) {
    return check_idle_after.count() > 0 && now - slot.idle_since() > check_idle_after;
}

void default_leak_report(const boost::source_location& where, std::chrono::milliseconds held) {
    fmt::print(stderr,
               "pgasio: a pooled connection acquired at {}:{} ({}) has been held for {} "
               "(pool_options::leak_threshold)\n",
               where.file_name(), where.line(), where.function_name(), held);
}

} // namespace

void pool_claim_stream(row_stream& stream, std::shared_ptr<pool_slot> slot) {
    if (!pool_access::state(stream)) return pool_request_done(*slot);
    pool_access::state(stream)->pool_claim = std::shared_ptr<void>(
        nullptr, [slot = std::move(slot)](void*) { pool_request_done(*slot); });
}

void pool_request_done(pool_slot& slot) noexcept {
    slot.touch();
    slot.outstanding.fetch_sub(1, std::memory_order_release);
}

namespace {

// A COMMIT counted in pool_slot::committing was answered (or its operation ended).
void pool_commit_done(pool_slot& slot) noexcept {
    slot.touch();
    slot.committing.fetch_sub(1, std::memory_order_release);
}

// Nothing in flight on `s`: no shared request, no COMMIT of a lease given back.
bool quiet(const pool_slot& s) noexcept {
    return s.outstanding.load(std::memory_order_acquire) == 0 &&
           s.committing.load(std::memory_order_acquire) == 0;
}

// `cfg` with the observer it reports to (its own, or the process's default), null without one.
std::shared_ptr<const config> observed_config(const config& cfg) {
    auto o = cfg.observer ? cfg.observer : default_observer();
    if (!o) return nullptr;
    auto c = std::make_shared<config>(cfg);
    c->observer = std::move(o);
    return c;
}

// pool_options::name, or the pool's server (`host:port`).
std::string pool_name(const config& cfg) {
    if (!cfg.pool.name.empty() || cfg.hosts.empty()) return cfg.pool.name;
    return to_string(cfg.hosts.front());
}

// Ends the report of an acquire that waited (`ec`: how the wait ended).
void end_acquire(pool_waiter& w, error_code ec) noexcept {
    if (!w.observed) return;
    operation_result r;
    r.ec = ec;
    w.observed->finish(r);
    w.observed.reset();
}

} // namespace

pool_impl::pool_impl(const asio::any_io_executor& ex, config c)
    : executor(c.pool.thread_safe ? asio::any_io_executor(asio::make_strand(ex)) : ex)
    , cfg(std::move(c))
    , observed(observed_config(cfg))
    , name(pool_name(cfg))
    , types(cfg.pool.types ? cfg.pool.types : std::make_shared<type_registry>())
    , conn_executor_(ex)
    , leak_handler_(default_leak_report)
    , wake_(executor) {}

void pool_impl::start() {
    asio::co_spawn(executor, maintain(), asio::detached);
}

void pool_impl::set_provider(credential_provider p) {
    std::lock_guard lock(mutex_);
    provider_ = std::move(p);
}

void pool_impl::set_leak_handler(leak_handler h) {
    std::lock_guard lock(mutex_);
    leak_handler_ = std::move(h);
}

std::size_t pool_impl::count(pool_slot::state st) const {
    return static_cast<std::size_t>(
        std::count_if(slots_.begin(), slots_.end(), [st](const auto& s) { return s->st == st; }));
}

bool pool_impl::has_shared_waiter() const {
    return waiters_.shared() != 0;
}

// Both look through the slots by pointer and copy the one found once: a shared_ptr copied at
// each better candidate cost two atomic operations per connection looked at, on every shared
// request.
std::shared_ptr<pool_slot> pool_impl::least_loaded() const {
    const std::shared_ptr<pool_slot>* best = nullptr;
    std::size_t best_load = 0;
    for (const auto& s : slots_) {
        if (s->st != pool_slot::state::shared || !pool_access::is_open(s->conn)) continue;
        const auto load = s->outstanding.load(std::memory_order_acquire);
        if (!best || load < best_load) {
            best = &s;
            best_load = load;
            if (load == 0) break;
        }
    }
    return best ? *best : nullptr;
}

std::shared_ptr<pool_slot> pool_impl::idle_slot(clock::time_point now) const {
    const std::shared_ptr<pool_slot>* due = nullptr;
    for (const auto& s : slots_) {
        if (s->st != pool_slot::state::shared || !pool_access::is_open(s->conn) ||
            s->outstanding.load(std::memory_order_acquire) != 0)
            continue;
        if (!needs_check(*s, now, cfg.pool.check_idle_after)) return s;
        if (!due) due = &s;
    }
    return due ? *due : nullptr;
}

connection* pool_impl::pick_shared(std::shared_ptr<pool_slot>& slot) {
    // Made only when the pool may grow: a busy pool is usually full, and this runs for every
    // shared request.
    std::optional<outcomes> grown;
    {
        std::lock_guard lock(mutex_);
        if (closing_) return nullptr;
        slot = least_loaded();
        if (!slot) return nullptr;
        // Even the least-loaded connection is busy: the request is pipelined behind another,
        // and the pool grows towards max_connections for the ones to come.
        if (slot->outstanding.fetch_add(1, std::memory_order_relaxed) != 0 &&
            slots_.size() < cfg.pool.max_connections)
            grow(grown.emplace());
        ++counters_.shared_requests;
    }
    if (grown && !grown->open.empty()) carry_out(*grown);
    return &slot->conn;
}

void pool_impl::grow(outcomes& o) {
    if (slots_.size() >= cfg.pool.max_connections || clock::now() < backoff_until_ ||
        count(pool_slot::state::opening) >= cfg.pool.max_connecting)
        return;
    auto slot = new_slot();
    slots_.push_back(slot);
    o.open.push_back(std::move(slot));
}

std::shared_ptr<pool_slot> pool_impl::new_slot() const {
    return std::make_shared<pool_slot>(
        cfg.pool.thread_safe ? asio::any_io_executor(asio::make_strand(conn_executor_))
                             : conn_executor_);
}

connection* pool_impl::lease_now(std::shared_ptr<pool_slot>& slot,
                                 const boost::source_location& where) {
    std::lock_guard lock(mutex_);
    if (closing_ || !waiters_.empty()) return nullptr; // first come, first served
    const auto now = clock::now();
    slot = idle_slot(now);
    if (!slot || needs_check(*slot, now, cfg.pool.check_idle_after)) return nullptr;
    lease(*slot, now, where);
    return &slot->conn;
}

void pool_impl::lease(pool_slot& slot, clock::time_point now, const boost::source_location& where) {
    slot.st = pool_slot::state::leased;
    slot.leased_at = now;
    slot.leased_where = where;
    slot.leak_reported = false;
    ++counters_.acquires;
}

std::shared_ptr<pool_slot> pool_impl::pick_for_lease(clock::time_point now) {
    if (auto idle = idle_slot(now)) return idle;
    // Rather than take a connection busy with shared requests, open one more while allowed
    // (open_more counts this waiter).
    if (slots_.size() < cfg.pool.max_connections) return nullptr;
    return least_loaded();
}

void pool_impl::dispatch(outcomes& o) {
    const auto now = clock::now();
    while (!waiters_.empty()) {
        auto& w = waiters_.front();
        auto slot = w.exclusive ? pick_for_lease(now) : least_loaded();
        if (!slot) break;
        if (w.exclusive) {
            lease(*slot, now, w.where);
        } else {
            slot->outstanding.fetch_add(1, std::memory_order_relaxed);
            ++counters_.shared_requests;
        }
        // The wait it had, once (a waiter back in line after a failed check is not counted
        // again).
        if (w.queued && !w.wait_recorded) {
            w.wait_recorded = true;
            const auto waited = now - w.started;
            std::size_t bucket = 0;
            while (bucket < pool_stats::wait_buckets.size() &&
                   waited > pool_stats::wait_buckets[bucket])
                ++bucket;
            ++counters_.wait_histogram[bucket];
        }
        if (w.exclusive && needs_check(*slot, now, cfg.pool.check_idle_after)) {
            // Among the checks from now, where cancel_wait and the tidy-up find it.
            checks_.push_back(std::make_shared<served>(served{waiters_.take_front(), slot}));
            o.check.push_back(checks_.back());
            o.wake = true; // its acquire_timeout may be the earliest deadline now
        } else {
            o.serve.push_back({waiters_.take_front(), std::move(slot)});
        }
    }
    open_more(o, now);
}

void pool_impl::open_more(outcomes& o, clock::time_point now) {
    // A full pool opens nothing (the target is at most max_connections): the common case of a
    // busy pool, asked at every hand-over, need not count its slots.
    if (closing_ || slots_.size() >= cfg.pool.max_connections) return;
    const auto opening = count(pool_slot::state::opening);
    const auto open = slots_.size() - opening;
    // What the waiters are owed: a connection each for the acquires, one for shared requests
    // when no connection takes them.
    std::size_t owed = waiters_.exclusive();
    if (has_shared_waiter() && !least_loaded()) ++owed;
    const auto target =
        std::min(cfg.pool.max_connections, std::max(cfg.pool.min_connections, open + owed));
    if (now < backoff_until_) return; // the maintenance loop tries again then
    for (auto n = opening; slots_.size() < target && n < cfg.pool.max_connecting; ++n) {
        auto slot = new_slot();
        slots_.push_back(slot);
        o.open.push_back(std::move(slot));
    }
}

bool pool_impl::any_open() const {
    return std::any_of(slots_.begin(), slots_.end(), [](const auto& s) {
        return s->st == pool_slot::state::shared || s->st == pool_slot::state::leased;
    });
}

void pool_impl::fail_waiters(outcomes& o, error_code ec, const std::string& why) {
    for (auto& w : waiters_.take_all())
        o.fail.push_back({std::move(w), ec, why});
}

void pool_impl::retire(const std::shared_ptr<pool_slot>& s, outcomes& o) {
    s->st = pool_slot::state::closing;
    std::erase(slots_, s);
    o.close.push_back(s);
}

void pool_impl::carry_out(outcomes& o) {
    if (o.empty()) return;
    auto self = shared_from_this();
    for (auto& f : o.fail) {
        end_acquire(*f.waiter, f.ec);
        f.waiter->fail(executor, f.ec, f.why);
    }
    for (auto& s : o.serve) {
        end_acquire(*s.waiter, {});
        s.waiter->serve(self, s.slot, s.slot->conn);
    }
    for (auto& c : o.check)
        check_then_lease(c);
    for (auto& s : o.open)
        asio::co_spawn(executor, open_one(s), asio::detached);
    for (auto& s : o.close)
        s->conn.async_close([s](error_code) {});
    for (auto& s : o.ping)
        s->conn.async_simple_query("", [s](error_code, const std::vector<result>&) {
            // A failed check broke the connection: the next tidy-up drops it.
            pool_request_done(*s);
        });
    if (o.wake) wake_maintenance();
}

void pool_impl::check_then_lease(const std::shared_ptr<served>& checking) {
    // The waiter's cancellation (cancel_wait) and its acquire_timeout (the tidy-up) still apply
    // while the check runs, up to query_timeout on a server that does not answer: either ends
    // the wait at once, and the connection, whatever the check finds, is the pool's again.
    auto& conn = checking->slot->conn;
    conn.async_simple_query(
        "", [self = shared_from_this(), checking](error_code ec, const std::vector<result>&) {
            std::unique_ptr<pool_waiter> waiter;
            {
                std::lock_guard lock(self->mutex_);
                waiter = std::move(checking->waiter);
                std::erase(self->checks_, checking);
            }
            if (!ec) {
                if (!waiter) return self->give_back(checking->slot); // cancelled meanwhile
                end_acquire(*waiter, {});
                return waiter->serve(self, checking->slot, checking->slot->conn);
            }
            // The server dropped it meanwhile: the waiter goes back to the head of the line.
            outcomes o;
            {
                std::lock_guard lock(self->mutex_);
                ++self->counters_.closed_error;
                if (waiter) --self->counters_.acquires; // granted, never handed out
                if (checking->slot->st == pool_slot::state::leased) self->retire(checking->slot, o);
                if (!waiter) {
                    self->dispatch(o); // a replacement, if owed
                } else if (self->closing_) {
                    o.fail.push_back(
                        {std::move(waiter), client_errc::pool_closed, "the pool was closed"});
                } else {
                    // It waits now, if it was served at once (its acquire_timeout still counts
                    // from when it was asked for).
                    if (!waiter->queued) {
                        waiter->queued = true;
                        ++self->counters_.waited;
                    }
                    self->waiters_.push_front(std::move(waiter));
                    o.wake = true; // its acquire_timeout may be the earliest deadline now
                    self->dispatch(o);
                }
            }
            self->carry_out(o);
        });
}

void pool_impl::watch_cancellation(pool_waiter& w) {
    auto slot = w.cancellation_slot();
    if (slot.is_connected())
        slot.assign([weak = weak_from_this(), id = w.id](asio::cancellation_type) {
            if (auto self = weak.lock()) self->cancel_wait(id);
        });
}

std::string pool_impl::state_text() const {
    const pool_stats now = snapshot();
    auto text =
        fmt::format("in use {}, idle {}, waiting {}, opening {}, max_connections {}", now.in_use,
                    now.idle, now.waiting, now.opening, cfg.pool.max_connections);
    if (!last_connect_error_.empty())
        text += fmt::format("; last connection error: {}", last_connect_error_);
    return text;
}

void pool_impl::wait(std::unique_ptr<pool_waiter> w) {
    if (observed && w->exclusive && !w->op.unobserved)
        w->observed = std::make_shared<observation>(observed, operation_kind::acquire, nullptr);
    outcomes o;
    {
        std::lock_guard lock(mutex_);
        if (closing_) {
            o.fail.push_back(
                {std::move(w), client_errc::pool_closed, "the pool is closing or closed"});
        } else {
            auto* raw = w.get();
            raw->started = clock::now();
            raw->id = ++last_waiter_id_;
            // Here, in the caller's initiating function: on its thread (see pool_waiter).
            watch_cancellation(*raw);
            // Served at once when possible; `queued` marks those that had to wait (counted now,
            // however their wait ends: pool_stats::timeouts are among them).
            waiters_.push_back(std::move(w));
            dispatch(o);
            if (!waiters_.empty() && &waiters_.back() == raw) {
                raw->queued = true;
                ++counters_.waited;
                o.wake = waiters_.size() == 1; // the first deadline to watch
            }
        }
    }
    carry_out(o);
}

void pool_impl::cancel_wait(std::uint64_t id) {
    static constexpr const char* why = "the wait for a pooled connection was cancelled";
    outcomes o;
    {
        std::lock_guard lock(mutex_);
        auto it = std::find_if(waiters_.begin(), waiters_.end(),
                               [id](const auto& w) { return w->id == id; });
        if (it != waiters_.end()) {
            o.fail.push_back({waiters_.take(it), asio::error::operation_aborted, why});
        } else {
            // Given a connection that is being checked: the connection is the pool's again
            // once the check answers (check_then_lease).
            auto check = std::find_if(checks_.begin(), checks_.end(), [id](const auto& c) {
                return c->waiter && c->waiter->id == id;
            });
            if (check == checks_.end()) return; // served or failed already
            --counters_.acquires;               // granted, never handed out
            o.fail.push_back({std::move((*check)->waiter), asio::error::operation_aborted, why});
        }
    }
    carry_out(o);
}

void pool_impl::give_back(const std::shared_ptr<pool_slot>& slot) noexcept {
    return_lease(slot, false);
}

bool pool_impl::claim_commit(const std::shared_ptr<pool_slot>& slot) noexcept {
    if (!pool_access::is_open(slot->conn)) return false;
    std::lock_guard lock(mutex_);
    if (slot->st != pool_slot::state::leased || closing_ || clock::now() >= slot->expires_at)
        return false;
    slot->committing.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void pool_impl::give_back_committing(const std::shared_ptr<pool_slot>& slot) noexcept {
    return_lease(slot, true);
}

void pool_impl::return_lease(const std::shared_ptr<pool_slot>& slot, bool committing) noexcept {
    const auto now = clock::now();
    slot->touch(now);
    const bool usable = pool_access::is_open(slot->conn);
    // Queued before anyone else can be given the connection, so it runs before their requests.
    if (usable && !cfg.pool.reset_query.empty()) {
        slot->outstanding.fetch_add(1, std::memory_order_relaxed);
        slot->conn.async_simple_query(cfg.pool.reset_query,
                                      [slot](error_code ec, const std::vector<result>&) {
                                          // A reset that failed leaves a session nobody should
                                          // get: close it (the next tidy-up drops it).
                                          if (ec) slot->conn.async_close([slot](error_code) {});
                                          pool_request_done(*slot);
                                      });
    }
    outcomes o;
    {
        std::lock_guard lock(mutex_);
        if (slot->st != pool_slot::state::leased) return; // closed by async_close's deadline
        // Not while a COMMIT is in flight (this lease's, or that of the lease before it, given
        // back as it was queued), which closing would cut off: the connection is shared until
        // it is quiet, then the tidy-up retires it, or async_close closes it after draining.
        // (A pool destroyed meanwhile closes it when the last handle goes.)
        const bool commit_in_flight = slot->committing.load() != 0; // claim_commit counted ours
        if ((!usable || !commit_in_flight) && (closing_ || !usable || now >= slot->expires_at)) {
            if (!closing_) ++(usable ? counters_.closed_lifetime : counters_.closed_error);
            retire(slot, o);
            dispatch(o); // a replacement, if owed
        } else {
            slot->st = pool_slot::state::shared;
            if (!waiters_.empty()) dispatch(o);
        }
    }
    // The next lease's first request and the COMMIT can share a write.
    if (committing && std::any_of(o.serve.begin(), o.serve.end(), [&](const served& s) {
            return s.slot == slot && s.waiter->exclusive;
        }))
        pool_access::hold_writes_for_next_section(slot->conn);
    carry_out(o);
}

pool_stats pool_impl::stats() const {
    std::lock_guard lock(mutex_);
    return snapshot();
}

void pool_impl::report_state() const {
    if (observed) observed->observer->pool_state(name, stats());
}

pool_stats pool_impl::snapshot() const {
    pool_stats s = counters_;
    for (const auto& slot : slots_) {
        switch (slot->st) {
        case pool_slot::state::opening:
            ++s.opening;
            break;
        case pool_slot::state::leased:
            ++s.open;
            ++s.in_use;
            ++s.leased;
            break;
        case pool_slot::state::shared:
            ++s.open;
            ++(quiet(*slot) ? s.idle : s.in_use);
            break;
        case pool_slot::state::closing:
            break;
        }
    }
    s.waiting = waiters_.size();
    return s;
}

asio::awaitable<void> pool_impl::open_one(std::shared_ptr<pool_slot> slot) {
    // Alive until the attempt ends, which may be after the pool object is gone.
    auto self = shared_from_this();
    config c = cfg;
    credential_provider provider;
    {
        std::lock_guard lock(mutex_);
        provider = provider_;
    }
    diagnostics diag;
    error_code ec;
    if (provider) {
        try {
            c.password = co_await provider(c);
        } catch (const std::exception& e) {
            ec = client_errc::password_required;
            diag.message = fmt::format("the credential provider failed: {}", e.what());
        } catch (...) {
            // Anything else too: escaping, it would leave this slot opening for good.
            ec = client_errc::password_required;
            diag.message = "the credential provider failed with an exception that is not a "
                           "std::exception";
        }
    }
    slot->conn.set_types(types);
    if (!ec) std::tie(ec) = co_await slot->conn.async_connect(c, diag, nothrow);
    outcomes o;
    {
        std::lock_guard lock(mutex_);
        const auto now = clock::now();
        if (closing_ || slot->st != pool_slot::state::opening) {
            if (slot->st == pool_slot::state::opening) retire(slot, o);
        } else if (ec) {
            ++counters_.connect_failures;
            last_connect_error_ = diag.message.empty()
                                      ? ec.message()
                                      : fmt::format("{} ({})", diag.message, ec.message());
            backoff_until_ = now + retry_delay(connect_backoff, ++connect_failures_in_row_);
            std::erase(slots_, slot);
            o.wake = true; // tries again after the backoff
            if (connect_failures_in_row_ >= 2 && refuses_everyone(ec) && !any_open())
                fail_waiters(o, ec,
                             fmt::format("no connection is open, and the server refused the last "
                                         "two attempts: {}",
                                         diag.message.empty() ? ec.message() : diag.message));
        } else {
            ++counters_.connects;
            connect_failures_in_row_ = 0;
            slot->st = pool_slot::state::shared;
            slot->opened_at = now;
            if (cfg.pool.max_lifetime.count() > 0)
                slot->expires_at = now + jittered_lifetime(cfg.pool.max_lifetime);
            slot->touch();
        }
        dispatch(o);
    }
    carry_out(o);
    report_state(); // a connection more, or an attempt failed: told now, not at the next tidy-up
}

void pool_impl::tidy(outcomes& o,
                     std::vector<std::pair<boost::source_location, clock::duration>>& leaks) {
    const auto now = clock::now();
    const auto& opt = cfg.pool;
    if (opt.acquire_timeout.count() > 0) {
        auto past = [&](const pool_waiter& w) { return now - w.started >= opt.acquire_timeout; };
        // Waiters past acquire_timeout. Not only at the front: the queue is in arrival order
        // but for the waiters put back at its head after failed checks, in the order the
        // checks failed.
        for (auto it = waiters_.begin(); it != waiters_.end();) {
            if (!past(**it)) {
                ++it;
                continue;
            }
            ++counters_.timeouts;
            auto why =
                fmt::format("waited {} for a connection: {}", opt.acquire_timeout, state_text());
            o.fail.push_back({waiters_.take(it), client_errc::pool_timeout, std::move(why)});
        }
        // And acquires whose connection's check is still unanswered: the connection is the
        // pool's again when it answers (check_then_lease).
        for (auto& c : checks_) {
            if (!c->waiter || !past(*c->waiter)) continue;
            ++counters_.timeouts;
            --counters_.acquires; // granted, never handed out
            auto why = fmt::format("waited {} for a connection, the check of an idle connection "
                                   "unanswered: {}",
                                   opt.acquire_timeout, state_text());
            o.fail.push_back({std::move(c->waiter), client_errc::pool_timeout, std::move(why)});
        }
    }
    const bool ping_now = opt.health_check_interval.count() > 0 && now >= next_ping_;
    if (ping_now) next_ping_ = now + opt.health_check_interval;
    auto open = slots_.size() - count(pool_slot::state::opening);
    std::vector<std::shared_ptr<pool_slot>> retiring;
    for (const auto& s : slots_) {
        if (s->st == pool_slot::state::leased) {
            if (opt.leak_threshold.count() > 0 && !s->leak_reported &&
                now - s->leased_at >= opt.leak_threshold) {
                s->leak_reported = true;
                ++counters_.leaks;
                leaks.emplace_back(s->leased_where, now - s->leased_at);
            }
            continue;
        }
        if (s->st != pool_slot::state::shared) continue;
        const bool idle = quiet(*s);
        std::uint64_t* reason = nullptr;
        if (!pool_access::is_open(s->conn))
            reason = &counters_.closed_error;
        else if (idle && now >= s->expires_at)
            reason = &counters_.closed_lifetime;
        else if (idle && opt.idle_timeout.count() > 0 && open > opt.min_connections &&
                 now - s->idle_since() >= opt.idle_timeout)
            reason = &counters_.closed_idle;
        if (reason) {
            ++*reason;
            --open;
            retiring.push_back(s);
        } else if (ping_now && idle && now - s->idle_since() >= opt.health_check_interval) {
            s->outstanding.fetch_add(1, std::memory_order_relaxed);
            o.ping.push_back(s);
        }
    }
    for (const auto& s : retiring)
        retire(s, o);
    dispatch(o);
}

clock::time_point pool_impl::next_wake() const {
    auto at = clock::now() + tidy_period;
    // The oldest wait: mostly the front's, not always (see tidy).
    if (cfg.pool.acquire_timeout.count() > 0) {
        for (const auto& w : waiters_)
            at = std::min(at, w->started + cfg.pool.acquire_timeout);
        for (const auto& c : checks_)
            if (c->waiter) at = std::min(at, c->waiter->started + cfg.pool.acquire_timeout);
    }
    if (backoff_until_ > clock::now()) at = std::min(at, backoff_until_);
    return at;
}

void pool_impl::wake_maintenance() {
    asio::post(executor, [self = shared_from_this()] { self->wake_.cancel(); });
}

asio::awaitable<void> pool_impl::maintain() {
    auto self = shared_from_this(); // alive while the loop runs
    for (;;) {
        outcomes o;
        std::vector<std::pair<boost::source_location, clock::duration>> leaks;
        leak_handler report;
        clock::time_point at;
        {
            std::lock_guard lock(mutex_);
            if (closing_) co_return;
            tidy(o, leaks);
            report = leak_handler_;
            at = next_wake();
        }
        carry_out(o);
        for (const auto& [where, held] : leaks)
            if (report) report(where, std::chrono::duration_cast<std::chrono::milliseconds>(held));
        report_state();
        wake_.expires_at(at);
        co_await wake_.async_wait(nothrow);
    }
}

void pool_impl::stop_taking(outcomes& o, const char* why) {
    closing_ = true;
    fail_waiters(o, client_errc::pool_closed, why);
}

void pool_impl::shut_down() noexcept {
    outcomes o;
    {
        std::lock_guard lock(mutex_);
        stop_taking(o, "the pool was destroyed");
        // Leased connections close when they come back; the others go now (the connection
        // objects close their sockets as they are destroyed, once no request holds them).
        for (auto& s : slots_)
            if (s->st != pool_slot::state::leased) s->st = pool_slot::state::closing;
        std::erase_if(slots_, [](const auto& s) { return s->st == pool_slot::state::closing; });
    }
    carry_out(o);
    wake_maintenance();
    report_state();
}

asio::awaitable<void> pool_impl::close(std::chrono::milliseconds deadline) {
    auto self = shared_from_this();
    outcomes o;
    {
        std::lock_guard lock(mutex_);
        stop_taking(o, "the pool was closed");
    }
    carry_out(o);
    wake_maintenance();
    // Requests in flight and leases out get until the deadline to finish.
    const auto until = clock::now() + deadline;
    asio::steady_timer poll(executor);
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            const bool drained = std::all_of(slots_.begin(), slots_.end(), [](const auto& s) {
                return s->st != pool_slot::state::leased && s->st != pool_slot::state::opening &&
                       quiet(*s);
            });
            if (drained || clock::now() >= until) break;
        }
        poll.expires_after(std::chrono::milliseconds(10));
        co_await poll.async_wait(nothrow);
    }
    std::vector<std::shared_ptr<pool_slot>> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& s : slots_)
            s->st = pool_slot::state::closing;
        all.swap(slots_);
    }
    // What is still unanswered fails with pool_closed, saying why, rather than with the
    // operation_aborted of a connection closed under it.
    diagnostics why;
    why.message = fmt::format(
        "the pool was closed: the request was still unanswered when async_close's deadline ({}) "
        "passed",
        deadline);
    for (auto& s : all) {
        // Dispatched: the connection's close, started next, must find it done.
        asio::dispatch(s->conn.get_executor(),
                       [s, why] { pool_access::give_up(s->conn, client_errc::pool_closed, why); });
        co_await s->conn.async_close(nothrow);
    }
    report_state(); // nothing open
}

} // namespace detail

pool::pool(const executor_type& ex, config cfg) {
    if (auto valid = cfg.validate(); !valid) throw config_exception(valid.error());
    impl_ = std::make_shared<detail::pool_impl>(ex, std::move(cfg));
    impl_->start();
}

pool::~pool() {
    if (impl_) impl_->shut_down();
}

pool& pool::operator=(pool&& other) noexcept {
    if (this != &other) {
        if (impl_) impl_->shut_down();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

pool::executor_type pool::get_executor() const noexcept {
    return impl_->executor;
}
const config& pool::get_config() const noexcept {
    return impl_->cfg;
}
void pool::set_credential_provider(credential_provider provider) {
    impl_->set_provider(std::move(provider));
}
void pool::set_leak_handler(leak_handler handler) {
    impl_->set_leak_handler(std::move(handler));
}
pool_stats pool::stats() const {
    return impl_->stats();
}

pool::shared_pick pool::pick_shared(detail::pool_impl& impl) {
    shared_pick p;
    p.conn = impl.pick_shared(p.slot);
    return p;
}

connection* pool::lease_now(detail::pool_impl& impl, std::shared_ptr<detail::pool_slot>& slot,
                            const detail::op_settings& op, const boost::source_location& where) {
    if (!impl.observed || op.unobserved) return impl.lease_now(slot, where);
    const auto asked = std::chrono::steady_clock::now();
    connection* conn = impl.lease_now(slot, where);
    // Leased at once: reported now, from when it was asked. Otherwise the wait that follows
    // is reported (pool_impl::wait).
    if (conn) {
        detail::observation acquired(impl.observed, operation_kind::acquire, nullptr, asked);
        operation_result r;
        acquired.finish(r);
    }
    return conn;
}

pooled_connection pool::try_acquire(boost::source_location where) {
    if (!impl_) return {}; // moved from
    std::shared_ptr<detail::pool_slot> slot;
    connection* conn = lease_now(*impl_, slot, detail::op_settings{}, where);
    if (!conn) return {};
    return pooled_connection(impl_, std::move(slot), *conn);
}

void pool::wait(const std::shared_ptr<detail::pool_impl>& impl,
                std::unique_ptr<detail::pool_waiter> w) {
    impl->wait(std::move(w));
}

void pool::start_close(const std::shared_ptr<detail::pool_impl>& impl, close_handler handler,
                       std::chrono::milliseconds deadline) {
    auto ex = boost::asio::get_associated_executor(handler, impl->executor);
    boost::asio::co_spawn(
        impl->executor, impl->close(deadline),
        boost::asio::bind_executor(ex, [h = std::move(handler)](const std::exception_ptr&) mutable {
            std::move(h)(error_code{});
        }));
}

boost::asio::awaitable<void> pool::commit_handing_over(transaction& tx, pooled_connection& conn) {
    // The COMMIT, counted among the connection's requests in flight from the hand-over until
    // the operation ends.
    struct commit_in_flight {
        std::shared_ptr<detail::pool_slot> slot;
        ~commit_in_flight() {
            if (slot) detail::pool_commit_done(*slot);
        }
    } in_flight;
    // Settled before the COMMIT is queued: its completion may then resume this coroutine on
    // another thread at once, so the initiation touches nothing of the coroutine's state after.
    std::shared_ptr<detail::pool_impl> pool;
    if (conn.pool_->claim_commit(conn.slot_)) {
        in_flight.slot = conn.slot_;
        pool = std::move(conn.pool_);
        conn.slot_.reset();
        conn.conn_ = nullptr;
    }
    default_token token;
    // Made before the co_await: built inside the co_await's expression, a shared_ptr the
    // initiation holds is released once too often in GCC 12's code (a use after free).
    auto commit = boost::asio::async_initiate<default_token, void(error_code)>(
        [&tx, pool = std::move(pool), slot = in_flight.slot](auto handler,
                                                             detail::op_settings op) mutable {
            // Taken out first: nothing of the operation is touched once the COMMIT is queued.
            auto given_back = std::move(pool);
            auto given_slot = std::move(slot);
            transaction::start_commit(tx, transaction::void_handler(std::move(handler)), op);
            if (given_back) given_back->give_back_committing(given_slot);
        },
        token, detail::op_settings{});
    co_await std::move(commit);
}

void pooled_connection::release() noexcept {
    conn_ = nullptr;
    if (!pool_) return;
    auto pool = std::move(pool_);
    const auto slot = std::move(slot_);
    pool->give_back(slot);
}

std::string to_string(const pool_stats& s) {
    return fmt::format("open={} idle={} in_use={} leased={} waiting={} opening={} acquires={} "
                       "shared_requests={} waited={} timeouts={} connects={} "
                       "connect_failures={} closed_lifetime={} closed_idle={} closed_error={} "
                       "leaks={} wait_histogram=[{}]",
                       s.open, s.idle, s.in_use, s.leased, s.waiting, s.opening, s.acquires,
                       s.shared_requests, s.waited, s.timeouts, s.connects, s.connect_failures,
                       s.closed_lifetime, s.closed_idle, s.closed_error, s.leaks,
                       fmt::join(s.wait_histogram, " "));
}

std::ostream& operator<<(std::ostream& os, const pool_stats& stats) {
    return os << to_string(stats);
}

} // namespace pgasio
