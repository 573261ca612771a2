#include <pgasio/error.hpp>
#include <pgasio/observer.hpp>
#include <pgasio/sanitize_sql.hpp>
#include <pgasio/span_attributes.hpp>

#include <catch2/catch.hpp>

using pgasio::sanitize_sql;

TEST_CASE("sanitize_sql: string literals and numbers become ?") {
    CHECK(sanitize_sql("SELECT * FROM t WHERE name = 'bob' AND id > 42") ==
          "SELECT * FROM t WHERE name = ? AND id > ?");
    CHECK(sanitize_sql("SELECT 'it''s', 3.14, .5, 1e-10, 2E+3, 0x1F, 1_000") ==
          "SELECT ?, ?, ?, ?, ?, ?, ?");
    CHECK(sanitize_sql("SELECT -7, x-1, 'a'::text") == "SELECT -?, x-?, ?::text");
    CHECK(sanitize_sql("INSERT INTO t VALUES ('a', 'b')") == "INSERT INTO t VALUES (?, ?)");
}

TEST_CASE("sanitize_sql: E'' strings with backslash escapes, and the other prefixes") {
    // \' does not end an E'' string: the rest of it must not leak.
    CHECK(sanitize_sql(R"(SELECT E'don\'t leak', 1)") == "SELECT ?, ?");
    CHECK(sanitize_sql(R"(SELECT e'\\', 'x')") == "SELECT ?, ?");
    // In a standard string a backslash is an ordinary character: the string ends at the quote.
    CHECK(sanitize_sql(R"(SELECT 'a\', secret)") == "SELECT ?, secret");
    CHECK(sanitize_sql("SELECT B'1010', X'ff', N'national', U&'d\\0061t'") == "SELECT ?, ?, ?, ?");
    CHECK(sanitize_sql("SELECT U&\"d\\0061t\" FROM e") == "SELECT U&\"d\\0061t\" FROM e");
}

TEST_CASE(
    "sanitize_sql: dollar-quoted strings with and without tags become ? and parameters stay") {
    CHECK(sanitize_sql("SELECT $$it's a 'secret'$$, $1") == "SELECT ?, $1");
    CHECK(sanitize_sql("DO $body$ BEGIN RAISE 'x $$ y'; END $body$") == "DO ?");
    CHECK(sanitize_sql("SELECT $a$ $b$ hidden $b$ $a$ || $12") == "SELECT ? || $12");
    CHECK(sanitize_sql("SELECT a$b FROM t") == "SELECT a$b FROM t");
}

TEST_CASE("sanitize_sql: comments are left out, nested block comments too") {
    CHECK(sanitize_sql("SELECT 1 -- password is hunter2\nFROM t") == "SELECT ? FROM t");
    CHECK(sanitize_sql("SELECT /* outer /* inner 'x' */ still */ a FROM t") == "SELECT a FROM t");
    CHECK(sanitize_sql("/* leading */ SELECT a") == "SELECT a");
}

