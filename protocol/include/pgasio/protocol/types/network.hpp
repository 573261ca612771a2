// The network address types inet, cidr, macaddr and macaddr8, and their codecs.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

#include <array>
#include <cstdint>

namespace pgasio::protocol {

/// The address family of an inet or cidr value. The values are the server's own codes
/// (PGSQL_AF_INET, PGSQL_AF_INET6), which are also the first byte of the binary form.
enum class ip_family : std::uint8_t {
    ipv4 = 2,
    ipv6 = 3,
};

/// An inet value: a host address and, optionally, its network's prefix length.
///
/// An IPv4 address occupies `address[0..3]` and the remaining bytes are zero (decoders ensure
/// this, so `==` compares values). `prefix_length` is 0..32 (IPv4) or 0..128 (IPv6); the full
/// length means "a single host" and is not written in the text form ("10.0.0.1", not
/// "10.0.0.1/32"). Host bits may be set (that is the difference with cidr).
struct inet {
    /// IPv4 or IPv6.
    ip_family family = ip_family::ipv4;
    /// The netmask's length in bits.
    std::uint8_t prefix_length = 32;
    /// The address, in its first 4 (IPv4) or 16 (IPv6) bytes.
    std::array<std::uint8_t, 16> address{};
    /// Whether both designate the same element.
    friend bool operator==(const inet&, const inet&) = default;
};

/// A cidr value: a network address. Same layout as inet, but the bits after `prefix_length` must
/// be zero; the text form always shows the prefix length ("10.0.0.0/8").
struct cidr {
    /// IPv4 or IPv6.
    ip_family family = ip_family::ipv4;
    /// The netmask's length in bits.
    std::uint8_t prefix_length = 32;
    /// The network address, in its first 4 (IPv4) or 16 (IPv6) bytes.
    std::array<std::uint8_t, 16> address{};
    /// Whether both designate the same element.
    friend bool operator==(const cidr&, const cidr&) = default;
};

/// A MAC address (EUI-48), text "08:00:2b:01:02:03".
struct macaddr {
    /// The six bytes of the address.
    std::array<std::uint8_t, 6> bytes{};
    /// The order of the elements they designate.
    friend auto operator<=>(const macaddr&, const macaddr&) = default;
};

/// A MAC address in EUI-64 format, text "08:00:2b:01:02:03:04:05".
struct macaddr8 {
    /// The eight bytes of the address.
    std::array<std::uint8_t, 8> bytes{};
    /// The order of the elements they designate.
    friend auto operator<=>(const macaddr8&, const macaddr8&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

namespace detail {

/// An inet or cidr value without its C++ type (both share the wire formats).
struct ip_network {
    ip_family family = ip_family::ipv4;
    std::uint8_t prefix_length = 32;
    std::array<std::uint8_t, 16> address{};
};

/// Decodes the binary form of inet/cidr: family, prefix length, is_cidr flag, address size (4 or
/// 16), address. Every field is checked: the family, the prefix length against the family, the
/// size against the family, the flag against `t` (inet or cidr), and, for cidr, that no host bit
/// is set. Errors: invalid_binary_length (the total or the address size does not fit the
/// family), value_out_of_range (an unknown family, a prefix length beyond the family's width, an
/// is_cidr flag that is not `t`'s, host bits set in a cidr).
boost::system::error_code decode_ip_binary(std::span<const std::byte> in, oid t,
                                           ip_network& out) noexcept;
/// Appends the binary form (is_cidr set when `t` is cidr). Errors: value_out_of_range (an
/// unknown family, a prefix length beyond the family's width, host bits set in a cidr).
boost::system::error_code encode_ip_binary(write_buffer& out, const ip_network& v, oid t);
/// Parses inet (`t` inet) or cidr (`t` cidr) text as the server does: IPv4 "a.b.c.d[/n]" or
/// IPv6 "x:x::x[/n]"; cidr also accepts abbreviated IPv4 networks ("10/8", "192.168.1") with
/// the classful default prefix length. Errors: invalid_text_value (also for a cidr with host
/// bits set, which the server refuses as well).
boost::system::error_code parse_ip(std::string_view in, oid t, ip_network& out) noexcept;
/// Appends the text form as the server writes it (IPv6 with the longest run of zero groups
/// compressed to "::", embedded IPv4 for mapped addresses; "/n" omitted for a full-length inet).
/// Errors: as encode_ip_binary.
boost::system::error_code append_ip(std::string& out, const ip_network& v, oid t);

/// Parses a MAC address of `n` bytes (6 or 8): pairs of hex digits, optionally separated by one
/// kind of separator (':', '-' or '.'), white space around it. Accepts every form the server
/// documents ("08:00:2b:01:02:03", "08-00-2b-01-02-03", "08002b:010203", "0800.2b01.0203",
/// "08002b010203", ...). For macaddr8 a 6-byte input is widened as the server does (FF:FE in the
/// middle). Errors: invalid_text_value.
boost::system::error_code parse_mac(std::string_view in, std::span<std::uint8_t> out) noexcept;
/// Appends the bytes as lower-case hex pairs separated by ':'.
void append_mac(std::string& out, std::span<const std::uint8_t> bytes);

/// The codec of inet and cidr, over their shared representation.
template <class Net, oid Type, oid ArrayType>
struct ip_codec {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = Type;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = ArrayType;
    /// inet decodes cidr values too (every network is an address); cidr decodes only cidr.
    static constexpr bool accepts(oid t) noexcept {
        return t == Type || (Type == oids::inet && t == oids::cidr);
    }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const Net& v) {
        return encode_ip_binary(out, {v.family, v.prefix_length, v.address}, Type);
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   Net& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        ip_network n;
        if (auto ec = decode_ip_binary(in, t, n)) return ec;
        out = {n.family, n.prefix_length, n.address};
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const Net& v) {
        return append_ip(out, {v.family, v.prefix_length, v.address}, Type);
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, Net& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        ip_network n;
        if (auto ec = parse_ip(in, t, n)) return ec;
        out = {n.family, n.prefix_length, n.address};
        return {};
    }
};

/// The codec of macaddr and macaddr8: the bytes in binary, hex pairs in text.
template <class Mac, oid Type, oid ArrayType>
struct mac_codec {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = Type;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = ArrayType;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == Type; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const Mac& v) {
        for (auto b : v.bytes)
            out.put_u8(b);
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   Mac& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        if (in.size() != out.bytes.size()) return client_errc::invalid_binary_length;
        for (std::size_t i = 0; i < in.size(); ++i)
            out.bytes[i] = static_cast<std::uint8_t>(in[i]);
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const Mac& v) {
        append_mac(out, v.bytes);
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, Mac& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        return parse_mac(in, out.bytes);
    }
};

} // namespace detail

/// `pgasio::protocol::inet` <-> inet; also decodes cidr.
template <>
struct codec<inet> : detail::ip_codec<inet, oids::inet, oids::inet_array> {};

/// `pgasio::protocol::cidr` <-> cidr. Decoding rejects values with host bits set
/// (value_out_of_range in binary, invalid_text_value in text), as the server's own input does;
/// encoding them fails with value_out_of_range.
template <>
struct codec<cidr> : detail::ip_codec<cidr, oids::cidr, oids::cidr_array> {};

/// `pgasio::protocol::macaddr` <-> macaddr (6 bytes).
template <>
struct codec<macaddr> : detail::mac_codec<macaddr, oids::macaddr, oids::macaddr_array> {};

/// `pgasio::protocol::macaddr8` <-> macaddr8 (8 bytes).
template <>
struct codec<macaddr8> : detail::mac_codec<macaddr8, oids::macaddr8, oids::macaddr8_array> {};

} // namespace pgasio::protocol::types
