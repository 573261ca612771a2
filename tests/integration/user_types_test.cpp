// User-defined types through the real server (docs/types.md, "User-defined types"): enums,
// composites (nested, with arrays, a dropped attribute), domains, hstore, loaded by name into the
// connection's type registry; types altered while a connection has them loaded.
#include <pgasio/batch.hpp>
#include <pgasio/composite.hpp>
#include <pgasio/connection.hpp>
#include <pgasio/copy_rows.hpp>
#include <pgasio/described_enum.hpp>
#include <pgasio/format.hpp>
#include <pgasio/hstore.hpp>
#include <pgasio/pool.hpp>
#include <pgasio/type_registry.hpp>
#include <pgasio/value.hpp>

#include <pgasio/protocol/oids.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace asio = boost::asio;
using pgasio::test::connect_primary;
using pgasio::test::run;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

enum class it_mood { sad, ok, happy };
BOOST_DESCRIBE_ENUM(it_mood, sad, ok, happy)

struct it_address {
    std::string street;
    std::optional<std::int32_t> zip;
    friend bool operator==(const it_address&, const it_address&) = default;
};
BOOST_DESCRIBE_STRUCT(it_address, (), (street, zip))

struct it_person {
    it_mood mood = it_mood::sad; // declared in another order than the attributes
    std::string name;
    it_address home;
    std::vector<std::optional<it_address>> previous;
    friend bool operator==(const it_person&, const it_person&) = default;
};
BOOST_DESCRIBE_STRUCT(it_person, (), (mood, name, home, previous))

// Positional: a composite with a dropped attribute, read without its names.
struct it_kept {
    std::int32_t a = 0;
    std::string b;
    friend bool operator==(const it_kept&, const it_kept&) = default;
};

struct it_counted {
    std::int32_t n = 0;
    std::string s;
    friend bool operator==(const it_counted&, const it_counted&) = default;
};
BOOST_DESCRIBE_STRUCT(it_counted, (), (n, s))

} // namespace

template <>
inline constexpr bool pgasio::is_composite_v<it_address> = true;
template <>
inline constexpr bool pgasio::is_composite_v<it_person> = true;
template <>
inline constexpr bool pgasio::is_composite_v<it_kept> = true;
template <>
inline constexpr bool pgasio::is_composite_v<it_counted> = true;
template <>
inline constexpr bool pgasio::is_composite_v<std::tuple<std::int32_t>> = true;
template <>
inline constexpr bool pgasio::is_composite_v<std::tuple<std::int32_t, std::optional<std::string>>> =
    true;

namespace {

// Runs `sql` as tools/pg's superuser (the test user may not create schemas or extensions).
asio::awaitable<void> as_admin(const std::string& sql) {
    pgasio::connection admin(co_await asio::this_coro::executor);
    co_await admin.async_connect(pgasio::test::user_config("ADMIN", "PRIMARY"));
    co_await admin.async_simple_query(sql);
    co_await admin.async_close();
}

// A schema of its own for each test (unique in the database: tests run in parallel), owned by
// the test user.
asio::awaitable<std::string> make_schema(pgasio::connection& conn, std::string_view what) {
    std::string schema = "udt_" + std::string(what) + "_" + std::to_string(conn.backend_pid());
    co_await as_admin("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema +
                      " AUTHORIZATION " + pgasio::test::test_config().user);
    co_return schema;
}

asio::awaitable<void> drop_schema(pgasio::connection& conn, const std::string& schema) {
    co_await conn.async_simple_query("DROP SCHEMA " + schema + " CASCADE");
}

} // namespace

