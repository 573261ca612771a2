// Transaction and command ids: xid, xid8 and cid, each its own C++ type (their values are not
// oids or plain numbers to compute with).
#pragma once

#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

#include <compare>
#include <cstdint>

namespace pgasio::protocol {

/// A 32-bit transaction id (xid): what `xmin`, `xmax` and pg_locks show. It wraps around, so
/// ids compare only for equality on the server (`xid = xid`); here they also order by their
/// number, which says nothing about which transaction came first.
struct xid {
    /// The id.
    std::uint32_t value = 0;
    /// By number.
    friend auto operator<=>(const xid&, const xid&) = default;
};

/// A 64-bit transaction id (xid8, PostgreSQL 13 and later): the epoch and the 32-bit xid, never
/// wrapping (pg_current_xact_id()); ids order as the transactions started.
struct xid8 {
    /// The id.
    std::uint64_t value = 0;
    /// As the transactions started.
    friend auto operator<=>(const xid8&, const xid8&) = default;
};

/// A command id within a transaction (cid: the `cmin` and `cmax` system columns).
struct cid {
    /// The id.
    std::uint32_t value = 0;
    /// By number.
    friend auto operator<=>(const cid&, const cid&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

namespace detail {

/// Parses an unsigned decimal number up to `max`, white space around it allowed (as xidin,
/// xid8in and cidin read them). Errors: invalid_text_value, value_out_of_range.
boost::system::error_code parse_unsigned(std::string_view in, std::uint64_t max,
                                         std::uint64_t& out) noexcept;
/// Appends the decimal form of `v`.
void append_unsigned(std::string& out, std::uint64_t v);

/// The codec of an id type Id holding an unsigned number Uint, sent as server type Type.
template <class Id, class Uint, oid Type, oid ArrayType>
struct id_codec {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = Type;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = ArrayType;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == Type; }
    /// Appends the binary form of `v` (the number, big-endian).
    static boost::system::error_code encode_binary(write_buffer& out, const Id& v) {
        if constexpr (sizeof(Uint) == 8)
            out.put_u64(v.value);
        else
            out.put_u32(v.value);
        return {};
    }
    /// Decodes the binary form of a value of server type `t`. Errors: type_mismatch,
    /// invalid_binary_length.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   Id& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        if (in.size() != sizeof(Uint)) return client_errc::invalid_binary_length;
        protocol::detail::byte_reader r(in);
        if constexpr (sizeof(Uint) == 8)
            out.value = r.u64();
        else
            out.value = r.u32();
        return {};
    }
    /// Appends the text form of `v` (decimal).
    static boost::system::error_code encode_text(std::string& out, const Id& v) {
        append_unsigned(out, v.value);
        return {};
    }
    /// Decodes the text form of a value of server type `t`. Errors: type_mismatch,
    /// invalid_text_value, value_out_of_range.
    static boost::system::error_code decode_text(std::string_view in, oid t, Id& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        std::uint64_t v = 0;
        if (auto ec = parse_unsigned(in, static_cast<Uint>(-1), v)) return ec;
        out.value = static_cast<Uint>(v);
        return {};
    }
};

} // namespace detail

/// `pgasio::protocol::xid` <-> xid: 4 bytes.
template <>
struct codec<xid> : detail::id_codec<xid, std::uint32_t, oids::xid, oids::xid_array> {};

/// `pgasio::protocol::xid8` <-> xid8: 8 bytes.
template <>
struct codec<xid8> : detail::id_codec<xid8, std::uint64_t, oids::xid8, oids::xid8_array> {};

/// `pgasio::protocol::cid` <-> cid: 4 bytes.
template <>
struct codec<cid> : detail::id_codec<cid, std::uint32_t, oids::cid, oids::cid_array> {};

} // namespace pgasio::protocol::types
