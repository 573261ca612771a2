// Running coroutines to completion in tests.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>

namespace pgasio::test {

/// Runs the coroutine made by `make(executor)` on a fresh io_context and returns its result,
/// rethrowing its exception. Fails (throws) if it has not finished after `limit`, so that a hang
/// is a test failure rather than a stuck test run.
template <class Make>
auto run(Make make, std::chrono::seconds limit = std::chrono::seconds(60)) {
    boost::asio::io_context ctx;
    auto fut = boost::asio::co_spawn(ctx, make(ctx.get_executor()), boost::asio::use_future);
    ctx.run_for(limit);
    if (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        throw std::runtime_error("the coroutine did not finish in time");
    return fut.get();
}

/// Waits `d` on the calling coroutine's executor.
inline boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    co_await t.async_wait(boost::asio::use_awaitable);
}

/// Polls `done` every 10 ms until it returns true, for at most `limit`: for what other
/// coroutines or handlers will have done. Whether it came true.
template <class Pred>
boost::asio::awaitable<bool> eventually(Pred done,
                                        std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    using namespace std::chrono_literals;
    for (auto waited = 0ms; waited < limit; waited += 10ms) {
        if (done()) co_return true;
        co_await sleep_for(10ms);
    }
    co_return done();
}

/// Runs `body(0)` ... `body(n - 1)` as `n` coroutines at once on the calling coroutine's executor
/// and waits until every one has finished; rethrows the first exception one of them threw.
/// Throws std::runtime_error if they have not all finished after `limit`.
template <class Body>
boost::asio::awaitable<void>
concurrently(int n, Body body, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    struct outcome {
        int finished = 0;
        std::exception_ptr first_failure;
    };
    auto out = std::make_shared<outcome>();
    const auto ex = co_await boost::asio::this_coro::executor;
    for (int i = 0; i < n; ++i)
        boost::asio::co_spawn(ex, body(i), [out](std::exception_ptr e) {
            if (e && !out->first_failure) out->first_failure = e;
            ++out->finished;
        });
    const bool all = co_await eventually([&] { return out->finished == n; }, limit);
    if (out->first_failure) std::rethrow_exception(out->first_failure);
    if (!all) throw std::runtime_error("the concurrent coroutines did not all finish in time");
}

} // namespace pgasio::test
