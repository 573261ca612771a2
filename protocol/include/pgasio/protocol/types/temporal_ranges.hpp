// The range types over numeric and the date/time types: numrange, daterange, tsrange, tstzrange.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/date_time.hpp>
#include <pgasio/protocol/types/numeric.hpp>
#include <pgasio/protocol/types/range.hpp>

#include <chrono>

namespace pgasio::protocol::types {

/// numrange: range<numeric>.
template <>
struct range_oids<numeric> {
    /// The range type.
    static constexpr oid range_type = oids::numrange;
    /// The array type of the range type.
    static constexpr oid range_array = oids::numrange_array;
    /// The type of the bounds.
    static constexpr oid subtype = oids::numeric;
};

/// daterange: range<std::chrono::sys_days>.
template <>
struct range_oids<std::chrono::sys_days> {
    /// The range type.
    static constexpr oid range_type = oids::daterange;
    /// The array type of the range type.
    static constexpr oid range_array = oids::daterange_array;
    /// The type of the bounds.
    static constexpr oid subtype = oids::date;
};

/// tsrange: range<std::chrono::local_time<std::chrono::microseconds>>.
template <>
struct range_oids<std::chrono::local_time<std::chrono::microseconds>> {
    /// The range type.
    static constexpr oid range_type = oids::tsrange;
    /// The array type of the range type.
    static constexpr oid range_array = oids::tsrange_array;
    /// The type of the bounds.
    static constexpr oid subtype = oids::timestamp;
};

/// tstzrange: range<std::chrono::sys_time<std::chrono::microseconds>>.
template <>
struct range_oids<std::chrono::sys_time<std::chrono::microseconds>> {
    /// The range type.
    static constexpr oid range_type = oids::tstzrange;
    /// The array type of the range type.
    static constexpr oid range_array = oids::tstzrange_array;
    /// The type of the bounds.
    static constexpr oid subtype = oids::timestamptz;
};

/// tsrange over the whole timestamp range: range<timestamp>.
template <>
struct range_oids<timestamp> : range_oids<std::chrono::local_time<std::chrono::microseconds>> {};

/// tstzrange over the whole timestamptz range: range<timestamptz>.
template <>
struct range_oids<timestamptz> : range_oids<std::chrono::sys_time<std::chrono::microseconds>> {};

} // namespace pgasio::protocol::types
