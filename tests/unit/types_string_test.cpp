#include "support/codec_check.hpp"

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/bytea.hpp>
#include <pgasio/protocol/types/json.hpp>
#include <pgasio/protocol/types/string.hpp>
#include <pgasio/protocol/types/uuid.hpp>

using namespace pgasio::protocol;
using namespace pgasio::test;
using namespace std::string_view_literals;
using pgasio::fuzz::fuzz_type;

TEST_CASE("strings: binary and text are the bytes themselves") {
    check_binary(std::string("h\xc3\xa9llo"), from_hex("68c3a96c6c6f"), fuzz_type::text);
    check_text(std::string("h\xc3\xa9llo"), "h\xc3\xa9llo", fuzz_type::text);
    check_binary(std::string(), ""sv, fuzz_type::text);
    check_text(std::string(), "", fuzz_type::text);
    CHECK(types::codec<std::string>::type_oid == oids::text);
    CHECK(types::codec<std::string>::array_oid == oids::text_array);
    for (auto t : {oids::text, oids::varchar, oids::bpchar, oids::name, oids::unknown}) {
        CHECK(decode_binary<std::string>("ab  "sv, t) == "ab  ");
        CHECK(decode_text<std::string>("ab  "sv, t) == "ab  ");
    }
}

TEST_CASE("strings: json, bytea and other types are not strings") {
    for (auto t : {oids::json, oids::jsonb, oids::bytea, oids::int4, oids::char_}) {
        CHECK(binary_error<std::string>("x"sv, t) == client_errc::type_mismatch);
        CHECK(text_error<std::string_view>("x"sv, t) == client_errc::type_mismatch);
    }
}

TEST_CASE("strings: a NUL byte cannot be sent") {
    CHECK(binary_encode_error(std::string("a\0b"sv)) == client_errc::embedded_nul);
    CHECK(text_encode_error(std::string_view("\0"sv)) == client_errc::embedded_nul);
    CHECK(encode_text(std::string_view()).empty());
    CHECK(encode_binary(std::string_view()).empty());
}

TEST_CASE("string_view decodes into a view of the value bytes") {
    const auto bytes = to_bytes("abc"sv);
    std::string_view v;
    REQUIRE_FALSE(types::codec<std::string_view>::decode_binary(bytes, oids::varchar, v));
    CHECK(v == "abc");
    CHECK(static_cast<const void*>(v.data()) == static_cast<const void*>(bytes.data()));
    CHECK(encode_binary("abc"sv) == "abc");
    CHECK(types::is_view_v<std::string_view>);
    CHECK_FALSE(types::is_view_v<std::string>);
}

TEST_CASE("char (the one-byte type): binary and text golden values") {
    check_binary('A', "A"sv, fuzz_type::char_);
    check_binary('\0', "\x00"sv, fuzz_type::char_);
    check_binary('\xe9', "\xe9"sv, fuzz_type::char_);
    check_text('A', "A", fuzz_type::char_);
    check_text('\0', "", fuzz_type::char_);
    check_text('\\', "\\", fuzz_type::char_);
    // Bytes with the high bit set are written in octal (PostgreSQL 15).
    check_text('\xe9', "\\351", fuzz_type::char_);
    check_text('\xff', "\\377", fuzz_type::char_);
}

TEST_CASE("char (the one-byte type): malformed input") {
    CHECK(binary_error<char>(""sv, oids::char_) == client_errc::invalid_binary_length);
    CHECK(binary_error<char>("ab"sv, oids::char_) == client_errc::invalid_binary_length);
    CHECK(binary_error<char>("a"sv, oids::text) == client_errc::type_mismatch);
    for (auto s : {"ab", "\\38", "\\400", "\\12", "\\1234", "\\x41"})
        CHECK(text_error<char>(s, oids::char_) == client_errc::invalid_text_value);
}

namespace {
std::vector<std::byte> bytes_of(std::string_view s) {
    return to_bytes(s);
}
} // namespace

TEST_CASE("bytea: binary and hex text golden values") {
    check_binary(bytes_of("\x00\x01\xff\\"sv), "\x00\x01\xff\\"sv, fuzz_type::bytea);
    check_binary(std::vector<std::byte>(), ""sv, fuzz_type::bytea);
    check_text(bytes_of("abc \x01\\"sv), "\\x61626320015c", fuzz_type::bytea);
    check_text(std::vector<std::byte>(), "\\x", fuzz_type::bytea);
    CHECK(decode_text<std::vector<std::byte>>("\\xDEADbeef", oids::bytea) ==
          bytes_of("\xde\xad\xbe\xef"sv));
    // The server allows white space between digit pairs.
    CHECK(decode_text<std::vector<std::byte>>("\\x de ad\n", oids::bytea) ==
          bytes_of("\xde\xad"sv));
}

