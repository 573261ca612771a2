#include "support/codec_check.hpp"

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/boolean.hpp>
#include <pgasio/protocol/types/floating.hpp>
#include <pgasio/protocol/types/integral.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace pgasio::protocol;
using namespace pgasio::test;
using namespace std::string_view_literals;
using pgasio::fuzz::fuzz_type;

TEST_CASE("bool: binary and text golden values") {
    check_binary(true, "\x01"sv, fuzz_type::bool_);
    check_binary(false, "\x00"sv, fuzz_type::bool_);
    check_text(true, "t", fuzz_type::bool_);
    check_text(false, "f", fuzz_type::bool_);
    // Like the server's boolrecv, any non-zero byte is true.
    CHECK(decode_binary<bool>("\x02"sv, oids::bool_));
}

TEST_CASE("bool: every input spelling the server accepts") {
    for (auto s : {"t", "TRUE", "tr", "y", "yes", "on", "ON", "1", "  true  "})
        CHECK(decode_text<bool>(s, oids::bool_));
    for (auto s : {"f", "False", "fa", "n", "no", "of", "off", "0", "\tf\n"})
        CHECK_FALSE(decode_text<bool>(s, oids::bool_));
}

TEST_CASE("bool: malformed input") {
    CHECK(binary_error<bool>(""sv, oids::bool_) == client_errc::invalid_binary_length);
    CHECK(binary_error<bool>("\x01\x00"sv, oids::bool_) == client_errc::invalid_binary_length);
    CHECK(binary_error<bool>("\x01"sv, oids::int4) == client_errc::type_mismatch);
    for (auto s : {"", "o", "truex", "2", "yess", "t rue", "-1"})
        CHECK(text_error<bool>(s, oids::bool_) == client_errc::invalid_text_value);
    CHECK(text_error<bool>("t", oids::text) == client_errc::type_mismatch);
}

TEST_CASE("integers: binary golden values and limits") {
    check_binary<std::int16_t>(-32768, from_hex("8000"), fuzz_type::int2);
    check_binary<std::int16_t>(258, from_hex("0102"), fuzz_type::int2);
    check_binary<std::int32_t>(std::numeric_limits<std::int32_t>::min(), from_hex("80000000"),
                               fuzz_type::int4);
    check_binary<std::int32_t>(-2, from_hex("fffffffe"), fuzz_type::int4);
    check_binary<std::int64_t>(std::numeric_limits<std::int64_t>::min(),
                               from_hex("8000000000000000"), fuzz_type::int8);
    check_binary<std::int64_t>(std::numeric_limits<std::int64_t>::max(),
                               from_hex("7fffffffffffffff"), fuzz_type::int8);
    check_binary<std::int64_t>(1, from_hex("0000000000000001"), fuzz_type::int8);
    check_binary<std::uint32_t>(4294967295u, from_hex("ffffffff"), fuzz_type::oid);
    check_binary<std::uint32_t>(26, from_hex("0000001a"), fuzz_type::oid);
}

TEST_CASE("integers: text golden values and limits") {
    check_text<std::int16_t>(-32768, "-32768", fuzz_type::int2);
    check_text<std::int32_t>(std::numeric_limits<std::int32_t>::min(), "-2147483648",
                             fuzz_type::int4);
    check_text<std::int64_t>(std::numeric_limits<std::int64_t>::min(), "-9223372036854775808",
                             fuzz_type::int8);
    check_text<std::int64_t>(std::numeric_limits<std::int64_t>::max(), "9223372036854775807",
                             fuzz_type::int8);
    check_text<std::uint32_t>(4294967295u, "4294967295", fuzz_type::oid);
    check_text<std::int32_t>(0, "0", fuzz_type::int4);
    // The server's input accepts white space around, a '+' sign and "-0".
    CHECK(decode_text<std::int32_t>(" +12 ", oids::int4) == 12);
    CHECK(decode_text<std::int16_t>("-0", oids::int2) == 0);
    CHECK(decode_text<std::int32_t>("\t-7\n", oids::int4) == -7);
}

