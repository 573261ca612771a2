// Typed binary COPY against the real primary: every parameter type both ways, compared with the
// server's own text output; NULLs; structs in and out; mismatches; early stops; leases.
#include <pgasio/connection.hpp>
#include <pgasio/exclusive_lease.hpp>
#include <pgasio/json.hpp>
#include <pgasio/protocol/types/types.hpp>
#include <pgasio/wal_lsn.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/describe/class.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace asio = boost::asio;
namespace types = pgasio::protocol::types;
using pgasio::client_errc;
using pgasio::test::connect_primary;
using pgasio::test::run;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

template <class T>
std::string text_of(const T& v) {
    std::string out;
    REQUIRE(!types::codec<T>::encode_text(out, v));
    return out;
}

// `literal` parsed by our text codec as a T, written by the typed writer into a `pg_type`
// column (and a NULL beside it), compared on the server with its own parse of `literal` (cast
// to `through` first, when given), and read back by the typed reader.
template <class T>
asio::awaitable<void> round_trip(pgasio::connection& conn, const std::string& pg_type,
                                 const std::string& literal, const std::string& through = {}) {
    INFO(pg_type << " " << literal);
    T v{};
    REQUIRE(!types::codec<T>::decode_text(literal, types::codec<T>::type_oid, v));
    co_await conn.async_simple_query(
        "DROP TABLE IF EXISTS typed; CREATE TEMP TABLE typed (k int4, v " + pg_type + ")");
    // Column lists are named first: GCC 12 cannot co_await an expression holding a braced list.
    const std::vector<std::string> k_v{"k", "v"};
    auto w = co_await conn.async_copy_in_rows("typed", k_v);
    co_await w.async_write_row(1, v);
    co_await w.async_write_row(2, std::optional<T>());
    const std::uint64_t copied = co_await w.async_finish();
    CHECK(copied == 2);

    const std::string parsed = "($1::text)::" + (through.empty() ? "" : through + "::") + pg_type;
    auto r = co_await conn.async_query(
        "SELECT v::text = " + parsed + "::text, v::text FROM typed WHERE k = 1", literal);
    CHECK(r[0].template get<bool>(0));
    auto nulls = co_await conn.async_query("SELECT count(*) FROM typed WHERE k = 2 AND v IS NULL");
    CHECK(nulls[0].template get<std::int64_t>(0) == 1);

    auto reader = co_await conn.async_copy_out_rows("typed", k_v);
    std::size_t seen = 0;
    for (;;) {
        const pgasio::result batch = co_await reader.async_next();
        if (batch.empty()) break;
        for (const pgasio::row_view row : batch) {
            ++seen;
            const auto back = row.get<std::optional<T>>("v");
            if (row.template get<std::int32_t>(0) == 1) {
                REQUIRE(back.has_value());
                CHECK(text_of(*back) == text_of(v));
            } else {
                CHECK(!back.has_value());
            }
        }
    }
    CHECK(seen == 2);
    CHECK(reader.rows() == 2);
}

struct item {
    std::int64_t id;
    std::string name;
    std::optional<double> price;
    std::vector<std::int32_t> tags;
};
BOOST_DESCRIBE_STRUCT(item, (), (id, name, price, tags))

bool operator==(const item& a, const item& b) {
    return a.id == b.id && a.name == b.name && a.price == b.price && a.tags == b.tags;
}

// An aggregate without names: written by position into the columns given.
struct point {
    std::int32_t x;
    std::optional<std::string> label;
};

struct wrong_item {
    std::int64_t id;
    std::int32_t name; // the column is text
};
BOOST_DESCRIBE_STRUCT(wrong_item, (), (id, name))

struct missing_item {
    std::int64_t id;
    std::string colour; // no such column
};
BOOST_DESCRIBE_STRUCT(missing_item, (), (id, colour))

} // namespace

