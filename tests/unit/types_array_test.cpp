#include "support/codec_check.hpp"

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/array.hpp>
#include <pgasio/protocol/types/boolean.hpp>
#include <pgasio/protocol/types/bytea.hpp>
#include <pgasio/protocol/types/floating.hpp>
#include <pgasio/protocol/types/integral.hpp>
#include <pgasio/protocol/types/json.hpp>
#include <pgasio/protocol/types/network.hpp>
#include <pgasio/protocol/types/range.hpp>
#include <pgasio/protocol/types/runtime_types.hpp>
#include <pgasio/protocol/types/string.hpp>
#include <pgasio/protocol/types/uuid.hpp>

#include <cmath>
#include <limits>

using namespace pgasio::protocol;
using namespace pgasio::test;
using namespace std::string_view_literals;
using pgasio::fuzz::fuzz_type;

namespace {
using ints = std::vector<std::int32_t>;

// A database with one domain over int4 (OID 16400) and its array type (16401).
class one_domain final : public types::runtime_types {
public:
    oid base_type(oid t) const noexcept override { return t == 16400 ? oids::int4 : t; }
    oid array_element(oid a) const noexcept override { return a == 16401 ? 16400 : 0; }
    oid array_of(oid e) const noexcept override { return e == 16400 ? 16401 : 0; }
};
using opt_ints = std::vector<std::optional<std::int32_t>>;
using texts = std::vector<std::string>;
using opt_texts = std::vector<std::optional<std::string>>;
} // namespace

TEST_CASE("arrays: one-dimensional binary golden values (array_send)") {
    // '{1,2}'::int[]: ndim 1, no NULL, int4, length 2, lower bound 1, then each element
    check_binary(ints{1, 2},
                 from_hex("0000000100000000000000170000000200000001"
                          "000000040000000100000004"
                          "00000002"),
                 fuzz_type::int4_vector);
    // '{}'::int[]: no dimensions
    check_binary(ints{}, from_hex("000000000000000000000017"), fuzz_type::int4_vector);
    check_binary(texts{}, from_hex("000000000000000000000019"), fuzz_type::text_vector);
    // '{"a b","x\"y",NULL,""}'::text[]
    const auto with_null = from_hex("000000010000000100000019000000040000000100000003612062"
                                    "00000003782279ffffffff00000000");
    check_binary(opt_texts{"a b", "x\"y", std::nullopt, ""}, with_null, fuzz_type::text_vector);
    CHECK(types::codec<opt_texts>::type_oid == oids::text_array);
    check_binary(opt_ints{1, std::nullopt},
                 from_hex("0000000100000001000000170000000200000001"
                          "0000000400000001ffffffff"),
                 fuzz_type::nullable_int4_vector);
}

TEST_CASE("arrays: one-dimensional text golden values") {
    check_text(ints{1, 2, -3}, "{1,2,-3}", fuzz_type::int4_vector);
    check_text(ints{}, "{}", fuzz_type::int4_vector);
    check_text(opt_texts{"a b", "x\"y", std::nullopt, "", "NULL", "\\", "{}", "Ab", "a,b"},
               R"({"a b","x\"y",NULL,"","NULL","\\","{}",Ab,"a,b"})", fuzz_type::text_vector);
    check_text(opt_ints{std::nullopt, 5}, "{NULL,5}", fuzz_type::nullable_int4_vector);
    CHECK(encode_text(std::vector<bool>{true, false}) == "{t,f}");
    CHECK(decode_text<std::vector<bool>>("{t,f}", oids::bool_array) ==
          std::vector<bool>{true, false});
    CHECK(encode_binary(std::vector<bool>{true}) ==
          from_hex("000000010000000000000010000000010000000100000001"
                   "01"));
    // White space, NULL in any case, escapes in unquoted elements, quoted NULL is a string.
    CHECK(decode_text<opt_texts>(R"( { a b , null,"null", \"q\\ , x\  } )", oids::text_array) ==
          opt_texts{"a b", std::nullopt, "null", "\"q\\", "x "});
    CHECK(decode_text<opt_texts>(R"({"",""})", oids::text_array) == opt_texts{"", ""});
}

