// Queries against the real primary: each query form, pipelining, errors, cancellation,
// termination, notifications, and every completion token style.
#include <pgasio/connection.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/describe/class.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pgasio::client_errc;
using pgasio::test::connect_primary;
using pgasio::test::run;

namespace {
struct user_row {
    std::int32_t id;
    std::string name;
    std::optional<std::string> email;
};
BOOST_DESCRIBE_STRUCT(user_row, (), (id, name, email))

constexpr auto nothrow = asio::as_tuple(asio::deferred);
} // namespace

TEST_CASE("query: parameters in, typed rows out") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto rows =
            co_await conn.async_query("SELECT $1::int4 + 1 AS n, $2::text AS s, $3::float8 AS f, "
                                      "$4::int8 AS missing",
                                      41, "forty-two", 4.5, std::optional<std::int64_t>{});
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].get<std::int32_t>("n") == 42);
        CHECK(rows[0].get<std::string_view>(1) == "forty-two");
        CHECK(rows[0].get<double>("f") == 4.5);
        CHECK(!rows[0].try_get<std::int64_t>("missing"));
        CHECK(rows.columns().size() == 4);
        co_await conn.async_close();
    });
}

TEST_CASE("query: execute counts rows, query_one and query_opt check the count") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute(
            "CREATE TEMP TABLE t (id int4 PRIMARY KEY, name text NOT NULL, email text)");
        const auto inserted = co_await conn.async_execute(
            "INSERT INTO t SELECT g, 'user' || g, NULL FROM generate_series(1, $1::int4) g", 5);
        CHECK(inserted == 5u);
        // Awaited outside the assertion: GCC 12 may evaluate a co_await inside one twice.
        const auto updated =
            co_await conn.async_execute("UPDATE t SET email = name || '@x' WHERE id <= $1", 2);
        CHECK(updated == 2u);
        auto one = co_await conn.async_query_one("SELECT name FROM t WHERE id = $1", 3);
        CHECK(one[0].get<std::string>(0) == "user3");
        auto none = co_await conn.async_query_opt("SELECT name FROM t WHERE id = $1", 99);
        CHECK(none.empty());
        auto [ec, many] = co_await conn.async_query_one("SELECT name FROM t", nothrow);
        CHECK(ec == client_errc::unexpected_row_count);
        auto users =
            co_await conn.async_query_as<user_row>("SELECT id, name, email FROM t ORDER BY id");
        REQUIRE(users.size() == 5);
        CHECK(users[0].name == "user1");
        CHECK(users[0].email == "user1@x");
        CHECK(!users[4].email);
        auto tuples = co_await conn.async_query_as<std::tuple<std::int32_t, std::string>>(
            "SELECT id, name FROM t WHERE id = $1", 2);
        REQUIRE(tuples.size() == 1);
        CHECK(std::get<1>(tuples[0]) == "user2");
        co_await conn.async_close();
    });
}

TEST_CASE("query: simple query runs several statements, results in text") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto results =
            co_await conn.async_simple_query("SELECT 1 AS a; SELECT 'x' AS b, 2.5::float8 AS c; "
                                             "CREATE TEMP TABLE s(x int)");
        REQUIRE(results.size() == 3);
        CHECK(results[0][0].get<std::int32_t>("a") == 1);
        CHECK(results[1][0].get<std::string>("b") == "x");
        CHECK(results[1][0].get<double>("c") == 2.5);
        CHECK(results[2].command_tag() == "CREATE TABLE");
        co_await conn.async_close();
    });
}

TEST_CASE("query: prepared statements run with Bind and Execute only") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto stmt = co_await conn.async_prepare("SELECT $1::int4 * 2 AS twice, $2::text AS label");
        REQUIRE(stmt.parameter_types().size() == 2);
        CHECK(stmt.parameter_types()[0] == pgasio::protocol::oids::int4);
        REQUIRE(stmt.columns().size() == 2);
        CHECK(stmt.columns()[0].name == "twice");
        for (int i = 0; i < 3; ++i) {
            auto r = co_await conn.async_query(stmt, i, "n");
            CHECK(r[0].get<std::int32_t>("twice") == 2 * i);
        }
        pgasio::diagnostics diag;
        auto [ec, r] = co_await conn.async_query(stmt, 1, nothrow);
        CHECK(ec == client_errc::parameter_count_mismatch);
        auto after = co_await conn.async_query(stmt, 5, "still usable");
        CHECK(after[0].get<std::int32_t>(0) == 10);
        co_await conn.async_close_statement(stmt);
        auto [gone, r2] = co_await conn.async_query(stmt, 1, "x", nothrow);
        CHECK(gone == pgasio::sqlstate::invalid_sql_statement_name);
        co_await conn.async_close();
    });
}