TEST_CASE("copy binary: scalars both ways, as the server prints them") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await round_trip<bool>(c, "bool", "t");
        co_await round_trip<std::int16_t>(c, "int2", "-32768");
        co_await round_trip<std::int32_t>(c, "int4", "2147483647");
        co_await round_trip<std::int64_t>(c, "int8", "-9223372036854775808");
        co_await round_trip<std::uint32_t>(c, "oid", "4294967295");
        co_await round_trip<float>(c, "float4", "3.25");
        co_await round_trip<double>(c, "float8", "1.0000000000000002");
        co_await round_trip<double>(c, "float8", "NaN");
        co_await round_trip<pgasio::numeric>(c, "numeric",
                                             "12345678901234567890.000000000000000001");
        co_await round_trip<pgasio::numeric>(c, "numeric", "-Infinity");
        co_await round_trip<std::string>(c, "text", "héllo, wörld");
        co_await round_trip<std::string>(c, "varchar", "v");
        co_await round_trip<std::string>(c, "name", "a_name");
        co_await round_trip<std::string>(c, "bpchar", "padded");
        co_await round_trip<char>(c, "\"char\"", "x");
        co_await round_trip<std::vector<std::byte>>(c, "bytea", "\\x00ff10");
        co_await round_trip<pgasio::uuid>(c, "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        co_await round_trip<pgasio::json>(c, "json", "{\"a\": [1, 2, null]}");
        co_await round_trip<pgasio::jsonb>(c, "jsonb", "{\"a\": [1, 2, null]}");
        co_await round_trip<pgasio::inet>(c, "inet", "2001:db8::1");
        co_await round_trip<pgasio::cidr>(c, "cidr", "10.0.0.0/8");
        co_await round_trip<pgasio::macaddr>(c, "macaddr", "08:00:2b:01:02:03");
        co_await round_trip<pgasio::macaddr8>(c, "macaddr8", "08:00:2b:01:02:03:04:05");
        co_await c.async_close();
    });
}

TEST_CASE("copy binary: dates, times, arrays and ranges both ways") {
    using namespace std::chrono;
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await round_trip<sys_days>(c, "date", "2024-02-29");
        co_await round_trip<sys_days>(c, "date", "-infinity");
        co_await round_trip<local_time<microseconds>>(c, "timestamp", "2024-02-29 13:45:01.123456");
        co_await round_trip<sys_time<microseconds>>(c, "timestamptz", "2024-02-29 13:45:01.5+00");
        co_await round_trip<pgasio::time_of_day>(c, "time", "24:00:00");
        co_await round_trip<pgasio::time_of_day_tz>(c, "timetz", "13:45:01+05:30");
        co_await round_trip<pgasio::interval>(c, "interval", "1 year 2 mons -3 days 04:05:06.789");
        co_await round_trip<std::vector<std::optional<std::int32_t>>>(c, "int4[]", "{1,NULL,3}");
        co_await round_trip<std::vector<std::string>>(c, "text[]", "{\"a b\",\"c\\\"d\",e}");
        co_await round_trip<pgasio::array<std::int64_t>>(c, "int8[]", "{{1,2,3},{4,5,6}}");
        co_await round_trip<pgasio::array<std::int32_t>>(c, "int4[]", "[0:2]={7,8,9}");
        co_await round_trip<std::vector<pgasio::numeric>>(c, "numeric[]", "{1.5,NaN}");
        co_await round_trip<pgasio::range<std::int32_t>>(c, "int4range", "[1,10)");
        co_await round_trip<pgasio::range<std::int64_t>>(c, "int8range", "empty");
        co_await round_trip<pgasio::range<std::chrono::sys_days>>(c, "daterange",
                                                                  "[2024-01-01,2024-02-01)");
        co_await c.async_close();
    });
}

TEST_CASE("copy binary: pg_lsn, transaction ids, money, bit strings, OID aliases, JSON "
          "documents, numeric and timestamp ranges both ways") {
    using namespace std::chrono;
    using namespace pgasio::protocol;
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await round_trip<pgasio::wal_lsn>(c, "pg_lsn", "16/B374D848");
        co_await round_trip<pgasio::wal_lsn>(c, "pg_lsn", "FFFFFFFF/FFFFFFFF");
        co_await round_trip<xid>(c, "xid", "4294967295");
        co_await round_trip<xid8>(c, "xid8", "18446744073709551615");
        co_await round_trip<cid>(c, "cid", "7");
        // money's text follows lc_monetary: the test servers run in the C locale.
        co_await round_trip<money>(c, "money", "-1234.56");
        co_await round_trip<money>(c, "money", "92233720368547758.07");
        co_await round_trip<bit_string>(c, "varbit", "101101011");
        co_await round_trip<bit_string>(c, "varbit", "");
        // A bit_string is sent as varbit, whose binary form bit(n) reads too.
        co_await round_trip<bit_string>(c, "bit(5)", "00001");
        // The OID alias types take an oid, whose binary form they share; the server prints
        // the name (or the number, for an oid that names nothing). Text casts to them parse a
        // name: the server's value is the oid cast.
        co_await round_trip<std::uint32_t>(c, "regclass", "1259", "oid");
        co_await round_trip<std::uint32_t>(c, "regtype", "23", "oid");
        co_await round_trip<std::uint32_t>(c, "regnamespace", "11", "oid");
        co_await round_trip<std::uint32_t>(c, "regproc", "1242", "oid");
        co_await round_trip<std::uint32_t>(c, "regprocedure", "4294967295", "oid");
        // boost::json::value is sent as jsonb (the keys here in the order jsonb keeps them);
        // into a json column it is written as json (the document's text, which json keeps as it
        // is: the literal is the serialization).
        co_await round_trip<boost::json::value>(c, "jsonb", "{\"a\": {}, \"b\": [1, 2.5, null]}");
        co_await round_trip<boost::json::value>(c, "json", "{\"b\":[1,-2,null],\"a\":\"x\"}");
        co_await round_trip<range<numeric>>(c, "numrange", "[1.5,2.5]");
        co_await round_trip<range<numeric>>(c, "numrange", "(,0.001)");
        co_await round_trip<range<local_time<microseconds>>>(
            c, "tsrange", "[\"2024-01-01 00:00:00\",\"2024-02-29 12:30:00.5\")");
        co_await round_trip<range<sys_time<microseconds>>>(c, "tstzrange",
                                                           "[\"2024-01-01 00:00:00+00\",infinity)");
        co_await c.async_close();
    });
}

