// Text forms of boolean, "char" and bytea.
#include <pgasio/protocol/types/boolean.hpp>
#include <pgasio/protocol/types/bytea.hpp>
#include <pgasio/protocol/types/detail/text.hpp>
#include <pgasio/protocol/types/string.hpp>

namespace pgasio::protocol::types::detail {
namespace {

// True if `s` is a non-empty prefix of `word` (ASCII case-insensitive), at least `min` long.
bool is_prefix_of(std::string_view s, std::string_view word, std::size_t min = 1) noexcept {
    return s.size() >= min && s.size() <= word.size() && iequals(s, word.substr(0, s.size()));
}

constexpr bool is_octal(char c) noexcept {
    return c >= '0' && c <= '7';
}

} // namespace

boost::system::error_code parse_bool(std::string_view in, bool& out) noexcept {
    const std::string_view s = trim_space(in);
    // The server's parse_bool: unique prefixes of the words; "o" alone is ambiguous.
    if (is_prefix_of(s, "true") || is_prefix_of(s, "yes") || is_prefix_of(s, "on", 2) || s == "1") {
        out = true;
        return {};
    }
    if (is_prefix_of(s, "false") || is_prefix_of(s, "no") || is_prefix_of(s, "off", 2) ||
        s == "0") {
        out = false;
        return {};
    }
    return client_errc::invalid_text_value;
}

boost::system::error_code parse_char(std::string_view in, char& out) noexcept {
    if (in.empty()) {
        out = '\0';
    } else if (in.size() == 1) {
        out = in[0];
    } else if (in.size() == 4 && in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && is_octal(in[2]) &&
               is_octal(in[3])) {
        out = static_cast<char>(((in[1] - '0') << 6) | ((in[2] - '0') << 3) | (in[3] - '0'));
    } else {
        return client_errc::invalid_text_value;
    }
    return {};
}

void append_char(std::string& out, char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0) return; // the zero byte is the empty string
    if (u & 0x80) {
        // Since PostgreSQL 15 such bytes are written in octal, so that the text is valid in
        // every encoding; earlier servers wrote the raw byte, which parse_char also reads.
        out += '\\';
        out += static_cast<char>('0' + (u >> 6));
        out += static_cast<char>('0' + ((u >> 3) & 7));
        out += static_cast<char>('0' + (u & 7));
    } else {
        out += c;
    }
}

boost::system::error_code parse_bytea(std::string_view in, std::vector<std::byte>& out) {
    out.clear();
    if (in.size() >= 2 && in[0] == '\\' && in[1] == 'x') {
        out.reserve((in.size() - 2) / 2);
        for (std::size_t i = 2; i < in.size();) {
            if (is_space(in[i])) {
                ++i;
                continue;
            }
            const int hi = hex_value(in[i]);
            const int lo = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
            if (hi < 0 || lo < 0) return client_errc::invalid_text_value;
            out.push_back(static_cast<std::byte>((hi << 4) | lo));
            i += 2;
        }
        return {};
    }
    // The escape format (bytea_output = 'escape', and any server before 9.0).
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size();) {
        if (in[i] != '\\') {
            out.push_back(static_cast<std::byte>(in[i]));
            ++i;
        } else if (i + 1 < in.size() && in[i + 1] == '\\') {
            out.push_back(std::byte{'\\'});
            i += 2;
        } else if (i + 3 < in.size() && in[i + 1] >= '0' && in[i + 1] <= '3' &&
                   is_octal(in[i + 2]) && is_octal(in[i + 3])) {
            out.push_back(static_cast<std::byte>(((in[i + 1] - '0') << 6) |
                                                 ((in[i + 2] - '0') << 3) | (in[i + 3] - '0')));
            i += 4;
        } else {
            return client_errc::invalid_text_value;
        }
    }
    return {};
}

void append_bytea(std::string& out, std::span<const std::byte> v) {
    out.reserve(out.size() + 2 + 2 * v.size());
    out += "\\x";
    for (auto b : v)
        append_hex(out, static_cast<std::uint8_t>(b));
}

} // namespace pgasio::protocol::types::detail
