// Transactions against the real primary: their modes, commit and rollback as another session
// sees them, savepoints, what happens when one is dropped, the isolation from the connection's
// other users, async_transaction's retries, and COMMITs whose answer is lost.
#include <pgasio/connection.hpp>
#include <pgasio/transaction.hpp>

#include "support/connect.hpp"
#include "support/cut_proxy.hpp"
#include "support/pg_env.hpp"
#include "support/race.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pgasio::client_errc;
using pgasio::sqlstate;
using pgasio::test::connect_primary;
using pgasio::test::run;
using pgasio::test::sleep_for;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

// A table of its own for one test (dropped first, in case an earlier run left it).
asio::awaitable<void> make_table(pgasio::connection& conn, const std::string& name) {
    co_await conn.async_execute("DROP TABLE IF EXISTS " + name);
    co_await conn.async_execute("CREATE TABLE " + name + " (id int4 PRIMARY KEY, v int4)");
}

asio::awaitable<std::int64_t> count_rows(pgasio::connection& conn, const std::string& table) {
    auto r = co_await conn.async_query("SELECT count(*) FROM " + table);
    co_return r[0].get<std::int64_t>(0);
}

// True when the connection's next statement does not run inside a transaction block left open
// by the tests' transactions, which all write before they end: such a block would already hold
// a transaction id.
asio::awaitable<bool> in_own_transaction(pgasio::connection& conn) {
    auto r = co_await conn.async_query("SELECT pg_current_xact_id_if_assigned() IS NULL");
    co_return r[0].get<bool>(0);
}

} // namespace

TEST_CASE("transaction: retry pauses double up to max_backoff, each drawn from its upper half") {
    const pgasio::retry_options o{
        .max_attempts = 10, .initial_backoff = 10ms, .max_backoff = 100ms};
    std::set<std::int64_t> thirds;
    for (int i = 0; i < 50; ++i) {
        const auto first = pgasio::detail::retry_delay(o, 1);
        CHECK((first >= 5ms && first <= 10ms));
        const auto third = pgasio::detail::retry_delay(o, 3);
        CHECK((third >= 20ms && third <= 40ms));
        thirds.insert(third.count());
        const auto late = pgasio::detail::retry_delay(o, 1000);
        CHECK((late >= 50ms && late <= 100ms));
    }
    CHECK(thirds.size() > 1); // jittered
}

TEST_CASE("transaction: isolation level, access mode and deferrable take effect") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_table(conn, "tx_modes");
        {
            auto tx = co_await conn.async_begin({.isolation = pgasio::isolation_level::serializable,
                                                 .access = pgasio::access_mode::read_only,
                                                 .deferrable = true});
            auto iso = co_await tx.async_query("SHOW transaction_isolation");
            CHECK(iso[0].get<std::string_view>(0) == "serializable");
            auto ro = co_await tx.async_query("SHOW transaction_read_only");
            CHECK(ro[0].get<std::string_view>(0) == "on");
            auto def = co_await tx.async_query("SHOW transaction_deferrable");
            CHECK(def[0].get<std::string_view>(0) == "on");
            auto [ec, n] = co_await tx.async_execute("INSERT INTO tx_modes VALUES (1, 1)", nothrow);
            CHECK(ec == sqlstate::read_only_sql_transaction);
            co_await tx.async_rollback();
        }
        {
            auto tx =
                co_await conn.async_begin({.isolation = pgasio::isolation_level::repeatable_read,
                                           .access = pgasio::access_mode::read_write});
            auto iso = co_await tx.async_query("SHOW transaction_isolation");
            CHECK(iso[0].get<std::string_view>(0) == "repeatable read");
            auto ro = co_await tx.async_query("SHOW transaction_read_only");
            CHECK(ro[0].get<std::string_view>(0) == "off");
            co_await tx.async_execute("INSERT INTO tx_modes VALUES (1, 1)");
            co_await tx.async_commit();
        }
        {
            auto tx = co_await conn.async_begin();
            auto iso = co_await tx.async_query("SHOW transaction_isolation");
            CHECK(iso[0].get<std::string_view>(0) == "read committed");
            co_await tx.async_commit();
        }
        const auto rows = co_await count_rows(conn, "tx_modes");
        CHECK(rows == 1);
        co_await conn.async_execute("DROP TABLE tx_modes");
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: BEGIN goes with the first request, whatever its kind, and its modes apply "
          "to it") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_table(conn, "tx_first");
        // Each transaction's first request reads the isolation level it runs at: outside the
        // transaction it would be the server's default, read committed.
        const std::string sql = "SELECT current_setting('transaction_isolation')";
        const pgasio::transaction_options rr{.isolation = pgasio::isolation_level::repeatable_read};
        auto stmt = co_await conn.async_prepare(sql);
        {
            // An extended query through the statement cache, then again with the statement
            // prepared by the cache (Bind and Execute only behind the BEGIN).
            for (int i = 0; i < 2; ++i) {
                auto tx = co_await conn.async_begin(rr);
                auto r = co_await tx.async_query(sql);
                CHECK(r[0].get<std::string>(0) == "repeatable read");
                co_await tx.async_rollback();
            }
        }
        {
            auto tx = co_await conn.async_begin(rr);
            auto r = co_await tx.async_query(stmt);
            CHECK(r[0].get<std::string>(0) == "repeatable read");
            co_await tx.async_rollback();
        }
        {
            auto tx = co_await conn.async_begin(rr);
            auto r = co_await tx.async_query(
                sql, pgasio::with_exec_mode(pgasio::query_exec_mode::simple_protocol));
            CHECK(r[0].get<std::string>(0) == "repeatable read");
            co_await tx.async_rollback();
        }
        {
            auto tx = co_await conn.async_begin(rr);
            auto rs = co_await tx.async_simple_query(sql);
            REQUIRE(rs.size() == 1);
            CHECK(rs[0][0].get<std::string>(0) == "repeatable read");
            co_await tx.async_rollback();
        }
        for (const auto mode :
             {pgasio::batch_mode::all_or_nothing, pgasio::batch_mode::independent}) {
            auto tx = co_await conn.async_begin(rr);
            pgasio::batch b(mode);
            REQUIRE_FALSE(b.add(sql));
            REQUIRE_FALSE(b.add("SELECT current_setting('transaction_isolation') || '!'"));
            auto out = co_await tx.async_execute_batch(std::move(b));
            REQUIRE(out.size() == 2);
            CHECK(out[0].rows[0].get<std::string>(0) == "repeatable read");
            CHECK(out[1].rows[0].get<std::string>(0) == "repeatable read!");
            co_await tx.async_rollback();
        }
        {
            auto tx = co_await conn.async_begin(rr);
            auto rows = tx.query_stream(sql);
            auto part = co_await rows.async_next();
            REQUIRE(part.size() == 1);
            CHECK(part[0].get<std::string>(0) == "repeatable read");
            const auto end = co_await rows.async_next();
            CHECK(end.empty());
            co_await tx.async_rollback();
        }
        {
            // A portal cursor lives only in a transaction block: opening it first works.
            auto tx = co_await conn.async_begin(rr);
            auto cur = co_await tx.async_open_cursor(sql, pgasio::cursor_options{});
            auto r = co_await cur.async_fetch();
            REQUIRE(r.size() == 1);
            CHECK(r[0].get<std::string>(0) == "repeatable read");
            co_await tx.async_rollback();
        }
        {
            auto tx = co_await conn.async_begin(rr);
            auto out = co_await tx.async_copy_out("COPY (" + sql + ") TO STDOUT");
            const std::string data = co_await out.async_read();
            CHECK(data == "repeatable read\n");
            const std::string end = co_await out.async_read();
            CHECK(end.empty());
            co_await tx.async_rollback();
        }
        {
            // A savepoint first (a simple query: BEGIN goes just before it, on its own).
            auto tx = co_await conn.async_begin(rr);
            auto sp = co_await tx.async_savepoint();
            co_await tx.async_execute("INSERT INTO tx_first VALUES (1, 1)");
            co_await tx.async_rollback_to(sp);
            auto r = co_await tx.async_query(sql);
            CHECK(r[0].get<std::string>(0) == "repeatable read");
            co_await tx.async_execute("INSERT INTO tx_first VALUES (2, 2)");
            co_await tx.async_commit();
        }
        {
            // READ ONLY applies to the first statement too.
            auto tx = co_await conn.async_begin({.access = pgasio::access_mode::read_only});
            auto [ec, n] = co_await tx.async_execute("INSERT INTO tx_first VALUES (3, 3)", nothrow);
            CHECK(ec == sqlstate::read_only_sql_transaction);
            co_await tx.async_rollback();
        }
        {
            // A first statement that writes, rolled back: it ran inside the transaction.
            auto tx = co_await conn.async_begin(rr);
            co_await tx.async_execute("INSERT INTO tx_first VALUES (4, 4)");
            co_await tx.async_rollback();
        }
        auto left = co_await conn.async_query("SELECT id FROM tx_first ORDER BY id");
        REQUIRE(left.size() == 1);
        CHECK(left[0].get<std::int32_t>(0) == 2);
        // Every transaction ended: the connection's next statement runs at the default level.
        auto after = co_await conn.async_query(sql);
        CHECK(after[0].get<std::string>(0) == "read committed");
        co_await conn.async_execute("DROP TABLE tx_first");
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: one that runs no statement commits and rolls back, leaving no block open") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        {
            auto tx =
                co_await conn.async_begin({.isolation = pgasio::isolation_level::serializable});
            co_await tx.async_commit();
            CHECK_FALSE(tx.active());
            CHECK_FALSE(tx.id().has_value());
        }
        {
            auto tx = co_await conn.async_begin();
            co_await tx.async_rollback();
            CHECK_FALSE(tx.active());
        }
        { auto dropped = co_await conn.async_begin(); }
        // The session never entered a transaction block: the next statement is in its own
        // transaction (a block left open would show as the BEGIN's isolation level).
        auto r = co_await conn.async_query("SELECT current_setting('transaction_isolation')");
        CHECK(r[0].get<std::string>(0) == "read committed");
        co_await conn.async_close();
        auto [ec, tx] = co_await conn.async_begin({}, nothrow);
        CHECK(ec == client_errc::not_connected);
    });
}

