// PostgreSQL's date/time types (date, time, timetz, timestamp, timestamptz, interval) and their
// codecs over std::chrono.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

/// @file
/// Mapping of PostgreSQL's date/time types to C++:
///
/// | PostgreSQL    | C++                                                  |
/// |---------------|------------------------------------------------------|
/// | date          | std::chrono::sys_days (or std::chrono::year_month_day) |
/// | timestamp     | std::chrono::local_time<std::chrono::microseconds>   |
/// | timestamptz   | std::chrono::sys_time<std::chrono::microseconds> (UTC) |
/// | timestamp, timestamptz over their whole range | timestamp, timestamptz |
/// | time          | time_of_day                                          |
/// | timetz        | time_of_day_tz                                       |
/// | interval      | interval                                             |
///
/// Infinity: PostgreSQL's 'infinity' and '-infinity' dates and timestamps map to the C++ type's
/// `max()` and `-infinity` to its `min()` (e.g. `std::chrono::sys_days::max()`), both ways. No
/// finite value can be confused with them: decoding a finite value that would land on (or beyond)
/// `max()`/`min()` fails with value_out_of_range, and encoding any other value outside
/// PostgreSQL's range (dates 4714-11-24 BC .. 5874897-12-31, timestamps 4714-11-24 00:00 BC ..
/// 294276-12-31 23:59:59.999999) fails with value_out_of_range.
///
/// Timestamps use microseconds, PostgreSQL's resolution; other durations (such as
/// std::chrono::system_clock::time_point, which is in nanoseconds) have no codec: convert with
/// std::chrono::floor / round / time_point_cast explicitly, so that precision loss is visible.
/// PostgreSQL's timestamps reach 294276 AD but local_time and sys_time<microseconds> (counted from
/// 1970) end in 294247 AD: the few later values decode into them as value_out_of_range. The types
/// timestamp and timestamptz hold PostgreSQL's own count, so they cover the whole range.
///
/// Text forms: decoders read what PostgreSQL prints with DateStyle 'ISO' (any order part) and,
/// for intervals, IntervalStyle 'postgres' or 'iso_8601'; encoders write ISO forms that PostgreSQL
/// reads whatever its DateStyle. Text decoding is strict: no surrounding white space, at most 6
/// fraction digits, 2-digit month, day, hour, minute, second, a year of at least 4 digits.
/// Errors: invalid_text_value for anything malformed (month 13, 30 February, hour 25, year 0,
/// garbage, numbers too large for their field); value_out_of_range for a well-formed date or
/// timestamp outside PostgreSQL's range. Every decoder returns type_mismatch for a server type it
/// does not accept.
namespace pgasio::protocol {

/// A PostgreSQL `time`: microseconds since midnight, 0 to 24:00:00 inclusive (PostgreSQL accepts
/// 24:00:00 as the end of the day).
struct time_of_day {
    /// The time since midnight.
    std::chrono::microseconds since_midnight{0};

    /// Whether both designate the same element.
    friend bool operator==(const time_of_day&, const time_of_day&) = default;
};

/// A PostgreSQL `timetz`: a time of day and the UTC offset it was written with.
///
/// `utc_offset_seconds` counts seconds EAST of UTC, as ISO 8601 and the text form do ("+02" is
/// 7200). PostgreSQL's binary form stores the opposite (seconds west of UTC); the codec negates.
/// PostgreSQL limits the offset to +/-15:59:59.
struct time_of_day_tz {
    /// The local time since midnight.
    std::chrono::microseconds since_midnight{0};
    /// The time zone's offset east of UTC, in seconds.
    std::int32_t utc_offset_seconds = 0;

    /// Whether both designate the same element.
    friend bool operator==(const time_of_day_tz&, const time_of_day_tz&) = default;
};

/// A PostgreSQL `interval`: months, days and microseconds, kept apart as PostgreSQL keeps them
/// (a month is not a fixed number of days, nor a day a fixed number of hours across DST changes).
///
/// PostgreSQL 17 added infinite intervals, stored as all three fields at their maximum (infinity)
/// or minimum (-infinity); see infinity() / minus_infinity(). Older servers never send them and
/// reject them as input.
struct interval {
    /// Whole months.
    std::int32_t months = 0;
    /// Whole days.
    std::int32_t days = 0;
    /// The rest, in microseconds.
    std::int64_t microseconds = 0;

