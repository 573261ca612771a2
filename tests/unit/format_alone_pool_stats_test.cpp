// Formats pool_stats with nothing but <pgasio/pool_stats.hpp> included: a header that does not
// bring what its fmt::formatter needs fails to compile or to link here.
#include <pgasio/pool_stats.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("format alone: <pgasio/pool_stats.hpp> is all it takes to format pool_stats") {
    CHECK(fmt::format("{}", pgasio::pool_stats{}).starts_with("open=0 "));
}