TEST_CASE("copy binary: a jsonb value into a json column with other columns around it") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_execute(
            "CREATE TEMP TABLE docs (id int4, doc json, tag text, other json, b jsonb)");
        const std::vector<std::string> columns{"id", "doc", "tag", "other", "b"};
        auto w = co_await c.async_copy_in_rows("docs", columns);
        const boost::json::value doc = {{"k", 1}};
        const boost::json::value empty_object = boost::json::object();
        w.write_row(1, doc, "t", std::optional<boost::json::value>(), doc);
        w.write_row(2, empty_object, "", pgasio::json{"[1, 2]"}, empty_object);
        const std::uint64_t copied = co_await w.async_finish();
        CHECK(copied == 2);
        auto r = co_await c.async_query(
            "SELECT doc::text, tag, other::text, b::text FROM docs ORDER BY id");
        REQUIRE(r.size() == 2);
        CHECK(r[0].get<std::string>(0) == "{\"k\":1}");
        CHECK(r[0].get<std::string>(1) == "t");
        CHECK(!r[0].get<std::optional<std::string>>(2));
        CHECK(r[0].get<std::string>(3) == "{\"k\": 1}");
        CHECK(r[1].get<std::string>(0) == "{}");
        CHECK(r[1].get<std::string>(2) == "[1, 2]");
        CHECK(r[1].get<std::string>(3) == "{}");
    });
}

TEST_CASE("copy binary: the other parameter forms: literals, nullopt, spans, values") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_execute(
            "CREATE TEMP TABLE forms (a text, b int8, c bytea, d int4[], e numeric)");
        const std::vector<std::string> columns{"a", "b", "c", "d", "e"};
        auto w = co_await c.async_copy_in_rows("forms", columns);
        // std::array: GCC 12 cannot keep a built-in array in a coroutine frame.
        const std::array<std::byte, 3> bytes{std::byte{1}, std::byte{0}, std::byte{255}};
        const std::array<std::int32_t, 2> ints{4, 5};
        w.write_row("literal", std::int64_t{7}, std::span<const std::byte>(bytes),
                    std::span<const std::int32_t>(ints), std::nullopt);
        // A row chosen at run time: a list of pgasio::value.
        w.write_row(std::vector<pgasio::value>{
            pgasio::value(std::string("dynamic")), pgasio::value(std::int64_t{8}), pgasio::value(),
            pgasio::value(), pgasio::value(pgasio::numeric::from_string("2.50").value())});
        CHECK(w.rows_written() == 2);
        const std::uint64_t copied = co_await w.async_finish();
        CHECK(copied == 2);
        auto r = co_await c.async_query("SELECT a, b::text, c::text, d::text, e::text FROM forms "
                                        "ORDER BY b");
        REQUIRE(r.size() == 2);
        CHECK(r[0].get<std::string>(0) == "literal");
        CHECK(r[0].get<std::string>(2) == "\\x0100ff");
        CHECK(r[0].get<std::string>(3) == "{4,5}");
        CHECK(r[0].is_null(4));
        CHECK(r[1].get<std::string>(0) == "dynamic");
        CHECK(r[1].is_null(2));
        CHECK(r[1].get<std::string>(4) == "2.50");
        co_await c.async_close();
    });
}

