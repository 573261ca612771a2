#include <pgasio/format.hpp>
#include <pgasio/result.hpp>
#include <pgasio/value.hpp>

#include <pgasio/protocol/oids.hpp>

#include "unit/result_support.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <chrono>

using namespace std::literals;
using namespace pgasio;
using namespace pgasio::test;
namespace oids = pgasio::protocol::oids;
using protocol::format_code;

TEST_CASE("format: a row prints like SQL literals") {
    using namespace std::chrono;
    const auto r = make_result(
        {{"id", oids::int4},
         {"name", oids::text},
         {"email", oids::text},
         {"ok", oids::bool_},
         {"day", oids::date},
         {"tags", oids::text_array},
         {"blob", oids::bytea},
         {"n", oids::numeric, format_code::text},
         {"t", oids::text, format_code::text}},
        {{bin(std::int32_t{1}), txt("alice"), std::nullopt, bin(false),
          bin(sys_days(2024y / February / 29)), bin(std::vector<std::string>{"a", "it's"}),
          bin(std::vector<std::byte>{std::byte{1}, std::byte{0xab}}), txt("1.50"), txt("O'Neil")}});
    CHECK(fmt::format("{}", r[0]) ==
          "(1, 'alice', NULL, false, '2024-02-29', '{a,it''s}', '\\x01ab', 1.50, 'O''Neil')");
}

TEST_CASE("format: unknown types print their text, or their bytes in hex") {
    const auto r = make_result({{"x", 16385, format_code::binary},
                                {"y", 16385, format_code::text},
                                {"bad", oids::int4, format_code::binary}},
                               {{txt("\x01\x02"), txt("(1,2)"), txt("\x7f")}});
    CHECK(fmt::format("{}", r[0]) == "('\\x0102', '(1,2)', '\\x7f')");
}

TEST_CASE("format: ranges and arrays of any shape print their text") {
    const protocol::range<std::int32_t> r1{1, 10, true, false};
    const protocol::array<std::int32_t> grid{{{2, 0}, {2, 1}}, {1, 2, std::nullopt, 4}};
    const auto r = make_result(
        {{"r", oids::int4range, format_code::binary}, {"g", oids::int4_array, format_code::binary}},
        {{bin(r1), bin(grid)}});
    CHECK(fmt::format("{}", r[0]) == "('[1,10)', '[0:1][1:2]={{1,2},{NULL,4}}')");
}

TEST_CASE("format: floats, uuid and an empty row") {
    const protocol::uuid id{{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9,
                             0xbd, 0x38, 0x0a, 0x11}};
    const auto r = make_result({{"f", oids::float8}, {"u", oids::uuid}}, {{bin(0.5), bin(id)}});
    CHECK(fmt::format("{}", r[0]) == "(0.5, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')");
    const auto empty = make_result({}, {{}});
    CHECK(fmt::format("{}", empty[0]) == "()");
    CHECK(fmt::format("{:>8}", empty[0]) == "      ()");
}

TEST_CASE("format: pgasio::value prints as the server does, unquoted") {
    CHECK(fmt::format("{}", value()) == "NULL");
    CHECK(fmt::format("{}", value(true)) == "t");
    CHECK(fmt::format("{}", value(42)) == "42");
    CHECK(fmt::format("{}", value(-1.25)) == "-1.25");
    CHECK(fmt::format("{}", value("it's")) == "it's");
    CHECK(fmt::format("{}", value(std::vector<std::int64_t>{1, 2})) == "{1,2}");
}
