// Parameters written into the SQL of a simple query reach the server as the same values as when
// they are bound in binary: for a value of every type pgasio has a codec for, the server's text
// of the interpolated literal (simple query protocol) is compared with its text of the bound
// parameter (extended protocol), and their types with each other.
#include "interpolate.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/params.hpp>
#include <pgasio/protocol/types/types.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace types = pgasio::protocol::types;
using pgasio::detail::plain_string_backslash;
using pgasio::test::connect_primary;
using pgasio::test::run;
using namespace std::literals;

namespace {

// A T from its PostgreSQL text form, through pgasio's text codec.
template <class T>
T parse(const std::string& literal) {
    T v{};
    INFO(literal);
    REQUIRE(!types::codec<T>::decode_text(literal, types::codec<T>::type_oid, v));
    return v;
}

// `sql` with `params` written into it; the interpolation must succeed.
template <class... P>
std::string interpolated(plain_string_backslash mode, std::string_view sql, const P&... params) {
    const auto oids = pgasio::detail::param_types_of(params...);
    pgasio::detail::param_values values(pgasio::detail::param_count(params...));
    pgasio::detail::write_params(values, params...);
    std::string why;
    std::string out;
    pgasio::error_code ec = values.finish(why);
    if (!ec) ec = pgasio::detail::interpolate_params(sql, oids, values, mode, out, why);
    INFO(why);
    REQUIRE(!ec);
    return out;
}

// One column of a row as text, nullopt for NULL (simple query results come as text).
std::optional<std::string> text_at(const pgasio::row_view& row, std::size_t i) {
    return row.get<std::optional<std::string>>(i);
}

// Sends `v` interpolated in a simple query and bound in an extended one, and checks that the
// server sees the same value of the same type.
template <class T>
asio::awaitable<void> same_value(pgasio::connection& conn, plain_string_backslash mode, const T& v,
                                 const std::string& label) {
    INFO(label);
    const std::string sql = "SELECT $1::text, pg_typeof($1)::text";
    const std::string simple_sql = interpolated(mode, sql, v);
    INFO(simple_sql);
    const auto simple = co_await conn.async_simple_query(simple_sql);
    const auto bound = co_await conn.async_query(sql, v);
    REQUIRE(simple.size() == 1);
    REQUIRE(simple[0].size() == 1);
    REQUIRE(bound.size() == 1);
    CHECK(text_at(simple[0][0], 0) == text_at(bound[0], 0));
    CHECK(text_at(simple[0][0], 1) == text_at(bound[0], 1));
}

// Every type pgasio has a codec for, through both protocols.
asio::awaitable<void> every_type(pgasio::connection& c, plain_string_backslash m) {
    using namespace std::chrono;
    namespace pp = pgasio::protocol;
    co_await same_value(c, m, true, "bool true");
    co_await same_value(c, m, false, "bool false");
    co_await same_value(c, m, std::int16_t{-32768}, "int2");
    co_await same_value(c, m, -1, "int4 -1");
    co_await same_value(c, m, std::numeric_limits<std::int64_t>::min(), "int8 min");
    co_await same_value(c, m, std::uint32_t{4294967295}, "oid");
    co_await same_value(c, m, 3.25f, "float4");
    co_await same_value(c, m, 0.1f, "float4 0.1");
    co_await same_value(c, m, -std::numeric_limits<float>::infinity(), "float4 -Infinity");
    co_await same_value(c, m, 1.0000000000000002, "float8");
    co_await same_value(c, m, -0.0, "float8 -0");
    co_await same_value(c, m, std::numeric_limits<double>::quiet_NaN(), "float8 NaN");
    co_await same_value(c, m, std::numeric_limits<double>::infinity(), "float8 Infinity");
    co_await same_value(c, m, std::numeric_limits<double>::denorm_min(), "float8 denormal");
    co_await same_value(c, m, parse<pp::numeric>("-123456789.0123456789000"), "numeric");
    co_await same_value(c, m, parse<pp::numeric>("NaN"), "numeric NaN");
    co_await same_value(c, m, "it's a \\ test with \\' and ''"s, "text with quotes, backslashes");
    co_await same_value(c, m, "\\"s, "text: one backslash");
    co_await same_value(c, m, "h\u00e9llo \u2603 \U0001D11E"s, "text: unicode");
    co_await same_value(c, m, ""s, "text: empty");
    co_await same_value(c, m, "-- $1 /* $$ \"x\" E'"s, "text: SQL syntax");
    co_await same_value(c, m, "a\tb\nc\r"s, "text: control characters");
    co_await same_value(c, m, 'q', "\"char\"");
    co_await same_value(c, m, '\\', "\"char\" backslash");
    co_await same_value(c, m, '\0', "\"char\" zero");
    co_await same_value(c, m, static_cast<char>(0xe9), "\"char\" high byte");
    co_await same_value(c, m, parse<std::vector<std::byte>>("\\x005c27ff"), "bytea");
    co_await same_value(c, m, parse<pp::uuid>("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "uuid");
    co_await same_value(c, m, parse<pp::json>(R"({"a": "it's \"q\" \\ \u00e9", "b": [1, null]})"),
                        "json");
    co_await same_value(c, m, parse<pp::jsonb>(R"({"a": "it's \\ x", "b": [1.5, null]})"), "jsonb");
    co_await same_value(c, m, sys_days(2024y / February / 29), "date");
    co_await same_value(c, m, parse<sys_days>("-infinity"), "date -infinity");
    co_await same_value(c, m, parse<local_time<microseconds>>("1999-12-31 23:59:59.999999"),
                        "timestamp");
    co_await same_value(c, m, parse<sys_time<microseconds>>("2024-02-29 12:34:56.5+00"),
                        "timestamptz");
    co_await same_value(c, m, parse<pp::time_of_day>("23:59:59.000001"), "time");
    co_await same_value(c, m, parse<pp::time_of_day_tz>("12:00:00-05:30"), "timetz");
    co_await same_value(c, m, parse<pp::interval>("1 year -2 mons +3 days -04:05:06.5"),
                        "interval mixed signs");
    co_await same_value(c, m, parse<pp::interval>("-1 days +00:00:01"), "interval day sign");
    co_await same_value(c, m, parse<pp::inet>("2001:db8::1/64"), "inet");
    co_await same_value(c, m, parse<pp::cidr>("10.0.0.0/8"), "cidr");
    co_await same_value(c, m, parse<pp::macaddr>("08:00:2b:01:02:03"), "macaddr");
    co_await same_value(c, m, parse<pp::macaddr8>("08:00:2b:01:02:03:04:05"), "macaddr8");
    co_await same_value(c, m, parse<pp::range<std::int32_t>>("[1,10)"), "int4range");
    co_await same_value(c, m,
                        parse<pp::range<sys_time<microseconds>>>(R"(["2024-01-01 00:00:00+00",))"),
                        "tstzrange");
    // Arrays from their text (an initializer list cannot live in a coroutine frame with GCC 12).
    co_await same_value(c, m, parse<std::vector<std::optional<std::int32_t>>>("{1,NULL,-3}"),
                        "int4[] with NULL");
    co_await same_value(c, m,
                        parse<std::vector<std::optional<std::string>>>(
                            R"({"a b",NULL,"q\"t","b\\s",it's,"NULL","{}",""})"),
                        "text[] with NULL and quoting");
    co_await same_value(c, m, parse<std::vector<double>>("{1.5,-Infinity,NaN}"), "float8[]");
    co_await same_value(c, m, parse<pp::array<std::int64_t>>("[0:1][1:2]={{1,2},{NULL,4}}"),
                        "int8[][] with lower bound 0");
    co_await same_value(c, m, parse<std::vector<char>>(R"({a,"\\"})"), "\"char\"[]");
    co_await same_value(c, m, std::optional<std::int32_t>(), "int4 NULL");
    co_await same_value(c, m, std::optional<std::vector<std::string>>(), "text[] NULL");
}

} // namespace

TEST_CASE("simple protocol: interpolated parameters reach the server as bound ones do") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await every_type(c, plain_string_backslash::literal);
    });
}

TEST_CASE("simple protocol: interpolated parameters with standard_conforming_strings off") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        // The session to itself: SET must hold for every query that follows.
        auto lease = co_await c.async_acquire_exclusive();
        co_await lease.async_simple_query("SET standard_conforming_strings = off");
        co_await lease.async_simple_query("SET escape_string_warning = off");
        const auto scs = co_await lease.async_simple_query("SHOW standard_conforming_strings");
        REQUIRE(scs[0][0].get<std::string>(0) == "off");
        // A backslash in the caller's plain string is an escape now: $1 inside it stays text.
        const std::string sql =
            interpolated(plain_string_backslash::escape, "SELECT 'x\\' $1 ', $1::text", "a\\b'c"s);
        const auto r = co_await lease.async_simple_query(sql);
        CHECK(r[0][0].get<std::string>(0) == "x' $1 ");
        CHECK(r[0][0].get<std::string>(1) == "a\\b'c");
        lease.release();
    });
}