TEST_CASE("arrays: a vector reads any lower bound, and every array it can decode elements of") {
    CHECK(decode_binary<ints>(from_hex("00000001000000000000001700000002fffffffb"
                                       "00000004000000070000000400000008"),
                              oids::int4_array) == ints{7, 8});
    CHECK(decode_text<ints>("[-5:-4]={7,8}", oids::int4_array) == ints{7, 8});
    // int2[] widens into std::vector<std::int64_t>
    CHECK(decode_binary<std::vector<std::int64_t>>(
              from_hex("000000010000000000000015000000020000000100000002fffe00000002ffff"),
              oids::int2_array) == std::vector<std::int64_t>{-2, -1});
    CHECK(types::codec<std::vector<std::int64_t>>::accepts(oids::int4_array));
    CHECK(types::codec<std::vector<std::string>>::accepts(oids::varchar_array));
    CHECK_FALSE(types::codec<ints>::accepts(oids::int8_array));
    CHECK_FALSE(types::codec<ints>::accepts(oids::int4));
    CHECK(decode_text<std::vector<std::string>>("{a,b}", oids::name_array) == texts{"a", "b"});
    CHECK(
        decode_binary<std::vector<std::vector<std::byte>>>(
            from_hex("0000000100000000000000110000000100000001000000020102"), oids::bytea_array) ==
        std::vector<std::vector<std::byte>>{{std::byte{1}, std::byte{2}}});
    CHECK(decode_text<std::vector<std::vector<std::byte>>>(R"({"\\x0102"})", oids::bytea_array) ==
          std::vector<std::vector<std::byte>>{{std::byte{1}, std::byte{2}}});
}

TEST_CASE("arrays: string_view elements view the value bytes, from binary only") {
    const auto bytes = to_bytes(from_hex("00000001000000000000001900000001000000010000000161"));
    std::vector<std::string_view> v;
    REQUIRE_FALSE(
        types::codec<std::vector<std::string_view>>::decode_binary(bytes, oids::text_array, v));
    REQUIRE(v.size() == 1);
    CHECK(v[0] == "a");
    CHECK(static_cast<const void*>(v[0].data()) == static_cast<const void*>(&bytes.back()));
    CHECK(text_error<std::vector<std::string_view>>("{a}", oids::text_array) ==
          client_errc::type_mismatch);
}

TEST_CASE("arrays: NULL elements need std::optional") {
    CHECK(binary_error<ints>(from_hex("0000000100000001000000170000000200000001"
                                      "0000000400000001ffffffff"),
                             oids::int4_array) == client_errc::unexpected_null);
    CHECK(text_error<ints>("{1,NULL}", oids::int4_array) == client_errc::unexpected_null);
    CHECK(decode_text<ints>("{1,\"2\"}", oids::int4_array) == ints{1, 2});
}

TEST_CASE("arrays: several dimensions do not fit a vector") {
    CHECK(binary_error<ints>(from_hex("000000020000000000000017000000010000000100000001000000010000"
                                      "000400000005"),
                             oids::int4_array) == client_errc::value_out_of_range);
    CHECK(text_error<ints>("{{1},{2}}", oids::int4_array) == client_errc::value_out_of_range);
}

