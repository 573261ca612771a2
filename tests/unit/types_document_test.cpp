// jsonpath and xml: their text in both forms (jsonpath's binary after a version byte).
#include "support/codec_check.hpp"

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/array.hpp>
#include <pgasio/protocol/types/jsonpath.hpp>
#include <pgasio/protocol/types/xml.hpp>

using namespace pgasio::protocol;
using namespace pgasio::test;
using namespace std::string_literals;
using pgasio::fuzz::fuzz_type;

// SELECT encode(jsonpath_send('$.a[*] ? (@ > 1)'), 'hex'): the server's own spelling.
TEST_CASE("jsonpath: version byte 1 and the text") {
    check_binary(jsonpath{"$.\"a\"[*]?(@ > 1)"}, from_hex("01242e2261225b2a5d3f2840203e203129"),
                 fuzz_type::jsonpath);
    check_text(jsonpath{"$.\"a\"[*]?(@ > 1)"}, "$.\"a\"[*]?(@ > 1)", fuzz_type::jsonpath);
    CHECK(binary_error<jsonpath>("", oids::jsonpath) == client_errc::invalid_binary_length);
    CHECK(binary_error<jsonpath>("\x02$", oids::jsonpath) == client_errc::unsupported_version);
    CHECK(binary_error<jsonpath>("\x01$", oids::jsonb) == client_errc::type_mismatch);
    CHECK(binary_encode_error(jsonpath{"$\0a"s}) == client_errc::embedded_nul);
    CHECK(text_encode_error(jsonpath{"$\0a"s}) == client_errc::embedded_nul);
}

// SELECT encode(xml_send('<a>x</a>'), 'hex')
TEST_CASE("xml: the text in both forms") {
    check_binary(xml{"<a>x</a>"}, from_hex("3c613e783c2f613e"), fuzz_type::xml);
    check_text(xml{"<a>x</a>"}, "<a>x</a>", fuzz_type::xml);
    CHECK(decode_binary<xml>("", oids::xml) == xml{});
    CHECK(binary_error<xml>("<a/>", oids::text) == client_errc::type_mismatch);
    CHECK(binary_encode_error(xml{"<a>\0</a>"s}) == client_errc::embedded_nul);
}

TEST_CASE("jsonpath, xml: arrays") {
    // SELECT ARRAY['<a>x</a>'::xml, NULL], ARRAY['$.a'::jsonpath]
    const std::vector<std::optional<xml>> docs{xml{"<a>x</a>"}, std::nullopt};
    CHECK(encode_text(docs) == "{<a>x</a>,NULL}");
    CHECK(decode_text<std::vector<std::optional<xml>>>("{<a>x</a>,NULL}", oids::xml_array) == docs);
    CHECK(decode_binary<std::vector<std::optional<xml>>>(encode_binary(docs), oids::xml_array) ==
          docs);
    const std::vector<jsonpath> paths{{"$.\"a\""}};
    CHECK(encode_text(paths) == "{\"$.\\\"a\\\"\"}");
    CHECK(decode_binary<std::vector<jsonpath>>(encode_binary(paths), oids::jsonpath_array) ==
          paths);
}