TEST_CASE("user types: enums read and written as described C++ enums and as strings") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string s = co_await make_schema(conn, "enum");
        co_await conn.async_simple_query("CREATE TYPE " + s +
                                         ".mood AS ENUM ('sad', 'ok', 'happy', 'excited')");
        co_await conn.async_load_types(s + ".mood");
        const std::string sql = "SELECT 'happy'::" + s + ".mood, ARRAY['sad', NULL, 'ok']::" + s +
                                ".mood[], 'excited'::" + s + ".mood, NULL::" + s + ".mood";
        // The first execution (columns in binary) and the next (described, bound by type).
        const std::vector<std::optional<it_mood>> three{it_mood::sad, std::nullopt, it_mood::ok};
        for (int i = 0; i < 2; ++i) {
            auto r = co_await conn.async_query(sql);
            CHECK(r[0].get<it_mood>(0) == it_mood::happy);
            CHECK(r[0].get<std::string>(0) == "happy");
            CHECK(r[0].get<std::vector<std::optional<it_mood>>>(1) == three);
            // The C++ enum lacks 'excited': the error names the label and the type.
            CHECK_THROWS_WITH(r[0].get<it_mood>(2),
                              Catch::Contains("\"excited\"") && Catch::Contains(s + ".mood"));
            CHECK(r[0].get<std::string>(2) == "excited");
            CHECK_FALSE(r[0].try_get<it_mood>(3));
        }
        // Text results decode through the same codec.
        auto t = co_await conn.async_query(sql, pgasio::with_text_results());
        CHECK(t[0].get<it_mood>(0) == it_mood::happy);
        // Parameters: the label, the type resolved by the server; compared with its text.
        auto p = co_await conn.async_query(
            "SELECT $1::" + s + ".mood::text, $1 = 'ok'::" + s + ".mood", it_mood::ok);
        CHECK(p[0].get<std::string>(0) == "ok");
        CHECK(p[0].get<bool>(1));
        // Arrays of enums need the element OID: the C++ type registered with its type.
        conn.types()->register_type<it_mood>(s + ".mood");
        co_await conn.async_load_types();
        const std::vector<std::optional<it_mood>> moods{it_mood::happy, std::nullopt};
        auto a = co_await conn.async_query("SELECT $1::" + s + ".mood[]::text", moods);
        CHECK(a[0].get<std::string>(0) == "{happy,NULL}");
        // A column of another type is not an enum.
        auto other = co_await conn.async_query("SELECT 'happy'::text");
        CHECK_THROWS_AS(other[0].get<it_mood>(0), pgasio::error);
        co_await drop_schema(conn, s);
        co_await conn.async_close();
    });
}

TEST_CASE("user types: a type not loaded, or that does not exist, is a clear error") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string s = co_await make_schema(conn, "unknown");
        co_await conn.async_simple_query("CREATE TYPE " + s + ".mood AS ENUM ('sad', 'happy')");
        auto r =
            co_await conn.async_query("SELECT 'sad'::" + s + ".mood", pgasio::with_text_results());
        CHECK_THROWS_WITH(r[0].get<it_mood>(0), Catch::Contains("async_load_types"));
        pgasio::diagnostics diag;
        auto [ec] =
            co_await conn.async_load_types(s + ".nothing", pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == pgasio::protocol::client_errc::unknown_type);
        CHECK_THAT(diag.message, Catch::Contains(s + ".nothing"));
        co_await drop_schema(conn, s);
        co_await conn.async_close();
    });
}

TEST_CASE("user types: composites by name, nested, arrays of them, NULLs, both directions") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string s = co_await make_schema(conn, "comp");
        co_await conn.async_simple_query(
            "CREATE TYPE " + s + ".mood AS ENUM ('sad', 'ok', 'happy'); CREATE TYPE " + s +
            ".address AS (street text, zip int4); CREATE TYPE " + s +
            ".person AS (name text, home " + s + ".address, previous " + s + ".address[], mood " +
            s + ".mood)");
        // The person's attribute types come with it.
        co_await conn.async_load_types(s + ".person");
        CHECK(conn.types()->find(s + ".address"));
        const std::string literal = "ROW('Ann \"A\", Jr', ROW('Main St', 12345)::" + s +
                                    ".address, ARRAY[ROW('Old (1)', NULL)::" + s +
                                    ".address, NULL], 'ok')::" + s + ".person";
        const it_person ann{it_mood::ok,
                            "Ann \"A\", Jr",
                            {"Main St", 12345},
                            {it_address{"Old (1)", std::nullopt}, std::nullopt}};
        const std::vector<std::optional<it_person>> two{ann, std::nullopt};
        const std::string sql = "SELECT " + literal + ", (" + literal + ")::text, NULL::" + s +
                                ".person, ARRAY[" + literal + ", NULL]";
        for (int i = 0; i < 2; ++i) {
            auto r = co_await conn.async_query(sql);
            CHECK(r[0].get<it_person>(0) == ann);
            CHECK_FALSE(r[0].try_get<it_person>(2));
            CHECK(r[0].get<std::vector<std::optional<it_person>>>(3) == two);
            // The server's text, and ours of the value read in binary (fmt / known_text).
            const std::string text = r[0].get<std::string>(1);
            CHECK(
                text ==
                R"t(("Ann ""A"", Jr","(""Main St"",12345)","{""(\\""Old (1)\\"",)"",NULL}",ok))t");
        }
        // Text results: record_out's form read by the loaded layout.
        auto t = co_await conn.async_query(sql, pgasio::with_text_results());
        CHECK(t[0].get<it_person>(0) == ann);
        CHECK(t[0].get<std::vector<std::optional<it_person>>>(3) == two);
        // Parameters: registered, sent in the attributes' order with their types.
        conn.types()->register_type<it_person>(s + ".person");
        conn.types()->register_type<it_address>(s + ".address");
        co_await conn.async_load_types();
        auto p =
            co_await conn.async_query("SELECT $1::" + s + ".person = " + literal + ", $1::" + s +
                                          ".person::text, $2::" + s + ".address[]::text",
                                      ann, ann.previous);
        CHECK(p[0].get<bool>(0));
        CHECK(p[0].get<std::string>(1) ==
              R"t(("Ann ""A"", Jr","(""Main St"",12345)","{""(\\""Old (1)\\"",)"",NULL}",ok))t");
        CHECK(p[0].get<std::string>(2) == R"t({"(\"Old (1)\",)",NULL})t");
        // Round trip.
        auto back = co_await conn.async_query("SELECT $1::" + s + ".person", ann);
        CHECK(back[0].get<it_person>(0) == ann);
        co_await drop_schema(conn, s);
        co_await conn.async_close();
    });
}