TEST_CASE("transaction: an empty transaction or lease fails its operations with lease_ended") {
    // Its statements have no connection to complete on: they throw from the call, whatever
    // the token. COMMIT and savepoints fail through their token; a rollback, as of any
    // transaction that ended, succeeds.
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        pgasio::exclusive_lease lease;
        pgasio::transaction tx;
        auto lease_ended = [](const pgasio::error& e) {
            return e.code() == client_errc::lease_ended;
        };
        CHECK_THROWS_MATCHES(lease.async_query("SELECT 1", nothrow), pgasio::error,
                             Catch::Predicate<pgasio::error>(lease_ended));
        CHECK_THROWS_MATCHES(tx.async_execute("SELECT 1", nothrow), pgasio::error,
                             Catch::Predicate<pgasio::error>(lease_ended));
        auto [commit_ec] = co_await tx.async_commit(nothrow);
        CHECK(commit_ec == client_errc::lease_ended);
        auto [rollback_ec] = co_await tx.async_rollback(nothrow);
        CHECK_FALSE(rollback_ec);
        auto [savepoint_ec, sp] = co_await tx.async_savepoint("a", nothrow);
        CHECK(savepoint_ec == client_errc::lease_ended);
    });
}

// A hot standby refuses BEGIN ISOLATION LEVEL SERIALIZABLE and BEGIN READ WRITE (0A000). The
// transaction's first statement then fails with BEGIN's error, and neither it nor anything
// after it runs: each would set the session's application_name (a session setting, kept when
// set outside a transaction) if it ran.
TEST_CASE("transaction: a BEGIN the server refuses fails the first statement, and nothing of the "
          "transaction runs") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        pgasio::connection conn(co_await asio::this_coro::executor);
        co_await conn.async_connect(pgasio::test::user_config("SCRAM", "REPLICA"));
        const std::string set_name = "SELECT set_config('application_name', $1, false)";
        auto name = [&]() -> asio::awaitable<std::string> {
            auto r = co_await conn.async_query("SHOW application_name");
            co_return r[0].get<std::string>(0);
        };
        auto check_name = [&](std::string expected) -> asio::awaitable<void> {
            const std::string now = co_await name();
            CHECK(now == expected);
        };
        const std::string before = co_await name();
        // The statement cache holds the statement prepared: behind the BEGIN go only its Bind
        // and Execute (whose 0A000, were it the statement's, would make the cache run it again).
        co_await conn.async_query(set_name, before);
        auto stmt = co_await conn.async_prepare(set_name);

        const pgasio::transaction_options refused[] = {
            {.isolation = pgasio::isolation_level::serializable},
            {.access = pgasio::access_mode::read_write},
        };
        for (const auto& options : refused) {
            for (int first = 0; first < 4; ++first) {
                INFO("first request kind " << first);
                auto tx = co_await conn.async_begin(options);
                pgasio::diagnostics d;
                pgasio::error_code ec;
                if (first == 0) {
                    std::tie(ec, std::ignore) = co_await tx.async_query(
                        set_name, "ran", pgasio::diagnostics_into(d, nothrow));
                } else if (first == 1) {
                    std::tie(ec, std::ignore) =
                        co_await tx.async_query(stmt, "ran", pgasio::diagnostics_into(d, nothrow));
                } else if (first == 2) {
                    std::tie(ec, std::ignore) = co_await tx.async_simple_query(
                        "SELECT set_config('application_name', 'ran', false)",
                        pgasio::diagnostics_into(d, nothrow));
                } else {
                    std::tie(ec, std::ignore) =
                        co_await tx.async_savepoint("sp", pgasio::diagnostics_into(d, nothrow));
                }
                // BEGIN's own error and diagnostics.
                CHECK(ec == sqlstate::feature_not_supported);
                CHECK(d.sqlstate == "0A000");
                CHECK((d.message == "cannot use serializable mode in a hot standby" ||
                       d.message == "cannot set transaction read-write mode during recovery"));
                // The transaction stays unusable, saying why, and sends nothing.
                pgasio::diagnostics later;
                auto [lec, lr] = co_await tx.async_query(set_name, "ran later",
                                                         pgasio::diagnostics_into(later, nothrow));
                CHECK(lec == sqlstate::feature_not_supported);
                CHECK(later.message.find("never began") != std::string::npos);
                pgasio::diagnostics at_commit;
                auto [cec] = co_await tx.async_commit(pgasio::diagnostics_into(at_commit, nothrow));
                CHECK(cec == sqlstate::feature_not_supported);
                CHECK(at_commit.message.find("never began") != std::string::npos);
                CHECK_FALSE(tx.active());
                auto [rec] = co_await tx.async_rollback(nothrow);
                CHECK_FALSE(rec);
                co_await check_name(before);
            }
            for (const bool commit : {true, false}) {
                // COMMIT or ROLLBACK issued with the first statement waits behind its BEGIN as
                // any request does, and ends as when issued later: COMMIT with BEGIN's error,
                // ROLLBACK with success (nothing began, nothing to roll back).
                INFO("ended by " << (commit ? "COMMIT" : "ROLLBACK"));
                auto tx = co_await conn.async_begin(options);
                std::optional<pgasio::error_code> first;
                std::optional<pgasio::error_code> end;
                pgasio::diagnostics at_end;
                tx.async_query(set_name, "ran",
                               [&](pgasio::error_code e, pgasio::result) { first = e; });
                auto ended =
                    pgasio::diagnostics_into(at_end, [&](pgasio::error_code e) { end = e; });
                if (commit)
                    tx.async_commit(std::move(ended));
                else
                    tx.async_rollback(std::move(ended));
                const bool both = co_await pgasio::test::eventually([&] { return first && end; });
                REQUIRE(both);
                CHECK(*first == sqlstate::feature_not_supported);
                INFO(at_end.message);
                if (commit) {
                    CHECK(*end == sqlstate::feature_not_supported);
                    CHECK(at_end.message.find("never began") != std::string::npos);
                } else {
                    CHECK_FALSE(*end);
                }
                CHECK_FALSE(tx.active());
                co_await check_name(before);
            }
            {
                // Statements issued together: the one behind the BEGIN's request waits for its
                // answer, and fails with it.
                auto tx = co_await conn.async_begin(options);
                int done = 0;
                pgasio::error_code e1, e2;
                tx.async_query(set_name, "ran first", [&](pgasio::error_code e, pgasio::result) {
                    e1 = e;
                    ++done;
                });
                tx.async_query(set_name, "ran second", [&](pgasio::error_code e, pgasio::result) {
                    e2 = e;
                    ++done;
                });
                CHECK(co_await pgasio::test::eventually([&] { return done == 2; }));
                CHECK(e1 == sqlstate::feature_not_supported);
                CHECK(e2 == sqlstate::feature_not_supported);
                co_await tx.async_rollback();
                co_await check_name(before);
            }
            {
                // Dropped after the failure: the connection serves the others at once.
                auto tx = co_await conn.async_begin(options);
                auto [ec, r] = co_await tx.async_query(set_name, "ran", nothrow);
                CHECK(ec == sqlstate::feature_not_supported);
            }
            co_await check_name(before);
        }
        // A BEGIN the standby accepts, for comparison: the same statements run.
        {
            auto tx =
                co_await conn.async_begin({.isolation = pgasio::isolation_level::repeatable_read});
            co_await tx.async_query(set_name, "ran");
            co_await tx.async_commit();
        }
        co_await check_name("ran");
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: a commit is seen by another session, a rollback is not") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto other = co_await connect_primary();
        co_await make_table(conn, "tx_visible");

        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("INSERT INTO tx_visible VALUES (1, 1)");
        const auto during = co_await count_rows(other, "tx_visible");
        CHECK(during == 0);
        CHECK(tx.active());
        CHECK_FALSE(tx.id()); // known with the COMMIT
        co_await tx.async_commit();
        CHECK_FALSE(tx.active());
        const auto committed = co_await count_rows(other, "tx_visible");
        CHECK(committed == 1);
        // Its id is the one the server stamped on the row it wrote (xmin, the id's low 32 bits).
        REQUIRE(tx.id());
        auto xmin = co_await other.async_query("SELECT xmin::text::int8 FROM tx_visible");
        CHECK((*tx.id() & 0xffffffffU) == static_cast<std::uint64_t>(xmin[0].get<std::int64_t>(0)));
        auto status = co_await other.async_query("SELECT pg_xact_status($1::text::xid8)::text",
                                                 std::to_string(*tx.id()));
        CHECK(status[0].get<std::string_view>(0) == "committed");
        // Ended: its operations refuse to run anywhere.
        auto [ec, r] = co_await tx.async_query("SELECT 1", nothrow);
        CHECK(ec == client_errc::lease_ended);
        auto [cec] = co_await tx.async_commit(nothrow);
        CHECK(cec == client_errc::lease_ended);

        auto tx2 = co_await conn.async_begin();
        co_await tx2.async_execute("INSERT INTO tx_visible VALUES (2, 2)");
        co_await tx2.async_rollback();
        CHECK_FALSE(tx2.active());
        CHECK_FALSE(tx2.id()); // no COMMIT, no id asked for
        const auto after_rollback = co_await count_rows(other, "tx_visible");
        CHECK(after_rollback == 1);
        // A second rollback has nothing to do.
        auto [rec] = co_await tx2.async_rollback(nothrow);
        CHECK_FALSE(rec);
        const auto own = co_await in_own_transaction(conn);
        CHECK(own);

        co_await conn.async_execute("DROP TABLE tx_visible");
        co_await other.async_close();
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: COPY and row streams run inside it") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto other = co_await connect_primary();
        co_await make_table(conn, "tx_inside");
        auto tx = co_await conn.async_begin();
        auto copy = co_await tx.async_copy_in("COPY tx_inside FROM STDIN (FORMAT csv)");
        co_await copy.async_write("1,10\n2,20\n");
        co_await copy.async_finish();
        // The stream sees the transaction's own rows; another session does not.
        auto rows = tx.query_stream("SELECT sum(v)::int8 FROM tx_inside WHERE v > $1", 0);
        auto part = co_await rows.async_next();
        REQUIRE(part.size() == 1);
        CHECK(part[0].get<std::int64_t>(0) == 30);
        auto end = co_await rows.async_next();
        CHECK(end.empty());
        const auto outside = co_await count_rows(other, "tx_inside");
        CHECK(outside == 0);
        co_await tx.async_rollback();
        // Ended: a stream started now fails with lease_ended.
        auto late = tx.query_stream("SELECT 1");
        auto [ec, none] = co_await late.async_next(nothrow);
        CHECK(ec == client_errc::lease_ended);
        const auto after = co_await count_rows(conn, "tx_inside");
        CHECK(after == 0);
        co_await conn.async_execute("DROP TABLE tx_inside");
        co_await other.async_close();
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: a row stream or COPY out given up early leaves the transaction going") {
    // Results far larger than what the connection reads ahead: the server is still sending
    // when the reader gives up (a cancel would reach it, and abort the transaction).
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto other = co_await connect_primary();
        co_await make_table(conn, "tx_given_up");
        const std::string big = "SELECT g FROM generate_series(1, 3000000) g";
        auto tx = co_await conn.async_begin();
        {
            // The transaction's first statement: BEGIN goes with it.
            auto rows = tx.query_stream(big);
            auto part = co_await rows.async_next();
            CHECK_FALSE(part.empty());
        }
        co_await tx.async_execute("INSERT INTO tx_given_up VALUES (1, 1)");
        {
            auto rows = tx.query_stream(big);
            auto part = co_await rows.async_next();
            CHECK_FALSE(part.empty());
            rows.cancel();
        }
        co_await tx.async_execute("INSERT INTO tx_given_up VALUES (2, 2)");
        {
            auto out = co_await tx.async_copy_out("COPY (" + big + ") TO STDOUT");
            auto chunk = co_await out.async_read();
            CHECK_FALSE(chunk.empty());
        }
        co_await tx.async_execute("INSERT INTO tx_given_up VALUES (3, 3)");
        pgasio::diagnostics diag;
        auto [ec] = co_await tx.async_commit(pgasio::diagnostics_into(diag, nothrow));
        INFO(diag.message);
        CHECK_FALSE(ec);
        const auto committed = co_await count_rows(other, "tx_given_up");
        CHECK(committed == 3);
        // Outside a transaction block, giving up still cancels the query on the server.
        {
            auto rows = conn.query_stream(big);
            auto part = co_await rows.async_next();
            CHECK_FALSE(part.empty());
        }
        auto after = co_await conn.async_query("SELECT 7");
        CHECK(after[0].get<std::int32_t>(0) == 7);
        co_await conn.async_execute("DROP TABLE tx_given_up");
        co_await other.async_close();
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: COMMIT of a failed transaction fails with transaction_rolled_back") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_table(conn, "tx_failed");
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("INSERT INTO tx_failed VALUES (1, 1)");
        auto [ec, r] = co_await tx.async_query("SELECT 1/0", nothrow);
        CHECK(ec == sqlstate::division_by_zero);
        pgasio::diagnostics diag;
        auto [cec] = co_await tx.async_commit(pgasio::diagnostics_into(diag, nothrow));
        CHECK(cec == client_errc::transaction_rolled_back);
        CHECK_FALSE(diag.message.empty());
        CHECK_FALSE(tx.active());
        const auto rows = co_await count_rows(conn, "tx_failed");
        CHECK(rows == 0);
        const auto own = co_await in_own_transaction(conn);
        CHECK(own);
        // The default token throws it.
        auto tx2 = co_await conn.async_begin();
        co_await tx2.async_query("SELECT 1/0", nothrow);
        bool threw = false;
        try {
            co_await tx2.async_commit();
        } catch (const pgasio::error& e) {
            threw = e.code() == client_errc::transaction_rolled_back;
        }
        CHECK(threw);
        // Read only: the server's own answer to such a COMMIT, ROLLBACK, says it.
        auto ro = co_await conn.async_begin({.access = pgasio::access_mode::read_only});
        co_await ro.async_query("SELECT 1/0", nothrow);
        auto [roec] = co_await ro.async_commit(nothrow);
        CHECK(roec == client_errc::transaction_rolled_back);
        const auto ro_own = co_await in_own_transaction(conn);
        CHECK(ro_own);
        co_await conn.async_execute("DROP TABLE tx_failed");
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: savepoints nest, roll back, release, refuse stale handles, scopes") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto other = co_await connect_primary();
        co_await make_table(conn, "tx_savepoints");
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("INSERT INTO tx_savepoints VALUES (1, 1)");
        auto outer = co_await tx.async_savepoint("outer \"quoted\" Name");
        CHECK(outer.name() == "outer \"quoted\" Name");
        co_await tx.async_execute("INSERT INTO tx_savepoints VALUES (2, 2)");
        auto inner = co_await tx.async_savepoint();
        CHECK(inner.name().rfind("pgasio_sp_", 0) == 0);
        co_await tx.async_execute("INSERT INTO tx_savepoints VALUES (3, 3)");
        CHECK(inner.active());

        // Back to the outer one: rows 2 and 3 go, the inner savepoint ends, the outer stays.
        co_await tx.async_rollback_to(outer);
        CHECK(outer.active());
        CHECK_FALSE(inner.active());
        auto [iec] = co_await tx.async_rollback_to(inner, nothrow);
        CHECK(iec == client_errc::savepoint_ended);
        auto seen = co_await tx.async_query("SELECT id FROM tx_savepoints ORDER BY id");
        REQUIRE(seen.size() == 1);
        CHECK(seen[0].get<std::int32_t>(0) == 1);

        // An error inside a savepoint, rolled back to: the transaction works again.
        auto [ec, r] = co_await tx.async_query("SELECT 1/0", nothrow);
        CHECK(ec == sqlstate::division_by_zero);
        co_await tx.async_rollback_to(outer);
        co_await tx.async_execute("INSERT INTO tx_savepoints VALUES (4, 4)");

        // Names: taken, too long, with a NUL byte.
        pgasio::diagnostics diag;
        auto [dec, dup] = co_await tx.async_savepoint("outer \"quoted\" Name",
                                                      pgasio::diagnostics_into(diag, nothrow));
        CHECK(dec == client_errc::invalid_savepoint_name);
        CHECK(diag.message.find("still active") != std::string::npos);
        auto [lec, longer] = co_await tx.async_savepoint(std::string(64, 'x'), nothrow);
        CHECK(lec == client_errc::invalid_savepoint_name);
        auto [nec, nul] = co_await tx.async_savepoint(std::string("a\0b", 3), nothrow);
        CHECK(nec == client_errc::invalid_savepoint_name);

        co_await tx.async_release(outer);
        CHECK_FALSE(outer.active());
        auto [rec] = co_await tx.async_release(outer, nothrow);
        CHECK(rec == client_errc::savepoint_ended);
        // None of the refusals reached the server: the transaction is still good.
        co_await tx.async_commit();
        auto rows = co_await other.async_query("SELECT id FROM tx_savepoints ORDER BY id");
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].get<std::int32_t>(0) == 1);
        CHECK(rows[1].get<std::int32_t>(0) == 4);

        // A savepoint of another transaction.
        auto tx2 = co_await conn.async_begin();
        auto sp = co_await tx2.async_savepoint();
        co_await tx2.async_commit();
        CHECK_FALSE(sp.active());
        auto tx3 = co_await conn.async_begin();
        auto [xec] = co_await tx3.async_rollback_to(sp, nothrow);
        CHECK(xec == client_errc::savepoint_ended);
        co_await tx3.async_commit();

        // Scopes: an inner one fails and is undone, the outer one's work stays.
        auto tx4 = co_await conn.async_begin();
        bool inner_failed = false;
        co_await tx4.async_savepoint_scope([&](pgasio::transaction& t) -> asio::awaitable<void> {
            co_await t.async_execute("INSERT INTO tx_savepoints VALUES (10, 10)");
            try {
                co_await t.async_savepoint_scope(
                    [&](pgasio::transaction& u) -> asio::awaitable<void> {
                        co_await u.async_execute("INSERT INTO tx_savepoints VALUES (11, 11)");
                        co_await u.async_execute("INSERT INTO tx_savepoints VALUES (10, 10)");
                    });
            } catch (const pgasio::error& e) {
                inner_failed = e.code() == sqlstate::unique_violation;
            }
        });
        CHECK(inner_failed);
        const int twelve =
            co_await tx4.async_savepoint_scope([&](pgasio::transaction& t) -> asio::awaitable<int> {
                co_await t.async_execute("INSERT INTO tx_savepoints VALUES (12, 12)");
                co_return 12;
            });
        CHECK(twelve == 12);
        co_await tx4.async_commit();
        auto ids = co_await other.async_query("SELECT id FROM tx_savepoints ORDER BY id");
        REQUIRE(ids.size() == 4);
        CHECK(ids[2].get<std::int32_t>(0) == 10);
        CHECK(ids[3].get<std::int32_t>(0) == 12);

        co_await conn.async_execute("DROP TABLE tx_savepoints");
        co_await other.async_close();
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: a savepoint scope cancelled while it runs rolls its work back") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE scope_cancelled (v int4)");
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("INSERT INTO scope_cancelled VALUES (1)");
        asio::steady_timer timer(ex, 300ms);
        // The timer wins: the scope is cancelled after its INSERT, in its second statement.
        auto winner =
            co_await (tx.async_savepoint_scope(
                          [&](pgasio::transaction& t) -> asio::awaitable<void> {
                              co_await t.async_execute("INSERT INTO scope_cancelled VALUES (2)");
                              co_await t.async_execute("SELECT pg_sleep(3)");
                          },
                          asio::use_awaitable) ||
                      timer.async_wait(asio::use_awaitable));
        CHECK(winner.index() == 1);
        // The transaction goes on as before the scope: its INSERT is gone, the first is kept.
        co_await tx.async_execute("INSERT INTO scope_cancelled VALUES (3)");
        co_await tx.async_commit();
        auto r =
            co_await conn.async_query("SELECT array_agg(v ORDER BY v)::text FROM scope_cancelled");
        CHECK(r[0].get<std::string>(0) == "{1,3}");
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: dropped without commit, it rolls back before anyone else's query runs") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto other = co_await connect_primary();
        co_await make_table(conn, "tx_dropped");
        std::optional<std::int64_t> seen_by_waiter;
        std::optional<bool> waiter_in_own_transaction;
        {
            auto tx = co_await conn.async_begin();
            co_await tx.async_execute("INSERT INTO tx_dropped VALUES (1, 1)");
            // Another coroutine's queries on the same connection: they wait for the transaction.
            asio::co_spawn(
                ex,
                [&]() -> asio::awaitable<void> {
                    seen_by_waiter = co_await count_rows(conn, "tx_dropped");
                    waiter_in_own_transaction = co_await in_own_transaction(conn);
                },
                asio::detached);
            co_await sleep_for(100ms);
            CHECK_FALSE(seen_by_waiter.has_value());
        } // dropped: neither committed nor rolled back
        const bool waiter_done = co_await pgasio::test::eventually(
            [&] { return waiter_in_own_transaction.has_value(); });
        REQUIRE(waiter_done);
        CHECK(seen_by_waiter == 0);
        CHECK(*waiter_in_own_transaction);
        const auto rows = co_await count_rows(other, "tx_dropped");
        CHECK(rows == 0);
        const auto own = co_await in_own_transaction(conn);
        CHECK(own);
        co_await conn.async_execute("DROP TABLE tx_dropped");
        co_await other.async_close();
        co_await conn.async_close();
    });
}

