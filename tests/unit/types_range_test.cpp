#include "support/codec_check.hpp"

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/range.hpp>
#include <pgasio/protocol/types/string.hpp>

using namespace pgasio::protocol;
using namespace pgasio::test;
using namespace std::string_view_literals;
using pgasio::fuzz::fuzz_type;

namespace {
using r32 = range<std::int32_t>;
using r64 = range<std::int64_t>;
} // namespace

TEST_CASE("ranges: binary golden values (range_send)") {
    // '[1,10)'::int4range: flags LB_INC, then each bound with its length
    check_binary(r32{1, 10, true, false}, from_hex("020000000400000001000000040000000a"),
                 fuzz_type::int4range);
    check_binary(r32{.empty = true}, from_hex("01"), fuzz_type::int4range);
    // '(,6)': LB_INF, only the upper bound present
    check_binary(r32{std::nullopt, 6}, from_hex("080000000400000006"), fuzz_type::int4range);
    // '[5,)': LB_INC | UB_INF
    check_binary(r32{5, std::nullopt, true}, from_hex("120000000400000005"), fuzz_type::int4range);
    // '(,)': both infinite
    check_binary(r32{}, from_hex("18"), fuzz_type::int4range);
    // '[1,10)'::int8range
    check_binary(r64{1, 10, true, false},
                 from_hex("0200000008000000000000000100000008000000000000000a"),
                 fuzz_type::int8range);
    // both bounds inclusive (a range type without a canonical form would keep '[1,5]')
    check_binary(r64{1, 5, true, true},
                 from_hex("06000000080000000000000001000000080000000000000005"),
                 fuzz_type::int8range);
    CHECK(types::codec<r32>::type_oid == oids::int4range);
    CHECK(types::codec<r32>::array_oid == oids::int4range_array);
    CHECK(types::codec<r64>::type_oid == oids::int8range);
}

TEST_CASE("ranges: text golden values") {
    check_text(r32{1, 10, true, false}, "[1,10)", fuzz_type::int4range);
    check_text(r32{.empty = true}, "empty", fuzz_type::int4range);
    check_text(r32{std::nullopt, 6}, "(,6)", fuzz_type::int4range);
    check_text(r32{std::nullopt, 5, false, true}, "(,5]", fuzz_type::int4range);
    check_text(r64{2, std::nullopt, true}, "[2,)", fuzz_type::int8range);
    check_text(r64{}, "(,)", fuzz_type::int8range);
    check_text(r64{-9223372036854775807LL - 1, 0, true, true}, "[-9223372036854775808,0]",
               fuzz_type::int8range);
    // Inputs the server accepts: quoted bounds, white space, "empty" in any case.
    CHECK(decode_text<r32>(R"(["1", "3"))", oids::int4range) == r32{1, 3, true, false});
    CHECK(decode_text<r32>(" [ 1 , 3 ) ", oids::int4range) == r32{1, 3, true, false});
    CHECK(decode_text<r32>(" EMPTY ", oids::int4range) == r32{.empty = true});
    CHECK(decode_text<r32>(R"([\1,3])", oids::int4range) == r32{1, 3, true, true});
    // An unbounded side is never inclusive, whatever the bracket says.
    CHECK(decode_text<r32>("[,5]", oids::int4range) == r32{std::nullopt, 5, false, true});
    CHECK(decode_text<r32>("[1,]", oids::int4range) == r32{1, std::nullopt, true, false});
}

namespace pgasio::protocol::types {
// A range over strings, to test the quoting of bounds (no built-in range has text bounds).
template <>
struct range_oids<std::string> {
    static constexpr oid range_type = 70001;
    static constexpr oid range_array = 70002;
    static constexpr oid subtype = oids::text;
};
} // namespace pgasio::protocol::types