TEST_CASE("query: 1000 coroutines on one connection each get their own answer") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        std::vector<int> answers(1000, -1);
        int done = 0;
        for (int i = 0; i < 1000; ++i) {
            asio::co_spawn(
                ex,
                [&, i]() -> asio::awaitable<void> {
                    auto r = co_await conn.async_query("SELECT $1::int4", i);
                    answers[static_cast<std::size_t>(i)] = r[0].get<std::int32_t>(0);
                    ++done;
                },
                asio::detached);
        }
        asio::steady_timer t(ex);
        while (done < 1000) {
            t.expires_after(5ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        for (int i = 0; i < 1000; ++i)
            CHECK(answers[static_cast<std::size_t>(i)] == i);
        co_await conn.async_close();
    });
}

TEST_CASE("query: a connection on a strand of a two-thread io_context answers on the strand") {
    asio::io_context ctx(2);
    auto strand = asio::make_strand(ctx);
    constexpr int clients = 100;
    constexpr int per_client = 20;
    std::vector<std::int64_t> sums(clients, 0);
    int outside_strand = 0; // continuations that ran outside the strand
    auto body = [&]() -> asio::awaitable<void> {
        pgasio::connection conn(strand);
        co_await conn.async_connect(pgasio::test::test_config());
        int done = 0;
        for (int c = 0; c < clients; ++c) {
            asio::co_spawn(
                strand,
                [&, c]() -> asio::awaitable<void> {
                    for (int j = 0; j < per_client; ++j) {
                        auto r = co_await conn.async_query("SELECT $1::int4", c * 1000 + j);
                        if (!strand.running_in_this_thread()) ++outside_strand;
                        sums[static_cast<std::size_t>(c)] += r[0].get<std::int32_t>(0);
                    }
                    ++done;
                },
                asio::detached);
        }
        asio::steady_timer t(strand);
        while (done < clients) {
            t.expires_after(5ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        co_await conn.async_close();
    };
    auto finished = asio::co_spawn(strand, body(), asio::use_future);
    std::thread second([&] { ctx.run_for(60s); });
    ctx.run_for(60s);
    second.join();
    REQUIRE(finished.wait_for(0s) == std::future_status::ready);
    finished.get();
    CHECK(outside_strand == 0);
    for (int c = 0; c < clients; ++c) // sum of c*1000 + j over j < per_client
        CHECK(sums[static_cast<std::size_t>(c)] ==
              std::int64_t{c} * 1000 * per_client + per_client * (per_client - 1) / 2);
}

TEST_CASE("query: a request larger than the socket buffers goes out whole, then the next") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        // 32 MiB: more than a non-blocking send takes at once, so the rest is written
        // asynchronously; a small query queued behind it must follow it intact.
        std::vector<std::byte> big(32u << 20);
        for (std::size_t i = 0; i < big.size(); ++i)
            big[i] = static_cast<std::byte>(i * 7 + 3);
        using namespace asio::experimental::awaitable_operators;
        const auto [r1, r2] =
            co_await (conn.async_query("SELECT length($1::bytea), get_byte($1::bytea, 12345678), "
                                       "get_byte($1::bytea, 33554431)",
                                       std::span<const std::byte>(big), asio::use_awaitable) &&
                      conn.async_query("SELECT $1::int4", 7, asio::use_awaitable));
        CHECK(r1[0].get<std::int32_t>(0) == static_cast<std::int32_t>(big.size()));
        CHECK(r1[0].get<std::int32_t>(1) == static_cast<std::int32_t>(big[12345678]));
        CHECK(r1[0].get<std::int32_t>(2) == static_cast<std::int32_t>(big[33554431]));
        CHECK(r2[0].get<std::int32_t>(0) == 7);
        co_await conn.async_close();
    });
}

TEST_CASE("query: an error in one request does not disturb the others queued with it") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        std::vector<pgasio::error_code> codes(3);
        std::vector<int> values(3, -1);
        int done = 0;
        const char* sql[] = {"SELECT 1", "SELECT * FROM no_such_table", "SELECT 3"};
        for (int i = 0; i < 3; ++i) {
            asio::co_spawn(
                ex,
                [&, i]() -> asio::awaitable<void> {
                    pgasio::diagnostics diag;
                    auto [ec, r] = co_await conn.async_query(sql[i], nothrow);
                    codes[static_cast<std::size_t>(i)] = ec;
                    if (!ec) values[static_cast<std::size_t>(i)] = r[0].get<std::int32_t>(0);
                    ++done;
                },
                asio::detached);
        }
        asio::steady_timer t(ex);
        while (done < 3) {
            t.expires_after(5ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(!codes[0]);
        CHECK(codes[1] == pgasio::sqlstate::undefined_table);
        CHECK(!pgasio::is_fatal(codes[1]));
        CHECK(!codes[2]);
        CHECK(values[0] == 1);
        CHECK(values[2] == 3);
        CHECK(conn.is_open());
        co_await conn.async_close();
    });
}

