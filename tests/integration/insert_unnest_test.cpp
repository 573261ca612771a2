// async_insert_unnest against the real primary: many rows in one statement, from tuples and
// from described structs (into a schema-qualified table), NULLs, names that are refused, and no
// rows at all.
#include <pgasio/connection.hpp>
#include <pgasio/exclusive_lease.hpp>
#include <pgasio/insert_unnest.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/describe/class.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace asio = boost::asio;
using pgasio::client_errc;
using pgasio::test::connect_primary;
using pgasio::test::run;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

struct priced_item {
    std::int64_t id;
    std::string name;
    std::optional<double> price;
};
BOOST_DESCRIBE_STRUCT(priced_item, (), (id, name, price))

} // namespace

TEST_CASE("insert_unnest: 100,000 tuples in one statement, NULLs included") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute(
            "CREATE TEMP TABLE unnested (id int8 PRIMARY KEY, name text, price float8)");
        using row = std::tuple<std::int64_t, std::string, std::optional<double>>;
        std::vector<row> rows;
        constexpr std::int64_t n = 100'000;
        for (std::int64_t i = 1; i <= n; ++i)
            rows.emplace_back(i, "item " + std::to_string(i),
                              i % 10 == 0 ? std::nullopt
                                          : std::optional<double>(static_cast<double>(i) * 0.5));
        const std::array<std::string_view, 3> columns = {"id", "name", "price"};
        const auto inserted = co_await pgasio::async_insert_unnest(conn, "unnested", columns, rows);
        CHECK(inserted == static_cast<std::uint64_t>(n));
        auto totals = co_await conn.async_query(
            "SELECT count(*), sum(id)::int8, count(price), sum(length(name))::int8, "
            "(SELECT name FROM unnested WHERE id = 77777) FROM unnested");
        CHECK(totals[0].get<std::int64_t>(0) == n);
        CHECK(totals[0].get<std::int64_t>(1) == n * (n + 1) / 2);
        CHECK(totals[0].get<std::int64_t>(2) == n - n / 10); // every tenth price is NULL
        std::int64_t lengths = 0;
        for (const auto& r : rows)
            lengths += static_cast<std::int64_t>(std::get<1>(r).size());
        CHECK(totals[0].get<std::int64_t>(3) == lengths);
        CHECK(totals[0].get<std::string>(4) == "item 77777");
        // One statement: a duplicate key among the rows inserts none of them.
        std::vector<row> clash = {{n + 1, "new", 1.0}, {5, "duplicate", 2.0}};
        auto [ec, none] =
            co_await pgasio::async_insert_unnest(conn, "unnested", columns, clash, nothrow);
        CHECK(ec == pgasio::sqlstate::unique_violation);
        auto count = co_await conn.async_query("SELECT count(*) FROM unnested");
        CHECK(count[0].get<std::int64_t>(0) == n);
        co_await conn.async_close();
    });
}

TEST_CASE("insert_unnest: described structs go to the columns of their members' names") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        // Columns in another order than the members, and one the struct does not fill.
        co_await conn.async_execute("CREATE TEMP TABLE items (price float8, "
                                    "added timestamptz DEFAULT now(), name text, id int8)");
        std::vector<priced_item> items = {{1, "one", 1.5}, {2, "two", std::nullopt}};
        auto lease = co_await conn.async_acquire_exclusive();
        const auto inserted = co_await pgasio::async_insert_unnest(lease, "pg_temp.items", items);
        CHECK(inserted == 2);
        auto back = co_await lease.async_query_as<priced_item>(
            "SELECT id, name, price FROM pg_temp.items ORDER BY id");
        REQUIRE(back.size() == 2);
        CHECK(back[0].name == "one");
        CHECK(back[0].price == 1.5);
        CHECK(back[1].id == 2);
        CHECK(!back[1].price);
        lease.release();
        co_await conn.async_close();
    });
}

