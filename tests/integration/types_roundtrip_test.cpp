// Every type of the codec through the real server: sent as a binary parameter, compared by the
// server with its own parse of the same literal, and decoded back from a binary result.
#include <pgasio/connection.hpp>
#include <pgasio/protocol/types/types.hpp>
#include <pgasio/types.hpp>
#include <pgasio/wal_lsn.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace asio = boost::asio;
namespace types = pgasio::protocol::types;
using pgasio::test::connect_primary;
using pgasio::test::run;

namespace {

template <class T>
std::string text_of(const T& v) {
    std::string out;
    REQUIRE(!types::codec<T>::encode_text(out, v));
    return out;
}

// `literal` parsed by our text codec as a T, sent in binary, compared on the server with
// `literal` parsed by the server as `pg_type`, and read back in binary.
template <class T>
asio::awaitable<void> round_trip(pgasio::connection& conn, const std::string& pg_type,
                                 const std::string& literal) {
    INFO(pg_type << " " << literal);
    T v{};
    REQUIRE(!types::codec<T>::decode_text(literal, types::codec<T>::type_oid, v));
    auto r = co_await conn.async_query("SELECT $1, ($2::text)::" + pg_type + " = $1::" + pg_type +
                                           ", $1::" + pg_type + "::text",
                                       v, literal);
    CHECK(r[0].template get<bool>(1));
    CHECK(text_of(r[0].template get<T>(0)) == text_of(v));
    (void)r[0].template get<std::string_view>(2);
}

// `literal` as the server parses it into `pg_type`: read in binary, its bytes are exactly the
// codec's binary form of the value read (the server's *_send output), and the server's text of
// it is `server_text`; then the round trip above, and arrays of it with a NULL element both ways.
template <class T>
asio::awaitable<void> server_forms(pgasio::connection& conn, const std::string& pg_type,
                                   const std::string& literal, const std::string& server_text) {
    INFO(pg_type << " " << literal);
    const std::string value = "$1::text::" + pg_type;
    auto r = co_await conn.async_query("SELECT " + value + ", " + value + "::text", literal);
    const auto raw = r[0].raw(0).value();
    const T v = r[0].template get<T>(0);
    pgasio::protocol::write_buffer out;
    REQUIRE(!types::codec<T>::encode_binary(out, v));
    CHECK(std::vector<std::byte>(out.data().begin(), out.data().end()) ==
          std::vector<std::byte>(raw.begin(), raw.end()));
    CHECK(r[0].template get<std::string>(1) == server_text);
    co_await round_trip<T>(conn, pg_type, literal);
    // Arrays with NULL elements, from the server and to it.
    const std::vector<std::optional<T>> elements{v, std::nullopt, v};
    auto a = co_await conn.async_query("SELECT ARRAY[" + value + ", NULL, " + value +
                                           "], $2::" + pg_type + "[] = ARRAY[" + value +
                                           ", NULL, " + value + "]",
                                       literal, elements);
    CHECK(a[0].template get<std::vector<std::optional<T>>>(0) == elements);
    CHECK(a[0].template get<bool>(1));
    // NULL of the type.
    auto n = co_await conn.async_query("SELECT NULL::" + pg_type);
    CHECK(!n[0].template try_get<T>(0));
}

} // namespace

TEST_CASE(
    "types: timestamp and timestamptz over PostgreSQL's whole range, past std::chrono's end") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_execute("SET TimeZone = 'UTC'");
        for (const std::string t : {"4714-11-24 00:00:00 BC", "2024-02-29 13:45:01.123456",
                                    "294247-01-10 04:00:54.775807", "294276-12-31 23:59:59.999999",
                                    "infinity", "-infinity"}) {
            co_await server_forms<pgasio::timestamp>(c, "timestamp", t, t);
            const std::string tz = t.ends_with("infinity") ? t
                                   : t.ends_with(" BC")    ? t.substr(0, t.size() - 3) + "+00 BC"
                                                           : t + "+00";
            co_await server_forms<pgasio::timestamptz>(c, "timestamptz", tz, tz);
        }
        co_await round_trip<pgasio::range<pgasio::timestamp>>(
            c, "tsrange", "[\"2024-01-01 00:00:00\",\"294276-12-31 23:59:59.999999\")");
        co_await round_trip<pgasio::multirange<pgasio::timestamptz>>(
            c, "tstzmultirange", "{(\"294270-01-01 00:00:00+00\",infinity)}");
        // The last value is past std::chrono's end: the std::chrono types refuse it, clearly.
        auto r = co_await c.async_query("SELECT '294276-12-31 23:59:59.999999'::timestamp");
        CHECK_FALSE(r[0].get<pgasio::timestamp>(0).to_chrono().has_value());
        std::chrono::local_time<std::chrono::microseconds> tp;
        CHECK(r[0].get(0, tp) == pgasio::protocol::client_errc::value_out_of_range);
        co_await c.async_close();
    });
}

