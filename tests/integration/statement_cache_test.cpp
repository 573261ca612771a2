// The statement cache behind plain queries, against the real primary: what it leaves prepared on
// the server (pg_prepared_statements, whose execution counts show which statement ran), its
// names, its bound, and how it recovers when the server loses or changes a statement; the
// execution modes; and what each mode does behind pgbouncer in transaction pooling mode.
#include <pgasio/connection.hpp>
#include <pgasio/transaction.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace asio = boost::asio;
using pgasio::client_errc;
using pgasio::query_exec_mode;
using pgasio::sqlstate;
using pgasio::test::connect_primary;
using pgasio::test::run;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

// What the session has prepared: name -> (statement text, executions). Asked without the cache,
// so that asking changes nothing of it.
asio::awaitable<std::map<std::string, std::pair<std::string, std::int64_t>>>
prepared(pgasio::connection& conn) {
    auto r = co_await conn.async_query(
        "SELECT name, statement, generic_plans + custom_plans FROM pg_prepared_statements",
        pgasio::with_exec_mode(query_exec_mode::describe_exec));
    std::map<std::string, std::pair<std::string, std::int64_t>> out;
    for (const auto row : r)
        out[std::string(row.get<std::string_view>(0))] = {std::string(row.get<std::string_view>(1)),
                                                          row.get<std::int64_t>(2)};
    co_return out;
}

// The name the session prepared `sql` under (empty: none).
std::string name_of(const std::map<std::string, std::pair<std::string, std::int64_t>>& p,
                    const std::string& sql) {
    for (const auto& [name, what] : p)
        if (what.first == sql) return name;
    return {};
}

// Runs a half-second simple query on `conn` in the background, and returns once it is sent:
// a simple query runs alone, so what is queued behind it meanwhile waits, unwritten.
asio::awaitable<void> hold_writes(pgasio::connection& conn) {
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&conn]() -> asio::awaitable<void> {
            co_await conn.async_simple_query("SELECT pg_sleep(0.5)");
        },
        asio::detached);
    co_await pgasio::test::sleep_for(std::chrono::milliseconds(50));
}

} // namespace

TEST_CASE("statement cache: a repeated query runs one named statement, prepared once") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string sql = "SELECT $1::int4 + 1";
        for (int i = 0; i < 5; ++i) {
            auto r = co_await conn.async_query(sql, i);
            CHECK(r[0].get<std::int32_t>(0) == i + 1);
        }
        const auto p = co_await prepared(conn);
        const auto name = name_of(p, sql);
        REQUIRE(name.size() == 39);
        CHECK(name.rfind("pgasio_", 0) == 0);
        // Every execution ran the one statement (the first one included).
        CHECK(p.at(name).second == 5);
        CHECK(p.size() == 1);
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: names derive from the text and the parameter types") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto a = co_await connect_primary();
        auto b = co_await connect_primary();
        const std::string sql = "SELECT $1 + 1";
        co_await a.async_query(sql, std::int32_t{1});
        co_await a.async_query(sql, std::int64_t{1});
        co_await b.async_query(sql, std::int32_t{1});
        const auto pa = co_await prepared(a);
        const auto pb = co_await prepared(b);
        // Same text, other types: two statements, two names.
        REQUIRE(pa.size() == 2);
        CHECK(pa.begin()->first != std::next(pa.begin())->first);
        // Same text and types on another session: the same name.
        REQUIRE(pb.size() == 1);
        CHECK(pa.count(pb.begin()->first) == 1);
        co_await a.async_close();
        co_await b.async_close();
    });
}

