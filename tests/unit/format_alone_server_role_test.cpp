// Formats a server_role with nothing but <pgasio/server_role.hpp> included: a header that does not
// bring what its fmt::formatter needs fails to compile or to link here.
#include <pgasio/server_role.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("format alone: <pgasio/server_role.hpp> is all it takes to format a server_role") {
    CHECK(fmt::format("{:<8}|", pgasio::server_role::primary) == "primary |");
}