TEST_CASE("user types: a dropped attribute is not in the value, and tuples and records read by "
          "position") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string s = co_await make_schema(conn, "dropped");
        co_await conn.async_simple_query("CREATE TYPE " + s +
                                         ".kept AS (a int4, gone text, b text); ALTER TYPE " + s +
                                         ".kept DROP ATTRIBUTE gone");
        co_await conn.async_load_types(s + ".kept");
        CHECK(conn.types()->find(s + ".kept")->attributes.size() == 2);
        auto r = co_await conn.async_query("SELECT ROW(7, 'x')::" + s + ".kept, ROW(7, 'x')");
        CHECK(r[0].get<it_kept>(0) == it_kept{7, "x"});
        using row = std::tuple<std::int32_t, std::optional<std::string>>;
        CHECK(r[0].get<row>(0) == row{7, "x"});
        // An anonymous record needs no loading.
        CHECK(r[0].get<row>(1) == row{7, "x"});
        // Sent by position with the members' own types (int4, text): no registration needed.
        const it_kept sent{8, "y z"};
        auto p = co_await conn.async_query("SELECT $1::" + s + ".kept::text", sent);
        CHECK(p[0].get<std::string>(0) == "(8,\"y z\")");
        co_await drop_schema(conn, s);
        co_await conn.async_close();
    });
}

TEST_CASE("user types: domains read as their base type, their CHECK errors are the server's") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string s = co_await make_schema(conn, "domain");
        co_await conn.async_simple_query("CREATE DOMAIN " + s +
                                         ".posint AS int4 CHECK (VALUE > 0); CREATE TYPE " + s +
                                         ".counted AS (n " + s + ".posint, s text)");
        co_await conn.async_load_types(s + ".counted");
        auto r = co_await conn.async_query("SELECT 5::" + s + ".posint, ROW(6, 'six')::" + s +
                                           ".counted");
        CHECK(r[0].get<std::int32_t>(0) == 5);
        CHECK(r[0].get<it_counted>(1) == it_counted{6, "six"});
        // As a parameter: the base type's value, checked by the server.
        auto ok = co_await conn.async_query("SELECT $1::" + s + ".posint", std::int32_t{3});
        CHECK(ok[0].get<std::int32_t>(0) == 3);
        auto [ec, bad] =
            co_await conn.async_query("SELECT $1::" + s + ".posint", std::int32_t{-1}, nothrow);
        CHECK(ec == pgasio::sqlstate::check_violation);
        // Inside a composite: labelled with the domain, checked by the server too.
        conn.types()->register_type<it_counted>(s + ".counted");
        // (Named: GCC 12 frees a class temporary of a co_await expression twice.)
        const it_counted four{4, "four"};
        const it_counted negative{-4, "x"};
        co_await conn.async_load_types();
        auto c = co_await conn.async_query("SELECT $1::" + s + ".counted::text", four);
        CHECK(c[0].get<std::string>(0) == "(4,four)");
        pgasio::diagnostics diag;
        auto [cec, cbad] = co_await conn.async_query("SELECT $1::" + s + ".counted", negative,
                                                     pgasio::diagnostics_into(diag, nothrow));
        CHECK(cec == pgasio::sqlstate::check_violation);
        CHECK_THAT(diag.message, Catch::Contains("posint"));
        co_await drop_schema(conn, s);
        co_await conn.async_close();
    });
}

