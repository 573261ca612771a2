#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/types/date_time.hpp>

#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace pgasio::protocol::types {
namespace {

using std::chrono::local_time;
using std::chrono::microseconds;
using std::chrono::sys_days;
using std::chrono::sys_time;
using std::chrono::year_month_day;
using error_code = boost::system::error_code;
using local_us = local_time<microseconds>;
using sys_us = sys_time<microseconds>;
using i32_limits = std::numeric_limits<std::int32_t>;
using i64_limits = std::numeric_limits<std::int64_t>;

constexpr std::int64_t usecs_per_sec = 1'000'000;
constexpr std::int64_t usecs_per_minute = 60 * usecs_per_sec;
constexpr std::int64_t usecs_per_hour = 60 * usecs_per_minute;
constexpr std::int64_t usecs_per_day = 24 * usecs_per_hour;

// PostgreSQL counts from 2000-01-01, std::chrono's system_clock from 1970-01-01.
constexpr std::int64_t epoch_days = 10957;
constexpr std::int64_t epoch_usecs = epoch_days * usecs_per_day;

// PostgreSQL's ranges, relative to 2000-01-01 (datatype/timestamp.h): from Julian day 0
// (4714-11-24 BC), dates up to 5874897-12-31 and timestamps up to 294276-12-31 inclusive.
constexpr std::int64_t date_min = -2451545;
constexpr std::int64_t date_end = 2145031949;
constexpr std::int64_t timestamp_min = date_min * usecs_per_day;
constexpr std::int64_t timestamp_end = 106751983 * usecs_per_day; // 294277-01-01 00:00
// TZDISP_LIMIT: a UTC offset must be strictly less than 16 hours either way.
constexpr std::int32_t tz_limit = 16 * 3600;

static_assert(std::numeric_limits<std::chrono::days::rep>::max() > date_end + epoch_days,
              "std::chrono::days must hold PostgreSQL's dates and distinct infinities");

error_code err(client_errc e) noexcept {
    return make_error_code(e);
}

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return q * b > a ? q - 1 : q;
}

// Proleptic Gregorian calendar with astronomical years (1 BC is year 0), as PostgreSQL's date2j
// and j2date; days counted from 1970-01-01 (H. Hinnant's days_from_civil / civil_from_days).
constexpr std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

struct civil_date {
    std::int64_t year; // astronomical
    int month;
    int day;
};

constexpr civil_date civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const auto d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const auto m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

static_assert(days_from_civil(2000, 1, 1) == epoch_days);
static_assert(days_from_civil(-4713, 11, 24) - epoch_days == date_min);
static_assert(days_from_civil(5874898, 1, 1) - epoch_days == date_end);
static_assert(days_from_civil(294277, 1, 1) - epoch_days == timestamp_end / usecs_per_day);

constexpr int days_in_month(std::int64_t y, int m) noexcept {
    constexpr int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    return m == 2 && leap ? 29 : days[m - 1];
}

// ---- binary <-> std::chrono, with the infinities -------------------------------------------

error_code date_to_pg(sys_days v, std::int32_t& pg) noexcept {
    if (v == sys_days::max()) {
        pg = i32_limits::max();
    } else if (v == sys_days::min()) {
        pg = i32_limits::min();
    } else {
        const auto d = static_cast<std::int64_t>(v.time_since_epoch().count());
        if (d < date_min + epoch_days || d >= date_end + epoch_days)
            return err(client_errc::value_out_of_range);
        pg = static_cast<std::int32_t>(d - epoch_days);
    }
    return {};
}

error_code date_from_pg(std::int64_t pg, sys_days& out) noexcept {
    if (pg == i32_limits::max()) {
        out = sys_days::max();
    } else if (pg == i32_limits::min()) {
        out = sys_days::min();
    } else {
        if (pg < date_min || pg >= date_end) return err(client_errc::value_out_of_range);
        out = sys_days{std::chrono::days{pg + epoch_days}};
    }
    return {};
}

