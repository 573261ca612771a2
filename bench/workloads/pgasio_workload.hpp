// What the pgasio workload programs share: failing a check, running coroutines together, and
// main()'s running of one workload on a one-thread io_context.
#pragma once

#include <pgasio/config.hpp>
#include <pgasio/pool.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>

namespace pgasio::bench {

/// Stops the workload: a check of what the server sent back failed (run_pgasio_workload prints
/// `what` and exits non-zero).
[[noreturn]] inline void check_failed(const std::string& what) {
    throw std::runtime_error("check failed: " + what);
}

/// Runs body(0) .. body(n - 1) as n coroutines on this executor and waits for all of them;
/// rethrows the first failure.
inline boost::asio::awaitable<void>
run_all(int n, const std::function<boost::asio::awaitable<void>(int)>& body) {
    namespace asio = boost::asio;
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
    int running = n;
    std::exception_ptr first_error;
    for (int k = 0; k < n; ++k)
        asio::co_spawn(ex, body(k), [&](std::exception_ptr e) {
            if (e && !first_error) first_error = e;
            if (--running == 0) all_done.cancel();
        });
    co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    if (first_error) std::rethrow_exception(first_error);
}

/// Waits until `db` has `n` connections open (it opens them in the background), so that a timed
/// region starts with all of them; fails the workload after 10 seconds.
inline boost::asio::awaitable<void> until_open(const pgasio::pool& db, std::size_t n) {
    namespace asio = boost::asio;
    asio::steady_timer pause(co_await asio::this_coro::executor);
    for (int waited = 0; db.stats().open < n; waited += 5) {
        if (waited >= 10'000)
            check_failed("the pool opened " + std::to_string(db.stats().open) + " connections of " +
                         std::to_string(n));
        pause.expires_after(std::chrono::milliseconds(5));
        co_await pause.async_wait(asio::use_awaitable);
    }
}

/// A pgasio workload: run(configuration, workload name) connects, does the work, checks it and
/// prints its report line; it throws when something fails.
using pgasio_workload =
    std::function<boost::asio::awaitable<void>(const pgasio::config&, const char*)>;

/// main()'s last step, with a configuration already made (by a config_builder, for settings
/// that a connection string does not hold): runs `run` with it and the workload's name on a
/// one-thread io_context. Returns the exit status, 1 (after printing why) when the workload
/// failed.
inline int run_pgasio_workload(const pgasio_workload& run, const pgasio::config& cfg,
                               const char* name) {
    namespace asio = boost::asio;
    try {
        asio::io_context ctx(1);
        auto done = asio::co_spawn(ctx, run(cfg, name), asio::use_future);
        ctx.run();
        done.get();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pgasio %s failed: %s\n", name, e.what());
        return 1;
    }
    return 0;
}

/// main()'s last step: parses `conninfo` and runs `run` as above. Returns the exit status: 2 for
/// a bad connection string, 1 (after printing why) when the workload failed.
inline int run_pgasio_workload(const pgasio_workload& run, const char* conninfo, const char* name) {
    const auto cfg = pgasio::config::parse(conninfo);
    if (!cfg) {
        std::fprintf(stderr, "bad configuration: %s\n", cfg.error().message.c_str());
        return 2;
    }
    return run_pgasio_workload(run, *cfg, name);
}

} // namespace pgasio::bench