TEST_CASE(
    "statement cache: its capacity bounds the session, evictions closed without a round trip") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary("sslmode=disable statement_cache_capacity=3");
        auto sql = [](int k) { return "SELECT $1::int4 + " + std::to_string(k); };
        for (int k = 1; k <= 5; ++k) {
            auto r = co_await conn.async_query(sql(k), 10);
            CHECK(r[0].get<std::int32_t>(0) == 10 + k);
        }
        // 4 evicted 1 and 5 evicted 2, each closed by the query that evicted it, in its own
        // round trip: the session never holds more than the capacity.
        auto p = co_await prepared(conn);
        CHECK(p.size() == 3);
        CHECK(name_of(p, sql(1)).empty());
        CHECK(name_of(p, sql(2)).empty());
        CHECK(!name_of(p, sql(3)).empty());
        co_await conn.async_query(sql(6), 0);
        p = co_await prepared(conn);
        CHECK(p.size() == 3);
        CHECK(name_of(p, sql(3)).empty());
        CHECK(!name_of(p, sql(6)).empty());
        // An evicted statement comes back prepared afresh.
        auto r = co_await conn.async_query(sql(1), 1);
        CHECK(r[0].get<std::int32_t>(0) == 2);
        p = co_await prepared(conn);
        CHECK(p.at(name_of(p, sql(1))).second == 1);
        co_await conn.async_close();
    });
}

TEST_CASE(
    "statement cache: capacity 0 and the unnamed modes leave nothing prepared, COMMIT included") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        const std::array<std::string, 3> settings{"statement_cache_capacity=0",
                                                  "default_query_exec_mode=cache_describe",
                                                  "default_query_exec_mode=describe_exec"};
        for (const std::string& extra : settings) {
            INFO(extra);
            auto conn = co_await connect_primary("sslmode=disable " + extra);
            for (int i = 0; i < 3; ++i) {
                auto r = co_await conn.async_query("SELECT $1::int4 * 2 AS twice", i);
                CHECK(r[0].get<std::int32_t>("twice") == 2 * i);
            }
            // Nor does a transaction's COMMIT keep its statements prepared.
            auto tx = co_await conn.async_begin();
            co_await tx.async_query("SELECT 1");
            co_await tx.async_commit();
            CHECK((co_await prepared(conn)).empty());
            co_await conn.async_close();
        }
    });
}