// Savepoints, their ends, rollbacks, connects and closes complete through a coroutine of the
// library's own, and a BEGIN through the connection's executor. Each is raced here against a
// timer on the caller's strand, with 4 threads, so that a caller's cancellation and the
// operation's end meet on different threads. Whatever
// wins, the transactions reported committed, and only they, are in the table at the end.
TEST_CASE("transaction: savepoints, rollbacks and connects cancelled from other threads") {
    using namespace asio::experimental::awaitable_operators;
    constexpr auto awaited = asio::as_tuple(asio::use_awaitable);
    asio::io_context ctx(4);
    pgasio::connection conn(asio::make_strand(ctx));
    constexpr int coroutines = 16;
    constexpr int rounds = 20;
    constexpr int connectors = 4;
    pgasio::test::race_tally tally;
    std::atomic<int> committed{0};
    auto race_timer = [](int n) { return pgasio::test::race_timer(n, 20ms); };
    auto race = [&](int c) -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        auto arm = [&](int i) { timer.expires_after(race_timer(c * 397 + i)); };
        for (int i = 0; i < rounds; ++i) {
            arm(i + 3);
            auto begun = co_await (conn.async_begin({}, awaited) || timer.async_wait(awaited));
            if (tally.lost(begun)) continue;
            auto& [bec, tx] = std::get<0>(begun);
            if (bec) {
                tally.fail("begin", bec);
                continue;
            }
            // One round in four races the first statement, which carries the BEGIN: when the
            // timer wins, the transaction is dropped here, on this strand, while that statement
            // still runs on the connection's (it rolls back).
            auto insert = [&] {
                return tx.async_execute("INSERT INTO tx_race VALUES ($1, $2)", c * rounds + i, c,
                                        awaited);
            };
            pgasio::error_code iec;
            if (i % 4 == 1) {
                arm(i + 4);
                auto inserted = co_await (insert() || timer.async_wait(awaited));
                if (tally.lost(inserted)) continue;
                iec = std::get<0>(std::get<0>(inserted));
            } else {
                std::tie(iec, std::ignore) = co_await insert();
            }
            if (iec) {
                tally.fail("insert", iec);
                continue;
            }
            // Once a step is cancelled, the block may be aborted (the cancel reached the
            // server): the transaction is rolled back.
            bool intact = false;
            arm(i);
            auto made = co_await (tx.async_savepoint(awaited) || timer.async_wait(awaited));
            if (!tally.lost(made)) {
                auto& [sec, point] = std::get<0>(made);
                if (sec) {
                    tally.fail("savepoint", sec);
                    continue;
                }
                arm(i + 1);
                // What `release || timer` and `rollback_to || timer` give alike.
                std::variant<std::tuple<pgasio::error_code>, std::tuple<pgasio::error_code>> ended;
                if (i % 2)
                    ended =
                        co_await (tx.async_release(point, awaited) || timer.async_wait(awaited));
                else
                    ended = co_await (tx.async_rollback_to(point, awaited) ||
                                      timer.async_wait(awaited));
                if (!tally.lost(ended)) {
                    if (auto eec = std::get<0>(std::get<0>(ended)))
                        tally.fail("savepoint end", eec);
                    intact = true;
                }
            }
            if (intact && i % 3 == 0) {
                auto [cec] = co_await tx.async_commit(awaited);
                if (cec)
                    tally.fail("commit", cec);
                else
                    ++committed;
                continue;
            }
            arm(i + 2);
            auto rolled = co_await (tx.async_rollback(awaited) || timer.async_wait(awaited));
            if (tally.lost(rolled)) continue; // dropped, it rolls back
            if (auto rec = std::get<0>(std::get<0>(rolled)))
                tally.fail("rollback", rec);
            else
                ++tally.answered;
        }
        ++tally.finished;
    };
    // Connects and closes of connections of their own, each on its own strand.
    auto connector = [&](int c) -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        for (int i = 0; i < 10; ++i) {
            pgasio::connection other(asio::make_strand(ctx));
            timer.expires_after(race_timer(c * 131 + i));
            auto opened = co_await (other.async_connect(pgasio::test::test_config(), awaited) ||
                                    timer.async_wait(awaited));
            if (tally.lost(opened)) continue;
            if (auto ec = std::get<0>(std::get<0>(opened))) {
                tally.fail("connect", ec);
                continue;
            }
            timer.expires_after(race_timer(c * 131 + i + 1));
            auto closed = co_await (other.async_close(awaited) || timer.async_wait(awaited));
            if (tally.lost(closed)) continue;
            if (auto ec = std::get<0>(std::get<0>(closed)))
                tally.fail("close", ec);
            else
                ++tally.answered;
        }
        ++tally.finished;
    };
    std::int64_t rows = -1;
    bool outside_transaction = false;
    asio::co_spawn(
        asio::make_strand(ctx),
        [&]() -> asio::awaitable<void> {
            co_await conn.async_connect(pgasio::test::test_config());
            co_await conn.async_execute("DROP TABLE IF EXISTS tx_race");
            co_await conn.async_execute("CREATE TABLE tx_race (id int4 PRIMARY KEY, v int4)");
            for (int c = 0; c < connectors; ++c)
                asio::co_spawn(asio::make_strand(ctx), connector(c), asio::detached);
            for (int c = 0; c < coroutines; ++c)
                asio::co_spawn(asio::make_strand(ctx), race(c), asio::detached);
            while (tally.finished < coroutines + connectors)
                co_await sleep_for(10ms);
            rows = co_await count_rows(conn, "tx_race");
            outside_transaction = co_await in_own_transaction(conn);
            co_await conn.async_execute("DROP TABLE tx_race");
            co_await conn.async_close();
        },
        asio::detached);
    pgasio::test::run_on_threads(ctx, 4, 120s);
    INFO("answered " << tally.answered << ", committed " << committed << ", cancelled "
                     << tally.cancelled << "; first wrong: " << tally.first_wrong());
    CHECK(tally.finished == coroutines + connectors);
    CHECK(tally.wrong == 0);
    CHECK(tally.answered > 0);
    CHECK(committed > 0);
    CHECK(tally.cancelled > 0);
    CHECK(rows == committed);
    CHECK(outside_transaction);
}