TEST_CASE("types: scalars round-trip through the server in binary") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await round_trip<bool>(c, "bool", "t");
        co_await round_trip<bool>(c, "bool", "f");
        co_await round_trip<std::int16_t>(c, "int2", "-32768");
        co_await round_trip<std::int32_t>(c, "int4", "2147483647");
        co_await round_trip<std::int64_t>(c, "int8", "-9223372036854775808");
        co_await round_trip<std::uint32_t>(c, "oid", "4294967295");
        co_await round_trip<float>(c, "float4", "3.25");
        co_await round_trip<float>(c, "float4", "-Infinity");
        co_await round_trip<double>(c, "float8", "1.0000000000000002");
        co_await round_trip<double>(c, "float8", "NaN");
        co_await round_trip<double>(c, "float8", "Infinity");
        co_await round_trip<pgasio::protocol::numeric>(c, "numeric",
                                                       "12345678901234567890.000000000000000001");
        co_await round_trip<pgasio::protocol::numeric>(c, "numeric", "-0.000001");
        co_await round_trip<pgasio::protocol::numeric>(c, "numeric", "NaN");
        co_await round_trip<pgasio::protocol::numeric>(c, "numeric", "Infinity");
        co_await round_trip<pgasio::protocol::numeric>(c, "numeric", "-Infinity");
        co_await round_trip<std::string>(c, "text", "héllo, wörld");
        co_await round_trip<std::string>(c, "varchar", "v");
        co_await round_trip<std::string>(c, "name", "a_name");
        co_await round_trip<std::string>(c, "bpchar", "padded");
        co_await round_trip<char>(c, "\"char\"", "x");
        co_await round_trip<std::vector<std::byte>>(c, "bytea", "\\x00ff10");
        co_await round_trip<pgasio::protocol::uuid>(c, "uuid",
                                                    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        co_await round_trip<pgasio::protocol::jsonb>(c, "jsonb", "{\"a\": [1, 2, null]}");
        co_await round_trip<pgasio::protocol::inet>(c, "inet", "192.168.0.1/24");
        co_await round_trip<pgasio::protocol::inet>(c, "inet", "2001:db8::1");
        co_await round_trip<pgasio::protocol::cidr>(c, "cidr", "10.0.0.0/8");
        co_await round_trip<pgasio::protocol::macaddr>(c, "macaddr", "08:00:2b:01:02:03");
        co_await round_trip<pgasio::protocol::macaddr8>(c, "macaddr8", "08:00:2b:01:02:03:04:05");
        co_await c.async_close();
    });
}

TEST_CASE("types: dates and times round-trip, infinities included") {
    using namespace std::chrono;
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await round_trip<sys_days>(c, "date", "2024-02-29");
        co_await round_trip<sys_days>(c, "date", "4713-01-01 BC");
        co_await round_trip<sys_days>(c, "date", "infinity");
        co_await round_trip<sys_days>(c, "date", "-infinity");
        co_await round_trip<local_time<microseconds>>(c, "timestamp", "2024-02-29 13:45:01.123456");
        co_await round_trip<local_time<microseconds>>(c, "timestamp", "infinity");
        co_await round_trip<sys_time<microseconds>>(c, "timestamptz", "2024-02-29 13:45:01.5+00");
        co_await round_trip<sys_time<microseconds>>(c, "timestamptz", "-infinity");
        co_await round_trip<pgasio::protocol::time_of_day>(c, "time", "24:00:00");
        co_await round_trip<pgasio::protocol::time_of_day_tz>(c, "timetz", "13:45:01+05:30");
        co_await round_trip<pgasio::protocol::interval>(c, "interval",
                                                        "1 year 2 mons -3 days 04:05:06.789");
        co_await c.async_close();
    });
}

