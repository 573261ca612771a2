// Formats pool_options with nothing but <pgasio/pool_options.hpp> included: a header that does not
// bring what its fmt::formatter needs fails to compile or to link here.
#include <pgasio/pool_options.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("format alone: <pgasio/pool_options.hpp> is all it takes to format pool_options") {
    CHECK(fmt::format("{}", pgasio::pool_options{}).starts_with("min_connections=5 "));
}