template <class Clock>
error_code timestamp_to_pg(std::chrono::time_point<Clock, microseconds> v,
                           std::int64_t& pg) noexcept {
    using tp = std::chrono::time_point<Clock, microseconds>;
    if (v == tp::max()) {
        pg = i64_limits::max();
    } else if (v == tp::min()) {
        pg = i64_limits::min();
    } else {
        const std::int64_t c = v.time_since_epoch().count();
        if (c < timestamp_min + epoch_usecs || c - epoch_usecs >= timestamp_end)
            return err(client_errc::value_out_of_range);
        pg = c - epoch_usecs;
    }
    return {};
}

template <class Clock>
error_code timestamp_from_pg(std::int64_t pg,
                             std::chrono::time_point<Clock, microseconds>& out) noexcept {
    using tp = std::chrono::time_point<Clock, microseconds>;
    if (pg == i64_limits::max()) {
        out = tp::max();
    } else if (pg == i64_limits::min()) {
        out = tp::min();
    } else {
        // The second test keeps finite values off max(): the C++ type ends before 294276 AD.
        if (pg < timestamp_min || pg >= timestamp_end || pg >= i64_limits::max() - epoch_usecs)
            return err(client_errc::value_out_of_range);
        out = tp{microseconds{pg + epoch_usecs}};
    }
    return {};
}

error_code check_time(std::int64_t us) noexcept {
    return us < 0 || us > usecs_per_day ? err(client_errc::value_out_of_range) : error_code{};
}

error_code check_offset(std::int32_t seconds) noexcept {
    return seconds <= -tz_limit || seconds >= tz_limit ? err(client_errc::value_out_of_range)
                                                       : error_code{};
}

// ---- text output -------------------------------------------------------------------------

