#include <pgasio/protocol/diagnostics.hpp>
#include <pgasio/protocol/sqlstate_category.hpp>

#include "support/bytes.hpp"
#include "support/seed_corpus.hpp"

#include <catch2/catch.hpp>

using namespace std::literals;
using namespace pgasio::protocol;
using pgasio::test::to_bytes;

TEST_CASE("diagnostics: every documented field is kept, unknown ones ignored") {
    const auto body =
        to_bytes("SERROR\0VERROR\0C23505\0Mduplicate key\0DKey (id)=(1) exists.\0"
                 "Hpick another\0P7\0p3\0qSELECT 1\0Win a function\0spublic\0tusers\0"
                 "cid\0dint4\0nusers_pkey\0Fnbtinsert.c\0L664\0R_bt_check\0Zzzz\0\0"sv);
    pgasio::test::record_seed("fuzz_error_fields", body);
    const auto fields = decode_error_fields(body);
    REQUIRE(fields.has_value());
    const auto d = diagnostics::from_fields(*fields);
    CHECK(d.severity == "ERROR");
    CHECK(d.severity_nonlocalized == "ERROR");
    CHECK(d.sqlstate == "23505");
    CHECK(d.message == "duplicate key");
    CHECK(d.detail == "Key (id)=(1) exists.");
    CHECK(d.hint == "pick another");
    CHECK(d.position == 7u);
    CHECK(d.internal_position == 3u);
    CHECK(d.internal_query == "SELECT 1");
    CHECK(d.where == "in a function");
    CHECK(d.schema_name == "public");
    CHECK(d.table_name == "users");
    CHECK(d.column_name == "id");
    CHECK(d.data_type_name == "int4");
    CHECK(d.constraint_name == "users_pkey");
    CHECK(d.source_file == "nbtinsert.c");
    CHECK(d.source_line == "664");
    CHECK(d.source_routine == "_bt_check");
    CHECK(d.code() == sqlstate::unique_violation);
    CHECK(!d.is_fatal());
    CHECK(d.to_string() ==
          "ERROR 23505: duplicate key\nDETAIL: Key (id)=(1) exists.\nHINT: pick another\n"
          "WHERE: in a function");
}

TEST_CASE("diagnostics: fatal severities and a malformed position") {
    const auto body = to_bytes("SFATAL\0C57P01\0Mterminating connection\0Pabc\0\0"sv);
    const auto d = diagnostics::from_fields(*decode_error_fields(body));
    CHECK(d.is_fatal());
    CHECK(!d.position);
    CHECK(d.code() == sqlstate::admin_shutdown);
    CHECK(d.to_string() == "FATAL 57P01: terminating connection");
}

TEST_CASE("sqlstate: codes map to named error_codes and back") {
    boost::system::error_code ec = sqlstate::serialization_failure;
    CHECK(std::string(ec.category().name()) == "pgasio.sqlstate");
    CHECK(ec.message() == "40001 serialization_failure");
    CHECK(make_sqlstate_error("40001") == sqlstate::serialization_failure);
    CHECK(make_sqlstate_error("40P01") == sqlstate::deadlock_detected);
    CHECK(sqlstate_condition_name("40P01") == "deadlock_detected");
    CHECK(sqlstate_condition_name("2202E") == "array_subscript_error");
    // A code newer than this table still gets its own value and a readable message.
    const auto future = make_sqlstate_error("ZZ999");
    CHECK(future.message() == "ZZ999 (unknown condition)");
    CHECK(future != make_sqlstate_error("ZZ998"));
    // Malformed codes become internal_error rather than a silent success.
    CHECK(make_sqlstate_error("bad") == sqlstate::internal_error);
    CHECK(make_sqlstate_error("4000a") == sqlstate::internal_error);
    CHECK(sqlstate_class("23505") == "23");
}

TEST_CASE("sqlstate: warnings are not failures, errors are") {
    CHECK(!make_sqlstate_error("00000").failed());
    CHECK(!make_sqlstate_error("01000").failed());
    CHECK(!make_sqlstate_error("02000").failed());
    CHECK(make_sqlstate_error("03000").failed());
    CHECK(make_sqlstate_error("42601").failed());
}
