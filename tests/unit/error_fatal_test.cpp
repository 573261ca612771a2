#include <pgasio/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <catch2/catch.hpp>

using pgasio::client_errc;
using pgasio::is_fatal;
using pgasio::sqlstate;

TEST_CASE("is_fatal: SQL errors and refused requests keep the connection, broken streams do not") {
    CHECK(!is_fatal({}));
    CHECK(!is_fatal(sqlstate::unique_violation));
    CHECK(!is_fatal(sqlstate::syntax_error));
    CHECK(!is_fatal(sqlstate::query_canceled));
    CHECK(!is_fatal(client_errc::query_timeout));
    CHECK(!is_fatal(client_errc::type_mismatch));
    CHECK(!is_fatal(client_errc::parameter_count_mismatch));
    CHECK(!is_fatal(client_errc::embedded_nul));
    CHECK(!is_fatal(boost::asio::error::operation_aborted));

    CHECK(is_fatal(sqlstate::admin_shutdown));
    CHECK(is_fatal(sqlstate::connection_failure));
    CHECK(is_fatal(sqlstate::protocol_violation));
    CHECK(is_fatal(client_errc::unknown_message_type));
    CHECK(is_fatal(client_errc::connection_closed));
    CHECK(is_fatal(client_errc::not_connected));
    CHECK(is_fatal(client_errc::scram_server_signature_mismatch));
    CHECK(is_fatal(boost::asio::error::connection_reset));
    CHECK(is_fatal(boost::asio::error::eof));
}

TEST_CASE("is_fatal: a result too large is not fatal, a message too large is") {
    CHECK(!is_fatal(client_errc::result_too_large));
    CHECK(is_fatal(client_errc::message_too_large));
}