TEST_CASE("transaction: the connection's other users never run inside it") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_table(conn, "tx_isolated");
        auto tx = co_await conn.async_begin();
        auto mine = co_await tx.async_query("SELECT pg_current_xact_id()::text");
        co_await tx.async_execute("INSERT INTO tx_isolated VALUES (1, 1)");
        std::optional<std::string> their_xid;
        std::optional<std::int64_t> their_count;
        bool committed = false;
        bool ran_after_commit = false;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto r = co_await conn.async_query(
                    "SELECT pg_current_xact_id()::text, (SELECT count(*) FROM tx_isolated)");
                ran_after_commit = committed;
                their_xid = std::string(r[0].get<std::string_view>(0));
                their_count = r[0].get<std::int64_t>(1);
            },
            asio::detached);
        co_await sleep_for(100ms);
        CHECK_FALSE(their_xid.has_value());
        co_await tx.async_execute("INSERT INTO tx_isolated VALUES (2, 2)");
        committed = true;
        co_await tx.async_commit();
        const bool answered =
            co_await pgasio::test::eventually([&] { return their_xid.has_value(); });
        REQUIRE(answered);
        CHECK(ran_after_commit);
        CHECK(*their_xid != mine[0].get<std::string_view>(0));
        CHECK(their_count == 2);
        co_await conn.async_execute("DROP TABLE tx_isolated");
        co_await conn.async_close();
    });
}

namespace {

// A table whose rows make the COMMIT that inserted them sleep 0.4 s on the server (a deferred
// trigger), for tests that need something to happen while a COMMIT runs.
asio::awaitable<void> make_slow_commit_table(pgasio::connection& conn, const std::string& name) {
    co_await make_table(conn, name);
    co_await conn.async_execute("CREATE OR REPLACE FUNCTION " + name +
                                "_slow() RETURNS trigger LANGUAGE plpgsql AS "
                                "$$BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END$$");
    co_await conn.async_execute("CREATE CONSTRAINT TRIGGER slow AFTER INSERT ON " + name +
                                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " +
                                name + "_slow()");
}

asio::awaitable<void> drop_slow_commit_table(pgasio::connection& conn, const std::string& name) {
    co_await conn.async_execute("DROP TABLE " + name);
    co_await conn.async_execute("DROP FUNCTION " + name + "_slow()");
}

} // namespace