TEST_CASE("statement cache: with_exec_mode chooses the mode of one query") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn =
            co_await connect_primary("sslmode=disable default_query_exec_mode=describe_exec");
        co_await conn.async_query("SELECT $1::int4", 1);
        CHECK((co_await prepared(conn)).empty());
        co_await conn.async_query("SELECT $1::int4", 1,
                                  pgasio::with_exec_mode(query_exec_mode::cache_statement));
        CHECK(!name_of(co_await prepared(conn), "SELECT $1::int4").empty());
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: DISCARD ALL and DEALLOCATE ALL empty it") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string sql = "SELECT $1::text || '!'";
        for (const char* drop : {"DISCARD ALL", "DEALLOCATE ALL"}) {
            INFO(drop);
            co_await conn.async_query(sql, "a");
            REQUIRE(!name_of(co_await prepared(conn), sql).empty());
            co_await conn.async_simple_query(drop);
            CHECK((co_await prepared(conn)).empty());
            // Prepared again at once: not a Bind that fails first and runs again.
            auto r = co_await conn.async_query(sql, "b");
            CHECK(r[0].get<std::string_view>(0) == "b!");
            const auto p = co_await prepared(conn);
            CHECK(p.at(name_of(p, sql)).second == 1);
        }
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: a statement the server lost is prepared again and the query re-run") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string sql = "SELECT $1::int4 - 1";
        co_await conn.async_query(sql, 5);
        const auto name = name_of(co_await prepared(conn), sql);
        REQUIRE(!name.empty());
        // Behind the cache's back: it still believes the statement prepared.
        co_await conn.async_simple_query("DEALLOCATE " + name);
        auto [ec, r] = co_await conn.async_query(sql, 7, nothrow);
        REQUIRE(!ec);
        CHECK(r[0].get<std::int32_t>(0) == 6);
        CHECK(!name_of(co_await prepared(conn), sql).empty());
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: a changed result type re-runs outside a transaction block") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("DROP TABLE IF EXISTS cache_altered");
        co_await conn.async_execute("CREATE TABLE cache_altered (a int4)");
        co_await conn.async_execute("INSERT INTO cache_altered VALUES (1)");
        const std::string sql = "SELECT * FROM cache_altered WHERE a = $1";
        auto before = co_await conn.async_query(sql, 1);
        CHECK(before.columns().size() == 1);
        co_await conn.async_execute("ALTER TABLE cache_altered ADD COLUMN b text DEFAULT 'x'");
        // The server refuses the old plan (0A000); the query is prepared again and re-run.
        auto [ec, after] = co_await conn.async_query(sql, 1, nothrow);
        REQUIRE(!ec);
        REQUIRE(after.columns().size() == 2);
        CHECK(after[0].get<std::string_view>("b") == "x");
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: a statement prepared again after a changed result type stays "
          "prepared") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("DROP TABLE IF EXISTS cache_reprepared");
        co_await conn.async_execute("CREATE TABLE cache_reprepared (a int4)");
        co_await conn.async_execute("INSERT INTO cache_reprepared VALUES (1)");
        const std::string sql = "SELECT * FROM cache_reprepared WHERE a = $1";
        co_await conn.async_query(sql, 1);
        co_await conn.async_execute("ALTER TABLE cache_reprepared ADD COLUMN b text DEFAULT 'x'");
        // 0A000: the statement is closed and prepared again under the same name, and re-run.
        auto again = co_await conn.async_query(sql, 1);
        REQUIRE(again.columns().size() == 2);
        // The next query through the cache carries what the cache still has to close: not the
        // statement just prepared again.
        co_await conn.async_query("SELECT $1::int4", 2);
        CHECK(!name_of(co_await prepared(conn), sql).empty());
        // Inside a transaction block a lost statement is not prepared again for the caller.
        auto tx = co_await conn.async_begin();
        auto [ec, in_tx] = co_await tx.async_query(sql, 1, nothrow);
        CHECK(!ec);
        CHECK(in_tx.columns().size() == 2);
        co_await tx.async_rollback();
        co_await conn.async_execute("DROP TABLE cache_reprepared");
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: a 0A000 of the statement's own is not taken for a stale plan") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP SEQUENCE own_0a000");
        // Advances the sequence (which no rollback undoes), then fails with 0A000.
        co_await conn.async_execute(
            "CREATE FUNCTION pg_temp.refuse_0a000() RETURNS int LANGUAGE plpgsql AS $$ BEGIN "
            "PERFORM nextval('own_0a000'); RAISE EXCEPTION 'not here' USING ERRCODE = "
            "'feature_not_supported'; END $$");
        const std::string sql = "SELECT pg_temp.refuse_0a000()";
        for (const auto mode :
             {query_exec_mode::cache_describe, query_exec_mode::cache_statement}) {
            for (int i = 0; i < 2; ++i) {
                auto [ec, r] =
                    co_await conn.async_query(sql, pgasio::with_exec_mode(mode, nothrow));
                CHECK(ec == sqlstate::feature_not_supported);
            }
        }
        // Each of the four ran once, none again.
        const auto seq = co_await conn.async_query_one("SELECT last_value FROM own_0a000");
        CHECK(seq[0].get<std::int64_t>(0) == 4);
        co_await conn.async_close();
    });
}

TEST_CASE(
    "statement cache: inside a transaction block a changed result type fails, then recovers") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("DROP TABLE IF EXISTS cache_altered_tx");
        co_await conn.async_execute("CREATE TABLE cache_altered_tx (a int4)");
        co_await conn.async_execute("INSERT INTO cache_altered_tx VALUES (1)");
        const std::string sql = "SELECT * FROM cache_altered_tx";
        co_await conn.async_query(sql);
        co_await conn.async_execute("ALTER TABLE cache_altered_tx ADD COLUMN b int4 DEFAULT 2");
        {
            auto tx = co_await conn.async_begin();
            co_await tx.async_execute("INSERT INTO cache_altered_tx VALUES (3, 4)");
            // Re-running would need the transaction's earlier statements: the caller decides.
            auto [ec, r] = co_await tx.async_query(sql, nothrow);
            CHECK(ec == sqlstate::feature_not_supported);
            co_await tx.async_rollback();
        }
        // Forgotten: the next use prepares it afresh.
        auto r = co_await conn.async_query(sql);
        CHECK(r.columns().size() == 2);
        CHECK(r.size() == 1);
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: a preparation dropped before it was sent is sent by the next use") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await hold_writes(conn);
        const std::string sql = "SELECT $1::int4 * 7";
        auto [ec, r] = co_await conn.async_query(
            sql, 1, pgasio::with_timeout(std::chrono::milliseconds(100), nothrow));
        REQUIRE(ec == client_errc::query_timeout);
        // Inside a transaction block a missing statement could not be re-run: it must be
        // prepared, not assumed prepared by the Parse that never went out.
        auto tx = co_await conn.async_begin();
        auto [ec2, r2] = co_await tx.async_query(sql, 2, nothrow);
        REQUIRE(!ec2);
        CHECK(r2[0].get<std::int32_t>(0) == 14);
        co_await tx.async_commit();
        co_await conn.async_close();
    });
}

