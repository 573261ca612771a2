// Codecs for bytea (binary strings).
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/view_traits.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace pgasio::protocol::types {

namespace detail {
/// Decodes bytea text: the hex format "\x0a1b..." (white space allowed between digit pairs, as
/// the server allows) or the legacy escape format ("\\" for a backslash, "\ooo" octal for any
/// byte, other bytes as themselves). Errors: invalid_text_value.
boost::system::error_code parse_bytea(std::string_view in, std::vector<std::byte>& out);
/// Appends bytea text in the hex format: "\x" and two lower-case digits per byte.
void append_bytea(std::string& out, std::span<const std::byte> v);
} // namespace detail

/// `std::vector<std::byte>` <-> bytea. Binary is the bytes themselves.
template <>
struct codec<std::vector<std::byte>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::bytea;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::bytea_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::bytea; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out,
                                                   const std::vector<std::byte>& v) {
        out.put_bytes(v);
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   std::vector<std::byte>& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        out.assign(in.begin(), in.end());
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out,
                                                 const std::vector<std::byte>& v) {
        detail::append_bytea(out, v);
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t,
                                                 std::vector<std::byte>& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        return detail::parse_bytea(in, out);
    }
};

/// `std::span<const std::byte>` <-> bytea, decoding into a view of the value bytes (valid as long
/// as they are). Only the binary form can be viewed: decode_text fails with type_mismatch because
/// bytea text is hex-encoded (decode it into std::vector<std::byte>).
template <>
struct codec<std::span<const std::byte>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::bytea;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::bytea_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::bytea; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out,
                                                   const std::span<const std::byte>& v) {
        out.put_bytes(v);
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   std::span<const std::byte>& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        out = in;
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out,
                                                 const std::span<const std::byte>& v) {
        detail::append_bytea(out, v);
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view, oid,
                                                 std::span<const std::byte>&) noexcept {
        return client_errc::type_mismatch;
    }
};

/// std::span<const std::byte> decodes into a view of its input.
template <>
struct is_view<std::span<const std::byte>> : std::true_type {};

} // namespace pgasio::protocol::types
