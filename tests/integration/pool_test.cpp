// The connection pool against the real primary: shared requests spread over its connections,
// leases for exclusive use, the bounded wait, lifetimes, broken connections replaced, leaks
// reported, credentials asked for, graceful close, and use from several threads at once.
#include <pgasio/pool.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pgasio::client_errc;
using pgasio::test::concurrently;
using pgasio::test::eventually;
using pgasio::test::run;
using pgasio::test::sleep_for;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

pgasio::config pool_config(std::size_t min, std::size_t max) {
    auto cfg = pgasio::test::test_config();
    cfg.pool.min_connections = min;
    cfg.pool.max_connections = max;
    return cfg;
}

asio::awaitable<std::int32_t> backend_pid_of(pgasio::pool& db) {
    auto r = co_await db.async_query_one("SELECT pg_backend_pid()");
    co_return r[0].get<std::int32_t>(0);
}

} // namespace

TEST_CASE("pool: opens min_connections in the background") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(3, 5));
        const bool opened = co_await eventually([&] { return db.stats().open == 3; });
        CHECK(opened);
        const auto s = db.stats();
        CHECK(s.idle == 3);
        CHECK(s.connects == 3);
        CHECK(s.opening == 0);
        co_await db.async_close();
        CHECK(db.stats().open == 0);
    });
}

TEST_CASE("pool: 64 coroutines share 8 connections, pipelined") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(8, 8));
        const bool opened = co_await eventually([&] { return db.stats().open == 8; });
        REQUIRE(opened);
        std::set<std::int32_t> pids;
        std::int64_t sum = 0;
        co_await concurrently(64, [&](int c) -> asio::awaitable<void> {
            for (int i = 0; i < 20; ++i) {
                auto r = co_await db.async_query_one("SELECT pg_backend_pid(), $1::int8",
                                                     std::int64_t{c * 100 + i});
                pids.insert(r[0].get<std::int32_t>(0));
                sum += r[0].get<std::int64_t>(1);
            }
        });
        std::int64_t expected = 0;
        for (int c = 0; c < 64; ++c)
            for (int i = 0; i < 20; ++i)
                expected += c * 100 + i;
        CHECK(sum == expected);
        // Spread over every connection, never more than max_connections.
        CHECK(pids.size() == 8);
        const auto s = db.stats();
        CHECK(s.connects == 8);
        CHECK(s.shared_requests == 64 * 20);
        CHECK(s.waited == 0);
        co_await db.async_close();
    });
}

TEST_CASE("pool: shared load opens more connections, up to max_connections") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 3));
        const bool opened = co_await eventually([&] { return db.stats().open == 1; });
        REQUIRE(opened);
        co_await concurrently(32, [&](int) -> asio::awaitable<void> {
            for (int i = 0; i < 10; ++i)
                co_await db.async_query("SELECT pg_sleep(0.001)");
        });
        const auto s = db.stats();
        CHECK(s.open == 3);
        CHECK(s.connects == 3);
        co_await db.async_close();
    });
}

TEST_CASE("pool: shared requests wait for the first connection to open") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(0, 2));
        CHECK(db.stats().open == 0);
        auto r = co_await db.async_query_one("SELECT 41 + $1::int4", 1);
        CHECK(r[0].get<std::int32_t>(0) == 42);
        CHECK(db.stats().waited == 1);
        auto n = co_await db.async_execute("SELECT generate_series(1, 3)");
        CHECK(n == 3);
        co_await db.async_close();
    });
}

TEST_CASE("pool: a row stream keeps its connection counted as busy until it is done") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 1));
        std::int64_t rows = 0;
        std::int64_t sum = 0;
        {
            auto stream = co_await db.async_query_stream(
                "SELECT g::int8 FROM generate_series(1, $1::int4) g", 200000);
            CHECK(db.stats().in_use == 1);
            for (;;) {
                pgasio::result part = co_await stream.async_next();
                if (part.empty()) break;
                for (auto row : part) {
                    ++rows;
                    sum += row.get<std::int64_t>(0);
                }
            }
        }
        CHECK(rows == 200000);
        CHECK(sum == std::int64_t{200000} * 200001 / 2);
        // Released once the stream and its query are both done.
        const bool released = co_await eventually([&] { return db.stats().idle == 1; });
        CHECK(released);
        // A stream given up early: the query is cancelled and the connection serves again.
        {
            auto stream = co_await db.async_query_stream("SELECT generate_series(1, 10000000)");
            auto first = co_await stream.async_next();
            CHECK(!first.empty());
        }
        auto r = co_await db.async_query_one("SELECT 7");
        CHECK(r[0].get<std::int32_t>(0) == 7);
        const bool idle = co_await eventually([&] { return db.stats().idle == 1; });
        CHECK(idle);
        co_await db.async_close();
    });
}