// The second use was encoded as a Bind only, counting on the first use's Parse. Inside a
// transaction block a missing statement cannot be re-run: without that Parse the second use
// failed (26000) and aborted the transaction.
TEST_CASE("statement cache: a preparation dropped before it was sent is still made for the uses "
          "queued behind it") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto tx = co_await conn.async_begin();
        // The transaction's first statement carries its BEGIN and runs alone: what is queued
        // behind it meanwhile waits, unwritten.
        bool slow_done = false;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                co_await tx.async_query("SELECT pg_sleep(0.5)");
                slow_done = true;
            },
            asio::detached);
        co_await pgasio::test::sleep_for(std::chrono::milliseconds(50));
        const std::string sql = "SELECT $1::int4 * 9";
        std::optional<pgasio::error_code> first_ec, second_ec;
        std::int32_t second = 0;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto [ec, r] = co_await tx.async_query(
                    sql, 1, pgasio::with_timeout(std::chrono::milliseconds(100), nothrow));
                first_ec = ec;
            },
            asio::detached);
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto [ec, r] = co_await tx.async_query(sql, 2, nothrow);
                second_ec = ec;
                if (!ec) second = r[0].get<std::int32_t>(0);
            },
            asio::detached);
        const bool done =
            co_await pgasio::test::eventually([&] { return slow_done && first_ec && second_ec; });
        REQUIRE(done);
        CHECK(*first_ec == client_errc::query_timeout);
        CHECK(*second_ec == pgasio::error_code{});
        CHECK(second == 18);
        co_await tx.async_commit();
        // Prepared once, for the session: a later use binds it.
        const auto p = co_await prepared(conn);
        CHECK(!name_of(p, sql).empty());
        co_await conn.async_close();
    });
}

