#include <pgasio/protocol/types/numeric.hpp>

#include "support/bytes.hpp"
#include "support/seed_corpus.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

using namespace std::string_view_literals;
using pgasio::protocol::client_errc;
using pgasio::protocol::numeric;
using pgasio::protocol::write_buffer;
using pgasio::protocol::types::codec;
namespace oids = pgasio::protocol::oids;
using pgasio::test::to_bytes;
using pgasio::test::to_string;

namespace {

// The fuzz target's selector bytes (fuzz/fuzz_numeric_date_time.cpp).
constexpr std::byte seed_numeric_binary{0};
constexpr std::byte seed_numeric_text{1};

void seed(std::byte selector, std::string_view bytes) {
    std::vector<std::byte> input{selector};
    const auto b = to_bytes(bytes);
    input.insert(input.end(), b.begin(), b.end());
    pgasio::test::record_seed("fuzz_numeric_date_time", input);
}

numeric parse(std::string_view s) {
    auto r = numeric::from_string(s);
    REQUIRE(r.has_value());
    return *r;
}

std::string encode(const numeric& n) {
    write_buffer buf;
    REQUIRE_FALSE(codec<numeric>::encode_binary(buf, n));
    return to_string(buf.data());
}

boost::system::error_code decode(std::string_view bytes, numeric& out) {
    return codec<numeric>::decode_binary(to_bytes(bytes), oids::numeric, out);
}

} // namespace

TEST_CASE("numeric: text and binary forms match PostgreSQL 15's numeric_in/out/send") {
    struct golden {
        std::string_view input; // what numeric_in was given
        std::string_view text;  // what numeric_out printed
        std::string_view bytes; // what numeric_send wrote
    };
    // Obtained from a PostgreSQL 15 server: select v::numeric::text, numeric_send(v::numeric).
    const golden cases[] = {
        {"12345.678", "12345.678", "\x00\x03\x00\x01\x00\x00\x00\x03\x00\x01\x09\x29\x1a\x7c"sv},
        {"-0.001", "-0.001", "\x00\x01\xff\xff\x40\x00\x00\x03\x00\x0a"sv},
        {"0", "0", "\x00\x00\x00\x00\x00\x00\x00\x00"sv},
        {"0.00", "0.00", "\x00\x00\x00\x00\x00\x00\x00\x02"sv},
        {"NaN", "NaN", "\x00\x00\x00\x00\xc0\x00\x00\x00"sv},
        {"Infinity", "Infinity", "\x00\x00\x00\x00\xd0\x00\x00\x20"sv},
        {"-Infinity", "-Infinity", "\x00\x00\x00\x00\xf0\x00\x00\x20"sv},
        {"1.50", "1.50", "\x00\x02\x00\x00\x00\x00\x00\x02\x00\x01\x13\x88"sv},
        {"1e5", "100000", "\x00\x01\x00\x01\x00\x00\x00\x00\x00\x0a"sv},
        {"1.5e1", "15", "\x00\x01\x00\x00\x00\x00\x00\x00\x00\x0f"sv},
        {"-9223372036854775808", "-9223372036854775808",
         "\x00\x05\x00\x04\x40\x00\x00\x00\x03\x9a\x0d\x2c\x01\x70\x15\x65\x16\xb0"sv},
        {"9223372036854775807", "9223372036854775807",
         "\x00\x05\x00\x04\x00\x00\x00\x00\x03\x9a\x0d\x2c\x01\x70\x15\x65\x16\xaf"sv},
        {"0.000000000000000000001", "0.000000000000000000001",
         "\x00\x01\xff\xfa\x00\x00\x00\x15\x03\xe8"sv},
        {"100000000", "100000000", "\x00\x01\x00\x02\x00\x00\x00\x00\x00\x01"sv},
        {"  +12.3400  ", "12.3400", "\x00\x02\x00\x00\x00\x00\x00\x04\x00\x0c\x0d\x48"sv},
        {"-.5", "-0.5", "\x00\x01\xff\xff\x40\x00\x00\x01\x13\x88"sv},
        {"1.", "1", "\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01"sv},
        {"inf", "Infinity", "\x00\x00\x00\x00\xd0\x00\x00\x20"sv},
        {"-INF", "-Infinity", "\x00\x00\x00\x00\xf0\x00\x00\x20"sv},
        {"1e 3", "1000", "\x00\x01\x00\x00\x00\x00\x00\x00\x03\xe8"sv},
        {"10000", "10000", "\x00\x01\x00\x01\x00\x00\x00\x00\x00\x01"sv},
        {"9999.9999", "9999.9999", "\x00\x02\x00\x00\x00\x00\x00\x04\x27\x0f\x27\x0f"sv},
        {"123456789.987654321", "123456789.987654321",
         "\x00\x06\x00\x02\x00\x00\x00\x09\x00\x01\x09\x29\x1a\x85\x26\x94\x15\x38\x03\xe8"sv},
        {"0.1", "0.1", "\x00\x01\xff\xff\x00\x00\x00\x01\x03\xe8"sv},
        {"-00012.0", "-12.0", "\x00\x01\x00\x00\x40\x00\x00\x01\x00\x0c"sv},
    };
    for (const auto& g : cases) {
        INFO("input " << g.input);
        seed(seed_numeric_binary, g.bytes);
        seed(seed_numeric_text, g.input);
        const numeric n = parse(g.input);
        CHECK(n.to_string() == g.text);
        CHECK(encode(n) == g.bytes);

        numeric back;
        REQUIRE_FALSE(decode(g.bytes, back));
        CHECK(back == n);
        CHECK(back.to_string() == g.text);

        std::string text = "prefix:";
        REQUIRE_FALSE(codec<numeric>::encode_text(text, n));
        CHECK(text == "prefix:" + std::string(g.text));
        numeric from_text;
        REQUIRE_FALSE(codec<numeric>::decode_text(g.input, oids::numeric, from_text));
        CHECK(from_text.to_string() == g.text);
    }
}

