#include <pgasio/protocol/types/date_time.hpp>

#include "support/bytes.hpp"
#include "support/seed_corpus.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

using namespace std::string_view_literals;
using namespace std::chrono_literals;
using pgasio::protocol::client_errc;
using pgasio::protocol::interval;
using pgasio::protocol::time_of_day;
using pgasio::protocol::time_of_day_tz;
using pgasio::protocol::timestamp;
using pgasio::protocol::timestamptz;
using pgasio::protocol::write_buffer;
using pgasio::protocol::types::codec;
namespace oids = pgasio::protocol::oids;
namespace chr = std::chrono;
using pgasio::test::to_bytes;
using pgasio::test::to_string;
using local_us = chr::local_time<chr::microseconds>;
using sys_us = chr::sys_time<chr::microseconds>;

namespace {

// The fuzz target's selector bytes (fuzz/fuzz_numeric_date_time.cpp): binary, then text.
template <class T>
constexpr std::byte selector(bool text);
template <>
constexpr std::byte selector<chr::sys_days>(bool text) {
    return std::byte{2} | std::byte{text};
}
template <>
constexpr std::byte selector<chr::year_month_day>(bool text) {
    return std::byte{4} | std::byte{text};
}
template <>
constexpr std::byte selector<local_us>(bool text) {
    return std::byte{6} | std::byte{text};
}
template <>
constexpr std::byte selector<sys_us>(bool text) {
    return std::byte{8} | std::byte{text};
}
template <>
constexpr std::byte selector<time_of_day>(bool text) {
    return std::byte{10} | std::byte{text};
}
template <>
constexpr std::byte selector<time_of_day_tz>(bool text) {
    return std::byte{12} | std::byte{text};
}
template <>
constexpr std::byte selector<interval>(bool text) {
    return std::byte{14} | std::byte{text};
}
template <>
constexpr std::byte selector<timestamp>(bool text) {
    return std::byte{16} | std::byte{text};
}
template <>
constexpr std::byte selector<timestamptz>(bool text) {
    return std::byte{18} | std::byte{text};
}

template <class T>
void seed(bool text, std::string_view bytes) {
    std::vector<std::byte> input{selector<T>(text)};
    const auto b = to_bytes(bytes);
    input.insert(input.end(), b.begin(), b.end());
    pgasio::test::record_seed("fuzz_numeric_date_time", input);
}

// Golden bytes both ways: v encodes to exactly `bytes`, and `bytes` decode to v.
// (Comparisons in double parentheses: Catch must not try to print infinite time points.)
template <class T>
void check_binary(const T& v, std::string_view bytes) {
    seed<T>(false, bytes);
    write_buffer buf;
    REQUIRE_FALSE(codec<T>::encode_binary(buf, v));
    CHECK(to_string(buf.data()) == bytes);
    T back{};
    REQUIRE_FALSE(codec<T>::decode_binary(to_bytes(bytes), codec<T>::type_oid, back));
    CHECK((back == v));
}

// Golden text both ways.
template <class T>
void check_text(const T& v, std::string_view text) {
    seed<T>(true, text);
    std::string out;
    REQUIRE_FALSE(codec<T>::encode_text(out, v));
    CHECK(out == text);
    T back{};
    REQUIRE_FALSE(codec<T>::decode_text(text, codec<T>::type_oid, back));
    CHECK((back == v));
}

// Text that decodes to v but is not what the encoder writes.
template <class T>
void check_decodes(std::string_view text, const T& v) {
    INFO(text);
    seed<T>(true, text);
    T back{};
    REQUIRE_FALSE(codec<T>::decode_text(text, codec<T>::type_oid, back));
    CHECK((back == v));
}

template <class T>
boost::system::error_code decode_binary(std::string_view bytes) {
    seed<T>(false, bytes);
    T v{};
    return codec<T>::decode_binary(to_bytes(bytes), codec<T>::type_oid, v);
}

template <class T>
boost::system::error_code decode_text(std::string_view text) {
    seed<T>(true, text);
    T v{};
    return codec<T>::decode_text(text, codec<T>::type_oid, v);
}

template <class T>
boost::system::error_code encode_binary(const T& v) {
    write_buffer buf;
    return codec<T>::encode_binary(buf, v);
}

template <class T>
boost::system::error_code encode_text(const T& v) {
    std::string out;
    return codec<T>::encode_text(out, v);
}

constexpr chr::sys_days ymd(int y, unsigned m, unsigned d) {
    return chr::sys_days{chr::year{y} / chr::month{m} / chr::day{d}};
}

// PostgreSQL's last date, 5874897-12-31, is beyond year_month_day: 2145031948 days after 2000.
constexpr chr::sys_days last_date = ymd(2000, 1, 1) + chr::days{2145031948};

sys_us utc(int y, unsigned m, unsigned d, chr::microseconds tod) {
    return sys_us{ymd(y, m, d)} + tod;
}
local_us local(int y, unsigned m, unsigned d, chr::microseconds tod) {
    return local_us{chr::local_days{chr::year{y} / chr::month{m} / chr::day{d}}} + tod;
}

constexpr auto hms(int h, int m, int s, int us = 0) {
    return chr::microseconds{chr::hours{h} + chr::minutes{m} + chr::seconds{s}} +
           chr::microseconds{us};
}

} // namespace

