// Range codecs: pgasio::protocol::range<T> for the range types over T.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/detail/range_format.hpp>
#include <pgasio/protocol/types/detail/value_length.hpp>
#include <pgasio/protocol/types/integral.hpp>

#include <cstdint>
#include <optional>
#include <utility>

namespace pgasio::protocol {

/// A range of T: int4range is range<std::int32_t>, int8range range<std::int64_t>.
///
/// A missing bound (nullopt) is unbounded; an unbounded side is never inclusive. `empty` is the
/// empty range, which has no bounds and no inclusive flags. Ranges are compared member-wise: the
/// server's canonical forms (int4range '[1,3]' comes back as '[1,4)') are not applied, and
/// lower <= upper is left to the server to check.
///
/// @code
/// range<std::int32_t> r{1, 10, true, false};  // [1,10)
/// range<std::int64_t> from5{5, std::nullopt, true, false};  // [5,)
/// @endcode
template <class T>
struct range {
    /// The lower bound; nullopt when unbounded.
    std::optional<T> lower{};
    /// The upper bound; nullopt when unbounded.
    std::optional<T> upper{};
    /// Whether the lower bound is in the range.
    bool lower_inclusive = false;
    /// Whether the upper bound is in the range.
    bool upper_inclusive = false;
    /// True for the empty range (the bounds then mean nothing).
    bool empty = false;
    /// Whether both designate the same element.
    friend bool operator==(const range&, const range&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

/// Maps a bound type T to its range type: specialise it to make codec<range<T>> available.
/// Members: `range_type` (the range's OID), `range_array` (its array's OID), `subtype` (the
/// OID the bounds are encoded and decoded as).
template <class T>
struct range_oids;

/// int4range.
template <>
struct range_oids<std::int32_t> {
    /// The range type.
    static constexpr oid range_type = oids::int4range;
    /// The array type of the range type.
    static constexpr oid range_array = oids::int4range_array;
    /// The type of the bounds.
    static constexpr oid subtype = oids::int4;
};

/// int8range.
template <>
struct range_oids<std::int64_t> {
    /// The range type.
    static constexpr oid range_type = oids::int8range;
    /// The array type of the range type.
    static constexpr oid range_array = oids::int8range_array;
    /// The type of the bounds.
    static constexpr oid subtype = oids::int8;
};

/// `pgasio::protocol::range<T>` <-> the range type `range_oids<T>` names; bounds go through
/// codec<T> as `range_oids<T>::subtype`.
///
/// Errors: invalid_range (inconsistent flags or framing, see read_range and range_flags_of, on
/// both encoding and decoding), invalid_text_value (text syntax), type_mismatch, and those of
/// codec<T> for the bounds.
template <class T>
struct codec<range<T>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = range_oids<T>::range_type;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = range_oids<T>::range_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == type_oid; }

    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const range<T>& v) {
        std::uint8_t flags = 0;
        if (auto ec = flags_of(v, flags)) return ec;
        const std::size_t start = out.size();
        out.put_u8(flags);
        for (const auto* bound : {&v.lower, &v.upper}) {
            if (!*bound) continue;
            const std::size_t at = detail::begin_value_length(out);
            auto ec = codec<T>::encode_binary(out, **bound);
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
                                                   range<T>& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        detail::binary_range r;
        if (auto ec = detail::read_range(in, r)) return ec;
        return convert(r, out, [](std::span<const std::byte> from, T& to) {
            return codec<T>::decode_binary(from, range_oids<T>::subtype, to);
        });
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const range<T>& v) {
        std::uint8_t flags = 0;
        if (auto ec = flags_of(v, flags)) return ec;
        detail::text_range r;
        if (auto ec = convert(v, r, [](const T& from, std::string& to) {
                return codec<T>::encode_text(to, from);
            }))
            return ec;
        detail::append_text_range(out, r);
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, range<T>& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        detail::text_range r;
        if (auto ec = detail::parse_text_range(in, r)) return ec;
        return convert(r, out, [](const std::string& from, T& to) {
            return codec<T>::decode_text(from, range_oids<T>::subtype, to);
        });
    }

private:
    static boost::system::error_code flags_of(const range<T>& v, std::uint8_t& flags) noexcept {
        return detail::range_flags_of(v.empty, v.lower.has_value(), v.lower_inclusive,
                                      v.upper.has_value(), v.upper_inclusive, flags);
    }

    /// Copies the flags of `from` into a fresh `to` and converts each bound that is present with
    /// `convert_bound(from_bound, to_bound)`: the one piece of code for both bounds, between
    /// range<T> and the parts of either wire form (detail::binary_range, detail::text_range).
    /// Stops at the first error, leaving `to` partly filled.
    template <class From, class To, class ConvertBound>
    static boost::system::error_code convert(const From& from, To& to, ConvertBound convert_bound) {
        to = To{};
        to.empty = from.empty;
        to.lower_inclusive = from.lower_inclusive;
        to.upper_inclusive = from.upper_inclusive;
        for (auto [from_bound, to_bound] :
             {std::pair{&from.lower, &to.lower}, std::pair{&from.upper, &to.upper}}) {
            if (!*from_bound) continue;
            if (auto ec = convert_bound(**from_bound, to_bound->emplace())) return ec;
        }
        return {};
    }
};

} // namespace pgasio::protocol::types
