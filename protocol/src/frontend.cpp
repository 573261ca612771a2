#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/frontend.hpp>

#include <pgasio/protocol/detail/byte_reader.hpp>

#include <algorithm>
#include <vector>

namespace pgasio::protocol {
namespace {

using boost::system::error_code;

bool has_nul(std::string_view s) noexcept {
    return s.find('\0') != std::string_view::npos;
}

// A typed message: type byte, then the length placeholder. Returns the placeholder's offset.
std::size_t begin_message(write_buffer& out, char type) {
    out.put_u8(static_cast<std::uint8_t>(type));
    return out.begin_length();
}

// Patches the length; a message over the limit is removed again (with its type byte).
error_code end_message(write_buffer& out, std::size_t length_at) {
    if (out.size() - length_at > max_frontend_length) {
        out.truncate(length_at - 1);
        return client_errc::message_too_long;
    }
    out.end_length(length_at);
    return {};
}

// A message with no body: type byte and length 4.
void put_empty_message(write_buffer& out, char type) {
    out.put_u8(static_cast<std::uint8_t>(type));
    out.put_i32(4);
}

// The untyped start-up packets (StartupMessage, SSLRequest, ...) are a length and a code.
void put_request_code(write_buffer& out, std::int32_t code) {
    out.put_i32(8);
    out.put_i32(code);
}

// Describe and Close: a statement-or-portal byte and a name.
error_code put_targeted_message(write_buffer& out, char type, target_kind kind,
                                std::string_view name) {
    if (has_nul(name)) return client_errc::embedded_nul;
    const std::size_t at = begin_message(out, type);
    out.put_u8(static_cast<std::uint8_t>(kind));
    out.put_cstring(name);
    return end_message(out, at);
}

// Special codes in the version field of start-up packets (protocol-message-formats.html).
constexpr std::int32_t cancel_request_code = (1234 << 16) | 5678;
constexpr std::int32_t ssl_request_code = (1234 << 16) | 5679;
constexpr std::int32_t gssenc_request_code = (1234 << 16) | 5680;

error_code put_formats(write_buffer& out, std::span<const format_code> formats) {
    if (formats.size() > 0xFFFF) return client_errc::too_many_parameters;
    out.put_u16(static_cast<std::uint16_t>(formats.size()));
    for (format_code f : formats)
        out.put_i16(static_cast<std::int16_t>(f));
    return {};
}

} // namespace

error_code encode_startup(write_buffer& out, protocol_version version,
                          std::span<const startup_parameter> parameters) {
    if (version != protocol_version::v3_0 && version != protocol_version::v3_2)
        return client_errc::invalid_protocol_version;
    for (const auto& p : parameters) {
        // An empty name is the list terminator; a NUL would split a field in two.
        if (p.name.empty()) return client_errc::invalid_field_value;
        if (has_nul(p.name) || has_nul(p.value)) return client_errc::embedded_nul;
    }
    const std::size_t at = out.begin_length();
    out.put_i32(static_cast<std::int32_t>(version));
    for (const auto& p : parameters) {
        out.put_cstring(p.name);
        out.put_cstring(p.value);
    }
    out.put_u8(0);
    // The server's limit for a start-up packet is 10000 bytes (MAX_STARTUP_PACKET_LENGTH).
    if (out.size() - at > 10000) {
        out.truncate(at);
        return client_errc::message_too_long;
    }
    out.end_length(at);
    return {};
}

void encode_ssl_request(write_buffer& out) {
    put_request_code(out, ssl_request_code);
}

void encode_gssenc_request(write_buffer& out) {
    put_request_code(out, gssenc_request_code);
}

error_code encode_cancel_request(write_buffer& out, std::int32_t process_id,
                                 std::span<const std::byte> secret_key) {
    // 3.0 keys are 4 bytes; 3.2 allows up to 256.
    if (secret_key.size() < 4 || secret_key.size() > 256) return client_errc::invalid_field_value;
    const std::size_t at = out.begin_length();
    out.put_i32(cancel_request_code);
    out.put_i32(process_id);
    out.put_bytes(secret_key);
    out.end_length(at);
    return {};
}

error_code encode_password(write_buffer& out, std::string_view password) {
    if (has_nul(password)) return client_errc::embedded_nul;
    const std::size_t at = begin_message(out, 'p');
    out.put_cstring(password);
    return end_message(out, at);
}

error_code encode_sasl_initial_response(write_buffer& out, std::string_view mechanism,
                                        std::span<const std::byte> data) {
    if (has_nul(mechanism)) return client_errc::embedded_nul;
    const std::size_t at = begin_message(out, 'p');
    out.put_cstring(mechanism);
    out.put_i32(static_cast<std::int32_t>(std::min(data.size(), max_frontend_length)));
    out.put_bytes(data);
    return end_message(out, at);
}

error_code encode_sasl_response(write_buffer& out, std::span<const std::byte> data) {
    const std::size_t at = begin_message(out, 'p');
    out.put_bytes(data);
    return end_message(out, at);
}

error_code encode_query(write_buffer& out, std::string_view sql) {
    if (has_nul(sql)) return client_errc::embedded_nul;
    const std::size_t at = begin_message(out, 'Q');
    out.put_cstring(sql);
    return end_message(out, at);
}

error_code encode_parse(write_buffer& out, std::string_view statement, std::string_view sql,
                        std::span<const oid> parameter_types) {
    if (has_nul(statement) || has_nul(sql)) return client_errc::embedded_nul;
    if (parameter_types.size() > 0xFFFF) return client_errc::too_many_parameters;
    const std::size_t at = begin_message(out, 'P');
    out.put_cstring(statement);
    out.put_cstring(sql);
    out.put_u16(static_cast<std::uint16_t>(parameter_types.size()));
    for (oid t : parameter_types)
        out.put_u32(t);
    return end_message(out, at);
}

error_code encode_describe(write_buffer& out, target_kind kind, std::string_view name) {
    return put_targeted_message(out, 'D', kind, name);
}

error_code encode_execute(write_buffer& out, std::string_view portal, std::int32_t max_rows) {
    if (has_nul(portal)) return client_errc::embedded_nul;
    if (max_rows < 0) return client_errc::invalid_field_value;
    const std::size_t at = begin_message(out, 'E');
    out.put_cstring(portal);
    out.put_i32(max_rows);
    return end_message(out, at);
}

error_code encode_close(write_buffer& out, target_kind kind, std::string_view name) {
    return put_targeted_message(out, 'C', kind, name);
}

void encode_sync(write_buffer& out) {
    put_empty_message(out, 'S');
}

void encode_flush(write_buffer& out) {
    put_empty_message(out, 'H');
}

error_code encode_copy_data(write_buffer& out, std::span<const std::byte> data) {
    if (data.size() > max_frontend_length - 4) return client_errc::message_too_long;
    const std::size_t at = begin_message(out, 'd');
    out.put_bytes(data);
    return end_message(out, at);
}

void encode_copy_done(write_buffer& out) {
    put_empty_message(out, 'c');
}

error_code encode_copy_fail(write_buffer& out, std::string_view reason) {
    if (has_nul(reason)) return client_errc::embedded_nul;
    const std::size_t at = begin_message(out, 'f');
    out.put_cstring(reason);
    return end_message(out, at);
}

void encode_terminate(write_buffer& out) {
    put_empty_message(out, 'X');
}

bind_writer::bind_writer(write_buffer& out, std::string_view portal, std::string_view statement,
                         std::span<const format_code> parameter_formats,
                         std::size_t parameter_count)
    : field_writer(out, parameter_count)
    , start_(out.size())
    , length_at_(0) {
    if (has_nul(portal) || has_nul(statement)) {
        ec_ = client_errc::embedded_nul;
        return;
    }
    if (parameter_count > 0xFFFF) {
        ec_ = client_errc::too_many_parameters;
        return;
    }
    // A format list longer than 1 must give one format per parameter.
    if (parameter_formats.size() > 1 && parameter_formats.size() != parameter_count) {
        ec_ = client_errc::too_many_parameters;
        return;
    }
    length_at_ = begin_message(out, 'B');
    out.put_cstring(portal);
    out.put_cstring(statement);
    formats_at_ = out.size();
    ec_ = put_formats(out, parameter_formats);
    out.put_u16(static_cast<std::uint16_t>(parameter_count));
}

void field_writer::null_value() {
    if (ec_) return;
    if (written_++ >= expected_) {
        ec_ = client_errc::parameter_count_mismatch;
        return;
    }
    out_->put_i32(-1);
}

void field_writer::value_bytes(std::span<const std::byte> bytes) {
    value([bytes](write_buffer& b) {
        b.put_bytes(bytes);
        return boost::system::error_code{};
    });
}

void field_writer::text_value(std::string_view text) {
    if (ec_) return;
    if (text.find('\0') != std::string_view::npos) {
        ec_ = client_errc::embedded_nul;
        return;
    }
    text_values_.push_back(written_);
    value_bytes(std::as_bytes(std::span(text)));
}

void bind_writer::list_parameter_formats() {
    // The list written when the Bind started: none (all text), one for all, or one each.
    std::vector<format_code> formats(expected_, format_code::text);
    detail::byte_reader r(out_->data().subspan(formats_at_));
    const std::size_t listed = r.u16();
    if (listed == 1) std::fill(formats.begin(), formats.end(), format_code{r.i16()});
    for (std::size_t i = 0; listed > 1 && i < listed; ++i)
        formats[i] = format_code{r.i16()};
    for (const std::size_t i : text_values_)
        formats[i] = format_code::text;
    // The parameter count and the values move behind the longer list.
    const std::size_t rest_at = formats_at_ + 2 + 2 * listed;
    const auto bytes = out_->data();
    const std::vector<std::byte> rest(bytes.begin() + static_cast<std::ptrdiff_t>(rest_at),
                                      bytes.end());
    out_->truncate(formats_at_);
    ec_ = put_formats(*out_, formats);
    out_->put_bytes(rest);
}

error_code bind_writer::finish(std::span<const format_code> result_formats) {
    if (!ec_ && written_ != expected_) ec_ = client_errc::parameter_count_mismatch;
    if (!ec_ && !text_values_.empty()) list_parameter_formats();
    if (!ec_) ec_ = put_formats(*out_, result_formats);
    if (!ec_) ec_ = end_message(*out_, length_at_);
    if (ec_) out_->truncate(start_);
    return ec_;
}

} // namespace pgasio::protocol
