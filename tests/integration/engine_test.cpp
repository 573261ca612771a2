// The engine's promises under sharing, cancellation, COPY and reconnection, against the real
// primary: each case is a way the engine used to break when used as a user would.
#include <pgasio/connection.hpp>
#include <pgasio/observer.hpp>

#include "support/connect.hpp"
#include "support/race.hpp"
#include "support/run.hpp"
#include "support/said_once.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pgasio::client_errc;
using pgasio::test::concurrently;
using pgasio::test::connect_primary;
using pgasio::test::eventually;
using pgasio::test::run;
using pgasio::test::running;
using pgasio::test::sleep_for;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

} // namespace

TEST_CASE("engine: the default token honours cancellation: query || timer ends with the timer") {
    using namespace asio::experimental::awaitable_operators;
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const auto start = std::chrono::steady_clock::now();
        asio::steady_timer timer(ex, 200ms);
        // No token: the default one (throwing pgasio::error) must keep the caller's slot.
        auto query = [&]() -> asio::awaitable<pgasio::result> {
            co_return co_await conn.async_query("SELECT pg_sleep(20) /* default token */");
        };
        auto outcome = co_await (query() || timer.async_wait(asio::use_awaitable));
        CHECK(outcome.index() == 1);
        CHECK(std::chrono::steady_clock::now() - start < 5s);
        auto after = co_await conn.async_query("SELECT 8");
        CHECK(after[0].get<std::int32_t>(0) == 8);
        // Awaited outside the assertion: GCC 12 may evaluate a co_await inside one twice.
        const auto still_running =
            co_await running(conn, "SELECT pg_sleep(20) /* default token */");
        CHECK(still_running == 0);
        co_await conn.async_close();
    });
}

TEST_CASE("engine: COPY FROM STDIN through a query fails at once, the connection stays usable") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE copy_target (n int4)");
        // Alone on the wire.
        pgasio::diagnostics diag;
        auto [ec, n] = co_await conn.async_execute("COPY copy_target FROM STDIN",
                                                   pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == client_errc::copy_needs_copy_api);
        CHECK(diag.message.find("async_copy_in") != std::string::npos);
        CHECK(pgasio::test::times_said(ec, diag, "async_copy_in") == 1);
        // With requests pipelined behind it: the one written right after is swallowed by the
        // server while it waits for COPY data, and must still get its own answer.
        std::vector<std::optional<std::int32_t>> answers(5);
        int done = 0;
        conn.async_execute("COPY copy_target FROM STDIN", [&](pgasio::error_code e, std::uint64_t) {
            CHECK(e == client_errc::copy_needs_copy_api);
            ++done;
        });
        for (int i = 0; i < 5; ++i)
            conn.async_query(
                "SELECT $1::int4 * 10", i, [&, i](pgasio::error_code e, pgasio::result r) {
                    CHECK(!e);
                    if (!e) answers[static_cast<std::size_t>(i)] = r[0].get<std::int32_t>(0);
                    ++done;
                });
        const bool six = co_await eventually([&] { return done == 6; });
        REQUIRE(six);
        for (int i = 0; i < 5; ++i)
            CHECK(answers[static_cast<std::size_t>(i)] == i * 10);
        // As a simple query too, and nothing was copied.
        auto [sec, sr] = co_await conn.async_simple_query("COPY copy_target FROM STDIN", nothrow);
        CHECK(sec == client_errc::copy_needs_copy_api);
        auto count = co_await conn.async_query("SELECT count(*) FROM copy_target");
        CHECK(count[0].get<std::int64_t>(0) == 0);
        co_await conn.async_close();
        (void)ex;
    });
}

TEST_CASE("engine: COPY TO STDOUT through a query is an error, not a silent success") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto [ec, n] = co_await conn.async_execute("COPY (SELECT 1) TO STDOUT", nothrow);
        CHECK(ec == client_errc::copy_needs_copy_api);
        auto [sec, sr] = co_await conn.async_simple_query("COPY (SELECT 1) TO STDOUT", nothrow);
        CHECK(sec == client_errc::copy_needs_copy_api);
        auto after = co_await conn.async_query("SELECT 9");
        CHECK(after[0].get<std::int32_t>(0) == 9);
        co_await conn.async_close();
    });
}

TEST_CASE("engine: a statement belongs to its session, an empty handle is a clear error") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto a = co_await connect_primary();
        auto b = co_await connect_primary();
        auto on_a = co_await a.async_prepare("SELECT 'a'::text");
        auto on_b = co_await b.async_prepare("SELECT 'b'::text");
        // Used on b, a's statement must not run b's statement of the same number.
        auto [ec, r] = co_await b.async_query(on_a, nothrow);
        CHECK(ec == client_errc::statement_not_prepared);
        CHECK(r.empty());
        auto [eb, rb] = co_await b.async_query(on_b, nothrow);
        REQUIRE(!eb);
        CHECK(rb[0].get<std::string>(0) == "b");
        // Empty handles, in every place that takes one.
        pgasio::statement empty;
        auto [ee, re] = co_await a.async_query(empty, nothrow);
        CHECK(ee == client_errc::statement_not_prepared);
        pgasio::batch bt;
        CHECK(bt.add(empty) == client_errc::statement_not_prepared);
        CHECK(bt.add(on_a) == pgasio::error_code{});
        CHECK(bt.add(on_b) == client_errc::statement_not_prepared); // two sessions in one batch
        auto [eab, rab] = co_await b.async_execute_batch(bt, nothrow);
        CHECK(eab == client_errc::statement_not_prepared);
        // After a reconnect, the old session's statements are gone.
        co_await a.async_close();
        co_await a.async_connect(pgasio::test::test_config());
        auto [er, rr] = co_await a.async_query(on_a, nothrow);
        CHECK(er == client_errc::statement_not_prepared);
        co_await a.async_close();
        co_await b.async_close();
    });
}

