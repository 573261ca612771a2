// tsvector and tsquery: golden binary and text forms (tsvectorsend, tsvectorout, tsquerysend,
// tsqueryout on the server), the input forms the server reads, malformed input.
#include "support/codec_check.hpp"

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/array.hpp>
#include <pgasio/protocol/types/text_search.hpp>

using namespace pgasio::protocol;
using namespace pgasio::test;
using namespace std::string_literals;
using pgasio::fuzz::fuzz_type;

namespace {

tsquery_item val(std::string s, std::uint8_t weights = 0, bool prefix = false) {
    tsquery_item it;
    it.operand = std::move(s);
    it.weights = weights;
    it.prefix = prefix;
    return it;
}

tsquery_item op(ts_operator o, std::uint16_t distance = 0) {
    tsquery_item it;
    it.op = o;
    it.distance = distance;
    return it;
}

// The text the codec writes for the query it reads from `s`.
std::string query_text(std::string_view s) {
    return encode_text(decode_text<tsquery>(s, oids::tsquery));
}

} // namespace

// SELECT encode(tsvectorsend('fat:2A,4 cat:3 ''it''''s'':1'), 'hex')
TEST_CASE("tsvector: binary and text golden values") {
    const tsvector v{{{"cat", {{3, ts_weight::d}}},
                      {"fat", {{2, ts_weight::a}, {4, ts_weight::d}}},
                      {"it's", {{1, ts_weight::d}}}}};
    check_binary(v, from_hex("000000036361740000010003666174000002c0020004697427730000010001"),
                 fuzz_type::tsvector);
    check_text(v, "'cat':3 'fat':2A,4 'it''s':1", fuzz_type::tsvector);
    check_text(tsvector{{{"b\\c", {}}, {"x", {{16382, ts_weight::b}, {16383, ts_weight::b}}}}},
               "'b\\\\c' 'x':16382B,16383B", fuzz_type::tsvector);
    check_text(tsvector{}, "", fuzz_type::tsvector);
    check_binary(tsvector{}, from_hex("00000000"), fuzz_type::tsvector);
}

TEST_CASE("tsvector: the input forms the server reads") {
    const tsvector v{
        {{"fat", {{2, ts_weight::a}, {4, ts_weight::d}}}, {"cat", {{3, ts_weight::d}}}}};
    CHECK(decode_text<tsvector>("fat:2A,4 cat:3", oids::tsvector) == v);
    CHECK(decode_text<tsvector>("  'fat':2a,4D\t'cat':3  ", oids::tsvector) == v);
    CHECK(decode_text<tsvector>("a:99999", oids::tsvector) ==
          tsvector{{{"a", {{16383, ts_weight::d}}}}});
    CHECK(decode_text<tsvector>("a\\ b 'c d''e' f\\:g", oids::tsvector) ==
          tsvector{{{"a b", {}}, {"c d'e", {}}, {"f:g", {}}}});
    CHECK(decode_text<tsvector>("a:1*", oids::tsvector) == tsvector{{{"a", {{1, ts_weight::a}}}}});
    // A word's first character is part of it, ':' too (SELECT ':1 ::2'::tsvector).
    CHECK(decode_text<tsvector>(":1 ::2", oids::tsvector) ==
          tsvector{{{":1", {}}, {":", {{2, ts_weight::d}}}}});
    for (auto s : {"''", "'a", "a:", "a:x", "a:1AB", "a\\", "a:1,"}) {
        INFO(s);
        CHECK(text_error<tsvector>(s, oids::tsvector) == client_errc::invalid_text_value);
    }
    CHECK(text_error<tsvector>("a:0", oids::tsvector) == client_errc::value_out_of_range);
    CHECK(text_error<tsvector>(std::string(2048, 'x'), oids::tsvector) ==
          client_errc::value_out_of_range);
}