TEST_CASE("bytea: the legacy escape format decodes") {
    CHECK(decode_text<std::vector<std::byte>>("abc \\001 \\\\", oids::bytea) ==
          bytes_of("abc \x01 \\"sv));
    CHECK(decode_text<std::vector<std::byte>>("\\000\\377", oids::bytea) == bytes_of("\x00\xff"sv));
    CHECK(decode_text<std::vector<std::byte>>("", oids::bytea).empty());
    record_type_seed(fuzz_type::bytea, true, "abc \\001 \\\\");
}

TEST_CASE("bytea: malformed text") {
    for (auto s :
         {"\\x0", "\\x0g", "\\xabc", "\\x a b", "\\", "a\\", "\\400", "\\08", "\\12", "\\y"})
        CHECK(text_error<std::vector<std::byte>>(s, oids::bytea) ==
              client_errc::invalid_text_value);
    CHECK(binary_error<std::vector<std::byte>>("x"sv, oids::text) == client_errc::type_mismatch);
}

TEST_CASE("bytea: span decodes into a view, from binary only") {
    const auto bytes = to_bytes("\x01\x02"sv);
    std::span<const std::byte> v;
    REQUIRE_FALSE(types::codec<std::span<const std::byte>>::decode_binary(bytes, oids::bytea, v));
    CHECK(v.data() == bytes.data());
    CHECK(v.size() == 2);
    CHECK(encode_text(std::span<const std::byte>(bytes)) == "\\x0102");
    CHECK(encode_binary(std::span<const std::byte>(bytes)) == "\x01\x02"sv);
    CHECK(text_error<std::span<const std::byte>>("\\x01", oids::bytea) ==
          client_errc::type_mismatch);
}

TEST_CASE("json: binary and text, from json and jsonb") {
    const json doc{R"({"a": 1})"};
    check_binary(doc, R"({"a": 1})", fuzz_type::json);
    check_text(doc, R"({"a": 1})", fuzz_type::json);
    CHECK(types::codec<json>::type_oid == oids::json);
    // jsonb binary: version 1, then the text (golden bytes from jsonb_send).
    CHECK(decode_binary<json>(from_hex("017b2261223a20317d"), oids::jsonb) == doc);
    record_type_seed(fuzz_type::jsonb, false, from_hex("017b2261223a20317d"));
    CHECK(decode_text<json>(R"({"a": 1})", oids::jsonb) == doc);
    check_binary(jsonb{R"({"a": 1})"}, from_hex("017b2261223a20317d"), fuzz_type::jsonb);
    CHECK(types::codec<jsonb>::type_oid == oids::jsonb);
    CHECK(decode_binary<jsonb>("[]"sv, oids::json) == jsonb{"[]"});
}

TEST_CASE("json: malformed input") {
    CHECK(binary_error<json>(""sv, oids::jsonb) == client_errc::invalid_binary_length);
    CHECK(binary_error<json>("\x02{}"sv, oids::jsonb) == client_errc::unsupported_version);
    CHECK(binary_error<json>("{}"sv, oids::text) == client_errc::type_mismatch);
    CHECK(text_error<jsonb>("{}"sv, oids::text) == client_errc::type_mismatch);
    CHECK(binary_encode_error(json{std::string("\"\0\""sv)}) == client_errc::embedded_nul);
    CHECK(text_encode_error(jsonb{std::string("\0"sv)}) == client_errc::embedded_nul);
}

TEST_CASE("uuid: binary and text golden values") {
    const uuid id{{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd,
                   0x38, 0x0a, 0x11}};
    check_binary(id, from_hex("a0eebc999c0b4ef8bb6d6bb9bd380a11"), fuzz_type::uuid);
    check_text(id, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", fuzz_type::uuid);
    // Every input form of datatype-uuid.html.
    for (auto s : {"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
                   "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
                   "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}"})
        CHECK(decode_text<uuid>(s, oids::uuid) == id);
    const uuid max{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                    0xff, 0xff, 0xff}};
    check_text(max, "ffffffff-ffff-ffff-ffff-ffffffffffff", fuzz_type::uuid);
    CHECK(decode_text<uuid>("{FFFF-FFFF-FFFF-FFFF-FFFF-FFFF-FFFF-FFFF}", oids::uuid) == max);
    CHECK(uuid{} < id);
}

TEST_CASE("uuid: malformed input") {
    CHECK(binary_error<uuid>(from_hex("a0eebc999c0b4ef8bb6d6bb9bd380a"), oids::uuid) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<uuid>(from_hex("a0eebc999c0b4ef8bb6d6bb9bd380a1100"), oids::uuid) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<uuid>(from_hex("a0eebc999c0b4ef8bb6d6bb9bd380a11"), oids::text) ==
          client_errc::type_mismatch);
    for (auto s :
         {"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
          "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
          "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "a0eeb-c99-9c0b-4ef8-bb6d-6bb9bd380a11",
          "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
          " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"})
        CHECK(text_error<uuid>(s, oids::uuid) == client_errc::invalid_text_value);
}