TEST_CASE("engine: a timed-out query is stopped on the server although others are pipelined") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto observer = co_await connect_primary();
        const auto start = std::chrono::steady_clock::now();
        int done = 0;
        pgasio::error_code sleep_ec;
        conn.async_query("SELECT pg_sleep(60) /* pipelined timeout */",
                         pgasio::with_timeout(300ms, [&](pgasio::error_code e, pgasio::result) {
                             sleep_ec = e;
                             ++done;
                         }));
        int answered = 0;
        for (int i = 0; i < 20; ++i)
            conn.async_query("SELECT $1::int4", i, [&, i](pgasio::error_code e, pgasio::result r) {
                CHECK(!e);
                if (!e && r[0].get<std::int32_t>(0) == i) ++answered;
                ++done;
            });
        const bool all = co_await eventually([&] { return done == 21; }, 10s);
        REQUIRE(all);
        CHECK(sleep_ec == client_errc::query_timeout);
        CHECK(answered == 20);
        CHECK(std::chrono::steady_clock::now() - start < 10s);
        const auto still_running =
            co_await running(observer, "SELECT pg_sleep(60) /* pipelined timeout */");
        CHECK(still_running == 0);
        co_await conn.async_close();
        co_await observer.async_close();
    });
}

TEST_CASE("engine: the config's query_timeout is the default, with_timeout overrides it") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pgasio::test::test_config();
        cfg.pool.query_timeout = 200ms;
        pgasio::connection conn(ex);
        co_await conn.async_connect(cfg);
        auto [ec, r] = co_await conn.async_query("SELECT pg_sleep(5)", nothrow);
        CHECK(ec == client_errc::query_timeout);
        // Longer than the default, allowed by its own timeout (0: none).
        auto slow = co_await conn.async_query("SELECT pg_sleep(0.5), 3", pgasio::with_timeout(0ms));
        CHECK(slow[0].get<std::int32_t>(1) == 3);
        auto [ec2, r2] = co_await conn.async_query(
            "SELECT pg_sleep(5)", pgasio::with_timeout(100ms, asio::as_tuple(asio::deferred)));
        CHECK(ec2 == client_errc::query_timeout);
        co_await conn.async_close();
    });
}

TEST_CASE("engine: cancelling a request waiting behind another never cancels the other") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        for (int i = 0; i < 10; ++i) {
            int done = 0;
            pgasio::error_code first_ec, second_ec;
            conn.async_query("SELECT pg_sleep(0.3)", [&](pgasio::error_code e, pgasio::result) {
                first_ec = e;
                ++done;
            });
            asio::cancellation_signal sig;
            conn.async_query("SELECT 2", asio::bind_cancellation_slot(
                                             sig.slot(), [&](pgasio::error_code e, pgasio::result) {
                                                 second_ec = e;
                                                 ++done;
                                             }));
            co_await sleep_for(50ms); // both are written; the server runs the first
            sig.emit(asio::cancellation_type::terminal);
            const bool both = co_await eventually([&] { return done == 2; });
            REQUIRE(both);
            CHECK(!first_ec); // its caller never cancelled it
            CHECK(second_ec == asio::error::operation_aborted);
        }
        co_await conn.async_close();
    });
}

TEST_CASE("engine: partial cancellation of a sent request is refused, of an unsent one, honoured") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        int done = 0;
        pgasio::error_code ec;
        asio::cancellation_signal sig;
        conn.async_query(
            "SELECT pg_sleep(0.2), 5",
            asio::bind_cancellation_slot(sig.slot(), [&](pgasio::error_code e, pgasio::result) {
                ec = e;
                ++done;
            }));
        co_await sleep_for(50ms);
        // Sent already: partial cancellation promises nothing happened, which is not known now.
        sig.emit(asio::cancellation_type::partial);
        const bool answered = co_await eventually([&] { return done == 1; });
        CHECK(answered);
        CHECK(!ec);
        co_await conn.async_close();
    });
}