    /// The interval 'infinity' (PostgreSQL 17 and later).
    static constexpr interval infinity() noexcept {
        return {std::numeric_limits<std::int32_t>::max(), std::numeric_limits<std::int32_t>::max(),
                std::numeric_limits<std::int64_t>::max()};
    }
    /// The interval '-infinity' (PostgreSQL 17 and later).
    static constexpr interval minus_infinity() noexcept {
        return {std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::min(),
                std::numeric_limits<std::int64_t>::min()};
    }
    /// True for the interval 'infinity'.
    constexpr bool is_infinity() const noexcept { return *this == infinity(); }
    /// True for the interval '-infinity'.
    constexpr bool is_minus_infinity() const noexcept { return *this == minus_infinity(); }
    /// False for infinity() and minus_infinity() only (as PostgreSQL 17's INTERVAL_NOT_FINITE).
    constexpr bool is_finite() const noexcept { return !is_infinity() && !is_minus_infinity(); }

    /// Whether both designate the same element.
    friend constexpr bool operator==(const interval&, const interval&) = default;
};

/// A `timestamp` (Clock std::chrono::local_t) or `timestamptz` (Clock std::chrono::system_clock)
/// as PostgreSQL stores it: microseconds since 2000-01-01 00:00, so that every value the server
/// has, 4714-11-24 00:00 BC to 294276-12-31 23:59:59.999999 and both infinities, has one here.
/// Use it where a column may hold timestamps past 294247 AD, where std::chrono's
/// microsecond time points end; elsewhere the std::chrono types are simpler.
///
/// @code
/// auto t = row.get<pgasio::timestamptz>(0);   // SELECT '294276-12-31 00:00+00'::timestamptz
/// if (auto tp = t.to_chrono()) use(*tp);      // nullopt here: past std::chrono's end
/// std::string text;                           // "294276-12-31 00:00:00+00"
/// auto ec = pgasio::protocol::types::codec<pgasio::timestamptz>::encode_text(text, t);
/// @endcode
template <class Clock>
requires(std::is_same_v<Clock, std::chrono::local_t> ||
         std::is_same_v<Clock, std::chrono::system_clock>) struct basic_timestamp {
    /// The std::chrono time point of the same type.
    using chrono_type = std::chrono::time_point<Clock, std::chrono::microseconds>;

    /// Microseconds since 2000-01-01 00:00 (UTC for timestamptz), negative before;
    /// INT64_MAX is 'infinity' and INT64_MIN '-infinity', as on the server.
    std::int64_t microseconds_since_2000 = 0;

    /// 'infinity'.
    static constexpr basic_timestamp infinity() noexcept {
        return {std::numeric_limits<std::int64_t>::max()};
    }
    /// '-infinity'.
    static constexpr basic_timestamp minus_infinity() noexcept {
        return {std::numeric_limits<std::int64_t>::min()};
    }
    /// False for infinity() and minus_infinity() only.
    constexpr bool is_finite() const noexcept {
        return *this != infinity() && *this != minus_infinity();
    }

    /// The same time as std::chrono gives it, the infinities as chrono_type's max() and min()
    /// (as the std::chrono codecs map them), or nullopt for a finite time chrono_type cannot
    /// hold (after 294247-01-10 04:00:54.775806).
    constexpr std::optional<chrono_type> to_chrono() const noexcept {
        using limits = std::numeric_limits<std::int64_t>;
        if (*this == infinity()) return chrono_type::max();
        if (*this == minus_infinity()) return chrono_type::min();
        // The last test keeps finite times off max(), which means infinity.
        if (microseconds_since_2000 >= limits::max() - unix_to_2000) return std::nullopt;
        return chrono_type(std::chrono::microseconds(microseconds_since_2000 + unix_to_2000));
    }
    /// The time `t`, max() and min() as the infinities. A time before PostgreSQL's range is kept
    /// out of it (a parameter of it then fails with value_out_of_range), never wrapped around.
    static constexpr basic_timestamp from_chrono(chrono_type t) noexcept {
        using limits = std::numeric_limits<std::int64_t>;
        if (t == chrono_type::max()) return infinity();
        if (t == chrono_type::min()) return minus_infinity();
        const std::int64_t c = t.time_since_epoch().count();
        if (c < limits::min() + unix_to_2000 + 1) return {limits::min() + 1};
        return {c - unix_to_2000};
    }

    /// Orders by time, -infinity first and infinity last.
    friend constexpr auto operator<=>(const basic_timestamp&, const basic_timestamp&) = default;

private:
    // std::chrono's clocks count from 1970-01-01, PostgreSQL from 2000-01-01: 10957 days later.
    static constexpr std::int64_t unix_to_2000 = std::int64_t{10957} * 86'400'000'000;
};

/// A `timestamp` (without time zone) over PostgreSQL's whole range: see basic_timestamp.
using timestamp = basic_timestamp<std::chrono::local_t>;
/// A `timestamptz` (an instant) over PostgreSQL's whole range: see basic_timestamp.
using timestamptz = basic_timestamp<std::chrono::system_clock>;

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

/// basic_timestamp <-> `timestamp` (timestamp) or `timestamptz` (timestamptz). Binary: the
/// int64 as it is. Text: as for the std::chrono types ("294276-12-31 23:59:59.999999",
/// timestamptz with "+00"; on input timestamptz requires a UTC offset). Errors:
/// invalid_binary_length unless 8 bytes; value_out_of_range for a finite value outside
/// PostgreSQL's range, either way; invalid_text_value for malformed text.
template <class Clock>
struct codec<basic_timestamp<Clock>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid =
        std::is_same_v<Clock, std::chrono::system_clock> ? oids::timestamptz : oids::timestamp;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = std::is_same_v<Clock, std::chrono::system_clock>
                                         ? oids::timestamptz_array
                                         : oids::timestamp_array;
    /// Whether values of server type `t` decode into this type.
    static bool accepts(oid t) noexcept { return t == type_oid; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out,
                                                   const basic_timestamp<Clock>& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   basic_timestamp<Clock>& out);
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const basic_timestamp<Clock>& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t,
                                                 basic_timestamp<Clock>& out);
};

