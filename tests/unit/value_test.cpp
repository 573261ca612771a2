// pgasio::value without a server: every type it holds round-trips through its binary and text
// forms, prints as the server prints it, and a row's columns of any type read into it.
#include <pgasio/format.hpp>
#include <pgasio/query_as.hpp>
#include <pgasio/result.hpp>
#include <pgasio/types.hpp>
#include <pgasio/value.hpp>

#include <pgasio/protocol/oids.hpp>

#include "support/bytes.hpp"
#include "support/seed_corpus.hpp"
#include "unit/result_support.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace std::literals;
using namespace pgasio;
using namespace pgasio::test;
namespace oids = pgasio::protocol::oids;
using protocol::format_code;
using value_codec = protocol::types::codec<value>;

namespace {

// A value of PostgreSQL type `type` parsed from `text` by the codec of that type.
value parsed(protocol::oid type, std::string_view text) {
    value v;
    const auto ec = value_codec::decode_text(text, type, v);
    INFO(oids::type_name(type) << " " << text << ": " << ec.message());
    REQUIRE(!ec);
    return v;
}

// Hands `bytes`, a value of type `type`, to fuzz_value as a seed (its input layout).
void record_value_seed(bool text, protocol::oid type, std::span<const std::byte> bytes) {
    std::vector<std::byte> seed{std::byte{text ? std::uint8_t{1} : std::uint8_t{0}},
                                static_cast<std::byte>(type >> 8),
                                static_cast<std::byte>(type & 0xff)};
    seed.insert(seed.end(), bytes.begin(), bytes.end());
    record_seed("fuzz_value", seed);
}

// One value of every type a value holds: from its C++ value, or parsed from the server's text
// where the C++ value is long to write.
std::vector<value> every_type() {
    using namespace std::chrono;
    std::vector<value> out{
        value(),
        value(true),
        value(std::int16_t{-32768}),
        value(2147483647),
        value(std::int64_t{-9223372036854775807 - 1}),
        value::of_type(oids::oid_, std::uint32_t{4294967295}),
        value::of_type(oids::regclass, std::uint32_t{1259}),
        value(3.25f),
        value(-1.0000000000000002),
        value(numeric::from_string("-12345678901234567890.000000000000000001").value()),
        value(money{-123456}),
        value('x'),
        value("héllo, wörld"),
        value::of_type(oids::varchar, "v"s),
        value::of_type(oids::bpchar, "padded"s),
        value::of_type(oids::name, "a_name"s),
        value(std::vector<std::byte>{std::byte{0}, std::byte{0xff}}),
        parsed(oids::bit, "10110"),
        parsed(oids::varbit, "101101011"),
        parsed(oids::uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        value(json{R"({"a": [1, 2, null]})"}),
        value(jsonb{R"({"a": [1, 2, null]})"}),
        parsed(oids::jsonpath, "$.a[*] ? (@ > 1)"),
        value(xml{"<a>b</a>"}),
        value(sys_days(2024y / February / 29)),
        parsed(oids::date, "4713-01-01 BC"),
        parsed(oids::timestamp, "2024-02-29 13:45:01.123456"),
        parsed(oids::timestamptz, "2024-02-29 13:45:01.5+00"),
        parsed(oids::timestamptz, "infinity"),
        parsed(oids::time, "24:00:00"),
        parsed(oids::timetz, "13:45:01+05:30"),
        parsed(oids::interval, "1 year 2 mons -3 days 04:05:06.789"),
        parsed(oids::inet, "192.168.0.1/24"),
        parsed(oids::cidr, "2001:db8::/32"),
        parsed(oids::macaddr, "08:00:2b:01:02:03"),
        parsed(oids::macaddr8, "08:00:2b:01:02:03:04:05"),
        value(xid{4294967295}),
        value(xid8{18446744073709551615ULL}),
        value(cid{7}),
        value(wal_lsn::parse("16/B374D848").value()),
        parsed(oids::tid, "(42,7)"),
        parsed(oids::pg_snapshot, "10:20:10,14,15"),
        parsed(oids::txid_snapshot, "10:20:"),
        parsed(oids::int2vector, "1 2 3"),
        parsed(oids::oidvector, "23 25"),
        parsed(oids::tsvector, "'cat':3 'fat':2A,4"),
        parsed(oids::tsquery, "'fat' & ( 'rat' | !'cat' )"),
        parsed(oids::point, "(1,2)"),
        parsed(oids::line, "{1,-1,0}"),
        parsed(oids::lseg, "[(1,2),(3,4)]"),
        parsed(oids::box, "(3,4),(1,2)"),
        parsed(oids::path, "[(0,0),(1,1)]"),
        parsed(oids::polygon, "((0,0),(1,1),(1,0))"),
        parsed(oids::circle, "<(1,2),3>"),
        parsed(oids::int4range, "[1,10)"),
        parsed(oids::int8range, "empty"),
        parsed(oids::numrange, "(1.5,)"),
        parsed(oids::daterange, "[2024-01-01,2024-02-01)"),
        parsed(oids::tsrange, "[\"2024-01-01 00:00:00\",\"2024-01-02 00:00:00\")"),
        parsed(oids::tstzrange, "(,\"2024-01-01 00:00:00+00\"]"),
        parsed(oids::int4multirange, "{[1,3),[5,7)}"),
        parsed(oids::int8multirange, "{}"),
        parsed(oids::nummultirange, "{[1.5,2.5]}"),
        parsed(oids::datemultirange, "{[2024-01-01,2024-02-01)}"),
        parsed(oids::tsmultirange, "{[\"2024-01-01 00:00:00\",)}"),
        parsed(oids::tstzmultirange, "{(,\"2024-01-01 00:00:00+00\")}"),
        value::of_type(oids::int4, std::monostate{}),
        // Arrays: several dimensions, lower bounds other than 1, NULL elements, empty.
        value(std::vector<std::int32_t>{1, 2}),
        value(std::vector<std::optional<std::string>>{"a b", std::nullopt, "c\"d"}),
        parsed(oids::int4_array, "[0:1][1:2]={{1,2},{3,4}}"),
        parsed(oids::varchar_array, "[-2:-1]={a,NULL}"),
        parsed(oids::int8_array, "{}"),
        parsed(oids::box_array, "{(3,4),(1,2);(0,0),(0,0)}"),
        parsed(oids::int4range_array, "{\"[1,2)\",empty,NULL}"),
        parsed(oids::money_array, "{1.50,-2.00}"),
        parsed(oids::numeric_array, "{{1.5,NaN},{NULL,-0.01}}"),
        parsed(oids::timetz_array, "{13:45:01+05:30}"),
        parsed(oids::tsvector_array, "{\"'a' 'b':1\"}"),
        // A type without a codec, as its text.
        value::of_type(16385, other_type_text{"happy"}),
    };
    return out;
}

} // namespace

TEST_CASE("value: every type round-trips through its binary form") {
    for (const value& v : every_type()) {
        INFO(oids::type_name(v.type_oid()) << " " << fmt::format("{}", v));
        if (v.get_if<other_type_text>()) {
            protocol::write_buffer out;
            CHECK(v.encode_binary(out) == protocol::client_errc::type_mismatch);
            continue;
        }
        protocol::write_buffer out;
        REQUIRE(!v.encode_binary(out));
        value back;
        const auto bytes = out.data();
        if (v.is_null()) {
            CHECK(bytes.empty());
            REQUIRE(!value_codec::decode_null(v.type_oid(), back));
        } else {
            REQUIRE(!value_codec::decode_binary(bytes, v.type_oid(), back));
            record_value_seed(false, v.type_oid(), bytes);
        }
        CHECK(back == v);
        CHECK(back.type_oid() == v.type_oid());
    }
}

TEST_CASE("value: every type round-trips through its text form") {
    for (const value& v : every_type()) {
        if (v.is_null()) continue; // NULL has no text form
        INFO(oids::type_name(v.type_oid()) << " " << fmt::format("{}", v));
        std::string text;
        REQUIRE(!v.encode_text(text));
        value back;
        REQUIRE(!value_codec::decode_text(text, v.type_oid(), back));
        CHECK(back == v);
        record_value_seed(true, v.type_oid(), std::as_bytes(std::span(text)));
    }
}

TEST_CASE("value: the type is kept where C++ types are shared") {
    CHECK(value::of_type(oids::varchar, "a"s) != value("a"));
    CHECK(value::of_type(oids::text, "a"s) == value("a"));
    CHECK(parsed(oids::bit, "101") != parsed(oids::varbit, "101"));
    CHECK(parsed(oids::varchar_array, "{a}").type_oid() == oids::varchar_array);
    // The element type written in a binary array is the array's, not text: the server refuses
    // elements of another type.
    protocol::write_buffer out;
    REQUIRE(!parsed(oids::varchar_array, "{a}").encode_binary(out));
    const auto bytes = out.data();
    CHECK(std::to_integer<int>(bytes[8]) == 0);
    CHECK(std::to_integer<int>(bytes[10]) == (oids::varchar >> 8));
    CHECK(std::to_integer<int>(bytes[11]) == (oids::varchar & 0xff));
}

TEST_CASE("value: C++ values keep the types they had as parameters") {
    CHECK(value(std::uint32_t{1}).type_oid() == oids::int8);
    CHECK(value('x').type_oid() == oids::char_);
    CHECK(value(std::vector<std::int32_t>{1}).type_oid() == oids::int4_array);
    CHECK(value(std::vector<std::string>{"a"}).type_oid() == oids::text_array);
    CHECK(value(std::vector<double>{}).type_oid() == oids::float8_array);
    CHECK(value(protocol::cidr{}).type_oid() == oids::cidr);
    CHECK(value(range<std::int64_t>{}).type_oid() == oids::int8range);
    const array<std::int32_t> a{{{2, 0}}, {1, std::nullopt}};
    const value v(a);
    CHECK(v.type_oid() == oids::int4_array);
    CHECK(v == parsed(oids::int4_array, "[0:1]={1,NULL}"));
    REQUIRE(v.get_if<value_array>());
    CHECK(v.get_if<value_array>()->elements[1] == value::of_type(oids::int4, std::monostate{}));
}

TEST_CASE("value: a value that cannot be of its type does not encode") {
    protocol::write_buffer out;
    std::string text;
    const auto wrong = value::of_type(oids::int4, "1"s);
    CHECK(wrong.encode_binary(out) == protocol::client_errc::type_mismatch);
    CHECK(wrong.encode_text(text) == protocol::client_errc::type_mismatch);
    // An array of a type that is not an array type, an element of another type, a bad shape.
    const value_array one{{{1, 1}}, {value(1)}};
    CHECK(value::of_type(oids::int4, one).encode_binary(out) ==
          protocol::client_errc::type_mismatch);
    CHECK(value::of_type(oids::int8_array, one).encode_binary(out) ==
          protocol::client_errc::type_mismatch);
    CHECK(value::of_type(oids::int4_array, value_array{{{2, 1}}, {value(1)}}).encode_binary(out) ==
          protocol::client_errc::invalid_array);
    CHECK(out.data().empty());
    CHECK(fmt::format("{}", wrong) == "<unencodable>");
}

TEST_CASE("value: decoding refuses what is malformed") {
    value v;
    const std::byte three[3]{};
    CHECK(value_codec::decode_binary(three, oids::int4, v) ==
          protocol::client_errc::invalid_binary_length);
    CHECK(value_codec::decode_text("12x", oids::int4, v) ==
          protocol::client_errc::invalid_text_value);
    // A type without a codec has no binary form to read; its text reads as it is.
    CHECK(value_codec::decode_binary(three, 16385, v) == protocol::client_errc::type_mismatch);
    REQUIRE(!value_codec::decode_text("(1,x)", 16385, v));
    CHECK(v == value::of_type(16385, other_type_text{"(1,x)"}));
    // An array whose header claims elements of another type than the column's.
    protocol::write_buffer out;
    REQUIRE(!value(std::vector<std::int64_t>{1}).encode_binary(out));
    CHECK(value_codec::decode_binary(out.data(), oids::int4_array, v) ==
          protocol::client_errc::type_mismatch);
    CHECK(value_codec::decode_text("{1,{2}}", oids::int4_array, v));
}

TEST_CASE("value: fmt prints the server's text") {
    CHECK(fmt::format("{}", value()) == "NULL");
    CHECK(fmt::format("{}", value(true)) == "t");
    CHECK(fmt::format("{}", value(42)) == "42");
    CHECK(fmt::format("{}", value(-1.25)) == "-1.25");
    CHECK(fmt::format("{}", value("it's")) == "it's");
    CHECK(fmt::format("{}", value(std::vector<std::int64_t>{1, 2})) == "{1,2}");
    CHECK(fmt::format("{}", parsed(oids::int4_array, "[0:1][1:2]={{1,2},{3,4}}")) ==
          "[0:1][1:2]={{1,2},{3,4}}");
    CHECK(fmt::format("{}", parsed(oids::int4range, "[1,10)")) == "[1,10)");
    CHECK(fmt::format("{}", value(money{-123456})) == "-$1,234.56");
    CHECK(fmt::format("{}", parsed(oids::money_array, "{1.50,1234567.00}")) ==
          "{$1.50,\"$1,234,567.00\"}");
    CHECK(fmt::format("{}", parsed(oids::box_array, "{(3,4),(1,2);(0,0),(0,0)}")) ==
          "{(3,4),(1,2);(0,0),(0,0)}");
    CHECK(fmt::format("{:>4}", value(7)) == "   7");
}

TEST_CASE("value: a row's columns of any type read into values") {
    const auto r =
        make_result({{"n", oids::int4},
                     {"missing", oids::int8},
                     {"xs", oids::int4_array},
                     {"mood", 16385, format_code::text},
                     {"moods", 16390, format_code::text},
                     {"blob", 16385},
                     {"t", oids::timestamptz, format_code::text}},
                    {{bin(std::int32_t{7}), std::nullopt,
                      bin(std::vector<std::optional<std::int32_t>>{1, {}}), txt("happy"),
                      txt("{happy,sad}"), bin(std::int32_t{1}), txt("2024-02-29 13:45:01.5+00")}});
    const auto row = r[0];
    CHECK(row.get<value>(0) == value(7));
    const auto missing = row.get<value>("missing");
    CHECK(missing.is_null());
    CHECK(missing.type_oid() == oids::int8);
    CHECK(!row.try_get<value>(1));
    CHECK(row.get<value>(2) == value(std::vector<std::optional<std::int32_t>>{1, std::nullopt}));
    CHECK(row.get<value>(3) == value::of_type(16385, other_type_text{"happy"}));
    CHECK(row.get<value>(4) == value::of_type(16390, other_type_text{"{happy,sad}"}));
    // A type without a codec that arrived in binary: no text to keep.
    const auto e = thrown([&] { (void)row.get<value>(5); });
    CHECK(e.code() == protocol::client_errc::type_mismatch);
    CHECK(std::string(e.what()).find("with_text_results") != std::string::npos);
    CHECK(fmt::format("{}", row.get<value>(6)) == "2024-02-29 13:45:01.5+00");
    // Whole rows into tuples of values.
    const auto two = make_result({{"n", oids::int4}, {"missing", oids::int8}},
                                 {{bin(std::int32_t{7}), std::nullopt}});
    using row_type = std::tuple<value, value>;
    CHECK(rows_as<row_type>(two).front() ==
          row_type{value(7), value::of_type(oids::int8, std::monostate{})});
}

TEST_CASE("value: a timestamp past std::chrono's end is held as pgasio::timestamp") {
    // 294276-12-31 23:59:59.999999, PostgreSQL's last timestamp.
    const auto bytes = to_bytes("\x7f\xff\xff\x5b\xb3\xb2\x9f\xff"sv);
    for (const protocol::oid type : {oids::timestamp, oids::timestamptz}) {
        INFO(oids::type_name(type));
        value v;
        REQUIRE_FALSE(value_codec::decode_binary(bytes, type, v));
        CHECK(v.type_oid() == type);
        const auto count = type == oids::timestamp
                               ? v.get_if<pgasio::timestamp>()->microseconds_since_2000
                               : v.get_if<pgasio::timestamptz>()->microseconds_since_2000;
        CHECK(count == 9223371331199999999);
        protocol::write_buffer out;
        REQUIRE_FALSE(v.encode_binary(out));
        CHECK(std::vector<std::byte>(out.data().begin(), out.data().end()) == bytes);
        value back;
        std::string text;
        REQUIRE_FALSE(v.encode_text(text));
        REQUIRE_FALSE(value_codec::decode_text(text, type, back));
        CHECK(back == v);
    }
    // One that std::chrono holds stays a std::chrono time point, and equals the same time held
    // whole; another time does not.
    const std::chrono::local_time<std::chrono::microseconds> t{std::chrono::microseconds{0}};
    value chrono_value;
    protocol::write_buffer out;
    REQUIRE_FALSE(value(pgasio::timestamp::from_chrono(t)).encode_binary(out));
    REQUIRE_FALSE(value_codec::decode_binary(out.data(), oids::timestamp, chrono_value));
    REQUIRE(chrono_value.get_if<std::chrono::local_time<std::chrono::microseconds>>());
    CHECK(chrono_value == value(pgasio::timestamp::from_chrono(t)));
    CHECK_FALSE(chrono_value == value(pgasio::timestamp{0}));
    // A timestamp and a timestamptz of the same count are different values.
    CHECK_FALSE(value(pgasio::timestamp{5}) == value(pgasio::timestamptz{5}));
}
