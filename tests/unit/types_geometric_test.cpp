#include "support/codec_check.hpp"

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/array.hpp>
#include <pgasio/protocol/types/geometric.hpp>

#include <cmath>
#include <limits>

using namespace pgasio::protocol;
using namespace pgasio::test;
using pgasio::fuzz::fuzz_type;

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

} // namespace

// Golden bytes: the server's point_send, line_send, ... of the same values (SELECT
// encode(point_send('(1,2)'), 'hex'), ...).
TEST_CASE("geometric: binary golden values (the server's *_send)") {
    check_binary(point{1, 2}, from_hex("3ff00000000000004000000000000000"), fuzz_type::point);
    check_binary(line{1, -1, 0}, from_hex("3ff0000000000000bff00000000000000000000000000000"),
                 fuzz_type::line);
    check_binary(lseg{{1, 2}, {3, 4}},
                 from_hex("3ff0000000000000400000000000000040080000000000004010000000000000"),
                 fuzz_type::lseg);
    check_binary(box{{3, 4}, {1, 2}},
                 from_hex("400800000000000040100000000000003ff00000000000004000000000000000"),
                 fuzz_type::box);
    check_binary(path{{{0, 0}, {1, 1}}, false},
                 from_hex("00000000020000000000000000000000000000000"
                          "03ff00000000000003ff0000000000000"),
                 fuzz_type::path);
    check_binary(path{{{0, 0}, {1, 1}}, true},
                 from_hex("01000000020000000000000000000000000000000"
                          "03ff00000000000003ff0000000000000"),
                 fuzz_type::path);
    check_binary(polygon{{{0, 0}, {1, 1}, {2, 0}}},
                 from_hex("00000003000000000000000000000000000000003ff00000000000003ff0000000000000"
                          "40000000000000000000000000000000"),
                 fuzz_type::polygon);
    check_binary(circle{{1, 2}, 3}, from_hex("3ff000000000000040000000000000004008000000000000"),
                 fuzz_type::circle);
    // The special values are bit patterns like any other.
    const auto p = decode_binary<point>(encode_binary(point{not_a_number, -infinity}), oids::point);
    CHECK(std::isnan(p.x));
    CHECK(p.y == -infinity);
}

TEST_CASE("geometric: box corners are put in order on decoding, as box_recv does") {
    // (1,2),(3,4) as the high and low corners: the server stores (3,4),(1,2).
    CHECK(decode_binary<box>(from_hex("3ff0000000000000400000000000000040080000000000004010000000"
                                      "000000"),
                             oids::box) == box{{3, 4}, {1, 2}});
    // Each coordinate on its own: (1,4),(3,2) is (3,4),(1,2) too.
    CHECK(decode_text<box>("(1,4),(3,2)", oids::box) == box{{3, 4}, {1, 2}});
    // Encoding sends the corners as given.
    CHECK(encode_text(box{{1, 2}, {3, 4}}) == "(1,2),(3,4)");
}

TEST_CASE("geometric: text golden values as the server writes them") {
    check_text(point{1, 2}, "(1,2)", fuzz_type::point);
    check_text(point{1.5, -2}, "(1.5,-2)", fuzz_type::point);
    check_text(point{1e300, 1e-300}, "(1e+300,1e-300)", fuzz_type::point);
    check_text(point{100000, 0.0001}, "(100000,0.0001)", fuzz_type::point);
    check_text(point{infinity, -infinity}, "(Infinity,-Infinity)", fuzz_type::point);
    check_text(line{1, -1, 0}, "{1,-1,0}", fuzz_type::line);
    check_text(line{2.5, -1, -0.04999999999999999}, "{2.5,-1,-0.04999999999999999}",
               fuzz_type::line);
    check_text(lseg{{1, 2}, {3, 4}}, "[(1,2),(3,4)]", fuzz_type::lseg);
    check_text(box{{3, 4}, {1, 2}}, "(3,4),(1,2)", fuzz_type::box);
    check_text(path{{{0, 0}, {1, 1}}, false}, "[(0,0),(1,1)]", fuzz_type::path);
    check_text(path{{{0, 0}, {1, 1}}, true}, "((0,0),(1,1))", fuzz_type::path);
    check_text(path{{{0.5, 0}}, true}, "((0.5,0))", fuzz_type::path);
    check_text(polygon{{{0, 0}, {1, 1}, {2, 0}}}, "((0,0),(1,1),(2,0))", fuzz_type::polygon);
    check_text(circle{{1, 2}, 3}, "<(1,2),3>", fuzz_type::circle);
    CHECK(encode_text(point{not_a_number, -0.0}) == "(NaN,-0)");
    CHECK(encode_text(circle{{0, 0}, not_a_number}) == "<(0,0),NaN>");
    CHECK(std::isnan(decode_text<circle>("<(0,0),NaN>", oids::circle).radius));
}