TEST_CASE("numeric: the parts are PostgreSQL's base-10000 digits") {
    const numeric n = parse("12345.678");
    CHECK(n.kind() == numeric::kind_type::finite);
    CHECK(n.weight() == 1);
    CHECK(n.dscale() == 3);
    CHECK_FALSE(n.is_negative());
    CHECK(std::vector<std::int16_t>(n.digits().begin(), n.digits().end()) ==
          std::vector<std::int16_t>{1, 2345, 6780});

    const numeric small = parse("-0.001");
    CHECK(small.is_negative());
    CHECK(small.weight() == -1);
    CHECK(small.dscale() == 3);
    CHECK(std::vector<std::int16_t>(small.digits().begin(), small.digits().end()) ==
          std::vector<std::int16_t>{10});

    // Zero: no digits, weight 0, never negative; the scale survives.
    const numeric zero = parse("-0.000");
    CHECK(zero.digits().empty());
    CHECK(zero.weight() == 0);
    CHECK_FALSE(zero.is_negative());
    CHECK(zero.to_string() == "0.000");
    CHECK(numeric{}.to_string() == "0");

    CHECK(numeric::nan().is_nan());
    CHECK(numeric::negative_infinity().is_negative());
    CHECK(numeric::positive_infinity().kind() == numeric::kind_type::positive_infinity);
    CHECK_FALSE(numeric::positive_infinity().is_finite());
}

TEST_CASE("numeric: equality compares values, not scales") {
    CHECK(parse("1.50") == parse("1.5"));
    CHECK(parse("1.50").to_string() != parse("1.5").to_string());
    CHECK(parse("-0") == parse("0.00"));
    CHECK(parse("100") == parse("1e2"));
    CHECK(parse("NaN") == numeric::nan());
    CHECK_FALSE(parse("1") == parse("-1"));
    CHECK_FALSE(parse("1") == parse("1.0001"));
    CHECK_FALSE(parse("10000") == parse("1"));
    CHECK_FALSE(numeric::positive_infinity() == numeric::negative_infinity());
    CHECK_FALSE(numeric::nan() == numeric{});
}