TEST_CASE("pool: a lease has its connection to itself until given back") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(2, 2));
        const bool opened = co_await eventually([&] { return db.stats().open == 2; });
        REQUIRE(opened);
        std::int32_t leased_pid = 0;
        {
            auto conn = co_await db.async_acquire();
            REQUIRE(conn.valid());
            leased_pid = conn->backend_pid();
            co_await conn->async_execute("SET application_name TO 'leased'");
            auto s = db.stats();
            CHECK(s.leased == 1);
            CHECK(s.in_use == 1);
            // Shared requests go to the other connection meanwhile.
            for (int i = 0; i < 10; ++i) {
                const auto pid = co_await backend_pid_of(db);
                CHECK(pid != leased_pid);
            }
            auto name = co_await conn->async_query_one("SHOW application_name");
            CHECK(name[0].get<std::string>(0) == "leased");
        }
        CHECK(db.stats().leased == 0);
        // Back in the pool: shared requests may use it again.
        std::set<std::int32_t> pids;
        for (int i = 0; i < 20 && pids.size() < 2; ++i) {
            std::vector<std::int32_t> got(2);
            int done = 0;
            for (int k = 0; k < 2; ++k)
                db.async_query_one(
                    "SELECT pg_backend_pid()", [&, k](pgasio::error_code ec, pgasio::result r) {
                        if (!ec) got[static_cast<std::size_t>(k)] = r[0].get<std::int32_t>(0);
                        ++done;
                    });
            co_await eventually([&] { return done == 2; });
            pids.insert(got.begin(), got.end());
        }
        CHECK(pids.count(leased_pid) == 1);
        co_await db.async_close();
    });
}

TEST_CASE("pool: reset_query runs on a returned lease before anyone else gets it") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.reset_query = "RESET ALL";
        pgasio::pool db(ex, cfg);
        {
            auto conn = co_await db.async_acquire();
            co_await conn->async_execute("SET application_name TO 'leased'");
        }
        auto name = co_await db.async_query_one("SHOW application_name");
        CHECK(name[0].get<std::string>(0) != "leased");
        co_await db.async_close();
    });
    // Without one, the session is handed on as it was left (as pgx's pool does).
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 1));
        {
            auto conn = co_await db.async_acquire();
            co_await conn->async_execute("SET application_name TO 'leased'");
        }
        auto name = co_await db.async_query_one("SHOW application_name");
        CHECK(name[0].get<std::string>(0) == "leased");
        co_await db.async_close();
    });
}

TEST_CASE("pool: an exhausted pool fails the acquire after acquire_timeout, saying its state") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.acquire_timeout = 300ms;
        pgasio::pool db(ex, cfg);
        auto held = co_await db.async_acquire();
        pgasio::diagnostics diag;
        const auto start = std::chrono::steady_clock::now();
        auto [ec, none] = co_await db.async_acquire(pgasio::diagnostics_into(diag, nothrow));
        const auto waited = std::chrono::steady_clock::now() - start;
        CHECK(ec == client_errc::pool_timeout);
        CHECK(!none.valid());
        CHECK(waited >= 300ms);
        CHECK(waited < 3s);
        CHECK_THAT(diag.message, Catch::Contains("waited 300ms for a connection") &&
                                     Catch::Contains("in use 1, idle 0, waiting 1, opening 0, "
                                                     "max_connections 1"));
        // A shared request waits the same way (the only connection is leased).
        auto [qec, r] = co_await db.async_query("SELECT 1", nothrow);
        CHECK(qec == client_errc::pool_timeout);
        CHECK(db.stats().timeouts == 2);
        // Given back, the connection serves the next caller.
        held.release();
        auto again = co_await db.async_acquire();
        CHECK(again.valid());
        again.release();
        co_await db.async_close();
    });
}

