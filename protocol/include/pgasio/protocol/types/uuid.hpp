// The uuid value type and its codec.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

#include <array>
#include <compare>
#include <cstdint>

namespace pgasio::protocol {

/// A UUID: its 16 bytes in network order (the order of its text form).
///
/// @code
/// uuid id{{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8,
///          0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}};  //
///          a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11
/// @endcode
struct uuid {
    /// The 16 bytes, in the order the text form writes them.
    std::array<std::uint8_t, 16> bytes{};

    /// Byte-wise order, the order PostgreSQL sorts uuids in.
    friend auto operator<=>(const uuid&, const uuid&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

namespace detail {
/// Parses the uuid input forms the server accepts: 32 hex digits (either case), optionally
/// with a hyphen after any group of four digits (so the standard 8-4-4-4-12 form), optionally
/// inside braces. Errors: invalid_text_value.
boost::system::error_code parse_uuid(std::string_view in, uuid& out) noexcept;
} // namespace detail

/// `pgasio::protocol::uuid` <-> uuid. Binary is the 16 bytes; text output is the lower-case
/// 8-4-4-4-12 form, as the server writes it.
template <>
struct codec<uuid> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::uuid;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::uuid_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::uuid; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const uuid& v) {
        for (auto b : v.bytes)
            out.put_u8(b);
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   uuid& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        if (in.size() != out.bytes.size()) return client_errc::invalid_binary_length;
        for (std::size_t i = 0; i < in.size(); ++i)
            out.bytes[i] = static_cast<std::uint8_t>(in[i]);
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const uuid& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, uuid& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        return detail::parse_uuid(in, out);
    }
};

} // namespace pgasio::protocol::types