TEST_CASE("query: parameters that do not fit the placeholders are refused unsent, in every "
          "mode, and an open transaction goes on") {
    // A call refused before anything was sent, its diagnostics saying `why`.
    const auto refused = [](const std::tuple<pgasio::error_code, pgasio::result>& outcome,
                            const pgasio::diagnostics& diag, const std::string& why) {
        CHECK(std::get<0>(outcome) == client_errc::parameter_count_mismatch);
        CHECK_THAT(diag.message, Catch::Contains(why));
        CHECK(std::get<1>(outcome).empty());
    };
    run([&](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        using pgasio::query_exec_mode;
        for (const auto mode : {query_exec_mode::cache_statement, query_exec_mode::cache_describe,
                                query_exec_mode::describe_exec, query_exec_mode::simple_protocol}) {
            INFO(static_cast<int>(mode));
            auto tx = co_await conn.async_begin();
            // Twice: the statement cache must not keep what it refused.
            for (int i = 0; i < 2; ++i) {
                // Sent, a placeholder with no parameter would make the server refuse the Bind
                // (ERROR 08P01 "bind message supplies 1 parameters, but prepared statement ...
                // requires 2", naming a statement of the cache) and abort the transaction block.
                pgasio::diagnostics few_diag;
                const auto few = co_await tx.async_query(
                    "SELECT $1::int4 + $2::int4 AS v", 1,
                    pgasio::with_exec_mode(mode, pgasio::diagnostics_into(few_diag, nothrow)));
                refused(few, few_diag, "the query's placeholder $2 has no parameter (1 given)");
                // Sent, a parameter that no placeholder takes would be ignored by the server.
                pgasio::diagnostics many_diag;
                const auto many = co_await tx.async_query(
                    "SELECT $1::int4 AS v", 1, 999,
                    pgasio::with_exec_mode(mode, pgasio::diagnostics_into(many_diag, nothrow)));
                refused(many, many_diag, "parameter $2 is not used");
            }
            auto ok = co_await tx.async_query("SELECT $1::int4 + $2::int4 AS v", 1, 2,
                                              pgasio::with_exec_mode(mode));
            CHECK(ok[0].get<std::int32_t>(0) == 3);
            co_await tx.async_commit();
        }
        pgasio::batch few;
        CHECK(few.add("SELECT $1::int4 + $2::int4", 1) == client_errc::parameter_count_mismatch);
        CHECK_THAT(few.refusal(), Catch::Contains("placeholder $2 has no parameter"));
        pgasio::batch many;
        CHECK(many.add("SELECT $1::int4", 1, 2) == client_errc::parameter_count_mismatch);
        CHECK_THAT(many.refusal(), Catch::Contains("parameter $2 is not used"));
        CHECK(conn.is_open());
        co_await conn.async_close();
    });
}

TEST_CASE("query: a request on a connection that is not open says so once") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        try {
            co_await conn.async_query("SELECT 1");
            FAIL("a query on a connection never opened did not throw");
        } catch (const pgasio::error& e) {
            CHECK(e.code() == client_errc::not_connected);
            const std::string what = e.what();
            const std::string code_text = e.code().message();
            CHECK(what.find(code_text) == what.rfind(code_text)); // not "X: X"
        }
    });
}

TEST_CASE("query: the default token throws pgasio::error with SQLSTATE, message and position") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        try {
            co_await conn.async_query("SELEC 1");
            FAIL("a syntax error did not throw");
        } catch (const pgasio::error& e) {
            CHECK(e.code() == pgasio::sqlstate::syntax_error);
            CHECK_THAT(e.what(), Catch::StartsWith("42601 syntax_error: syntax error at or near"));
            CHECK(e.diag().position == 1u);
            CHECK_THAT(e.what(), Catch::EndsWith("(at character 1)"));
        }
        CHECK(conn.is_open());
        co_await conn.async_close();
    });
}

TEST_CASE("query: a timed-out query is cancelled on the server and the connection stays usable") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        conn.set_query_timeout(300ms);
        const auto start = std::chrono::steady_clock::now();
        // The comment tells this query apart from the other tests' sleeps, which may run meanwhile.
        auto [ec, r] = co_await conn.async_query("SELECT pg_sleep(30) /* timed out */", nothrow);
        CHECK(ec == client_errc::query_timeout);
        CHECK(std::chrono::steady_clock::now() - start < 5s);
        // What a pool trusts: the connection takes the next request.
        CHECK(!pgasio::is_fatal(ec));
        CHECK(conn.is_open());
        conn.set_query_timeout(0ms);
        auto after = co_await conn.async_query("SELECT 7");
        CHECK(after[0].get<std::int32_t>(0) == 7);
        // The server really stopped it: no backend of ours is still sleeping.
        auto sleeping = co_await conn.async_query(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE query = 'SELECT pg_sleep(30) /* timed out */' AND state = 'active'");
        CHECK(sleeping[0].get<std::int64_t>(0) == 0);
        co_await conn.async_close();
    });
}

