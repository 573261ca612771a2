// json and jsonb as boost::json::value and as C++ types through Boost.JSON's conversions
// (pgasio/json.hpp), both directions through the real server.
#include <pgasio/connection.hpp>
#include <pgasio/json.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/describe/class.hpp>
#include <boost/json/error.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace json = boost::json;
using pgasio::json_of;
using pgasio::test::connect_primary;
using pgasio::test::run;

namespace {

struct address {
    std::string city;
    std::optional<std::string> zip;
    friend bool operator==(const address&, const address&) = default;
};
BOOST_DESCRIBE_STRUCT(address, (), (city, zip))

struct person {
    std::string name;
    int age = 0;
    std::vector<address> addresses;
    std::map<std::string, double> scores;
    friend bool operator==(const person&, const person&) = default;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, age, addresses, scores))

// Made outside the coroutines: GCC 12 rejects string literals in braced initializers there.
person ada() {
    return {"Ada", 36, {{"London", "NW1"}, {"Paris", std::nullopt}}, {{"math", 9.5}}};
}
person bob() {
    return {"Bob", 40, {}, {}};
}
address oslo() {
    return {"Oslo", std::nullopt};
}

std::string bytes_of(std::span<const std::byte> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

} // namespace

TEST_CASE("json: boost::json::value round-trips through json and jsonb") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const json::value doc = json::parse(
            R"({"a": [1, 2.5, null, true], "b": {"c": "é\"x"}, "n": -9007199254740993})");
        // Sent as jsonb: the server parses it as it parses the same text.
        auto r = co_await conn.async_query(
            "SELECT $1, $1::text, $1 = $2::text::jsonb, $1::json, pg_typeof($1)::text", doc,
            json::serialize(doc));
        CHECK(r[0].get<json::value>(0) == doc);
        CHECK(json::parse(r[0].get<std::string>(1)) == doc);
        CHECK(r[0].get<bool>(2));
        CHECK(r[0].get<json::value>(3) == doc); // from json
        CHECK(r[0].get<std::string>(4) == "jsonb");
        // The bytes the server sends for jsonb: version byte 1 and its text, which the codec
        // sends too.
        auto bytes = co_await conn.async_query("SELECT $1::text::jsonb", json::serialize(doc));
        const auto raw = bytes[0].raw(0).value();
        REQUIRE(!raw.empty());
        CHECK(raw[0] == std::byte{1});
        CHECK(json::parse(bytes_of(raw.subspan(1))) == doc);
        // Into a json column (the server assigns jsonb to json), and NULL.
        co_await conn.async_execute("CREATE TEMP TABLE docs (j json, b jsonb)");
        co_await conn.async_execute("INSERT INTO docs VALUES ($1, $1), (NULL, NULL)", doc);
        auto rows = co_await conn.async_query("SELECT j, b FROM docs ORDER BY j IS NULL");
        CHECK(rows[0].get<json::value>("j") == doc);
        CHECK(rows[0].get<json::value>("b") == doc);
        CHECK(!rows[1].try_get<json::value>("j"));
        // Scalars are documents too.
        auto scalar = co_await conn.async_query("SELECT '\"s\"'::jsonb, 'null'::json, '3'::jsonb");
        CHECK(scalar[0].get<json::value>(0) == json::value("s"));
        CHECK(scalar[0].get<json::value>(1).is_null());
        CHECK(scalar[0].get<json::value>(2) == json::value(3));
        // Simple protocol: the text forms.
        auto text = co_await conn.async_query(
            "SELECT $1::jsonb", doc,
            pgasio::with_exec_mode(pgasio::query_exec_mode::simple_protocol));
        CHECK(text[0].get<json::value>(0) == doc);
        co_await conn.async_close();
    });
}

TEST_CASE("json: described structs as json_of<T>, parameters and columns") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const person p = ada();
        const json_of<person> param{p};
        auto r = co_await conn.async_query(
            "SELECT $1, $1->>'name', ($1->'addresses'->0->>'city'), $1->'scores'->'math'", param);
        CHECK(r[0].get<json_of<person>>(0).value == p);
        CHECK(r[0].get<std::string>(1) == "Ada");
        CHECK(r[0].get<std::string>(2) == "London");
        CHECK(r[0].get<json::value>(3) == json::value(9.5));
        // A document built by the server, read into the struct.
        auto built = co_await conn.async_query(
            "SELECT json_build_object('city', 'Oslo', 'zip', NULL), "
            "jsonb_build_object('name', 'Bob', 'age', 40, 'addresses', '[]'::jsonb, "
            "'scores', '{}'::jsonb)");
        CHECK(built[0].get<json_of<address>>(0).value == oslo());
        CHECK(built[0].get<json_of<person>>(1).value == bob());
        // Containers work as well.
        const json_of<std::vector<int>> numbers{std::vector<int>(3, 7)};
        auto list = co_await conn.async_query("SELECT $1::jsonb", numbers);
        CHECK(list[0].get<json_of<std::vector<int>>>(0) == numbers);
        co_await conn.async_close();
    });
}

TEST_CASE("json: a document of another shape, or a text column, is a clear error") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        // (The server sends only well-formed documents: malformed ones are in the unit tests.)
        auto r = co_await conn.async_query(
            "SELECT '{\"a\": 1,'::text, '{\"a\": 1}'::jsonb, '[1]'::jsonb, "
            "'{\"city\": 5}'::jsonb");
        // A text column is not JSON (no silent conversion).
        json::value v;
        CHECK(r[0].get(0, v) == pgasio::client_errc::type_mismatch);
        // A document that is not an address.
        CHECK_THROWS_WITH(r[0].get<json_of<address>>(2),
                          Catch::Contains("column 2") && Catch::Contains("does not decode"));
        json_of<address> a;
        CHECK(r[0].get(3, a));
        CHECK(!r[0].get(1, v));
        co_await conn.async_close();
    });
}