/// std::chrono::sys_days <-> `date`. Binary: int32 days since 2000-01-01, INT32_MAX/INT32_MIN for
/// +/-infinity (sys_days::max()/min()). Text: "2024-02-29", "0044-03-15 BC", "infinity".
/// Errors: invalid_binary_length unless 4 bytes; value_out_of_range outside PostgreSQL's range.
template <>
struct codec<std::chrono::sys_days> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::date;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::date_array;
    /// Whether values of server type `t` decode into this type.
    static bool accepts(oid t) noexcept { return t == oids::date; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out,
                                                   const std::chrono::sys_days& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   std::chrono::sys_days& out);
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const std::chrono::sys_days& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t,
                                                 std::chrono::sys_days& out);
};

/// std::chrono::year_month_day <-> `date`, through sys_days. year_month_day holds neither the
/// infinities nor years beyond +/-32767: decoding those gives value_out_of_range, and so does
/// encoding a date that is not ok() (such as 2023-02-29).
template <>
struct codec<std::chrono::year_month_day> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::date;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::date_array;
    /// Whether values of server type `t` decode into this type.
    static bool accepts(oid t) noexcept { return t == oids::date; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out,
                                                   const std::chrono::year_month_day& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   std::chrono::year_month_day& out);
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out,
                                                 const std::chrono::year_month_day& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t,
                                                 std::chrono::year_month_day& out);
};

