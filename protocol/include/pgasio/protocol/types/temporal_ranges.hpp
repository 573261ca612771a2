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
    static constexpr oid range_type = oids::numrange;
    static constexpr oid range_array = oids::numrange_array;
    static constexpr oid subtype = oids::numeric;
};

/// daterange: range<std::chrono::sys_days>.
template <>
struct range_oids<std::chrono::sys_days> {
    static constexpr oid range_type = oids::daterange;
    static constexpr oid range_array = oids::daterange_array;
    static constexpr oid subtype = oids::date;
};

/// tsrange: range<std::chrono::local_time<std::chrono::microseconds>>.
template <>
struct range_oids<std::chrono::local_time<std::chrono::microseconds>> {
    static constexpr oid range_type = oids::tsrange;
    static constexpr oid range_array = oids::tsrange_array;
    static constexpr oid subtype = oids::timestamp;
};

/// tstzrange: range<std::chrono::sys_time<std::chrono::microseconds>>.
template <>
struct range_oids<std::chrono::sys_time<std::chrono::microseconds>> {
    static constexpr oid range_type = oids::tstzrange;
    static constexpr oid range_array = oids::tstzrange_array;
    static constexpr oid subtype = oids::timestamptz;
};

} // namespace pgasio::protocol::types