// A COMMIT made slow on the server (a deferred trigger sleeps 0.4 s as the transaction
// commits): the caller waiting for the connection is granted it as the COMMIT goes out, not once
// its answer is back, and what it runs comes after the COMMIT, outside that transaction.
TEST_CASE("transaction: the connection's next caller is granted it as a COMMIT goes out, and "
          "runs after it, outside the transaction") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_slow_commit_table(conn, "tx_handover");
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("INSERT INTO tx_handover VALUES (1, 1)");
        using clock = std::chrono::steady_clock;
        std::optional<clock::time_point> granted;
        std::optional<std::int64_t> seen;
        std::optional<bool> own_transaction;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto next = co_await conn.async_begin();
                granted = clock::now();
                auto r = co_await next.async_query(
                    "SELECT count(*), pg_current_xact_id_if_assigned() IS NULL FROM tx_handover");
                seen = r[0].get<std::int64_t>(0);
                own_transaction = r[0].get<bool>(1);
                co_await next.async_commit();
            },
            asio::detached);
        co_await sleep_for(50ms);
        CHECK_FALSE(granted.has_value()); // it waits for the transaction to end
        const auto commit_sent = clock::now();
        co_await tx.async_commit();
        const auto committed = clock::now();
        // Whatever the order, the other caller finishes before the checks (and the locals it
        // writes outlive it).
        const bool answered = co_await pgasio::test::eventually([&] { return seen.has_value(); });
        REQUIRE(answered);
        CHECK(committed - commit_sent >= 350ms); // the trigger slept: the test means something
        REQUIRE(granted.has_value());
        CHECK(*granted < commit_sent + 200ms); // granted while the COMMIT ran
        CHECK(*seen == 1);                     // the row is there
        CHECK(*own_transaction);               // and it ran outside the committed transaction
        const bool own = co_await in_own_transaction(conn);
        CHECK(own);
        co_await drop_slow_commit_table(conn, "tx_handover");
        co_await conn.async_close();
    });
}

// The next caller's transaction ends having sent nothing while the COMMIT before it still runs:
// the session's last known status is still the committing transaction's, yet nothing of the
// new one is open, and no ROLLBACK is sent for it (the server would warn of no transaction).
TEST_CASE("transaction: one that sent nothing, behind a COMMIT still running, sends no ROLLBACK") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_slow_commit_table(conn, "tx_empty_behind");
        std::vector<std::string> notices;
        conn.set_notice_handler(
            [&](const pgasio::diagnostics& d) { notices.push_back(d.message); });
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("INSERT INTO tx_empty_behind VALUES (1, 1)");
        bool ended = false;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto next = co_await conn.async_begin();
                co_await next.async_rollback();
                ended = true;
            },
            asio::detached);
        co_await sleep_for(20ms);
        co_await tx.async_commit();
        const bool done = co_await pgasio::test::eventually([&] { return ended; });
        REQUIRE(done);
        co_await conn.async_query("SELECT 1"); // after anything the ending queued
        INFO((notices.empty() ? std::string() : notices.front()));
        CHECK(notices.empty());
        co_await drop_slow_commit_table(conn, "tx_empty_behind");
        co_await conn.async_close();
    });
}

// Once the connection has passed on (its COMMIT queued), a COMMIT given up by its caller is not
// cancelled on the server: a cancel arriving after it would stop the next caller's statement.
// Its outcome is learnt instead, and the next caller's transaction is untouched.
TEST_CASE("transaction: a COMMIT that times out after the connection passed on is not cancelled, "
          "and reports its outcome") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto other = co_await connect_primary();
        co_await make_slow_commit_table(conn, "tx_commit_timeout");
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("INSERT INTO tx_commit_timeout VALUES (1, 1)");
        std::optional<pgasio::error_code> behind;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto next = co_await conn.async_begin();
                auto [ec, n] = co_await next.async_execute(
                    "UPDATE tx_commit_timeout SET v = v + 1 WHERE id = 1", nothrow);
                if (!ec) std::tie(ec) = co_await next.async_commit(nothrow);
                behind = ec;
            },
            asio::detached);
        co_await sleep_for(20ms);
        pgasio::diagnostics diag;
        auto [ec] = co_await tx.async_commit(
            pgasio::with_timeout(100ms, pgasio::diagnostics_into(diag, nothrow)));
        INFO(pgasio::format_error(ec, diag));
        CHECK_FALSE(ec); // it committed, as the server says
        const bool answered = co_await pgasio::test::eventually([&] { return behind.has_value(); });
        REQUIRE(answered);
        INFO(behind->message());
        CHECK_FALSE(*behind);
        auto r = co_await other.async_query("SELECT v FROM tx_commit_timeout WHERE id = 1");
        REQUIRE(r.size() == 1);
        CHECK(r[0].get<std::int32_t>(0) == 2);
        co_await drop_slow_commit_table(conn, "tx_commit_timeout");
        co_await other.async_close();
        co_await conn.async_close();
    });
}

// The COMMIT of a failed transaction (the transaction id query is refused there) and a COMMIT
// that fails itself (a deferred unique constraint) both end the transaction block: the callers
// queued behind them, whose statements are written right after the COMMIT, run outside it.
TEST_CASE("transaction: a failed transaction's COMMIT, and a COMMIT that fails, end the block for "
          "the caller written behind them") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto other = co_await connect_primary();
        co_await conn.async_execute("DROP TABLE IF EXISTS tx_behind_failed");
        co_await conn.async_execute("CREATE TABLE tx_behind_failed (id int4 UNIQUE DEFERRABLE "
                                    "INITIALLY DEFERRED, v int4)");
        for (const bool fails_at_commit : {false, true}) {
            INFO("the COMMIT fails itself: " << fails_at_commit);
            co_await conn.async_execute("TRUNCATE tx_behind_failed");
            auto tx = co_await conn.async_begin();
            co_await tx.async_execute("INSERT INTO tx_behind_failed VALUES (1, 1)");
            if (fails_at_commit) {
                co_await tx.async_execute("INSERT INTO tx_behind_failed VALUES (1, 2)");
            } else {
                auto [ec, r] = co_await tx.async_query("SELECT 1/0", nothrow);
                CHECK(ec == sqlstate::division_by_zero);
            }
            std::optional<pgasio::error_code> behind;
            asio::co_spawn(
                ex,
                [&]() -> asio::awaitable<void> {
                    auto next = co_await conn.async_begin();
                    auto [ec, n] = co_await next.async_execute(
                        "INSERT INTO tx_behind_failed VALUES (2, 2)", nothrow);
                    if (!ec) std::tie(ec) = co_await next.async_commit(nothrow);
                    behind = ec;
                },
                asio::detached);
            co_await sleep_for(20ms);
            pgasio::diagnostics diag;
            auto [cec] = co_await tx.async_commit(pgasio::diagnostics_into(diag, nothrow));
            INFO(pgasio::format_error(cec, diag));
            if (fails_at_commit)
                CHECK(cec == sqlstate::unique_violation);
            else
                CHECK(cec == client_errc::transaction_rolled_back);
            const bool answered =
                co_await pgasio::test::eventually([&] { return behind.has_value(); });
            REQUIRE(answered);
            INFO(behind->message());
            CHECK_FALSE(*behind);
            auto ids = co_await other.async_query("SELECT id FROM tx_behind_failed ORDER BY id");
            REQUIRE(ids.size() == 1);
            CHECK(ids[0].get<std::int32_t>(0) == 2);
            const bool own = co_await in_own_transaction(conn);
            CHECK(own);
        }
        co_await conn.async_execute("DROP TABLE tx_behind_failed");
        co_await other.async_close();
        co_await conn.async_close();
    });
}