TEST_CASE("arrays: array<T> keeps dimensions and lower bounds (binary)") {
    // '{{1,NULL},{3,4}}'::int[]
    check_binary(array<std::int32_t>{{{2, 1}, {2, 1}}, {1, std::nullopt, 3, 4}},
                 from_hex("00000002000000010000001700000002000000010000000200000001"
                          "0000000400000001ffffffff0000000400000003"
                          "0000000400000004"),
                 fuzz_type::int4_array);
    // '[0:1]={1,NULL}'::int[]
    check_binary(array<std::int32_t>{{{2, 0}}, {1, std::nullopt}},
                 from_hex("0000000100000001000000170000000200000000000000040000000"
                          "1ffffffff"),
                 fuzz_type::int4_array);
    // '[-5:-4]={7,8}'::int[]
    check_binary(array<std::int32_t>{{{2, -5}}, {7, 8}},
                 from_hex("00000001000000000000001700000002fffffffb0000000400000007"
                          "0000000400000008"),
                 fuzz_type::int4_array);
    check_binary(array<std::int32_t>{}, from_hex("000000000000000000000017"),
                 fuzz_type::int4_array);
    check_binary(array<std::string>{{{1, 1}, {1, 1}}, {"x"}},
                 from_hex("00000002000000000000001900000001000000010000000100000001"
                          "0000000178"),
                 fuzz_type::text_array);
    // A dimension of length 0 means no elements: the server stores that without dimensions.
    CHECK(decode_binary<array<std::int32_t>>(
              from_hex("00000002000000000000001700000000000000010000000500000001"),
              oids::int4_array) == array<std::int32_t>{});
    CHECK(encode_binary(array<std::int32_t>{{{0, 1}}, {}}) == from_hex("000000000000000000000017"));
}

TEST_CASE("arrays: array<T> text golden values") {
    check_text(array<std::int32_t>{{{2, 1}, {2, 1}}, {1, 2, 3, 4}}, "{{1,2},{3,4}}",
               fuzz_type::int4_array);
    check_text(array<std::int32_t>{{{2, -5}}, {1, 2}}, "[-5:-4]={1,2}", fuzz_type::int4_array);
    check_text(array<std::string>{{{3, 0}}, {"a", "b", "c"}}, "[0:2]={a,b,c}",
               fuzz_type::text_array);
    check_text(array<std::string>{{{2, 1}, {2, 1}}, {"a,b", "{c}", "\\\\", std::nullopt}},
               R"({{"a,b","{c}"},{"\\\\",NULL}})", fuzz_type::text_array);
    check_text(array<std::int32_t>{{{1, 1}, {2, 0}, {1, 1}}, {5, 6}}, "[1:1][0:1][1:1]={{{5},{6}}}",
               fuzz_type::int4_array);
    check_text(array<std::int32_t>{}, "{}", fuzz_type::int4_array);
    // Decoration of the default bounds, white space between the parts.
    CHECK(decode_text<array<std::int32_t>>(" [1:2] = { 1 , 2 } ", oids::int4_array) ==
          array<std::int32_t>{{{2, 1}}, {1, 2}});
    CHECK(decode_text<array<std::int32_t>>("[2]={5,6}", oids::int4_array) ==
          array<std::int32_t>{{{2, 1}}, {5, 6}});
    CHECK(decode_text<array<std::int32_t>>("{ {1} , {2} }", oids::int4_array) ==
          array<std::int32_t>{{{2, 1}, {1, 1}}, {1, 2}});
    CHECK(decode_text<array<std::int32_t>>("{{{{{{1}}}}}}", oids::int4_array).dims.size() == 6);
}

TEST_CASE("arrays: malformed binary headers") {
    // shorter than the fixed header
    CHECK(binary_error<ints>(from_hex("0000000100000000000000"), oids::int4_array) ==
          client_errc::invalid_array);
    // 7 dimensions, negative dimensions
    CHECK(binary_error<array<std::int32_t>>(from_hex("000000070000000000000017"),
                                            oids::int4_array) == client_errc::invalid_array);
    CHECK(binary_error<ints>(from_hex("ffffffff0000000000000017"), oids::int4_array) ==
          client_errc::invalid_array);
    // has-null flag other than 0 or 1
    CHECK(binary_error<ints>(from_hex("000000000000000200000017"), oids::int4_array) ==
          client_errc::invalid_array);
    // a dimension missing, a negative length
    CHECK(binary_error<ints>(from_hex("00000001000000000000001700000001"), oids::int4_array) ==
          client_errc::invalid_array);
    CHECK(binary_error<ints>(from_hex("000000010000000000000017ffffffff00000001"),
                             oids::int4_array) == client_errc::invalid_array);
    // lower bound + length beyond int32
    CHECK(binary_error<ints>(from_hex("000000010000000000000017000000017fffffff0000000400000001"),
                             oids::int4_array) == client_errc::invalid_array);
    // 2^31-1 elements announced, 8 bytes present: refused before anything is allocated
    CHECK(binary_error<ints>(from_hex("000000010000000000000017"
                                      "7fffffff000000010000000400000001"),
                             oids::int4_array) == client_errc::invalid_array);
    // a product of lengths that overflows 64 bits
    CHECK(binary_error<array<std::int32_t>>(
              from_hex("000000030000000000000017"
                       "7fffffff000000007fffffff000000007fffffff00000000"),
              oids::int4_array) == client_errc::invalid_array);
    // an element type the codec cannot read, a type that is not an array
    CHECK(binary_error<ints>(from_hex("00000001000000000000001400000001000000010000000800000000"
                                      "00000001"),
                             oids::int4_array) == client_errc::type_mismatch);
    CHECK(binary_error<ints>(from_hex("000000000000000000000017"), oids::int4) ==
          client_errc::type_mismatch);
}