TEST_CASE("copy binary: described structs in many chunks and back out with rows_as") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_execute(
            "CREATE TEMP TABLE items (id int8 PRIMARY KEY, name text, price float8, tags int4[])");
        std::vector<item> items;
        for (std::int64_t i = 1; i <= 20'000; ++i)
            items.push_back(
                item{i,
                     "item " + std::to_string(i),
                     i % 3 == 0 ? std::nullopt : std::optional<double>(static_cast<double>(i) / 2),
                     {static_cast<std::int32_t>(i), 2}});
        auto w = co_await c.async_copy_in_as<item>("items");
        CHECK(w.columns().size() == 4);
        CHECK(w.columns()[3].type_oid == pgasio::protocol::oids::int4_array);
        const std::uint64_t written = co_await w.async_write_rows(items);
        CHECK(written == items.size());
        const std::uint64_t copied = co_await w.async_finish();
        CHECK(copied == items.size());
        auto sums = co_await c.async_query(
            "SELECT sum(id)::int8, count(price), sum(length(name))::int8 FROM items");
        CHECK(sums[0].get<std::int64_t>(0) == 20'000LL * 20'001 / 2);
        CHECK(sums[0].get<std::int64_t>(1) == 20'000 - 20'000 / 3);

        const std::vector<std::string> item_columns{"id", "name", "price", "tags"};
        auto r = co_await c.async_copy_out_rows("items", item_columns);
        std::vector<item> back;
        std::size_t batches = 0;
        for (;;) {
            const pgasio::result batch = co_await r.async_next();
            if (batch.empty()) break;
            ++batches;
            for (item& it : pgasio::rows_as<item>(batch))
                back.push_back(std::move(it));
        }
        CHECK(batches > 1);
        std::sort(back.begin(), back.end(),
                  [](const item& a, const item& b) { return a.id < b.id; });
        CHECK(back == items);
        co_await c.async_close();
    });
}

TEST_CASE("copy binary: aggregates and tuples by position into the columns given") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_execute("CREATE TEMP TABLE points (label text, x int4)");
        const std::vector<std::string> x_label{"x", "label"};
        auto w = co_await c.async_copy_in_as<point>("points", x_label);
        const std::vector<point> points{{1, "one"}, {2, std::nullopt}};
        co_await w.async_write_rows(points);
        w.write_row(std::tuple<std::int32_t, const char*>(3, "three"));
        const std::uint64_t copied = co_await w.async_finish();
        CHECK(copied == 3);
        auto r = co_await c.async_query("SELECT x, label FROM points ORDER BY x");
        REQUIRE(r.size() == 3);
        CHECK(r[0].get<std::string>(1) == "one");
        CHECK(r[1].is_null(1));
        CHECK(r[2].get<std::string>(1) == "three");
        co_await c.async_close();
    });
}

TEST_CASE("copy binary: mismatches fail clearly, naming the column") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_execute("CREATE TEMP TABLE strict (id int8, name text)");

        // A member whose type disagrees with its column: refused before any row.
        pgasio::diagnostics diag;
        auto [ec, w] = co_await c.async_copy_in_as<wrong_item>(
            "strict", pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == client_errc::type_mismatch);
        CHECK(diag.message.find("column 1 \"name\" has type text") != std::string::npos);
        CHECK(diag.message.find("member name") != std::string::npos);

        // A member without a column: the server says which.
        auto [ec2, w2] = co_await c.async_copy_in_as<missing_item>(
            "strict", pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec2 == pgasio::sqlstate::undefined_column);
        CHECK(diag.message.find("colour") != std::string::npos);

        // Values of the wrong type or number: the row is refused, the COPY goes on.
        const std::vector<std::string> id_name{"id", "name"};
        auto writer = co_await c.async_copy_in_rows("strict", id_name);
        try {
            writer.write_row(std::int32_t{1}, "x");
            FAIL("an int4 value was written into an int8 column");
        } catch (const pgasio::error& e) {
            CHECK(e.code() == client_errc::type_mismatch);
            CHECK(std::string(e.what()).find("column 0 \"id\" has type int8") != std::string::npos);
        }
        auto [ec3] = co_await writer.async_write_row(std::int64_t{1}, nothrow);
        CHECK(ec3 == client_errc::parameter_count_mismatch);
        co_await writer.async_write_row(std::int64_t{2}, "two");
        const std::uint64_t copied = co_await writer.async_finish();
        CHECK(copied == 1);

        // Names: refused before anything is sent.
        const std::vector<std::string> id{"id"};
        auto [ec4, w4] = co_await c.async_copy_in_rows("", id, nothrow);
        CHECK(ec4 == boost::system::errc::invalid_argument);
        const std::vector<std::string> none{};
        auto [ec5, r5] = co_await c.async_copy_out_rows("strict", none, nothrow);
        CHECK(ec5 == boost::system::errc::invalid_argument);
        auto [ec6, r6] = co_await c.async_copy_out_rows("no_such_table", id, nothrow);
        CHECK(ec6 == pgasio::sqlstate::undefined_table);
        // Quoted names: exactly as written.
        co_await c.async_execute("CREATE TEMP TABLE \"Mixed Case\" (\"Id\" int4)");
        const std::vector<std::string> mixed_id{"Id"};
        auto mixed = co_await c.async_copy_in_rows("Mixed Case", mixed_id);
        co_await mixed.async_write_row(5);
        const std::uint64_t one = co_await mixed.async_finish();
        CHECK(one == 1);
        co_await c.async_close();
    });
}