TEST_CASE("simple protocol: every type through a session with standard_conforming_strings off") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary(
            "sslmode=disable options='-c standard_conforming_strings=off'");
        REQUIRE(c.parameter("standard_conforming_strings") == "off");
        co_await every_type(c, plain_string_backslash::escape);
    });
}

TEST_CASE("simple protocol: the server reads every $1 the lexer left alone as text") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        // Each construct holds a $1 that is not a placeholder; only the last $1 is one.
        const std::string sql = interpolated(plain_string_backslash::literal,
                                             "SELECT '$1''s' AS a, E'\\' $1 ' AS b, E'x'\n"
                                             "'\\' $1 ' AS c, $q$ $1 $q$ AS d, $$$1$$ AS \"$1\", "
                                             "/* /* $1 */ $1 */ $1 AS e -- $1",
                                             "v"s);
        const auto r = co_await c.async_simple_query(sql);
        REQUIRE(r.size() == 1);
        const auto row = r[0][0];
        REQUIRE(row.size() == 6);
        CHECK(row.get<std::string>("a") == "$1's");
        CHECK(row.get<std::string>("b") == "' $1 ");
        CHECK(row.get<std::string>("c") == "x' $1 ");
        CHECK(row.get<std::string>("d") == " $1 ");
        CHECK(row.get<std::string>("$1") == "$1");
        CHECK(row.get<std::string>("e") == "v");
    });
}