TEST_CASE("engine: many coroutines cancelling at random never fail anyone else") {
    run(
        [](asio::any_io_executor ex) -> asio::awaitable<void> {
            auto conn = co_await connect_primary();
            std::mt19937 rng(12345);
            int wrong = 0, cancelled = 0, answered = 0;
            constexpr int coroutines = 16, each = 20;
            std::vector<unsigned> seeds(coroutines);
            for (auto& seed : seeds)
                seed = static_cast<unsigned>(rng());
            co_await concurrently(
                coroutines,
                [&](int c) -> asio::awaitable<void> {
                    std::mt19937 local(seeds[static_cast<std::size_t>(c)]);
                    for (int i = 0; i < each; ++i) {
                        const int v = c * 1000 + i;
                        // Shared with the timer's handler, which may run after this
                        // iteration has ended.
                        auto sig = std::make_shared<asio::cancellation_signal>();
                        asio::steady_timer t(ex, std::chrono::milliseconds(local() % 30));
                        const bool cancel = local() % 3 == 0;
                        if (cancel)
                            t.async_wait([sig](pgasio::error_code e) {
                                if (!e) sig->emit(asio::cancellation_type::terminal);
                            });
                        auto [e, r] = co_await conn.async_query(
                            "SELECT $1::int4, pg_sleep(0.002 * (random() * 5)::int)", v,
                            asio::bind_cancellation_slot(sig->slot(),
                                                         asio::as_tuple(asio::use_awaitable)));
                        t.cancel();
                        if (e == asio::error::operation_aborted && cancel)
                            ++cancelled;
                        else if (!e && r[0].get<std::int32_t>(0) == v)
                            ++answered;
                        else
                            ++wrong;
                    }
                },
                60s);
            CHECK(wrong == 0);
            CHECK(answered + cancelled == coroutines * each);
            CHECK(cancelled > 0);
            auto after = co_await conn.async_query("SELECT 1");
            CHECK(after[0].get<std::int32_t>(0) == 1);
            co_await conn.async_close();
        },
        120s);
}

TEST_CASE("engine: a reconnect after a fatal error starts clean") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto admin = co_await connect_primary();
        // A large result in flight when the backend is terminated.
        int done = 0;
        pgasio::error_code big_ec;
        conn.async_query("SELECT g, repeat('x', 100) FROM generate_series(1, 3000000) g",
                         [&](pgasio::error_code e, pgasio::result) {
                             big_ec = e;
                             ++done;
                         });
        co_await sleep_for(300ms);
        co_await admin.async_query("SELECT pg_terminate_backend($1)", conn.backend_pid());
        const bool finished = co_await eventually([&] { return done == 1; }, 10s);
        REQUIRE(finished);
        CHECK(big_ec);
        CHECK(!conn.is_open());
        co_await conn.async_connect(pgasio::test::test_config());
        auto first = co_await conn.async_query("SELECT 'fresh'::text AS s");
        REQUIRE(first.size() == 1);
        CHECK(first.columns().size() == 1);
        CHECK(first[0].get<std::string>("s") == "fresh");
        // A later failure is this session's own, not the terminated one's.
        pgasio::diagnostics diag;
        auto [ec, r] =
            co_await conn.async_query("SELECT 1/0", pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == pgasio::sqlstate::division_by_zero);
        CHECK(diag.sqlstate == "22012");
        co_await conn.async_close();
        co_await admin.async_close();
    });
}

TEST_CASE("engine: async_connect on an open connection fails and leaves it as it was") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const auto pid = conn.backend_pid();
        auto [ec] = co_await conn.async_connect(pgasio::test::test_config(), nothrow);
        CHECK(ec == client_errc::already_connected);
        CHECK(conn.is_open());
        CHECK(conn.backend_pid() == pid);
        auto r = co_await conn.async_query("SELECT pg_backend_pid()");
        CHECK(r[0].get<std::int32_t>(0) == pid);
        // Its text says so once.
        try {
            co_await conn.async_connect(pgasio::test::test_config());
            FAIL("connecting an open connection again succeeded");
        } catch (const pgasio::error& e) {
            CHECK(pgasio::test::times_said(e.code(), e.diag(), "already open") == 1);
        }
        co_await conn.async_close();
    });
}

TEST_CASE("engine: async_close answers a waiting async_receive_notification") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_listen("engine_close_test");
        std::optional<pgasio::error_code> got;
        conn.async_receive_notification(
            [&](pgasio::error_code e, pgasio::notification) { got = e; });
        co_await sleep_for(20ms);
        co_await conn.async_close();
        const bool finished = co_await eventually([&] { return got.has_value(); }, 2s);
        REQUIRE(finished);
        CHECK(*got == asio::error::operation_aborted);
        (void)ex;
    });
}

TEST_CASE("engine: completion handlers are never called from inside the initiating function") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        pgasio::connection closed(co_await asio::this_coro::executor);
        bool called = false;
        closed.async_query("SELECT 1", [&](pgasio::error_code e, pgasio::result) {
            CHECK(e == client_errc::not_connected);
            called = true;
        });
        CHECK(!called); // not yet: it is posted
        co_await sleep_for(10ms);
        CHECK(called);

        auto conn = co_await connect_primary();
        bool refused = false;
        conn.async_query("SELECT $1::text", std::string("a\0b", 3),
                         [&](pgasio::error_code e, pgasio::result) {
                             CHECK(e);
                             refused = true;
                         });
        CHECK(!refused);
        co_await sleep_for(10ms);
        CHECK(refused);
        co_await conn.async_close();
    });
}