TEST_CASE("insert_unnest: every name is quoted: a hostile one names nothing, an impossible one is "
          "refused") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE victim (id int8)");
        co_await conn.async_execute("INSERT INTO victim VALUES (1)");
        using row = std::tuple<std::int64_t>;
        const std::vector<row> rows = {{2}};
        const std::array<std::string_view, 1> id = {"id"};
        // Every name is quoted: SQL in one is a name that does not exist, never SQL that runs.
        const std::array<std::string_view, 4> hostile = {
            "victim (id) VALUES (3); DROP TABLE victim; --", "victim\"; DROP TABLE victim; --",
            "1victim", "a.b.c"};
        for (const std::string_view table : hostile) {
            auto [ec, n] = co_await pgasio::async_insert_unnest(conn, table, id, rows, nothrow);
            CHECK((ec == pgasio::sqlstate::undefined_table ||
                   ec == pgasio::sqlstate::invalid_schema_name));
            CHECK(!pgasio::is_fatal(ec));
            CHECK(n == 0);
        }
        // What cannot be a name at all is refused before anything is sent.
        const std::array<std::string_view, 3> impossible = {
            "", std::string_view("vic\0tim", 7),
            "a_name_that_is_longer_than_the_sixty_three_characters_postgres_keeps"};
        for (const std::string_view table : impossible) {
            pgasio::diagnostics diag;
            auto [ec, n] = co_await pgasio::async_insert_unnest(
                conn, table, id, rows, pgasio::diagnostics_into(diag, nothrow));
            CHECK(ec == boost::system::errc::invalid_argument);
            CHECK(!pgasio::is_fatal(ec));
            CHECK(n == 0);
            CHECK(diag.message.find("table name") != std::string::npos);
        }
        const std::array<std::string_view, 1> bad_column = {"id); DROP TABLE victim; --"};
        auto [ec, n] =
            co_await pgasio::async_insert_unnest(conn, "victim", bad_column, rows, nothrow);
        CHECK(ec == pgasio::sqlstate::undefined_column);
        const std::array<std::string_view, 1> empty_column = {""};
        pgasio::diagnostics diag;
        auto [empty_ec, empty_n] = co_await pgasio::async_insert_unnest(
            conn, "victim", empty_column, rows, pgasio::diagnostics_into(diag, nothrow));
        CHECK(empty_ec == boost::system::errc::invalid_argument);
        CHECK(diag.message.find("column name") != std::string::npos);
        // Columns that do not match the rows' fields.
        const std::array<std::string_view, 2> two = {"id", "other"};
        auto [count_ec, count_n] =
            co_await pgasio::async_insert_unnest(conn, "victim", two, rows, nothrow);
        CHECK(count_ec == client_errc::parameter_count_mismatch);
        // Nothing ran: the table and its one row are still there.
        auto left = co_await conn.async_query("SELECT count(*), min(id) FROM victim");
        CHECK(left[0].get<std::int64_t>(0) == 1);
        CHECK(left[0].get<std::int64_t>(1) == 1);
        // A reserved word is a fine column name: it is quoted.
        co_await conn.async_execute("CREATE TEMP TABLE reserved (\"order\" int8)");
        const std::array<std::string_view, 1> order = {"order"};
        const auto inserted = co_await pgasio::async_insert_unnest(conn, "reserved", order, rows);
        CHECK(inserted == 1);
        // So are names with spaces, quotes, capitals and letters beyond ASCII, as the database
        // has them.
        co_await conn.async_execute(
            "CREATE TEMP TABLE \"Odd \"\"name\"\"\" (\"my id\" int8, \"größe\" int8)");
        const std::array<std::string_view, 2> odd = {"my id", "größe"};
        const std::vector<std::tuple<std::int64_t, std::int64_t>> pairs = {{1, 180}, {2, 175}};
        const auto odd_rows =
            co_await pgasio::async_insert_unnest(conn, "Odd \"name\"", odd, pairs);
        CHECK(odd_rows == 2);
        auto stored =
            co_await conn.async_query("SELECT sum(\"größe\")::int8 FROM \"Odd \"\"name\"\"\"");
        CHECK(stored[0].get<std::int64_t>(0) == 355);
        co_await conn.async_close();
    });
}

TEST_CASE("insert_unnest: no rows send nothing") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // Not even connected: any statement would fail with not_connected.
        pgasio::connection idle(ex);
        using row = std::tuple<std::int64_t>;
        const std::vector<row> rows;
        const std::array<std::string_view, 1> id = {"id"};
        auto [ec, n] = co_await pgasio::async_insert_unnest(idle, "anything", id, rows, nothrow);
        CHECK(!ec);
        CHECK(n == 0);
        auto [sent_ec, sent_n] = co_await idle.async_execute("SELECT 1", nothrow);
        CHECK(sent_ec == client_errc::not_connected);
    });
}