TEST_CASE("simple protocol: a negative parameter after a minus sign is no comment") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        // pgx's CVE-2024-27289: 5-$1 with -1 became 5--1, and the comment hid the rest.
        const std::string sql =
            interpolated(plain_string_backslash::literal, "SELECT 5-$1, $2::text", -1, "\n, 7"s);
        const auto r = co_await c.async_simple_query(sql);
        REQUIRE(r.size() == 1);
        REQUIRE(r[0][0].size() == 2);
        CHECK(r[0][0].get<std::int32_t>(0) == 6);
        CHECK(r[0][0].get<std::string>(1) == "\n, 7");
    });
}

TEST_CASE("simple protocol: an untyped NULL parameter is inferred by the server") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        const std::string sql = interpolated(plain_string_backslash::literal,
                                             "SELECT $1::int4 IS NULL, $2 + 1", std::nullopt, 41);
        const auto r = co_await c.async_simple_query(sql);
        CHECK(r[0][0].get<bool>(0));
        CHECK(r[0][0].get<std::int32_t>(1) == 42);
    });
}

TEST_CASE("simple protocol: interpolated parameters through pgbouncer in transaction mode") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await pgasio::test::connect_pgbouncer();
        const std::string sql =
            interpolated(plain_string_backslash::literal, "SELECT $1::text || $2, $3 + 1",
                         "it's \\ "s, std::optional<std::string>("\u2603"), -2);
        const auto r = co_await c.async_simple_query(sql);
        REQUIRE(r.size() == 1);
        CHECK(r[0][0].get<std::string>(0) == "it's \\ \u2603");
        CHECK(r[0][0].get<std::int32_t>(1) == -1);
    });
}

TEST_CASE("simple protocol: an interpolated parameter is one operand, as a placeholder is") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        // Bare, '{7,8}'::int4[][2] would be a cast to int4[][2] and FETCH FIRST '1'::int8 a
        // syntax error.
        const std::string sql =
            interpolated(plain_string_backslash::literal,
                         "SELECT $1[2], -$2 FROM generate_series(1, 5) FETCH FIRST $3 ROWS ONLY",
                         std::vector<std::int32_t>{7, 8}, std::int64_t{-3}, std::int64_t{2});
        const auto r = co_await c.async_simple_query(sql);
        REQUIRE(r.size() == 1);
        REQUIRE(r[0].size() == 2);
        CHECK(r[0][0].get<std::int32_t>(0) == 8);
        CHECK(r[0][0].get<std::int64_t>(1) == 3);
    });
}