// The preparation made in the dropped request's place belongs to the section of the requests
// it prepares for. When that section's BEGIN fails (read-write on a standby), it is dropped with
// them, and the cache must not take the statement as prepared. (Otherwise the next use, the first
// statement of a transaction, binds a statement the server does not have: 26000.)
TEST_CASE("statement cache: a preparation made in place of a dropped one, dropped in turn with a "
          "failed BEGIN's section, is made again by the next use") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        co_await conn.async_connect(pgasio::test::user_config("SCRAM", "REPLICA"));
        const std::string sql = "SELECT $1::int4 * 11";
        co_await hold_writes(conn);
        {
            pgasio::transaction_options read_write;
            read_write.access = pgasio::access_mode::read_write;
            auto tx = co_await conn.async_begin(read_write);
            std::optional<pgasio::error_code> first_ec, dropped_ec, second_ec;
            auto query = [&](std::string text, int n, std::chrono::milliseconds timeout,
                             std::optional<pgasio::error_code>& out) -> asio::awaitable<void> {
                auto [ec, r] =
                    co_await tx.async_query(text, n, pgasio::with_timeout(timeout, nothrow));
                out = ec;
            };
            // All three wait behind the held write; the second times out there.
            asio::co_spawn(ex, query("SELECT $1::int4", 0, std::chrono::seconds(5), first_ec),
                           asio::detached);
            asio::co_spawn(ex, query(sql, 1, std::chrono::milliseconds(100), dropped_ec),
                           asio::detached);
            asio::co_spawn(ex, query(sql, 2, std::chrono::seconds(5), second_ec), asio::detached);
            const bool done = co_await pgasio::test::eventually(
                [&] { return first_ec && dropped_ec && second_ec; });
            REQUIRE(done);
            CHECK(*dropped_ec == client_errc::query_timeout);
            CHECK(*first_ec == sqlstate::feature_not_supported); // not during recovery
            CHECK(*second_ec == sqlstate::feature_not_supported);
        }
        pgasio::transaction_options read_only;
        read_only.access = pgasio::access_mode::read_only;
        auto tx = co_await conn.async_begin(read_only);
        auto [ec, r] = co_await tx.async_query(sql, 3, nothrow);
        INFO(ec.message());
        REQUIRE(!ec);
        CHECK(r[0].get<std::int32_t>(0) == 33);
        co_await tx.async_commit();
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: an eviction's Close survives the request dropped before it was sent") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary("sslmode=disable statement_cache_capacity=1");
        const std::string first = "SELECT $1::int4 + 1";
        co_await conn.async_query(first, 1);
        REQUIRE(!name_of(co_await prepared(conn), first).empty());
        co_await hold_writes(conn);
        // It evicts `first`, carries its Close, and times out before it is sent.
        auto [ec, r] = co_await conn.async_query(
            "SELECT $1::int4 + 2", 1,
            pgasio::with_timeout(std::chrono::milliseconds(100), nothrow));
        REQUIRE(ec == client_errc::query_timeout);
        // The next request through the cache carries the Close.
        co_await conn.async_query("SELECT $1::int4 + 3", 1);
        CHECK(name_of(co_await prepared(conn), first).empty());
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: cache_describe fails a query whose cached columns changed, once") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn =
            co_await connect_primary("sslmode=disable default_query_exec_mode=cache_describe");
        co_await conn.async_execute("DROP TABLE IF EXISTS cache_described");
        co_await conn.async_execute("CREATE TABLE cache_described (a int4)");
        co_await conn.async_execute("INSERT INTO cache_described VALUES (1)");
        const std::string sql = "SELECT * FROM cache_described";
        CHECK((co_await conn.async_query(sql)).columns().size() == 1);
        co_await conn.async_execute("ALTER TABLE cache_described ADD COLUMN b int4 DEFAULT 2");
        // The rows no longer match the description: an error, not a closed connection.
        pgasio::diagnostics diag;
        auto [ec, r] = co_await conn.async_query(sql, pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == client_errc::description_changed);
        CHECK(diag.message.find("cached description") != std::string::npos);
        CHECK(conn.is_open());
        auto again = co_await conn.async_query(sql);
        REQUIRE(again.columns().size() == 2);
        CHECK(again[0].get<std::int32_t>("b") == 2);
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: concurrent first uses of a statement share its preparation") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        int right = 0;
        // All queued before the first answer: one Parse, the others Bind behind it.
        co_await pgasio::test::concurrently(50, [&](int i) -> asio::awaitable<void> {
            auto r = co_await conn.async_query("SELECT $1::int4 * 3", i);
            if (r[0].get<std::int32_t>(0) == 3 * i) ++right;
        });
        CHECK(right == 50);
        const auto p = co_await prepared(conn);
        CHECK(p.at(name_of(p, "SELECT $1::int4 * 3")).second == 50);
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: concurrent uses of a statement that fails to parse all get its error") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        std::vector<pgasio::error_code> errors;
        // The first sends Parse, which fails; the others sent Bind only, which finds no statement
        // (26000): each is prepared again and so gets the server's own error.
        co_await pgasio::test::concurrently(10, [&](int i) -> asio::awaitable<void> {
            auto [ec, r] = co_await conn.async_query("SELEC $1::int4", i, nothrow);
            errors.push_back(ec);
        });
        for (const auto& ec : errors)
            CHECK(ec == sqlstate::syntax_error);
        CHECK((co_await prepared(conn)).empty());
        // The connection and the cache go on.
        auto r = co_await conn.async_query("SELECT $1::int4 * 3", 2);
        CHECK(r[0].get<std::int32_t>(0) == 6);
        co_await conn.async_close();
    });
}