TEST_CASE("copy binary: a server error mid-COPY, dropping a writer, stopping a reader early") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_execute("CREATE TEMP TABLE uniq (id int4 PRIMARY KEY)");
        {
            const std::vector<std::string> id{"id"};
            auto w = co_await c.async_copy_in_rows("uniq", id);
            co_await w.async_write_row(1);
            co_await w.async_write_row(1);
            auto [ec, rows] = co_await w.async_finish(nothrow);
            CHECK(ec == pgasio::sqlstate::unique_violation);
        }
        {
            const std::vector<std::string> id{"id"};
            auto w = co_await c.async_copy_in_rows("uniq", id);
            co_await w.async_write_row(2);
        } // dropped unfinished: nothing copied
        auto none = co_await c.async_query("SELECT count(*) FROM uniq");
        CHECK(none[0].get<std::int64_t>(0) == 0);

        co_await c.async_execute("INSERT INTO uniq SELECT generate_series(1, 200000)");
        {
            const std::vector<std::string> id{"id"};
            auto r = co_await c.async_copy_out_rows("uniq", id);
            const pgasio::result first = co_await r.async_next();
            CHECK(!first.empty());
        } // dropped early: the COPY is cancelled and drained
        {
            // A second async_next while one waits fails alone; the reading goes on to the end.
            const std::vector<std::string> id{"id"};
            auto r = co_await c.async_copy_out_rows("uniq", id);
            bool first_done = false;
            std::size_t rows = 0;
            r.async_next([&](pgasio::error_code ec, pgasio::result batch) {
                CHECK(!ec);
                rows += batch.size();
                first_done = true;
            });
            auto [ec, refused] = co_await r.async_next(nothrow);
            CHECK(ec == asio::error::in_progress);
            CHECK(refused.empty());
            while (!first_done)
                co_await pgasio::test::sleep_for(std::chrono::milliseconds(1));
            for (;;) {
                const pgasio::result batch = co_await r.async_next();
                if (batch.empty()) break;
                rows += batch.size();
            }
            CHECK(rows == 200'000);
        }
        auto after = co_await c.async_query("SELECT count(*) FROM uniq");
        CHECK(after[0].get<std::int64_t>(0) == 200'000);
        co_await c.async_close();
    });
}

TEST_CASE("copy binary: in a lease's transaction, rolled back with it") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto c = co_await connect_primary();
        co_await c.async_execute("CREATE TEMP TABLE leased (id int4, name text)");
        {
            auto lease = co_await c.async_acquire_exclusive();
            co_await lease.async_execute("BEGIN");
            const std::vector<std::string> id_name{"id", "name"};
            auto w = co_await lease.async_copy_in_rows("leased", id_name);
            co_await w.async_write_row(1, "one");
            co_await w.async_finish();
            const std::vector<std::string> name{"name"};
            auto r = co_await lease.async_copy_out_rows("leased", name);
            const pgasio::result batch = co_await r.async_next();
            REQUIRE(batch.size() == 1);
            CHECK(batch[0].get<std::string_view>(0) == "one");
            const pgasio::result end = co_await r.async_next();
            CHECK(end.empty());
            co_await lease.async_execute("ROLLBACK");
        }
        auto n = co_await c.async_query("SELECT count(*) FROM leased");
        CHECK(n[0].get<std::int64_t>(0) == 0);
        co_await c.async_close();
    });
}