TEST_CASE("types: arrays (NULLs, several dimensions, lower bounds, empty) and ranges") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await round_trip<std::vector<std::optional<std::int32_t>>>(c, "int4[]", "{1,NULL,3}");
        co_await round_trip<std::vector<std::string>>(c, "text[]", "{\"a b\",\"c\\\"d\",e}");
        co_await round_trip<pgasio::protocol::array<std::int64_t>>(c, "int8[]",
                                                                   "{{1,2,3},{4,5,6}}");
        co_await round_trip<pgasio::protocol::array<std::int32_t>>(c, "int4[]", "[0:2]={7,8,9}");
        co_await round_trip<pgasio::protocol::array<std::int32_t>>(c, "int4[]", "[-5:-4]={1,NULL}");
        co_await round_trip<pgasio::protocol::array<std::int32_t>>(c, "int4[]", "{}");
        co_await round_trip<std::vector<pgasio::protocol::numeric>>(c, "numeric[]", "{1.5,NaN}");
        co_await round_trip<pgasio::protocol::range<std::int32_t>>(c, "int4range", "[1,10)");
        co_await round_trip<pgasio::protocol::range<std::int64_t>>(c, "int8range", "empty");
        co_await round_trip<pgasio::protocol::range<std::int32_t>>(c, "int4range", "(,5)");
        co_await round_trip<pgasio::protocol::range<pgasio::protocol::numeric>>(c, "numrange",
                                                                                "[1.5,2.5]");
        co_await round_trip<pgasio::protocol::range<std::chrono::sys_days>>(
            c, "daterange", "[2024-01-01,2024-02-01)");
        co_await c.async_close();
    });
}

TEST_CASE("types: pg_lsn, xid, xid8, cid, money and bit strings match the server's forms") {
    using namespace pgasio::protocol;
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await server_forms<pgasio::wal_lsn>(c, "pg_lsn", "16/B374D848", "16/B374D848");
        co_await server_forms<pgasio::wal_lsn>(c, "pg_lsn", "FFFFFFFF/FFFFFFFF",
                                               "FFFFFFFF/FFFFFFFF");
        co_await server_forms<pgasio::wal_lsn>(c, "pg_lsn", "0/0", "0/0");
        co_await server_forms<xid>(c, "xid", "4294967295", "4294967295");
        co_await server_forms<xid8>(c, "xid8", "18446744073709551615", "18446744073709551615");
        co_await server_forms<cid>(c, "cid", "7", "7");
        // money's text follows lc_monetary: the test servers run in the C locale.
        co_await server_forms<money>(c, "money", "-1234.56", "-$1,234.56");
        co_await server_forms<money>(c, "money", "92233720368547758.07",
                                     "$92,233,720,368,547,758.07");
        co_await server_forms<money>(c, "money", "0.07", "$0.07");
        co_await server_forms<bit_string>(c, "varbit", "10110", "10110");
        co_await server_forms<bit_string>(c, "varbit", "", "");
        co_await server_forms<bit_string>(c, "varbit", "101101011", "101101011");
        co_await server_forms<bit_string>(c, "bit(5)", "00001", "00001");
        // A money column decodes from the server's text too (simple protocol).
        auto t = co_await c.async_query(
            "SELECT '-1234.56'::money",
            pgasio::with_exec_mode(pgasio::query_exec_mode::simple_protocol));
        CHECK(t[0].get<money>(0) == money{-123456});
        // The transaction ids of a real transaction.
        co_await c.async_execute("CREATE TEMP TABLE ids (n int4)");
        co_await c.async_execute("INSERT INTO ids VALUES (1)");
        auto ids = co_await c.async_query("SELECT xmin, xmin::text, cmin, cmin::text FROM ids");
        CHECK(std::to_string(ids[0].get<xid>(0).value) == ids[0].get<std::string>(1));
        CHECK(std::to_string(ids[0].get<cid>(2).value) == ids[0].get<std::string>(3));
        auto x8 = co_await c.async_query("SELECT pg_current_xact_id(), pg_current_xact_id()::text");
        CHECK(std::to_string(x8[0].get<xid8>(0).value) == x8[0].get<std::string>(1));
        co_await c.async_close();
    });
}

