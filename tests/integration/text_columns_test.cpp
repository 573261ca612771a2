// Any column as text (docs/types.md, "Any column as text"): columns of types pgasio has no binary
// codec for are asked for in text where their description is known before the Bind, or with
// pgasio::with_text_results, and read as std::string exactly as the server's `x::text` writes
// them.
#include <pgasio/connection.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace asio = boost::asio;
using pgasio::query_exec_mode;
using pgasio::test::connect_primary;
using pgasio::test::run;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

// The user types of the tests, made once (tests in other processes may make them at the same
// time: whoever loses the race finds them made).
asio::awaitable<void> make_types(pgasio::connection& conn) {
    co_await conn.async_simple_query(
        "DO $$ BEGIN CREATE TYPE text_col_mood AS ENUM ('happy', 'sad'); "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
    co_await conn.async_simple_query(
        "DO $$ BEGIN CREATE TYPE text_col_pair AS (n int4, s text); "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
}

// Values of types without a binary codec in pgasio.
const std::vector<std::string>& uncoded_values() {
    static const std::vector<std::string> v{
        "'happy'::text_col_mood",
        "ARRAY['happy', 'sad', NULL]::text_col_mood[]",
        "ROW(7, 'a \"b\", c')::text_col_pair",
        "'a_cursor'::refcursor",
        "ARRAY[ROW(7, 'x')::text_col_pair, NULL]",
    };
    return v;
}

// Values of every kind, some with binary codecs: readable as text with with_text_results.
const std::vector<std::string>& any_values() {
    static const std::vector<std::string> v{
        "'happy'::text_col_mood",
        "'-1234.56'::money",
        "'16/B374D848'::pg_lsn",
        "B'10101'",
        "'1101'::varbit",
        "ROW(7, 'a \"b\", c')::text_col_pair",
        "to_tsvector('english', 'the fat cats ate the rats')",
        "point(1.5, -2)",
        "42::int4",
        "'2024-02-29 12:34:56.5+02'::timestamptz",
        "ARRAY[[1, 2], [3, NULL]]::int4[]",
    };
    return v;
}

// The query whose column 0 is `value` and column 1 the server's text of it, with an int4
// column 2 that must stay readable in binary beside them.
std::string query_of(const std::string& value) {
    return "SELECT x, x::text, 5::int4 FROM (SELECT " + value + " AS x) s";
}

void check_row(const pgasio::result& r, const std::string& value) {
    INFO(value);
    REQUIRE(r.size() == 1);
    CHECK(r.columns()[0].format == pgasio::protocol::format_code::text);
    CHECK(r[0].get<std::string>(0) == r[0].get<std::string>(1));
    CHECK(r[0].get<std::string_view>(0) == r[0].get<std::string_view>(1));
    CHECK(r[0].get<std::int32_t>(2) == 5);
}

} // namespace

TEST_CASE("text columns: a prepared statement reads a column of any type as text") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_types(conn);
        for (const auto& value : uncoded_values()) {
            auto stmt = co_await conn.async_prepare(query_of(value));
            auto r = co_await conn.async_query(stmt);
            check_row(r, value);
            // Only the column that needs text is asked for in text.
            CHECK(r.columns()[2].format == pgasio::protocol::format_code::binary);
        }
        // A NULL of such a type is NULL.
        auto stmt = co_await conn.async_prepare("SELECT NULL::text_col_mood");
        auto r = co_await conn.async_query(stmt);
        CHECK(!r[0].try_get<std::string>(0));
        co_await conn.async_close();
    });
}

TEST_CASE("text columns: the statement cache binds described columns of any type as text") {
    const auto mode = GENERATE(query_exec_mode::cache_statement, query_exec_mode::cache_describe);
    INFO(to_string(mode));
    run([mode](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_types(conn);
        for (const auto& value : uncoded_values()) {
            INFO(value);
            // The first execution binds before the description comes back: the column arrives in
            // binary, which is never handed out as text.
            auto first = co_await conn.async_query(query_of(value), pgasio::with_exec_mode(mode));
            CHECK(first.columns()[0].format == pgasio::protocol::format_code::binary);
            CHECK_THROWS_WITH(first[0].get<std::string>(0),
                              Catch::Contains("with_text_results") &&
                                  Catch::Contains("arrived in binary"));
            CHECK_THROWS_AS(first[0].get<std::string_view>(0), pgasio::error);
            // The next ones bind it in text.
            auto later = co_await conn.async_query(query_of(value), pgasio::with_exec_mode(mode));
            check_row(later, value);
            CHECK(later.columns()[2].format == pgasio::protocol::format_code::binary);
        }
        co_await conn.async_close();
    });
}

