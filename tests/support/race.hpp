// Racing operations against timers from several threads: what such a test counts, the timers it
// arms, and the threads that run it.
#pragma once

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
    std::atomic<int> cancelled{0}; ///< operations whose timer won
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

/// Runs `ctx` on `threads` threads at once for at most `limit`, and joins them.
inline void run_on_threads(boost::asio::io_context& ctx, int threads, std::chrono::seconds limit) {
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t)
        running.emplace_back([&] { ctx.run_for(limit); });
    for (auto& t : running)
        t.join();
}

} // namespace pgasio::test