TEST_CASE("types: the OID alias types read as their oid, in binary") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        const std::vector<std::string> values{
            "'pg_class'::regclass",       "'int4'::regtype",       "'now'::regproc",
            "'sum(int4)'::regprocedure",  "'||/'::regoper",        "'+(int4,int4)'::regoperator",
            "'pg_catalog'::regnamespace", "'pg_monitor'::regrole", "'english'::regconfig",
            "'simple'::regdictionary",    "'\"C\"'::regcollation"};
        for (const auto& value : values) {
            INFO(value);
            auto r = co_await c.async_query("SELECT " + value + ", " + value + "::oid::text, " +
                                            value + "::text");
            CHECK(std::to_string(r[0].get<std::uint32_t>(0)) == r[0].get<std::string>(1));
            // Sent back as an oid, the server casts it to the alias type.
            auto back = co_await c.async_query(
                "SELECT $1::oid::" + value.substr(value.rfind(':') + 1) + "::text",
                r[0].get<std::uint32_t>(0));
            CHECK(back[0].get<std::string>(0) == r[0].get<std::string>(2));
        }
        // Arrays, with NULLs.
        auto a = co_await c.async_query("SELECT ARRAY['int4'::regtype, NULL, 'text'::regtype]");
        CHECK(a[0].get<std::vector<std::optional<std::uint32_t>>>(0) ==
              std::vector<std::optional<std::uint32_t>>{23u, std::nullopt, 25u});
        co_await c.async_close();
    });
}

namespace {

template <class T>
std::vector<std::byte> binary_of(const T& v) {
    pgasio::protocol::write_buffer out;
    REQUIRE(!types::codec<T>::encode_binary(out, v));
    return {out.data().begin(), out.data().end()};
}

// The server's forms of `literal` as `pg_type` against the codec's, compared as bytes and text
// only (no operator== on T: geometric values with NaN coordinates are not equal to themselves,
// and several of these types have no `=` on the server):
//  - its binary output is exactly the codec's binary form of the value decoded from it, and the
//    codec writes the same text as the server (`server_text`);
//  - the codec's binary form, sent back, is read by the server as the same value (same text);
//  - the server's text decodes to the same value (same binary form), from a simple query too;
//  - when `literal_reads_same`, the codec's own parse of `literal` is that value too (false where
//    the server normalises more than the codec: merged multiranges, jsonpath's spelling);
//  - arrays with a NULL element, both ways, in binary and in the server's text (box's ';');
//  - NULL of the type is NULL.
template <class T>
asio::awaitable<void> same_forms(pgasio::connection& conn, const std::string& pg_type,
                                 const std::string& literal, const std::string& server_text,
                                 bool literal_reads_same = true) {
    INFO(pg_type << " " << literal);
    using vec = std::vector<std::optional<T>>;
    const std::string value = "$1::text::" + pg_type;
    auto r = co_await conn.async_query("SELECT " + value + ", " + value + "::text", literal);
    const auto raw = r[0].raw(0).value();
    const std::vector<std::byte> server_binary(raw.begin(), raw.end());
    const T v = r[0].template get<T>(0);
    CHECK(binary_of(v) == server_binary);
    CHECK(r[0].template get<std::string>(1) == server_text);
    CHECK(text_of(v) == server_text);
    // Sent back in binary.
    auto back = co_await conn.async_query("SELECT $1::" + pg_type + "::text", v);
    CHECK(back[0].template get<std::string>(0) == server_text);
    // The server's text, decoded by the codec; and a simple query's text result.
    T from_text{};
    REQUIRE(!types::codec<T>::decode_text(server_text, types::codec<T>::type_oid, from_text));
    CHECK(binary_of(from_text) == server_binary);
    std::string quoted = "'";
    for (char ch : server_text)
        quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
    quoted += "'";
    auto simple =
        co_await conn.async_query("SELECT " + quoted + "::" + pg_type,
                                  pgasio::with_exec_mode(pgasio::query_exec_mode::simple_protocol));
    CHECK(binary_of(simple[0].template get<T>(0)) == server_binary);
    if (literal_reads_same) {
        T parsed{};
        REQUIRE(!types::codec<T>::decode_text(literal, types::codec<T>::type_oid, parsed));
        CHECK(binary_of(parsed) == server_binary);
    }
    // Arrays with a NULL element: the server's array, and ours sent as a parameter.
    const std::string arr = "ARRAY[" + value + ", NULL, " + value + "]";
    auto a = co_await conn.async_query("SELECT " + arr + ", " + arr + "::text", literal);
    const auto elements = a[0].template get<vec>(0);
    REQUIRE(elements.size() == 3);
    CHECK(!elements[1]);
    REQUIRE(elements[0]);
    CHECK(binary_of(*elements[0]) == server_binary);
    const std::string array_text = a[0].template get<std::string>(1);
    CHECK(text_of(elements) == array_text);
    vec from_array_text;
    REQUIRE(
        !types::codec<vec>::decode_text(array_text, types::codec<vec>::type_oid, from_array_text));
    CHECK(binary_of(from_array_text) == binary_of(elements));
    const vec to_send{v, std::nullopt, v};
    auto sent = co_await conn.async_query("SELECT $1::" + pg_type + "[]::text", to_send);
    CHECK(sent[0].template get<std::string>(0) == array_text);
    // NULL of the type.
    auto n = co_await conn.async_query("SELECT NULL::" + pg_type);
    CHECK(!n[0].template try_get<T>(0));
}

// Bytes sent as a binary parameter of type Type, whatever they are.
template <pgasio::protocol::oid Type>
struct raw_param {
    std::string hex;
};

// `v` is refused by the codec (value_out_of_range), and `hex`, the binary form it would have,
// is refused by the server.
template <class T>
asio::awaitable<void> refused(pgasio::connection& conn, const T& v, const std::string& hex) {
    INFO(hex);
    pgasio::protocol::write_buffer out;
    CHECK(types::codec<T>::encode_binary(out, v) ==
          pgasio::protocol::client_errc::value_out_of_range);
    // (A named value: GCC 12 mishandles temporaries made inside a co_await.)
    const raw_param<types::codec<T>::type_oid> bytes{hex};
    auto [ec, r] =
        co_await conn.async_query("SELECT $1::text", bytes, asio::as_tuple(asio::deferred));
    INFO(ec.message());
    CHECK(ec);
    CHECK(ec.category() != pgasio::protocol::client_category());
}

} // namespace