TEST_CASE("text columns: with_text_results reads every column as text, in every mode") {
    const auto mode = GENERATE(query_exec_mode::cache_statement, query_exec_mode::cache_describe,
                               query_exec_mode::describe_exec, query_exec_mode::simple_protocol);
    INFO(to_string(mode));
    run([mode](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_types(conn);
        for (const auto& value : any_values()) {
            INFO(value);
            for (int i = 0; i < 2; ++i) { // undescribed, then described (in the cache modes)
                auto r = co_await conn.async_query(
                    query_of(value), pgasio::with_exec_mode(mode, pgasio::with_text_results()));
                REQUIRE(r.size() == 1);
                CHECK(r[0].get<std::string>(0) == r[0].get<std::string>(1));
                // The other codecs read their text forms.
                CHECK(r.columns()[2].format == pgasio::protocol::format_code::text);
                CHECK(r[0].get<std::int32_t>(2) == 5);
            }
        }
        // A prepared statement too.
        auto stmt = co_await conn.async_prepare(query_of("'-1234.56'::money"));
        auto r = co_await conn.async_query(stmt, pgasio::with_text_results());
        CHECK(r.columns()[2].format == pgasio::protocol::format_code::text);
        CHECK(r[0].get<std::string>(0) == r[0].get<std::string>(1));
        co_await conn.async_close();
    });
}

TEST_CASE("text columns: describe_exec without with_text_results refuses binary as text") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_types(conn);
        for (int i = 0; i < 2; ++i) {
            auto r =
                co_await conn.async_query(query_of("'sad'::text_col_mood"),
                                          pgasio::with_exec_mode(query_exec_mode::describe_exec));
            CHECK(r.columns()[0].format == pgasio::protocol::format_code::binary);
            std::string out;
            CHECK(r[0].get(0, out) == pgasio::client_errc::type_mismatch);
        }
        co_await conn.async_close();
    });
}

TEST_CASE("text columns: a statement the server lost runs again with its columns in text") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_types(conn);
        const std::string sql = query_of("'happy'::text_col_mood");
        (void)co_await conn.async_query(sql);
        check_row(co_await conn.async_query(sql), "described");
        // The server forgets it behind the cache's back (26000): it is prepared again and re-run
        // with the same Bind.
        auto names = co_await conn.async_query(
            "SELECT name FROM pg_prepared_statements WHERE statement = $1", sql);
        REQUIRE(names.size() == 1);
        co_await conn.async_simple_query("DEALLOCATE " + names[0].get<std::string>(0));
        auto [ec, r] = co_await conn.async_query(sql, nothrow);
        REQUIRE(!ec);
        check_row(r, "re-run");
        co_await conn.async_close();
    });
}

TEST_CASE("text columns: a changed result type re-runs with one format for all columns") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await make_types(conn);
        co_await conn.async_execute("DROP TABLE IF EXISTS text_col_altered");
        co_await conn.async_execute("CREATE TABLE text_col_altered (m text_col_mood, n int4)");
        co_await conn.async_execute("INSERT INTO text_col_altered VALUES ('sad', 1)");
        const std::string sql = "SELECT * FROM text_col_altered";
        (void)co_await conn.async_query(sql);
        auto before = co_await conn.async_query(sql);
        CHECK(before[0].get<std::string>("m") == "sad");
        // Three columns now: the per-column result formats of the old Bind no longer fit.
        co_await conn.async_execute("ALTER TABLE text_col_altered ADD COLUMN b text DEFAULT 'x'");
        auto [ec, after] = co_await conn.async_query(sql, nothrow);
        REQUIRE(!ec);
        REQUIRE(after.columns().size() == 3);
        CHECK(after[0].get<std::int32_t>("n") == 1);
        CHECK(after[0].get<std::string>("b") == "x");
        // Described again: the enum is in text from the next execution.
        auto again = co_await conn.async_query(sql);
        CHECK(again[0].get<std::string>("m") == "sad");
        co_await conn.async_close();
    });
}