TEST_CASE("user types: arrays of a domain read and write as arrays of its base type") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string s = co_await make_schema(conn, "domain_array");
        co_await conn.async_simple_query("CREATE DOMAIN " + s +
                                         ".posint AS int4 CHECK (VALUE > 0); CREATE TABLE " + s +
                                         ".t (a " + s + ".posint[])");
        co_await conn.async_load_types(s + ".posint");
        // array_send labels the elements with the domain, not int4.
        const std::string sql =
            "SELECT ARRAY[1, NULL, 3]::" + s + ".posint[], '[0:1]={4,5}'::" + s + ".posint[]";
        using ints = std::vector<std::optional<std::int32_t>>;
        const pgasio::protocol::array<std::int32_t> bounded{{{2, 0}}, {4, 5}};
        // The first execution, the next (described, bound by type) and text results.
        for (int i = 0; i < 3; ++i) {
            pgasio::result r;
            if (i < 2)
                r = co_await conn.async_query(sql);
            else
                r = co_await conn.async_query(sql, pgasio::with_text_results());
            CHECK(r[0].get<ints>(0) == ints{1, std::nullopt, 3});
            CHECK(r[0].get<std::vector<std::int64_t>>(1) == std::vector<std::int64_t>{4, 5});
            CHECK(r[0].get<pgasio::protocol::array<std::int32_t>>(1) == bounded);
            if (i == 2) CHECK(r[0].get<std::string>(0) == "{1,NULL,3}");
            const auto v = r[0].get<pgasio::value>(1);
            CHECK(fmt::format("{}", v) == "[0:1]={4,5}");
            // Sent back as it was read.
            auto back = co_await conn.async_query("SELECT $1::" + s + ".posint[]::text", v);
            CHECK(back[0].get<std::string>(0) == "[0:1]={4,5}");
        }
        // As parameters, checked by the server: into a column, and cast.
        const std::vector<std::int32_t> good{7, 8};
        co_await conn.async_execute("INSERT INTO " + s + ".t VALUES ($1)", good);
        auto stored = co_await conn.async_query("SELECT a::text FROM " + s + ".t");
        CHECK(stored[0].get<std::string>(0) == "{7,8}");
        auto cast = co_await conn.async_query("SELECT $1::" + s + ".posint[]", good);
        CHECK(cast[0].get<std::vector<std::int32_t>>(0) == good);
        const std::vector<std::int32_t> negative{1, -1};
        auto [ec, bad] =
            co_await conn.async_query("SELECT $1::" + s + ".posint[]", negative, nothrow);
        CHECK(ec == pgasio::sqlstate::check_violation);
        co_await drop_schema(conn, s);
        co_await conn.async_close();
    });
}

TEST_CASE("user types: types altered while a connection has them loaded") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string s = co_await make_schema(conn, "altered");
        co_await conn.async_simple_query("CREATE TYPE " + s + ".grows AS (n int4); CREATE TYPE " +
                                         s + ".mood AS ENUM ('sad', 'ok', 'happy'); CREATE TABLE " +
                                         s + ".t (v " + s + ".grows); INSERT INTO " + s +
                                         ".t VALUES (ROW(1))");
        co_await conn.async_load_types(s + ".grows", s + ".mood");
        // Read from a column, not cast from ROW(1): that cast fails once the type has two
        // attributes, or not, as the server happens to keep or replan the cached statement.
        const std::string sql = "SELECT v FROM " + s + ".t";
        using one = std::tuple<std::int32_t>;
        using two = std::tuple<std::int32_t, std::optional<std::string>>;
        auto before = co_await conn.async_query(sql);
        CHECK(before[0].get<one>(0) == one{1});
        co_await conn.async_simple_query("ALTER TYPE " + s + ".grows ADD ATTRIBUTE label text");
        auto after = co_await conn.async_query(sql);
        // The value no longer has the loaded layout: named, and marked for the next load.
        CHECK_THROWS_WITH(after[0].get<two>(0),
                          Catch::Contains(s + ".grows") && Catch::Contains("changed"));
        co_await conn.async_load_types();
        CHECK(conn.types()->find(s + ".grows")->attributes.size() == 2);
        auto reloaded = co_await conn.async_query(sql);
        CHECK(reloaded[0].get<two>(0) == two{1, std::nullopt});
        CHECK_THROWS_AS(reloaded[0].get<one>(0), pgasio::error);
        // A label added to an enum: read as it comes; the C++ enum lacking it says so.
        co_await conn.async_simple_query("ALTER TYPE " + s + ".mood ADD VALUE 'meh'");
        auto meh = co_await conn.async_query("SELECT 'meh'::" + s + ".mood");
        CHECK(meh[0].get<std::string>(0) == "meh");
        CHECK_THROWS_WITH(meh[0].get<it_mood>(0), Catch::Contains("\"meh\""));
        co_await drop_schema(conn, s);
        co_await conn.async_close();
    });
}