// The session's first COMMIT prepares the COMMIT's statements. In a failed transaction the id
// query's Parse is refused: a COMMIT queued behind it must not have counted on that statement.
// (Before: the second transaction's COMMIT found no statement, 26000, and it was reported rolled
// back, its own statements having succeeded.)
TEST_CASE("transaction: a COMMIT queued while the session's first, preparing COMMIT is unanswered "
          "prepares its statements itself") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto other = co_await connect_primary();
        co_await conn.async_execute("DROP TABLE IF EXISTS tx_commit_prepared");
        co_await conn.async_execute("CREATE TABLE tx_commit_prepared (v int4)");
        auto failed = co_await conn.async_begin();
        auto [ec, r] = co_await failed.async_query("SELECT 1/0", nothrow);
        REQUIRE(ec == sqlstate::division_by_zero);
        std::optional<pgasio::error_code> insert_ec, commit_ec;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                // Granted as the failed transaction's COMMIT is queued; its own COMMIT is queued
                // at once, without waiting for its statement's answer.
                auto next = co_await conn.async_begin();
                next.async_execute("INSERT INTO tx_commit_prepared VALUES (7)",
                                   [&](pgasio::error_code e, std::uint64_t) { insert_ec = e; });
                auto [cec] = co_await next.async_commit(nothrow);
                commit_ec = cec;
            },
            asio::detached);
        co_await sleep_for(20ms);
        auto [fec] = co_await failed.async_commit(nothrow);
        CHECK(fec == client_errc::transaction_rolled_back);
        const bool answered = co_await pgasio::test::eventually(
            [&] { return insert_ec.has_value() && commit_ec.has_value(); });
        REQUIRE(answered);
        CHECK(*insert_ec == pgasio::error_code{});
        INFO(commit_ec->message());
        CHECK(*commit_ec == pgasio::error_code{});
        auto rows = co_await other.async_query("SELECT v FROM tx_commit_prepared");
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].get<std::int32_t>(0) == 7);
        // Later COMMITs of the session still commit.
        auto last = co_await conn.async_begin();
        co_await last.async_execute("INSERT INTO tx_commit_prepared VALUES (8)");
        co_await last.async_commit();
        auto count = co_await other.async_query_one("SELECT count(*) FROM tx_commit_prepared");
        CHECK(count[0].get<std::int64_t>(0) == 2);
        co_await conn.async_execute("DROP TABLE tx_commit_prepared");
        co_await other.async_close();
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: its first statement dropped before it was sent takes BEGIN along, never "
          "the statements behind it out of the transaction") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto other = co_await connect_primary();
        co_await make_table(conn, "tx_first_dropped");
        // Another user's query in flight: the transaction's first statement, which carries
        // BEGIN and runs alone, waits unwritten behind it, and so does the second.
        asio::co_spawn(ex, conn.async_query("SELECT pg_sleep(0.5)", asio::use_awaitable),
                       asio::detached);
        co_await sleep_for(50ms);
        auto tx = co_await conn.async_begin();
        std::optional<pgasio::error_code> first;
        std::optional<pgasio::error_code> second;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto [ec, n] =
                    co_await tx.async_execute("INSERT INTO tx_first_dropped VALUES (1, 1)",
                                              pgasio::with_timeout(100ms, nothrow));
                first = ec;
            },
            asio::detached);
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto [ec, n] = co_await tx.async_execute(
                    "INSERT INTO tx_first_dropped VALUES (2, 2)", nothrow);
                second = ec;
            },
            asio::detached);
        const bool answered = co_await pgasio::test::eventually([&] { return first && second; });
        REQUIRE(answered);
        INFO(first->message());
        CHECK(*first); // its timeout passed before it was sent
        INFO(second->message());
        CHECK_FALSE(*second);
        // The second ran inside the transaction: rolled back with it, never committed alone.
        co_await tx.async_rollback();
        const auto committed = co_await count_rows(other, "tx_first_dropped");
        CHECK(committed == 0);
        const auto own = co_await in_own_transaction(conn);
        CHECK(own);
        co_await conn.async_execute("DROP TABLE tx_first_dropped");
        co_await other.async_close();
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: a COMMIT dropped before it was sent is reported rolled back, and the "
          "session's next COMMIT is sound") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto other = co_await connect_primary();
        co_await make_table(conn, "tx_commit_dropped");
        auto tx = co_await conn.async_begin();
        // The first statement carries BEGIN and runs alone: the COMMIT behind it waits
        // unwritten until its timeout passes. (It is the session's first COMMIT, which would
        // prepare the statements later COMMITs use.)
        bool slept = false;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                co_await tx.async_execute("INSERT INTO tx_commit_dropped SELECT 1, 1 "
                                          "FROM pg_sleep(0.5)",
                                          nothrow);
                slept = true;
            },
            asio::detached);
        co_await sleep_for(50ms);
        pgasio::diagnostics diag;
        auto [ec] = co_await tx.async_commit(
            pgasio::with_timeout(50ms, pgasio::diagnostics_into(diag, nothrow)));
        INFO(diag.message);
        CHECK(ec == client_errc::transaction_rolled_back);
        CHECK_FALSE(tx.active());
        const bool done = co_await pgasio::test::eventually([&] { return slept; });
        REQUIRE(done);
        // The next transaction of the session commits.
        auto next = co_await conn.async_begin();
        co_await next.async_execute("INSERT INTO tx_commit_dropped VALUES (2, 2)");
        auto [cec] = co_await next.async_commit(nothrow);
        CHECK_FALSE(cec);
        auto ids = co_await other.async_query("SELECT id FROM tx_commit_dropped ORDER BY id");
        REQUIRE(ids.size() == 1);
        CHECK(ids[0].get<std::int32_t>(0) == 2);
        co_await conn.async_execute("DROP TABLE tx_commit_dropped");
        co_await other.async_close();
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: async_transaction retries a real serialization failure") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto rival = co_await connect_primary();
        co_await make_table(conn, "tx_retry");
        co_await conn.async_execute("INSERT INTO tx_retry VALUES (1, 0)");

        // The first run reads, then waits while a rival transaction updates the same row and
        // commits; its own update then conflicts (40001). The second run sees the rival's
        // update and adds to it.
        int runs = 0;
        bool snapshot_taken = false;
        bool rival_done = false;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                while (!snapshot_taken)
                    co_await sleep_for(2ms);
                auto tx = co_await rival.async_begin(
                    {.isolation = pgasio::isolation_level::serializable});
                co_await tx.async_execute("UPDATE tx_retry SET v = v + 10 WHERE id = 1");
                co_await tx.async_commit();
                rival_done = true;
            },
            asio::detached);
        const int result = co_await pgasio::async_transaction(
            conn, {.isolation = pgasio::isolation_level::serializable},
            pgasio::retry_options{.max_attempts = 3, .initial_backoff = 1ms},
            [&](pgasio::transaction& tx) -> asio::awaitable<int> {
                ++runs;
                auto r = co_await tx.async_query("SELECT v FROM tx_retry WHERE id = 1");
                if (runs == 1) {
                    snapshot_taken = true;
                    while (!rival_done)
                        co_await sleep_for(2ms);
                }
                co_await tx.async_execute("UPDATE tx_retry SET v = v + 1 WHERE id = 1");
                co_return r[0].get<std::int32_t>(0);
            });
        CHECK(runs == 2);
        CHECK(result == 10); // what the second run read
        auto v = co_await conn.async_query("SELECT v FROM tx_retry WHERE id = 1");
        CHECK(v[0].get<std::int32_t>(0) == 11);

        // With one attempt only, the conflict propagates and nothing of the run stays.
        runs = 0;
        snapshot_taken = false;
        rival_done = false;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                while (!snapshot_taken)
                    co_await sleep_for(2ms);
                co_await rival.async_execute("UPDATE tx_retry SET v = v + 100 WHERE id = 1");
                rival_done = true;
            },
            asio::detached);
        pgasio::error_code code;
        try {
            co_await pgasio::async_transaction(
                conn, {.isolation = pgasio::isolation_level::repeatable_read},
                pgasio::retry_options{.max_attempts = 1},
                [&](pgasio::transaction& tx) -> asio::awaitable<void> {
                    ++runs;
                    co_await tx.async_query("SELECT v FROM tx_retry WHERE id = 1");
                    snapshot_taken = true;
                    while (!rival_done)
                        co_await sleep_for(2ms);
                    co_await tx.async_execute("UPDATE tx_retry SET v = v + 1 WHERE id = 1");
                });
        } catch (const pgasio::error& e) {
            code = e.code();
        }
        CHECK(code == sqlstate::serialization_failure);
        CHECK(pgasio::is_retryable(code));
        CHECK(runs == 1);
        auto after = co_await conn.async_query("SELECT v FROM tx_retry WHERE id = 1");
        CHECK(after[0].get<std::int32_t>(0) == 111);
        const auto own = co_await in_own_transaction(conn);
        CHECK(own);

        co_await conn.async_execute("DROP TABLE tx_retry");
        co_await rival.async_close();
        co_await conn.async_close();
    });
}

TEST_CASE("transaction: async_transaction retries a real deadlock") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto a = co_await connect_primary();
        auto b = co_await connect_primary();
        co_await make_table(a, "tx_deadlock");
        co_await a.async_execute("INSERT INTO tx_deadlock VALUES (1, 0), (2, 0)");

        // Each run of each side locks its first row and, on its first run, waits until the
        // other side holds its own: then each waits for the other's row. The server breaks
        // the cycle (after deadlock_timeout) by failing one side with 40P01 deadlock_detected;
        // async_transaction rolls that side back and runs it again once the other committed.
        struct side {
            int first;
            int second;
            int runs = 0;
            bool locked = false;
            bool done = false;
        };
        side left{1, 2, 0, false, false};
        side right{2, 1, 0, false, false};
        auto body = [](side& me, const side& other) {
            return [&me, &other](pgasio::transaction& tx) -> asio::awaitable<void> {
                ++me.runs;
                co_await tx.async_execute("UPDATE tx_deadlock SET v = v + 1 WHERE id = $1",
                                          me.first);
                me.locked = true;
                if (me.runs == 1)
                    while (!other.locked)
                        co_await sleep_for(2ms);
                co_await tx.async_execute("UPDATE tx_deadlock SET v = v + 1 WHERE id = $1",
                                          me.second);
            };
        };
        auto run_side = [&](pgasio::connection& conn, side& me,
                            const side& other) -> asio::awaitable<void> {
            co_await pgasio::async_transaction(
                conn, {}, pgasio::retry_options{.max_attempts = 3, .initial_backoff = 1ms},
                body(me, other));
            me.done = true;
        };
        asio::co_spawn(ex, run_side(a, left, right), asio::detached);
        asio::co_spawn(ex, run_side(b, right, left), asio::detached);
        const bool both =
            co_await pgasio::test::eventually([&] { return left.done && right.done; }, 30s);
        REQUIRE(both);
        // One side ran once, the other twice (read committed has no serialization failures:
        // the second run can only come from the deadlock).
        CHECK(left.runs + right.runs == 3);
        CHECK(std::min(left.runs, right.runs) == 1);
        // Both committed, each once: every row was added to by both.
        auto rows = co_await a.async_query("SELECT v FROM tx_deadlock ORDER BY id");
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].get<std::int32_t>(0) == 2);
        CHECK(rows[1].get<std::int32_t>(0) == 2);

        co_await a.async_execute("DROP TABLE tx_deadlock");
        co_await b.async_close();
        co_await a.async_close();
    });
}

