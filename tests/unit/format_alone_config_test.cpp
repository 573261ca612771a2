// Formats a config with nothing but <pgasio/config.hpp> included: a header that does not
// bring what its fmt::formatter needs fails to compile or to link here.
#include <pgasio/config.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("format alone: <pgasio/config.hpp> is all it takes to format a config") {
    pgasio::config cfg;
    cfg.hosts = {pgasio::host_spec{"db", "", 5432}};
    cfg.replicas = {pgasio::host_spec{"db2", "", 5433}};
    cfg.password = pgasio::secret_string("hunter2");
    const std::string text = fmt::format("{}", cfg);
    CHECK(text.find("host=db port=5432") != std::string::npos);
    CHECK(text.find("(replicas: db2:5433)") != std::string::npos);
    CHECK(text.find("hunter2") == std::string::npos);
}
