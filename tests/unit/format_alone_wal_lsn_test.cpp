// Formats a wal_lsn with nothing but <pgasio/wal_lsn.hpp> included: a header that does not
// bring what its fmt::formatter needs fails to compile or to link here.
#include <pgasio/wal_lsn.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("format alone: <pgasio/wal_lsn.hpp> is all it takes to format a wal_lsn") {
    CHECK(fmt::format("{}", pgasio::wal_lsn::parse("16/B374D848").value()) == "16/B374D848");
}