TEST_CASE("arrays: malformed binary elements") {
    const auto header = from_hex("0000000100000000000000170000000200000001");
    // truncated element length, truncated element, length below -1, trailing bytes
    CHECK(binary_error<ints>(header + from_hex("000000040000000100"), oids::int4_array) ==
          client_errc::invalid_array);
    CHECK(binary_error<ints>(header + from_hex("00000004000000010000000400"), oids::int4_array) ==
          client_errc::invalid_array);
    CHECK(binary_error<opt_ints>(header + from_hex("0000000400000001fffffffe"), oids::int4_array) ==
          client_errc::invalid_array);
    CHECK(binary_error<ints>(header + from_hex("0000000400000001000000040000000200"),
                             oids::int4_array) == client_errc::invalid_array);
    // an element of the wrong size is the element codec's error
    CHECK(binary_error<ints>(header + from_hex("00000004000000010000000300000000"),
                             oids::int4_array) == client_errc::invalid_binary_length);
}

TEST_CASE("arrays: malformed text") {
    for (auto s :
         {"",           "1,2",         "{1,2",    "{1,,2}",  "{,}",     "{1,}",  "{a\"b\"}",
          "{\"a\"b}",   "{1}x",        "{{},{}}", "{1,{2}}", "{{1},2}", "{\"a}", "{a\\}",
          "[1:2]{1,2}", "[1:2=]{1,2}", "[a]={1}", "{",       "}",       "{}}"})
        CHECK(text_error<opt_texts>(s, oids::text_array) == client_errc::invalid_text_value);
    for (auto s :
         {"{{1,2},{3}}", "[1:2]={1,2,3}", "[1:3]={1,2}", "[1:0]={}", "[1:1]={}", "[1:1][1:1]={1}",
          "{{{{{{{1}}}}}}}", "[1][1][1][1][1][1][1]={{{{{{{1}}}}}}}", "[1:2147483647]={1}"})
        CHECK(text_error<array<std::int32_t>>(s, oids::int4_array) == client_errc::invalid_array);
    CHECK(text_error<ints>("{1,x}", oids::int4_array) == client_errc::invalid_text_value);
    CHECK(text_error<ints>("{1}", oids::text_array) == client_errc::type_mismatch);
}

TEST_CASE("arrays: shapes and elements that cannot be sent") {
    CHECK(binary_encode_error(array<std::int32_t>{{{3, 1}}, {1, 2}}) == client_errc::invalid_array);
    CHECK(binary_encode_error(array<std::int32_t>{{}, {1}}) == client_errc::invalid_array);
    CHECK(binary_encode_error(array<std::int32_t>{{{-1, 1}}, {}}) == client_errc::invalid_array);
    CHECK(text_encode_error(array<std::int32_t>{{{1, 0x7fffffff}}, {1}}) ==
          client_errc::invalid_array);
    CHECK(text_encode_error(array<std::int32_t>{std::vector<array_dimension>(7, {1, 1}), {1}}) ==
          client_errc::invalid_array);
    CHECK(binary_encode_error(texts{"a", std::string("b\0"sv)}) == client_errc::embedded_nul);
    CHECK(text_encode_error(opt_texts{std::string("\0"sv)}) == client_errc::embedded_nul);
}

