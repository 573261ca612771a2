#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/error.hpp>

#include <charconv>
#include <cstring>

namespace pgasio::protocol {
namespace {

using boost::system::error_code;
using detail::byte_reader;
using detail::load_big;

template <class T>
boost::system::result<T> finish(const byte_reader& r, T value) {
    if (auto ec = r.finish()) return ec;
    return value;
}

std::string_view load_cstring(const std::byte* p) noexcept {
    return {reinterpret_cast<const char*>(p)};
}

// Reads NUL-terminated strings up to an empty one (the list terminator), so that iteration of
// the list later cannot run off its end. Returns the list, terminator included.
std::span<const std::byte> read_string_list(byte_reader& r, std::size_t& count) {
    const auto rest_before = r.remaining();
    std::span<const std::byte> start = r.bytes(0);
    count = 0;
    while (!r.error()) {
        if (r.cstring().empty()) break;
        ++count;
    }
    if (r.error()) return {};
    return {start.data(), rest_before - r.remaining()};
}

bool valid_format(std::int16_t f) noexcept {
    return f == 0 || f == 1;
}

} // namespace

std::string_view auth_kind_name(auth_kind kind) noexcept {
    switch (kind) {
    case auth_kind::ok:
        return "ok";
    case auth_kind::kerberos_v5:
        return "Kerberos V5";
    case auth_kind::cleartext_password:
        return "cleartext password";
    case auth_kind::md5_password:
        return "MD5 password";
    case auth_kind::scm_credential:
        return "SCM credential";
    case auth_kind::gss:
        return "GSSAPI";
    case auth_kind::gss_continue:
        return "GSSAPI continuation";
    case auth_kind::sspi:
        return "SSPI";
    case auth_kind::sasl:
        return "SASL";
    case auth_kind::sasl_continue:
        return "SASL continuation";
    case auth_kind::sasl_final:
        return "SASL final";
    }
    return "unknown";
}

boost::system::result<authentication_view>
decode_authentication(std::span<const std::byte> body) noexcept {
    byte_reader r(body);
    authentication_view out{};
    const std::int32_t code = r.i32();
    if (r.error()) return r.error();
    switch (code) {
    case 0:
    case 2:
    case 3:
    case 6:
    case 7:
    case 9:
        break;
    case 5: {
        const auto salt = r.bytes(4);
        if (!r.error()) std::memcpy(out.md5_salt.data(), salt.data(), 4);
        break;
    }
    case 10: {
        std::size_t count = 0;
        const auto list = read_string_list(r, count);
        if (r.error()) return r.error();
        if (count == 0) return client_errc::invalid_field_value;
        out.sasl_mechanisms = sasl_mechanisms_view(list);
        break;
    }
    case 8:
    case 11:
    case 12:
        out.sasl_data = r.rest();
        break;
    default:
        return client_errc::invalid_field_value;
    }
    out.kind = static_cast<auth_kind>(code);
    return finish(r, out);
}

sasl_mechanisms_view::iterator sasl_mechanisms_view::begin() const noexcept {
    return iterator(list_.data());
}
sasl_mechanisms_view::iterator sasl_mechanisms_view::end() const noexcept {
    // The list ends with an empty string: its NUL is the last byte.
    return iterator(list_.empty() ? list_.data() : list_.data() + list_.size() - 1);
}
bool sasl_mechanisms_view::contains(std::string_view name) const noexcept {
    for (std::string_view m : *this)
        if (m == name) return true;
    return false;
}
std::string_view sasl_mechanisms_view::iterator::operator*() const noexcept {
    return load_cstring(p_);
}
sasl_mechanisms_view::iterator& sasl_mechanisms_view::iterator::operator++() noexcept {
    p_ += load_cstring(p_).size() + 1;
    return *this;
}

boost::system::result<backend_key_data_view>
decode_backend_key_data(std::span<const std::byte> body) noexcept {
    byte_reader r(body);
    backend_key_data_view out{};
    out.process_id = r.i32();
    out.secret_key = r.rest();
    if (r.error()) return r.error();
    if (out.secret_key.size() < 4 || out.secret_key.size() > 256)
        return client_errc::invalid_field_value;
    return out;
}

boost::system::result<parameter_status_view>
decode_parameter_status(std::span<const std::byte> body) noexcept {
    byte_reader r(body);
    parameter_status_view out{};
    out.name = r.cstring();
    out.value = r.cstring();
    return finish(r, out);
}

boost::system::result<transaction_status>
decode_ready_for_query(std::span<const std::byte> body) noexcept {
    byte_reader r(body);
    const auto status = static_cast<char>(r.u8());
    if (auto ec = r.finish()) return ec;
    switch (status) {
    case 'I':
    case 'T':
    case 'E':
        return static_cast<transaction_status>(status);
    default:
        return client_errc::invalid_field_value;
    }
}

boost::system::result<negotiate_protocol_version_view>
decode_negotiate_protocol_version(std::span<const std::byte> body) noexcept {
    byte_reader r(body);
    negotiate_protocol_version_view out{};
    out.newest_minor_version = r.i32();
    out.unrecognized_option_count = r.i32();
    if (r.error()) return r.error();
    if (out.newest_minor_version < 0 || out.unrecognized_option_count < 0)
        return client_errc::invalid_field_value;
    const auto start = body.subspan(8);
    for (std::int32_t i = 0; i < out.unrecognized_option_count && !r.error(); ++i)
        r.cstring();
    if (r.error()) return r.error();
    out.unrecognized_options = start.first(start.size() - r.remaining());
    return finish(r, out);
}

boost::system::result<row_description_view>
decode_row_description(std::span<const std::byte> body) noexcept {
    byte_reader r(body);
    const std::int16_t count = r.i16();
    if (r.error()) return r.error();
    if (count < 0) return client_errc::invalid_field_value;
    for (std::int16_t i = 0; i < count; ++i) {
        r.cstring();
        r.bytes(4 + 2 + 4 + 2 + 4); // table oid, column number, type oid, size, modifier
        const std::int16_t format = r.i16();
        if (r.error()) return r.error();
        if (!valid_format(format)) return client_errc::invalid_field_value;
    }
    return finish(r, row_description_view(static_cast<std::uint16_t>(count), body.subspan(2)));
}

row_description_view::iterator row_description_view::begin() const noexcept {
    return {fields_.data(), 0};
}
row_description_view::iterator row_description_view::end() const noexcept {
    return {nullptr, count_};
}
column_description row_description_view::iterator::operator*() const noexcept {
    column_description c{};
    c.name = load_cstring(p_);
    const std::byte* f = p_ + c.name.size() + 1;
    c.table_oid = load_big<std::uint32_t>(f);
    c.column_number = static_cast<std::int16_t>(load_big<std::uint16_t>(f + 4));
    c.type_oid = load_big<std::uint32_t>(f + 6);
    c.type_size = static_cast<std::int16_t>(load_big<std::uint16_t>(f + 10));
    c.type_modifier = static_cast<std::int32_t>(load_big<std::uint32_t>(f + 12));
    c.format = static_cast<format_code>(load_big<std::uint16_t>(f + 16));
    return c;
}
row_description_view::iterator& row_description_view::iterator::operator++() noexcept {
    p_ += load_cstring(p_).size() + 1 + 18;
    ++index_;
    return *this;
}

boost::system::result<data_row_view> decode_data_row(std::span<const std::byte> body) noexcept {
    std::uint16_t count = 0;
    if (auto ec = visit_data_row(
            body,
            [&](std::uint16_t n) {
                count = n;
                return error_code();
            },
            [](const auto&) {}))
        return ec;
    return data_row_view(count, body.subspan(2));
}

boost::system::result<command_complete_view>
decode_command_complete(std::span<const std::byte> body) noexcept {
    byte_reader r(body);
    command_complete_view out{r.cstring()};
    return finish(r, out);
}

std::string_view command_complete_view::command() const noexcept {
    // Counts follow the command word(s) as space-separated decimal numbers.
    std::string_view t = tag;
    while (!t.empty()) {
        const auto sp = t.rfind(' ');
        const auto last = t.substr(sp == std::string_view::npos ? 0 : sp + 1);
        if (last.empty() || last.find_first_not_of("0123456789") != std::string_view::npos) break;
        if (sp == std::string_view::npos) return {};
        t = t.substr(0, sp);
    }
    return t;
}

std::optional<std::uint64_t> command_complete_view::rows() const noexcept {
    const std::string_view cmd = command();
    // "INSERT oid rows" carries two numbers; the others one.
    static constexpr std::string_view counted[] = {"INSERT", "UPDATE", "DELETE", "SELECT",
                                                   "MERGE",  "COPY",   "FETCH",  "MOVE"};
    bool known = false;
    for (auto c : counted)
        known = known || cmd == c;
    if (!known || tag.size() <= cmd.size() + 1) return std::nullopt;
    const std::string_view counts = tag.substr(cmd.size() + 1);
    const auto sp = counts.rfind(' ');
    const std::string_view n = counts.substr(sp == std::string_view::npos ? 0 : sp + 1);
    if (cmd == "INSERT" && sp == std::string_view::npos) return std::nullopt;
    if (cmd != "INSERT" && sp != std::string_view::npos) return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), value);
    if (ec != std::errc{} || end != n.data() + n.size()) return std::nullopt;
    return value;
}