TEST_CASE("numeric: PostgreSQL's limits on weight and scale") {
    // 10^131071 is the largest power of ten: weight 32767, one digit 1000.
    const numeric big = parse("1e131071");
    CHECK(big.weight() == numeric::max_weight);
    CHECK(encode(big) == "\x00\x01\x7f\xff\x00\x00\x00\x00\x03\xe8"sv);
    const std::string big_text = big.to_string();
    CHECK(big_text.size() == 131072);
    CHECK(big_text == "1" + std::string(131071, '0'));
    CHECK(parse(big_text) == big);
    CHECK(parse("9.9999e131071").to_string().size() == 131072);

    // 10^-16383 has the largest scale: dscale 0x3FFF, weight -4096, digit 10.
    const numeric tiny = parse("1e-16383");
    CHECK(tiny.dscale() == numeric::max_dscale);
    CHECK(encode(tiny) == "\x00\x01\xf0\x00\x00\x00\x3f\xff\x00\x0a"sv);
    CHECK(tiny.to_string() == "0." + std::string(16382, '0') + "1");

    // Beyond them PostgreSQL says "value overflows numeric format".
    for (const auto s : {"1e131072", "-1e131072", "1e-16384", "0e-16384", "1e1073741822",
                         "1e1073741823", "1e-1073741823", "1e99999999999999999999"}) {
        INFO(s);
        CHECK(numeric::from_string(s).error() == client_errc::value_out_of_range);
    }
    CHECK(numeric::from_string("0." + std::string(16384, '0')).error() ==
          client_errc::value_out_of_range);
    CHECK(numeric::from_string("0." + std::string(16383, '0')).has_value());
    // Zero with a huge exponent is still zero.
    CHECK(parse("0e1000000").to_string() == "0");
}

TEST_CASE("numeric: malformed text is invalid_text_value") {
    for (const auto s : {"",        " ",         "1.2.3", "e5",  ".",    "-",    "+",     "NaNx",
                         "+NaN",    "-NaN",      "1e",    "1e+", "1e-x", "0x10", "1_000", "1 2",
                         "Infinit", "infinityy", "--1",   "1..", "1.e",  "١"}) {
        INFO("'" << s << "'");
        CHECK(numeric::from_string(s).error() == client_errc::invalid_text_value);
    }
    // What numeric_in accepts besides plain digits.
    CHECK(parse(" \t\n1\r\v\f").to_string() == "1");
    CHECK(parse("1E+2").to_string() == "100");
    CHECK(parse("12.5e-1").to_string() == "1.25");
    CHECK(parse("1.e1").to_string() == "10");
    CHECK(parse("nAn").is_nan());
    CHECK(parse("+Infinity") == numeric::positive_infinity());
    CHECK(parse("+inf ") == numeric::positive_infinity());
    CHECK(parse("  -infinity") == numeric::negative_infinity());
}

TEST_CASE("numeric: exact conversions from and to std::int64_t") {
    constexpr auto min = std::numeric_limits<std::int64_t>::min();
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    for (const std::int64_t v :
         {min, min + 1, std::int64_t{-10000}, std::int64_t{-1}, std::int64_t{0}, std::int64_t{1},
          std::int64_t{9999}, std::int64_t{10000}, std::int64_t{123456789}, max}) {
        INFO(v);
        const numeric n = numeric::from_int64(v);
        CHECK(n.to_string() == std::to_string(v));
        CHECK(n.dscale() == 0);
        CHECK(n.to_int64().value() == v);
    }
    CHECK(encode(numeric::from_int64(min)) ==
          "\x00\x05\x00\x04\x40\x00\x00\x00\x03\x9a\x0d\x2c\x01\x70\x15\x65\x16\xb0"sv);
    CHECK(parse("2.00").to_int64().value() == 2);
    CHECK(parse("-12e3").to_int64().value() == -12000);
    CHECK(parse("0.000").to_int64().value() == 0);
    for (const auto s : {"1.5", "-0.0001", "9223372036854775808", "-9223372036854775809",
                         "18446744073709551616", "1e20", "1e30", "NaN", "Infinity", "-Infinity"}) {
        INFO(s);
        CHECK(parse(s).to_int64().error() == client_errc::value_out_of_range);
    }
}