template <pgasio::protocol::oid Type>
struct pgasio::protocol::types::codec<raw_param<Type>> {
    static constexpr oid type_oid = Type;
    static boost::system::error_code encode_binary(write_buffer& out, const raw_param<Type>& v) {
        for (std::size_t i = 0; i + 1 < v.hex.size(); i += 2)
            out.put_u8(static_cast<std::uint8_t>(std::stoi(v.hex.substr(i, 2), nullptr, 16)));
        return {};
    }
};

TEST_CASE("types: geometric types match the server's binary and text forms") {
    using namespace pgasio::protocol;
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await same_forms<point>(c, "point", "(1,2)", "(1,2)");
        co_await same_forms<point>(c, "point", "(1.5,-2)", "(1.5,-2)");
        co_await same_forms<point>(c, "point", "(100000,0.0001)", "(100000,0.0001)");
        co_await same_forms<point>(c, "point", "(1e300,-1e-300)", "(1e+300,-1e-300)");
        co_await same_forms<point>(c, "point", "(NaN,-Infinity)", "(NaN,-Infinity)");
        co_await same_forms<point>(c, "point", "(-0,Infinity)", "(-0,Infinity)");
        co_await same_forms<point>(c, "point", " 1.25 , 2 ", "(1.25,2)");
        co_await same_forms<line>(c, "line", "{1,-1,0}", "{1,-1,0}");
        co_await same_forms<line>(c, "line", "{0,-1,5}", "{0,-1,5}");
        co_await same_forms<line>(c, "line", "{NaN,1,Infinity}", "{NaN,1,Infinity}");
        // A line through two points: the codec computes the coefficients as line_in does.
        co_await same_forms<line>(c, "line", "[(0.1,0.2),(0.3,0.7)]",
                                  "{2.5,-1,-0.04999999999999999}");
        co_await same_forms<line>(c, "line", "[(1,5),(1,7)]", "{-1,0,1}");
        co_await same_forms<lseg>(c, "lseg", "[(1,2),(3,4)]", "[(1,2),(3,4)]");
        co_await same_forms<lseg>(c, "lseg", "(1,2),(NaN,4)", "[(1,2),(NaN,4)]");
        // The server orders a box's corners; so does the codec on input.
        co_await same_forms<box>(c, "box", "(1,2),(3,4)", "(3,4),(1,2)");
        co_await same_forms<box>(c, "box", "(1,4),(3,-2.5)", "(3,4),(1,-2.5)");
        co_await same_forms<box>(c, "box", "(0,0),(0,0)", "(0,0),(0,0)");
        co_await same_forms<path>(c, "path", "[(0,0),(1,1)]", "[(0,0),(1,1)]");
        co_await same_forms<path>(c, "path", "((0,0),(1,1),(2,0))", "((0,0),(1,1),(2,0))");
        co_await same_forms<path>(c, "path", "(1,2,3,4)", "((1,2),(3,4))");
        co_await same_forms<path>(c, "path", "[(1e+300,-1)]", "[(1e+300,-1)]");
        co_await same_forms<polygon>(c, "polygon", "((0,0),(1,1),(2,0))", "((0,0),(1,1),(2,0))");
        co_await same_forms<polygon>(c, "polygon", "(5,6)", "((5,6))");
        co_await same_forms<circle>(c, "circle", "<(1,2),3>", "<(1,2),3>");
        co_await same_forms<circle>(c, "circle", "((1,2),0)", "<(1,2),0>");
        co_await same_forms<circle>(c, "circle", "<(0,0),NaN>", "<(0,0),NaN>");
        // A path of 1000 points.
        std::string many = "[";
        for (int i = 0; i < 1000; ++i)
            many += (i ? ",(" : "(") + std::to_string(i) + "," + std::to_string(-i) + ".5)";
        many += "]";
        co_await same_forms<path>(c, "path", many, many);
        // What the server refuses in binary, the codecs refuse to send: sent as raw bytes, the
        // server's *_recv functions fail.
        co_await refused<line>(c, line{0, 0, 1},
                               "000000000000000000000000000000003ff0000000000000");
        co_await refused<circle>(c, circle{{0, 0}, -1},
                                 "00000000000000000000000000000000bff0000000000000");
        co_await refused<path>(c, path{}, "0000000000");
        co_await refused<polygon>(c, polygon{}, "00000000");
        co_await c.async_close();
    });
}