// Golden values come from a PostgreSQL 15 server: date_send, timestamp_send, ..., and its text
// output with DateStyle 'ISO, MDY', TimeZone 'UTC', IntervalStyle 'postgres'.

TEST_CASE("date: golden bytes and text") {
    const struct {
        chr::sys_days value;
        std::string_view bytes;
        std::string_view text;
    } cases[] = {
        {ymd(2000, 1, 1), "\x00\x00\x00\x00"sv, "2000-01-01"},
        {ymd(2024, 2, 29), "\x00\x00\x22\x79"sv, "2024-02-29"},
        {ymd(1970, 1, 1), "\xff\xff\xd5\x33"sv, "1970-01-01"},
        {ymd(1600, 2, 29), "\xff\xfd\xc5\x8a"sv, "1600-02-29"},
        {ymd(0, 1, 1), "\xff\xf4\xda\x8b"sv, "0001-01-01 BC"},
        {ymd(-43, 3, 15), "\xff\xf4\x9d\x7b"sv, "0044-03-15 BC"},
        {ymd(32767, 12, 31), "\x00\xab\x79\x94"sv, "32767-12-31"},
        {ymd(-4713, 11, 24), "\xff\xda\x97\xa7"sv, "4714-11-24 BC"}, // the first date
        {last_date, "\x7f\xda\x97\x0c"sv, "5874897-12-31"},
        {chr::sys_days::max(), "\x7f\xff\xff\xff"sv, "infinity"},
        {chr::sys_days::min(), "\x80\x00\x00\x00"sv, "-infinity"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        check_binary(c.value, c.bytes);
        check_text(c.value, c.text);
    }
}

TEST_CASE("date: out of range and malformed") {
    using D = chr::sys_days;
    CHECK(decode_binary<D>("\x00\x00\x00"sv) == client_errc::invalid_binary_length);
    CHECK(decode_binary<D>("\x00\x00\x00\x00\x00"sv) == client_errc::invalid_binary_length);
    CHECK(decode_binary<D>("\xff\xda\x97\xa6"sv) == client_errc::value_out_of_range);
    CHECK(decode_binary<D>("\x7f\xda\x97\x0d"sv) == client_errc::value_out_of_range);
    CHECK(decode_binary<D>("\x7f\xff\xff\xfe"sv) == client_errc::value_out_of_range);
    CHECK(decode_binary<D>("\x80\x00\x00\x01"sv) == client_errc::value_out_of_range);
    CHECK(encode_binary(last_date + chr::days{1}) == client_errc::value_out_of_range);
    CHECK(encode_binary(ymd(-4713, 11, 23)) == client_errc::value_out_of_range);
    CHECK(encode_binary(D::max() - chr::days{1}) == client_errc::value_out_of_range);
    CHECK(encode_binary(D::min() + chr::days{1}) == client_errc::value_out_of_range);
    CHECK(encode_text(last_date + chr::days{1}) == client_errc::value_out_of_range);

    for (const auto s : {"",
                         "2023-02-29",
                         "1900-02-29",
                         "2024-02-30",
                         "2024-04-31",
                         "2024-13-01",
                         "2024-00-10",
                         "2024-01-00",
                         "0000-01-01",
                         "0000-01-01 BC",
                         "24-01-01",
                         "2024-1-01",
                         "2024-01-1",
                         "2024-01-001",
                         "2024/01/01",
                         "2024-01-01x",
                         " 2024-01-01",
                         "2024-01-01 ",
                         "2024-01-01 bc",
                         "2024-01-01 BC ",
                         "2024-01-01 00:00:00",
                         "Infinity",
                         "infinity ",
                         "+infinity",
                         "9999999999-01-01",
                         "-2024-01-01"}) {
        INFO("'" << s << "'");
        CHECK(decode_text<D>(s) == client_errc::invalid_text_value);
    }
    // Well-formed dates outside PostgreSQL's range; one of them would land on INT32_MAX.
    for (const auto s : {"4714-11-23 BC", "5874898-01-01", "5881610-07-11", "999999999-12-31",
                         "999999999-12-31 BC"}) {
        INFO(s);
        CHECK(decode_text<D>(s) == client_errc::value_out_of_range);
    }
    D d;
    CHECK(codec<D>::decode_binary(to_bytes("\x00\x00\x00\x00"sv), oids::timestamp, d) ==
          client_errc::type_mismatch);
    CHECK(codec<D>::decode_text("2000-01-01", oids::text, d) == client_errc::type_mismatch);
}

TEST_CASE("date: year_month_day through sys_days") {
    using chr::year_month_day;
    const year_month_day leap{chr::year{2024}, chr::month{2}, chr::day{29}};
    check_binary(leap, "\x00\x00\x22\x79"sv);
    check_text(leap, "2024-02-29");
    check_text(year_month_day{chr::year{-43}, chr::month{3}, chr::day{15}}, "0044-03-15 BC");
    // Not representable as year_month_day: the infinities and years beyond 32767.
    CHECK(decode_binary<year_month_day>("\x7f\xff\xff\xff"sv) == client_errc::value_out_of_range);
    CHECK(decode_binary<year_month_day>("\x80\x00\x00\x00"sv) == client_errc::value_out_of_range);
    CHECK(decode_binary<year_month_day>("\x00\xab\x79\x95"sv) == client_errc::value_out_of_range);
    CHECK(decode_text<year_month_day>("infinity") == client_errc::value_out_of_range);
    CHECK(decode_text<year_month_day>("32768-01-01") == client_errc::value_out_of_range);
    CHECK(decode_text<year_month_day>("2024-02-30") == client_errc::invalid_text_value);
    const year_month_day not_ok{chr::year{2023}, chr::month{2}, chr::day{29}};
    CHECK(encode_binary(not_ok) == client_errc::value_out_of_range);
    CHECK(encode_text(not_ok) == client_errc::value_out_of_range);
    STATIC_REQUIRE(codec<year_month_day>::type_oid == oids::date);
    STATIC_REQUIRE(codec<year_month_day>::array_oid == oids::date_array);
}

TEST_CASE("timestamp: golden bytes and text") {
    const struct {
        local_us value;
        std::string_view bytes;
        std::string_view text;
    } cases[] = {
        {local(2024, 2, 29, hms(13, 45, 1, 123456)), "\x00\x02\xb5\x84\x3c\x0b\x93\x80"sv,
         "2024-02-29 13:45:01.123456"},
        {local(2000, 1, 1, {}), "\x00\x00\x00\x00\x00\x00\x00\x00"sv, "2000-01-01 00:00:00"},
        {local(1999, 12, 31, hms(23, 59, 59, 999999)), "\xff\xff\xff\xff\xff\xff\xff\xff"sv,
         "1999-12-31 23:59:59.999999"},
        {local(1970, 1, 1, {}), "\xff\xfc\xa2\xfe\xc4\xc8\x20\x00"sv, "1970-01-01 00:00:00"},
        {local(0, 1, 1, {}), "\xff\x1f\xc6\x3d\x1b\xb1\x20\x00"sv, "0001-01-01 00:00:00 BC"},
        {local(0, 12, 31, hms(23, 59, 59, 500000)), "\xff\x1f\xe2\xff\xc5\x94\xbe\xe0"sv,
         "0001-12-31 23:59:59.5 BC"},
        {local(-43, 3, 15, hms(12, 0, 0)), "\xff\x1a\xf9\xe8\xfb\x46\xd0\x00"sv,
         "0044-03-15 12:00:00 BC"},
        {local(-4713, 11, 24, {}), "\xfd\x0f\x7c\xc1\x41\x1f\xa0\x00"sv, "4714-11-24 00:00:00 BC"},
        // The last value local_time<microseconds> holds before max(), 294247-01-10 04:00:54.775806.
        {local_us::max() - 1us, "\x7f\xfc\xa2\xfe\xc4\xc8\x1f\xfe"sv,
         "294247-01-10 04:00:54.775806"},
        {local_us::max(), "\x7f\xff\xff\xff\xff\xff\xff\xff"sv, "infinity"},
        {local_us::min(), "\x80\x00\x00\x00\x00\x00\x00\x00"sv, "-infinity"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        check_binary(c.value, c.bytes);
        check_text(c.value, c.text);
    }
    check_decodes("2024-02-29 13:45:01.5", local(2024, 2, 29, hms(13, 45, 1, 500000)));
    check_decodes("2024-02-29 13:45:01.000001", local(2024, 2, 29, hms(13, 45, 1, 1)));
}

TEST_CASE("timestamp: out of range and malformed") {
    // One microsecond later would be max(), i.e. infinity: PostgreSQL has it, C++ cannot.
    CHECK(decode_binary<local_us>("\x7f\xfc\xa2\xfe\xc4\xc8\x1f\xff"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_text<local_us>("294247-01-10 04:00:54.775807") == client_errc::value_out_of_range);
    // PostgreSQL's last timestamp, 294276-12-31 23:59:59.999999, is past local_time's end.
    CHECK(decode_binary<local_us>("\x7f\xff\xff\x5b\xb3\xb2\x9f\xff"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<local_us>("\x7f\xff\xff\xff\xff\xff\xff\xfe"sv) ==
          client_errc::value_out_of_range);
    // Before 4714-11-24 BC.
    CHECK(decode_binary<local_us>("\xfd\x0f\x7c\xc1\x41\x1f\x9f\xff"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<local_us>("\x80\x00\x00\x00\x00\x00\x00\x01"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<local_us>("\x00\x00\x00\x00\x00\x00\x00"sv) ==
          client_errc::invalid_binary_length);
    CHECK(decode_binary<local_us>("\x00\x00\x00\x00\x00\x00\x00\x00\x00"sv) ==
          client_errc::invalid_binary_length);
    CHECK(encode_binary(local(-4713, 11, 24, {}) - 1us) == client_errc::value_out_of_range);
    CHECK(encode_binary(local_us::min() + 1us) == client_errc::value_out_of_range);
    CHECK(encode_text(local_us::min() + 1us) == client_errc::value_out_of_range);

    for (const auto s :
         {"", "2024-02-29", "2024-02-29 25:00:00", "2024-02-29 24:00:00", "2024-02-29 23:60:00",
          "2024-02-29 23:59:60", "2024-02-29 1:00:00", "2024-02-29 13:45", "2024-02-29 13:45:01.",
          "2024-02-29 13:45:01.1234567", "2024-02-29 13:45:01+00", "2024-02-29T13:45:01",
          "2024-02-30 00:00:00", "2024-02-29  13:45:01", "2024-02-29 13:45:01 BC x",
          "0000-01-01 00:00:00", "2024-02-29 13:45:01.-5", "INFINITY"}) {
        INFO("'" << s << "'");
        CHECK(decode_text<local_us>(s) == client_errc::invalid_text_value);
    }
    for (const auto s : {"294277-01-01 00:00:00", "4714-11-23 23:59:59 BC",
                         "5874897-12-31 00:00:00", "999999999-01-01 00:00:00"}) {
        INFO(s);
        CHECK(decode_text<local_us>(s) == client_errc::value_out_of_range);
    }
    local_us v;
    CHECK(codec<local_us>::decode_binary(to_bytes("\x00\x00\x00\x00\x00\x00\x00\x00"sv),
                                         oids::timestamptz, v) == client_errc::type_mismatch);
}

TEST_CASE("timestamptz: golden bytes, offsets converted to UTC") {
    const sys_us leap = utc(2024, 2, 29, hms(13, 45, 1, 123456));
    check_binary(leap, "\x00\x02\xb5\x84\x3c\x0b\x93\x80"sv);
    check_text(leap, "2024-02-29 13:45:01.123456+00");
    check_binary(sys_us::max(), "\x7f\xff\xff\xff\xff\xff\xff\xff"sv);
    check_text(sys_us::max(), "infinity");
    check_binary(sys_us::min(), "\x80\x00\x00\x00\x00\x00\x00\x00"sv);
    check_text(sys_us::min(), "-infinity");
    check_text(utc(-4713, 11, 24, {}), "4714-11-24 00:00:00+00 BC");
    check_binary(utc(-4713, 11, 24, {}), "\xfd\x0f\x7c\xc1\x41\x1f\xa0\x00"sv);

    // As printed by PostgreSQL with TimeZone 'Asia/Kolkata', 'America/St_Johns', ...
    check_decodes("2024-02-29 19:15:01.123456+05:30", leap);
    check_decodes("2024-02-29 10:15:01-03:30", utc(2024, 2, 29, hms(13, 45, 1)));
    check_decodes("1799-12-31 20:29:08-03:30:52", utc(1800, 1, 1, {}));
    check_decodes("1800-01-01 00:19:32+00:19:32", utc(1800, 1, 1, {}));
    check_decodes("2024-03-01 00:45:01+11", utc(2024, 2, 29, hms(13, 45, 1)));
    check_decodes("2024-02-29 14:45:01.5+01", utc(2024, 2, 29, hms(13, 45, 1, 500000)));
    // The offset moves across the range limit: the UTC instant decides.
    check_decodes("4714-11-23 23:00:00-01 BC", utc(-4713, 11, 24, {}));
    CHECK(decode_text<sys_us>("4714-11-24 00:00:00+01 BC") == client_errc::value_out_of_range);

    for (const auto s :
         {"2024-02-29 13:45:01", "2024-02-29 13:45:01+", "2024-02-29 13:45:01+1",
          "2024-02-29 13:45:01+16", "2024-02-29 13:45:01+05:60", "2024-02-29 13:45:01+05:30:60",
          "2024-02-29 13:45:01+05:", "2024-02-29 13:45:01Z", "2024-02-29 13:45:01 +00",
          "2024-02-29 13:45:01+00 BC BC"}) {
        INFO("'" << s << "'");
        CHECK(decode_text<sys_us>(s) == client_errc::invalid_text_value);
    }
    CHECK(decode_binary<sys_us>("\x7f\xfc\xa2\xfe\xc4\xc8\x1f\xff"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<sys_us>("\x00"sv) == client_errc::invalid_binary_length);
    CHECK(encode_binary(sys_us::max() - 1us) == boost::system::error_code{});
    CHECK(encode_binary(sys_us::min() + 1us) == client_errc::value_out_of_range);
    STATIC_REQUIRE(codec<sys_us>::type_oid == oids::timestamptz);
    STATIC_REQUIRE(codec<sys_us>::array_oid == oids::timestamptz_array);
    STATIC_REQUIRE(codec<local_us>::array_oid == oids::timestamp_array);
    STATIC_REQUIRE(codec<chr::sys_days>::array_oid == oids::date_array);
}

TEST_CASE("timestamp and timestamptz over the whole range: PostgreSQL's first and last values") {
    // 4714-11-24 00:00 BC (Julian day 0) and 294276-12-31 23:59:59.999999, past std::chrono's end.
    const timestamp first{-211813488000000000};
    const timestamp last{9223371331199999999};
    check_binary(first, "\xfd\x0f\x7c\xc1\x41\x1f\xa0\x00"sv);
    check_text(first, "4714-11-24 00:00:00 BC");
    check_binary(last, "\x7f\xff\xff\x5b\xb3\xb2\x9f\xff"sv);
    check_text(last, "294276-12-31 23:59:59.999999");
    check_binary(timestamp::infinity(), "\x7f\xff\xff\xff\xff\xff\xff\xff"sv);
    check_text(timestamp::infinity(), "infinity");
    check_binary(timestamp::minus_infinity(), "\x80\x00\x00\x00\x00\x00\x00\x00"sv);
    check_text(timestamp::minus_infinity(), "-infinity");
    CHECK(first < last);
    CHECK(timestamp::minus_infinity() < first);
    CHECK(last < timestamp::infinity());
    CHECK_FALSE(timestamp::infinity().is_finite());
    CHECK(last.is_finite());

    const timestamptz last_tz{last.microseconds_since_2000};
    check_binary(last_tz, "\x7f\xff\xff\x5b\xb3\xb2\x9f\xff"sv);
    check_text(last_tz, "294276-12-31 23:59:59.999999+00");
    // Offsets are converted to UTC, as for sys_time.
    check_decodes("294277-01-01 00:59:59.999999+01", last_tz);
    check_decodes("2000-01-01 01:00:00+01", timestamptz{0});
}

TEST_CASE("timestamp and timestamptz over the whole range: outside it, malformed") {
    // One microsecond past PostgreSQL's last value, and just short of infinity.
    CHECK(decode_binary<timestamp>("\x7f\xff\xff\x5b\xb3\xb2\xa0\x00"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<timestamptz>("\x7f\xff\xff\xff\xff\xff\xff\xfe"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<timestamp>("\xfd\x0f\x7c\xc1\x41\x1f\x9f\xff"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<timestamp>("\x00\x00\x00\x00\x00\x00\x00"sv) ==
          client_errc::invalid_binary_length);
    CHECK(encode_binary(timestamp{9223371331200000000}) == client_errc::value_out_of_range);
    CHECK(encode_text(timestamptz{-211813488000000001}) == client_errc::value_out_of_range);
    CHECK(decode_text<timestamp>("294277-01-01 00:00:00") == client_errc::value_out_of_range);
    CHECK(decode_text<timestamptz>("294276-12-31 23:30:00-01") == client_errc::value_out_of_range);
    CHECK(decode_text<timestamptz>("2024-02-29 13:45:01") == client_errc::invalid_text_value);
    CHECK(decode_text<timestamp>("2024-02-29 13:45:01+00") == client_errc::invalid_text_value);
    timestamp v;
    CHECK(codec<timestamp>::decode_binary(to_bytes("\x00\x00\x00\x00\x00\x00\x00\x00"sv),
                                          oids::timestamptz, v) == client_errc::type_mismatch);
    CHECK(codec<timestamptz>::type_oid == oids::timestamptz);
    CHECK(codec<timestamp>::array_oid == oids::timestamp_array);
}

TEST_CASE("timestamp and timestamptz over the whole range: to and from std::chrono") {
    CHECK((timestamp{0}.to_chrono() == local(2000, 1, 1, {})));
    CHECK((timestamptz{-1}.to_chrono() == utc(1999, 12, 31, hms(23, 59, 59, 999999))));
    // The last time local_time<microseconds> holds before max(), and the next one, which it
    // cannot (max() means infinity).
    const timestamp chrono_last = timestamp::from_chrono(local_us::max() - 1us);
    CHECK(chrono_last.microseconds_since_2000 == 0x7ffca2fec4c81ffe);
    CHECK((chrono_last.to_chrono() == local_us::max() - 1us));
    CHECK_FALSE(timestamp{0x7ffca2fec4c81fff}.to_chrono());
    CHECK_FALSE(timestamp{9223371331199999999}.to_chrono());
    CHECK((timestamp::infinity().to_chrono() == local_us::max()));
    CHECK((timestamptz::minus_infinity().to_chrono() == sys_us::min()));
    CHECK(timestamp::from_chrono(local_us::max()) == timestamp::infinity());
    CHECK(timestamptz::from_chrono(sys_us::min()) == timestamptz::minus_infinity());
    // A time before PostgreSQL's range stays before it instead of wrapping around.
    CHECK(encode_binary(timestamp::from_chrono(local_us::min() + 1us)) ==
          client_errc::value_out_of_range);
    CHECK(encode_binary(timestamptz::from_chrono(utc(-4713, 11, 24, {}) - 1us)) ==
          client_errc::value_out_of_range);
}

TEST_CASE("time: golden bytes and text, 24:00:00 included") {
    check_binary(time_of_day{hms(13, 45, 1, 500000)}, "\x00\x00\x00\x0b\x86\x84\xf2\x60"sv);
    check_text(time_of_day{hms(13, 45, 1, 500000)}, "13:45:01.5");
    check_binary(time_of_day{}, "\x00\x00\x00\x00\x00\x00\x00\x00"sv);
    check_text(time_of_day{}, "00:00:00");
    check_binary(time_of_day{24h}, "\x00\x00\x00\x14\x1d\xd7\x60\x00"sv);
    check_text(time_of_day{24h}, "24:00:00");
    check_text(time_of_day{hms(23, 59, 59, 999999)}, "23:59:59.999999");
    check_text(time_of_day{hms(0, 0, 0, 10)}, "00:00:00.00001");

    CHECK(decode_binary<time_of_day>("\x00\x00\x00\x14\x1d\xd7\x60\x01"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<time_of_day>("\xff\xff\xff\xff\xff\xff\xff\xff"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<time_of_day>("\x00\x00\x00\x00\x00\x00\x00"sv) ==
          client_errc::invalid_binary_length);
    CHECK(encode_binary(time_of_day{24h + 1us}) == client_errc::value_out_of_range);
    CHECK(encode_binary(time_of_day{-1us}) == client_errc::value_out_of_range);
    CHECK(encode_text(time_of_day{24h + 1us}) == client_errc::value_out_of_range);
    for (const auto s : {"", "24:00:01", "24:00:00.000001", "25:00:00", "12:60:00", "12:00:60",
                         "1:00:00", "12:00", "12:00:00.", "12:00:00.1234567", "12:00:00+00",
                         " 12:00:00", "12:00:00 ", "-01:00:00", "allballs"}) {
        INFO("'" << s << "'");
        CHECK(decode_text<time_of_day>(s) == client_errc::invalid_text_value);
    }
    STATIC_REQUIRE(codec<time_of_day>::type_oid == oids::time);
    STATIC_REQUIRE(codec<time_of_day>::array_oid == oids::time_array);
}

TEST_CASE("timetz: the wire stores seconds west of UTC") {
    // '13:45:01+02': zone -7200 on the wire (ffffe3e0), +7200 in utc_offset_seconds.
    const time_of_day_tz plus2{hms(13, 45, 1), 7200};
    check_binary(plus2, "\x00\x00\x00\x0b\x86\x7d\x51\x40\xff\xff\xe3\xe0"sv);
    check_text(plus2, "13:45:01+02");
    const time_of_day_tz minus{{}, -(3 * 3600 + 30 * 60 + 15)};
    check_binary(minus, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x31\x47"sv);
    check_text(minus, "00:00:00-03:30:15");
    const time_of_day_tz edge{12h, 15 * 3600 + 59 * 60 + 59};
    check_binary(edge, "\x00\x00\x00\x0a\x0e\xeb\xb0\x00\xff\xff\x1f\x01"sv);
    check_text(edge, "12:00:00+15:59:59");
    check_text(time_of_day_tz{hms(13, 45, 1, 500000), 0}, "13:45:01.5+00");
    check_text(time_of_day_tz{24h, -5 * 3600 - 30 * 60}, "24:00:00-05:30");
    check_decodes("13:45:01+02:00", plus2);
    check_decodes("13:45:01+02:00:00", plus2);

    // |offset| must stay below 16 hours (TZDISP_LIMIT).
    CHECK(decode_binary<time_of_day_tz>("\x00\x00\x00\x0a\x0e\xeb\xb0\x00\xff\xff\x1f\x00"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<time_of_day_tz>("\x00\x00\x00\x0a\x0e\xeb\xb0\x00\x00\x00\xe1\x00"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<time_of_day_tz>("\x00\x00\x00\x14\x1d\xd7\x60\x01\x00\x00\x00\x00"sv) ==
          client_errc::value_out_of_range);
    CHECK(decode_binary<time_of_day_tz>("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"sv) ==
          client_errc::invalid_binary_length);
    CHECK(decode_binary<time_of_day_tz>("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"sv) ==
          client_errc::invalid_binary_length);
    CHECK(encode_binary(time_of_day_tz{{}, 16 * 3600}) == client_errc::value_out_of_range);
    CHECK(encode_binary(time_of_day_tz{{}, -16 * 3600}) == client_errc::value_out_of_range);
    CHECK(encode_text(time_of_day_tz{{}, std::numeric_limits<std::int32_t>::min()}) ==
          client_errc::value_out_of_range);
    CHECK(encode_binary(time_of_day_tz{-1us, 0}) == client_errc::value_out_of_range);
    for (const auto s : {"13:45:01", "13:45:01+16", "13:45:01+2", "13:45:01 +02", "13:45:01+02:",
                         "13:45:01+02:60", "25:00:00+00", "24:00:01+00", "13:45:01+02x"}) {
        INFO("'" << s << "'");
        CHECK(decode_text<time_of_day_tz>(s) == client_errc::invalid_text_value);
    }
    STATIC_REQUIRE(codec<time_of_day_tz>::type_oid == oids::timetz);
    STATIC_REQUIRE(codec<time_of_day_tz>::array_oid == oids::timetz_array);
}

TEST_CASE("interval: golden bytes and postgres-style text") {
    const struct {
        interval value;
        std::string_view bytes;
        std::string_view text;
    } cases[] = {
        {{14, 3, 14706789000}, // 1 year 2 mons 3 days 04:05:06.789
         "\x00\x00\x00\x03\x6c\x97\xca\x88\x00\x00\x00\x03\x00\x00\x00\x0e"sv,
         "1 year 2 mons 3 days 04:05:06.789"},
        {{0, -1, 7200000000},
         "\x00\x00\x00\x01\xad\x27\x48\x00\xff\xff\xff\xff\x00\x00\x00\x00"sv,
         "-1 days +02:00:00"},
        {{}, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"sv, "00:00:00"},
        {{-14, 3, -14706500000},
         "\xff\xff\xff\xfc\x93\x6c\x9e\x60\x00\x00\x00\x03\xff\xff\xff\xf2"sv,
         "-1 years -2 mons +3 days -04:05:06.5"},
        {{0, 0, std::numeric_limits<std::int64_t>::max()},
         "\x7f\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00"sv,
         "2562047788:00:54.775807"},
        {{0, 0, -1},
         "\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00"sv,
         "-00:00:00.000001"},
        // PostgreSQL 17's infinities.
        {interval::infinity(), "\x7f\xff\xff\xff\xff\xff\xff\xff\x7f\xff\xff\xff\x7f\xff\xff\xff"sv,
         "infinity"},
        {interval::minus_infinity(),
         "\x80\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00\x80\x00\x00\x00"sv, "-infinity"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        check_binary(c.value, c.bytes);
        check_text(c.value, c.text);
    }
    // More of PostgreSQL's output: a day and a second apart, signs per part, 1 is singular.
    check_text(interval{0, 1, -1000000}, "1 day -00:00:01");
    check_text(interval{-1, 1, 0}, "-1 mons +1 day");
    check_text(interval{13, 1, 1}, "1 year 1 mon 1 day 00:00:00.000001");
    check_text(interval{0, 0, -500000}, "-00:00:00.5");
    // Extremes: every field at its limit, and one field at infinity's value only.
    const interval lowest{std::numeric_limits<std::int32_t>::min(),
                          std::numeric_limits<std::int32_t>::min() + 1,
                          std::numeric_limits<std::int64_t>::min()};
    check_text(lowest, "-178956970 years -8 mons -2147483647 days -2562047788:00:54.775808");
    const interval partial{std::numeric_limits<std::int32_t>::max(), 0, 0};
    CHECK(partial.is_finite());
    check_text(partial, "178956970 years 7 mons");
    CHECK(interval::infinity().is_infinity());
    CHECK(interval::minus_infinity().is_minus_infinity());
    CHECK_FALSE(interval::infinity().is_finite());
    STATIC_REQUIRE(codec<interval>::type_oid == oids::interval);
    STATIC_REQUIRE(codec<interval>::array_oid == oids::interval_array);
}

TEST_CASE("interval: iso_8601 style and other accepted spellings") {
    check_decodes("P1Y2M3DT4H5M6.789S", interval{14, 3, 14706789000});
    check_decodes("P-1DT2H", interval{0, -1, 7200000000});
    check_decodes("P-1Y-2M3DT-4H-5M-6.5S", interval{-14, 3, -14706500000});
    check_decodes("PT0S", interval{});
    check_decodes("PT-0.5S", interval{0, 0, -500000});
    check_decodes("P1M", interval{1, 0, 0});
    check_decodes("PT1M", interval{0, 0, 60000000});
    check_decodes("P2D", interval{0, 2, 0});
    check_decodes("1 years", interval{12, 0, 0});
    check_decodes("2 day", interval{0, 2, 0});
    check_decodes("+1 mon", interval{1, 0, 0});
    check_decodes("+02:00:00", interval{0, 0, 7200000000});
    check_decodes("1:02:03", interval{0, 0, 3723000000});
}

TEST_CASE("interval: malformed text and bad sizes") {
    for (const auto s : {"",
                         " ",
                         "1",
                         "1 fortnight",
                         "1 day 1 year",
                         "1 days 2 days",
                         "1 dayss",
                         "1 monday",
                         "00:60:00",
                         "00:00:60",
                         "00:00",
                         "00:00:00 1 day",
                         "1 day  00:00:00",
                         "@ 1 day",
                         "1 day ago",
                         "P",
                         "PT",
                         "P1H",
                         "PT1D",
                         "P1.5Y",
                         "PT1.5H",
                         "P1Y1Y",
                         "PT1S2M",
                         "1 day ",
                         "2147483648 days",
                         "178956971 years",
                         "-178956971 years",
                         "1 year 2147483647 mons",
                         "2562047789:00:00",
                         "-2562047788:00:54.775809",
                         "PT9223372036855S",
                         "P2147483648D",
                         "1000000000000000000 days",
                         "Infinity",
                         "+infinity"}) {
        INFO("'" << s << "'");
        CHECK(decode_text<interval>(s) == client_errc::invalid_text_value);
    }
    CHECK(
        decode_binary<interval>("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"sv) ==
        client_errc::invalid_binary_length);
    CHECK(decode_binary<interval>(
              "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"sv) ==
          client_errc::invalid_binary_length);
    interval v;
    CHECK(codec<interval>::decode_text("00:00:00", oids::time, v) == client_errc::type_mismatch);
}
