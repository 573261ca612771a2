// Encoders for every message a client sends (protocol 3.0 and 3.2).
#pragma once

#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/format_code.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

/// Every encoder appends one whole message to a write_buffer, so that many requests can be
/// queued back to back and sent in one write. An encoder that returns an error_code has appended
/// nothing: the buffer is exactly as it was (its input was invalid, e.g. a NUL byte inside a
/// string the protocol NUL-terminates, which would otherwise silently cut the string short or
/// let the rest be read as another field).
namespace pgasio::protocol {

/// The longest message the server accepts (MaxAllocSize, 1 GiB - 1), and so the longest value
/// one can carry: it refuses a longer one with a fatal error, so encoders refuse it before
/// sending and the connection survives the mistake.
inline constexpr std::size_t max_frontend_length = 0x3FFFFFFF;

/// The protocol versions pgasio speaks. 3.2 (PostgreSQL 18) differs in BackendKeyData's key
/// length; a server that does not know it answers with NegotiateProtocolVersion.
enum class protocol_version : std::int32_t {
    v3_0 = (3 << 16) | 0,
    v3_2 = (3 << 16) | 2,
};

/// One name/value pair of a StartupMessage ("user", "database", "options", "application_name",
/// a GUC, or a protocol extension option, whose name starts with \c _pq_.).
struct startup_parameter {
    /// The parameter's name.
    std::string_view name;
    /// Its value.
    std::string_view value;
};

/// StartupMessage. Errors: invalid_protocol_version; embedded_nul in a name or value;
/// invalid_field_value for an empty name (it would end the list early).
boost::system::error_code encode_startup(write_buffer& out, protocol_version version,
                                         std::span<const startup_parameter> parameters);

/// SSLRequest: asks the server to switch to TLS. The answer is a single unframed byte.
void encode_ssl_request(write_buffer& out);

/// GSSENCRequest: asks for GSSAPI encryption. The answer is a single unframed byte.
void encode_gssenc_request(write_buffer& out);

/// CancelRequest, sent on a new connection. `secret_key` is 4 bytes in protocol 3.0 and up to
/// 256 bytes in 3.2, as BackendKeyData gave it. Errors: invalid_field_value for another length.
boost::system::error_code encode_cancel_request(write_buffer& out, std::int32_t process_id,
                                                std::span<const std::byte> secret_key);

/// PasswordMessage carrying a cleartext password or an MD5 response. Errors: embedded_nul.
boost::system::error_code encode_password(write_buffer& out, std::string_view password);

/// SASLInitialResponse: the chosen mechanism and the client-first-message.
/// Errors: embedded_nul in the mechanism name; message_too_long.
boost::system::error_code encode_sasl_initial_response(write_buffer& out,
                                                       std::string_view mechanism,
                                                       std::span<const std::byte> data);

/// SASLResponse: a later message of the SASL exchange. Errors: message_too_long.
boost::system::error_code encode_sasl_response(write_buffer& out, std::span<const std::byte> data);

/// Query (simple query protocol; may hold several statements). Errors: embedded_nul,
/// message_too_long.
boost::system::error_code encode_query(write_buffer& out, std::string_view sql);

/// Parse: prepares `sql` as the statement `statement` ("" = the unnamed statement).
/// `parameter_types` may be shorter than the number of placeholders (0 = let the server infer).
/// Errors: embedded_nul, too_many_parameters (over 65535 types), message_too_long.
boost::system::error_code encode_parse(write_buffer& out, std::string_view statement,
                                       std::string_view sql, std::span<const oid> parameter_types);

/// Whether Describe or Close names a prepared statement or a portal.
enum class target_kind : char { statement = 'S', portal = 'P' };

/// Describe: asks for ParameterDescription (statements only) and RowDescription or NoData.
/// Errors: embedded_nul.
boost::system::error_code encode_describe(write_buffer& out, target_kind kind,
                                          std::string_view name);

/// Execute: runs a bound portal, returning at most `max_rows` rows (0 = all) before
/// PortalSuspended. Errors: embedded_nul, invalid_field_value for a negative max_rows.
boost::system::error_code encode_execute(write_buffer& out, std::string_view portal,
                                         std::int32_t max_rows);

/// Close: releases a prepared statement or a portal. Errors: embedded_nul.
boost::system::error_code encode_close(write_buffer& out, target_kind kind, std::string_view name);

/// Sync: ends an extended-query batch; the server answers ReadyForQuery.
void encode_sync(write_buffer& out);

/// Flush: asks the server to send what it has produced without ending the batch.
void encode_flush(write_buffer& out);

/// CopyData. Errors: message_too_long.
boost::system::error_code encode_copy_data(write_buffer& out, std::span<const std::byte> data);

/// CopyDone: the COPY FROM STDIN data is complete.
void encode_copy_done(write_buffer& out);

/// CopyFail: aborts COPY FROM STDIN with `reason` in the server's error. Errors: embedded_nul.
boost::system::error_code encode_copy_fail(write_buffer& out, std::string_view reason);

/// Terminate: the polite goodbye before closing the socket.
void encode_terminate(write_buffer& out);

/// Writes values as Bind's parameters and binary COPY's fields both lay them out: an int32
/// length (-1 for NULL) and the value's bytes, straight into a buffer, so that type codecs
/// encode each value in place and one set of encoders serves queries and COPY alike.
///
/// Errors are sticky: the first failure (an encoder's, or a value beyond the number announced)
/// stops further writes and is kept for the derived writer's finish(). The writer must not
/// outlive the buffer.
class field_writer {
public:
    /// Appends a NULL.
    void null_value();
    /// Appends a value whose bytes `encode(write_buffer&) -> error_code` writes.
    template <class Encode>
    void value(Encode&& encode) {
        // Inline: a COPY row or a Bind is a run of these, and the calls showed in profiles.
        if (ec_) return;
        if (written_++ >= expected_) {
            ec_ = client_errc::parameter_count_mismatch;
            return;
        }
        const std::size_t at = out_->begin_length();
        if (const boost::system::error_code ec = encode(*out_)) {
            ec_ = ec;
            return;
        }
        // A value's length excludes its own 4 bytes (unlike a message's length).
        const std::size_t length = out_->size() - at - 4;
        if (length > max_frontend_length) {
            ec_ = client_errc::message_too_long;
            return;
        }
        out_->patch_i32(at, static_cast<std::int32_t>(length));
    }
    /// Appends a value holding `bytes` as they are.
    void value_bytes(std::span<const std::byte> bytes);
    /// Appends a value in text format: `text` in its type's input syntax, for a type whose
    /// binary form is unknown. A Bind then lists each parameter's format (bind_writer::finish);
    /// a binary COPY row cannot hold one (binary_copy_row_writer::finish fails with
    /// type_mismatch). Errors (kept for finish()): embedded_nul, as the server reads the text
    /// up to a NUL byte.
    void text_value(std::string_view text);

protected:
    /// A writer of `expected` values appended to `out`.
    field_writer(write_buffer& out, std::size_t expected) noexcept
        : out_(&out)
        , expected_(expected) {}