TEST_CASE("tsvector: malformed binary, values the server refuses") {
    const std::string one = from_hex("00000001636174000001c003"); // 'cat':3A
    CHECK(decode_binary<tsvector>(one, oids::tsvector) == tsvector{{{"cat", {{3, ts_weight::a}}}}});
    CHECK(binary_error<tsvector>(one.substr(0, one.size() - 1), oids::tsvector) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<tsvector>(one + '\0', oids::tsvector) == client_errc::invalid_binary_length);
    CHECK(binary_error<tsvector>(from_hex("0000000163617400"), oids::tsvector) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<tsvector>(from_hex("00000001636174"), oids::tsvector) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<tsvector>(from_hex("ffffffff"), oids::tsvector) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<tsvector>(from_hex("7fffffff610000"), oids::tsvector) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<tsvector>(from_hex("0000000161000001ff"), oids::tsvector) ==
          client_errc::invalid_binary_length);
    // 257 positions, positions out of order, position 0
    CHECK(binary_error<tsvector>(from_hex("00000001610001010001"), oids::tsvector) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<tsvector>(from_hex("000000016100000200030002"), oids::tsvector) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<tsvector>(from_hex("0000000161000001c000"), oids::tsvector) ==
          client_errc::value_out_of_range);
    CHECK(binary_encode_error(tsvector{{{"a", {{2, ts_weight::d}, {2, ts_weight::a}}}}}) ==
          client_errc::value_out_of_range);
    CHECK(binary_encode_error(tsvector{{{"a", {{16384, ts_weight::d}}}}}) ==
          client_errc::value_out_of_range);
    CHECK(binary_encode_error(tsvector{{{"a\0b"s, {}}}}) == client_errc::embedded_nul);
    // An empty lexeme has no text form that reads back.
    CHECK(binary_encode_error(tsvector{{{"", {}}}}) == client_errc::value_out_of_range);
    CHECK(text_encode_error(tsquery{{val("")}}) == client_errc::value_out_of_range);
    CHECK(binary_error<tsvector>(from_hex("00000001000000"), oids::tsvector) ==
          client_errc::value_out_of_range);
    CHECK(binary_encode_error(tsvector{{{std::string(2048, 'x'), {}}}}) ==
          client_errc::value_out_of_range);
}

// SELECT encode(tsquerysend('fat & (rat | !cat) <2> x:AB*'), 'hex'), and its text.
TEST_CASE("tsquery: binary and text golden values, items in prefix order, right first") {
    const tsquery q{{op(ts_operator::and_), op(ts_operator::phrase, 2), val("x", 0xc, true),
                     op(ts_operator::or_), op(ts_operator::not_), val("cat"), val("rat"),
                     val("fat")}};
    check_binary(q,
                 from_hex("00000008020202040002010c01780002030201010000636174000100007261740001"
                          "000066617400"),
                 fuzz_type::tsquery);
    check_text(q, "'fat' & ( 'rat' | !'cat' ) <2> 'x':*AB", fuzz_type::tsquery);
    CHECK(decode_text<tsquery>("fat & (rat | !cat) <2> x:AB*", oids::tsquery) == q);
    check_text(tsquery{}, "", fuzz_type::tsquery);
    // The server sends an empty tsquery, but cannot receive one.
    CHECK(decode_binary<tsquery>(from_hex("00000000"), oids::tsquery) == tsquery{});
    CHECK(binary_encode_error(tsquery{}) == client_errc::value_out_of_range);
    check_text(tsquery{{val("it's")}}, "'it''s'", fuzz_type::tsquery);
}

