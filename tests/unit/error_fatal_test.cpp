#include <pgasio/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/system/errc.hpp>

#include <catch2/catch.hpp>

#include <cerrno>

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
    CHECK(is_fatal(client_errc::unknown_message_type));
    CHECK(is_fatal(client_errc::connection_closed));
    CHECK(is_fatal(client_errc::not_connected));
    CHECK(is_fatal(client_errc::scram_server_signature_mismatch));
    CHECK(is_fatal(boost::asio::error::connection_reset));
    CHECK(is_fatal(boost::asio::error::eof));
}

TEST_CASE("is_fatal: a refused login is fatal, a misuse of the API is not") {
    // The server ends the session after an authentication failure.
    CHECK(is_fatal(sqlstate::invalid_password));
    CHECK(is_fatal(sqlstate::invalid_authorization_specification));
    // A column name or index not in the row: the connection was never involved.
    CHECK(!is_fatal(make_error_code(boost::system::errc::invalid_argument)));
    // A socket's EINVAL is not pgasio's misuse error.
    CHECK(is_fatal(boost::system::error_code(EINVAL, boost::system::system_category())));
}

TEST_CASE("is_fatal: a result too large is not fatal, a message too large is") {
    CHECK(!is_fatal(client_errc::result_too_large));
    CHECK(is_fatal(client_errc::message_too_large));
}

TEST_CASE("is_retryable: serialization failures and deadlocks only, never an in-doubt COMMIT") {
    CHECK(pgasio::is_retryable(sqlstate::serialization_failure));
    CHECK(pgasio::is_retryable(sqlstate::deadlock_detected));
    CHECK(!pgasio::is_retryable({}));
    CHECK(!pgasio::is_retryable(sqlstate::unique_violation));
    CHECK(!pgasio::is_retryable(sqlstate::read_only_sql_transaction));
    CHECK(!pgasio::is_retryable(client_errc::commit_in_doubt));
    CHECK(!pgasio::is_retryable(client_errc::transaction_rolled_back));
    CHECK(!pgasio::is_retryable(client_errc::connection_closed));
    // A failed transaction leaves its connection usable; an in-doubt COMMIT lost it.
    CHECK(!is_fatal(client_errc::transaction_rolled_back));
    CHECK(!is_fatal(client_errc::savepoint_ended));
    CHECK(!is_fatal(client_errc::invalid_savepoint_name));
    CHECK(is_fatal(client_errc::commit_in_doubt));
}

TEST_CASE("is_fatal: 08P01 is an ERROR the session survives, unlike the rest of class 08") {
    // "bind message supplies 1 parameters, but prepared statement requires 2" comes as an
    // ErrorResponse of severity ERROR followed by ReadyForQuery. (When the server ends the
    // session with a FATAL 08P01, the caller gets connection_closed: see the fake server test.)
    CHECK(!is_fatal(sqlstate::protocol_violation));
    CHECK(is_fatal(sqlstate::connection_exception));
    CHECK(is_fatal(sqlstate::connection_does_not_exist));
    CHECK(is_fatal(sqlstate::crash_shutdown));
}

TEST_CASE("format_error says each thing once") {
    pgasio::diagnostics d;
    // An explanation that repeats the code's text, or already holds it, is shown alone.
    d.message = "the connection is not open";
    CHECK(pgasio::format_error(client_errc::not_connected, d) == "the connection is not open");
    d.message = "malformed DataRow from the server: " +
                pgasio::error_code(client_errc::truncated_message).message();
    CHECK(pgasio::format_error(client_errc::truncated_message, d) == d.message);
    // One that the code's text holds is not shown.
    d.message = "the pool is closing or closed";
    CHECK(pgasio::format_error(client_errc::pool_closed, d) ==
          pgasio::error_code(client_errc::pool_closed).message());
    // Otherwise the code's text leads, then the explanation, DETAIL and HINT.
    d.message = "it was never connected, or was closed";
    d.hint = "connect first";
    CHECK(pgasio::format_error(client_errc::not_connected, d) ==
          "the connection is not open: it was never connected, or was closed\nHINT: connect "
          "first");
    pgasio::diagnostics server;
    server.message = "division by zero";
    CHECK(pgasio::format_error(sqlstate::division_by_zero, server) ==
          "22012 division_by_zero: division by zero");
    // The position the server points at follows its message.
    server.message = "syntax error at or near \"SELEC\"";
    server.position = 8;
    server.hint = "check the spelling";
    CHECK(pgasio::format_error(sqlstate::syntax_error, server) ==
          "42601 syntax_error: syntax error at or near \"SELEC\" (at character 8)\nHINT: check "
          "the spelling");
}