TEST_CASE("types: tid, int2vector, oidvector and snapshots match the server's forms") {
    using namespace pgasio::protocol;
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await same_forms<tid>(c, "tid", "(0,1)", "(0,1)");
        co_await same_forms<tid>(c, "tid", "(4294967295,65535)", "(4294967295,65535)");
        co_await same_forms<int2vector>(c, "int2vector", "1 -2", "1 -2");
        co_await same_forms<int2vector>(c, "int2vector", " 32767   -32768 ", "32767 -32768");
        co_await same_forms<oidvector>(c, "oidvector", "23 4294967295", "23 4294967295");
        co_await same_forms<oidvector>(c, "oidvector", "0", "0");
        co_await same_forms<pg_snapshot>(c, "pg_snapshot", "10:20:10,14,15", "10:20:10,14,15");
        co_await same_forms<pg_snapshot>(c, "pg_snapshot", "10:20:", "10:20:");
        co_await same_forms<pg_snapshot>(c, "pg_snapshot", "10:20:14,14", "10:20:14");
        co_await same_forms<pg_snapshot>(c, "pg_snapshot",
                                         "1:9223372036854775807:9223372036854775806",
                                         "1:9223372036854775807:9223372036854775806");
        // A large snapshot: 5000 transactions in progress.
        std::string large = "100:100000:";
        for (int i = 0; i < 5000; ++i)
            large += (i ? "," : "") + std::to_string(100 + i * 3);
        co_await same_forms<pg_snapshot>(c, "pg_snapshot", large, large);
        // txid_snapshot has the same forms; there is no cast to it from pg_snapshot, so values go
        // to it as text.
        auto x = co_await c.async_query("SELECT '10:20:10,14,15'::txid_snapshot, "
                                        "ARRAY['10:20:10,14,15'::txid_snapshot, NULL]");
        const auto x_raw = x[0].raw(0).value();
        CHECK(binary_of(x[0].get<pg_snapshot>(0)) ==
              std::vector<std::byte>(x_raw.begin(), x_raw.end()));
        CHECK(text_of(x[0].get<pg_snapshot>(0)) == "10:20:10,14,15");
        const auto xs = x[0].get<std::vector<std::optional<pg_snapshot>>>(1);
        REQUIRE(xs.size() == 2);
        CHECK(text_of(xs[0].value()) == "10:20:10,14,15");
        CHECK(!xs[1]);
        const std::string xt_text = text_of(pg_snapshot{10, 20, {14}});
        auto xt = co_await c.async_query("SELECT $1::text::txid_snapshot::text", xt_text);
        CHECK(xt[0].get<std::string>(0) == "10:20:14");
        // Real values: a row's ctid, a catalog's int2vector and oidvector, the current snapshots.
        co_await c.async_execute("CREATE TEMP TABLE tids (n int4)");
        co_await c.async_execute("INSERT INTO tids VALUES (1), (2)");
        auto t = co_await c.async_query("SELECT ctid, ctid::text FROM tids ORDER BY n");
        CHECK(text_of(t[1].get<tid>(0)) == t[1].get<std::string>(1));
        CHECK(t[0].get<tid>(0) < t[1].get<tid>(0));
        auto k = co_await c.async_query(
            "SELECT indkey, indkey::text, indclass, indclass::text FROM pg_index "
            "WHERE indexrelid = 'pg_class_oid_index'::regclass");
        CHECK(text_of(k[0].get<int2vector>(0)) == k[0].get<std::string>(1));
        CHECK(k[0].get<int2vector>(0).values == std::vector<std::int16_t>{1});
        CHECK(text_of(k[0].get<oidvector>(2)) == k[0].get<std::string>(3));
        auto s = co_await c.async_query("SELECT pg_current_snapshot(), "
                                        "pg_current_snapshot()::text, txid_current_snapshot(), "
                                        "txid_current_snapshot()::text");
        CHECK(text_of(s[0].get<pg_snapshot>(0)) == s[0].get<std::string>(1));
        CHECK(text_of(s[0].get<pg_snapshot>(2)) == s[0].get<std::string>(3));
        // An empty int2vector comes from the server, but has no binary form to send back: the
        // form it comes in is refused by int2vectorrecv.
        auto e = co_await c.async_query("SELECT ''::int2vector, ''::oidvector");
        CHECK(e[0].get<int2vector>(0).values.empty());
        CHECK(e[0].get<oidvector>(1).values.empty());
        co_await refused<int2vector>(c, int2vector{}, "0000000100000000000000150000000000000000");
        co_await refused<oidvector>(c, oidvector{}, "00000001000000000000001a0000000000000000");
        // (Named values: GCC 12 mishandles temporaries made inside a co_await.)
        const pg_snapshot backwards{20, 10, {}};
        co_await refused<pg_snapshot>(c, backwards, "000000000000000000000014000000000000000a");
        co_await c.async_close();
    });
}