TEST_CASE("statement cache: simple_protocol writes the parameters into one Query") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn =
            co_await connect_primary("sslmode=disable default_query_exec_mode=simple_protocol");
        auto r = co_await conn.async_query(
            "SELECT $1::int4 + 1 AS n, $2 AS s, '$1' AS literal, $3::float8 AS f", 41,
            std::string("it's \\ here"), 0.5);
        REQUIRE(r.size() == 1);
        CHECK(r.columns()[0].format == pgasio::protocol::format_code::text);
        CHECK(r[0].get<std::int32_t>("n") == 42);
        CHECK(r[0].get<std::string_view>("s") == "it's \\ here");
        CHECK(r[0].get<std::string_view>("literal") == "$1");
        CHECK(r[0].get<double>("f") == 0.5);
        auto none =
            co_await conn.async_query("SELECT $1::int8 IS NULL", std::optional<std::int64_t>());
        CHECK(none[0].get<bool>(0));
        CHECK((co_await prepared(conn)).empty());
        // Several statements: they run, and the caller hears of it.
        pgasio::diagnostics diag;
        auto [ec, both] = co_await conn.async_query("SELECT $1::int4; SELECT 2", 1,
                                                    pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == client_errc::several_statements);
        CHECK(diag.message.find("more than one statement") != std::string::npos);
        auto after = co_await conn.async_query("SELECT $1::text", "still open");
        CHECK(after[0].get<std::string_view>(0) == "still open");
        co_await conn.async_close();
    });
}

namespace {

// What one client process saw: executions answered with their own statement's value, with
// another's, and the errors by SQLSTATE (or client error).
struct tally {
    int right = 0;
    int wrong = 0;
    std::map<std::string, int> errors;
};

// One client process's work through pgbouncer: `runs` executions cycling through statements of
// its own (`client` is in their text and their value), each checked. `prepare`: with handles
// from async_prepare, else plain queries in `mode`.
tally client_work(int client, query_exec_mode mode, bool prepare, int runs) {
    tally t;
    asio::io_context ctx;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            pgasio::connection conn(ctx.get_executor());
            co_await conn.async_connect(pgasio::test::pgbouncer_config(mode));
            std::vector<std::string> sqls;
            std::vector<pgasio::statement> stmts;
            for (int k = 0; k < 5; ++k) {
                sqls.push_back("SELECT $1::int4 + " + std::to_string(client * 100 + k));
                if (prepare) stmts.push_back(co_await conn.async_prepare(sqls.back()));
            }
            for (int i = 0; i < runs; ++i) {
                const auto k = static_cast<std::size_t>(i % 5);
                pgasio::diagnostics diag;
                auto token = pgasio::diagnostics_into(diag, nothrow);
                pgasio::error_code ec;
                pgasio::result r;
                if (prepare)
                    std::tie(ec, r) = co_await conn.async_query(stmts[k], i, token);
                else
                    std::tie(ec, r) = co_await conn.async_query(sqls[k], i, token);
                if (ec)
                    ++t.errors[diag.sqlstate.empty() ? ec.message() : diag.sqlstate];
                else if (r.size() == 1 &&
                         r[0].get<std::int32_t>(0) == i + client * 100 + static_cast<int>(k))
                    ++t.right;
                else
                    ++t.wrong;
            }
            co_await conn.async_close();
        },
        [&](std::exception_ptr e) {
            if (e) ++t.errors["exception"];
        });
    ctx.run();
    return t;
}