// Every input form the server's *_in functions accept (checked with psql: each of these reads
// as the value beside it).
TEST_CASE("geometric: text input in every form the server accepts") {
    CHECK(decode_text<point>("1,2", oids::point) == point{1, 2});
    CHECK(decode_text<point>(" ( 1 , 2 ) ", oids::point) == point{1, 2});
    for (auto s : {"(1,2,3,4)", "1,2,3,4", "((1,2),(3,4))", " ( 1 , 2 ) , ( 3 , 4 ) "}) {
        INFO(s);
        CHECK(decode_text<box>(s, oids::box) == box{{3, 4}, {1, 2}});
    }
    for (auto s : {"(1,2,3,4)", "1,2,3,4", "(1,2),(3,4)", "((1,2),(3,4))"}) {
        INFO(s);
        CHECK(decode_text<path>(s, oids::path) == path{{{1, 2}, {3, 4}}, true});
        CHECK(decode_text<polygon>(s, oids::polygon) == polygon{{{1, 2}, {3, 4}}});
    }
    // '[' opens an open path; its ']' may be a ')'.
    CHECK(decode_text<path>("[(1,2),(3,4))", oids::path) == path{{{1, 2}, {3, 4}}, false});
    for (auto s : {"(1,2),(3,4)", "((1,2),(3,4))", "1,2,3,4", "[(1,2),(3,4)]"}) {
        INFO(s);
        CHECK(decode_text<lseg>(s, oids::lseg) == lseg{{1, 2}, {3, 4}});
    }
    for (auto s : {"((1,2),3)", "(1,2),3", "1,2,3", " < ( 1 , 2 ) , 3 > ", "<(1,2),3)"}) {
        INFO(s);
        CHECK(decode_text<circle>(s, oids::circle) == circle{{1, 2}, 3});
    }
    // A line through two points, as line_in computes it.
    CHECK(decode_text<line>("[(0,0),(1,1)]", oids::line) == line{1, -1, 0});
    CHECK(decode_text<line>("[(1,5),(1,7)]", oids::line) == line{-1, 0, 1});
    CHECK(decode_text<line>("[(1,5),(3,5)]", oids::line) == line{0, -1, 5});
    CHECK(decode_text<line>("[(0,1),(2,5)]", oids::line) == line{2, -1, 1});
    CHECK(decode_text<line>("[(0.1,0.2),(0.3,0.7)]", oids::line) ==
          line{2.5, -1, -0.04999999999999999});
    CHECK(decode_text<line>(" {1 , -1, 0} ", oids::line) == line{1, -1, 0});
}

TEST_CASE("geometric: malformed text is refused as the server refuses it") {
    for (auto s : {"", "(1,2", "(1,2) x", "1", "(1;2)", "(a,2)", "()"})
        CHECK(text_error<point>(s, oids::point) == client_errc::invalid_text_value);
    CHECK(text_error<point>("(1e400,0)", oids::point) == client_errc::value_out_of_range);
    CHECK(text_error<box>("[(1,2),(3,4)]", oids::box) == client_errc::invalid_text_value);
    CHECK(text_error<box>("(1,2),(3,4),(5,6)", oids::box) == client_errc::invalid_text_value);
    for (auto s : {"[(1,2)", "((1,2),(3,4)]", "1,2,3,4,5", "[]", "()", ""}) {
        INFO(s);
        CHECK(text_error<path>(s, oids::path) == client_errc::invalid_text_value);
    }
    CHECK(text_error<polygon>("[(1,2),(3,4)]", oids::polygon) == client_errc::invalid_text_value);
    CHECK(text_error<polygon>("()", oids::polygon) == client_errc::invalid_text_value);
    CHECK(text_error<line>("{1,2}", oids::line) == client_errc::invalid_text_value);
    CHECK(text_error<line>("{1,2,3} x", oids::line) == client_errc::invalid_text_value);
    CHECK(text_error<line>("{0,0,1}", oids::line) == client_errc::value_out_of_range);
    CHECK(text_error<line>("[(1,1),(1,1)]", oids::line) == client_errc::value_out_of_range);
    CHECK(text_error<circle>("(1,2),3>", oids::circle) == client_errc::invalid_text_value);
    CHECK(text_error<circle>("(1,2,3)", oids::circle) == client_errc::invalid_text_value);
    CHECK(text_error<circle>("<(1,2),-1>", oids::circle) == client_errc::value_out_of_range);
    CHECK(text_error<point>("(1,2)", oids::box) == client_errc::type_mismatch);
}