TEST_CASE("pool: a waiting acquire can be cancelled") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 1));
        auto held = co_await db.async_acquire();
        asio::cancellation_signal stop;
        pgasio::error_code got;
        bool done = false;
        db.async_acquire(asio::bind_cancellation_slot(
            stop.slot(), [&](pgasio::error_code ec, pgasio::pooled_connection) {
                got = ec;
                done = true;
            }));
        co_await sleep_for(50ms);
        CHECK(!done);
        CHECK(db.stats().waiting == 1);
        stop.emit(asio::cancellation_type::terminal);
        const bool answered = co_await eventually([&] { return done; });
        CHECK(answered);
        CHECK(got == asio::error::operation_aborted);
        CHECK(db.stats().waiting == 0);
        co_await db.async_close();
    });
}

TEST_CASE("pool: a leaked lease is reported once, with where it was acquired") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.leak_threshold = 200ms;
        pgasio::pool db(ex, cfg);
        std::vector<std::pair<std::string, std::chrono::milliseconds>> reports;
        db.set_leak_handler(
            [&](const boost::source_location& where, std::chrono::milliseconds held) {
                reports.emplace_back(
                    std::string(where.file_name()) + ":" + std::to_string(where.line()), held);
            });
        const auto line = __LINE__ + 1;
        auto conn = co_await db.async_acquire();
        co_await sleep_for(2500ms);
        REQUIRE(reports.size() == 1);
        CHECK_THAT(reports[0].first, Catch::EndsWith("pool_test.cpp:" + std::to_string(line)));
        CHECK(reports[0].second >= 200ms);
        CHECK(db.stats().leaks == 1);
        conn.release();
        co_await db.async_close();
    });
}

TEST_CASE("pool: max_lifetime recycles connections") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.max_lifetime = 300ms;
        pgasio::pool db(ex, cfg);
        std::set<std::int32_t> pids;
        for (int i = 0; i < 25; ++i) {
            pids.insert(co_await backend_pid_of(db));
            co_await sleep_for(100ms);
        }
        CHECK(pids.size() >= 2);
        CHECK(db.stats().closed_lifetime >= 1);
        CHECK(db.stats().open <= 1);
        co_await db.async_close();
    });
}

TEST_CASE("pool: idle connections above min_connections close after idle_timeout") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 4);
        cfg.pool.idle_timeout = 300ms;
        pgasio::pool db(ex, cfg);
        {
            auto a = co_await db.async_acquire();
            auto b = co_await db.async_acquire();
            auto c = co_await db.async_acquire();
            CHECK(db.stats().open == 3);
        }
        const bool shrunk = co_await eventually([&] { return db.stats().open == 1; }, 5s);
        CHECK(shrunk);
        CHECK(db.stats().closed_idle == 2);
        co_await db.async_close();
    });
}

TEST_CASE("pool: terminated backends are replaced and later requests see no error") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // Named, so that only this pool's sessions are terminated (other tests run meanwhile).
        auto cfg = pool_config(3, 3);
        cfg.application_name = "pgasio_pool_victims";
        pgasio::pool db(ex, cfg);
        const bool opened = co_await eventually([&] { return db.stats().open == 3; });
        REQUIRE(opened);
        auto admin = co_await pgasio::test::connect_primary();
        auto killed =
            co_await admin.async_query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE application_name = 'pgasio_pool_victims'");
        CHECK(killed.size() == 3);
        co_await sleep_for(200ms);
        for (int i = 0; i < 30; ++i) {
            auto [ec, r] = co_await db.async_query("SELECT 1", nothrow);
            CHECK(!ec);
        }
        const bool replaced = co_await eventually([&] { return db.stats().open == 3; });
        CHECK(replaced);
        CHECK(db.stats().closed_error >= 3);
        co_await db.async_close();
    });
}

