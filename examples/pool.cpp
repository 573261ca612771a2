// A connection pool, printed for a newcomer: 64 coroutines sharing 4 connections (their
// requests pipelined on whichever connection is least loaded), a lease for session settings, a
// transaction function through the pool, what an exhausted pool says, and its statistics.
// Usage: pgasio_example_pool "postgresql://user:password@host:port/db"
#include <pgasio/pool.hpp>

#include "run_example.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/core.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<void> tour(std::string url) {
    auto cfg = pgasio::config::builder(url).pool_size(2, 4).acquire_timeout(500ms).build().value();
    pgasio::pool db(co_await asio::this_coro::executor, cfg);

    fmt::print("1. 64 coroutines x 25 queries, shared mode: each query goes to the least-loaded\n"
               "   connection and is pipelined there with the others'.\n");
    std::map<std::int32_t, int> per_backend;
    int running = 64;
    for (int c = 0; c < 64; ++c)
        asio::co_spawn(
            co_await asio::this_coro::executor,
            [&]() -> asio::awaitable<void> {
                for (int i = 0; i < 25; ++i) {
                    auto r = co_await db.async_query_one("SELECT pg_backend_pid()");
                    ++per_backend[r[0].get<std::int32_t>(0)];
                }
                --running;
            },
            asio::detached);
    asio::steady_timer tick(co_await asio::this_coro::executor);
    while (running > 0) {
        tick.expires_after(5ms);
        co_await tick.async_wait(asio::use_awaitable);
    }
    for (const auto& [pid, n] : per_backend)
        fmt::print("   backend {} ran {} queries\n", pid, n);

    fmt::print("2. A lease: the connection to ourselves, for session settings.\n");
    {
        auto conn = co_await db.async_acquire();
        co_await conn->async_execute("SET application_name TO 'pool example'");
        auto r = co_await conn->async_query_one("SHOW application_name");
        fmt::print("   leased backend {}: application_name = '{}'\n", conn->backend_pid(),
                   r[0].get<std::string>(0));
    } // given back here

    fmt::print("3. A transaction function on a leased connection (retried on conflicts).\n");
    auto total =
        co_await db.async_transaction([](pgasio::transaction& tx) -> asio::awaitable<std::int64_t> {
            auto r = co_await tx.async_query_one(
                "SELECT sum(g)::int8 FROM generate_series(1, $1::int4) g", 100);
            co_return r[0].get<std::int64_t>(0);
        });
    fmt::print("   sum(1..100) = {}\n", total);

    fmt::print(
        "4. Every connection leased: the next caller waits acquire_timeout, then hears why.\n");
    std::vector<pgasio::pooled_connection> all;
    all.reserve(4);
    for (int i = 0; i < 4; ++i)
        all.push_back(co_await db.async_acquire());
    pgasio::diagnostics diag;
    auto [ec, none] =
        co_await db.async_acquire(pgasio::diagnostics_into(diag, asio::as_tuple(asio::deferred)));
    fmt::print("   {}: {}\n", ec.message(), diag.message);
    all.clear();

    fmt::print("5. The pool's statistics:\n   {}\n", db.stats());
    co_await db.async_close();
}

int main(int argc, char** argv) {
    return run_example(argc, argv, "URL", [](char** args) { return tour(args[1]); });
}
