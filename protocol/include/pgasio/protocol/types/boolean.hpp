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
    static constexpr oid type_oid = oids::bool_;
    static constexpr oid array_oid = oids::bool_array;
    static constexpr bool accepts(oid t) noexcept { return t == oids::bool_; }
    static boost::system::error_code encode_binary(write_buffer& out, const bool& v) {
        out.put_u8(v ? 1 : 0);
        return {};
    }
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   bool& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        if (in.size() != 1) return client_errc::invalid_binary_length;
        out = in[0] != std::byte{0};
        return {};
    }
    static boost::system::error_code encode_text(std::string& out, const bool& v) {
        out += v ? 't' : 'f';
        return {};
    }
    static boost::system::error_code decode_text(std::string_view in, oid t, bool& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        return detail::parse_bool(in, out);
    }
};

} // namespace pgasio::protocol::types
