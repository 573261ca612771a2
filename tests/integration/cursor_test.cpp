// Server-side cursors against the real primary: portals and declared cursors, fetched in
// batches inside an exclusive lease.
#include <pgasio/connection.hpp>
#include <pgasio/exclusive_lease.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"
#include "support/said_once.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <tuple>

namespace asio = boost::asio;
using pgasio::client_errc;
using pgasio::cursor_options;
using pgasio::test::connect_primary;
using pgasio::test::run;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

// The cursors pgasio opened in the session (pg_cursors also lists the portals of the protocol,
// the unnamed one of this query included).
constexpr const char* count_cursors = "SELECT count(*) FROM pg_cursors WHERE name LIKE 'pgasio_c%'";

template <class Session>
asio::awaitable<std::int64_t> open_cursors(Session& s) {
    pgasio::result r = co_await s.async_query(count_cursors);
    co_return r[0].get<std::int64_t>(0);
}

} // namespace

TEST_CASE("cursor: a portal hands out fetch_size rows at a time, typed, until exhausted") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto lease = co_await conn.async_acquire_exclusive();
        co_await lease.async_execute("BEGIN");
        auto cur = co_await lease.async_open_cursor(
            "SELECT g, 'row ' || g FROM generate_series(1, $1::int4) g",
            cursor_options{.fetch_size = 1000}, 2500);
        CHECK(!cur.exhausted());
        CHECK(cur.name().rfind("pgasio_c", 0) == 0);
        std::vector<std::size_t> sizes;
        std::int64_t sum = 0;
        while (!cur.exhausted()) {
            auto rows = co_await cur.async_fetch();
            sizes.push_back(rows.size());
            REQUIRE(rows.columns().size() == 2);
            for (auto row : rows)
                sum += row.get<std::int32_t>(0);
            if (sizes.size() == 1) {
                const auto typed = pgasio::rows_as<std::tuple<std::int32_t, std::string>>(rows);
                CHECK(std::get<1>(typed[41]) == "row 42");
                // Between fetches the lease runs other statements.
                auto other = co_await lease.async_query("SELECT 7");
                CHECK(other[0].get<std::int32_t>(0) == 7);
            }
        }
        CHECK(sizes == std::vector<std::size_t>{1000, 1000, 500});
        CHECK(sum == 2500 * 2501 / 2);
        // Past the end: no rows, no error.
        auto after = co_await cur.async_fetch();
        CHECK(after.empty());
        // Awaited outside the assertion: GCC 12 may evaluate a co_await inside one twice.
        const auto open_before = co_await open_cursors(lease);
        CHECK(open_before == 1);
        co_await cur.async_close();
        const auto open_after = co_await open_cursors(lease);
        CHECK(open_after == 0);
        auto [ec, none] = co_await cur.async_fetch(nothrow);
        CHECK(ec == client_errc::cursor_closed);
        co_await lease.async_execute("COMMIT");
    });
}

TEST_CASE("cursor: a portal needs a transaction block, without one, a clear error") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto lease = co_await conn.async_acquire_exclusive();
        pgasio::diagnostics diag;
        auto [ec, cur] = co_await lease.async_open_cursor("SELECT 1", cursor_options{},
                                                          pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == client_errc::cursor_needs_transaction);
        CHECK(diag.message.find("BEGIN") != std::string::npos);
        CHECK(pgasio::test::times_said(ec, diag, "transaction block") == 1);
        const auto open_refused = co_await open_cursors(lease);
        CHECK(open_refused == 0);
        // The lease goes on.
        auto r = co_await lease.async_query("SELECT 1");
        CHECK(r[0].get<std::int32_t>(0) == 1);
    });
}

TEST_CASE("cursor: two portals fetched in turn, an error in the rows aborts the block only") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto lease = co_await conn.async_acquire_exclusive();
        co_await lease.async_execute("BEGIN");
        auto a = co_await lease.async_open_cursor("SELECT g FROM generate_series(1, 10) g",
                                                  cursor_options{.fetch_size = 4});
        auto b = co_await lease.async_open_cursor("SELECT -g FROM generate_series(1, 10) g",
                                                  cursor_options{.fetch_size = 3});
        auto a1 = co_await a.async_fetch();
        auto b1 = co_await b.async_fetch();
        auto a2 = co_await a.async_fetch();
        REQUIRE(a1.size() == 4);
        REQUIRE(b1.size() == 3);
        REQUIRE(a2.size() == 4);
        CHECK(a2[0].get<std::int32_t>(0) == 5);
        CHECK(b1[2].get<std::int32_t>(0) == -3);
        // A division by zero at row 6: the first fetch is fine, the second fails.
        auto bad = co_await lease.async_open_cursor(
            "SELECT 1 / (g - 6) FROM generate_series(1, 10) g", cursor_options{.fetch_size = 5});
        auto good = co_await bad.async_fetch();
        CHECK(good.size() == 5);
        pgasio::diagnostics diag;
        auto [ec, none] = co_await bad.async_fetch(pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == pgasio::sqlstate::division_by_zero);
        CHECK(diag.message.find("division by zero") != std::string::npos);
        co_await lease.async_execute("ROLLBACK");
        auto r = co_await lease.async_query("SELECT 2");
        CHECK(r[0].get<std::int32_t>(0) == 2);
    });
}

