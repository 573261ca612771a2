// Binary and text forms of inet, cidr, macaddr and macaddr8.
#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/types/detail/text.hpp>
#include <pgasio/protocol/types/network.hpp>

#include <arpa/inet.h>

#include <cstring>

namespace pgasio::protocol::types::detail {
namespace {

std::size_t address_size(ip_family f) noexcept {
    return f == ip_family::ipv4 ? 4 : 16;
}

bool valid_family(ip_family f) noexcept {
    return f == ip_family::ipv4 || f == ip_family::ipv6;
}

// True if every bit of the address after the first `bits` is zero (a valid cidr).
bool host_bits_zero(const ip_network& n) noexcept {
    const std::size_t size = address_size(n.family);
    for (std::size_t i = 0; i < size; ++i) {
        const std::size_t first_bit = i * 8;
        if (first_bit + 8 <= n.prefix_length) continue;
        const std::size_t keep = first_bit >= n.prefix_length ? 0 : n.prefix_length - first_bit;
        const auto host_mask = static_cast<std::uint8_t>(0xff >> keep);
        if (n.address[i] & host_mask) return false;
    }
    return true;
}

// The checks shared by both encoders.
boost::system::error_code check_network(const ip_network& n, oid t) noexcept {
    if (!valid_family(n.family) || n.prefix_length > address_size(n.family) * 8)
        return client_errc::value_out_of_range;
    if (t == oids::cidr && !host_bits_zero(n)) return client_errc::value_out_of_range;
    return {};
}

// A decimal number of 1 to 3 digits (octets and prefix lengths), or -1.
int parse_small(std::string_view s) noexcept {
    if (s.empty() || s.size() > 3) return -1;
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

// IPv4 dotted notation. inet requires the four octets; cidr takes 1 to 4 and, without an
// explicit prefix length, infers it from the address class as the server does.
bool parse_ipv4(std::string_view s, bool is_cidr, int bits, ip_network& out) noexcept {
    std::size_t octets = 0;
    while (true) {
        const std::size_t dot = s.find('.');
        const int v = parse_small(s.substr(0, dot));
        if (v < 0 || v > 255 || octets == 4) return false;
        out.address[octets++] = static_cast<std::uint8_t>(v);
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
    }
    if (!is_cidr && octets != 4) return false;
    if (bits < 0) {
        if (!is_cidr) {
            bits = 32;
        } else {
            const std::uint8_t first = out.address[0];
            bits = first >= 240 ? 32 : first >= 224 ? 8 : first >= 192 ? 24 : first >= 128 ? 16 : 8;
            // A mask narrower than the octets written is widened to cover them; a class D
            // address with nothing after its first octet is a /4.
            if (bits < static_cast<int>(octets) * 8) bits = static_cast<int>(octets) * 8;
            if (bits == 8 && first == 224) bits = 4;
        }
    }
    if (bits > 32) return false;
    out.prefix_length = static_cast<std::uint8_t>(bits);
    return true;
}

bool parse_ipv6(std::string_view s, int bits, ip_network& out) noexcept {
    char buf[64];
    if (s.size() >= sizeof buf) return false;
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    if (::inet_pton(AF_INET6, buf, out.address.data()) != 1) return false;
    if (bits < 0) bits = 128;
    if (bits > 128) return false;
    out.prefix_length = static_cast<std::uint8_t>(bits);
    return true;
}

void append_decimal(std::string& out, unsigned v) {
    append_integer(out, v);
}

// The server's inet_net_ntop_ipv6 (from BIND): the longest run (at least two) of zero groups
// becomes "::", the first such run on a tie; an address whose first 5 groups are zero and sixth
// is ffff, or whose first 6 are zero, ends in dotted IPv4.
void append_ipv6(std::string& out, const std::array<std::uint8_t, 16>& a) {
    unsigned words[8];
    for (std::size_t i = 0; i < 8; ++i)
        words[i] = (unsigned{a[2 * i]} << 8) | a[2 * i + 1];
    int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
    for (int i = 0; i < 8; ++i) {
        if (words[i] == 0) {
            if (cur_base == -1) cur_base = i, cur_len = 0;
            ++cur_len;
        } else if (cur_base != -1) {
            if (best_base == -1 || cur_len > best_len) best_base = cur_base, best_len = cur_len;
            cur_base = -1;
        }
    }
    if (cur_base != -1 && (best_base == -1 || cur_len > best_len))
        best_base = cur_base, best_len = cur_len;
    if (best_base != -1 && best_len < 2) best_base = -1;

    static constexpr char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i) {
        if (best_base != -1 && i >= best_base && i < best_base + best_len) {
            if (i == best_base) out += ':';
            continue;
        }
        if (i != 0) out += ':';
        if (i == 6 && best_base == 0 &&
            (best_len == 6 || (best_len == 7 && words[7] != 1) ||
             (best_len == 5 && words[5] == 0xffff))) {
            for (std::size_t b = 12; b < 16; ++b) {
                if (b != 12) out += '.';
                append_decimal(out, a[b]);
            }
            break;
        }
        const unsigned w = words[i];
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            const unsigned d = (w >> shift) & 0xf;
            if (d != 0 || started || shift == 0) {
                out += digits[d];
                started = true;
            }
        }
    }
    if (best_base != -1 && best_base + best_len == 8) out += ':';
}

} // namespace