TEST_CASE("sanitize_sql: quoted identifiers and key words are kept as written") {
    CHECK(sanitize_sql(R"(SELECT "Weird ""Name""", "42" FROM "My Table" WHERE x = 'v')") ==
          R"(SELECT "Weird ""Name""", "42" FROM "My Table" WHERE x = ?)");
    CHECK(sanitize_sql("SELECT t1.c2 FROM s3.t1") == "SELECT t1.c2 FROM s3.t1");
    CHECK(sanitize_sql("  SELECT\n\t a ,\n b  ") == "SELECT a , b");
}

TEST_CASE("sanitize_sql: a setting's value is hidden, even as a bare word") {
    // A secret set as a run-time parameter is often written without quotes.
    CHECK(sanitize_sql("SET my.api_key = hunter2") == "SET my.api_key = ?");
    CHECK(sanitize_sql("set session my.token to tok_abcdef") == "set session my.token to ?");
    CHECK(sanitize_sql("SET search_path TO \"Tenant 7\", public") == "SET search_path TO ?, ?");
    CHECK(sanitize_sql("ALTER ROLE app SET my.key = s3cret") == "ALTER ROLE app SET my.key = ?");
    CHECK(sanitize_sql("ALTER SYSTEM SET work_mem TO '64MB'") == "ALTER SYSTEM SET work_mem TO ?");
    // To the end of its statement only; and an UPDATE's SET assigns columns, kept.
    CHECK(sanitize_sql("SET x = a; SELECT b FROM t") == "SET x = ?; SELECT b FROM t");
    CHECK(sanitize_sql("UPDATE t SET a = b WHERE c = d") == "UPDATE t SET a = b WHERE c = d");
    CHECK(sanitize_sql("SET ROLE admin") == "SET ROLE admin");
}

TEST_CASE("sanitize_sql: whatever is not terminated is hidden, never shown") {
    CHECK(sanitize_sql("SELECT 'never closed secret") == "SELECT ?");
    CHECK(sanitize_sql(R"(SELECT E'closed only by escape\')") == "SELECT ?");
    CHECK(sanitize_sql("SELECT \"never closed secret") == "SELECT ?");
    CHECK(sanitize_sql("SELECT $x$ never closed secret") == "SELECT ?");
    CHECK(sanitize_sql("SELECT a /* never closed 'secret'") == "SELECT a");
    CHECK(sanitize_sql("").empty());
}

TEST_CASE("sql_operation_name: the first key word in upper case") {
    CHECK(pgasio::sql_operation_name("  -- c\n select 1") == "SELECT");
    CHECK(pgasio::sql_operation_name("insert into t values (1)") == "INSERT");
    CHECK(pgasio::sql_operation_name("(SELECT 1)").empty());
}

TEST_CASE("observer: error_type and sqlstate_of name errors without their text") {
    using pgasio::error_type;
    using pgasio::sqlstate_of;
    const auto unique = pgasio::protocol::make_sqlstate_error("23505");
    CHECK(error_type(unique) == "23");
    CHECK(sqlstate_of(unique) == "23505");
    const boost::system::error_code client = pgasio::client_errc::not_connected;
    CHECK(error_type(client) ==
          "pgasio.client:" + std::to_string(static_cast<int>(pgasio::client_errc::not_connected)));
    CHECK(sqlstate_of(client).empty());
    CHECK(error_type({}).empty());
}

TEST_CASE("span attributes: OpenTelemetry's names, the query text sanitized") {
    pgasio::operation_info op;
    op.database = "shop";
    op.server_address = "db1";
    op.server_port = 5432;
    op.unsanitized_sql = "select * from users where email = 'bob@example.com'";
    CHECK(pgasio::span_name(op) == "SELECT");
    const auto start = pgasio::span_start_attributes(op);
    auto find = [&](const std::vector<pgasio::span_attribute>& all, std::string_view key) {
        for (const auto& a : all)
            if (a.key == key) return a.value;
        FAIL("no attribute " << key);
        return std::variant<std::string, std::int64_t>{};
    };
    CHECK(std::get<std::string>(find(start, "db.system.name")) == "postgresql");
    CHECK(std::get<std::string>(find(start, "db.namespace")) == "shop");
    CHECK(std::get<std::string>(find(start, "db.operation.name")) == "SELECT");
    CHECK(std::get<std::string>(find(start, "db.query.text")) ==
          "select * from users where email = ?");
    CHECK(std::get<std::string>(find(start, "server.address")) == "db1");
    CHECK(std::get<std::int64_t>(find(start, "server.port")) == 5432);

    pgasio::operation_result r;
    r.ec = pgasio::protocol::make_sqlstate_error("42P01");
    const auto end = pgasio::span_end_attributes(r);
    CHECK(std::get<std::string>(find(end, "db.response.status_code")) == "42P01");
    CHECK(std::get<std::string>(find(end, "error.type")) == "42P01");
    CHECK(std::get<std::int64_t>(find(end, "db.response.returned_rows")) == 0);
}