TEST_CASE("numeric: to_double gives the nearest double") {
    CHECK(parse("0.1").to_double() == 0.1);
    CHECK(parse("-12345.678").to_double() == -12345.678);
    CHECK(parse("123456789.987654321").to_double() == 123456789.987654321);
    CHECK(parse("9007199254740993").to_double() == 9007199254740992.0); // tie, to even
    CHECK(parse("1e308").to_double() == 1e308);
    CHECK(parse("1e-300").to_double() == 1e-300);
    CHECK(std::isinf(parse("1e400").to_double()));
    CHECK(parse("-1e400").to_double() == -std::numeric_limits<double>::infinity());
    const double under = parse("-1e-400").to_double();
    CHECK(under == 0.0);
    CHECK(std::signbit(under));
    CHECK(std::isnan(numeric::nan().to_double()));
    CHECK(numeric::positive_infinity().to_double() == std::numeric_limits<double>::infinity());
    CHECK(numeric::negative_infinity().to_double() == -std::numeric_limits<double>::infinity());
}

TEST_CASE("numeric: from_parts normalises and checks") {
    const std::int16_t digits[] = {0, 12, 5000};
    // Weight 1 means 0*10000 + 12 + 0.5, shown with dscale 0: the fraction is cut, as
    // numeric_recv's trunc_var does.
    auto n = numeric::from_parts(false, 1, 0, digits);
    REQUIRE(n.has_value());
    CHECK(n->to_string() == "12");
    CHECK(n->weight() == 0);
    CHECK(encode(*n) == "\x00\x01\x00\x00\x00\x00\x00\x00\x00\x0c"sv);

    // dscale 1 keeps one decimal of the last group: 12.5000 -> 12.5.
    const std::int16_t more[] = {12, 5678};
    CHECK(numeric::from_parts(true, 0, 1, more)->to_string() == "-12.5");
    CHECK(numeric::from_parts(true, 0, 1, more)->digits().size() == 2);
    CHECK(numeric::from_parts(false, 0, 3, more)->to_string() == "12.567");

    const std::int16_t bad[] = {10000};
    CHECK(numeric::from_parts(false, 0, 0, bad).error() == client_errc::invalid_numeric);
    const std::int16_t negative[] = {-1};
    CHECK(numeric::from_parts(false, 0, 0, negative).error() == client_errc::invalid_numeric);
    CHECK(numeric::from_parts(false, 0, 0x4000, {}).error() == client_errc::invalid_numeric);
    CHECK(numeric::from_parts(false, 0, -1, {}).error() == client_errc::invalid_numeric);
    const std::int16_t one[] = {1};
    CHECK(numeric::from_parts(false, 32768, 0, one).error() == client_errc::value_out_of_range);
    CHECK(numeric::from_parts(false, 32767, 0, one).has_value());
    // Zero digits are no value: any weight is fine, and negative zero is zero.
    const std::int16_t zeros[] = {0, 0};
    auto z = numeric::from_parts(true, 40000, 2, zeros);
    REQUIRE(z.has_value());
    CHECK(z->to_string() == "0.00");
}