    /// Where the values go.
    write_buffer* out_;
    /// The number of values announced.
    std::size_t expected_; // values announced
    /// The number of values written.
    std::size_t written_ = 0; // values written
    /// The first error, kept for finish().
    boost::system::error_code ec_;
    /// The indexes of the values written by text_value, in order.
    std::vector<std::size_t> text_values_;
};

/// Writes a Bind message, one parameter at a time (field_writer's value / null_value), straight
/// into the buffer (no temporary copy of the values).
///
/// Errors are sticky: a failure in any step is returned by `finish()`, which then removes the
/// partial message from the buffer.
///
/// @code
/// const format_code binary[] = {format_code::binary};
/// bind_writer bind(buf, "", "stmt1", binary, 2);   // two parameters, both binary
/// bind.value([](write_buffer& b) { b.put_i32(42); return boost::system::error_code{}; });
/// bind.null_value();
/// if (auto ec = bind.finish(binary)) ...;            // results in binary
/// @endcode
class bind_writer : public field_writer {
public:
    /// Starts Bind for `statement` into `portal`. `parameter_formats` follows the protocol: empty
    /// means all text, one entry applies to all, otherwise one per parameter.
    bind_writer(write_buffer& out, std::string_view portal, std::string_view statement,
                std::span<const format_code> parameter_formats, std::size_t parameter_count);

    /// Ends the message with the result column formats (same convention as parameter formats).
    /// Errors: parameter_count_mismatch when fewer or more values than announced were written;
    /// embedded_nul; too_many_parameters; message_too_long; or the first error an encoder
    /// returned. On error the buffer is restored to what it was before the writer started.
    boost::system::error_code finish(std::span<const format_code> result_formats);

private:
    // Rewrites the parameter format list as one format per parameter, text for text_values_.
    void list_parameter_formats();

    std::size_t start_;      // buffer size before the message: restored on error
    std::size_t length_at_;  // the message length placeholder
    std::size_t formats_at_; // the parameter format list
};

} // namespace pgasio::protocol