TEST_CASE("engine: operations started from other threads run on the connection's executor") {
    asio::io_context ctx;
    auto work = asio::make_work_guard(ctx);
    std::thread runner([&] { ctx.run(); });
    pgasio::connection conn(ctx);
    conn.async_connect(pgasio::test::test_config(), asio::use_future).get();
    std::vector<std::thread> starters;
    std::atomic<int> right{0};
    for (int t = 0; t < 4; ++t)
        starters.emplace_back([&, t] {
            try {
                for (int i = 0; i < 50; ++i) {
                    const int v = t * 100 + i;
                    auto r = conn.async_query("SELECT $1::int4", v, asio::use_future).get();
                    if (r[0].get<std::int32_t>(0) == v) ++right;
                }
            } catch (const std::exception&) {
                // Counted as missing answers below.
            }
        });
    for (auto& s : starters)
        s.join();
    CHECK(right == 200);
    conn.async_close(asio::use_future).get();
    work.reset();
    runner.join();
}

// The handle goes on a thread that does not run the connection's strand while the strand's
// threads hand out answers and write: the socket belongs to the strand, and closing it from the
// destroying thread raced the engine's reads and writes (the tsan preset runs it). Even rounds
// send queries the server answers at once, which arrive in a burst around the destruction; odd
// rounds, queries of 1 ms each, whose answers trickle in before and after it.
TEST_CASE("engine: a connection destroyed on another thread than its strand's, its requests end") {
    asio::io_context ctx(4);
    const auto strand = asio::make_strand(ctx);
    constexpr int rounds = 12;
    constexpr int requests = 60;
    pgasio::test::race_tally tally;
    {
        const pgasio::test::threads_running running(ctx, 4);
        for (int round = 0; round < rounds; ++round) {
            const bool trickle = round % 2 == 1;
            const char* sql = trickle ? "SELECT $1::int4 FROM pg_sleep(0.001)" : "SELECT $1::int4";
            auto conn = std::make_unique<pgasio::connection>(strand);
            conn->async_connect(pgasio::test::test_config(), asio::use_future).get();
            std::atomic<int> done{0};
            std::promise<void> all_done;
            auto count = [&](int i, pgasio::error_code ec, const pgasio::result& r) {
                if (!ec && r.size() == 1 && r[0].get<std::int32_t>(0) == i)
                    ++tally.answered;
                else if (ec == asio::error::operation_aborted ||
                         ec == client_errc::connection_closed)
                    ++tally.cancelled;
                else
                    tally.fail("a query", ec);
                if (++done == requests) all_done.set_value();
            };
            // Started on the strand, so the handle is touched by no other thread before it goes.
            std::promise<void> started;
            asio::post(strand, [&] {
                for (int i = 0; i < requests; ++i)
                    conn->async_query(sql, i, [&count, i](pgasio::error_code ec, pgasio::result r) {
                        count(i, ec, r);
                    });
                started.set_value();
            });
            started.get_future().get();
            // From no wait at all to about when the burst comes, or to the first few of the
            // trickle.
            std::this_thread::sleep_for(std::chrono::microseconds(round * (trickle ? 500 : 100)));
            conn.reset();
            REQUIRE(all_done.get_future().wait_for(30s) == std::future_status::ready);
        }
    }
    INFO("answered " << tally.answered << ", ended " << tally.cancelled
                     << "; first wrong: " << tally.first_wrong());
    CHECK(tally.wrong == 0);
    CHECK(tally.answered + tally.cancelled == rounds * requests);
    CHECK(tally.answered > 0);
    CHECK(tally.cancelled > 0);
}