TEST_CASE("user types: a parameter the server refuses after its type changed marks the type "
          "for reloading") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string s = co_await make_schema(conn, "refused");
        co_await conn.async_simple_query("CREATE TYPE " + s + ".pair AS (n int4, s text)");
        conn.types()->register_type<it_counted>(s + ".pair");
        co_await conn.async_load_types();
        const it_counted one{1, "a"};
        auto before = co_await conn.async_query("SELECT $1::" + s + ".pair::text", one);
        CHECK(before[0].get<std::string>(0) == "(1,a)");
        // Dropped and made again, the type has a new OID: the server no longer knows the one
        // the parameter is sent as.
        co_await conn.async_simple_query("DROP TYPE " + s + ".pair; CREATE TYPE " + s +
                                         ".pair AS (n int4, s text)");
        CHECK(conn.types()->pending_names().empty());
        auto [gone, unknown] =
            co_await conn.async_query("SELECT $1::" + s + ".pair::text", one, nothrow);
        CHECK(gone == pgasio::sqlstate::internal_error); // "cache lookup failed for type"
        CHECK(conn.types()->pending_names() == std::vector<std::string>{s + ".pair"});
        co_await conn.async_load_types();
        auto again = co_await conn.async_query("SELECT $1::" + s + ".pair::text", one);
        CHECK(again[0].get<std::string>(0) == "(1,a)");
        // The server's layout changes under the loaded one: record_recv refuses the int4 field.
        co_await conn.async_simple_query("ALTER TYPE " + s + ".pair ALTER ATTRIBUTE n TYPE int8");
        CHECK(conn.types()->pending_names().empty());
        auto [ec, refused] =
            co_await conn.async_query("SELECT $1::" + s + ".pair::text", one, nothrow);
        CHECK(ec == pgasio::sqlstate::datatype_mismatch);
        CHECK(conn.types()->pending_names() == std::vector<std::string>{s + ".pair"});
        // The next load takes the new layout.
        co_await conn.async_load_types();
        CHECK(conn.types()->pending_names().empty());
        const auto pair = conn.types()->find(s + ".pair");
        REQUIRE(pair);
        REQUIRE(pair->attributes.size() == 2);
        CHECK(pair->attributes[0].type_oid == pgasio::protocol::oids::int8);
        // A refusal that says nothing of the types marks nothing.
        auto [other, none] =
            co_await conn.async_query("SELECT $1::int4 / 0", std::int32_t{1}, nothrow);
        CHECK(other == pgasio::sqlstate::division_by_zero);
        CHECK(conn.types()->pending_names().empty());
        co_await drop_schema(conn, s);
        co_await conn.async_close();
    });
}