TEST_CASE("integers: widening from smaller server types, never narrowing") {
    CHECK(decode_binary<std::int32_t>(from_hex("fffe"), oids::int2) == -2);
    CHECK(decode_binary<std::int64_t>(from_hex("fffe"), oids::int2) == -2);
    CHECK(decode_binary<std::int64_t>(from_hex("80000000"), oids::int4) == -2147483648LL);
    CHECK(decode_text<std::int64_t>("-32768", oids::int2) == -32768);
    CHECK(binary_error<std::int32_t>(from_hex("0000000000000001"), oids::int8) ==
          client_errc::type_mismatch);
    CHECK(binary_error<std::int16_t>(from_hex("00000001"), oids::int4) ==
          client_errc::type_mismatch);
    CHECK(text_error<std::int32_t>("1", oids::int8) == client_errc::type_mismatch);
    CHECK(binary_error<std::uint32_t>(from_hex("00000001"), oids::int4) ==
          client_errc::type_mismatch);
    CHECK(types::codec<std::int64_t>::accepts(oids::int2));
    CHECK_FALSE(types::codec<std::int16_t>::accepts(oids::int4));
    CHECK_FALSE(types::codec<std::int64_t>::accepts(oids::oid_));
}

TEST_CASE("integers: malformed input") {
    CHECK(binary_error<std::int16_t>(from_hex("01"), oids::int2) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<std::int32_t>(from_hex("0001"), oids::int4) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<std::int32_t>(from_hex("000000"), oids::int2) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<std::int64_t>(from_hex("000000000000000000"), oids::int8) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<std::uint32_t>(""sv, oids::oid_) == client_errc::invalid_binary_length);
    for (auto s : {"", " ", "1.5", "1e3", "0x10", "12a", "+-1", "++1", "--1", "- 1", "1 2", "+"})
        CHECK(text_error<std::int32_t>(s, oids::int4) == client_errc::invalid_text_value);
    CHECK(text_error<std::int16_t>("32768", oids::int2) == client_errc::value_out_of_range);
    CHECK(text_error<std::int32_t>("-2147483649", oids::int4) == client_errc::value_out_of_range);
    CHECK(text_error<std::int64_t>("9223372036854775808", oids::int8) ==
          client_errc::value_out_of_range);
    CHECK(text_error<std::uint32_t>("-1", oids::oid_) == client_errc::value_out_of_range);
    CHECK(text_error<std::uint32_t>("4294967296", oids::oid_) == client_errc::value_out_of_range);
}

namespace {
template <class F>
bool bit_equal(F a, F b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}
} // namespace

TEST_CASE("floats: binary golden values, special values exactly") {
    check_binary(1.5f, from_hex("3fc00000"), fuzz_type::float4);
    check_binary(-std::numeric_limits<float>::infinity(), from_hex("ff800000"), fuzz_type::float4);
    check_binary(0.1, from_hex("3fb999999999999a"), fuzz_type::float8);
    check_binary(std::numeric_limits<double>::infinity(), from_hex("7ff0000000000000"),
                 fuzz_type::float8);
    CHECK(encode_binary(-0.0f) == from_hex("80000000"));
    CHECK(bit_equal(decode_binary<float>(from_hex("80000000"), oids::float4), -0.0f));
    CHECK(encode_binary(-0.0) == from_hex("8000000000000000"));
    CHECK(bit_equal(decode_binary<double>(from_hex("8000000000000000"), oids::float8), -0.0));
    CHECK(encode_binary(std::numeric_limits<float>::quiet_NaN()) == from_hex("7fc00000"));
    CHECK(std::isnan(decode_binary<float>(from_hex("7fc00000"), oids::float4)));
    CHECK(encode_binary(std::numeric_limits<double>::quiet_NaN()) == from_hex("7ff8000000000000"));
    CHECK(std::isnan(decode_binary<double>(from_hex("7ff8000000000000"), oids::float8)));
    record_type_seed(fuzz_type::float8, false, from_hex("7ff8000000000000"));
    // real widens to double exactly.
    CHECK(decode_binary<double>(from_hex("3dcccccd"), oids::float4) == static_cast<double>(0.1f));
}