// Coroutines race the connection's operations against short timers, each on a strand of its own
// of an io_context run by 4 threads, while the connection runs on another: a loser is cancelled
// from its coroutine's strand while the connection answers the others from its own. Every kind of
// wait that can be cancelled is raced: queries, an independent batch, exclusive leases, a row
// stream's reads, the wait for a notification, and the steps of COPY in and out. (The tsan preset
// runs it: a cancellation slot touched from two threads at once is a data race.)
TEST_CASE("engine: operations cancelled from other threads while the connection answers others") {
    using namespace asio::experimental::awaitable_operators;
    constexpr auto awaited = asio::as_tuple(asio::use_awaitable);
    asio::io_context ctx(4);
    pgasio::connection conn(asio::make_strand(ctx));
    constexpr int coroutines = 40;
    constexpr int rounds = 25;
    pgasio::test::race_tally tally;
    std::atomic<int> hit_by_others_cancel{0};
    auto race_timer = [](int n) { return pgasio::test::race_timer(n, 40ms); };
    auto race = [&](int c) -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        auto arm = [&](int i) { timer.expires_after(race_timer(c * 397 + i)); };
        for (int i = 0; i < rounds; ++i) {
            arm(i);
            switch ((c + i) % 4) {
            case 0: {
                auto r = co_await (conn.async_query("SELECT $1::int4", c, awaited) ||
                                   timer.async_wait(awaited));
                if (tally.lost(r)) break;
                auto& [ec, rows] = std::get<0>(r);
                if (!ec && rows[0].get<std::int32_t>(0) == c)
                    ++tally.answered;
                else
                    tally.fail("query", ec);
                break;
            }
            case 1: {
                pgasio::batch b(pgasio::batch_mode::independent);
                for (int k = 0; k < 3; ++k)
                    if (auto ec = b.add("SELECT $1::int4", k)) tally.fail("batch add", ec);
                auto r = co_await (conn.async_execute_batch(std::move(b), awaited) ||
                                   timer.async_wait(awaited));
                if (tally.lost(r)) break;
                if (auto ec = std::get<0>(std::get<0>(r)))
                    tally.fail("batch", ec);
                else
                    ++tally.answered;
                break;
            }
            case 2: {
                auto r =
                    co_await (conn.async_acquire_exclusive(awaited) || timer.async_wait(awaited));
                if (tally.lost(r)) break;
                auto& [ec, lease] = std::get<0>(r);
                if (ec) {
                    tally.fail("acquire", ec);
                    break;
                }
                auto [qec, n] = co_await lease.async_execute("SELECT 1", awaited);
                if (qec)
                    tally.fail("lease query", qec);
                else
                    ++tally.answered;
                break;
            }
            default: {
                auto stream = conn.query_stream("SELECT generate_series(1, 20000)");
                for (bool more = true; more;) {
                    pgasio::diagnostics diag;
                    auto r = co_await (stream.async_next(pgasio::diagnostics_into(diag, awaited)) ||
                                       timer.async_wait(awaited));
                    if (tally.lost(r)) break;
                    auto& [ec, part] = std::get<0>(r);
                    if (ec == pgasio::sqlstate::query_canceled &&
                        diag.detail.find("cancel request sent for another request") !=
                            std::string::npos) {
                        // Its rows had reached it when another's cancel landed on it: it
                        // cannot run again (see connection's Cancellation and timeouts).
                        ++hit_by_others_cancel;
                        break;
                    }
                    if (ec) {
                        tally.fail("stream read", ec);
                        break;
                    }
                    more = !part.empty();
                    if (!more) ++tally.answered;
                    arm(i);
                }
                break;
            }
            }
        }
        ++tally.finished;
    };
    // Waits for notifications that come only now and then, so that most waits are cancelled.
    std::atomic<bool> racing{true};
    auto listen = [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        for (int i = 0; racing; ++i) {
            if (i % 5 == 0) co_await conn.async_execute("NOTIFY engine_race", awaited);
            timer.expires_after(std::chrono::microseconds(200 + (i * 1009) % 20000));
            auto r =
                co_await (conn.async_receive_notification(awaited) || timer.async_wait(awaited));
            if (tally.lost(r)) continue;
            if (auto ec = std::get<0>(std::get<0>(r)))
                tally.fail("notification", ec);
            else
                ++tally.answered;
        }
    };
    // COPY in and out, each step raced: the open, the writes (each over the writer's 64 kB
    // chunk, so each waits for the socket), the finish, and the reads. A step that loses stops
    // its COPY.
    auto copies = [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        std::string lines;
        for (int n = 0; n < 20000; ++n)
            lines += std::to_string(n) + "\n";
        auto arm = [&](int i) { timer.expires_after(race_timer(i)); };
        for (int i = 0; i < 20; ++i) {
            arm(i);
            auto in = co_await (conn.async_copy_in("COPY engine_race_copy FROM STDIN", awaited) ||
                                timer.async_wait(awaited));
            if (tally.lost(in)) continue;
            auto& [ec, writer] = std::get<0>(in);
            if (ec) {
                tally.fail("copy in", ec);
                continue;
            }
            bool stopped = false;
            for (int k = 0; k < 3 && !stopped; ++k) {
                arm(i + k);
                auto w = co_await (writer.async_write(lines, awaited) || timer.async_wait(awaited));
                if (tally.lost(w)) {
                    stopped = true;
                } else if (auto wec = std::get<0>(std::get<0>(w))) {
                    tally.fail("copy write", wec);
                    stopped = true;
                }
            }
            if (stopped) continue;
            arm(i);
            auto done = co_await (writer.async_finish(awaited) || timer.async_wait(awaited));
            if (tally.lost(done)) continue;
            if (auto fec = std::get<0>(std::get<0>(done)))
                tally.fail("copy finish", fec);
            else
                ++tally.answered;

            arm(i + 7);
            auto out = co_await (
                conn.async_copy_out("COPY (SELECT generate_series(1, 50000)) TO STDOUT", awaited) ||
                timer.async_wait(awaited));
            if (tally.lost(out)) continue;
            auto& [oec, reader] = std::get<0>(out);
            if (oec) {
                tally.fail("copy out", oec);
                continue;
            }
            for (bool more = true; more;) {
                arm(i + 11);
                auto chunk = co_await (reader.async_read(awaited) || timer.async_wait(awaited));
                if (tally.lost(chunk)) break;
                auto& [rec, data] = std::get<0>(chunk);
                if (rec) tally.fail("copy read", rec);
                more = !rec && !data.empty();
                if (!rec && data.empty()) ++tally.answered;
            }
        }
        ++tally.finished;
    };
    std::atomic<int> last = 0;
    asio::co_spawn(
        asio::make_strand(ctx),
        [&]() -> asio::awaitable<void> {
            co_await conn.async_connect(pgasio::test::test_config());
            co_await conn.async_execute("LISTEN engine_race");
            co_await conn.async_execute("CREATE TEMP TABLE engine_race_copy (n int)");
            asio::co_spawn(asio::make_strand(ctx), copies(), asio::detached);
            asio::co_spawn(asio::make_strand(ctx), listen(), asio::detached);
            for (int c = 0; c < coroutines; ++c)
                asio::co_spawn(asio::make_strand(ctx), race(c), asio::detached);
            while (tally.finished < coroutines + 1)
                co_await sleep_for(10ms);
            racing = false;
            last = (co_await conn.async_query("SELECT 42"))[0].get<std::int32_t>(0);
            co_await sleep_for(20ms); // the listener's last wait ends
            co_await conn.async_close();
        },
        asio::detached);
    pgasio::test::run_on_threads(ctx, 4, 120s);
    INFO("answered " << tally.answered << ", cancelled " << tally.cancelled
                     << ", streams stopped by another's cancel " << hit_by_others_cancel
                     << "; first wrong: " << tally.first_wrong());
    CHECK(tally.finished == coroutines + 1);
    CHECK(tally.wrong == 0);
    CHECK(tally.answered > 0);
    CHECK(tally.cancelled > 0);
    CHECK(last == 42);
}