TEST_CASE("query: rows received for a timed-out query never reach the next results") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto stmt = co_await conn.async_prepare("SELECT $1::int4 AS n");
        conn.set_query_timeout(500ms);
        // The first 2,000 rows arrive (several flushes of the server's 8 KiB output buffer) and
        // row 2,001 sleeps: the query times out with rows already collected.
        auto [ec, r] =
            co_await conn.async_query("SELECT g, pg_sleep(CASE WHEN g = 2001 THEN 30 ELSE 0 END) "
                                      "FROM generate_series(1, 3000) g",
                                      nothrow);
        CHECK(ec == client_errc::query_timeout);
        conn.set_query_timeout(0ms);
        // What follows gets exactly its own rows: an unnamed query and a prepared statement.
        auto next = co_await conn.async_query("SELECT 'next' AS s");
        REQUIRE(next.size() == 1);
        CHECK(next.columns().size() == 1);
        CHECK(next[0].get<std::string>("s") == "next");
        auto prepared = co_await conn.async_query(stmt, 42);
        REQUIRE(prepared.size() == 1);
        CHECK(prepared[0].get<std::int32_t>("n") == 42);
        co_await conn.async_close();
    });
}

TEST_CASE("query: per-operation cancellation with a timer") {
    using namespace asio::experimental::awaitable_operators;
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        asio::steady_timer timer(ex, 200ms);
        auto outcome = co_await (
            conn.async_query("SELECT pg_sleep(30)", asio::as_tuple(asio::use_awaitable)) ||
            timer.async_wait(asio::use_awaitable));
        CHECK(outcome.index() == 1); // the timer won, the query was cancelled
        auto after = co_await conn.async_query("SELECT 8");
        CHECK(after[0].get<std::int32_t>(0) == 8);
        co_await conn.async_close();
    });
}

TEST_CASE("query: a cancel racing with completion never cancels a later query") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        // Cancel short queries at the moment they may be finishing, many times; the query that
        // follows each must never see 57014 query_canceled.
        for (int i = 0; i < 50; ++i) {
            asio::cancellation_signal sig;
            bool finished = false;
            conn.async_query(
                "SELECT pg_sleep(0.002)",
                asio::bind_cancellation_slot(
                    sig.slot(), [&](pgasio::error_code, pgasio::result) { finished = true; }));
            asio::steady_timer t(ex, std::chrono::microseconds(1500 + 20 * i));
            co_await t.async_wait(asio::use_awaitable);
            sig.emit(asio::cancellation_type::terminal);
            auto [ec, next] = co_await conn.async_query("SELECT pg_sleep(0.01), 1", nothrow);
            CHECK(!ec);
            CHECK(finished);
        }
        co_await conn.async_close();
    });
}

TEST_CASE("query: the server terminating the session fails every request, nothing hangs") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto victim = co_await connect_primary();
        auto admin = co_await connect_primary();
        std::optional<pgasio::error_code> slow_ec;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto [ec, r] = co_await victim.async_query("SELECT pg_sleep(30)", nothrow);
                slow_ec = ec;
            },
            asio::detached);
        asio::steady_timer t(ex, 200ms);
        co_await t.async_wait(asio::use_awaitable);
        co_await admin.async_query("SELECT pg_terminate_backend($1)", victim.backend_pid());
        while (!slow_ec) {
            t.expires_after(10ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(*slow_ec == pgasio::sqlstate::admin_shutdown);
        CHECK(pgasio::is_fatal(*slow_ec));
        CHECK(!victim.is_open());
        auto [ec, r] = co_await victim.async_query("SELECT 1", nothrow);
        CHECK(ec == client_errc::not_connected);
        co_await admin.async_close();
    });
}

TEST_CASE("query: after idle_session_timeout, the next request says why the session is gone") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("SET idle_session_timeout = '100ms'");
        // The server sends FATAL 57P05 while nothing is asked of it, then closes.
        asio::steady_timer t(ex, 10ms);
        for (int i = 0; i < 500 && conn.is_open(); ++i) {
            t.expires_after(10ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(!conn.is_open());
        try {
            co_await conn.async_query("SELECT 1");
            FAIL("a query on a closed connection did not throw");
        } catch (const pgasio::error& e) {
            CHECK(e.code() == client_errc::not_connected);
            CHECK(pgasio::is_fatal(e.code()));
            CHECK_THAT(e.diag().message,
                       Catch::Contains("57P05") && Catch::Contains("idle-session"));
        }
    });
}

TEST_CASE("query: NOTIFY from another connection arrives, notices reach the handler") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto listener = co_await connect_primary();
        auto sender = co_await connect_primary();
        co_await listener.async_listen("jobs channel");
        co_await sender.async_query("SELECT pg_notify('jobs channel', $1)", "payload 1");
        co_await sender.async_simple_query("NOTIFY \"jobs channel\", 'payload 2'");
        auto n1 = co_await listener.async_receive_notification();
        auto n2 = co_await listener.async_receive_notification();
        CHECK(n1.channel == "jobs channel");
        CHECK(n1.payload == "payload 1");
        CHECK(n2.payload == "payload 2");
        CHECK(n1.process_id == sender.backend_pid());
        std::vector<std::string> notices;
        listener.set_notice_handler(
            [&](const pgasio::diagnostics& d) { notices.push_back(d.message); });
        co_await listener.async_simple_query("DO $$ BEGIN RAISE NOTICE 'hello %', 42; END $$");
        REQUIRE(notices.size() == 1);
        CHECK(notices[0] == "hello 42");
        co_await listener.async_unlisten("jobs channel");
        co_await listener.async_close();
        co_await sender.async_close();
    });
}

