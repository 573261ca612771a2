#include <pgasio/error.hpp>
#include <pgasio/result.hpp>
#include <pgasio/types.hpp>

#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/oids.hpp>

#include "unit/result_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>

using namespace std::literals;
using namespace pgasio;
using namespace pgasio::test;
namespace oids = pgasio::protocol::oids;
using protocol::client_errc;

namespace {

// The one value of a one-row, one-column binary result of type `t`.
result single(protocol::oid t, field v,
              protocol::format_code format = protocol::format_code::binary) {
    return make_result({{"v", t, format}}, {{std::move(v)}});
}

} // namespace

TEST_CASE("row_view: get every built-in type from binary") {
    using namespace std::chrono;
    CHECK(single(oids::bool_, bin(true))[0].get<bool>(0) == true);
    CHECK(single(oids::int2, bin(std::int16_t{-7}))[0].get<std::int16_t>(0) == -7);
    CHECK(single(oids::int4, bin(std::int32_t{123456}))[0].get<std::int32_t>(0) == 123456);
    CHECK(single(oids::int2, bin(std::int16_t{9}))[0].get<std::int32_t>(0) == 9); // widening
    CHECK(single(oids::int8, bin(std::int64_t{1} << 40))[0].get<std::int64_t>(0) == std::int64_t{1}
                                                                                        << 40);
    CHECK(single(oids::oid_, bin(std::uint32_t{4000000000}))[0].get<std::uint32_t>(0) ==
          4000000000u);
    CHECK(single(oids::float4, bin(1.5f))[0].get<float>(0) == 1.5f);
    CHECK(single(oids::float8, bin(-2.25))[0].get<double>(0) == -2.25);
    CHECK(single(oids::text, txt("héllo"))[0].get<std::string>(0) == "héllo");
    CHECK(single(oids::varchar, txt("v"))[0].get<std::string_view>(0) == "v");
    CHECK(single(oids::char_, txt("x"))[0].get<char>(0) == 'x');
    const std::vector<std::byte> blob{std::byte{0}, std::byte{0xff}};
    CHECK(single(oids::bytea, blob)[0].get<std::vector<std::byte>>(0) == blob);
    CHECK(single(oids::bytea, blob)[0].get<std::span<const std::byte>>(0).size() == 2);
    const protocol::uuid id{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    CHECK(single(oids::uuid, bin(id))[0].get<protocol::uuid>(0) == id);
    const auto n = protocol::numeric::from_string("12345.678").value();
    CHECK(single(oids::numeric, bin(n))[0].get<protocol::numeric>(0).to_string() == "12345.678");
    CHECK(single(oids::json, bin(protocol::json{"{}"}))[0].get<protocol::json>(0).text == "{}");
    CHECK(single(oids::jsonb, bin(protocol::jsonb{"[1]"}))[0].get<protocol::json>(0).text == "[1]");
    const protocol::inet addr{protocol::ip_family::ipv4, 24, {10, 0, 0, 1}};
    CHECK(single(oids::inet, bin(addr))[0].get<protocol::inet>(0) == addr);
    const sys_days day = 2024y / February / 29;
    CHECK(single(oids::date, bin(day))[0].get<sys_days>(0) == day);
    const local_time<microseconds> ts{local_days(2024y / 1 / 2) + 3h + 4min + 5us};
    CHECK(single(oids::timestamp, bin(ts))[0].get<local_time<microseconds>>(0) == ts);
    const sys_time<microseconds> tz{sys_days(2000y / 1 / 1) + 1h};
    CHECK(single(oids::timestamptz, bin(tz))[0].get<sys_time<microseconds>>(0) == tz);
    const protocol::time_of_day tod{13h + 30min};
    CHECK(single(oids::time, bin(tod))[0].get<protocol::time_of_day>(0) == tod);
    const protocol::interval iv{1, 2, 3};
    CHECK(single(oids::interval, bin(iv))[0].get<protocol::interval>(0) == iv);
    const std::vector<std::int32_t> arr{1, 2, 3};
    CHECK(single(oids::int4_array, bin(arr))[0].get<std::vector<std::int64_t>>(0) ==
          std::vector<std::int64_t>{1, 2, 3});
}

TEST_CASE("row_view: get the other built-in types") {
    using namespace std::chrono;
    const protocol::time_of_day_tz ttz{8h, 3600};
    CHECK(single(oids::timetz, bin(ttz))[0].get<protocol::time_of_day_tz>(0) == ttz);
    const year_month_day ymd = 1999y / December / 31;
    CHECK(single(oids::date, bin(ymd))[0].get<year_month_day>(0) == ymd);
    const protocol::cidr net{protocol::ip_family::ipv4, 8, {10}};
    CHECK(single(oids::cidr, bin(net))[0].get<protocol::cidr>(0) == net);
    CHECK(single(oids::cidr, bin(net))[0].get<protocol::inet>(0).prefix_length == 8);
    const protocol::macaddr mac{{8, 0, 0x2b, 1, 2, 3}};
    CHECK(single(oids::macaddr, bin(mac))[0].get<protocol::macaddr>(0) == mac);
    const protocol::macaddr8 mac8{{8, 0, 0x2b, 1, 2, 3, 4, 5}};
    CHECK(single(oids::macaddr8, bin(mac8))[0].get<protocol::macaddr8>(0) == mac8);
    CHECK(single(oids::jsonb, bin(protocol::jsonb{"1"}))[0].get<protocol::jsonb>(0).text == "1");
    const protocol::range<std::int32_t> rng{1, 10, true, false};
    CHECK(single(oids::int4range, bin(rng))[0].get<protocol::range<std::int32_t>>(0) == rng);
    const protocol::array<std::int32_t> grid{{{2, 1}, {2, 1}}, {1, 2, std::nullopt, 4}};
    CHECK(single(oids::int4_array, bin(grid))[0].get<protocol::array<std::int32_t>>(0) == grid);
    CHECK(
        single(oids::int4_array, bin(std::vector<std::optional<std::int32_t>>{std::nullopt, 5}))[0]
            .get<std::vector<std::optional<std::int32_t>>>(0) ==
        std::vector<std::optional<std::int32_t>>{std::nullopt, 5});
    CHECK(single(oids::name, txt("pg_class"))[0].try_get<std::string_view>(0) == "pg_class");
    CHECK(single(oids::text, std::nullopt)[0].try_get<std::string_view>(0) == std::nullopt);
}

TEST_CASE("row_view: the value types under their pgasio:: names") {
    const pgasio::uuid id{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    CHECK(single(oids::uuid, bin(id))[0].get<pgasio::uuid>(0) == id);
    const auto n = pgasio::numeric::from_string("-0.50").value();
    CHECK(single(oids::numeric, bin(n))[0].get<pgasio::numeric>(0).to_string() == "-0.50");
    const pgasio::interval iv{-1, 2, 3};
    CHECK(single(oids::interval, bin(iv))[0].get<pgasio::interval>(0) == iv);
    const pgasio::range<std::int64_t> from5{5, std::nullopt, true, false};
    CHECK(single(oids::int8range, bin(from5))[0].get<pgasio::range<std::int64_t>>(0) == from5);
}

TEST_CASE("row_view: text-format columns decode through the text codecs") {
    const auto r = make_result({{"i", oids::int4, protocol::format_code::text},
                                {"b", oids::bool_, protocol::format_code::text},
                                {"a", oids::text_array, protocol::format_code::text}},
                               {{txt("42"), txt("t"), txt("{a,\"b c\"}")}});
    CHECK(r[0].get<std::int32_t>(0) == 42);
    CHECK(r[0].get<bool>("b"));
    CHECK(r[0].get<std::vector<std::string>>("a") == std::vector<std::string>{"a", "b c"});
}

TEST_CASE("row_view: NULL into optional, try_get, and the non-throwing get") {
    const auto r = make_result({{"a", oids::int4}, {"b", oids::text}}, {{std::nullopt, txt("x")}});
    const row_view row = r[0];
    CHECK(!row.get<std::optional<std::int32_t>>(0));
    CHECK(!row.try_get<std::int32_t>(0));
    CHECK(!row.try_get<std::int32_t>("a"));
    CHECK(row.try_get<std::string>("b") == "x");
    CHECK(row.get<std::optional<std::string>>("b") == "x");

    std::int32_t out = 5;
    CHECK(row.get(0, out) == client_errc::unexpected_null);
    CHECK(row.get(1, out) == client_errc::type_mismatch);
    CHECK(row.get(2, out) == boost::system::errc::invalid_argument);
    CHECK(row.get("nope", out) == boost::system::errc::invalid_argument);
    std::string s;
    CHECK(!row.get("b", s));
    CHECK(s == "x");
    std::optional<std::int32_t> maybe = 1;
    CHECK(!row.get(0, maybe));
    CHECK(!maybe);
}

TEST_CASE("row_view: errors name the column and say what was wrong") {
    const auto r = make_result({{"id", oids::int4}, {"name", oids::text}, {"n", oids::int4}},
                               {{std::nullopt, txt("bob"), txt("abc")}});
    const row_view row = r[0];

    auto e = thrown([&] { (void)row.get<std::int32_t>(0); });
    CHECK(e.code() == client_errc::unexpected_null);
    CHECK(e.diag().message ==
          "column 0 \"id\" is NULL, which does not convert to std::int32_t (use std::optional "
          "or try_get)");

    e = thrown([&] { (void)row.get<std::int32_t>("name"); });
    CHECK(e.code() == client_errc::type_mismatch);
    CHECK(e.diag().message ==
          "column 1 \"name\" has type text (oid 25), which does not convert to std::int32_t");
    CHECK(std::string_view(e.what()).find("column 1 \"name\"") != std::string_view::npos);

    e = thrown([&] { (void)row.try_get<std::int64_t>(1); });
    CHECK(e.code() == client_errc::type_mismatch);
    CHECK(e.diag().message ==
          "column 1 \"name\" has type text (oid 25), which does not convert to std::int64_t");

    e = thrown([&] { (void)row.get<std::int32_t>(2); }); // three bytes are not an int4
    CHECK(e.code() == client_errc::invalid_binary_length);
    CHECK(e.diag().message.starts_with(
        "column 2 \"n\" of type int4 (oid 23) does not decode into std::int32_t: "));

    // A NULL inside a value that is not NULL itself: the advice is for the elements.
    const auto holes =
        single(oids::int4_array, bin(std::vector<std::optional<std::int32_t>>{1, std::nullopt}));
    e = thrown([&] { (void)holes[0].get<std::vector<std::int32_t>>(0); });
    CHECK(e.code() == client_errc::unexpected_null);
    CHECK_THAT(e.diag().message, Catch::StartsWith("column 0 \"v\" of type _int4 (oid 1007) is "
                                                   "not NULL, but holds a NULL element"));
    CHECK_THAT(e.diag().message, Catch::Contains("std::vector<std::optional<E>>"));

    e = thrown([&] { (void)row.get<std::int32_t>(3); });
    CHECK(e.code() == boost::system::errc::invalid_argument);
    CHECK(e.diag().message == "column index 3 is out of range: the row has 3 columns");

    e = thrown([&] { (void)row.raw(7); });
    CHECK(e.diag().message == "column index 7 is out of range: the row has 3 columns");

    e = thrown([&] { (void)row.get<std::string>("Name"); });
    CHECK(e.code() == boost::system::errc::invalid_argument);
    CHECK(e.diag().message ==
          "no column \"Name\" in the row (its columns: \"id\", \"name\", \"n\")");
}

TEST_CASE("row_view: an unknown type names its oid") {
    const auto r = make_result({{"x", 16385, protocol::format_code::text}}, {{txt("zz")}});
    const auto e = thrown([&] { (void)r[0].get<std::int32_t>(0); });
    CHECK(e.diag().message ==
          "column 0 \"x\" has type oid 16385, which does not convert to std::int32_t; to read "
          "it as a C++ enum, composite or hstore, load its type first "
          "(connection::async_load_types)");
}

TEST_CASE("row_view: a default row_view has no values") {
    const row_view row;
    CHECK(row.size() == 0);
    CHECK(row.columns().empty());
    std::int32_t v;
    CHECK(row.get(0, v) == boost::system::errc::invalid_argument);
}

TEST_CASE("row_view: a column that arrived in text reads as a string whatever its type") {
    constexpr protocol::oid an_enum = 16390; // not built in: no codec
    const auto r = make_result({{"mood", an_enum, protocol::format_code::text},
                                {"at", oids::point, protocol::format_code::text},
                                {"n", oids::int4, protocol::format_code::text}},
                               {{txt("happy"), txt("(1.5,-2)"), txt("42")}});
    const row_view row = r[0];
    CHECK(row.get<std::string>(0) == "happy");
    CHECK(row.get<std::string_view>("at") == "(1.5,-2)");
    CHECK(row.get<std::string>(2) == "42");
    CHECK(row.get<std::int32_t>(2) == 42); // its own codec reads its text form too
    // No other type reads an unknown type's text.
    std::int64_t n = 0;
    CHECK(row.get(0, n) == client_errc::type_mismatch);
}

TEST_CASE("row_view: a binary column pgasio has no codec for is never read as text") {
    constexpr protocol::oid an_enum = 16390;
    const auto r = make_result({{"mood", an_enum}}, {{txt("happy")}});
    std::string s;
    CHECK(r[0].get(0, s) == client_errc::type_mismatch);
    const auto e = thrown([&] { (void)r[0].get<std::string_view>(0); });
    CHECK(e.code() == client_errc::type_mismatch);
    CHECK(e.diag().message ==
          "column 0 \"mood\" has type oid 16390, which pgasio has no binary codec for, and it "
          "arrived in binary (the statement was bound before its columns were described), "
          "which does not convert to std::string_view; to read its text as std::string, run "
          "the query with pgasio::with_text_results or cast the column to text in SQL; to read "
          "it as a C++ enum, composite or hstore, load its type first "
          "(connection::async_load_types)");
}