TEST_CASE("numeric: binary decoding normalises like numeric_recv") {
    numeric n;
    // Leading and trailing zero digits: [0, 12, 3400, 0] with weight 1 -> 12.3400, dscale 4.
    const auto padded = "\x00\x04\x00\x01\x00\x00\x00\x04\x00\x00\x00\x0c\x0d\x48\x00\x00"sv;
    seed(seed_numeric_binary, padded);
    REQUIRE_FALSE(decode(padded, n));
    CHECK(n.to_string() == "12.3400");
    CHECK(encode(n) == "\x00\x02\x00\x00\x00\x00\x00\x04\x00\x0c\x0d\x48"sv);

    // Digits beyond dscale are dropped: 1.2345 with dscale 2 -> 1.23.
    const auto hidden = "\x00\x02\x00\x00\x00\x00\x00\x02\x00\x01\x09\x29"sv;
    REQUIRE_FALSE(decode(hidden, n));
    CHECK(n.to_string() == "1.23");
    CHECK(encode(n) == "\x00\x02\x00\x00\x00\x00\x00\x02\x00\x01\x08\xfc"sv);

    // Any weight is accepted; digits far below the scale vanish.
    const auto deep = "\x00\x01\x80\x00\x40\x00\x00\x05\x00\x01"sv;
    seed(seed_numeric_binary, deep);
    REQUIRE_FALSE(decode(deep, n));
    CHECK(n.to_string() == "0.00000");
    CHECK_FALSE(n.is_negative());

    // NaN/Infinity: weight and scale are ignored, as numeric_recv does.
    REQUIRE_FALSE(decode("\x00\x00\x12\x34\xd0\x00\x00\x00"sv, n));
    CHECK(n == numeric::positive_infinity());
}

TEST_CASE("numeric: malformed binary values") {
    numeric n;
    struct bad {
        std::string_view bytes;
        client_errc expected;
    };
    const bad cases[] = {
        {""sv, client_errc::invalid_binary_length},
        {"\x00\x00\x00\x00\x00\x00\x00"sv, client_errc::invalid_binary_length},
        // ndigits 3, two digits present.
        {"\x00\x03\x00\x01\x00\x00\x00\x03\x00\x01\x09\x29"sv, client_errc::invalid_binary_length},
        // ndigits 0xFFFF announced with nothing behind it: rejected before any allocation.
        {"\xff\xff\x00\x00\x00\x00\x00\x00\x00\x01"sv, client_errc::invalid_binary_length},
        // A trailing byte.
        {"\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00"sv, client_errc::invalid_binary_length},
        {"\x00\x01\x00\x00\x00\x00\x00\x00\x27\x10"sv, client_errc::invalid_numeric}, // 10000
        {"\x00\x01\x00\x00\x00\x00\x00\x00\xff\xff"sv, client_errc::invalid_numeric}, // -1
        {"\x00\x00\x00\x00\x80\x00\x00\x00"sv, client_errc::invalid_numeric},         // sign
        {"\x00\x00\x00\x00\x00\x01\x00\x00"sv, client_errc::invalid_numeric},         // sign
        {"\x00\x00\x00\x00\x00\x00\x40\x00"sv, client_errc::invalid_numeric},         // dscale
        {"\x00\x01\x00\x00\xc0\x00\x00\x00\x00\x01"sv, client_errc::invalid_numeric}, // NaN+digit
        {"\x00\x01\x00\x00\xf0\x00\x00\x00\x00\x01"sv, client_errc::invalid_numeric}, // -Inf+digit
    };
    for (const auto& c : cases) {
        INFO(Catch::Detail::stringify(std::string(c.bytes)));
        seed(seed_numeric_binary, c.bytes);
        CHECK(decode(c.bytes, n) == c.expected);
    }
}

TEST_CASE("numeric: codec declarations") {
    STATIC_REQUIRE(codec<numeric>::type_oid == oids::numeric);
    STATIC_REQUIRE(codec<numeric>::array_oid == oids::numeric_array);
    CHECK(codec<numeric>::accepts(oids::numeric));
    CHECK_FALSE(codec<numeric>::accepts(oids::int8));
    CHECK_FALSE(codec<numeric>::accepts(oids::float8));
    numeric n;
    CHECK(codec<numeric>::decode_binary(to_bytes("\x00\x00\x00\x00\x00\x00\x00\x00"sv), oids::int8,
                                        n) == client_errc::type_mismatch);
    CHECK(codec<numeric>::decode_text("1", oids::float8, n) == client_errc::type_mismatch);
    CHECK(codec<numeric>::decode_text("1x", oids::numeric, n) == client_errc::invalid_text_value);
}
