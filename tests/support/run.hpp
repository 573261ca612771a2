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

} // namespace pgasio::test