// Runs 4 client processes at once, each doing client_work, and adds up what they saw.
tally four_processes(query_exec_mode mode, bool prepare, int runs) {
    std::vector<std::pair<pid_t, int>> children;
    for (int client = 1; client <= 4; ++client) {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            const tally t = client_work(client, mode, prepare, runs);
            std::string out = std::to_string(t.right) + " " + std::to_string(t.wrong);
            for (const auto& [what, n] : t.errors)
                out += "\n" + std::to_string(n) + " " + what;
            (void)!write(fds[1], out.data(), out.size());
            _exit(0);
        }
        close(fds[1]);
        children.emplace_back(pid, fds[0]);
    }
    tally total;
    for (auto [pid, fd] : children) {
        std::string text;
        char buf[512];
        for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
            text.append(buf, static_cast<std::size_t>(n));
        close(fd);
        int status = 0;
        waitpid(pid, &status, 0);
        REQUIRE(WIFEXITED(status));
        std::istringstream in(text);
        int right = 0;
        int wrong = 0;
        REQUIRE(in >> right >> wrong);
        total.right += right;
        total.wrong += wrong;
        for (int n; in >> n;) {
            std::string what;
            std::getline(in >> std::ws, what);
            total.errors[what] += n;
        }
    }
    return total;
}

// Unique to this process among those that use the servers while they run.
std::string run_tag() {
    return std::to_string(getpid()) + "." +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::string describe(const tally& t) {
    std::string s = std::to_string(t.right) + " right, " + std::to_string(t.wrong) + " wrong";
    for (const auto& [what, n] : t.errors)
        s += ", " + std::to_string(n) + " x " + what;
    return s;
}

} // namespace

TEST_CASE("statement cache: behind pgbouncer in transaction mode every result is its own query's") {
    constexpr int runs = 375; // 1,500 executions in all
    // The modes the documentation says are safe there: no error, every value right.
    for (const auto mode :
         std::array{query_exec_mode::cache_describe, query_exec_mode::describe_exec,
                    query_exec_mode::simple_protocol}) {
        const tally t = four_processes(mode, false, runs);
        INFO(pgasio::to_string(mode) << ": " << describe(t));
        CHECK(t.right == 4 * runs);
        CHECK(t.wrong == 0);
        CHECK(t.errors.empty());
    }
    // Named statements where sessions move between server connections: a statement prepared on
    // one server is missing on the next (26000). The cache prepares it again and re-runs the
    // query (Close, Parse and Bind in one transaction, so on one server): right, at the cost of
    // a round trip per move. Never another statement's rows, whatever the names.
    {
        const tally t = four_processes(query_exec_mode::cache_statement, false, runs);
        INFO("cache_statement: " << describe(t));
        CHECK(t.right == 4 * runs);
        CHECK(t.wrong == 0);
        CHECK(t.errors.empty());
    }
    // Handles from async_prepare cannot be prepared again behind the caller's back: they fail
    // loudly (26000) when the session moved, never silently with another client's statement.
    {
        tally t = four_processes(query_exec_mode::describe_exec, true, runs);
        INFO("async_prepare: " << describe(t));
        CHECK(t.wrong == 0);
        CHECK(t.right + t.errors["26000"] == 4 * runs);
        CHECK(t.errors["26000"] > 0);
    }
}

