#include <pgasio/protocol/error.hpp>

#include <string>

namespace pgasio::protocol {
namespace {

const char* describe(client_errc e) noexcept {
    switch (e) {
    case client_errc::message_too_large:
        return "message from the server exceeds the maximum message size";
    case client_errc::invalid_message_length:
        return "message from the server has an invalid length";
    case client_errc::unknown_message_type:
        return "message from the server has an unknown type byte";
    case client_errc::truncated_message:
        return "message from the server is truncated: a field runs past its end";
    case client_errc::missing_terminator:
        return "message from the server has a string without its NUL terminator";
    case client_errc::trailing_bytes:
        return "message from the server has bytes after its last field";
    case client_errc::invalid_field_value:
        return "message from the server has a field value the protocol does not allow";
    case client_errc::unexpected_message:
        return "message from the server is not allowed at this point of the protocol";
    case client_errc::unsupported_authentication:
        return "the server asked for an authentication method pgasio does not support";
    case client_errc::invalid_ssl_response:
        return "the server answered the encryption request with neither 'S' nor 'N'";
    case client_errc::embedded_nul:
        return "a string sent to the server contains a NUL byte";
    case client_errc::too_many_parameters:
        return "too many parameters or parameter formats for one statement (at most 65535)";
    case client_errc::parameter_count_mismatch:
        return "the parameters do not match the statement";
    case client_errc::message_too_long:
        return "the message would exceed the protocol's 1 GiB length limit";
    case client_errc::invalid_protocol_version:
        return "only protocol versions 3.0 and 3.2 are supported";
    case client_errc::scram_invalid_server_first:
        return "SCRAM: the server-first-message is malformed";
    case client_errc::scram_nonce_mismatch:
        return "SCRAM: the server nonce is not the client nonce extended by the server";
    case client_errc::scram_invalid_iteration_count:
        return "SCRAM: the iteration count is missing or invalid";
    case client_errc::scram_iteration_count_too_high:
        return "SCRAM: the iteration count exceeds the configured maximum";
    case client_errc::scram_invalid_salt:
        return "SCRAM: the salt is missing or not valid base64";
    case client_errc::scram_invalid_server_final:
        return "SCRAM: the server-final-message is malformed";
    case client_errc::scram_server_signature_mismatch:
        return "SCRAM: the server signature is wrong (the server could not prove the password)";
    case client_errc::scram_server_error:
        return "SCRAM: the server reported an error in its final message";
    case client_errc::scram_unexpected_step:
        return "SCRAM: an authentication step arrived out of order";
    case client_errc::scram_no_supported_mechanism:
        return "SASL: the server offered no mechanism pgasio supports";
    case client_errc::scram_channel_binding_unavailable:
        return "SCRAM: channel binding is required but not possible on this connection";
    case client_errc::authentication_incomplete:
        return "the server reported authentication success before the exchange was complete";
    case client_errc::password_required:
        return "the server asked for a password but none was configured";
    case client_errc::authentication_method_refused:
        return "the server asked for an authentication method the configuration refuses";
    case client_errc::channel_binding_unsupported_certificate:
        return "channel binding: the server certificate cannot be parsed or its signature "
               "algorithm has no digest to bind with";
    case client_errc::crypto_failure:
        return "a cryptographic operation failed in OpenSSL (random source or digest unavailable)";
    case client_errc::connect_timeout:
        return "the connection attempt timed out (connect_timeout)";
    case client_errc::tls_not_supported_by_server:
        return "TLS is required, but the server does not support it";
    case client_errc::tls_plaintext_injection:
        return "the server sent unencrypted data after accepting TLS (possible man in the middle)";
    case client_errc::tls_alpn_mismatch:
        return "direct TLS: the server did not negotiate the \"postgresql\" ALPN protocol";
    case client_errc::insecure_key_file:
        return "the client key file is readable by group or others (chmod 0600 it)";
    case client_errc::session_attrs_mismatch:
        return "no host matched target_session_attrs";
    case client_errc::connection_closed:
        return "the server closed the connection";
    case client_errc::not_connected:
        return "the connection is not open";
    case client_errc::query_timeout:
        return "the query exceeded its timeout and was cancelled";
    case client_errc::result_too_large:
        return "the result passes 2 GiB of values";
    case client_errc::statement_not_prepared:
        return "the statement is not prepared on this session (an empty handle, or one from "
               "another connection or an earlier session)";
    case client_errc::already_connected:
        return "the connection is already open (close it before connecting again)";
    case client_errc::copy_needs_copy_api:
        return "this operation cannot run that COPY: use async_copy_in (COPY FROM STDIN) or "
               "async_copy_out (COPY TO STDOUT)";
    case client_errc::cancel_timeout:
        return "the server did not answer a cancel request in time; the connection was closed";
    case client_errc::transaction_needs_lease:
        return "a transaction block cannot be opened on a shared connection (other coroutines' "
               "statements would run inside it): it was rolled back; run transactions with "
               "connection::async_begin, or on an exclusive lease";
    case client_errc::lease_ended:
        return "the exclusive lease was released: its operations can no longer run";
    case client_errc::cursor_needs_transaction:
        return "a portal cursor lives in a transaction block, and none was open: run BEGIN on "
               "the lease first (or use a declared cursor WITH HOLD)";
    case client_errc::cursor_closed:
        return "the cursor was closed: it can no longer fetch";
    case client_errc::copy_ended:
        return "the COPY was finished or aborted: it takes no more operations";
    case client_errc::copy_not_started:
        return "the statement did not start the COPY the operation expects (COPY ... FROM STDIN "
               "for async_copy_in, COPY ... TO STDOUT for async_copy_out)";
    case client_errc::transaction_rolled_back:
        return "the transaction was rolled back, not committed (it had failed before COMMIT, or "
               "the connection was lost before COMMIT reached the server)";
    case client_errc::commit_in_doubt:
        return "the connection was lost during COMMIT and whether the transaction committed "
               "could not be found out: check its transaction id before doing it again";
    case client_errc::invalid_savepoint_name:
        return "the savepoint name cannot be used (empty, longer than 63 bytes, holding a NUL "
               "byte, or naming a savepoint of the transaction still active)";
    case client_errc::savepoint_ended:
        return "the savepoint was released, rolled back past, or its transaction ended: it "
               "takes no more operations";
    case client_errc::invalid_copy_data:
        return "the binary COPY data is malformed (its header, a row's field count or a field's "
               "length)";
    case client_errc::several_statements:
        return "the query held several statements (sent with the simple query protocol, they "
               "ran; their results were dropped): run several statements with "
               "async_simple_query";
    case client_errc::pool_timeout:
        return "no pooled connection became available within the pool's acquire_timeout";
    case client_errc::pool_closed:
        return "the pool is closing or closed: it takes no more operations";
    case client_errc::no_primary:
        return "no member of the cluster is a primary server at the moment";
    case client_errc::no_replica:
        return "no replica is healthy and close enough to the primary for the read, and "
               "reads may not fall back to the primary";
    case client_errc::replay_mismatch:
        return "the session is replayed from a recording, and the client sent something other "
               "than what was recorded (the diagnostics name the first difference)";
    case client_errc::description_changed:
        return "the statement's rows no longer match its cached description (a table it reads "
               "was altered); the description was forgotten";
    case client_errc::unexpected_row_count:
        return "the query returned a number of rows other than the one expected";
    case client_errc::unexpected_null:
        return "NULL value where the target type cannot hold NULL";
    case client_errc::invalid_binary_length:
        return "binary value has a length that does not fit its type";
    case client_errc::invalid_text_value:
        return "text value does not parse as its type";
    case client_errc::value_out_of_range:
        return "value does not fit the target type";
    case client_errc::invalid_array:
        return "array value is malformed (dimensions, bounds or element count)";
    case client_errc::invalid_range:
        return "range value is malformed (flags or bounds)";
    case client_errc::invalid_numeric:
        return "numeric value is malformed (digits, weight, sign or scale)";
    case client_errc::type_mismatch:
        return "the value's PostgreSQL type cannot be converted to the requested C++ type";
    case client_errc::unsupported_version:
        return "binary value has a format version pgasio does not support";
    case client_errc::unknown_type:
        return "the user-defined type is not loaded (async_load_types), or does not exist";
    case client_errc::type_changed:
        return "the user-defined type changed since it was loaded (load it again)";
    }
    return nullptr;
}

class client_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "pgasio.client"; }
    std::string message(int ev) const override {
        const char* text = describe(static_cast<client_errc>(ev));
        return text ? text : "unknown pgasio client error " + std::to_string(ev);
    }
};

} // namespace

const boost::system::error_category& client_category() noexcept {
    static const client_category_impl instance;
    return instance;
}

} // namespace pgasio::protocol