TEST_CASE("engine: destroying a connection during async_connect leaves no session open") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto observer = co_await connect_primary();
        // Two hosts: the first attempt is cut by the destruction, the second must not go on.
        auto cfg = pgasio::test::test_config("sslmode=disable application_name=orphan_test");
        cfg.hosts.push_back(cfg.hosts.front());
        for (int i = 0; i < 5; ++i) {
            auto conn = std::make_unique<pgasio::connection>(ex);
            conn->async_connect(cfg, [](pgasio::error_code) {});
            co_await sleep_for(std::chrono::milliseconds(i));
            conn.reset();
        }
        co_await sleep_for(1500ms);
        auto r = co_await observer.async_query(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'orphan_test'");
        CHECK(r[0].get<std::int64_t>(0) == 0);
        co_await observer.async_close();
    });
}

TEST_CASE("engine: BEGIN on a shared connection never takes another coroutine's insert with it") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE shared_tx (who text)");
        // Coroutine A opens a transaction as a plain query while B inserts on the same
        // connection; A then rolls back. B's reported success must hold. Twice: had the
        // statement cache kept the first BEGIN, the second, found there, would not run alone.
        for (int round = 1; round <= 2; ++round) {
            int done = 0;
            pgasio::error_code a_begin, b_insert;
            conn.async_execute("BEGIN", [&](pgasio::error_code e, std::uint64_t) {
                a_begin = e;
                ++done;
            });
            conn.async_execute("INSERT INTO shared_tx VALUES ('b')",
                               [&](pgasio::error_code e, std::uint64_t) {
                                   b_insert = e;
                                   ++done;
                               });
            const bool finished = co_await eventually([&] { return done == 2; });
            REQUIRE(finished);
            CHECK(a_begin == client_errc::transaction_needs_lease);
            CHECK(!b_insert);
            co_await conn.async_execute("ROLLBACK"); // A's, harmless now
            auto rows = co_await conn.async_query("SELECT count(*) FROM shared_tx WHERE who = 'b'");
            CHECK(rows[0].get<std::int64_t>(0) == round);
        }
        // A multi-statement text that leaves a block open is rolled back too.
        pgasio::diagnostics diag;
        auto [ec, r] =
            co_await conn.async_simple_query("BEGIN; INSERT INTO shared_tx VALUES ('simple')",
                                             pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == client_errc::transaction_needs_lease);
        CHECK(pgasio::test::times_said(ec, diag, "shared connection") == 1);
        auto simple = co_await conn.async_query("SELECT count(*) FROM shared_tx");
        CHECK(simple[0].get<std::int64_t>(0) == 2);
        co_await conn.async_close();
        (void)ex;
    });
}

