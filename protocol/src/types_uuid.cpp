// Text form of uuid.
#include <pgasio/protocol/types/detail/text.hpp>
#include <pgasio/protocol/types/uuid.hpp>

namespace pgasio::protocol::types {

boost::system::error_code detail::parse_uuid(std::string_view in, uuid& out) noexcept {
    // The server's string_to_uuid: no white space; a hyphen may follow any group of four digits
    // but the last; braces around the whole or not at all.
    std::size_t i = 0;
    const bool braces = !in.empty() && in[0] == '{';
    if (braces) ++i;
    for (std::size_t b = 0; b < out.bytes.size(); ++b) {
        if (i + 1 >= in.size()) return client_errc::invalid_text_value;
        const int hi = hex_value(in[i]);
        const int lo = hex_value(in[i + 1]);
        if (hi < 0 || lo < 0) return client_errc::invalid_text_value;
        out.bytes[b] = static_cast<std::uint8_t>((hi << 4) | lo);
        i += 2;
        if (i < in.size() && in[i] == '-' && b % 2 == 1 && b + 1 < out.bytes.size()) ++i;
    }
    if (braces) {
        if (i >= in.size() || in[i] != '}') return client_errc::invalid_text_value;
        ++i;
    }
    if (i != in.size()) return client_errc::invalid_text_value;
    return {};
}

boost::system::error_code codec<uuid>::encode_text(std::string& out, const uuid& v) {
    for (std::size_t i = 0; i < v.bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        detail::append_hex(out, v.bytes[i]);
    }
    return {};
}

} // namespace pgasio::protocol::types