TEST_CASE("types: multiranges match the server's forms") {
    using namespace pgasio::protocol;
    using namespace std::chrono;
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        using int4s = multirange<std::int32_t>;
        co_await same_forms<int4s>(c, "int4multirange", "{[1,3),[5,7)}", "{[1,3),[5,7)}");
        co_await same_forms<int4s>(c, "int4multirange", "{}", "{}");
        co_await same_forms<int4s>(c, "int4multirange", "{(,5),[7,)}", "{(,5),[7,)}");
        co_await same_forms<int4s>(c, "int4multirange", " { empty } ", "{}");
        // The server merges and canonicalises: the codec keeps what it reads.
        co_await same_forms<int4s>(c, "int4multirange", "{[1,3],[2,7)}", "{[1,7)}", false);
        co_await same_forms<multirange<std::int64_t>>(c, "int8multirange",
                                                      "{[-9223372036854775808,0),[5,6)}",
                                                      "{[-9223372036854775808,0),[5,6)}");
        co_await same_forms<multirange<numeric>>(c, "nummultirange", "{[1.5,2.5],(3,NaN)}",
                                                 "{[1.5,2.5],(3,NaN)}");
        co_await same_forms<multirange<sys_days>>(
            c, "datemultirange", "{[2024-01-01,2024-02-01),[2024-03-01,infinity)}",
            "{[2024-01-01,2024-02-01),[2024-03-01,infinity)}");
        co_await same_forms<multirange<local_time<microseconds>>>(
            c, "tsmultirange", "{[\"2024-01-01 00:00:00\",\"2024-02-01 10:00:00.5\")}",
            "{[\"2024-01-01 00:00:00\",\"2024-02-01 10:00:00.5\")}");
        // The test servers run in UTC.
        co_await same_forms<multirange<sys_time<microseconds>>>(c, "tstzmultirange",
                                                                "{[\"2024-01-01 00:00:00+00\",)}",
                                                                "{[\"2024-01-01 00:00:00+00\",)}");
        co_await c.async_close();
    });
}