TEST_CASE(
    "engine: an exclusive lease keeps others out until it ends, then rolls back what it left") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE leased (who text)");
        auto lease = co_await conn.async_acquire_exclusive();
        REQUIRE(lease.valid());
        co_await lease.async_execute("BEGIN");
        co_await lease.async_execute("INSERT INTO leased VALUES ('a')");
        // B's insert waits for the lease: it must not run inside A's transaction.
        bool b_done = false;
        pgasio::error_code b_ec;
        conn.async_execute("INSERT INTO leased VALUES ('b')",
                           [&](pgasio::error_code e, std::uint64_t) {
                               b_ec = e;
                               b_done = true;
                           });
        co_await sleep_for(100ms);
        CHECK(!b_done);
        auto inside = co_await lease.async_query("SELECT count(*) FROM leased");
        CHECK(inside[0].get<std::int64_t>(0) == 1); // only A's row
        co_await lease.async_execute("ROLLBACK");
        lease.release();
        const bool finished = co_await eventually([&] { return b_done; });
        REQUIRE(finished);
        CHECK(!b_ec);
        auto [after_ec, after] =
            co_await lease.async_query("SELECT 1", nothrow); // released: refused
        CHECK(after_ec == client_errc::lease_ended);
        auto rows = co_await conn.async_query("SELECT string_agg(who, ',') FROM leased");
        CHECK(rows[0].get<std::string>(0) == "b");

        // A lease dropped with its transaction open: rolled back before anyone else runs.
        {
            auto l2 = co_await conn.async_acquire_exclusive();
            co_await l2.async_execute("BEGIN");
            co_await l2.async_execute("INSERT INTO leased VALUES ('lost')");
        }
        auto status = co_await conn.async_query("SELECT count(*) FROM leased WHERE who = 'lost'");
        CHECK(status[0].get<std::int64_t>(0) == 0);
        // The session is out of any transaction: a plain BEGIN would be refused, a plain
        // statement autocommits.
        co_await conn.async_execute("INSERT INTO leased VALUES ('c')");
        auto c = co_await conn.async_query("SELECT count(*) FROM leased WHERE who = 'c'");
        CHECK(c[0].get<std::int64_t>(0) == 1);
        co_await conn.async_close();
        (void)ex;
    });
}

TEST_CASE("engine: a wait for a lease can be cancelled, and the line goes on") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto held = co_await conn.async_acquire_exclusive();
        // A second waiter gives up after 50 ms, while the lease is still held.
        asio::cancellation_signal give_up;
        std::optional<pgasio::error_code> waited;
        conn.async_acquire_exclusive(asio::bind_cancellation_slot(
            give_up.slot(), [&](pgasio::error_code e, pgasio::exclusive_lease l) {
                waited = e;
                CHECK(!l.valid());
            }));
        co_await sleep_for(50ms);
        CHECK(!waited);
        give_up.emit(asio::cancellation_type::terminal);
        const bool finished = co_await eventually([&] { return waited.has_value(); }, 2s);
        REQUIRE(finished);
        CHECK(*waited == asio::error::operation_aborted);
        // The cancelled waiter holds nothing: the next one gets the session once it is free.
        held.release();
        auto next = co_await conn.async_acquire_exclusive();
        auto r = co_await next.async_query("SELECT 1");
        CHECK(r[0].get<std::int32_t>(0) == 1);
        (void)ex;
    });
}

namespace {

// How long after the first of two pipelined queries the second one's answer reaches its caller,
// on a connection made with `settings`: the first answers at once, the second after 50 ms of
// pg_sleep, so that each answer comes in a read of its own.
asio::awaitable<std::chrono::steady_clock::duration> gap_between_answers(std::string settings) {
    auto conn = co_await connect_primary(settings);
    std::chrono::steady_clock::time_point first{};
    std::chrono::steady_clock::time_point second{};
    co_await concurrently(2, [&](int k) -> asio::awaitable<void> {
        if (k == 0) {
            auto r = co_await conn.async_query("SELECT 1");
            CHECK(r[0].get<std::int32_t>(0) == 1);
            first = std::chrono::steady_clock::now();
        } else {
            co_await conn.async_query("SELECT pg_sleep(0.05)");
            second = std::chrono::steady_clock::now();
        }
    });
    co_await conn.async_close();
    co_return second - first;
}

} // namespace

TEST_CASE("engine: with enough requests in flight, the next read waits pipeline_read_pause") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        // Once the first answer is read, one request is still in flight: depth 1 makes the
        // connection pause 300 ms before reading the second answer, which came after 50 ms.
        const auto paused = co_await gap_between_answers(
            "sslmode=disable pipeline_read_pause=300ms pipeline_read_pause_depth=1");
        CHECK(paused >= 290ms);
        // Over TLS a short read says nothing of what is waiting: no pause there.
        const auto over_tls = co_await gap_between_answers(
            "sslmode=require pipeline_read_pause=1s pipeline_read_pause_depth=1");
        CHECK(over_tls < 900ms);
    });
}

TEST_CASE("engine: reading a result whose rows are still coming waits pipeline_read_pause") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        // Rows of 20 kB, each sent alone once its pg_sleep is over: 150 ms in all without a
        // pause. The read that takes the first row finds no more: the next waits 400 ms.
        auto conn = co_await connect_primary("sslmode=disable pipeline_read_pause=400ms");
        const auto start = std::chrono::steady_clock::now();
        auto r = co_await conn.async_query(
            "SELECT repeat('x', 20000), pg_sleep(0.05) FROM generate_series(1, 3)");
        CHECK(r.size() == 3);
        CHECK(std::chrono::steady_clock::now() - start >= 390ms);
    });
}

