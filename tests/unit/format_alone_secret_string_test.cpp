// Formats a secret_string with nothing but <pgasio/secret_string.hpp> included: a header that does
// not bring what its fmt::formatter needs fails to compile or to link here.
#include <pgasio/secret_string.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("format alone: <pgasio/secret_string.hpp> is all it takes to format a secret_string") {
    CHECK(fmt::format("{:>12}", pgasio::secret_string("hunter2")) ==
          fmt::format("{:>12}", pgasio::redacted_text));
}
