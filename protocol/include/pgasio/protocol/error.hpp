// Client-side error codes: everything pgasio itself detects, as opposed to errors the server
// reports (those carry a SQLSTATE, see sqlstate.hpp).
#pragma once

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/is_error_code_enum.hpp>

namespace pgasio::protocol {

/// Errors detected by pgasio on the client side.
///
/// Each value's message (`make_error_code(e).message()`) says what was wrong in words a user can
/// act on. Values are grouped by the layer that reports them; the numeric values are stable.
enum class client_errc : int {
    // Framing and message decoding (the byte stream from the server cannot be trusted any more).
    message_too_large = 1,      ///< a message's announced length exceeds the configured maximum
    invalid_message_length,     ///< a message length below 4, or one that contradicts its type
    unknown_message_type,       ///< a backend message type byte pgasio does not know
    truncated_message,          ///< a field runs past the end of its message
    missing_terminator,         ///< a string field without its terminating NUL byte
    trailing_bytes,             ///< bytes left over in a message after its last field
    invalid_field_value,        ///< a field holds a value the protocol does not allow
    unexpected_message,         ///< a valid message that is not allowed at this point of the flow
    unsupported_authentication, ///< the server asked for an authentication method pgasio lacks
    invalid_ssl_response,       ///< the reply to SSLRequest/GSSENCRequest was neither 'S' nor 'N'

    // Encoding requests (bad input from the caller; nothing was sent).
    embedded_nul = 100,       ///< a string that the protocol NUL-terminates contains a NUL byte
    too_many_parameters,      ///< more than 65535 parameters, or more formats than parameters
    parameter_count_mismatch, ///< the number of parameters written differs from the number
                              ///< announced
    message_too_long,         ///< the message would exceed the protocol's 1 GiB length limit
    invalid_protocol_version, ///< a protocol version other than 3.0 or 3.2

    // Authentication (SCRAM, MD5, channel binding).
    scram_invalid_server_first = 200,  ///< server-first-message malformed
    scram_nonce_mismatch,              ///< server nonce does not extend the client nonce
    scram_invalid_iteration_count,     ///< iteration count missing, zero or not a number
    scram_iteration_count_too_high,    ///< iteration count above the configured bound
    scram_invalid_salt,                ///< salt missing or not valid base64
    scram_invalid_server_final,        ///< server-final-message malformed
    scram_server_signature_mismatch,   ///< the server did not prove it knows the password
    scram_server_error,                ///< server-final-message carried `e=<error>`
    scram_unexpected_step,             ///< a SCRAM step arrived out of order
    scram_no_supported_mechanism,      ///< the server offered no SASL mechanism pgasio supports
    scram_channel_binding_unavailable, ///< channel binding required but impossible (no TLS/PLUS)
    authentication_incomplete,         ///< AuthenticationOk before our exchange had finished
    password_required,                 ///< the server asked for a password and none was given
    authentication_method_refused,     ///< the server's method is one the configuration refuses
    channel_binding_unsupported_certificate, ///< server certificate unparsable or without a digest
    crypto_failure, ///< OpenSSL failed (no randomness, or a digest unavailable)

    // Connections and sessions (transport, TLS, host selection).
    connect_timeout = 400,       ///< a connection attempt exceeded connect_timeout
    tls_not_supported_by_server, ///< TLS is required, but the server refused the SSLRequest
    tls_plaintext_injection,     ///< bytes arrived after the server's 'S', before TLS started
    tls_alpn_mismatch,           ///< direct TLS, but the server did not negotiate "postgresql"
    insecure_key_file,           ///< a client key file readable by group or others
    session_attrs_mismatch,      ///< no host had the target_session_attrs asked for
    connection_closed,           ///< the server closed the connection
    not_connected,               ///< the connection is not open
    query_timeout,               ///< a query exceeded its timeout (it was cancelled)
    unexpected_row_count,        ///< query_one without exactly one row, query_opt with several
    result_too_large,            ///< a result passes 2 GiB of values (its rows are drained)
    statement_not_prepared,      ///< an empty statement handle, or one from another session
    already_connected,           ///< async_connect on a connection that is open
    copy_needs_copy_api,         ///< COPY through a query operation (refused, nothing copied)
    cancel_timeout,              ///< the server did not answer a cancel in time (session closed)
    transaction_needs_lease,  ///< a transaction block opened on a shared connection (rolled back)
    lease_ended,              ///< an operation on an exclusive lease already released
    cursor_needs_transaction, ///< a portal cursor opened outside a transaction block
    cursor_closed,            ///< an operation on a cursor already closed
    copy_ended,               ///< an operation on a COPY already finished or aborted
    copy_not_started,         ///< the statement of a COPY operation started no such COPY
    transaction_rolled_back,  ///< a COMMIT that rolled the transaction back (it had failed)
    commit_in_doubt,          ///< the connection was lost during COMMIT: outcome unknown
    invalid_savepoint_name,   ///< a savepoint name that cannot be used (empty, too long, taken)
    savepoint_ended,          ///< an operation on a savepoint released or rolled back past
    invalid_copy_data,   ///< binary COPY data is malformed (signature, field count, field length)
    description_changed, ///< rows no longer match a cached description (cache_describe mode)
    several_statements,  ///< a query sent as simple_protocol held more than one statement
    pool_timeout,        ///< no pooled connection became available within acquire_timeout
    pool_closed,         ///< an operation on a pool that is closing or closed
    no_primary,          ///< no member of a cluster is a primary (writes cannot go anywhere)
    no_replica,          ///< no replica qualifies for a read, and falling back is not allowed
    replay_mismatch,     ///< a replayed session sent what its recording does not hold (closed)

    // Type codecs (a value could not be encoded or decoded).
    unexpected_null = 300, ///< NULL where the target type cannot hold it
    invalid_binary_length, ///< a binary value whose length does not fit its type
    invalid_text_value,    ///< a text value that does not parse as its type
    value_out_of_range,    ///< a value that does not fit the target type
    invalid_array,         ///< array header inconsistent (dimensions, bounds, element count)
    invalid_range,         ///< range flags or bounds inconsistent
    invalid_numeric,       ///< numeric digits, weight, sign or scale out of their domain
    type_mismatch,         ///< the value's type OID is not one the target C++ type accepts
    unsupported_version,   ///< a versioned binary format (e.g. jsonb) with an unknown version
    unknown_type,          ///< a user-defined type that is not loaded, or the server lacks
    type_changed,          ///< a value of a user-defined type no longer has its loaded layout
};

/// The category of client_errc values: name "pgasio.client".
const boost::system::error_category& client_category() noexcept;

/// Makes an error_code from a client_errc (found by argument-dependent lookup).
inline boost::system::error_code make_error_code(client_errc e) noexcept {
    return {static_cast<int>(e), client_category()};
}

} // namespace pgasio::protocol

template <>
struct boost::system::is_error_code_enum<pgasio::protocol::client_errc> : std::true_type {};
