#include <pgasio/sql.hpp>

#include <boost/system/errc.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("sql: validate_identifier accepts plain names and refuses the rest, saying why") {
    CHECK(!pgasio::validate_identifier("users"));
    CHECK(!pgasio::validate_identifier("_private_2"));
    CHECK(!pgasio::validate_identifier(std::string(63, 'a')));
    std::string why;
    CHECK(pgasio::validate_identifier("", &why) == boost::system::errc::invalid_argument);
    CHECK(why == "an identifier cannot be empty");
    CHECK(pgasio::validate_identifier(std::string(64, 'a'), &why));
    CHECK(why == "an identifier has at most 63 characters");
    CHECK(pgasio::validate_identifier("1abc", &why));
    CHECK(why == "an identifier starts with a letter or '_'");
    CHECK(pgasio::validate_identifier("a-b", &why));
    CHECK(pgasio::validate_identifier("drop table x;--", &why));
    CHECK(why == "an identifier holds only letters, digits and '_'");
    CHECK(pgasio::validate_identifier("SeLeCt", &why));
    CHECK(why == "\"SeLeCt\" is a reserved key word");
    CHECK(pgasio::validate_identifier("user"));
    CHECK(pgasio::validate_identifier("where"));
    CHECK(!pgasio::validate_identifier("name")); // non-reserved key words are fine
}

TEST_CASE("sql: quoting identifiers and literals") {
    CHECK(pgasio::quote_identifier("users") == "\"users\"");
    CHECK(pgasio::quote_identifier("my \"table\"") == "\"my \"\"table\"\"\"");
    CHECK(pgasio::quote_literal("it's") == "'it''s'");
    CHECK(pgasio::quote_literal("a\\b'") == "E'a\\\\b'''");
    CHECK(pgasio::trusted_sql("SELECT 1") == "SELECT 1");
}