TEST_CASE("transaction: async_transaction rolls back and propagates other errors and exceptions") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_table(conn, "tx_errors");
        int runs = 0;
        pgasio::error_code code;
        try {
            co_await pgasio::async_transaction(
                conn, [&](pgasio::transaction& tx) -> asio::awaitable<void> {
                    ++runs;
                    co_await tx.async_execute("INSERT INTO tx_errors VALUES (1, 1)");
                    co_await tx.async_query("SELECT 1/0");
                });
        } catch (const pgasio::error& e) {
            code = e.code();
        }
        CHECK(code == sqlstate::division_by_zero);
        CHECK_FALSE(pgasio::is_retryable(code));
        CHECK(runs == 1);
        auto rows = co_await count_rows(conn, "tx_errors");
        CHECK(rows == 0);
        auto own = co_await in_own_transaction(conn);
        CHECK(own);

        runs = 0;
        std::string what;
        try {
            co_await pgasio::async_transaction(
                conn, [&](pgasio::transaction& tx) -> asio::awaitable<void> {
                    ++runs;
                    co_await tx.async_execute("INSERT INTO tx_errors VALUES (2, 2)");
                    throw std::runtime_error("not today");
                });
        } catch (const std::runtime_error& e) {
            what = e.what();
        }
        CHECK(what == "not today");
        CHECK(runs == 1);
        rows = co_await count_rows(conn, "tx_errors");
        CHECK(rows == 0);
        own = co_await in_own_transaction(conn);
        CHECK(own);

        // And a success commits what it did, once.
        runs = 0;
        co_await pgasio::async_transaction(
            conn, [&](pgasio::transaction& tx) -> asio::awaitable<void> {
                ++runs;
                co_await tx.async_execute("INSERT INTO tx_errors VALUES (3, 3)");
            });
        CHECK(runs == 1);
        rows = co_await count_rows(conn, "tx_errors");
        CHECK(rows == 1);

        co_await conn.async_execute("DROP TABLE tx_errors");
        co_await conn.async_close();
    });
}

namespace {

// A connection to the primary through `proxy`.
asio::awaitable<pgasio::connection> connect_through(const pgasio::test::cut_proxy& proxy) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(pgasio::test::test_config("sslmode=disable connect_timeout=2 "
                                                          "host=127.0.0.1 port=" +
                                                          std::to_string(proxy.port())));
    co_return conn;
}

// A proxy in front of the primary (see cut_proxy).
pgasio::test::cut_proxy make_proxy(asio::any_io_executor ex, pgasio::test::cut_proxy::cut when,
                                   bool refuse_after_cut = false, int commits_to_pass = 0) {
    const auto port = std::stoi(pgasio::test::pg_setting("PGASIO_TEST_PRIMARY_PORT"));
    return pgasio::test::cut_proxy(ex, pgasio::test::pg_setting("PGASIO_TEST_HOST"),
                                   static_cast<unsigned short>(port), when, refuse_after_cut,
                                   commits_to_pass);
}

// What a COMMIT reports when its backend is terminated while the proxy holds the rest of the
// COMMIT request back from the server: `hold` makes the proxy hold it (stall_at, stall_after),
// `held` says when the server has done what it could with the rest. The transaction inserted a
// row into `table`.
struct terminated_commit {
    pgasio::error_code ec;
    pgasio::diagnostics diag;
    std::int64_t rows = 0;
};

asio::awaitable<terminated_commit> terminate_during_commit(
    std::string table, std::function<void(pgasio::test::cut_proxy&)> hold,
    std::function<asio::awaitable<bool>(pgasio::connection& admin, pgasio::test::cut_proxy& proxy,
                                        const std::string& xid)>
        held) {
    auto ex = co_await asio::this_coro::executor;
    auto admin = co_await connect_primary();
    co_await make_table(admin, table);
    auto proxy = pgasio::test::primary_proxy(ex);
    auto conn = co_await connect_through(proxy);
    const auto pid = conn.backend_pid();
    auto tx = co_await conn.async_begin();
    co_await tx.async_execute("INSERT INTO " + table + " VALUES (1, 1)");
    auto xid_row = co_await tx.async_query("SELECT pg_current_xact_id()::text");
    const auto xid = xid_row[0].get<std::string>(0);
    hold(proxy);
    terminated_commit out;
    bool answered = false;
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
            std::tie(out.ec) =
                co_await tx.async_commit(pgasio::diagnostics_into(out.diag, nothrow));
            answered = true;
        },
        asio::detached);
    const bool ready = co_await held(admin, proxy, xid);
    REQUIRE(ready);
    CHECK_FALSE(answered);
    co_await admin.async_query("SELECT pg_terminate_backend($1)", pid);
    const bool done = co_await pgasio::test::eventually([&] { return answered; }, 20s);
    REQUIRE(done);
    CHECK_FALSE(conn.is_open());
    out.rows = co_await count_rows(admin, table);
    co_await admin.async_execute("DROP TABLE " + table);
    co_await admin.async_close();
    co_return out;
}

using direction = pgasio::test::cut_proxy::direction;

} // namespace

// The backend commits, then waits to read the Sync behind the COMMIT (which the proxy holds, the
// second Sync of the write: the first ends the transaction id's query); terminated then, it
// sends its buffered answer to COMMIT and a FATAL error (57P01): the transaction committed, and
// the error does not say otherwise.
TEST_CASE("transaction: a COMMIT that committed, then ended with a FATAL error, is reported done") {
    const auto out = run([](asio::any_io_executor) {
        return terminate_during_commit(
            "tx_fatal_after_commit",
            [](pgasio::test::cut_proxy& proxy) { proxy.stall_at(direction::to_server, 'S', 1); },
            [](pgasio::connection& admin, pgasio::test::cut_proxy& proxy,
               const std::string& xid) -> asio::awaitable<bool> {
                for (const auto until = std::chrono::steady_clock::now() + 10s;
                     std::chrono::steady_clock::now() < until;) {
                    auto r = co_await admin.async_query(
                        "SELECT pg_xact_status($1::text::xid8)::text", xid);
                    if (proxy.stalled() && r[0].get<std::string_view>(0) == "committed")
                        co_return true;
                    co_await sleep_for(10ms);
                }
                co_return false;
            });
    });
    INFO(pgasio::format_error(out.ec, out.diag));
    CHECK_FALSE(out.ec);
    CHECK(out.rows == 1);
}

// The backend sends the transaction id (at the Sync after its query), then waits for the
// COMMIT, which the proxy holds; terminated then, it sends a FATAL error: the COMMIT never ran.
TEST_CASE("transaction: a COMMIT whose session ended with a FATAL error before COMMIT ran, but "
          "after the transaction id, is reported rolled back") {
    const auto out = run([](asio::any_io_executor) {
        return terminate_during_commit(
            "tx_fatal_before_commit",
            [](pgasio::test::cut_proxy& proxy) { proxy.stall_after(direction::to_server, 'S'); },
            [](pgasio::connection&, pgasio::test::cut_proxy& proxy,
               const std::string&) -> asio::awaitable<bool> {
                // The id query's CommandComplete went to the client.
                const auto before = proxy.message_types(direction::to_client).size();
                co_return co_await pgasio::test::eventually([&] {
                    return proxy.stalled() &&
                           proxy.message_types(direction::to_client).find('C', before) !=
                               std::string::npos;
                });
            });
    });
    INFO(pgasio::format_error(out.ec, out.diag));
    CHECK(out.ec == client_errc::transaction_rolled_back);
    CHECK(out.rows == 0);
}

// Terminated before it read anything of the COMMIT request (which the proxy holds whole), the
// backend sends a FATAL error before the transaction id: the COMMIT never ran.
TEST_CASE("transaction: a COMMIT whose session ended with a FATAL error before the transaction "
          "id is reported rolled back") {
    const auto out = run([](asio::any_io_executor) {
        return terminate_during_commit(
            "tx_fatal_before_xid",
            [](pgasio::test::cut_proxy& proxy) { proxy.stall_at(direction::to_server); },
            [](pgasio::connection&, pgasio::test::cut_proxy& proxy,
               const std::string&) -> asio::awaitable<bool> {
                co_return co_await pgasio::test::eventually([&] { return proxy.stalled(); });
            });
    });
    INFO(pgasio::format_error(out.ec, out.diag));
    CHECK(out.ec == client_errc::transaction_rolled_back);
    CHECK(out.rows == 0);
}

TEST_CASE("transaction: a COMMIT whose answer is lost, but which committed, is reported done") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto admin = co_await connect_primary();
        co_await make_table(admin, "tx_lost_answer");
        auto proxy = make_proxy(ex, pgasio::test::cut_proxy::cut::after_commit);
        auto conn = co_await connect_through(proxy);
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("INSERT INTO tx_lost_answer VALUES (1, 1)");
        pgasio::diagnostics diag;
        auto [ec] = co_await tx.async_commit(pgasio::diagnostics_into(diag, nothrow));
        CHECK(proxy.has_cut());
        CHECK_FALSE(conn.is_open()); // the answer was lost with the connection
        CHECK_FALSE(ec);
        INFO(diag.message);
        const auto rows = co_await count_rows(admin, "tx_lost_answer");
        CHECK(rows == 1);
        co_await admin.async_execute("DROP TABLE tx_lost_answer");
        co_await admin.async_close();
    });
}

// The session's first COMMIT prepares the statements COMMIT runs; a later one only binds them:
// the transaction id still arrives before the COMMIT runs.
TEST_CASE("transaction: a later COMMIT of the session, its statements prepared, is resolved too") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto admin = co_await connect_primary();
        co_await make_table(admin, "tx_lost_later");
        auto proxy = make_proxy(ex, pgasio::test::cut_proxy::cut::after_commit, false, 2);
        auto conn = co_await connect_through(proxy);
        for (int i = 1; i <= 3; ++i) {
            auto tx = co_await conn.async_begin();
            co_await tx.async_execute("INSERT INTO tx_lost_later VALUES ($1, $1)", i);
            pgasio::diagnostics diag;
            auto [ec] = co_await tx.async_commit(pgasio::diagnostics_into(diag, nothrow));
            INFO(diag.message);
            CHECK_FALSE(ec);
            CHECK(proxy.has_cut() == (i == 3));
            if (i == 1) {
                // Both are prepared in the session from the first COMMIT on.
                auto r = co_await conn.async_query(
                    "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'pgasio_commit%'");
                CHECK(r[0].get<std::int64_t>(0) == 2);
            }
        }
        CHECK_FALSE(conn.is_open()); // the last answer was lost with the connection
        const auto rows = co_await count_rows(admin, "tx_lost_later");
        CHECK(rows == 3);
        co_await admin.async_execute("DROP TABLE tx_lost_later");
        co_await admin.async_close();
    });
}