TEST_CASE("types: jsonpath and xml match the server's forms") {
    using namespace pgasio::protocol;
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        // The server spells a path its own way.
        co_await same_forms<jsonpath>(c, "jsonpath", "$.a[*] ? (@ > 1)", "$.\"a\"[*]?(@ > 1)",
                                      false);
        co_await same_forms<jsonpath>(c, "jsonpath", "strict $.\"a b\"", "strict $.\"a b\"");
        co_await same_forms<xml>(c, "xml", "<a>x</a>", "<a>x</a>");
        co_await same_forms<xml>(c, "xml", "<a b=\"c\">é &amp; ü</a>", "<a b=\"c\">é &amp; ü</a>");
        co_await same_forms<xml>(c, "xml", "some text <b/>", "some text <b/>");
        // Used as parameters (named values: GCC 12 mishandles temporaries made inside a
        // co_await).
        const jsonb doc{R"({"a": [1, 2, 3]})"};
        const jsonpath above_one{"$.a[*] ? (@ > 1)"};
        auto r =
            co_await c.async_query("SELECT jsonb_path_query_array($1, $2)::text", doc, above_one);
        CHECK(r[0].get<std::string>(0) == "[2, 3]");
        const xml a{"<a>x</a>"};
        auto x = co_await c.async_query("SELECT xpath('/a/text()', $1)::text[]", a);
        CHECK(x[0].get<std::vector<std::string>>(0) == std::vector<std::string>{"x"});
        co_await c.async_close();
    });
}

TEST_CASE("types: tsvector and tsquery match the server's forms") {
    using namespace pgasio::protocol;
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        // The server sorts the lexemes: the codec keeps the order it reads.
        co_await same_forms<tsvector>(c, "tsvector", R"(fat:2A,4 cat:3 'it''s':1)",
                                      R"('cat':3 'fat':2A,4 'it''s':1)", false);
        co_await same_forms<tsvector>(c, "tsvector", R"('b\\c' x:16383B,99999C)",
                                      R"('b\\c' 'x':16383B)", false);
        co_await same_forms<tsvector>(c, "tsvector", R"('a b' 'c:d':1)", R"('a b' 'c:d':1)");
        co_await same_forms<tsvector>(c, "tsvector", "", "");
        auto doc = co_await c.async_query(
            "SELECT to_tsvector('english', 'the fat cats ate the rats') AS v, "
            "to_tsvector('english', 'the fat cats ate the rats')::text");
        CHECK(text_of(doc[0].get<tsvector>(0)) == doc[0].get<std::string>(1));
        co_await same_forms<tsquery>(c, "tsquery", "fat & (rat | !cat) <2> x:AB*",
                                     "'fat' & ( 'rat' | !'cat' ) <2> 'x':*AB");
        co_await same_forms<tsquery>(c, "tsquery", "a <-> (b <-> c)", "'a' <-> ( 'b' <-> 'c' )");
        co_await same_forms<tsquery>(c, "tsquery", "(a <-> b) <-> c", "'a' <-> 'b' <-> 'c'");
        co_await same_forms<tsquery>(c, "tsquery", "!(a & b) | !!c:D", "!( 'a' & 'b' ) | !!'c':D");
        co_await same_forms<tsquery>(c, "tsquery", "(a | b) & c <0> d",
                                     "( 'a' | 'b' ) & 'c' <0> 'd'");
        co_await same_forms<tsquery>(c, "tsquery", R"('it''s' & '\\')", R"('it''s' & '\\')");
        // An empty tsquery comes from the server, but has no binary form to send back.
        auto e = co_await c.async_query("SELECT ''::tsquery, ''::tsquery::text");
        CHECK(e[0].get<tsquery>(0).items.empty());
        CHECK(text_of(e[0].get<tsquery>(0)) == e[0].get<std::string>(1));
        co_await refused<tsquery>(c, tsquery{}, "00000000");
        // Matching, with the values as parameters.
        // (Named values: GCC 12 mishandles temporaries made inside a co_await.)
        const tsvector cat{{{"cat", {{3, ts_weight::d}}}}};
        const tsquery ca_prefix{{tsquery_item{std::nullopt, 0, "ca", 0, true}}};
        const tsquery cat_a{{tsquery_item{std::nullopt, 0, "cat", 8, false}}};
        auto m = co_await c.async_query("SELECT $1 @@ $2, $1 @@ $3", cat, ca_prefix, cat_a);
        CHECK(m[0].get<bool>(0));
        CHECK(!m[0].get<bool>(1)); // weight A only; the position has weight D
        co_await c.async_close();
    });
}
