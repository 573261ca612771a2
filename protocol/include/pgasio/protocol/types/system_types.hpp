// Types of the system columns and catalogs: tid, int2vector, oidvector, and the transaction
// snapshots pg_snapshot and txid_snapshot; with their codecs.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

#include <compare>
#include <cstdint>
#include <vector>

namespace pgasio::protocol {

/// A tuple identifier (tid: the `ctid` system column): the block of the table's file and the item
/// within it, text "(0,1)".
struct tid {
    /// The block number.
    std::uint32_t block = 0;
    /// The item's offset number within the block (1-based for real items).
    std::uint16_t offset = 0;
    /// By block, then offset: the order the server sorts tids in.
    friend auto operator<=>(const tid&, const tid&) = default;
};

/// An int2vector (pg_index.indkey and other catalog columns): a list of smallints, text "1 -2".
/// The server cannot receive an empty one in binary (int2vectorrecv refuses the array it makes
/// of it), so encoding an empty one fails with value_out_of_range; its text form is "".
struct int2vector {
    /// The numbers, in order.
    std::vector<std::int16_t> values;
    /// Whether both hold the same numbers in the same order.
    friend bool operator==(const int2vector&, const int2vector&) = default;
};

/// An oidvector (pg_proc.proargtypes and other catalog columns): a list of OIDs, text "23 25".
/// As for int2vector, an empty one cannot be sent in binary (value_out_of_range).
struct oidvector {
    /// The OIDs, in order.
    std::vector<std::uint32_t> values;
    /// Whether both hold the same OIDs in the same order.
    friend bool operator==(const oidvector&, const oidvector&) = default;
};

/// A transaction snapshot (pg_snapshot, PostgreSQL 13 and later; also read from the older
/// txid_snapshot, which has the same forms): text "xmin:xmax:xip,...", e.g. "10:20:10,14,15".
///
/// The server's rules, checked both ways (value_out_of_range): 0 < xmin <= xmax <= 2^63-1, and
/// the in-progress ids `xip` ascending, each in [xmin, xmax). Duplicates in `xip` are dropped on
/// decoding, as the server drops them on input.
struct pg_snapshot {
    /// The earliest transaction id still active.
    std::uint64_t xmin = 1;
    /// The first transaction id not yet assigned.
    std::uint64_t xmax = 1;
    /// The transaction ids in progress, ascending.
    std::vector<std::uint64_t> xip;
    /// Whether both have the same members.
    friend bool operator==(const pg_snapshot&, const pg_snapshot&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

namespace detail {

/// The codec of a system type T (server type Type) whose members are defined in
/// types_system.cpp. Binary forms are the server's send functions' output: tid is the block as
/// uint32 and the offset as uint16; int2vector and oidvector are one-dimensional arrays (the
/// array wire format) of int2 or oid with lower bound 0 and no NULLs; pg_snapshot is the number
/// of xips as int32, xmin and xmax as int64, then the xips as int64. Text forms are what the
/// server's output functions write.
///
/// Decoding errors: type_mismatch (another server type), invalid_binary_length (a size or a count
/// that does not fit the bytes, a negative count), invalid_array (int2vector or oidvector bytes
/// that are not such an array: another element type, more dimensions, a lower bound other than
/// 0, NULLs), value_out_of_range (see pg_snapshot), invalid_text_value (text syntax). Encoding
/// errors: value_out_of_range.
template <class T, oid Type, oid ArrayType>
struct system_codec {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = Type;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = ArrayType;
    /// Whether values of server type `t` decode into this type (pg_snapshot also reads
    /// txid_snapshot).
    static constexpr bool accepts(oid t) noexcept {
        return t == Type || (Type == oids::pg_snapshot && t == oids::txid_snapshot);
    }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const T& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t, T& out);
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const T& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, T& out);
};

extern template struct system_codec<tid, oids::tid, oids::tid_array>;
extern template struct system_codec<int2vector, oids::int2vector, oids::int2vector_array>;
extern template struct system_codec<oidvector, oids::oidvector, oids::oidvector_array>;
extern template struct system_codec<pg_snapshot, oids::pg_snapshot, oids::pg_snapshot_array>;

} // namespace detail

/// `pgasio::protocol::tid` <-> tid: 6 bytes.
template <>
struct codec<tid> : detail::system_codec<tid, oids::tid, oids::tid_array> {};

/// `pgasio::protocol::int2vector` <-> int2vector.
template <>
struct codec<int2vector>
    : detail::system_codec<int2vector, oids::int2vector, oids::int2vector_array> {};

/// `pgasio::protocol::oidvector` <-> oidvector.
template <>
struct codec<oidvector> : detail::system_codec<oidvector, oids::oidvector, oids::oidvector_array> {
};

/// `pgasio::protocol::pg_snapshot` <-> pg_snapshot; also decodes txid_snapshot.
template <>
struct codec<pg_snapshot>
    : detail::system_codec<pg_snapshot, oids::pg_snapshot, oids::pg_snapshot_array> {};

} // namespace pgasio::protocol::types