TEST_CASE("statement cache: behind pgbouncer in transaction mode, a named statement inside a "
          "transaction block fails loudly on a server that lacks it") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        using pgasio::test::connect_pgbouncer;
        auto conn = co_await connect_pgbouncer(query_exec_mode::cache_statement);
        // A text of this run only: the cache names a statement after its text, and server
        // sessions keep what earlier runs prepared under that name.
        const std::string sql = "SELECT $1::int4 + 1000 -- " + run_tag();
        // Prepared on the server session this transaction runs on.
        std::int32_t home = 0;
        {
            auto tx = co_await conn.async_begin();
            auto r = co_await tx.async_query(sql, 1);
            CHECK(r[0].get<std::int32_t>(0) == 1001);
            auto pid = co_await tx.async_query("SELECT pg_backend_pid()");
            home = pid[0].get<std::int32_t>(0);
            co_await tx.async_commit();
        }
        // The next transaction must run on another server session, where the statement the
        // cache holds as prepared does not exist. pgbouncer hands out the server connection
        // used last first, so whenever this connection's transaction lands on the home session
        // again, another client's transaction takes that session next and keeps it. (Other
        // clients of the same pgbouncer may take it too: that only moves this one sooner.)
        // The server session is asked for by simple query: an extended query would itself be
        // a cached statement missing there.
        std::vector<pgasio::connection> holders;
        std::vector<pgasio::transaction> held;
        holders.reserve(8); // a transaction refers to its connection: never moved
        held.reserve(8);
        bool moved = false;
        for (int i = 0; i < 8 && !moved; ++i) {
            auto tx = co_await conn.async_begin();
            auto pid = co_await tx.async_simple_query("SELECT pg_backend_pid()");
            moved = pid[0][0].get<std::int32_t>(0) != home;
            if (moved) {
                // Inside a transaction block the query cannot be re-run, so it fails with
                // 26000, never answered by another statement.
                auto [ec, r] = co_await tx.async_query(sql, 2, nothrow);
                INFO(ec.message());
                CHECK(ec == sqlstate::invalid_sql_statement_name);
            }
            co_await tx.async_rollback();
            if (!moved) {
                holders.push_back(co_await connect_pgbouncer());
                held.push_back(co_await holders.back().async_begin());
                co_await held.back().async_simple_query("SELECT 1");
            }
        }
        REQUIRE(moved);
        // Outside a transaction block the cache prepares it again and the query is right.
        auto after = co_await conn.async_query(sql, 3);
        CHECK(after[0].get<std::int32_t>(0) == 1003);
        for (auto& tx : held)
            co_await tx.async_rollback();
        for (auto& h : holders)
            co_await h.async_close();
        co_await conn.async_close();
    });
}

TEST_CASE("prepare: behind pgbouncer, a name a forked process prepared on the server session is "
          "prepared again") {
    // A process forked from this one counts statements from where this one was: the same text
    // gets the same name in both. The child prepares it on a server session and leaves it
    // there (pgbouncer in transaction mode resets nothing); this process then prepares it on
    // that session, where Parse alone would fail with 42P05 (already exists).
    const std::string sql = "SELECT $1::int4 + 2000 -- " + run_tag();
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        close(fds[0]);
        std::int32_t pid = 0;
        asio::io_context ctx;
        asio::co_spawn(
            ctx,
            [&]() -> asio::awaitable<void> {
                auto conn = co_await pgasio::test::connect_pgbouncer();
                auto tx = co_await conn.async_begin();
                auto r = co_await tx.async_simple_query("SELECT pg_backend_pid()");
                co_await tx.async_prepare(sql);
                co_await tx.async_commit();
                pid = r[0][0].get<std::int32_t>(0);
                co_await conn.async_close();
            },
            asio::detached);
        ctx.run();
        (void)!write(fds[1], &pid, sizeof pid);
        _exit(0);
    }
    close(fds[1]);
    std::int32_t session = 0;
    const bool reported = read(fds[0], &session, sizeof session) == sizeof session;
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(reported);
    REQUIRE(session != 0);
    run([&](asio::any_io_executor) -> asio::awaitable<void> {
        using pgasio::test::connect_pgbouncer;
        // pgbouncer hands out the server connection used last first: the child's, unless
        // another client of it took that one; those transactions are held, so that each next
        // one gets another server connection, until one is the child's.
        std::vector<pgasio::connection> conns;
        std::vector<pgasio::transaction> txs;
        conns.reserve(16); // a transaction refers to its connection: never moved
        txs.reserve(16);
        bool on_session = false;
        for (int i = 0; i < 16 && !on_session; ++i) {
            conns.push_back(co_await connect_pgbouncer());
            txs.push_back(co_await conns.back().async_begin());
            auto r = co_await txs.back().async_simple_query("SELECT pg_backend_pid()");
            on_session = r[0][0].get<std::int32_t>(0) == session;
        }
        REQUIRE(on_session);
        auto& tx = txs.back();
        auto [ec, stmt] = co_await tx.async_prepare(sql, nothrow);
        INFO(ec.message());
        REQUIRE(!ec);
        auto r = co_await tx.async_query(stmt, 5);
        CHECK(r[0].get<std::int32_t>(0) == 2005);
        for (auto& t : txs)
            co_await t.async_rollback();
        for (auto& c : conns)
            co_await c.async_close();
    });
}