void append_padded(std::string& out, std::uint64_t v, int width) {
    char buf[24];
    int n = 0;
    do {
        buf[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (int i = n; i < width; ++i)
        out.push_back('0');
    while (n > 0)
        out.push_back(buf[--n]);
}

std::uint64_t magnitude(std::int64_t v) noexcept {
    return v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
}

// ".ffffff" without trailing zeros, nothing for 0 (PostgreSQL's AppendSeconds).
void append_fraction(std::string& out, std::uint64_t us) {
    if (us == 0) return;
    out.push_back('.');
    int width = 6;
    while (us % 10 == 0) {
        us /= 10;
        --width;
    }
    append_padded(out, us, width);
}

// "YYYY-MM-DD" for days since 1970; returns true for a BC date (the caller appends " BC" last).
bool append_date(std::string& out, std::int64_t days) {
    const civil_date c = civil_from_days(days);
    const bool bc = c.year <= 0;
    append_padded(out, static_cast<std::uint64_t>(bc ? 1 - c.year : c.year), 4);
    out.push_back('-');
    append_padded(out, static_cast<std::uint64_t>(c.month), 2);
    out.push_back('-');
    append_padded(out, static_cast<std::uint64_t>(c.day), 2);
    return bc;
}

// "HH:MM:SS[.ffffff]" for microseconds since midnight (0..24:00:00).
void append_time(std::string& out, std::int64_t us) {
    const auto u = static_cast<std::uint64_t>(us);
    append_padded(out, u / usecs_per_hour, 2);
    out.push_back(':');
    append_padded(out, u / usecs_per_minute % 60, 2);
    out.push_back(':');
    append_padded(out, u / usecs_per_sec % 60, 2);
    append_fraction(out, u % usecs_per_sec);
}

// "+HH[:MM[:SS]]" for an offset east of UTC (PostgreSQL's EncodeTimezone).
void append_offset(std::string& out, std::int32_t east) {
    out.push_back(east >= 0 ? '+' : '-');
    const auto s = static_cast<std::uint64_t>(east < 0 ? -east : east);
    append_padded(out, s / 3600, 2);
    if (s % 3600 != 0) {
        out.push_back(':');
        append_padded(out, s / 60 % 60, 2);
    }
    if (s % 60 != 0) {
        out.push_back(':');
        append_padded(out, s % 60, 2);
    }
}

void append_timestamp(std::string& out, std::int64_t pg, bool with_offset) {
    if (pg == i64_limits::max()) {
        out += "infinity";
        return;
    }
    if (pg == i64_limits::min()) {
        out += "-infinity";
        return;
    }
    const std::int64_t days = floor_div(pg, usecs_per_day);
    const bool bc = append_date(out, days + epoch_days);
    out.push_back(' ');
    append_time(out, pg - days * usecs_per_day);
    if (with_offset) out += "+00";
    if (bc) out += " BC";
}

// ---- text input --------------------------------------------------------------------------

// A read position in a text value. Reads fail (return false) without consuming on mismatch.
struct cursor {
    std::string_view s;
    std::size_t p = 0;

    bool done() const noexcept { return p == s.size(); }
    char peek() const noexcept { return p < s.size() ? s[p] : '\0'; }
    bool eat(char c) noexcept {
        if (peek() != c) return false;
        ++p;
        return true;
    }
    bool eat(std::string_view w) noexcept {
        if (s.substr(p).substr(0, w.size()) != w) return false;
        p += w.size();
        return true;
    }
    // Between min and max decimal digits (max <= 18, so no overflow); more digits fail.
    bool number(int min, int max, std::int64_t& v) noexcept {
        v = 0;
        int n = 0;
        while (peek() >= '0' && peek() <= '9') {
            if (++n > max) return false;
            v = v * 10 + (s[p++] - '0');
        }
        return n >= min;
    }
    // An optional ".f" of 1 to 6 digits, as microseconds.
    bool fraction(std::int64_t& us) noexcept {
        us = 0;
        if (!eat('.')) return true;
        int n = 0;
        while (peek() >= '0' && peek() <= '9') {
            if (++n > 6) return false;
            us = us * 10 + (s[p++] - '0');
        }
        for (int i = n; i < 6; ++i)
            us *= 10;
        return n > 0;
    }
};

struct date_fields {
    std::int64_t year = 0; // as written (BC years counted backwards from 1)
    std::int64_t month = 0;
    std::int64_t day = 0;
};

bool parse_date(cursor& c, date_fields& f) noexcept {
    return c.number(4, 9, f.year) && c.eat('-') && c.number(2, 2, f.month) && c.eat('-') &&
           c.number(2, 2, f.day);
}

// Days since 1970 of valid date fields; false for year 0, month 13, 30 February and the like.
bool date_days(const date_fields& f, bool bc, std::int64_t& days) noexcept {
    if (f.year == 0 || f.month < 1 || f.month > 12 || f.day < 1) return false;
    const std::int64_t y = bc ? 1 - f.year : f.year;
    const auto m = static_cast<int>(f.month);
    if (f.day > days_in_month(y, m)) return false;
    days = days_from_civil(y, m, static_cast<int>(f.day));
    return true;
}

// "HH:MM:SS[.ffffff]"; 24:00:00 only when allowed (time, timetz) and with nothing past it.
bool parse_time(cursor& c, bool allow_24, std::int64_t& us) noexcept {
    std::int64_t h = 0, m = 0, s = 0, f = 0;
    if (!(c.number(2, 2, h) && c.eat(':') && c.number(2, 2, m) && c.eat(':') && c.number(2, 2, s) &&
          c.fraction(f)))
        return false;
    if (m > 59 || s > 59) return false;
    if (h > 24 || (h == 24 && (!allow_24 || m != 0 || s != 0 || f != 0))) return false;
    us = h * usecs_per_hour + m * usecs_per_minute + s * usecs_per_sec + f;
    return true;
}

// "+HH[:MM[:SS]]" or "-...", as seconds east of UTC, below 16 hours.
bool parse_offset(cursor& c, std::int32_t& east) noexcept {
    const bool neg = c.eat('-');
    if (!neg && !c.eat('+')) return false;
    std::int64_t h = 0, m = 0, s = 0;
    if (!c.number(2, 2, h)) return false;
    if (c.eat(':')) {
        if (!c.number(2, 2, m)) return false;
        if (c.eat(':') && !c.number(2, 2, s)) return false;
    }
    if (h > 15 || m > 59 || s > 59) return false;
    const auto total = static_cast<std::int32_t>(h * 3600 + m * 60 + s);
    east = neg ? -total : total;
    return true;
}

error_code parse_timestamp(std::string_view in, bool with_offset, std::int64_t& pg) noexcept {
    if (in == "infinity") {
        pg = i64_limits::max();
        return {};
    }
    if (in == "-infinity") {
        pg = i64_limits::min();
        return {};
    }
    cursor c{in};
    date_fields f;
    std::int64_t tod = 0;
    std::int32_t east = 0;
    if (!parse_date(c, f) || !c.eat(' ') || !parse_time(c, false, tod))
        return err(client_errc::invalid_text_value);
    if (with_offset && !parse_offset(c, east)) return err(client_errc::invalid_text_value);
    const bool bc = c.eat(" BC");
    std::int64_t days = 0;
    if (!c.done() || !date_days(f, bc, days)) return err(client_errc::invalid_text_value);
    days -= epoch_days;
    // A day of margin for the offset; the exact range is checked on the UTC value.
    if (days < date_min - 1 || days > timestamp_end / usecs_per_day)
        return err(client_errc::value_out_of_range);
    pg = days * usecs_per_day + tod - std::int64_t{east} * usecs_per_sec;
    if (pg < timestamp_min || pg >= timestamp_end) return err(client_errc::value_out_of_range);
    return {};
}

// acc += a * b, false on overflow.
bool mul_add(std::int64_t& acc, std::int64_t a, std::int64_t b) noexcept {
    std::int64_t prod = 0;
    return !__builtin_mul_overflow(a, b, &prod) && !__builtin_add_overflow(acc, prod, &acc);
}

bool fits_i32(std::int64_t v) noexcept {
    return v >= i32_limits::min() && v <= i32_limits::max();
}

// An optional sign, then 1 to 18 digits.
bool signed_number(cursor& c, std::int64_t& v) noexcept {
    const bool neg = c.eat('-');
    if (!neg) c.eat('+');
    if (!c.number(1, 18, v)) return false;
    if (neg) v = -v;
    return true;
}

// IntervalStyle 'postgres': "[+-]N year[s] [+-]N mon[s] [+-]N day[s] [+-]H:MM:SS[.f]", each part
// optional but in this order, separated by one space.
bool parse_interval_postgres(cursor& c, interval& out) noexcept {
    static constexpr std::string_view units[] = {"year", "mon", "day"};
    std::int64_t fields[3] = {0, 0, 0};
    std::int64_t us = 0;
    int next_unit = 0;
    for (bool first = true; first || !c.done(); first = false) {
        if (!first && !c.eat(' ')) return false;
        const bool neg = c.peek() == '-';
        std::int64_t n = 0;
        if (!signed_number(c, n)) return false;
        if (c.eat(':')) {
            // The time part, last: its sign covers hours, minutes and seconds alike.
            std::int64_t m = 0, s = 0, f = 0;
            if (!(c.number(2, 2, m) && c.eat(':') && c.number(2, 2, s) && c.fraction(f)))
                return false;
            if (m > 59 || s > 59 || !c.done()) return false;
            const std::int64_t sign = neg ? -1 : 1;
            if (!(mul_add(us, n, usecs_per_hour) && mul_add(us, sign * m, usecs_per_minute) &&
                  mul_add(us, sign * s, usecs_per_sec) && mul_add(us, sign * f, 1)))
                return false;
            break;
        }
        if (!c.eat(' ')) return false;
        int unit = next_unit;
        while (unit < 3 && !c.eat(units[unit]))
            ++unit;
        if (unit == 3) return false;
        c.eat('s');
        fields[unit] = n;
        next_unit = unit + 1;
    }
    std::int64_t months = fields[1];
    if (!mul_add(months, fields[0], 12) || !fits_i32(months) || !fits_i32(fields[2])) return false;
    out = {static_cast<std::int32_t>(months), static_cast<std::int32_t>(fields[2]), us};
    return true;
}

// IntervalStyle 'iso_8601' as PostgreSQL prints it: "P[nY][nM][nD][T[nH][nM][n[.f]S]]", each
// number signed on its own, "PT0S" for zero.
bool parse_interval_iso(cursor& c, interval& out) noexcept {
    if (!c.eat('P')) return false;
    std::int64_t months = 0, days = 0, us = 0;
    bool any = false;
    static constexpr char date_units[] = {'Y', 'M', 'D'};
    static constexpr char time_units[] = {'H', 'M', 'S'};
    int next = 0;
    while (!c.done() && c.peek() != 'T') {
        std::int64_t n = 0;
        if (!signed_number(c, n)) return false;
        int unit = next;
        while (unit < 3 && !c.eat(date_units[unit]))
            ++unit;
        if (unit == 3) return false;
        const bool ok = unit == 0   ? mul_add(months, n, 12)
                        : unit == 1 ? mul_add(months, n, 1)
                                    : mul_add(days, n, 1);
        if (!ok) return false;
        next = unit + 1;
        any = true;
    }
    if (c.eat('T')) {
        next = 0;
        bool any_time = false;
        while (!c.done()) {
            const bool neg = c.peek() == '-';
            std::int64_t n = 0, f = 0;
            if (!signed_number(c, n) || !c.fraction(f)) return false;
            int unit = next;
            while (unit < 3 && !c.eat(time_units[unit]))
                ++unit;
            // Only seconds take a fraction.
            if (unit == 3 || (f != 0 && unit != 2)) return false;
            static constexpr std::int64_t scale[] = {usecs_per_hour, usecs_per_minute,
                                                     usecs_per_sec};
            if (!mul_add(us, n, scale[unit]) || !mul_add(us, neg ? -f : f, 1)) return false;
            next = unit + 1;
            any_time = true;
        }
        if (!any_time) return false;
        any = true;
    }
    if (!any || !c.done() || !fits_i32(months) || !fits_i32(days)) return false;
    out = {static_cast<std::int32_t>(months), static_cast<std::int32_t>(days), us};
    return true;
}

// One "N unit[s]" part of the 'postgres' style (PostgreSQL's AddPostgresIntPart).
void append_interval_part(std::string& out, std::int64_t v, std::string_view unit, bool& is_zero,
                          bool& is_before) {
    if (v == 0) return;
    if (!is_zero) out.push_back(' ');
    if (is_before && v > 0) out.push_back('+');
    out += std::to_string(v);
    out.push_back(' ');
    out += unit;
    if (v != 1) out.push_back('s');
    is_before = v < 0;
    is_zero = false;
}

// Every date/time binary form has a fixed size.
error_code check_size(std::span<const std::byte> in, std::size_t size) noexcept {
    return in.size() == size ? error_code{} : err(client_errc::invalid_binary_length);
}

// The year_month_day range (years -32767..32767), in days since 1970.
constexpr std::int64_t ymd_first = days_from_civil(-32767, 1, 1);
constexpr std::int64_t ymd_last = days_from_civil(32767, 12, 31);

error_code to_ymd(sys_days d, year_month_day& out) noexcept {
    const auto n = static_cast<std::int64_t>(d.time_since_epoch().count());
    if (d == sys_days::max() || d == sys_days::min() || n < ymd_first || n > ymd_last)
        return err(client_errc::value_out_of_range);
    out = year_month_day{d};
    return {};
}

} // namespace

// ---- date ----------------------------------------------------------------------------------

error_code codec<sys_days>::encode_binary(write_buffer& out, const sys_days& v) {
    std::int32_t pg = 0;
    if (auto ec = date_to_pg(v, pg)) return ec;
    out.put_i32(pg);
    return {};
}

error_code codec<sys_days>::decode_binary(std::span<const std::byte> in, oid t, sys_days& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    if (auto ec = check_size(in, 4)) return ec;
    protocol::detail::byte_reader r(in);
    return date_from_pg(r.i32(), out);
}

error_code codec<sys_days>::encode_text(std::string& out, const sys_days& v) {
    std::int32_t pg = 0;
    if (auto ec = date_to_pg(v, pg)) return ec;
    if (pg == i32_limits::max()) {
        out += "infinity";
    } else if (pg == i32_limits::min()) {
        out += "-infinity";
    } else if (append_date(out, pg + epoch_days)) {
        out += " BC";
    }
    return {};
}

error_code codec<sys_days>::decode_text(std::string_view in, oid t, sys_days& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    if (in == "infinity") return date_from_pg(i32_limits::max(), out);
    if (in == "-infinity") return date_from_pg(i32_limits::min(), out);
    cursor c{in};
    date_fields f;
    if (!parse_date(c, f)) return err(client_errc::invalid_text_value);
    const bool bc = c.eat(" BC");
    std::int64_t days = 0;
    if (!c.done() || !date_days(f, bc, days)) return err(client_errc::invalid_text_value);
    // Checked before date_from_pg: a year beyond the range could land on INT32_MAX, infinity.
    const std::int64_t pg = days - epoch_days;
    if (pg < date_min || pg >= date_end) return err(client_errc::value_out_of_range);
    return date_from_pg(pg, out);
}

// ---- year_month_day ------------------------------------------------------------------------

error_code codec<year_month_day>::encode_binary(write_buffer& out, const year_month_day& v) {
    if (!v.ok()) return err(client_errc::value_out_of_range);
    return codec<sys_days>::encode_binary(out, sys_days{v});
}

error_code codec<year_month_day>::decode_binary(std::span<const std::byte> in, oid t,
                                                year_month_day& out) {
    sys_days d;
    if (auto ec = codec<sys_days>::decode_binary(in, t, d)) return ec;
    return to_ymd(d, out);
}

error_code codec<year_month_day>::encode_text(std::string& out, const year_month_day& v) {
    if (!v.ok()) return err(client_errc::value_out_of_range);
    return codec<sys_days>::encode_text(out, sys_days{v});
}

error_code codec<year_month_day>::decode_text(std::string_view in, oid t, year_month_day& out) {
    sys_days d;
    if (auto ec = codec<sys_days>::decode_text(in, t, d)) return ec;
    return to_ymd(d, out);
}

// ---- timestamp -----------------------------------------------------------------------------

error_code codec<local_us>::encode_binary(write_buffer& out, const local_us& v) {
    std::int64_t pg = 0;
    if (auto ec = timestamp_to_pg(v, pg)) return ec;
    out.put_i64(pg);
    return {};
}

error_code codec<local_us>::decode_binary(std::span<const std::byte> in, oid t, local_us& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    if (auto ec = check_size(in, 8)) return ec;
    protocol::detail::byte_reader r(in);
    return timestamp_from_pg(r.i64(), out);
}

error_code codec<local_us>::encode_text(std::string& out, const local_us& v) {
    std::int64_t pg = 0;
    if (auto ec = timestamp_to_pg(v, pg)) return ec;
    append_timestamp(out, pg, false);
    return {};
}

error_code codec<local_us>::decode_text(std::string_view in, oid t, local_us& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    std::int64_t pg = 0;
    if (auto ec = parse_timestamp(in, false, pg)) return ec;
    return timestamp_from_pg(pg, out);
}

// ---- timestamptz ---------------------------------------------------------------------------

error_code codec<sys_us>::encode_binary(write_buffer& out, const sys_us& v) {
    std::int64_t pg = 0;
    if (auto ec = timestamp_to_pg(v, pg)) return ec;
    out.put_i64(pg);
    return {};
}

error_code codec<sys_us>::decode_binary(std::span<const std::byte> in, oid t, sys_us& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    if (auto ec = check_size(in, 8)) return ec;
    protocol::detail::byte_reader r(in);
    return timestamp_from_pg(r.i64(), out);
}

error_code codec<sys_us>::encode_text(std::string& out, const sys_us& v) {
    std::int64_t pg = 0;
    if (auto ec = timestamp_to_pg(v, pg)) return ec;
    append_timestamp(out, pg, true);
    return {};
}

error_code codec<sys_us>::decode_text(std::string_view in, oid t, sys_us& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    std::int64_t pg = 0;
    if (auto ec = parse_timestamp(in, true, pg)) return ec;
    return timestamp_from_pg(pg, out);
}

// ---- timestamp and timestamptz over the whole range ----------------------------------------

namespace {

// A finite value must lie in PostgreSQL's range; the infinities are values too.
error_code check_timestamp(std::int64_t pg) noexcept {
    if (pg == i64_limits::max() || pg == i64_limits::min()) return {};
    if (pg < timestamp_min || pg >= timestamp_end) return err(client_errc::value_out_of_range);
    return {};
}

template <class Clock>
constexpr bool with_offset = std::is_same_v<Clock, std::chrono::system_clock>;

} // namespace

template <class Clock>
error_code codec<basic_timestamp<Clock>>::encode_binary(write_buffer& out,
                                                        const basic_timestamp<Clock>& v) {
    if (auto ec = check_timestamp(v.microseconds_since_2000)) return ec;
    out.put_i64(v.microseconds_since_2000);
    return {};
}

template <class Clock>
error_code codec<basic_timestamp<Clock>>::decode_binary(std::span<const std::byte> in, oid t,
                                                        basic_timestamp<Clock>& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    if (auto ec = check_size(in, 8)) return ec;
    protocol::detail::byte_reader r(in);
    const std::int64_t pg = r.i64();
    if (auto ec = check_timestamp(pg)) return ec;
    out.microseconds_since_2000 = pg;
    return {};
}

template <class Clock>
error_code codec<basic_timestamp<Clock>>::encode_text(std::string& out,
                                                      const basic_timestamp<Clock>& v) {
    if (auto ec = check_timestamp(v.microseconds_since_2000)) return ec;
    append_timestamp(out, v.microseconds_since_2000, with_offset<Clock>);
    return {};
}

template <class Clock>
error_code codec<basic_timestamp<Clock>>::decode_text(std::string_view in, oid t,
                                                      basic_timestamp<Clock>& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    return parse_timestamp(in, with_offset<Clock>, out.microseconds_since_2000);
}

template struct codec<timestamp>;
template struct codec<timestamptz>;

// ---- time ----------------------------------------------------------------------------------

error_code codec<time_of_day>::encode_binary(write_buffer& out, const time_of_day& v) {
    if (auto ec = check_time(v.since_midnight.count())) return ec;
    out.put_i64(v.since_midnight.count());
    return {};
}

error_code codec<time_of_day>::decode_binary(std::span<const std::byte> in, oid t,
                                             time_of_day& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    if (auto ec = check_size(in, 8)) return ec;
    protocol::detail::byte_reader r(in);
    const std::int64_t us = r.i64();
    if (auto ec = check_time(us)) return ec;
    out.since_midnight = microseconds{us};
    return {};
}

error_code codec<time_of_day>::encode_text(std::string& out, const time_of_day& v) {
    if (auto ec = check_time(v.since_midnight.count())) return ec;
    append_time(out, v.since_midnight.count());
    return {};
}

error_code codec<time_of_day>::decode_text(std::string_view in, oid t, time_of_day& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    cursor c{in};
    std::int64_t us = 0;
    if (!parse_time(c, true, us) || !c.done()) return err(client_errc::invalid_text_value);
    out.since_midnight = microseconds{us};
    return {};
}

// ---- timetz --------------------------------------------------------------------------------

error_code codec<time_of_day_tz>::encode_binary(write_buffer& out, const time_of_day_tz& v) {
    if (auto ec = check_time(v.since_midnight.count())) return ec;
    if (auto ec = check_offset(v.utc_offset_seconds)) return ec;
    out.put_i64(v.since_midnight.count());
    // The wire counts seconds west of UTC.
    out.put_i32(-v.utc_offset_seconds);
    return {};
}

error_code codec<time_of_day_tz>::decode_binary(std::span<const std::byte> in, oid t,
                                                time_of_day_tz& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    if (auto ec = check_size(in, 12)) return ec;
    protocol::detail::byte_reader r(in);
    const std::int64_t us = r.i64();
    const std::int32_t west = r.i32();
    if (auto ec = check_time(us)) return ec;
    if (auto ec = check_offset(west)) return ec;
    out = {microseconds{us}, -west};
    return {};
}

error_code codec<time_of_day_tz>::encode_text(std::string& out, const time_of_day_tz& v) {
    if (auto ec = check_time(v.since_midnight.count())) return ec;
    if (auto ec = check_offset(v.utc_offset_seconds)) return ec;
    append_time(out, v.since_midnight.count());
    append_offset(out, v.utc_offset_seconds);
    return {};
}

error_code codec<time_of_day_tz>::decode_text(std::string_view in, oid t, time_of_day_tz& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    cursor c{in};
    std::int64_t us = 0;
    std::int32_t east = 0;
    if (!parse_time(c, true, us) || !parse_offset(c, east) || !c.done())
        return err(client_errc::invalid_text_value);
    out = {microseconds{us}, east};
    return {};
}

// ---- interval ------------------------------------------------------------------------------

error_code codec<interval>::encode_binary(write_buffer& out, const interval& v) {
    out.put_i64(v.microseconds);
    out.put_i32(v.days);
    out.put_i32(v.months);
    return {};
}

error_code codec<interval>::decode_binary(std::span<const std::byte> in, oid t, interval& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    if (auto ec = check_size(in, 16)) return ec;
    protocol::detail::byte_reader r(in);
    out.microseconds = r.i64();
    out.days = r.i32();
    out.months = r.i32();
    return {};
}

error_code codec<interval>::encode_text(std::string& out, const interval& v) {
    if (v.is_infinity()) {
        out += "infinity";
        return {};
    }
    if (v.is_minus_infinity()) {
        out += "-infinity";
        return {};
    }
    // PostgreSQL's interval2itm and EncodeInterval (IntervalStyle 'postgres'): every field
    // truncates towards zero, so all parts of the time share one sign.
    const std::int64_t hour = v.microseconds / usecs_per_hour;
    const std::int64_t min = v.microseconds % usecs_per_hour / usecs_per_minute;
    const std::int64_t sec = v.microseconds % usecs_per_minute / usecs_per_sec;
    const std::int64_t fsec = v.microseconds % usecs_per_sec;
    bool is_zero = true;
    bool is_before = false;
    append_interval_part(out, v.months / 12, "year", is_zero, is_before);
    append_interval_part(out, v.months % 12, "mon", is_zero, is_before);
    append_interval_part(out, v.days, "day", is_zero, is_before);
    if (is_zero || v.microseconds != 0) {
        if (!is_zero) out.push_back(' ');
        if (v.microseconds < 0) {
            out.push_back('-');
        } else if (is_before) {
            out.push_back('+');
        }
        append_padded(out, magnitude(hour), 2);
        out.push_back(':');
        append_padded(out, magnitude(min), 2);
        out.push_back(':');
        append_padded(out, magnitude(sec), 2);
        append_fraction(out, magnitude(fsec));
    }
    return {};
}

error_code codec<interval>::decode_text(std::string_view in, oid t, interval& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    if (in == "infinity") {
        out = interval::infinity();
        return {};
    }
    if (in == "-infinity") {
        out = interval::minus_infinity();
        return {};
    }
    cursor c{in};
    const bool ok = c.peek() == 'P' ? parse_interval_iso(c, out) : parse_interval_postgres(c, out);
    return ok ? error_code{} : err(client_errc::invalid_text_value);
}

} // namespace pgasio::protocol::types
