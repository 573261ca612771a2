// Codecs for the floating-point types: real (float4) and double precision (float8).
#pragma once

#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/detail/text.hpp>

#include <bit>
#include <cstdint>

namespace pgasio::protocol::types {

/// `float` <-> real (float4). Binary is the IEEE 754 bit pattern, so NaN, infinities and -0.0
/// round-trip exactly. Text is the shortest form that reads back exactly; "NaN", "Infinity" and
/// "-Infinity" name the special values (both ways, any case on input, as the server accepts).
template <>
struct codec<float> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::float4;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::float4_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::float4; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const float& v) {
        out.put_u32(std::bit_cast<std::uint32_t>(v));
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   float& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        if (in.size() != 4) return client_errc::invalid_binary_length;
        out = std::bit_cast<float>(protocol::detail::byte_reader(in).u32());
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const float& v) {
        detail::append_float(out, v);
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, float& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        return detail::parse_float(in, out);
    }
};

/// `double` <-> double precision (float8); also decodes real (exactly: every float is a double).
/// A real in text form is parsed as a float and then widened, so that text and binary results
/// agree ("0.1" from a real column is the double nearest to 0.1f, not to 0.1).
template <>
struct codec<double> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::float8;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::float8_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::float4 || t == oids::float8; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const double& v) {
        out.put_u64(std::bit_cast<std::uint64_t>(v));
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   double& out) noexcept {
        if (t == oids::float4) {
            float f = 0;
            if (auto ec = codec<float>::decode_binary(in, t, f)) return ec;
            out = f;
            return {};
        }
        if (t != oids::float8) return client_errc::type_mismatch;
        if (in.size() != 8) return client_errc::invalid_binary_length;
        out = std::bit_cast<double>(protocol::detail::byte_reader(in).u64());
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const double& v) {
        detail::append_float(out, v);
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, double& out) noexcept {
        if (t == oids::float4) {
            float f = 0;
            if (auto ec = detail::parse_float(in, f)) return ec;
            out = f;
            return {};
        }
        if (t != oids::float8) return client_errc::type_mismatch;
        return detail::parse_float(in, out);
    }
};

} // namespace pgasio::protocol::types
