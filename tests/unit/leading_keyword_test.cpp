#include <pgasio/detail/leading_keyword.hpp>

#include <catch2/catch.hpp>

using pgasio::detail::is_copy;
using pgasio::detail::leading_keyword;

TEST_CASE("leading_keyword: skips white space and comments, nested ones included") {
    CHECK(leading_keyword("SELECT 1") == "SELECT");
    CHECK(leading_keyword("  \n\tcopy t FROM STDIN") == "copy");
    CHECK(leading_keyword("-- a comment\nCOPY t TO STDOUT") == "COPY");
    CHECK(leading_keyword("/* outer /* inner */ still comment */ Copy t") == "Copy");
    CHECK(leading_keyword("(SELECT 1)").empty());
    CHECK(leading_keyword("/* never closed COPY").empty());
    CHECK(leading_keyword("-- only a comment").empty());
    CHECK(leading_keyword("").empty());
}

TEST_CASE("leading_keyword: is_copy finds COPY in any case and nothing else") {
    CHECK(is_copy("COPY t FROM STDIN"));
    CHECK(is_copy("/* x */ copy (SELECT 1) TO STDOUT"));
    CHECK(!is_copy("COPYING"));
    CHECK(!is_copy("SELECT 'COPY'"));
    CHECK(!is_copy("copy_rows()"));
    CHECK(!is_copy("-- COPY\nSELECT 1"));
}

TEST_CASE("leading_keyword: COPY, BEGIN and START TRANSACTION run alone") {
    using pgasio::detail::runs_alone;
    CHECK(runs_alone("copy t to stdout"));
    CHECK(runs_alone("BEGIN"));
    CHECK(runs_alone(" begin isolation level serializable"));
    CHECK(runs_alone("START TRANSACTION READ ONLY"));
    CHECK(!runs_alone("SELECT 1"));
    CHECK(!runs_alone("COMMIT"));
    CHECK(!runs_alone("beginning()"));
}