TEST_CASE("transaction: a COMMIT lost before it reached the server is reported rolled back") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto admin = co_await connect_primary();
        co_await make_table(admin, "tx_lost_commit");
        auto proxy = make_proxy(ex, pgasio::test::cut_proxy::cut::before_commit);
        auto conn = co_await connect_through(proxy);
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("INSERT INTO tx_lost_commit VALUES (1, 1)");
        pgasio::diagnostics diag;
        auto [ec] = co_await tx.async_commit(pgasio::diagnostics_into(diag, nothrow));
        CHECK(proxy.has_cut());
        CHECK_FALSE(conn.is_open());
        CHECK(ec == client_errc::transaction_rolled_back);
        CHECK(diag.message.find("rolled transaction") != std::string::npos);
        const auto rows = co_await count_rows(admin, "tx_lost_commit");
        CHECK(rows == 0);
        co_await admin.async_execute("DROP TABLE tx_lost_commit");
        co_await admin.async_close();
    });
}

TEST_CASE("transaction: a COMMIT whose outcome cannot be learnt is commit_in_doubt, with its id") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto admin = co_await connect_primary();
        co_await make_table(admin, "tx_in_doubt");
        // The server is out of reach once the session is cut: nobody can ask it.
        auto proxy = make_proxy(ex, pgasio::test::cut_proxy::cut::after_commit, true);
        auto conn = co_await connect_through(proxy);
        int runs = 0;
        pgasio::error_code code;
        std::string detail;
        try {
            co_await pgasio::async_transaction(
                conn, [&](pgasio::transaction& tx) -> asio::awaitable<void> {
                    ++runs;
                    co_await tx.async_execute("INSERT INTO tx_in_doubt VALUES (1, 1)");
                });
        } catch (const pgasio::error& e) {
            code = e.code();
            detail = e.diag().detail;
        }
        CHECK(proxy.has_cut());
        CHECK(code == client_errc::commit_in_doubt);
        CHECK_FALSE(pgasio::is_retryable(code));
        CHECK(runs == 1); // never run again blindly
        // The id it names is the transaction's, which did commit.
        REQUIRE(detail.rfind("transaction id ", 0) == 0);
        auto status = co_await admin.async_query("SELECT pg_xact_status($1::text::xid8)::text",
                                                 detail.substr(15));
        CHECK(status[0].get<std::string_view>(0) == "committed");
        const auto rows = co_await count_rows(admin, "tx_in_doubt");
        CHECK(rows == 1);
        co_await admin.async_execute("DROP TABLE tx_in_doubt");
        co_await admin.async_close();
    });
}

TEST_CASE("transaction: a read-only transaction's lost COMMIT reports the connection's error") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto proxy = make_proxy(ex, pgasio::test::cut_proxy::cut::before_commit);
        auto conn = co_await connect_through(proxy);
        auto tx = co_await conn.async_begin({.access = pgasio::access_mode::read_only});
        co_await tx.async_query("SELECT 1");
        auto [ec] = co_await tx.async_commit(nothrow);
        CHECK(proxy.has_cut());
        // Nothing it did can be lost: the connection's own error (closed or reset), not in doubt.
        CHECK(pgasio::is_fatal(ec));
        CHECK(ec != client_errc::commit_in_doubt);
        CHECK_FALSE(conn.is_open());
    });
}

TEST_CASE("transaction: a COMMIT never written when the connection was lost is reported rolled "
          "back") {
    // The transaction's first request is a simple query: BEGIN goes alone, and what follows
    // waits for its answer, which the proxy holds. The connection is cut then, the COMMIT
    // still unwritten.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto proxy = pgasio::test::primary_proxy(ex);
        auto conn = co_await connect_through(proxy);
        auto tx = co_await conn.async_begin();
        proxy.stall_at(pgasio::test::cut_proxy::direction::to_client);
        std::optional<pgasio::error_code> first;
        tx.async_simple_query("SELECT 1", [&](pgasio::error_code ec, auto&&) { first = ec; });
        std::optional<pgasio::error_code> commit;
        pgasio::diagnostics diag;
        tx.async_commit(
            pgasio::diagnostics_into(diag, [&](pgasio::error_code ec) { commit = ec; }));
        const bool held = co_await pgasio::test::eventually([&] { return proxy.stalled(); });
        REQUIRE(held);
        proxy.cut_now();
        const bool answered = co_await pgasio::test::eventually([&] { return first && commit; });
        REQUIRE(answered);
        CHECK(*first);
        INFO(diag.message);
        CHECK(*commit == client_errc::transaction_rolled_back);
        CHECK(diag.message.find("COMMIT was not sent") != std::string::npos);
    });
}

TEST_CASE("transaction: a RELEASE or ROLLBACK TO that timed out ends the savepoints it would end") {
    // The server ran it, but the proxy held its answer past the timeout. A savepoint it would
    // end is refused afterwards on the client (savepoint_ended), not sent: the server would
    // abort the transaction for a savepoint that is gone.
    for (const bool rollback : {false, true}) {
        INFO((rollback ? "ROLLBACK TO" : "RELEASE"));
        run([rollback](asio::any_io_executor ex) -> asio::awaitable<void> {
            auto proxy = pgasio::test::primary_proxy(ex);
            auto conn = co_await connect_through(proxy);
            auto tx = co_await conn.async_begin();
            auto outer = co_await tx.async_savepoint("outer");
            auto inner = co_await tx.async_savepoint("inner");
            proxy.stall_at(pgasio::test::cut_proxy::direction::to_client);
            proxy.keep_latest(); // (the cancel's session must not take the stall's place)
            auto [ec] =
                rollback
                    ? co_await tx.async_rollback_to(outer, pgasio::with_timeout(300ms, nothrow))
                    : co_await tx.async_release(outer, pgasio::with_timeout(300ms, nothrow));
            CHECK(ec == client_errc::query_timeout);
            proxy.release();
            CHECK_FALSE(inner.active());
            CHECK(outer.active() == rollback); // ROLLBACK TO keeps its savepoint
            auto [iec] = co_await tx.async_release(inner, nothrow);
            CHECK(iec == client_errc::savepoint_ended);
            if (!rollback) {
                auto [oec] = co_await tx.async_rollback_to(outer, nothrow);
                CHECK(oec == client_errc::savepoint_ended);
            }
            // Nothing was sent for them: the transaction is good, and commits.
            co_await tx.async_query("SELECT 1");
            co_await tx.async_commit();
            co_await conn.async_close();
        });
    }
}

TEST_CASE("transaction: a COMMIT given up before its transaction id arrived says so") {
    // Its timeout passed while the proxy held the server's answers back: the connection is
    // not lost, but the outcome cannot be learnt without the id.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto admin = co_await connect_primary();
        co_await make_table(admin, "tx_commit_given_up");
        auto proxy = pgasio::test::primary_proxy(ex);
        auto conn = co_await connect_through(proxy);
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("INSERT INTO tx_commit_given_up VALUES (1, 1)");
        proxy.stall_at(pgasio::test::cut_proxy::direction::to_client);
        proxy.keep_latest(); // (the cancel's session must not take the stall's place)
        pgasio::diagnostics diag;
        auto [ec] = co_await tx.async_commit(
            pgasio::with_timeout(300ms, pgasio::diagnostics_into(diag, nothrow)));
        INFO(diag.message);
        CHECK(ec == client_errc::commit_in_doubt);
        CHECK(diag.message.find("timed out") != std::string::npos);
        CHECK(diag.message.find("lost") == std::string::npos);
        CHECK(conn.is_open());
        proxy.release();
        // The connection goes on, and the COMMIT, which the server ran, committed.
        auto r = co_await conn.async_query_one("SELECT count(*) FROM tx_commit_given_up");
        CHECK(r[0].get<std::int64_t>(0) == 1);
        co_await admin.async_execute("DROP TABLE tx_commit_given_up");
        co_await admin.async_close();
        co_await conn.async_close();
    });
}

// A cancel lands on the statement running when it arrives: here not the one it was sent for
// (whose answer the proxy held back until it had timed out, though it had finished), but the
// one behind it, in the same transaction block, which the 57014 has aborted. Sent again, that
// statement would only fail with 25P02 (the block is aborted) and hide why; it fails with the
// cancel's error, saying whose cancel it was.
TEST_CASE("transaction: a statement stopped by another's cancel inside the block is not sent "
          "again") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto proxy = pgasio::test::primary_proxy(ex);
        auto conn = co_await connect_through(proxy);
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("SELECT 1"); // BEGIN has run: the block is open
        proxy.stall_at(direction::to_client);
        proxy.keep_latest(); // the cancel's session must not take the stall's place
        pgasio::error_code first_ec;
        pgasio::error_code second_ec;
        pgasio::diagnostics second_diag;
        int done = 0;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                std::tie(first_ec, std::ignore) =
                    co_await tx.async_execute("SELECT 2", pgasio::with_timeout(200ms, nothrow));
                ++done;
            },
            asio::detached);
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                std::tie(second_ec, std::ignore) = co_await tx.async_execute(
                    "SELECT pg_sleep(5)", pgasio::diagnostics_into(second_diag, nothrow));
                ++done;
            },
            asio::detached);
        // The first times out (its answer held); its cancel stops the sleep behind it.
        const bool timed_out = co_await pgasio::test::eventually([&] { return done == 1; }, 5s);
        REQUIRE(timed_out);
        CHECK(first_ec == client_errc::query_timeout);
        co_await sleep_for(500ms); // the cancel reaches the server, the sleep's 57014 the proxy
        proxy.release();
        const bool answered = co_await pgasio::test::eventually([&] { return done == 2; }, 5s);
        REQUIRE(answered);
        INFO(second_diag.message << " / " << second_diag.detail);
        CHECK(second_ec == sqlstate::query_canceled);
        CHECK(second_diag.detail.find("sent for another request") != std::string::npos);
        auto [commit_ec] = co_await tx.async_commit(nothrow);
        CHECK(commit_ec == client_errc::transaction_rolled_back);
        co_await conn.async_close();
    });
}