boost::system::result<parameter_description_view>
decode_parameter_description(std::span<const std::byte> body) noexcept {
    byte_reader r(body);
    const std::int16_t count = r.i16();
    if (r.error()) return r.error();
    if (count < 0) return client_errc::invalid_field_value;
    const auto oids = r.bytes(4 * static_cast<std::size_t>(count));
    return finish(r, parameter_description_view(static_cast<std::uint16_t>(count), oids));
}

oid parameter_description_view::operator[](std::size_t i) const noexcept {
    return load_big<std::uint32_t>(oids_.data() + 4 * i);
}

boost::system::result<error_fields_view>
decode_error_fields(std::span<const std::byte> body) noexcept {
    byte_reader r(body);
    for (;;) {
        const auto code = r.u8();
        if (r.error()) return r.error();
        if (code == 0) break;
        r.cstring();
    }
    return finish(r, error_fields_view(body));
}

error_fields_view::iterator error_fields_view::begin() const noexcept {
    return iterator(fields_.data());
}
error_fields_view::iterator error_fields_view::end() const noexcept {
    return iterator(fields_.empty() ? fields_.data() : fields_.data() + fields_.size() - 1);
}
std::optional<std::string_view> error_fields_view::find(char code) const noexcept {
    for (const field f : *this)
        if (f.code == code) return f.value;
    return std::nullopt;
}
error_fields_view::field error_fields_view::iterator::operator*() const noexcept {
    return {static_cast<char>(*p_), load_cstring(p_ + 1)};
}
error_fields_view::iterator& error_fields_view::iterator::operator++() noexcept {
    p_ += 1 + load_cstring(p_ + 1).size() + 1;
    return *this;
}

