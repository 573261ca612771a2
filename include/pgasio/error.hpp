// pgasio's error model: error codes, the server's diagnostics, and the exception that carries both.
#pragma once

#include <pgasio/protocol/diagnostics.hpp>
#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/sqlstate_category.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string>

namespace pgasio {

using boost::system::error_code;
using protocol::client_category;
using protocol::client_errc;
using protocol::diagnostics;
using protocol::sqlstate;
using protocol::sqlstate_category;

/// The text an error shows: the SQLSTATE and condition name or the client error, then the
/// server's (or pgasio's) message with the position in the query it points at, if any, DETAIL
/// and HINT. Never contains a password.
///
/// e.g. "23505 unique_violation: duplicate key value violates unique constraint \"t_pkey\"\n
///       DETAIL: Key (id)=(1) already exists."
std::string format_error(const error_code& ec, const diagnostics& diag);

/// Whether a connection that failed with `ec` is gone (true) or still usable (false). Fatal:
/// malformed or unexpected messages from the server (the stream cannot be trusted), a closed or
/// failed socket, TLS and authentication failures, and server errors of class 08 (connection
/// exception), 28 (invalid authorization) or 57P (shutdown, crash, cannot connect now). Not
/// fatal: SQL errors, a cancelled or timed-out query, parameters that could not be encoded,
/// values that could not be decoded, a wrong row count, a misuse of the API that reached no
/// connection (boost::system::errc::invalid_argument: a column name or index not in the row, an
/// argument out of range), and 08P01 protocol_violation: the server reports it as an ERROR after
/// which the session goes on (e.g. "bind message supplies 1 parameters, but prepared statement
/// requires 2"). Whenever the server ends the session with an error whose SQLSTATE it also
/// uses for errors the session survives (a FATAL 08P01 or 25P03), the caller gets
/// client_errc::connection_closed with the server's diagnostics instead, so that this function
/// holds. A pool uses it to decide whether a connection goes back.
bool is_fatal(const error_code& ec) noexcept;

/// Whether a transaction that failed with `ec` may succeed if run again from the start: true
/// for the server's 40001 serialization_failure and 40P01 deadlock_detected, which say the
/// transaction lost a conflict with a concurrent one and was rolled back. async_transaction
/// retries exactly these. False for everything else, client_errc::commit_in_doubt included (the
/// transaction may have committed: running it again could apply it twice).
bool is_retryable(const error_code& ec) noexcept;

/// The exception the default completion token throws: an error_code plus everything the server
/// (or pgasio) said about it. `what()` is format_error(code(), diag()).
///
/// @code
/// try {
///     co_await conn.async_connect(cfg);
/// } catch (const pgasio::error& e) {
///     if (e.code() == pgasio::sqlstate::invalid_password) ...;
///     std::cerr << e.what() << '\n';   // "28P01 invalid_password: password authentication
///     failed..."
/// }
/// @endcode
class error : public boost::system::system_error {
public:
    /// The error `ec` with what the server (or pgasio) said about it.
    error(const error_code& ec, diagnostics diag);
    /// The server's ErrorResponse fields, or pgasio's own message for client-side errors.
    const diagnostics& diag() const noexcept { return diag_; }
    /// format_error(code(), diag()).
    const char* what() const noexcept override { return what_.c_str(); }

private:
    diagnostics diag_;
    std::string what_;
};

} // namespace pgasio
