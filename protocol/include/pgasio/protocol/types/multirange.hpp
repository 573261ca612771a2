// Multirange codecs: pgasio::protocol::multirange<T> for the multirange types over T.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/detail/value_length.hpp>
#include <pgasio/protocol/types/range.hpp>
#include <pgasio/protocol/types/temporal_ranges.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

namespace pgasio::protocol {

/// A multirange of T (PostgreSQL 14 and later): a list of ranges of T. int4multirange is
/// multirange<std::int32_t>, text "{[1,3),[5,7)}"; the empty multirange "{}" has no ranges.
///
/// The server keeps a multirange's ranges sorted, merged where they overlap or touch, and without
/// empty ones: it does so on input, so what it sends back may have fewer ranges than what it was
/// sent. The decoders keep the ranges as the value has them (the text decoder drops "empty"
/// ranges, as the server does); comparison is member-wise, as for range<T>.
///
/// @code
/// multirange<std::int32_t> m{{{1, 3, true, false}, {5, 7, true, false}}};  // {[1,3),[5,7)}
/// @endcode
template <class T>
struct multirange {
    /// The ranges, in order.
    std::vector<range<T>> ranges{};
    /// Whether both hold the same ranges in the same order.
    friend bool operator==(const multirange&, const multirange&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

/// Maps a bound type T to its multirange type: specialise it to make codec<multirange<T>>
/// available (range_oids<T> must name the range type). Members: `multirange_type` (the
/// multirange's OID), `multirange_array` (its array's OID).
template <class T>
struct multirange_oids;

/// int4multirange.
template <>
struct multirange_oids<std::int32_t> {
    /// The multirange type.
    static constexpr oid multirange_type = oids::int4multirange;
    /// The array type of the multirange type.
    static constexpr oid multirange_array = oids::int4multirange_array;
};

/// int8multirange.
template <>
struct multirange_oids<std::int64_t> {
    /// The multirange type.
    static constexpr oid multirange_type = oids::int8multirange;
    /// The array type of the multirange type.
    static constexpr oid multirange_array = oids::int8multirange_array;
};

/// nummultirange.
template <>
struct multirange_oids<numeric> {
    /// The multirange type.
    static constexpr oid multirange_type = oids::nummultirange;
    /// The array type of the multirange type.
    static constexpr oid multirange_array = oids::nummultirange_array;
};

/// datemultirange.
template <>
struct multirange_oids<std::chrono::sys_days> {
    /// The multirange type.
    static constexpr oid multirange_type = oids::datemultirange;
    /// The array type of the multirange type.
    static constexpr oid multirange_array = oids::datemultirange_array;
};

/// tsmultirange.
template <>
struct multirange_oids<std::chrono::local_time<std::chrono::microseconds>> {
    /// The multirange type.
    static constexpr oid multirange_type = oids::tsmultirange;
    /// The array type of the multirange type.
    static constexpr oid multirange_array = oids::tsmultirange_array;
};

/// tstzmultirange.
template <>
struct multirange_oids<std::chrono::sys_time<std::chrono::microseconds>> {
    /// The multirange type.
    static constexpr oid multirange_type = oids::tstzmultirange;
    /// The array type of the multirange type.
    static constexpr oid multirange_array = oids::tstzmultirange_array;
};

/// tsmultirange over the whole timestamp range.
template <>
struct multirange_oids<timestamp>
    : multirange_oids<std::chrono::local_time<std::chrono::microseconds>> {};

/// tstzmultirange over the whole timestamptz range.
template <>
struct multirange_oids<timestamptz>
    : multirange_oids<std::chrono::sys_time<std::chrono::microseconds>> {};

namespace detail {

/// Reads a binary multirange: an int32 count, then each range as an int32 length and that many
/// bytes (range_send's form), into views of `in`. The count is refused before anything is
/// allocated when the bytes cannot hold that many lengths. Errors: invalid_binary_length (a
/// negative count or length, a length past the end, missing or trailing bytes).
boost::system::error_code read_multirange(std::span<const std::byte> in,
                                          std::vector<std::span<const std::byte>>& out);

/// Splits the text of a multirange as the server's multirange_in does: '{', ranges separated by
/// ',' (each from its '[' or '(' to the matching ']' or ')', quotes and backslashes respected,
/// or the word "empty", which is dropped), '}', white space around everything. `out` receives
/// the text of each non-empty range, as views of `in`. Errors: invalid_text_value.
boost::system::error_code split_text_multirange(std::string_view in,
                                                std::vector<std::string_view>& out);

} // namespace detail

/// `pgasio::protocol::multirange<T>` <-> the multirange type `multirange_oids<T>` names; the
/// ranges go through codec<range<T>>.
///
/// Errors: invalid_binary_length (framing, see read_multirange), invalid_text_value (text
/// syntax), type_mismatch, value_out_of_range (more than 2^31-1 ranges), and those of
/// codec<range<T>> for each range (on both encoding and decoding).
template <class T>
struct codec<multirange<T>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = multirange_oids<T>::multirange_type;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = multirange_oids<T>::multirange_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == type_oid; }

    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const multirange<T>& v) {
        if (v.ranges.size() > 0x7fffffff) return client_errc::value_out_of_range;
        const std::size_t start = out.size();
        out.put_i32(static_cast<std::int32_t>(v.ranges.size()));
        for (const auto& r : v.ranges) {
            const std::size_t at = detail::begin_value_length(out);
            auto ec = codec<range<T>>::encode_binary(out, r);
            if (!ec) ec = detail::end_value_length(out, at);
            if (ec) {
                out.truncate(start);
                return ec;
            }
        }
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   multirange<T>& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        std::vector<std::span<const std::byte>> parts;
        if (auto ec = detail::read_multirange(in, parts)) return ec;
        out.ranges.assign(parts.size(), range<T>{});
        for (std::size_t i = 0; i < parts.size(); ++i)
            if (auto ec = codec<range<T>>::decode_binary(parts[i], range_oids<T>::range_type,
                                                         out.ranges[i]))
                return ec;
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const multirange<T>& v) {
        const std::size_t start = out.size();
        out += '{';
        for (std::size_t i = 0; i < v.ranges.size(); ++i) {
            if (i != 0) out += ',';
            if (auto ec = codec<range<T>>::encode_text(out, v.ranges[i])) {
                out.resize(start);
                return ec;
            }
        }
        out += '}';
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, multirange<T>& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        std::vector<std::string_view> parts;
        if (auto ec = detail::split_text_multirange(in, parts)) return ec;
        out.ranges.assign(parts.size(), range<T>{});
        for (std::size_t i = 0; i < parts.size(); ++i)
            if (auto ec = codec<range<T>>::decode_text(parts[i], range_oids<T>::range_type,
                                                       out.ranges[i]))
                return ec;
        return {};
    }
};

} // namespace pgasio::protocol::types