TEST_CASE("query: completion tokens: callback, use_future, as_tuple") {
    asio::io_context ctx;
    pgasio::connection conn(ctx);
    auto connected = conn.async_connect(pgasio::test::test_config(), asio::use_future);
    std::thread runner([&] { ctx.run_for(30s); });
    connected.get();
    // Operations start on the connection's executor, which runs on `runner` now; this thread
    // only waits for their futures.
    auto on_ctx = [&](auto initiate) { return asio::post(ctx, asio::use_future(initiate)).get(); };
    auto fut =
        on_ctx([&] { return conn.async_query("SELECT $1::text", "future", asio::use_future); });
    CHECK(fut.get()[0].get<std::string>(0) == "future");
    std::promise<std::int32_t> cb;
    on_ctx([&] {
        conn.async_query("SELECT 5", [&](pgasio::error_code ec, pgasio::result r) {
            cb.set_value(ec ? -1 : r[0].get<std::int32_t>(0));
        });
    });
    CHECK(cb.get_future().get() == 5);
    auto failed = on_ctx([&] { return conn.async_query("SELECT 1/0", asio::use_future); });
    CHECK_THROWS_AS(failed.get(), boost::system::system_error);
    on_ctx([&] { return conn.async_close(asio::use_future); }).get();
    runner.join();
}

TEST_CASE("query: a handler bound to another executor is called there") {
    // The connection runs on `ctx`; the handler belongs to `other`, run by another thread. It
    // must be called on `other`, not where the connection happened to read the answer.
    asio::io_context ctx;
    asio::io_context other;
    auto other_work = asio::make_work_guard(other);
    std::thread other_thread([&] { other.run(); });
    pgasio::connection conn(ctx);
    std::promise<std::pair<bool, std::int32_t>> answered;
    conn.async_connect(pgasio::test::test_config(), [&](pgasio::error_code ec) {
        if (ec) return answered.set_value({false, -1});
        conn.async_query("SELECT 11",
                         asio::bind_executor(other, [&](pgasio::error_code qec, pgasio::result r) {
                             answered.set_value({other.get_executor().running_in_this_thread(),
                                                 qec ? -1 : r[0].get<std::int32_t>(0)});
                         }));
    });
    auto outcome = answered.get_future();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (outcome.wait_for(0s) != std::future_status::ready &&
           std::chrono::steady_clock::now() < deadline)
        ctx.run_one_for(100ms);
    REQUIRE(outcome.wait_for(0s) == std::future_status::ready);
    const auto [on_other, value] = outcome.get();
    CHECK(on_other);
    CHECK(value == 11);
    conn.async_close([](pgasio::error_code) {});
    ctx.run_for(5s);
    other_work.reset();
    other_thread.join();
}

TEST_CASE("query: a batch runs many queries in one round trip, one outcome each") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto stmt = co_await conn.async_prepare("SELECT $1::int4 + 1");
        for (const auto mode :
             {pgasio::batch_mode::all_or_nothing, pgasio::batch_mode::independent}) {
            pgasio::batch b(mode);
            for (int i = 0; i < 1000; ++i)
                REQUIRE(!b.add(stmt, i));
            REQUIRE(!b.add("SELECT $1::text || '!'", "unnamed"));
            REQUIRE(!b.add(""));
            CHECK(b.size() == 1002);
            auto out = co_await conn.async_execute_batch(std::move(b));
            REQUIRE(out.size() == 1002);
            CHECK(out.ok());
            for (int i = 0; i < 1000; ++i) {
                const auto& s = out[static_cast<std::size_t>(i)];
                CHECK(s.status == pgasio::statement_status::succeeded);
                CHECK(s.rows[0].get<std::int32_t>(0) == i + 1);
            }
            CHECK(out[1000].rows[0].get<std::string>(0) == "unnamed!");
            CHECK(out[1001].ok()); // an empty query has its outcome too
            CHECK(out[1001].rows.command_tag().empty());
        }
        auto none = co_await conn.async_execute_batch(pgasio::batch{});
        CHECK(none.empty());
        co_await conn.async_close();
    });
}