// Each of these is what the server writes for the input (SELECT 'a <-> (b <-> c)'::tsquery,
// ...): the codec parses with the server's priorities and writes its parentheses.
TEST_CASE("tsquery: text as the server parses and writes it") {
    CHECK(query_text("a <-> (b <-> c)") == "'a' <-> ( 'b' <-> 'c' )");
    CHECK(query_text("(a <-> b) <-> c") == "'a' <-> 'b' <-> 'c'");
    CHECK(query_text("!(a & b)") == "!( 'a' & 'b' )");
    CHECK(query_text("!!a") == "!!'a'");
    CHECK(query_text("a | b & c") == "'a' | 'b' & 'c'");
    CHECK(query_text("(a | b) & c") == "( 'a' | 'b' ) & 'c'");
    CHECK(query_text("a & b & c") == "'a' & 'b' & 'c'");
    CHECK(query_text("a & (b & c)") == "'a' & 'b' & 'c'");
    CHECK(query_text("a <0> b") == "'a' <0> 'b'");
    CHECK(query_text("!a <-> b") == "!'a' <-> 'b'");
    CHECK(query_text("!(a <-> b)") == "!( 'a' <-> 'b' )");
    CHECK(query_text("a<->b") == "'a' <-> 'b'");
    CHECK(query_text("  ") == "");
    // a & (b & c) and a & b & c print alike but are different trees.
    CHECK(decode_text<tsquery>("a & (b & c)", oids::tsquery) ==
          tsquery{{op(ts_operator::and_), op(ts_operator::and_), val("c"), val("b"), val("a")}});
    CHECK(decode_text<tsquery>("a & b & c", oids::tsquery) ==
          tsquery{{op(ts_operator::and_), val("c"), op(ts_operator::and_), val("b"), val("a")}});
    for (auto s : {"a b", "a &", "& a", "(a", "a)", "()", "a <-> ", "a <x> b", ":a", "a & ''", "!",
                   "a | | b"}) {
        INFO(s);
        CHECK(text_error<tsquery>(s, oids::tsquery) == client_errc::invalid_text_value);
    }
    CHECK(text_error<tsquery>("a <16385> b", oids::tsquery) == client_errc::value_out_of_range);
    CHECK(text_error<tsquery>(std::string(5000, '(') + "a" + std::string(5000, ')'),
                              oids::tsquery) == client_errc::value_out_of_range);
}

TEST_CASE("tsquery: malformed binary, trees that are not one") {
    CHECK(decode_binary<tsquery>(from_hex("0000000101000061"
                                          "00"),
                                 oids::tsquery) == tsquery{{val("a")}});
    // truncated, trailing, a count the bytes cannot hold, a negative count
    CHECK(binary_error<tsquery>(from_hex("00000001010000"), oids::tsquery) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<tsquery>(from_hex("000000010100006100ff"), oids::tsquery) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<tsquery>(from_hex("7fffffff0100006100"), oids::tsquery) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<tsquery>(from_hex("ffffffff"), oids::tsquery) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<tsquery>(from_hex("000000020204"), oids::tsquery) ==
          client_errc::invalid_binary_length);
    // an unknown item type or operator, a prefix flag of 2, a weight beyond the four bits
    CHECK(binary_error<tsquery>(from_hex("000000010300006100"), oids::tsquery) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<tsquery>(from_hex("00000002020501000061000000"), oids::tsquery) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<tsquery>(from_hex("000000010100026100"), oids::tsquery) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<tsquery>(from_hex("000000010110006100"), oids::tsquery) ==
          client_errc::value_out_of_range);
    // an operator without its operands, two trees, a phrase distance beyond 16384
    CHECK(binary_error<tsquery>(from_hex("0000000202020100006100"), oids::tsquery) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<tsquery>(from_hex("0000000201000061000100006200"), oids::tsquery) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<tsquery>(from_hex("000000030204400101000061000100006200"), oids::tsquery) ==
          client_errc::value_out_of_range);
    CHECK(binary_encode_error(tsquery{{op(ts_operator::not_)}}) == client_errc::value_out_of_range);
    CHECK(binary_encode_error(tsquery{{val("a"), val("b")}}) == client_errc::value_out_of_range);
    CHECK(text_encode_error(tsquery{{op(ts_operator::and_), val("a")}}) ==
          client_errc::value_out_of_range);
}

TEST_CASE("tsvector, tsquery: arrays") {
    const std::vector<std::optional<tsvector>> vs{tsvector{{{"a", {{1, ts_weight::a}}}}},
                                                  std::nullopt};
    CHECK(decode_binary<std::vector<std::optional<tsvector>>>(encode_binary(vs),
                                                              oids::tsvector_array) == vs);
    CHECK(encode_text(vs) == "{'a':1A,NULL}");
    CHECK(decode_text<std::vector<std::optional<tsvector>>>("{'a':1A,NULL}",
                                                            oids::tsvector_array) == vs);
    const std::vector<tsquery> qs{{{op(ts_operator::and_), val("b"), val("a")}}};
    CHECK(encode_text(qs) == "{\"'a' & 'b'\"}");
    CHECK(decode_binary<std::vector<tsquery>>(encode_binary(qs), oids::tsquery_array) == qs);
}
