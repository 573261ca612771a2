// pgasio::value against the real server: a column of every type reads into a value that prints
// exactly as the server's `x::text` and, sent back as a parameter, comes back equal; a column of
// a type pgasio has no codec for keeps its type and the server's text.
#include <pgasio/connection.hpp>
#include <pgasio/format.hpp>
#include <pgasio/types.hpp>
#include <pgasio/value.hpp>

#include <pgasio/protocol/oids.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <tuple>
#include <vector>

namespace asio = boost::asio;
namespace oids = pgasio::protocol::oids;
using pgasio::value;
using pgasio::test::connect_primary;
using pgasio::test::run;

namespace {

// One value of every type pgasio has a codec for, as SQL, edge values included.
const std::vector<std::string>& every_type() {
    static const std::vector<std::string> v{
        "true",
        "'-32768'::int2",
        "2147483647::int4",
        "'-9223372036854775808'::int8",
        "4294967295::oid",
        "3.25::float4",
        "'-Infinity'::float4",
        "1.0000000000000002::float8",
        "'12345678901234567890.000000000000000001'::numeric",
        "'NaN'::numeric",
        "'-1234.56'::money",
        "'92233720368547758.07'::money",
        "'x'::\"char\"",
        "'héllo, wörld'::text",
        "'v'::varchar",
        "'padded'::char(8)",
        "'a_name'::name",
        "'\\x00ff10'::bytea",
        "B'10110'",
        "'101101011'::varbit",
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid",
        "'{\"b\": [1, 2, null], \"a\": \"x\"}'::json",
        "'{\"b\": [1, 2, null], \"a\": \"x\"}'::jsonb",
        "'$.a[*] ? (@ > 1)'::jsonpath",
        "'<a>b &amp; c</a>'::xml",
        "'2024-02-29'::date",
        "'4713-01-01 BC'::date",
        "'infinity'::date",
        "'2024-02-29 13:45:01.123456'::timestamp",
        "'-infinity'::timestamp",
        "'2024-02-29 13:45:01.5+00'::timestamptz",
        "'0044-03-15 12:00:00+00 BC'::timestamptz",
        "'24:00:00'::time",
        "'13:45:01+05:30'::timetz",
        "'1 year 2 mons -3 days 04:05:06.789'::interval",
        "'192.168.0.1/24'::inet",
        "'2001:db8::1'::inet",
        "'10.0.0.0/8'::cidr",
        "'08:00:2b:01:02:03'::macaddr",
        "'08:00:2b:01:02:03:04:05'::macaddr8",
        "'4294967295'::xid",
        "'18446744073709551615'::xid8",
        "'7'::cid",
        "'16/B374D848'::pg_lsn",
        "'(42,7)'::tid",
        "'10:20:10,14,15'::pg_snapshot",
        "'10:20:'::txid_snapshot",
        "'1 2 3'::int2vector",
        "'23 25'::oidvector",
        "to_tsvector('english', 'the fat cats ate the rats')",
        "'fat & (rat | !cat)'::tsquery",
        "point(1.5, -2)",
        "'{1,-1,0}'::line",
        "'[(1,2),(3,4)]'::lseg",
        "'(3,4),(1,2)'::box",
        "'[(0,0),(1,1)]'::path",
        "'((0,0),(1,1),(1,0))'::polygon",
        "'<(1,2),3>'::circle",
        "'[1,10)'::int4range",
        "'empty'::int8range",
        "'(1.5,)'::numrange",
        "'[2024-01-01,2024-02-01)'::daterange",
        "'[2024-01-01,2024-01-02)'::tsrange",
        "'(,2024-01-01 00:00:00+00]'::tstzrange",
        "'{[1,3),[5,7)}'::int4multirange",
        "'{}'::int8multirange",
        "'{[1.5,2.5]}'::nummultirange",
        "'{[2024-01-01,2024-02-01)}'::datemultirange",
        "'{[2024-01-01,)}'::tsmultirange",
        "'{(,2024-01-01 00:00:00+00)}'::tstzmultirange",
    };
    return v;
}

// Arrays of every shape: several dimensions, lower bounds other than 1, NULL elements, empty,
// and elements whose text needs quoting or another delimiter.
const std::vector<std::string>& arrays() {
    static const std::vector<std::string> v{
        "'[0:1][1:2]={{1,2},{3,4}}'::int4[]",
        "'[-2:-1]={a,NULL}'::varchar[]",
        "'{}'::int8[]",
        "'[1:1][1:1][1:1][1:1][1:1][3:4]={{{{{{1,2}}}}}}'::int2[]",
        "ARRAY['a b', NULL, 'c\"d', 'NULL', '']",
        "'{(3,4),(1,2);(0,0),(0,0)}'::box[]",
        "ARRAY['[1,2)'::int4range, 'empty', NULL]",
        "ARRAY['1.50'::money, '-1234567.00']",
        "'{{1.5,NaN},{NULL,-0.01}}'::numeric[]",
        "ARRAY['13:45:01+05:30'::timetz]",
        "ARRAY[to_tsvector('english', 'fat cats')]",
        "ARRAY['[1, 2]'::jsonb, NULL]",
        "ARRAY['10.0.0.0/8'::cidr]",
        "ARRAY['x'::\"char\", NULL]",
        "ARRAY['{[1,3)}'::int4multirange]",
        "ARRAY[B'101', B'010']",
    };
    return v;
}

// `sql` read into a value in binary prints as the server writes it in text (its output
// function: what a text-format result holds); sent back as a parameter (typed by the value) it
// comes back equal, with the same text; read in text, it is the same value. (The server's
// `x::text` casts differ from its output for bool, bpchar and inet: `true`, trailing blanks
// trimmed, `/128` added.)
asio::awaitable<void> check_value(pgasio::connection& c, const std::string& sql) {
    INFO(sql);
    const std::string query = "SELECT " + sql;
    auto r = co_await c.async_query(query);
    REQUIRE(r[0].columns()[0].format == pgasio::protocol::format_code::binary);
    const value v = r[0].get<value>(0);
    CHECK(v.type_oid() == r[0].columns()[0].type_oid);
    CHECK(!v.is_null());
    auto text = co_await c.async_query(query, pgasio::with_text_results());
    REQUIRE(text[0].columns()[0].format == pgasio::protocol::format_code::text);
    const std::string server_text = text[0].get<std::string>(0);
    CHECK(fmt::format("{}", v) == server_text);
    CHECK(text[0].get<value>(0) == v);
    auto back = co_await c.async_query("SELECT $1", v);
    CHECK(back[0].columns()[0].type_oid == v.type_oid());
    CHECK(back[0].get<value>(0) == v);
    auto back_text = co_await c.async_query("SELECT $1", v, pgasio::with_text_results());
    CHECK(back_text[0].get<std::string>(0) == server_text);
}

} // namespace