TEST_CASE("query: a batch with a statement that could not be added runs none of it") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE b_refused (x int, t text)");
        auto stmt = co_await conn.async_prepare("INSERT INTO b_refused VALUES ($1, 'p')");
        for (const auto mode :
             {pgasio::batch_mode::all_or_nothing, pgasio::batch_mode::independent}) {
            pgasio::batch b(mode);
            REQUIRE(!b.add("INSERT INTO b_refused VALUES ($1, $2)", 10, "ten"));
            CHECK(b.add("INSERT INTO b_refused VALUES ($1, $2)", 11, std::string("el\0even", 7)) ==
                  client_errc::embedded_nul);
            REQUIRE(!b.add("INSERT INTO b_refused VALUES ($1, $2)", 13, "thirteen"));
            CHECK(b.add(stmt, 1, 2) == client_errc::parameter_count_mismatch);
            REQUIRE(!b.add(stmt, 14));
            CHECK(b.size() == 3);
            CHECK(b.refused() == client_errc::embedded_nul); // the first refusal
            pgasio::diagnostics diag;
            auto [ec, out] = co_await conn.async_execute_batch(
                std::move(b), pgasio::diagnostics_into(diag, nothrow));
            CHECK(ec == client_errc::embedded_nul);
            CHECK_THAT(diag.message,
                       Catch::Contains("statement 2 of the batch could not be added"));
            REQUIRE(out.size() == 3);
            for (const auto& s : out) {
                CHECK(s.status == pgasio::statement_status::failed);
                CHECK(s.error == client_errc::embedded_nul);
            }
        }
        pgasio::batch thrown;
        CHECK(thrown.add(stmt) == client_errc::parameter_count_mismatch);
        try {
            co_await conn.async_execute_batch(std::move(thrown));
            FAIL("a refused batch ran");
        } catch (const pgasio::error& e) {
            CHECK(e.code() == client_errc::parameter_count_mismatch);
            CHECK_THAT(e.what(), Catch::Contains("statement 1 of the batch could not be added"));
        }
        // Nothing of either batch ran; the connection goes on.
        auto rows = co_await conn.async_query("SELECT count(*) FROM b_refused");
        CHECK(rows[0].get<std::int64_t>(0) == 0);
        co_await conn.async_close();
    });
}

TEST_CASE("query: an all_or_nothing batch stops at its first error, the rest are skipped") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        pgasio::batch b(pgasio::batch_mode::all_or_nothing);
        REQUIRE(!b.add("CREATE TEMP TABLE b_all (x int)"));
        REQUIRE(!b.add("INSERT INTO b_all VALUES (1)"));
        REQUIRE(!b.add("SELECT 1/0"));
        REQUIRE(!b.add("INSERT INTO b_all VALUES (2)"));
        REQUIRE(!b.add("SELECT * FROM no_such_table"));
        auto [ec, out] = co_await conn.async_execute_batch(std::move(b), nothrow);
        REQUIRE(!ec); // the server answered every statement
        REQUIRE(out.size() == 5);
        CHECK(out[0].status == pgasio::statement_status::succeeded);
        CHECK(out[1].status == pgasio::statement_status::succeeded);
        CHECK(out[1].rows.rows_affected() == 1);
        CHECK(out[2].status == pgasio::statement_status::failed);
        CHECK(out[2].error == pgasio::sqlstate::division_by_zero);
        REQUIRE(out[2].diag != nullptr);
        CHECK(out[2].diag->sqlstate == "22012");
        // Skipped, not failed with an error of their own (the last would have been 42P01).
        CHECK(out[3].status == pgasio::statement_status::skipped);
        CHECK(out[4].status == pgasio::statement_status::skipped);
        CHECK(!out[4].error);
        CHECK(out.first_failure() == &out[2]);
        // One implicit transaction: the table of its first statement is gone with the rest.
        auto [gone, r] = co_await conn.async_query("SELECT count(*) FROM b_all", nothrow);
        CHECK(gone == pgasio::sqlstate::undefined_table);
        co_await conn.async_close();
    });
}

TEST_CASE("query: an independent batch gives every statement its own outcome") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE b_ind (x int PRIMARY KEY)");
        pgasio::batch b(pgasio::batch_mode::independent);
        REQUIRE(!b.add("INSERT INTO b_ind VALUES ($1)", 1));
        REQUIRE(!b.add("INSERT INTO b_ind VALUES ($1)", 1)); // duplicate key
        REQUIRE(!b.add("INSERT INTO b_ind VALUES ($1)", 2));
        REQUIRE(!b.add("SELECT * FROM no_such_table"));
        REQUIRE(!b.add("SELECT count(*) FROM b_ind"));
        auto [ec, out] = co_await conn.async_execute_batch(std::move(b), nothrow);
        REQUIRE(!ec);
        REQUIRE(out.size() == 5);
        CHECK(out[0].ok());
        CHECK(out[1].status == pgasio::statement_status::failed);
        CHECK(out[1].error == pgasio::sqlstate::unique_violation);
        REQUIRE(out[1].diag != nullptr);
        CHECK(out[1].diag->constraint_name == "b_ind_pkey");
        CHECK(out[2].ok());
        CHECK(out[3].status == pgasio::statement_status::failed);
        CHECK(out[3].error == pgasio::sqlstate::undefined_table);
        REQUIRE(out[4].ok());
        CHECK(out[4].rows[0].get<std::int64_t>(0) == 2);
        CHECK(!out.ok());
        // Each committed on its own: both good rows are there.
        auto rows = co_await conn.async_query("SELECT x FROM b_ind ORDER BY x");
        REQUIRE(rows.size() == 2);
        CHECK(rows[1].get<std::int32_t>(0) == 2);
        co_await conn.async_close();
    });
}

