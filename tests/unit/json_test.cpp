// pgasio/json.hpp without a server: boost::json::value and json_of<T> against the binary and
// text forms of json and jsonb, and what a malformed document gives.
#include <pgasio/json.hpp>
#include <pgasio/result.hpp>

#include "unit/result_support.hpp"

#include <boost/describe/class.hpp>
#include <boost/json/error.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace pgasio;
using namespace pgasio::test;
namespace oids = pgasio::protocol::oids;
namespace types = pgasio::protocol::types;
using protocol::client_errc;

namespace {

struct item {
    std::string sku;
    int count = 0;
    friend bool operator==(const item&, const item&) = default;
};
BOOST_DESCRIBE_STRUCT(item, (), (sku, count))

std::vector<std::byte> bytes(std::string_view s, bool version_byte) {
    std::vector<std::byte> out;
    if (version_byte) out.push_back(std::byte{1});
    for (char c : s)
        out.push_back(static_cast<std::byte>(c));
    return out;
}

} // namespace

TEST_CASE("json codec: jsonb's binary form is the version byte and the text") {
    const boost::json::value doc = {{"k", {1, 2}}};
    const auto b = bin(doc);
    REQUIRE(!b.empty());
    CHECK(b[0] == std::byte{1});
    CHECK(std::string(reinterpret_cast<const char*>(b.data()) + 1, b.size() - 1) ==
          R"({"k":[1,2]})");
    boost::json::value back;
    CHECK(!types::codec<boost::json::value>::decode_binary(b, oids::jsonb, back));
    CHECK(back == doc);
    // json's binary form is the text alone.
    CHECK(!types::codec<boost::json::value>::decode_binary(bytes(R"({"k":[1,2]})", false),
                                                           oids::json, back));
    CHECK(back == doc);
    CHECK(bin(json_of<item>{{"a-1", 3}}) == bytes(R"({"sku":"a-1","count":3})", true));
}

TEST_CASE("json codec: a number beyond a double's range is refused both ways, never changed") {
    using codec = types::codec<boost::json::value>;
    boost::json::value v;
    // Boost.JSON reads 1e400 as infinity, which it cannot write back as the same number.
    CHECK(codec::decode_text(R"({"n": [1, -1e400]})", oids::json, v) ==
          client_errc::value_out_of_range);
    CHECK(codec::decode_binary(bytes("-1e315", true), oids::jsonb, v) ==
          client_errc::value_out_of_range);
    CHECK_FALSE(codec::decode_text("1e308", oids::json, v));
    pgasio::protocol::write_buffer out;
    const boost::json::value inf{{"n", std::numeric_limits<double>::infinity()}};
    CHECK(codec::encode_binary(out, inf) == client_errc::value_out_of_range);
    CHECK(out.size() == 0);
    std::string text;
    CHECK(codec::encode_text(text, boost::json::array{std::nan("")}) ==
          client_errc::value_out_of_range);
    CHECK(text.empty());
}

TEST_CASE("json codec: malformed documents and bytes are clear errors") {
    using codec = types::codec<boost::json::value>;
    boost::json::value v;
    CHECK(codec::decode_binary(bytes(R"({"a": 1,)", true), oids::jsonb, v));
    CHECK(codec::decode_binary(bytes("[1] x", false), oids::json, v));
    CHECK(codec::decode_text("{", oids::json, v));
    CHECK(codec::decode_binary({}, oids::jsonb, v) == client_errc::invalid_binary_length);
    auto v2 = bytes("{}", false);
    v2.insert(v2.begin(), std::byte{2});
    CHECK(codec::decode_binary(v2, oids::jsonb, v) == client_errc::unsupported_version);
    CHECK(codec::decode_text("{}", oids::text, v) == client_errc::type_mismatch);

    // Through a row: the column and the parse error are named.
    const auto r = make_result({{"doc", oids::jsonb}, {"other", oids::jsonb}},
                               {{bytes(R"({"sku": )", true), bytes(R"({"sku": 5})", true)}});
    auto e = thrown([&] { (void)r[0].get<boost::json::value>(0); });
    CHECK(e.diag().message.find("column 0 \"doc\" of type jsonb (oid 3802) does not decode") == 0);
    // A document of another shape: value_to's error.
    e = thrown([&] { (void)r[0].get<json_of<item>>(1); });
    CHECK(e.diag().message.find("column 1 \"other\"") == 0);
    json_of<item> out;
    CHECK(r[0].get(1, out));
}