TEST_CASE("value: a column of every type reads into a value that prints as the server does") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        // timestamptz and timetz print in the session's time zone; the value prints in UTC.
        co_await c.async_execute("SET TimeZone = 'UTC'");
        for (const auto& sql : every_type())
            co_await check_value(c, sql);
        co_await c.async_close();
    });
}

TEST_CASE("value: arrays of every type and shape, with NULL elements") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_execute("SET TimeZone = 'UTC'");
        for (const auto& sql : arrays())
            co_await check_value(c, sql);
        // And a one-dimensional array with a NULL of every scalar type.
        for (const auto& sql : every_type())
            co_await check_value(c, "ARRAY[" + sql + ", NULL]");
        co_await c.async_close();
    });
}

TEST_CASE("value: NULL keeps its column's type and is sent as NULL of it") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        auto r = co_await c.async_query("SELECT NULL::int8, NULL::varchar[]");
        const value n = r[0].get<value>(0);
        CHECK(n.is_null());
        CHECK(n.type_oid() == oids::int8);
        CHECK(r[0].get<value>(1).type_oid() == oids::varchar_array);
        CHECK(!r[0].try_get<value>(0));
        CHECK(fmt::format("{}", n) == "NULL");
        auto back = co_await c.async_query("SELECT $1, pg_typeof($1)::text", n);
        CHECK(back[0].is_null(0));
        CHECK(back[0].get<std::string>(1) == "bigint");
        // Whole rows into tuples of values.
        auto rows =
            co_await c.async_query_as<std::tuple<value, value>>("SELECT 1::int4, 'a'::text");
        CHECK(rows.front() == std::tuple<value, value>{value(1), value("a")});
        co_await c.async_close();
    });
}

TEST_CASE("value: the OID alias types read as their oid in binary, their name in text") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        auto r = co_await c.async_query("SELECT 'pg_class'::regclass, 'pg_class'::regclass::oid");
        const value v = r[0].get<value>(0);
        CHECK(v.type_oid() == oids::regclass);
        REQUIRE(v.get_if<std::uint32_t>());
        CHECK(*v.get_if<std::uint32_t>() == r[0].get<std::uint32_t>(1));
        // Sent back as regclass: the server names it.
        auto back = co_await c.async_query("SELECT $1::text", v);
        CHECK(back[0].get<std::string>(0) == "pg_class");
        auto text =
            co_await c.async_query("SELECT 'pg_class'::regclass", pgasio::with_text_results());
        CHECK(text[0].get<value>(0) ==
              value::of_type(oids::regclass, pgasio::other_type_text{"pg_class"}));
        co_await c.async_close();
    });
}