boost::system::error_code decode_ip_binary(std::span<const std::byte> in, oid t,
                                           ip_network& out) noexcept {
    if (in.size() < 4) return client_errc::invalid_binary_length;
    protocol::detail::byte_reader r(in);
    const auto family = static_cast<ip_family>(r.u8());
    const std::uint8_t bits = r.u8();
    const std::uint8_t is_cidr = r.u8();
    const std::uint8_t size = r.u8();
    if (!valid_family(family)) return client_errc::value_out_of_range;
    if (size != address_size(family) || r.remaining() != size)
        return client_errc::invalid_binary_length;
    if (bits > size * 8) return client_errc::value_out_of_range;
    // The server ignores the flag on input but writes it faithfully: a flag that disagrees with
    // the column type means the bytes are not what they claim to be.
    if (is_cidr != (t == oids::cidr ? 1 : 0)) return client_errc::value_out_of_range;
    out.family = family;
    out.prefix_length = bits;
    out.address = {};
    const auto addr = r.rest();
    for (std::size_t i = 0; i < addr.size(); ++i)
        out.address[i] = static_cast<std::uint8_t>(addr[i]);
    if (t == oids::cidr && !host_bits_zero(out)) return client_errc::value_out_of_range;
    return {};
}

boost::system::error_code encode_ip_binary(write_buffer& out, const ip_network& v, oid t) {
    if (auto ec = check_network(v, t)) return ec;
    const std::size_t size = address_size(v.family);
    out.put_u8(static_cast<std::uint8_t>(v.family));
    out.put_u8(v.prefix_length);
    out.put_u8(t == oids::cidr ? 1 : 0);
    out.put_u8(static_cast<std::uint8_t>(size));
    for (std::size_t i = 0; i < size; ++i)
        out.put_u8(v.address[i]);
    return {};
}

boost::system::error_code parse_ip(std::string_view in, oid t, ip_network& out) noexcept {
    out = {};
    const bool is_cidr = t == oids::cidr;
    std::string_view addr = in;
    int bits = -1;
    if (const std::size_t slash = in.find('/'); slash != std::string_view::npos) {
        addr = in.substr(0, slash);
        bits = parse_small(in.substr(slash + 1));
        if (bits < 0) return client_errc::invalid_text_value;
    }
    // Like the server: an address with a colon is IPv6, any other is IPv4.
    const bool v6 = addr.find(':') != std::string_view::npos;
    out.family = v6 ? ip_family::ipv6 : ip_family::ipv4;
    const bool ok = v6 ? parse_ipv6(addr, bits, out) : parse_ipv4(addr, is_cidr, bits, out);
    if (!ok) return client_errc::invalid_text_value;
    if (is_cidr && !host_bits_zero(out)) return client_errc::invalid_text_value;
    return {};
}

boost::system::error_code append_ip(std::string& out, const ip_network& v, oid t) {
    if (auto ec = check_network(v, t)) return ec;
    if (v.family == ip_family::ipv4) {
        for (std::size_t i = 0; i < 4; ++i) {
            if (i != 0) out += '.';
            append_decimal(out, v.address[i]);
        }
    } else {
        append_ipv6(out, v.address);
    }
    // inet omits a full-length prefix; cidr always shows it.
    if (t == oids::cidr || v.prefix_length != address_size(v.family) * 8) {
        out += '/';
        append_decimal(out, v.prefix_length);
    }
    return {};
}

boost::system::error_code parse_mac(std::string_view in, std::span<std::uint8_t> out) noexcept {
    const std::string_view s = trim_space(in);
    std::uint8_t bytes[8];
    std::size_t n = 0;
    char separator = '\0';
    std::size_t i = 0;
    while (i < s.size()) {
        if (n != 0 && (s[i] == ':' || s[i] == '-' || s[i] == '.')) {
            // One kind of separator, between byte pairs only.
            if ((separator != '\0' && s[i] != separator) || i + 1 >= s.size() ||
                hex_value(s[i + 1]) < 0)
                return client_errc::invalid_text_value;
            separator = s[i];
            ++i;
        }
        if (n == 8 || i + 1 >= s.size()) return client_errc::invalid_text_value;
        const int hi = hex_value(s[i]);
        const int lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0) return client_errc::invalid_text_value;
        bytes[n++] = static_cast<std::uint8_t>((hi << 4) | lo);
        i += 2;
    }
    if (n == out.size()) {
        std::memcpy(out.data(), bytes, n);
    } else if (n == 6 && out.size() == 8) {
        // EUI-48 into EUI-64: FF:FE between the OUI and the rest, as macaddr8_in does.
        std::memcpy(out.data(), bytes, 3);
        out[3] = 0xff;
        out[4] = 0xfe;
        std::memcpy(out.data() + 5, bytes + 3, 3);
    } else {
        return client_errc::invalid_text_value;
    }
    return {};
}

void append_mac(std::string& out, std::span<const std::uint8_t> bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i != 0) out += ':';
        append_hex(out, bytes[i]);
    }
}

} // namespace pgasio::protocol::types::detail