TEST_CASE("arrays: elements of every family, as the server writes them") {
    // '{1.5,NaN,-Infinity}'::float8[]
    for (const auto& v :
         {decode_text<std::vector<double>>("{1.5,NaN,-Infinity}", oids::float8_array),
          decode_binary<std::vector<double>>(
              from_hex("0000000100000000000002bd0000000300000001000000083ff8000000000000000000087f"
                       "f800000000000000000008fff0000000000000"),
              oids::float8_array)}) {
        REQUIRE(v.size() == 3);
        CHECK(v[0] == 1.5);
        CHECK(std::isnan(v[1]));
        CHECK(v[2] == -std::numeric_limits<double>::infinity());
    }
    CHECK(encode_text(std::vector<double>{1.5, -std::numeric_limits<double>::infinity()}) ==
          "{1.5,-Infinity}");
    CHECK(decode_text<std::vector<uuid>>("{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", oids::uuid_array)
              .at(0)
              .bytes[0] == 0xa0);
    CHECK(decode_text<std::vector<inet>>("{10.0.0.0/8,::1}", oids::inet_array).size() == 2);
    CHECK(decode_text<std::vector<json>>(R"({"{\"a\": 1}"})", oids::json_array) ==
          std::vector<json>{{R"({"a": 1})"}});
    CHECK(encode_text(std::vector<json>{{R"({"a": 1})"}}) == R"({"{\"a\": 1}"})");
    CHECK(decode_text<std::vector<char>>(R"({a,"","\\"})", oids::char_array) ==
          std::vector<char>{'a', '\0', '\\'});
    CHECK(encode_text(std::vector<char>{'a', '\0', '\\'}) == R"({a,"","\\"})");
    // '{"[1,3)",empty}'::int4range[]
    const std::vector<range<std::int32_t>> ranges{{1, 3, true, false}, {.empty = true}};
    const auto ranges_text = R"x({"[1,3)",empty})x"sv;
    CHECK(decode_text<std::vector<range<std::int32_t>>>(ranges_text, oids::int4range_array) ==
          ranges);
    CHECK(encode_text(ranges) == ranges_text);
    const auto ranges_binary = from_hex("000000010000000000000f4000000002000000010000001102000000"
                                        "040000000100000004000000030000000101");
    CHECK(encode_binary(ranges) == ranges_binary);
    CHECK(decode_binary<std::vector<range<std::int32_t>>>(ranges_binary, oids::int4range_array) ==
          ranges);
}

TEST_CASE("arrays: an array of a domain reads as an array of its base type, once the runtime "
          "types say what the domain is") {
    // array_send of '{1,NULL}'::posint[]: the elements labelled with the domain (16400).
    const auto bytes = to_bytes(from_hex("0000000100000001000040100000000200000001"
                                         "0000000400000001ffffffff"));
    const auto* before = types::install_runtime_types(nullptr);
    opt_ints out;
    // Without runtime types: neither the array type nor the element label is one int4 reads.
    CHECK_FALSE(types::codec<opt_ints>::accepts(16401));
    CHECK(types::codec<opt_ints>::decode_binary(bytes, 16401, out) == client_errc::type_mismatch);
    const one_domain db;
    types::install_runtime_types(&db);
    CHECK(types::codec<opt_ints>::accepts(16401));
    CHECK_FALSE(types::codec<texts>::accepts(16401));
    CHECK(!types::codec<opt_ints>::decode_binary(bytes, 16401, out));
    CHECK(out == opt_ints{1, std::nullopt});
    array<std::int64_t> shaped;
    CHECK(!types::codec<array<std::int64_t>>::decode_text("[0:1]={4,5}", 16401, shaped));
    CHECK(shaped == array<std::int64_t>{{{2, 0}}, {4, 5}});
    // Still not an array of another type.
    std::vector<std::string> strings;
    CHECK(types::codec<std::vector<std::string>>::decode_binary(bytes, 16401, strings) ==
          client_errc::type_mismatch);
    types::install_runtime_types(before);
}
