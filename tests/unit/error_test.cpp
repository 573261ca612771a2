#include <pgasio/protocol/error.hpp>

#include <catch2/catch.hpp>

using pgasio::protocol::client_errc;

TEST_CASE("client errors have their own category and a message per value") {
    boost::system::error_code ec = client_errc::missing_terminator;
    CHECK(std::string(ec.category().name()) == "pgasio.client");
    CHECK(ec.message() == "message from the server has a string without its NUL terminator");
    CHECK(ec == client_errc::missing_terminator);
    CHECK(ec != client_errc::truncated_message);
    boost::system::error_code unknown(9999, pgasio::protocol::client_category());
    CHECK(unknown.message() == "unknown pgasio client error 9999");
}
