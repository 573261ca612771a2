#include <pgasio/protocol/detail/base64.hpp>

#include "support/bytes.hpp"

#include <catch2/catch.hpp>

#include <string_view>

using namespace std::literals;
using pgasio::protocol::detail::base64_decode;
using pgasio::protocol::detail::base64_encode;
using pgasio::test::to_bytes;
using pgasio::test::to_string;

TEST_CASE("base64 encodes and decodes the RFC 4648 test vectors both ways") {
    // RFC 4648 §10.
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        CHECK(base64_encode(to_bytes(plain)) == encoded);
        const auto decoded = base64_decode(encoded);
        REQUIRE(decoded);
        CHECK(to_string(*decoded) == plain);
    }
}

TEST_CASE("base64 round-trips every byte value and every length remainder") {
    std::vector<std::byte> all;
    for (int i = 0; i < 256; ++i)
        all.push_back(static_cast<std::byte>(255 - i));
    for (std::size_t len : {254u, 255u, 256u}) {
        const std::span<const std::byte> in(all.data(), len);
        const std::string text = base64_encode(in);
        CHECK(text.size() == (len + 2) / 3 * 4);
        const auto back = base64_decode(text);
        REQUIRE(back);
        CHECK(to_string(*back) == to_string(in));
    }
    CHECK(base64_encode(to_bytes("\xfb\xff\xbf"sv)) == "+/+/");
}

TEST_CASE("base64 encoding appends to an existing string") {
    std::string out = "c=";
    base64_encode(to_bytes("n,,"sv), out);
    CHECK(out == "c=biws");
}

TEST_CASE("base64 decoding rejects everything but canonical base64") {
    for (std::string_view bad : {
             "Zg="sv,       // length not a multiple of 4
             "Zg"sv,        // missing padding
             "Z==="sv,      // three padding characters
             "===="sv,      // padding only
             "Zg=a"sv,      // padding in the middle of the last group
             "Zg==Zg=="sv,  // padding before the end
             "Zm9v YmFy"sv, // whitespace
             "Zm9-"sv,      // base64url alphabet
             "Zm9_"sv,      // base64url alphabet
             "Zm\0v"sv,     // NUL
             "Zm9\xc3"sv,   // non-ASCII byte
             "Zh=="sv,      // non-zero unused bits (would be a second spelling of "f")
             "Zm9="sv,      // non-zero unused bits (would be a second spelling of "fo")
         }) {
        INFO(std::string(bad));
        CHECK_FALSE(base64_decode(bad));
    }
}
