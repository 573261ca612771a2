// Racing operations against timers, or against their connection's end, from several threads:
// what such a test counts, the timers it arms, and the threads that run it.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pgasio::test {

/// The outcomes of a race test's coroutines, counted from any thread, and the first wrong one.
class race_tally {
public:
    std::atomic<int> finished{0};  ///< coroutines that ran all their rounds
    std::atomic<int> answered{0};  ///< operations that won their race and answered right
    std::atomic<int> cancelled{0}; ///< operations that ended unanswered as meant (timer, close)
    std::atomic<int> wrong{0};     ///< operations that answered wrong

    /// Counts a wrong outcome: `what` failed with `ec`. The first is kept for the report.
    void fail(const char* what, boost::system::error_code ec = {}) {
        std::lock_guard lock(mutex_);
        if (wrong++ == 0) first_wrong_ = std::string(what) + ": " + ec.message();
    }
    /// What went wrong first, and its error (empty when nothing did).
    std::string first_wrong() {
        std::lock_guard lock(mutex_);
        return first_wrong_;
    }
    /// Whether the timer won `r`, the outcome of `co_await (operation || timer)`; counted then.
    template <class Outcome>
    bool lost(const Outcome& r) {
        if (r.index() == 1) ++cancelled;
        return r.index() == 1;
    }

private:
    std::mutex mutex_;
    std::string first_wrong_;
};

/// The timer of race `n`: three in four from 0.1 ms to 0.1 ms + `spread`, which many operations
/// lose; one in four of 2 s, which they win (under ThreadSanitizer too, on a busy machine).
inline std::chrono::microseconds race_timer(int n, std::chrono::microseconds spread) {
    if (n % 4 == 3) return std::chrono::seconds(2);
    return std::chrono::microseconds(100 + (n * 1009) % spread.count());
}

/// `ctx` run by `threads` threads from construction on; destruction lets the run end once its
/// work is done (no guard holds it any more) and joins them.
class threads_running {
public:
    threads_running(boost::asio::io_context& ctx, int threads)
        : work_(ctx.get_executor()) {
        for (int t = 0; t < threads; ++t)
            running_.emplace_back([&ctx] { ctx.run(); });
    }
    ~threads_running() {
        work_.reset();
        for (auto& t : running_)
            t.join();
    }
    threads_running(const threads_running&) = delete;
    threads_running& operator=(const threads_running&) = delete;

private:
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::vector<std::thread> running_;
};

/// Runs `ctx` on `threads` threads at once for at most `limit`, and joins them.
inline void run_on_threads(boost::asio::io_context& ctx, int threads, std::chrono::seconds limit) {
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t)
        running.emplace_back([&] { ctx.run_for(limit); });
    for (auto& t : running)
        t.join();
}

} // namespace pgasio::test
