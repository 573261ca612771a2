// Every type of the codec through the real server: sent as a binary parameter, compared by the
// server with its own parse of the same literal, and decoded back from a binary result.
#include <pgasio/connection.hpp>
#include <pgasio/protocol/types/types.hpp>
#include <pgasio/wal_lsn.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

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