TEST_CASE("value: a column of a type without a codec keeps its type and the server's text") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_simple_query(
            "DO $$ BEGIN CREATE TYPE value_test_mood AS ENUM ('happy', 'sad'); "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
        co_await c.async_simple_query(
            "DO $$ BEGIN CREATE TYPE value_test_pair AS (n int4, s text); "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
        for (const std::string sql :
             {"'happy'::value_test_mood", "ARRAY['happy', NULL]::value_test_mood[]",
              "ROW(7, 'a \"b\", c')::value_test_pair", "'a_cursor'::refcursor"}) {
            INFO(sql);
            auto r = co_await c.async_query("SELECT x, x::text FROM (SELECT " + sql + " AS x) s",
                                            pgasio::with_text_results());
            const value v = r[0].get<value>(0);
            CHECK(v.type_oid() == r[0].columns()[0].type_oid);
            REQUIRE(v.get_if<pgasio::other_type_text>());
            CHECK(v.get_if<pgasio::other_type_text>()->text == r[0].get<std::string>(1));
            CHECK(fmt::format("{}", v) == r[0].get<std::string>(1));
            // Its binary form is unknown: as a parameter it goes in text, which the server
            // reads back unchanged.
            auto back =
                co_await c.async_query("SELECT $1, $1::text", v, pgasio::with_text_results());
            CHECK(back[0].columns()[0].type_oid == v.type_oid());
            CHECK(back[0].get<value>(0) == v);
            CHECK(back[0].get<std::string>(1) == r[0].get<std::string>(1));
        }
        // Arrived in binary (the first execution of a plain query binds before it is
        // described), there is no text to keep: the error says how to get it.
        auto first = co_await c.async_query("SELECT 'sad'::value_test_mood AS m");
        CHECK_THROWS_WITH(first[0].get<value>(0), Catch::Contains("with_text_results"));
        // A prepared statement asks for it in text.
        auto stmt =
            co_await c.async_prepare("SELECT 'sad'::value_test_mood, NULL::value_test_mood");
        auto r = co_await c.async_query(stmt);
        CHECK(fmt::format("{}", r[0].get<value>(0)) == "sad");
        CHECK(r[0].get<value>(1).is_null());
        co_await c.async_close();
    });
}

TEST_CASE("value: a loaded user-defined type's column keeps the server's text in binary too") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_simple_query(
            "DO $$ BEGIN CREATE TYPE value_test_mood AS ENUM ('happy', 'sad'); "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
        co_await c.async_simple_query(
            "DO $$ BEGIN CREATE TYPE value_test_pair AS (n int4, s text); "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
        co_await c.async_load_types("value_test_mood", "value_test_pair");
        // The first execution of a plain query binds before it is described: in binary.
        auto r =
            co_await c.async_query("SELECT x, x::text FROM (SELECT 'sad'::value_test_mood AS x) s "
                                   "UNION ALL SELECT NULL, NULL");
        REQUIRE(r[0].columns()[0].format == pgasio::protocol::format_code::binary);
        const value v = r[0].get<value>(0);
        REQUIRE(v.get_if<pgasio::other_type_text>());
        CHECK(fmt::format("{}", v) == r[0].get<std::string>(1));
        CHECK(v.type_oid() == r[0].columns()[0].type_oid);
        CHECK(r[1].get<value>(0).is_null());
        // Sent back (in text), and in a simple query (a literal of its type).
        auto back = co_await c.async_query("SELECT $1::text", v);
        CHECK(back[0].get<std::string>(0) == "sad");
        auto simple = co_await c.async_query(
            "SELECT $1::text", v, pgasio::with_exec_mode(pgasio::query_exec_mode::simple_protocol));
        CHECK(simple[0].get<std::string>(0) == "sad");
        auto p = co_await c.async_query(
            "SELECT x, x::text FROM (SELECT ROW(7, 'a \"b\", c')::value_test_pair AS x) s");
        CHECK(fmt::format("{}", p[0].get<value>(0)) == p[0].get<std::string>(1));
        co_await c.async_close();
    });
}

TEST_CASE("value: timestamps after 294247 AD, past std::chrono's end, are held whole") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_execute("SET TimeZone = 'UTC'");
        auto r = co_await c.async_query(
            "SELECT '294276-12-31 23:59:59.999999'::timestamp, "
            "'294276-12-31 23:59:59.999999+00'::timestamptz, '2024-02-29 13:45:01'::timestamp, "
            "'294276-12-31 23:59:59.999999'::timestamp::text, "
            "'294276-12-31 23:59:59.999999+00'::timestamptz::text");
        const value last = r[0].get<value>(0);
        REQUIRE(last.get_if<pgasio::timestamp>());
        CHECK(last.get_if<pgasio::timestamp>()->microseconds_since_2000 == 9223371331199999999);
        CHECK(fmt::format("{}", last) == r[0].get<std::string>(3));
        const value last_tz = r[0].get<value>(1);
        REQUIRE(last_tz.get_if<pgasio::timestamptz>());
        CHECK(fmt::format("{}", last_tz) == r[0].get<std::string>(4));
        // Where std::chrono holds it, it is a std::chrono time point, equal to the same time held
        // whole.
        const value now = r[0].get<value>(2);
        using local_us = std::chrono::local_time<std::chrono::microseconds>;
        REQUIRE(now.get_if<local_us>());
        CHECK(now == value(pgasio::timestamp::from_chrono(*now.get_if<local_us>())));
        // Sent back, the server has the same values.
        auto back = co_await c.async_query("SELECT $1 = '294276-12-31 23:59:59.999999'::timestamp, "
                                           "$2 = '294276-12-31 23:59:59.999999+00'::timestamptz",
                                           last, last_tz);
        CHECK(back[0].get<bool>(0));
        CHECK(back[0].get<bool>(1));
        co_await c.async_close();
    });
}