TEST_CASE("query: an empty batch fails where any request would: closed, or its lease ended") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto [ok, none] = co_await conn.async_execute_batch(pgasio::batch{}, nothrow);
        CHECK(!ok);
        CHECK(none.empty());
        auto tx = co_await conn.async_begin();
        co_await tx.async_commit();
        auto [ended, out] = co_await tx.async_execute_batch(pgasio::batch{}, nothrow);
        CHECK(ended == client_errc::lease_ended);
        co_await conn.async_close();
        auto [closed, out2] = co_await conn.async_execute_batch(pgasio::batch{}, nothrow);
        CHECK(closed == client_errc::not_connected);
        pgasio::connection never(ex);
        auto [unconnected, out3] = co_await never.async_execute_batch(pgasio::batch{}, nothrow);
        CHECK(unconnected == client_errc::not_connected);
    });
}

TEST_CASE("query: a batch whose commit fails at its Sync has a failed statement, not all done") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE b_parent (id int PRIMARY KEY)");
        co_await conn.async_execute(
            "CREATE TEMP TABLE b_child (pid int REFERENCES b_parent DEFERRABLE INITIALLY "
            "DEFERRED)");
        // The foreign key is checked at commit: at the Sync, once every statement has run.
        for (const auto mode :
             {pgasio::batch_mode::all_or_nothing, pgasio::batch_mode::independent}) {
            INFO("independent: " << (mode == pgasio::batch_mode::independent));
            pgasio::batch b(mode);
            REQUIRE(!b.add("INSERT INTO b_parent VALUES ($1)", 1));
            REQUIRE(!b.add("INSERT INTO b_child VALUES ($1)", 999)); // no such parent
            auto [ec, out] = co_await conn.async_execute_batch(std::move(b), nothrow);
            CHECK(!ec); // the statement's own error is in its outcome
            REQUIRE(out.size() == 2);
            CHECK(!out.ok());
            REQUIRE(out.first_failure() == &out[1]);
            CHECK(out[1].status == pgasio::statement_status::failed);
            CHECK(out[1].error == pgasio::sqlstate::foreign_key_violation);
            REQUIRE(out[1].diag != nullptr);
            CHECK(out[1].diag->sqlstate == "23503");
            const auto children = co_await conn.async_query_one("SELECT count(*) FROM b_child");
            CHECK(children[0].get<std::int64_t>(0) == 0);
            // All or nothing: the parent row went with it; independent: it committed alone.
            const auto parents = co_await conn.async_query_one("SELECT count(*) FROM b_parent");
            CHECK(parents[0].get<std::int64_t>(0) ==
                  (mode == pgasio::batch_mode::independent ? 1 : 0));
            co_await conn.async_execute("TRUNCATE b_child, b_parent");
        }
        co_await conn.async_close();
    });
}

TEST_CASE("query: a batch whose session the server ends fails with the server's FATAL error") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        for (const auto mode :
             {pgasio::batch_mode::all_or_nothing, pgasio::batch_mode::independent}) {
            INFO("independent: " << (mode == pgasio::batch_mode::independent));
            auto conn = co_await connect_primary();
            pgasio::batch b(mode);
            REQUIRE(!b.add("SELECT 1"));
            REQUIRE(!b.add("SELECT pg_terminate_backend(pg_backend_pid())"));
            REQUIRE(!b.add("SELECT 3"));
            auto [ec, out] = co_await conn.async_execute_batch(std::move(b), nothrow);
            CHECK(ec == pgasio::sqlstate::admin_shutdown);
            CHECK(pgasio::is_fatal(ec));
            REQUIRE(out.size() == 3);
            CHECK(out[0].ok());
            CHECK(out[1].status == pgasio::statement_status::failed);
            CHECK(out[2].status == pgasio::statement_status::failed);
            CHECK(!conn.is_open());
        }
    });
}

TEST_CASE("query: partial cancellation of an independent batch spares the statements sent") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        pgasio::batch b(pgasio::batch_mode::independent);
        REQUIRE(!b.add("SELECT 1"));
        REQUIRE(!b.add("SELECT pg_sleep(0.5)"));
        REQUIRE(!b.add("SELECT 3"));
        asio::cancellation_signal stop;
        asio::steady_timer timer(ex, 100ms);
        timer.async_wait([&](pgasio::error_code) { stop.emit(asio::cancellation_type::partial); });
        auto [ec, out] = co_await conn.async_execute_batch(
            std::move(b),
            asio::bind_cancellation_slot(stop.slot(), asio::as_tuple(asio::use_awaitable)));
        // All three were written at once: partial cancellation promises that nothing happened,
        // which is no longer true of any of them.
        CHECK(!ec);
        REQUIRE(out.size() == 3);
        CHECK(out.ok());
        CHECK(out[2].rows[0].get<std::int32_t>(0) == 3);
        co_await conn.async_close();
    });
}