TEST_CASE("ranges: bounds are quoted and escaped as the server does") {
    using rs = range<std::string>;
    CHECK(encode_text(rs{"a", "b c", true, false}) == R"([a,"b c"))");
    CHECK(encode_text(rs{"", "x\"y\\z", true, false}) == R"(["","x""y\\z"))");
    for (auto s : {"(", ")", "[", "]", ","}) {
        INFO(s);
        CHECK(encode_text(rs{std::string(s), std::nullopt}) == "(\"" + std::string(s) + "\",)");
    }
    CHECK(decode_text<rs>(R"(["","x""y\\z"))", 70001) == rs{"", "x\"y\\z", true, false});
    CHECK(decode_text<rs>(R"([a"b,c"d,e\,f])", 70001) == rs{"ab,cd", "e,f", true, true});
    CHECK(decode_text<rs>(R"((" a ",))", 70001) == rs{" a ", std::nullopt});
    CHECK(encode_binary(rs{"ab", std::nullopt, true}) == from_hex("12000000026162"));
    CHECK(decode_binary<rs>(from_hex("12000000026162"), 70001) == rs{"ab", std::nullopt, true});
}

TEST_CASE("ranges: malformed binary") {
    // no flags byte; unknown or internal flags; NULL-bound flags
    CHECK(binary_error<r32>(""sv, oids::int4range) == client_errc::invalid_range);
    for (auto flags : {"80", "20", "40", "98"})
        CHECK(binary_error<r32>(from_hex(flags), oids::int4range) == client_errc::invalid_range);
    // empty with anything else: other flags, or bytes after it
    CHECK(binary_error<r32>(from_hex("03"), oids::int4range) == client_errc::invalid_range);
    CHECK(binary_error<r32>(from_hex("19"), oids::int4range) == client_errc::invalid_range);
    CHECK(binary_error<r32>(from_hex("0100000004"), oids::int4range) == client_errc::invalid_range);
    // an infinite bound marked inclusive
    CHECK(binary_error<r32>(from_hex("0a0000000400000006"), oids::int4range) ==
          client_errc::invalid_range);
    CHECK(binary_error<r32>(from_hex("160000000400000001"), oids::int4range) ==
          client_errc::invalid_range);
    // a bound missing, truncated, of negative length, trailing bytes
    CHECK(binary_error<r32>(from_hex("020000000400000001"), oids::int4range) ==
          client_errc::invalid_range);
    CHECK(binary_error<r32>(from_hex("08000000040000"), oids::int4range) ==
          client_errc::invalid_range);
    CHECK(binary_error<r32>(from_hex("08ffffffff"), oids::int4range) == client_errc::invalid_range);
    CHECK(binary_error<r32>(from_hex("18000000"), oids::int4range) == client_errc::invalid_range);
    CHECK(binary_error<r32>(from_hex("08000000040000000600"), oids::int4range) ==
          client_errc::invalid_range);
    // a bound of the wrong size is the bound codec's error; wrong range type
    CHECK(binary_error<r32>(from_hex("08000000080000000000000006"), oids::int4range) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<r32>(from_hex("18"), oids::int8range) == client_errc::type_mismatch);
}

TEST_CASE("ranges: malformed text") {
    for (auto s : {"", "emptyx", "1,2", "[1,2", "[1,2)x", "[1;2)", "[1,2,3)", "(1]", "[1,\"2)",
                   "[1,2\\", "{1,2}", "[", "empt"})
        CHECK(text_error<r32>(s, oids::int4range) == client_errc::invalid_text_value);
    // bounds are the bound codec's text
    CHECK(text_error<r32>("[a,2)", oids::int4range) == client_errc::invalid_text_value);
    CHECK(text_error<r32>("[1,2147483648)", oids::int4range) == client_errc::value_out_of_range);
    CHECK(text_error<r32>("[\"\",2)", oids::int4range) == client_errc::invalid_text_value);
    CHECK(text_error<r32>("empty", oids::int8range) == client_errc::type_mismatch);
}

TEST_CASE("ranges: inconsistent values cannot be sent") {
    CHECK(binary_encode_error(r32{1, std::nullopt, false, false, true}) ==
          client_errc::invalid_range);
    CHECK(binary_encode_error(r32{std::nullopt, std::nullopt, true, false, true}) ==
          client_errc::invalid_range);
    CHECK(binary_encode_error(r32{std::nullopt, 5, true, false}) == client_errc::invalid_range);
    CHECK(text_encode_error(r32{1, std::nullopt, true, true}) == client_errc::invalid_range);
}
