// Row streams against the real primary: rows in parts, backpressure, stopping early, errors.
#include <pgasio/connection.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <tuple>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pgasio::test::connect_primary;
using pgasio::test::run;
using pgasio::test::sleep_for;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

} // namespace

TEST_CASE("stream: rows arrive in parts with typed access, then the end with its tag") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        constexpr std::int64_t n = 300'000;
        auto rows = conn.query_stream("SELECT g, 'row ' || g AS label FROM "
                                      "generate_series(1, $1::int4) g",
                                      static_cast<std::int32_t>(n));
        // A query queued behind the stream is answered once the stream is read.
        std::optional<std::int32_t> behind;
        conn.async_query("SELECT 42", [&](pgasio::error_code e, pgasio::result r) {
            if (!e) behind = r[0].get<std::int32_t>(0);
        });
        std::int64_t count = 0, sum = 0;
        int parts = 0;
        bool labels_right = true;
        for (;;) {
            pgasio::result part = co_await rows.async_next();
            if (part.empty()) {
                CHECK(part.command_tag() == "SELECT 300000");
                break;
            }
            ++parts;
            CHECK(part.columns().size() == 2);
            if (parts == 1) {
                // Typed rows into a tuple, as async_query_as gives them.
                const auto typed = pgasio::rows_as<std::tuple<std::int32_t, std::string>>(part);
                REQUIRE(!typed.empty());
                CHECK(std::get<0>(typed[0]) == 1);
                CHECK(std::get<1>(typed[0]) == "row 1");
            }
            for (auto row : part) {
                const auto g = row.get<std::int32_t>("g");
                labels_right = labels_right &&
                               row.get<std::string_view>("label") == "row " + std::to_string(g);
                sum += g;
                ++count;
            }
        }
        CHECK(count == n);
        CHECK(sum == n * (n + 1) / 2);
        CHECK(labels_right);
        CHECK(parts > 10); // in parts, not one result
        // After the end, the end again.
        auto again = co_await rows.async_next();
        CHECK(again.empty());
        for (int waited = 0; !behind && waited < 200; ++waited)
            co_await sleep_for(10ms);
        CHECK(behind == 42);
        co_await conn.async_close();
    });
}

TEST_CASE("stream: a reader that stops reading holds the server back") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto observer = co_await connect_primary();
        const std::string sql =
            "SELECT g, repeat('x', 200) FROM generate_series(1, 5000000) g /* held back */";
        auto rows = conn.query_stream(sql);
        auto first = co_await rows.async_next();
        CHECK(!first.empty());
        co_await sleep_for(500ms);
        // The server is blocked writing to the client: it cannot have sent 5,000,000 rows.
        auto state = co_await observer.async_query(
            "SELECT state, coalesce(wait_event, '') FROM pg_stat_activity WHERE query = $1", sql);
        REQUIRE(state.size() == 1);
        CHECK(state[0].get<std::string>(0) == "active");
        CHECK(state[0].get<std::string>(1) == "ClientWrite");
        // Stopping early: the query is cancelled, the connection answers the next query.
        rows.cancel();
        auto [ec, part] = co_await rows.async_next(nothrow);
        CHECK(ec == asio::error::operation_aborted);
        const auto start = std::chrono::steady_clock::now();
        auto after = co_await conn.async_query("SELECT 7");
        CHECK(after[0].get<std::int32_t>(0) == 7);
        CHECK(std::chrono::steady_clock::now() - start < 10s);
        const auto still_running = co_await pgasio::test::running(observer, sql);
        CHECK(still_running == 0);
        co_await conn.async_close();
        co_await observer.async_close();
    });
}

TEST_CASE("stream: destroying a stream early leaves the connection usable") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        {
            auto rows = conn.query_stream("SELECT g FROM generate_series(1, 10000000) g");
            auto first = co_await rows.async_next();
            CHECK(!first.empty());
        }
        auto after = co_await conn.async_query("SELECT 'after'::text");
        CHECK(after[0].get<std::string>(0) == "after");
        co_await conn.async_close();
    });
}

TEST_CASE("stream: an error in the middle comes after the rows sent before it") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto rows = conn.query_stream("SELECT 1 / (20000 - g) FROM generate_series(1, 30000) g");
        std::int64_t count = 0;
        pgasio::error_code ec;
        pgasio::diagnostics diag;
        for (;;) {
            auto [e, part] = co_await rows.async_next(pgasio::diagnostics_into(diag, nothrow));
            if (e) {
                ec = e;
                break;
            }
            if (part.empty()) break;
            count += static_cast<std::int64_t>(part.size());
        }
        CHECK(ec == pgasio::sqlstate::division_by_zero);
        CHECK(diag.sqlstate == "22012");
        CHECK(count < 20000);
        auto after = co_await conn.async_query("SELECT 1");
        CHECK(after[0].get<std::int32_t>(0) == 1);
        // Parameters that cannot be sent, and an empty stream, fail at the first part.
        auto bad = conn.query_stream("SELECT $1::text", std::string("a\0b", 3));
        auto [bad_ec, bad_part] = co_await bad.async_next(nothrow);
        CHECK(bad_ec);
        pgasio::row_stream empty;
        auto [empty_ec, empty_part] = co_await empty.async_next(nothrow);
        CHECK(empty_ec == pgasio::client_errc::not_connected);
        co_await conn.async_close();
    });
}
