// Codecs for the integer types: int2, int4, int8 and oid (with the OID alias types).
#pragma once

#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/detail/text.hpp>

#include <cstdint>

namespace pgasio::protocol::types {

namespace detail {

/// The OID alias types (regclass, regtype, ...): an oid whose text form is the name of what it
/// designates. Their binary form is the oid's.
constexpr bool is_oid_alias(oid t) noexcept {
    return t == oids::regproc || t == oids::regprocedure || t == oids::regoper ||
           t == oids::regoperator || t == oids::regclass || t == oids::regtype ||
           t == oids::regconfig || t == oids::regdictionary || t == oids::regnamespace ||
           t == oids::regrole || t == oids::regcollation;
}

/// Reads the binary form of an int2, int4, int8 or oid value (its width follows from `t`).
/// Errors: type_mismatch (t is none of them), invalid_binary_length.
inline boost::system::error_code read_integer(std::span<const std::byte> in, oid t,
                                              std::int64_t& out) noexcept {
    std::size_t width = 0;
    switch (t) {
    case oids::int2:
        width = 2;
        break;
    case oids::int4:
    case oids::oid_:
        width = 4;
        break;
    case oids::int8:
        width = 8;
        break;
    default:
        if (!is_oid_alias(t)) return client_errc::type_mismatch;
        width = 4;
        break;
    }
    if (in.size() != width) return client_errc::invalid_binary_length;
    protocol::detail::byte_reader r(in);
    switch (t) {
    case oids::int2:
        out = r.i16();
        break;
    case oids::int4:
        out = r.i32();
        break;
    case oids::int8:
        out = r.i64();
        break;
    default: // oid and its aliases
        out = r.u32();
        break;
    }
    return {};
}

/// The codec of a signed integer type: binary and text, widening from the smaller server types
/// that `Codec::accepts` names (never narrowing: an int8 column does not decode into int32).
template <class Int, class Codec>
struct integer_codec {
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const Int& v) {
        append_integer(out, v);
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   Int& out) noexcept {
        if (!Codec::accepts(t)) return client_errc::type_mismatch;
        std::int64_t v = 0;
        if (auto ec = read_integer(in, t, v)) return ec;
        out = static_cast<Int>(v); // accepts() admits only types whose values all fit
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, Int& out) noexcept {
        if (!Codec::accepts(t)) return client_errc::type_mismatch;
        return parse_integer(in, out);
    }
};

} // namespace detail

/// `std::int16_t` <-> smallint (int2).
template <>
struct codec<std::int16_t> : detail::integer_codec<std::int16_t, codec<std::int16_t>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::int2;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::int2_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::int2; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const std::int16_t& v) {
        out.put_i16(v);
        return {};
    }
};

/// `std::int32_t` <-> integer (int4); also decodes smallint.
template <>
struct codec<std::int32_t> : detail::integer_codec<std::int32_t, codec<std::int32_t>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::int4;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::int4_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::int2 || t == oids::int4; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const std::int32_t& v) {
        out.put_i32(v);
        return {};
    }
};

/// `std::int64_t` <-> bigint (int8); also decodes smallint and integer.
template <>
struct codec<std::int64_t> : detail::integer_codec<std::int64_t, codec<std::int64_t>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::int8;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::int8_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept {
        return t == oids::int2 || t == oids::int4 || t == oids::int8;
    }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const std::int64_t& v) {
        out.put_i64(v);
        return {};
    }
};

/// `std::uint32_t` (which is `pgasio::protocol::oid`) <-> the `oid` type: an unsigned 32-bit
/// number, written in text as 0..4294967295. Also decodes the OID alias types (regclass,
/// regtype, regproc, regprocedure, regoper, regoperator, regnamespace, regrole, regconfig,
/// regdictionary, regcollation) into their oid: their binary form is the oid, but their text
/// form is a name (`pg_class`), which only a number-valued alias (an oid that names nothing)
/// decodes from; read the name as std::string (with_text_results, or a cast to text in SQL).
template <>
struct codec<std::uint32_t> : detail::integer_codec<std::uint32_t, codec<std::uint32_t>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::oid_;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::oid_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept {
        return t == oids::oid_ || detail::is_oid_alias(t);
    }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const std::uint32_t& v) {
        out.put_u32(v);
        return {};
    }
};

} // namespace pgasio::protocol::types