TEST_CASE("geometric: malformed binary, every size and count checked") {
    const std::string p12 = from_hex("3ff00000000000004000000000000000"); // the point (1,2)
    CHECK(binary_error<point>(p12.substr(0, 15), oids::point) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<point>(p12 + '\0', oids::point) == client_errc::invalid_binary_length);
    CHECK(binary_error<point>("", oids::point) == client_errc::invalid_binary_length);
    CHECK(binary_error<line>(p12, oids::line) == client_errc::invalid_binary_length);
    CHECK(binary_error<lseg>(p12, oids::lseg) == client_errc::invalid_binary_length);
    CHECK(binary_error<box>(p12 + p12 + p12, oids::box) == client_errc::invalid_binary_length);
    CHECK(binary_error<circle>(p12, oids::circle) == client_errc::invalid_binary_length);
    // A point count that does not match the bytes, negative, or zero.
    const std::string one_open = from_hex("0000000001") + p12;
    CHECK(decode_binary<path>(one_open, oids::path) == path{{{1, 2}}, false});
    CHECK(binary_error<path>(from_hex("0000000002") + p12, oids::path) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<path>(one_open + '\0', oids::path) == client_errc::invalid_binary_length);
    CHECK(binary_error<path>(from_hex("00ffffffff") + p12, oids::path) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<path>(from_hex("007fffffff") + p12, oids::path) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<path>(from_hex("0000000000"), oids::path) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<path>(from_hex("00000000"), oids::path) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<path>("", oids::path) == client_errc::invalid_binary_length);
    // The closed flag is 0 or 1.
    CHECK(binary_error<path>(from_hex("0200000001") + p12, oids::path) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<polygon>(from_hex("00000002") + p12, oids::polygon) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<polygon>(from_hex("80000000") + p12, oids::polygon) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<polygon>(from_hex("00000000"), oids::polygon) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<polygon>(from_hex("000000"), oids::polygon) ==
          client_errc::invalid_binary_length);
    // Values the server refuses: a line with a = b = 0, a negative radius.
    CHECK(binary_error<line>(encode_binary(point{0, 1e-11}) + p12.substr(0, 8), oids::line) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<circle>(p12 + from_hex("bff0000000000000"), oids::circle) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<point>(p12, oids::lseg) == client_errc::type_mismatch);
}

TEST_CASE("geometric: values the server refuses are not encoded") {
    CHECK(binary_encode_error(line{0, 0, 1}) == client_errc::value_out_of_range);
    CHECK(text_encode_error(line{1e-11, 0, 1}) == client_errc::value_out_of_range);
    CHECK(binary_encode_error(circle{{0, 0}, -1}) == client_errc::value_out_of_range);
    CHECK(text_encode_error(circle{{0, 0}, -1}) == client_errc::value_out_of_range);
    CHECK(binary_encode_error(path{}) == client_errc::value_out_of_range);
    CHECK(text_encode_error(path{}) == client_errc::value_out_of_range);
    CHECK(binary_encode_error(polygon{}) == client_errc::value_out_of_range);
    CHECK(text_encode_error(polygon{}) == client_errc::value_out_of_range);
}

TEST_CASE("geometric: arrays of every geometric type, NULL elements included") {
    const std::vector<std::optional<point>> points{point{1, 2}, std::nullopt, point{3, 4}};
    CHECK(decode_binary<std::vector<std::optional<point>>>(encode_binary(points),
                                                           oids::point_array) == points);
    CHECK(encode_text(points) == "{\"(1,2)\",NULL,\"(3,4)\"}");
    CHECK(decode_text<std::vector<std::optional<point>>>("{\"(1,2)\",NULL,\"(3,4)\"}",
                                                         oids::point_array) == points);
    const std::vector<path> paths{{{{0, 0}}, true}, {{{1, 1}, {2, 2}}, false}};
    CHECK(decode_binary<std::vector<path>>(encode_binary(paths), oids::path_array) == paths);
    CHECK(types::codec<std::vector<circle>>::type_oid == oids::circle_array);
    CHECK(types::codec<array<line>>::type_oid == oids::line_array);
    CHECK(types::codec<std::vector<lseg>>::type_oid == oids::lseg_array);
    CHECK(types::codec<std::vector<box>>::type_oid == oids::box_array);
    CHECK(types::codec<std::vector<polygon>>::type_oid == oids::polygon_array);
}

TEST_CASE("geometric: box arrays in text use box's delimiter, a semicolon (its commas unquoted)") {
    const std::vector<std::optional<box>> boxes{box{{3, 4}, {1, 2}}, std::nullopt,
                                                box{{0, 0}, {-1, -1}}};
    // SELECT ARRAY['(1,2),(3,4)'::box, NULL, '(0,0),(-1,-1)']
    CHECK(encode_text(boxes) == "{(3,4),(1,2);NULL;(0,0),(-1,-1)}");
    CHECK(decode_text<std::vector<std::optional<box>>>("{(3,4),(1,2);NULL;(0,0),(-1,-1)}",
                                                       oids::box_array) == boxes);
    CHECK(decode_text<array<box>>("{{\"(3,4),(1,2)\"};{(1,1),(0,0)}}", oids::box_array) ==
          array<box>{{{2, 1}, {1, 1}}, {box{{3, 4}, {1, 2}}, box{{1, 1}, {0, 0}}}});
    // Other element types keep ','.
    CHECK(text_error<std::vector<point>>("{(1,2);(3,4)}", oids::point_array) ==
          client_errc::invalid_text_value);
}
