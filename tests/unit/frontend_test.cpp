#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/frontend.hpp>

#include "support/bytes.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace std::literals;
using namespace pgasio::protocol;
using pgasio::test::to_bytes;
using pgasio::test::to_string;

namespace {
std::string bytes_of(const write_buffer& b) {
    return to_string(b.data());
}
} // namespace

TEST_CASE("frontend: StartupMessage for 3.0 and 3.2 with parameters and _pq_ options") {
    write_buffer b;
    const startup_parameter params[] = {{"user", "bob"}, {"database", "db"}, {"_pq_.x", "1"}};
    REQUIRE(!encode_startup(b, protocol_version::v3_0, params));
    CHECK(bytes_of(b) == "\0\0\0\x27\0\x03\0\0user\0bob\0database\0db\0_pq_.x\0"
                         "1\0\0"s);
    b.clear();
    REQUIRE(!encode_startup(b, protocol_version::v3_2, {}));
    CHECK(bytes_of(b) == "\0\0\0\x09\0\x03\0\x02\0"s);
}

TEST_CASE("frontend: StartupMessage refuses what would corrupt it, appending nothing") {
    write_buffer b;
    b.put_u8(0x42);
    const startup_parameter nul[] = {{"user", "b\0b"sv}};
    CHECK(encode_startup(b, protocol_version::v3_0, nul) == client_errc::embedded_nul);
    const startup_parameter empty_name[] = {{"", "x"}};
    CHECK(encode_startup(b, protocol_version::v3_0, empty_name) ==
          client_errc::invalid_field_value);
    CHECK(encode_startup(b, static_cast<protocol_version>(0x20000), {}) ==
          client_errc::invalid_protocol_version);
    const std::string huge(20000, 'x');
    const startup_parameter too_long[] = {{"options", huge}};
    CHECK(encode_startup(b, protocol_version::v3_0, too_long) == client_errc::message_too_long);
    CHECK(bytes_of(b) == "\x42");
}

TEST_CASE("frontend: SSLRequest, GSSENCRequest and CancelRequest") {
    write_buffer b;
    encode_ssl_request(b);
    CHECK(bytes_of(b) == "\0\0\0\x08\x04\xd2\x16\x2f"s);
    b.clear();
    encode_gssenc_request(b);
    CHECK(bytes_of(b) == "\0\0\0\x08\x04\xd2\x16\x30"s);
    b.clear();
    const auto key4 = to_bytes("\x01\x02\x03\x04"sv);
    REQUIRE(!encode_cancel_request(b, 4242, key4));
    CHECK(bytes_of(b) == "\0\0\0\x10\x04\xd2\x16\x2e\0\0\x10\x92\x01\x02\x03\x04"s);
    b.clear();
    const std::vector<std::byte> key32(32, std::byte{0xAB}); // protocol 3.2 keys are longer
    REQUIRE(!encode_cancel_request(b, 1, key32));
    CHECK(b.size() == 12 + 32);
    CHECK(bytes_of(b).substr(0, 4) == "\0\0\0\x2c"s);
    b.clear();
    CHECK(encode_cancel_request(b, 1, to_bytes("abc"sv)) == client_errc::invalid_field_value);
    CHECK(encode_cancel_request(b, 1, std::vector<std::byte>(257)) ==
          client_errc::invalid_field_value);
    CHECK(b.empty());
}

TEST_CASE("frontend: password and SASL messages") {
    write_buffer b;
    REQUIRE(!encode_password(b, "secret"));
    CHECK(bytes_of(b) == "p\0\0\0\x0bsecret\0"s);
    CHECK(encode_password(b, "se\0cret"sv) == client_errc::embedded_nul);
    b.clear();
    REQUIRE(!encode_sasl_initial_response(b, "SCRAM-SHA-256", to_bytes("n,,n=,r=abc"sv)));
    CHECK(bytes_of(b) == "p\0\0\0\x21SCRAM-SHA-256\0\0\0\0\x0bn,,n=,r=abc"s);
    b.clear();
    REQUIRE(!encode_sasl_response(b, to_bytes("c=biws"sv)));
    CHECK(bytes_of(b) == "p\0\0\0\x0a"
                         "c=biws"s);
}

TEST_CASE("frontend: simple and extended query messages") {
    write_buffer b;
    REQUIRE(!encode_query(b, "SELECT 1"));
    CHECK(bytes_of(b) == "Q\0\0\0\x0dSELECT 1\0"s);
    b.clear();
    const oid types[] = {23, 25};
    REQUIRE(!encode_parse(b, "s1", "SELECT $1, $2", types));
    CHECK(bytes_of(b) == "P\0\0\0\x1fs1\0SELECT $1, $2\0\0\x02\0\0\0\x17\0\0\0\x19"s);
    b.clear();
    REQUIRE(!encode_describe(b, target_kind::statement, "s1"));
    CHECK(bytes_of(b) == "D\0\0\0\x08Ss1\0"s);
    b.clear();
    REQUIRE(!encode_execute(b, "", 0));
    CHECK(bytes_of(b) == "E\0\0\0\x09\0\0\0\0\0"s);
    b.clear();
    REQUIRE(!encode_close(b, target_kind::portal, "p"));
    CHECK(bytes_of(b) == "C\0\0\0\x07Pp\0"s);
    b.clear();
    encode_sync(b);
    encode_flush(b);
    encode_terminate(b);
    CHECK(bytes_of(b) == "S\0\0\0\x04H\0\0\0\x04X\0\0\0\x04"s);
}