TEST_CASE("user types: parameters of batches, binary COPY rows and simple-protocol queries") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        const std::string s = co_await make_schema(conn, "paths");
        co_await conn.async_simple_query("CREATE TYPE " + s + ".pair AS (n int4, s text); " +
                                         "CREATE TYPE " + s + ".mood AS ENUM ('sad', 'ok', " +
                                         "'happy'); CREATE TABLE " + s + ".t (p " + s +
                                         ".pair, m " + s + ".mood[])");
        conn.types()->register_type<it_counted>(s + ".pair");
        conn.types()->register_type<it_mood>(s + ".mood");
        co_await conn.async_load_types();
        using moods = std::vector<std::optional<it_mood>>;
        const std::string insert = "INSERT INTO " + s + ".t VALUES ($1, $2)";
        const it_counted one{1, "a b"}, two{2, "c"}, three{3, "d,e"};
        const moods happy{it_mood::happy, std::nullopt}, sad{it_mood::sad}, ok{it_mood::ok};
        // A batch encodes its parameters when they are added, with the registry it was given.
        pgasio::batch b(conn.types());
        REQUIRE_FALSE(b.add(insert, one, happy));
        auto done = co_await conn.async_execute_batch(std::move(b));
        CHECK(done.ok());
        // Without one, a registered composite has no OID to be sent with: refused, not sent.
        pgasio::batch plain;
        CHECK(plain.add(insert, one, happy) == pgasio::client_errc::unknown_type);
        CHECK(plain.empty());
        // A binary COPY row: the registry of the connection that described the columns.
        const std::vector<std::string> columns{"p", "m"};
        co_await conn.async_execute("SET search_path = " + s);
        auto w = co_await conn.async_copy_in_rows("t", columns);
        w.write_row(two, sad);
        const std::uint64_t copied = co_await w.async_finish();
        CHECK(copied == 1);
        // Written into the SQL as literals.
        co_await conn.async_execute(
            insert, three, ok, pgasio::with_exec_mode(pgasio::query_exec_mode::simple_protocol));
        auto r =
            co_await conn.async_query("SELECT p::text, m::text FROM " + s + ".t ORDER BY (p).n");
        REQUIRE(r.size() == 3);
        CHECK(r[0].get<std::string>(0) == "(1,\"a b\")");
        CHECK(r[0].get<std::string>(1) == "{happy,NULL}");
        CHECK(r[1].get<std::string>(0) == "(2,c)");
        CHECK(r[1].get<std::string>(1) == "{sad}");
        CHECK(r[2].get<std::string>(0) == "(3,\"d,e\")");
        CHECK(r[2].get<std::string>(1) == "{ok}");
        co_await drop_schema(conn, s);
        co_await conn.async_close();
    });
}

TEST_CASE("user types: hstore, found by name, binary both directions") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        // contrib's hstore (postgresql-contrib); several test processes may race to create it.
        co_await as_admin("DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS hstore; "
                          "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
        co_await conn.async_load_types("hstore");
        const std::string literal = R"('a=>1, b=>NULL, "k q"=>"v\"w"'::hstore)";
        const pgasio::hstore h{{{"a", "1"}, {"b", std::nullopt}, {"k q", "v\"w"}}};
        const std::vector<std::optional<pgasio::hstore>> two{h, std::nullopt};
        auto r = co_await conn.async_query("SELECT " + literal + ", (" + literal +
                                           ")::text, hstore_send(" + literal + "), ARRAY[" +
                                           literal + ", NULL]");
        CHECK(r[0].get<pgasio::hstore>(0) == h);
        CHECK(r[0].get<std::string>(1) == R"("a"=>"1", "b"=>NULL, "k q"=>"v\"w")");
        // The server's bytes are exactly ours.
        pgasio::protocol::write_buffer out;
        REQUIRE_FALSE(pgasio::protocol::types::codec<pgasio::hstore>::encode_binary(out, h));
        const auto sent = r[0].get<std::vector<std::byte>>(2);
        CHECK(std::vector<std::byte>(out.data().begin(), out.data().end()) == sent);
        CHECK(r[0].get<std::vector<std::optional<pgasio::hstore>>>(3) == two);
        // As a parameter, and text results.
        auto p = co_await conn.async_query("SELECT $1::hstore = " + literal + ", $1::hstore", h);
        CHECK(p[0].get<bool>(0));
        CHECK(p[0].get<pgasio::hstore>(1) == h);
        auto t = co_await conn.async_query("SELECT " + literal, pgasio::with_text_results());
        CHECK(t[0].get<pgasio::hstore>(0) == h);
        co_await conn.async_close();
    });
}

TEST_CASE("user types: a pool's connections share one registry") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto setup = co_await connect_primary();
        const std::string s = co_await make_schema(setup, "pool");
        co_await setup.async_simple_query("CREATE TYPE " + s + ".mood AS ENUM ('sad', 'ok')");
        auto cfg = pgasio::test::test_config();
        cfg.pool.min_connections = 0;
        cfg.pool.max_connections = 2;
        pgasio::pool pool(ex, cfg);
        auto first = co_await pool.async_acquire();
        auto second = co_await pool.async_acquire();
        CHECK(first->types() == second->types());
        co_await first->async_load_types(s + ".mood");
        auto r = co_await second->async_query("SELECT 'ok'::" + s + ".mood");
        CHECK(r[0].get<it_mood>(0) == it_mood::ok);
        first = {};
        second = {};
        co_await pool.async_close();
        co_await drop_schema(setup, s);
        co_await setup.async_close();
    });
}