TEST_CASE("floats: text golden values") {
    check_text(0.1, "0.1", fuzz_type::float8);
    check_text(0.1f, "0.1", fuzz_type::float4);
    check_text(1e16, "1e+16", fuzz_type::float8);
    check_text(1e-5, "1e-05", fuzz_type::float8);
    check_text(123456789012.0, "123456789012", fuzz_type::float8);
    check_text(1.5e300, "1.5e+300", fuzz_type::float8);
    check_text(std::numeric_limits<double>::infinity(), "Infinity", fuzz_type::float8);
    check_text(-std::numeric_limits<float>::infinity(), "-Infinity", fuzz_type::float4);
    check_text(std::numeric_limits<double>::max(), "1.7976931348623157e+308", fuzz_type::float8);
    check_text(std::numeric_limits<double>::denorm_min(), "5e-324", fuzz_type::float8);
    // Fixed notation for decimal exponents -4 to 14 (float4: to 5), as float8out and float4out
    // write them, not the shorter exponent form ("1e+05", "1e-04").
    check_text(100000.0, "100000", fuzz_type::float8);
    check_text(0.0001, "0.0001", fuzz_type::float8);
    check_text(0.00015, "0.00015", fuzz_type::float8);
    check_text(1e14, "100000000000000", fuzz_type::float8);
    check_text(999999999999999.0, "999999999999999", fuzz_type::float8);
    check_text(1e15, "1e+15", fuzz_type::float8);
    check_text(1.2345678901234568e20, "1.2345678901234568e+20", fuzz_type::float8);
    check_text(1.5e-5, "1.5e-05", fuzz_type::float8);
    check_text(0.0, "0", fuzz_type::float8);
    check_text(100000.0f, "100000", fuzz_type::float4);
    check_text(1e6f, "1e+06", fuzz_type::float4);
    check_text(1234567.0f, "1.234567e+06", fuzz_type::float4);
    check_text(0.0001f, "0.0001", fuzz_type::float4);
    CHECK(encode_text(-0.0) == "-0");
    CHECK(bit_equal(decode_text<double>("-0", oids::float8), -0.0));
    CHECK(encode_text(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    CHECK(std::isnan(decode_text<double>("NaN", oids::float8)));
    // What the server writes (extra_float_digits = 1, the default) reads back exactly.
    CHECK(decode_text<float>("3.4028235e+38", oids::float4) == std::numeric_limits<float>::max());
    CHECK(decode_text<double>("0.30000000000000004", oids::float8) == 0.1 + 0.2);
    // and every spelling the server accepts
    CHECK(std::isnan(decode_text<float>(" nan ", oids::float4)));
    CHECK(decode_text<double>("inf", oids::float8) == std::numeric_limits<double>::infinity());
    CHECK(decode_text<double>("+Infinity", oids::float8) ==
          std::numeric_limits<double>::infinity());
    CHECK(decode_text<double>("-INF", oids::float8) == -std::numeric_limits<double>::infinity());
    CHECK(decode_text<double>("  +1.5 ", oids::float8) == 1.5);
    CHECK(decode_text<double>("1E3", oids::float8) == 1000.0);
    // A real in text reads as the float it is, then widens (as in binary).
    CHECK(decode_text<double>("0.1", oids::float4) == static_cast<double>(0.1f));
}

TEST_CASE("floats: malformed input") {
    CHECK(binary_error<float>(from_hex("000000"), oids::float4) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<double>(from_hex("00000000"), oids::float8) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<double>(from_hex("0000000000000000"), oids::float4) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<float>(from_hex("00000000"), oids::float8) == client_errc::type_mismatch);
    CHECK(binary_error<double>(from_hex("00000000"), oids::numeric) == client_errc::type_mismatch);
    for (auto s : {"", "abc", "1.5x", "0x1p3", "nan(1)", "++1", "1,5", "Infinityx"})
        CHECK(text_error<double>(s, oids::float8) == client_errc::invalid_text_value);
    CHECK(text_error<double>("1e400", oids::float8) == client_errc::value_out_of_range);
    CHECK(text_error<float>("1e39", oids::float4) == client_errc::value_out_of_range);
    CHECK(text_error<double>("1e39", oids::float4) == client_errc::value_out_of_range);
}
