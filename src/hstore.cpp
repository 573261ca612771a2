// hstore's binary and text forms (contrib/hstore: hstore_send, hstore_recv, hstore_out,
// hstore_in).
#include <pgasio/hstore.hpp>

#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/types/detail/value_length.hpp>

namespace pgasio::detail {

using protocol::client_errc;
using error_code = boost::system::error_code;

namespace {

// Adds a pair; a key given twice is refused (the server never sends one twice).
error_code add_pair(hstore& out, std::string key, std::optional<std::string> value) {
    if (!out.entries.emplace(std::move(key), std::move(value)).second)
        return client_errc::invalid_text_value;
    return {};
}

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Reads one hstore_in token at `i`: a quoted string ("...", \ escaping) or an unquoted run up
// to a blank, ',' or '=>'. `quoted` says which it was.
bool read_token(std::string_view in, std::size_t& i, std::string& out, bool& quoted) {
    out.clear();
    quoted = false;
    if (i >= in.size()) return false;
    if (in[i] == '"') {
        quoted = true;
        ++i;
        for (;;) {
            if (i >= in.size()) return false;
            const char c = in[i++];
            if (c == '"') return true;
            if (c == '\\') {
                if (i >= in.size()) return false;
                out += in[i++];
            } else {
                out += c;
            }
        }
    }
    while (i < in.size() && !is_blank(in[i]) && in[i] != ',' && in[i] != '=' && in[i] != '>') {
        if (in[i] == '\\') {
            if (i + 1 >= in.size()) return false;
            out += in[i + 1];
            i += 2;
        } else {
            out += in[i++];
        }
    }
    return !out.empty();
}

void append_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
}

} // namespace

error_code decode_hstore(std::span<const std::byte> in, hstore& out) {
    out.entries.clear();
    protocol::detail::byte_reader r(in);
    const std::int32_t n = r.i32();
    if (r.error() || n < 0) return client_errc::invalid_binary_length;
    // A pair takes 8 bytes at least.
    if (static_cast<std::size_t>(n) > r.remaining() / 8) return client_errc::invalid_binary_length;
    for (std::int32_t i = 0; i < n; ++i) {
        const std::int32_t klen = r.i32();
        if (r.error() || klen < 0 || static_cast<std::size_t>(klen) > r.remaining())
            // A NULL key (-1) is not allowed either (hstore_recv refuses it).
            return klen == -1 ? client_errc::invalid_text_value
                              : client_errc::invalid_binary_length;
        const auto k = r.bytes(static_cast<std::size_t>(klen));
        const std::int32_t vlen = r.i32();
        if (r.error() || vlen < -1) return client_errc::invalid_binary_length;
        std::optional<std::string> value;
        if (vlen >= 0) {
            if (static_cast<std::size_t>(vlen) > r.remaining())
                return client_errc::invalid_binary_length;
            const auto v = r.bytes(static_cast<std::size_t>(vlen));
            value.emplace(reinterpret_cast<const char*>(v.data()), v.size());
        }
        if (auto ec = add_pair(out, std::string(reinterpret_cast<const char*>(k.data()), k.size()),
                               std::move(value)))
            return ec;
    }
    if (r.error() || !r.empty()) return client_errc::invalid_binary_length;
    return {};
}

error_code decode_hstore_text(std::string_view in, hstore& out) {
    out.entries.clear();
    std::size_t i = 0;
    const auto blank = [&] {
        while (i < in.size() && is_blank(in[i]))
            ++i;
    };
    blank();
    if (i == in.size()) return {};
    for (;;) {
        std::string key;
        bool quoted = false;
        if (!read_token(in, i, key, quoted)) return client_errc::invalid_text_value;
        blank();
        if (in.substr(i, 2) != "=>") return client_errc::invalid_text_value;
        i += 2;
        blank();
        std::string value;
        if (!read_token(in, i, value, quoted)) return client_errc::invalid_text_value;
        std::optional<std::string> v;
        // An unquoted NULL (any case) is NULL; "NULL" quoted is the string.
        const bool is_null = !quoted && value.size() == 4 && (value[0] | 0x20) == 'n' &&
                             (value[1] | 0x20) == 'u' && (value[2] | 0x20) == 'l' &&
                             (value[3] | 0x20) == 'l';
        if (!is_null) v = std::move(value);
        // hstore_in keeps the first of duplicate keys: so does this.
        out.entries.emplace(std::move(key), std::move(v));
        blank();
        if (i == in.size()) return {};
        if (in[i] != ',') return client_errc::invalid_text_value;
        ++i;
        blank();
    }
}

error_code encode_hstore(protocol::write_buffer& out, const hstore& v) {
    if (v.entries.size() > 0x7fffffff) return client_errc::value_out_of_range;
    const std::size_t start = out.size();
    out.put_i32(static_cast<std::int32_t>(v.entries.size()));
    for (const auto& [key, value] : v.entries) {
        for (const std::string* s : {&key, value ? &*value : nullptr}) {
            if (!s) {
                out.put_i32(-1);
                continue;
            }
            const std::size_t at = protocol::types::detail::begin_value_length(out);
            out.put_string(*s);
            if (auto ec = protocol::types::detail::end_value_length(out, at)) {
                out.truncate(start);
                return ec;
            }
        }
    }
    return {};
}

void encode_hstore_text(std::string& out, const hstore& v) {
    bool first = true;
    for (const auto& [key, value] : v.entries) {
        if (!first) out += ", ";
        first = false;
        append_quoted(out, key);
        out += "=>";
        if (value)
            append_quoted(out, *value);
        else
            out += "NULL";
    }
}

} // namespace pgasio::detail