TEST_CASE("pool: the credential provider is asked at each new connection") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(0, 2);
        const auto password = cfg.password;
        cfg.password = pgasio::secret_string("wrong");
        pgasio::pool db(ex, cfg);
        int asked = 0;
        db.set_credential_provider(
            [&](const pgasio::config&) -> asio::awaitable<pgasio::secret_string> {
                ++asked;
                co_return password;
            });
        auto a = co_await db.async_acquire();
        auto b = co_await db.async_acquire();
        CHECK(asked == 2);
        a.release();
        b.release();
        co_await db.async_close();
    });
    // One that fails: the pool keeps trying, and waiters are told why it cannot connect.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(0, 1);
        cfg.pool.acquire_timeout = 500ms;
        pgasio::pool db(ex, cfg);
        db.set_credential_provider(
            [](const pgasio::config&) -> asio::awaitable<pgasio::secret_string> {
                throw std::runtime_error("vault unreachable");
                co_return pgasio::secret_string();
            });
        pgasio::diagnostics diag;
        auto [ec, r] = co_await db.async_query("SELECT 1", pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == client_errc::pool_timeout);
        CHECK_THAT(diag.message, Catch::Contains("vault unreachable"));
        CHECK(db.stats().connect_failures >= 1);
        co_await db.async_close();
    });
}

TEST_CASE("pool: async_transaction commits on a leased connection") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 2));
        co_await db.async_execute("DROP TABLE IF EXISTS pool_tx");
        co_await db.async_execute("CREATE TABLE pool_tx (id int PRIMARY KEY, v text)");
        std::int32_t in_tx_pid = co_await db.async_transaction(
            [&](pgasio::transaction& tx) -> asio::awaitable<std::int32_t> {
                co_await tx.async_execute("INSERT INTO pool_tx VALUES (1, 'one')");
                auto r = co_await tx.async_query_one("SELECT pg_backend_pid()");
                co_return r[0].get<std::int32_t>(0);
            });
        CHECK(in_tx_pid != 0);
        auto rows = co_await db.async_query("SELECT v FROM pool_tx");
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].get<std::string>(0) == "one");
        CHECK(db.stats().leased == 0);
        co_await db.async_execute("DROP TABLE pool_tx");
        co_await db.async_close();
    });
}

TEST_CASE("pool: async_close lets requests in flight finish, then refuses new ones") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 1));
        pgasio::error_code slow_ec = asio::error::would_block;
        db.async_query("SELECT pg_sleep(0.3)",
                       [&](pgasio::error_code ec, pgasio::result) { slow_ec = ec; });
        // On its connection (a request still waiting for one would fail with pool_closed).
        const bool sent = co_await eventually([&] { return db.stats().in_use == 1; });
        REQUIRE(sent);
        co_await db.async_close();
        CHECK(!slow_ec);
        auto [ec, r] = co_await db.async_query("SELECT 1", nothrow);
        CHECK(ec == client_errc::pool_closed);
        CHECK(db.stats().open == 0);
    });
}

TEST_CASE("pool: operations started from other threads, 4 threads x 100 coroutines") {
    asio::io_context ctx(4);
    auto cfg = pool_config(2, 4);
    cfg.pool.thread_safe = true;
    pgasio::pool db(ctx, cfg);
    std::atomic<int> ok{0}, failed{0};
    for (int t = 0; t < 4; ++t)
        for (int c = 0; c < 100; ++c)
            asio::co_spawn(
                ctx,
                [&, c]() -> asio::awaitable<void> {
                    for (int i = 0; i < 5; ++i) {
                        auto [ec, r] = co_await db.async_query("SELECT $1::int4 * 2", c, nothrow);
                        if (!ec && r[0].get<std::int32_t>(0) == c * 2)
                            ++ok;
                        else
                            ++failed;
                    }
                    if (c % 10 == 0) {
                        auto [ec, conn] = co_await db.async_acquire(nothrow);
                        if (!ec) {
                            auto [qec, n] = co_await conn->async_execute("SELECT 1", nothrow);
                            (qec ? failed : ok) += 1;
                        }
                    }
                },
                asio::detached);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] { ctx.run_for(60s); });
    // Every coroutine is done once ok + failed reaches the count; then the pool closes and the
    // threads run out of work.
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            while (ok + failed < 4 * 100 * 5 + 4 * 10)
                co_await sleep_for(10ms);
            co_await db.async_close();
        },
        asio::detached);
    for (auto& t : threads)
        t.join();
    CHECK(failed == 0);
    CHECK(ok == 4 * 100 * 5 + 4 * 10);
    CHECK(db.stats().open == 0);
}