boost::system::result<notification_view>
decode_notification(std::span<const std::byte> body) noexcept {
    byte_reader r(body);
    notification_view out{};
    out.process_id = r.i32();
    out.channel = r.cstring();
    out.payload = r.cstring();
    return finish(r, out);
}

boost::system::result<copy_response_view>
decode_copy_response(std::span<const std::byte> body) noexcept {
    byte_reader r(body);
    copy_response_view out{};
    const auto overall = static_cast<std::int16_t>(r.u8());
    const std::int16_t count = r.i16();
    if (r.error()) return r.error();
    if (!valid_format(overall) || count < 0) return client_errc::invalid_field_value;
    out.format = static_cast<format_code>(overall);
    out.column_count = static_cast<std::uint16_t>(count);
    out.column_formats = r.bytes(2 * static_cast<std::size_t>(count));
    if (r.error()) return r.error();
    for (std::size_t i = 0; i < out.column_count; ++i) {
        const auto f =
            static_cast<std::int16_t>(load_big<std::uint16_t>(out.column_formats.data() + 2 * i));
        // Text COPY has text columns only; binary COPY may mix (today it is all binary).
        if (!valid_format(f) || (overall == 0 && f != 0)) return client_errc::invalid_field_value;
    }
    return finish(r, out);
}

format_code copy_response_view::column_format(std::size_t i) const noexcept {
    return static_cast<format_code>(load_big<std::uint16_t>(column_formats.data() + 2 * i));
}

error_code decode_empty(std::span<const std::byte> body) noexcept {
    return body.empty() ? error_code{} : error_code(client_errc::invalid_message_length);
}

boost::system::result<backend_message> decode_backend_message(message_view message) noexcept {
    using t = backend_message_type;
    const auto body = message.body;
    // Wraps a decoder's result (or a tag for bodiless messages) into the variant.
    auto wrap = [](auto&& decoded) -> boost::system::result<backend_message> {
        if (!decoded) return decoded.error();
        return backend_message(*decoded);
    };
    auto empty = [&](auto tag) -> boost::system::result<backend_message> {
        if (auto ec = decode_empty(body)) return ec;
        return backend_message(tag);
    };
    switch (message.type) {
    case t::authentication:
        return wrap(decode_authentication(body));
    case t::backend_key_data:
        return wrap(decode_backend_key_data(body));
    case t::parameter_status:
        return wrap(decode_parameter_status(body));
    case t::ready_for_query:
        return wrap(decode_ready_for_query(body));
    case t::negotiate_protocol_version:
        return wrap(decode_negotiate_protocol_version(body));
    case t::row_description:
        return wrap(decode_row_description(body));
    case t::data_row:
        return wrap(decode_data_row(body));
    case t::command_complete:
        return wrap(decode_command_complete(body));
    case t::parameter_description:
        return wrap(decode_parameter_description(body));
    case t::notification_response:
        return wrap(decode_notification(body));
    case t::error_response: {
        auto f = decode_error_fields(body);
        if (!f) return f.error();
        return backend_message(error_response{*f});
    }
    case t::notice_response: {
        auto f = decode_error_fields(body);
        if (!f) return f.error();
        return backend_message(notice_response{*f});
    }
    case t::copy_in_response: {
        auto c = decode_copy_response(body);
        if (!c) return c.error();
        return backend_message(copy_in_response{*c});
    }
    case t::copy_out_response: {
        auto c = decode_copy_response(body);
        if (!c) return c.error();
        return backend_message(copy_out_response{*c});
    }
    case t::copy_both_response: {
        auto c = decode_copy_response(body);
        if (!c) return c.error();
        return backend_message(copy_both_response{*c});
    }
    case t::copy_data:
        return backend_message(copy_data{body});
    case t::copy_done:
        return empty(copy_done{});
    case t::parse_complete:
        return empty(parse_complete{});
    case t::bind_complete:
        return empty(bind_complete{});
    case t::close_complete:
        return empty(close_complete{});
    case t::no_data:
        return empty(no_data{});
    case t::empty_query_response:
        return empty(empty_query_response{});
    case t::portal_suspended:
        return empty(portal_suspended{});
    }
    return client_errc::unknown_message_type;
}

} // namespace pgasio::protocol