TEST_CASE("cursor: declared WITH HOLD outlives its transaction, and is closed when dropped") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        {
            auto lease = co_await conn.async_acquire_exclusive();
            // No transaction block: WITH HOLD needs none.
            auto cur = co_await lease.async_open_cursor(
                "SELECT g::text FROM generate_series(1, $1::int4) g",
                cursor_options{
                    .fetch_size = 2, .form = cursor_options::kind::declared, .with_hold = true},
                5);
            std::vector<std::string> got;
            while (!cur.exhausted()) {
                auto rows = co_await cur.async_fetch();
                for (auto row : rows)
                    got.push_back(row.get<std::string>(0));
            }
            CHECK(got == std::vector<std::string>{"1", "2", "3", "4", "5"});
            // Both stay open past the end of their rows until closed.
            auto second = co_await lease.async_open_cursor(
                "SELECT 1",
                cursor_options{.form = cursor_options::kind::declared, .with_hold = true});
            const auto open_in_lease = co_await open_cursors(lease);
            CHECK(open_in_lease == 2);
            // Dropped without async_close (with the lease): closed once the lease is released.
        }
        const auto open_after_lease = co_await open_cursors(conn);
        CHECK(open_after_lease == 0);
    });
}

TEST_CASE("cursor: a WITH HOLD cursor dropped in a lease is closed after it, however long the "
          "lease lasts past the query timeout") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        using namespace std::chrono_literals;
        auto cfg = pgasio::test::test_config();
        cfg.pool.query_timeout = 200ms;
        pgasio::connection conn(ex);
        co_await conn.async_connect(cfg);
        {
            auto lease = co_await conn.async_acquire_exclusive();
            {
                auto cur = co_await lease.async_open_cursor(
                    "SELECT 1",
                    cursor_options{.form = cursor_options::kind::declared, .with_hold = true});
            }
            // Its Close waits for the lease to end, longer than any query may take.
            co_await pgasio::test::sleep_for(500ms);
            const auto open_in_lease = co_await open_cursors(lease);
            CHECK(open_in_lease == 1);
        }
        const auto open_after_lease = co_await open_cursors(conn);
        CHECK(open_after_lease == 0);
        co_await conn.async_close();
    });
}

TEST_CASE("cursor: a close that never reached the server leaves the cursor to its destructor") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        {
            pgasio::cursor cur;
            {
                auto lease = co_await conn.async_acquire_exclusive();
                cur = co_await lease.async_open_cursor(
                    "SELECT 1",
                    cursor_options{.form = cursor_options::kind::declared, .with_hold = true});
            }
            // Its lease has ended: the close is refused before anything is sent.
            auto [ec] = co_await cur.async_close(nothrow);
            CHECK(ec == pgasio::client_errc::lease_ended);
            const auto still_open = co_await open_cursors(conn);
            CHECK(still_open == 1);
        }
        // Dropped: its destructor closes it.
        const auto open_after = co_await open_cursors(conn);
        CHECK(open_after == 0);
        co_await conn.async_close();
    });
}

TEST_CASE("cursor: declared without WITH HOLD outside a block is the server's 25P01") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto lease = co_await conn.async_acquire_exclusive();
        auto [ec, cur] = co_await lease.async_open_cursor(
            "SELECT 1", cursor_options{.form = cursor_options::kind::declared}, nothrow);
        CHECK(ec == pgasio::sqlstate::no_active_sql_transaction);
        auto [fetch_ec, rows] = co_await cur.async_fetch(nothrow); // the empty handle
        CHECK(fetch_ec == client_errc::cursor_closed);
        // Inside a block it works; after the lease is released, its cursors are refused.
        co_await lease.async_execute("BEGIN");
        auto inside = co_await lease.async_open_cursor(
            "SELECT g FROM generate_series(1, 3) g",
            cursor_options{.fetch_size = 3, .form = cursor_options::kind::declared});
        auto all = co_await inside.async_fetch();
        CHECK(all.size() == 3);
        CHECK(!inside.exhausted()); // three asked, three came: the server may have more
        auto end = co_await inside.async_fetch();
        CHECK(end.empty());
        CHECK(inside.exhausted());
        lease.release();
        auto [late_ec, late] = co_await inside.async_fetch(nothrow);
        CHECK(late_ec == client_errc::lease_ended);
    });
}