TEST_CASE("query: a timed-out or cancelled batch says which statements were answered") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // Each case on a connection of its own: the cancel a case sends may also stop a statement
        // that follows it (the engine then sends that one again, after what was pipelined behind
        // it), which would change what the next case sees.
        auto sleeping_batch = [](pgasio::batch_mode mode) {
            pgasio::batch b(mode);
            REQUIRE(!b.add("SELECT 1"));
            REQUIRE(!b.add("SELECT pg_sleep(30)"));
            REQUIRE(!b.add("SELECT 3"));
            return b;
        };
        // One Sync: the server sends nothing before it, so nothing of the batch was answered.
        auto conn = co_await connect_primary();
        pgasio::diagnostics diag;
        auto [ec, out] = co_await conn.async_execute_batch(
            sleeping_batch(pgasio::batch_mode::all_or_nothing),
            pgasio::with_timeout(200ms, pgasio::diagnostics_into(diag, nothrow)));
        CHECK(ec == client_errc::query_timeout);
        CHECK(!diag.message.empty());
        REQUIRE(out.size() == 3);
        for (const auto& s : out) {
            CHECK(s.status == pgasio::statement_status::failed);
            CHECK(s.error == client_errc::query_timeout);
        }
        // A Sync each: the first was answered before the timeout, the others were stopped.
        auto conn2 = co_await connect_primary();
        auto [ec2, out2] = co_await conn2.async_execute_batch(
            sleeping_batch(pgasio::batch_mode::independent), pgasio::with_timeout(200ms, nothrow));
        CHECK(ec2 == client_errc::query_timeout);
        REQUIRE(out2.size() == 3);
        CHECK(out2[0].ok());
        CHECK(out2[1].error == client_errc::query_timeout);
        CHECK(out2[2].error == client_errc::query_timeout);
        // Asio cancellation of an independent batch stops every statement still running.
        auto conn3 = co_await connect_primary();
        asio::cancellation_signal stop;
        asio::steady_timer timer(ex, 200ms);
        timer.async_wait([&](pgasio::error_code) { stop.emit(asio::cancellation_type::terminal); });
        const auto started = std::chrono::steady_clock::now();
        auto [ec3, out3] = co_await conn3.async_execute_batch(
            sleeping_batch(pgasio::batch_mode::independent),
            asio::bind_cancellation_slot(stop.slot(), asio::as_tuple(asio::use_awaitable)));
        CHECK(std::chrono::steady_clock::now() - started < 10s);
        CHECK(ec3 == asio::error::operation_aborted);
        REQUIRE(out3.size() == 3);
        CHECK(out3[0].ok());
        CHECK(out3[1].error == asio::error::operation_aborted);
        CHECK(out3[2].error == asio::error::operation_aborted);
        // The connections go on.
        const std::array<pgasio::connection*, 3> all = {&conn, &conn2, &conn3};
        for (auto* c : all) {
            auto r = co_await c->async_query("SELECT 42");
            CHECK(r[0].get<std::int32_t>(0) == 42);
            co_await c->async_close();
        }
    });
}

TEST_CASE("query: asio::spawn's yield_context as the completion token") {
    asio::io_context ctx;
    std::int32_t got = 0;
    pgasio::error_code failed;
    asio::spawn(
        ctx,
        [&](asio::yield_context yield) {
            pgasio::connection conn(ctx);
            conn.async_connect(pgasio::test::test_config(), yield);
            auto r = conn.async_query("SELECT $1::int4 * 3", 14, yield);
            got = r[0].get<std::int32_t>(0);
            conn.async_query("SELECT * FROM no_such_table", yield[failed]);
            conn.async_close(yield);
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    ctx.run_for(30s);
    CHECK(got == 42);
    CHECK(failed == pgasio::sqlstate::undefined_table);
}

TEST_CASE("query: through pgbouncer in transaction pooling mode (unnamed statements only)") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await pgasio::test::connect_pgbouncer();
        for (int i = 0; i < 20; ++i) {
            auto r = co_await conn.async_query("SELECT $1::int4 + 1", i);
            CHECK(r[0].get<std::int32_t>(0) == i + 1);
        }
        co_await conn.async_close();
    });
}

TEST_CASE("query: a query timeout never fires on a later query that reuses the memory") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        conn.set_query_timeout(200ms);
        // Each query is answered long before its deadline; their timers still run out while
        // later queries (often at the same address) are in flight. None may be cancelled.
        const auto until = std::chrono::steady_clock::now() + 700ms;
        int ran = 0;
        while (std::chrono::steady_clock::now() < until) {
            auto [ec, r] =
                co_await conn.async_query("SELECT pg_sleep(0.005), $1::int4", ran, nothrow);
            REQUIRE(!ec);
            CHECK(r[0].get<std::int32_t>(1) == ran);
            ++ran;
        }
        CHECK(ran > 20);
        co_await conn.async_close();
    });
}
