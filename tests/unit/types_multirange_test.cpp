// Multiranges: golden binary and text forms (multirange_send, multirange_out), malformed input.
#include "support/codec_check.hpp"

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/array.hpp>
#include <pgasio/protocol/types/multirange.hpp>

using namespace pgasio::protocol;
using namespace pgasio::test;
using pgasio::fuzz::fuzz_type;

namespace {

using int4s = multirange<std::int32_t>;

range<std::int32_t> r(std::int32_t lower, std::int32_t upper) {
    return {lower, upper, true, false};
}

} // namespace

// SELECT encode(multirange_send('{[1,3),[5,7)}'::int4multirange), 'hex')
TEST_CASE("multiranges: binary golden values (multirange_send)") {
    check_binary(int4s{{r(1, 3), r(5, 7)}},
                 from_hex("0000000200000011020000000400000001000000040000000300000011020000000400"
                          "0000050000000400000007"),
                 fuzz_type::int4multirange);
    check_binary(int4s{}, from_hex("00000000"), fuzz_type::int4multirange);
    const multirange<std::int64_t> unbounded{{{std::nullopt, std::nullopt, false, false}}};
    check_binary(unbounded, from_hex("000000010000000118"), fuzz_type::int8multirange);
}

TEST_CASE("multiranges: text golden values, and the input forms the server reads") {
    check_text(int4s{{r(1, 3), r(5, 7)}}, "{[1,3),[5,7)}", fuzz_type::int4multirange);
    check_text(int4s{}, "{}", fuzz_type::int4multirange);
    check_text(multirange<std::int64_t>{{{std::nullopt, std::nullopt, false, false}}}, "{(,)}",
               fuzz_type::int8multirange);
    // White space, and "empty" ranges, which add nothing.
    CHECK(decode_text<int4s>(" { [1,3) , empty, [5,7] } ", oids::int4multirange) ==
          int4s{{r(1, 3), {5, 7, true, true}}});
    CHECK(decode_text<int4s>("{EMPTY}", oids::int4multirange) == int4s{});
    CHECK(decode_text<int4s>("{ }", oids::int4multirange) == int4s{});
    // Quoted bounds may hold ')' and ']'.
    using days = std::chrono::sys_days;
    using namespace std::chrono;
    const multirange<days> d{{{days{2024y / 1 / 1}, days{2024y / 2 / 1}, true, false}}};
    CHECK(decode_text<multirange<days>>("{[\"2024-01-01\",2024-02-01)}", oids::datemultirange) ==
          d);
    CHECK(encode_text(d) == "{[2024-01-01,2024-02-01)}");
}

TEST_CASE("multiranges: malformed text") {
    for (auto s : {"", "{", "}", "{[1,3),}", "{,[1,3)}", "{[1,3)[5,7)}", "{[1,3)", "{[1,3)} x",
                   "{empty,}", "{emptyx}", "{[1,3}", "{1}", "[1,3)"}) {
        INFO(s);
        CHECK(text_error<int4s>(s, oids::int4multirange) == client_errc::invalid_text_value);
    }
    CHECK(text_error<int4s>("{[1,3)}", oids::int8multirange) == client_errc::type_mismatch);
    CHECK(text_error<int4s>("{[1,x)}", oids::int4multirange) == client_errc::invalid_text_value);
}

TEST_CASE("multiranges: malformed binary, every count and length checked") {
    const std::string one = from_hex("00000001000000110200000004000000010000000400000003");
    CHECK(decode_binary<int4s>(one, oids::int4multirange) == int4s{{r(1, 3)}});
    CHECK(binary_error<int4s>(one + '\0', oids::int4multirange) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<int4s>(one.substr(0, one.size() - 1), oids::int4multirange) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<int4s>("", oids::int4multirange) == client_errc::invalid_binary_length);
    CHECK(binary_error<int4s>(from_hex("000000"), oids::int4multirange) ==
          client_errc::invalid_binary_length);
    // a negative count, a count the bytes cannot hold, a negative or too long range length
    CHECK(binary_error<int4s>(from_hex("ffffffff"), oids::int4multirange) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<int4s>(from_hex("7fffffff00000001"), oids::int4multirange) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<int4s>(from_hex("00000001ffffffff"), oids::int4multirange) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<int4s>(from_hex("000000010000001201"), oids::int4multirange) ==
          client_errc::invalid_binary_length);
    // a range that is not one: the range codec's error
    CHECK(binary_error<int4s>(from_hex("000000010000000180"), oids::int4multirange) ==
          client_errc::invalid_range);
    CHECK(binary_error<int4s>(one, oids::int4range) == client_errc::type_mismatch);
    // an inconsistent range is not sent
    CHECK(binary_encode_error(int4s{{{std::nullopt, 3, true, false}}}) ==
          client_errc::invalid_range);
    CHECK(text_encode_error(int4s{{{std::nullopt, 3, true, false}}}) == client_errc::invalid_range);
}

TEST_CASE("multiranges: the six built-in types, and arrays of them") {
    using namespace std::chrono;
    CHECK(types::codec<multirange<std::int32_t>>::type_oid == oids::int4multirange);
    CHECK(types::codec<multirange<std::int64_t>>::type_oid == oids::int8multirange);
    CHECK(types::codec<multirange<numeric>>::type_oid == oids::nummultirange);
    CHECK(types::codec<multirange<sys_days>>::type_oid == oids::datemultirange);
    CHECK(types::codec<multirange<local_time<microseconds>>>::type_oid == oids::tsmultirange);
    CHECK(types::codec<multirange<sys_time<microseconds>>>::type_oid == oids::tstzmultirange);
    const std::vector<std::optional<int4s>> a{int4s{{r(1, 3), r(5, 7)}}, std::nullopt, int4s{}};
    CHECK(decode_binary<std::vector<std::optional<int4s>>>(encode_binary(a),
                                                           oids::int4multirange_array) == a);
    // SELECT ARRAY['{[1,3),[5,7)}'::int4multirange, NULL, '{}']
    CHECK(encode_text(a) == "{\"{[1,3),[5,7)}\",NULL,\"{}\"}");
    CHECK(decode_text<std::vector<std::optional<int4s>>>("{\"{[1,3),[5,7)}\",NULL,\"{}\"}",
                                                         oids::int4multirange_array) == a);
}