/// std::chrono::local_time<microseconds> <-> `timestamp` (without time zone: a wall-clock reading,
/// no instant). Binary: int64 microseconds since 2000-01-01 00:00, INT64_MAX/INT64_MIN for
/// +/-infinity (max()/min()). Text: "2024-02-29 13:45:01.123456", "0001-01-01 00:00:00 BC",
/// "infinity"; a UTC offset is refused (invalid_text_value). Errors: invalid_binary_length unless
/// 8 bytes; value_out_of_range outside PostgreSQL's range.
template <>
struct codec<std::chrono::local_time<std::chrono::microseconds>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::timestamp;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::timestamp_array;
    /// Whether values of server type `t` decode into this type.
    static bool accepts(oid t) noexcept { return t == oids::timestamp; }
    /// Appends the binary form of `v`.
    static boost::system::error_code
    encode_binary(write_buffer& out, const std::chrono::local_time<std::chrono::microseconds>& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code
    decode_binary(std::span<const std::byte> in, oid t,
                  std::chrono::local_time<std::chrono::microseconds>& out);
    /// Appends the text form of `v`.
    static boost::system::error_code
    encode_text(std::string& out, const std::chrono::local_time<std::chrono::microseconds>& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code
    decode_text(std::string_view in, oid t,
                std::chrono::local_time<std::chrono::microseconds>& out);
};

/// std::chrono::sys_time<microseconds> <-> `timestamptz` (an instant, in UTC). Binary: int64
/// microseconds since 2000-01-01 00:00 UTC, INT64_MAX/INT64_MIN for +/-infinity (max()/min()).
/// Text: decodes "2024-02-29 13:45:01.5+01", "+05:30", "-03:30:15" offsets (converted to UTC) and a
/// trailing " BC"; an offset is required (without one the server's TimeZone would be needed).
/// Encodes with a "+00" offset. Errors: invalid_binary_length unless 8 bytes; value_out_of_range
/// outside PostgreSQL's (or sys_time's) range.
template <>
struct codec<std::chrono::sys_time<std::chrono::microseconds>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::timestamptz;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::timestamptz_array;
    /// Whether values of server type `t` decode into this type.
    static bool accepts(oid t) noexcept { return t == oids::timestamptz; }
    /// Appends the binary form of `v`.
    static boost::system::error_code
    encode_binary(write_buffer& out, const std::chrono::sys_time<std::chrono::microseconds>& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code
    decode_binary(std::span<const std::byte> in, oid t,
                  std::chrono::sys_time<std::chrono::microseconds>& out);
    /// Appends the text form of `v`.
    static boost::system::error_code
    encode_text(std::string& out, const std::chrono::sys_time<std::chrono::microseconds>& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code
    decode_text(std::string_view in, oid t, std::chrono::sys_time<std::chrono::microseconds>& out);
};

/// time_of_day <-> `time`. Binary: int64 microseconds since midnight. Text: "13:45:01.5",
/// "24:00:00". Errors: invalid_binary_length unless 8 bytes; value_out_of_range outside
/// [0, 24:00:00] (binary and encoding).
template <>
struct codec<time_of_day> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::time;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::time_array;
    /// Whether values of server type `t` decode into this type.
    static bool accepts(oid t) noexcept { return t == oids::time; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const time_of_day& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   time_of_day& out);
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const time_of_day& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, time_of_day& out);
};

/// time_of_day_tz <-> `timetz`. Binary: int64 microseconds since midnight, then int32 offset in
/// seconds WEST of UTC (the negation of utc_offset_seconds). Text: "13:45:01+02", "00:00:00-03:30".
/// Errors: invalid_binary_length unless 12 bytes; value_out_of_range for a time outside
/// [0, 24:00:00] or an offset beyond +/-15:59:59 (binary and encoding).
template <>
struct codec<time_of_day_tz> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::timetz;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::timetz_array;
    /// Whether values of server type `t` decode into this type.
    static bool accepts(oid t) noexcept { return t == oids::timetz; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const time_of_day_tz& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   time_of_day_tz& out);
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const time_of_day_tz& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, time_of_day_tz& out);
};

/// interval <-> `interval`. Binary: int64 microseconds, int32 days, int32 months (any values).
/// Text: decodes IntervalStyle 'postgres' ("1 year 2 mons 3 days 04:05:06.789",
/// "-1 days +02:00:00") and 'iso_8601' ("P1Y2M3DT4H5M6.789S"), and "infinity"/"-infinity";
/// encodes the 'postgres' style, which PostgreSQL reads back exactly (except a microseconds field
/// of exactly INT64_MIN, whose text PostgreSQL's parser refuses, and, before PostgreSQL 17, the
/// infinities). Errors:
/// invalid_binary_length unless 16 bytes; invalid_text_value for malformed text or fields that
/// overflow.
template <>
struct codec<interval> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::interval;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::interval_array;
    /// Whether values of server type `t` decode into this type.
    static bool accepts(oid t) noexcept { return t == oids::interval; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const interval& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   interval& out);
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const interval& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, interval& out);
};

} // namespace pgasio::protocol::types