TEST_CASE("engine: a deep pipeline read with pauses answers every request, in order") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary(
            "sslmode=disable pipeline_read_pause=1ms pipeline_read_pause_depth=16");
        constexpr int workers = 256;
        constexpr std::int32_t per_worker = 40;
        std::int32_t completed = 0;
        std::int64_t sum = 0;
        co_await concurrently(workers, [&](int w) -> asio::awaitable<void> {
            for (std::int32_t i = w + 1; i <= workers * per_worker; i += workers) {
                auto r = co_await conn.async_query("SELECT $1::int4", i);
                sum += r[0].get<std::int32_t>(0);
                // Each coroutine sends its next query only once its last one is answered, so
                // every query is answered in the order it was sent: $1 = 1, 2, 3...
                CHECK(i == ++completed);
            }
        });
        constexpr std::int64_t n = workers * per_worker;
        CHECK(completed == n);
        CHECK(sum == n * (n + 1) / 2);
    });
}

TEST_CASE("engine: a connection closed during a read pause reconnects to a clean read loop") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        const auto cfg = pgasio::test::test_config(
            "sslmode=disable pipeline_read_pause=500ms pipeline_read_pause_depth=1");
        pgasio::connection conn(co_await asio::this_coro::executor);
        co_await conn.async_connect(cfg);
        std::optional<pgasio::error_code> sleeper;
        co_await concurrently(2, [&](int k) -> asio::awaitable<void> {
            if (k == 0) {
                auto r = co_await conn.async_query("SELECT 1");
                CHECK(r[0].get<std::int32_t>(0) == 1);
                // The read of the sleeper's answer now waits 500 ms: close, and connect again.
                co_await conn.async_close();
                co_await conn.async_connect(cfg);
            } else {
                auto [ec, r] = co_await conn.async_query("SELECT pg_sleep(0.1)", nothrow);
                sleeper = ec;
            }
        });
        REQUIRE(sleeper);
        CHECK(*sleeper == asio::error::operation_aborted);
        // The new session's read loop is the only one, before and after the old pause's end: a
        // second read outstanding would take bytes into a buffer that a large answer moves.
        for (int round = 0; round < 2; ++round) {
            co_await concurrently(8, [&](int k) -> asio::awaitable<void> {
                auto r = co_await conn.async_query("SELECT $1::int4 * 2, repeat('x', $2)", k,
                                                   std::int32_t{200'000} * k);
                CHECK(r[0].get<std::int32_t>(0) == k * 2);
                CHECK(r[0].get<std::string_view>(1).size() == 200'000u * unsigned(k));
            });
            co_await sleep_for(600ms);
        }
    });
}

namespace {

// Keeps the duration and the error of every operation that ends.
struct duration_recorder final : pgasio::observer {
    struct ended {
        pgasio::error_code ec;
        std::chrono::nanoseconds duration;
    };
    void operation_end(const pgasio::operation_info&, const pgasio::operation_result& r,
                       void*) noexcept override {
        log.push_back({r.ec, r.duration});
    }
    std::vector<ended> log; // one thread: the test's io_context
};

// A connection to the test server whose operations `recorder` observes.
asio::awaitable<pgasio::connection> connect_observed(asio::any_io_executor ex,
                                                     std::shared_ptr<duration_recorder> recorder) {
    auto cfg = pgasio::test::test_config();
    cfg.observer = std::move(recorder);
    pgasio::connection conn(ex);
    co_await conn.async_connect(cfg);
    co_return conn;
}

} // namespace

TEST_CASE("engine: an operation refused while its connection hands out answers has a duration "
          "from its own start") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto recorder = std::make_shared<duration_recorder>();
        auto conn = co_await connect_observed(ex, recorder);
        const auto stmt = co_await conn.async_prepare("SELECT $1::int4");
        // Resumed where the read loop hands out this answer: the answers of that read end at
        // one reading of the clock, taken before this runs.
        co_await conn.async_query("SELECT 1");
        std::this_thread::sleep_for(50ms);
        // Refused without the server (two parameters for one), still inside that read's hand-out.
        auto [ec, rows] = co_await conn.async_query(stmt, 1, 2, nothrow);
        REQUIRE(ec == client_errc::parameter_count_mismatch);
        REQUIRE(!recorder->log.empty());
        const auto refused = recorder->log.back();
        CHECK(refused.ec == client_errc::parameter_count_mismatch);
        // Before: the reading of the read that came before it, 50 ms before it started.
        CHECK(refused.duration >= 0ns);
        CHECK(refused.duration < 50ms);
        co_await conn.async_close();
    });
}

TEST_CASE("engine: an answer that comes in a later read ends at that read's reading of the clock") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto recorder = std::make_shared<duration_recorder>();
        auto conn = co_await connect_observed(ex, recorder);
        // Both written at once: the first answer comes in one read, the sleeper's in a later
        // one, 500 ms after both started (time enough for a loaded machine to read the first).
        co_await concurrently(2, [&](int k) -> asio::awaitable<void> {
            co_await conn.async_query(k == 0 ? "SELECT 1" : "SELECT pg_sleep(0.5)");
        });
        REQUIRE(recorder->log.size() >= 2);
        const auto first = recorder->log[recorder->log.size() - 2];
        const auto sleeper = recorder->log.back();
        REQUIRE(first.duration < 500ms); // answered in the earlier read
        // Before: the earlier read's reading, a few milliseconds after both started.
        CHECK(sleeper.duration >= 500ms);
        co_await conn.async_close();
    });
}