TEST_CASE("frontend: query messages refuse NUL bytes and bad counts") {
    write_buffer b;
    CHECK(encode_query(b, "SELECT 1;\0DROP TABLE t"sv) == client_errc::embedded_nul);
    CHECK(encode_parse(b, "s\0"sv, "SELECT 1", {}) == client_errc::embedded_nul);
    CHECK(encode_parse(b, "", "SELECT 1", std::vector<oid>(65536)) ==
          client_errc::too_many_parameters);
    CHECK(encode_describe(b, target_kind::portal, "\0"sv) == client_errc::embedded_nul);
    CHECK(encode_execute(b, "", -1) == client_errc::invalid_field_value);
    CHECK(encode_close(b, target_kind::statement, "a\0b"sv) == client_errc::embedded_nul);
    CHECK(encode_copy_fail(b, "x\0"sv) == client_errc::embedded_nul);
    CHECK(b.empty());
}

TEST_CASE("frontend: COPY messages") {
    write_buffer b;
    REQUIRE(!encode_copy_data(b, to_bytes("1\tx\n"sv)));
    encode_copy_done(b);
    REQUIRE(!encode_copy_fail(b, "bad"));
    CHECK(bytes_of(b) == "d\0\0\0\x08"
                         "1\tx\nc\0\0\0\x04"
                         "f\0\0\0\x08"
                         "bad\0"s);
}

TEST_CASE("frontend: Bind with per-parameter formats, NULL and result formats") {
    write_buffer b;
    const format_code params[] = {format_code::binary, format_code::text};
    const format_code results[] = {format_code::binary};
    bind_writer bind(b, "p", "s", params, 2);
    bind.value([](write_buffer& out) {
        out.put_i32(7);
        return boost::system::error_code{};
    });
    bind.null_value();
    REQUIRE(!bind.finish(results));
    CHECK(bytes_of(b) ==
          "B\0\0\0\x20p\0s\0\0\x02\0\x01\0\0\0\x02\0\0\0\x04\0\0\0\x07\xff\xff\xff\xff"
          "\0\x01\0\x01"s);
}

TEST_CASE("frontend: a value written in text makes Bind list every parameter's format") {
    write_buffer b;
    const format_code binary[] = {format_code::binary};
    bind_writer bind(b, "", "s", binary, 3);
    bind.value([](write_buffer& out) {
        out.put_i32(7);
        return boost::system::error_code{};
    });
    bind.text_value("(1,a)");
    bind.null_value();
    REQUIRE(!bind.finish(binary));
    // Formats: 3 (binary, text, binary); then 3 values; then one result format.
    CHECK(bytes_of(b) == "B\0\0\0\x2a\0s\0\0\x03\0\x01\0\0\0\x01\0\x03\0\0\0\x04\0\0\0\x07"
                         "\0\0\0\x05(1,a)\xff\xff\xff\xff\0\x01\0\x01"s);
    // The server would read text up to a NUL: refused, the message withdrawn.
    write_buffer nul;
    bind_writer with_nul(nul, "", "", binary, 1);
    with_nul.text_value("a\0b"sv);
    CHECK(with_nul.finish(binary) == client_errc::embedded_nul);
    CHECK(nul.size() == 0);
}

TEST_CASE("frontend: Bind errors leave the buffer as it was") {
    write_buffer b;
    encode_sync(b);
    const auto before = bytes_of(b);
    SECTION("too few values") {
        bind_writer bind(b, "", "", {}, 2);
        bind.value_bytes(to_bytes("1"sv));
        CHECK(bind.finish({}) == client_errc::parameter_count_mismatch);
    }
    SECTION("too many values") {
        bind_writer bind(b, "", "", {}, 1);
        bind.value_bytes(to_bytes("1"sv));
        bind.null_value();
        CHECK(bind.finish({}) == client_errc::parameter_count_mismatch);
    }
    SECTION("an encoder fails: its error is reported") {
        bind_writer bind(b, "", "", {}, 1);
        bind.value([](write_buffer& out) {
            out.put_u8(1);
            return boost::system::error_code(client_errc::value_out_of_range);
        });
        CHECK(bind.finish({}) == client_errc::value_out_of_range);
    }
    SECTION("format count neither 0, 1 nor the parameter count") {
        const format_code two[] = {format_code::binary, format_code::binary};
        bind_writer bind(b, "", "", two, 3);
        CHECK(bind.finish({}) == client_errc::too_many_parameters);
    }
    SECTION("NUL in the statement name") {
        bind_writer bind(b, "", "s\0"sv, {}, 0);
        CHECK(bind.finish({}) == client_errc::embedded_nul);
    }
    CHECK(bytes_of(b) == before);
}
