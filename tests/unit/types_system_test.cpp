// xid, xid8, cid, the OID alias types, money and bit strings: golden binary and text forms (as
// the server's *_send and *_out write them), and malformed input.
#include "support/codec_check.hpp"

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/bit_string.hpp>
#include <pgasio/protocol/types/integral.hpp>
#include <pgasio/protocol/types/money.hpp>
#include <pgasio/protocol/types/transaction_ids.hpp>

using namespace pgasio::protocol;
using namespace pgasio::test;
using pgasio::fuzz::fuzz_type;

TEST_CASE("xid, xid8, cid: binary and text golden values") {
    check_binary(xid{4000000000u}, from_hex("ee6b2800"), fuzz_type::xid);
    check_text(xid{4000000000u}, "4000000000", fuzz_type::xid);
    check_binary(xid8{18446744073709551615u}, from_hex("ffffffffffffffff"), fuzz_type::xid8);
    check_text(xid8{18446744073709551615u}, "18446744073709551615", fuzz_type::xid8);
    check_binary(cid{7}, from_hex("00000007"), fuzz_type::cid);
    check_text(cid{0}, "0", fuzz_type::cid);
    CHECK(decode_text<xid>(" 12 ", oids::xid) == xid{12});
    CHECK(text_error<xid>("4294967296", oids::xid) == client_errc::value_out_of_range);
    CHECK(text_error<xid8>("18446744073709551616", oids::xid8) == client_errc::value_out_of_range);
    CHECK(text_error<xid>("-1", oids::xid) == client_errc::invalid_text_value);
    CHECK(text_error<xid>("", oids::xid) == client_errc::invalid_text_value);
    CHECK(binary_error<xid>(from_hex("000001"), oids::xid) == client_errc::invalid_binary_length);
    CHECK(binary_error<xid8>(from_hex("00000001"), oids::xid8) ==
          client_errc::invalid_binary_length);
    // Each is its own type: an xid column is not an xid8 nor an oid.
    CHECK(binary_error<xid8>(from_hex("00000001"), oids::xid) == client_errc::type_mismatch);
    CHECK(binary_error<std::uint32_t>(from_hex("00000001"), oids::xid) ==
          client_errc::type_mismatch);
}

TEST_CASE("OID alias types read as std::uint32_t, their oid") {
    for (const oid t : {oids::regclass, oids::regtype, oids::regproc, oids::regprocedure,
                        oids::regoper, oids::regoperator, oids::regnamespace, oids::regrole,
                        oids::regconfig, oids::regdictionary, oids::regcollation}) {
        INFO(t);
        CHECK(decode_binary<std::uint32_t>(from_hex("000004eb"), t) == 1259u);
        // Their text is a name, except for an oid that names nothing: the number.
        CHECK(decode_text<std::uint32_t>("1259", t) == 1259u);
        CHECK(text_error<std::uint32_t>("pg_class", t) == client_errc::invalid_text_value);
    }
    record_type_seed(fuzz_type::regclass, false, from_hex("000004eb"));
}

TEST_CASE("money: binary is the count of cents, text in the C locale's conventions") {
    check_binary(money{-123456}, from_hex("fffffffffffe1dc0"), fuzz_type::money);
    check_text(money{-123456}, "-1234.56", fuzz_type::money);
    check_text(money{7}, "0.07", fuzz_type::money);
    // What the server writes (cash_out, lc_monetary C).
    CHECK(decode_text<money>("-$1,234.56", oids::money) == money{-123456});
    CHECK(decode_text<money>("$92,233,720,368,547,758.07", oids::money) == money{INT64_MAX});
    CHECK(decode_text<money>("-$92,233,720,368,547,758.08", oids::money) == money{INT64_MIN});
    CHECK(decode_text<money>("($5.00)", oids::money) == money{-500});
    CHECK(decode_text<money>("$-5", oids::money) == money{-500});
    CHECK(decode_text<money>("12.3", oids::money) == money{1230});
    CHECK(text_error<money>("$92,233,720,368,547,758.08", oids::money) ==
          client_errc::value_out_of_range);
    CHECK(text_error<money>("1.234", oids::money) == client_errc::invalid_text_value);
    CHECK(text_error<money>("€5", oids::money) == client_errc::invalid_text_value);
    CHECK(text_error<money>("$", oids::money) == client_errc::invalid_text_value);
    CHECK(binary_error<money>(from_hex("00"), oids::money) == client_errc::invalid_binary_length);
    CHECK(encode_text(money{INT64_MIN}) == "-92233720368547758.08");
}

TEST_CASE("bit strings: binary is the length and the bits, text one digit a bit") {
    const bit_string b{5, {0b1011'0000}};
    check_binary(b, from_hex("00000005b0"), fuzz_type::varbit);
    check_text(b, "10110", fuzz_type::varbit);
    check_binary(bit_string{}, from_hex("00000000"), fuzz_type::varbit);
    check_text(bit_string{}, "", fuzz_type::varbit);
    check_text(bit_string{9, {0xff, 0x80}}, "111111111", fuzz_type::varbit);
    CHECK(b.bit(0));
    CHECK(!b.bit(1));
    // bit(n) reads the same; padding bits are cleared.
    CHECK(decode_binary<bit_string>(from_hex("00000005b7"), oids::bit) == b);
    record_type_seed(fuzz_type::bit, false, from_hex("00000005b0"));
    CHECK(binary_error<bit_string>(from_hex("00000009ff"), oids::varbit) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<bit_string>(from_hex("ffffffff"), oids::varbit) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<bit_string>(from_hex("000000"), oids::varbit) ==
          client_errc::invalid_binary_length);
    CHECK(text_error<bit_string>("10a", oids::bit) == client_errc::invalid_text_value);
    // A value whose bytes do not match its length cannot be sent.
    pgasio::protocol::write_buffer out;
    CHECK(types::codec<bit_string>::encode_binary(out, bit_string{9, {0xff}}) ==
          client_errc::invalid_binary_length);
    // Padding bits given by the caller are not sent.
    CHECK(encode_binary(bit_string{5, {0xff}}) == from_hex("00000005f8"));
}
