// Codec for boolean.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

namespace pgasio::protocol::types {

namespace detail {
/// Parses boolean input as the server does: white space around it, any case, "t"/"true",
/// "f"/"false", "y"/"yes", "n"/"no" and their prefixes, "on", "off" (at least "of"), "1", "0".
boost::system::error_code parse_bool(std::string_view in, bool& out) noexcept;
} // namespace detail

/// `bool` <-> boolean. Binary is one byte; like the server, any non-zero byte reads as true.
/// Text output is "t" / "f" (the server's own output).
template <>
struct codec<bool> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::bool_;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::bool_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::bool_; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const bool& v) {
        out.put_u8(v ? 1 : 0);
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   bool& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        if (in.size() != 1) return client_errc::invalid_binary_length;
        out = in[0] != std::byte{0};
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const bool& v) {
        out += v ? 't' : 'f';
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, bool& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        return detail::parse_bool(in, out);
    }
};

} // namespace pgasio::protocol::types
