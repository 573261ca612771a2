#include "support/codec_check.hpp"

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/network.hpp>

using namespace pgasio::protocol;
using namespace pgasio::test;
using namespace std::string_view_literals;
using pgasio::fuzz::fuzz_type;

namespace {

inet v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint8_t bits = 32) {
    return {ip_family::ipv4, bits, {a, b, c, d}};
}

template <class Net>
Net v6(std::initializer_list<std::uint8_t> bytes, std::uint8_t bits = 128) {
    Net n{ip_family::ipv6, bits, {}};
    std::copy(bytes.begin(), bytes.end(), n.address.begin());
    return n;
}

cidr net4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint8_t bits) {
    return {ip_family::ipv4, bits, {a, b, c, d}};
}

} // namespace

TEST_CASE("inet: binary golden values (inet_send)") {
    check_binary(v4(1, 2, 3, 4, 24), from_hex("0218000401020304"), fuzz_type::inet);
    check_binary(v6<inet>({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 64),
                 from_hex("0340001020010db8000000000000000000000001"), fuzz_type::inet);
    check_binary(v6<inet>({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}),
                 from_hex("0380001000000000000000000000ffff01020304"), fuzz_type::inet);
}

TEST_CASE("cidr: binary golden values (cidr_send)") {
    check_binary(net4(10, 0, 0, 0, 8), from_hex("020801040a000000"), fuzz_type::cidr);
    check_binary(v6<cidr>({0x20, 0x01, 0x0d, 0xb8}, 32),
                 from_hex("0320011020010db8000000000000000000000000"), fuzz_type::cidr);
    // inet reads cidr values too.
    CHECK(decode_binary<inet>(from_hex("020801040a000000"), oids::cidr) == v4(10, 0, 0, 0, 8));
}

TEST_CASE("inet: text golden values as the server writes them") {
    check_text(v4(1, 2, 3, 4), "1.2.3.4", fuzz_type::inet);
    check_text(v4(1, 2, 3, 4, 24), "1.2.3.4/24", fuzz_type::inet);
    check_text(v4(0, 0, 0, 0, 0), "0.0.0.0/0", fuzz_type::inet);
    check_text(v6<inet>({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), "::1", fuzz_type::inet);
    check_text(v6<inet>({}), "::", fuzz_type::inet);
    check_text(v6<inet>({0, 1}), "1::", fuzz_type::inet);
    check_text(v6<inet>({0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}), "1:2:3:4:5:6:7:8",
               fuzz_type::inet);
    // The longest run of zero groups is compressed, the first one on a tie, never a single one.
    check_text(v6<inet>({0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}), "1:0:0:1::1",
               fuzz_type::inet);
    check_text(v6<inet>({0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1}, 64), "1::1:0:0:1:1/64",
               fuzz_type::inet);
    check_text(v6<inet>({0, 1, 0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7}), "1:0:2:3:4:5:6:7",
               fuzz_type::inet);
    check_text(v6<inet>({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0, 1}),
               "2001:db8::abcd:1", fuzz_type::inet);
    // Mapped and compatible IPv4 addresses end in dotted form.
    check_text(v6<inet>({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}), "::ffff:1.2.3.4",
               fuzz_type::inet);
    check_text(v6<inet>({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1}), "::ffff:0.0.0.1",
               fuzz_type::inet);
    check_text(v6<inet>({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}), "::1.2.3.4",
               fuzz_type::inet);
    check_text(v6<inet>({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}), "::2", fuzz_type::inet);
    // Inputs the server accepts in other spellings.
    CHECK(decode_text<inet>("01.2.3.4/024", oids::inet) == v4(1, 2, 3, 4, 24));
    CHECK(decode_text<inet>("0:0:0:0:0:FFFF:0102:0304", oids::inet) ==
          v6<inet>({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}));
    CHECK(decode_text<inet>("10.0.0.0/8", oids::cidr) == v4(10, 0, 0, 0, 8));
}

TEST_CASE("cidr: text golden values, always with the prefix length") {
    check_text(net4(10, 0, 0, 0, 8), "10.0.0.0/8", fuzz_type::cidr);
    check_text(net4(1, 2, 3, 4, 32), "1.2.3.4/32", fuzz_type::cidr);
    check_text(v6<cidr>({}, 0), "::/0", fuzz_type::cidr);
    check_text(v6<cidr>({0x20, 0x01, 0x0d, 0xb8}, 32), "2001:db8::/32", fuzz_type::cidr);
    // Abbreviated IPv4 networks take the classful prefix length.
    CHECK(decode_text<cidr>("10/8", oids::cidr) == net4(10, 0, 0, 0, 8));
    CHECK(decode_text<cidr>("10", oids::cidr) == net4(10, 0, 0, 0, 8));
    CHECK(decode_text<cidr>("128.1", oids::cidr) == net4(128, 1, 0, 0, 16));
    CHECK(decode_text<cidr>("192.168.1", oids::cidr) == net4(192, 168, 1, 0, 24));
    CHECK(decode_text<cidr>("224", oids::cidr) == net4(224, 0, 0, 0, 4));
    CHECK(decode_text<cidr>("240", oids::cidr) == net4(240, 0, 0, 0, 32));
    CHECK(decode_text<cidr>("10.0.0/8", oids::cidr) == net4(10, 0, 0, 0, 8));
    CHECK(decode_text<cidr>("10.0.0.0/7", oids::cidr) == net4(10, 0, 0, 0, 7));
}

TEST_CASE("inet/cidr: malformed binary, every field checked") {
    // family 4 is neither PGSQL_AF_INET nor PGSQL_AF_INET6
    CHECK(binary_error<inet>(from_hex("0418000401020304"), oids::inet) ==
          client_errc::value_out_of_range);
    // 33 bits for IPv4, 129 for IPv6
    CHECK(binary_error<inet>(from_hex("0221000401020304"), oids::inet) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<inet>(from_hex("0381001000000000000000000000000000000001"), oids::inet) ==
          client_errc::value_out_of_range);
    // an address size that is not the family's, or not the bytes present
    CHECK(binary_error<inet>(from_hex("0218001001020304"), oids::inet) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<inet>(from_hex("038000040a000001"), oids::inet) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<inet>(from_hex("02180004010203"), oids::inet) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<inet>(from_hex("021800040102030405"), oids::inet) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<inet>(from_hex("021800"), oids::inet) == client_errc::invalid_binary_length);
    // is_cidr must say what the type says
    CHECK(binary_error<inet>(from_hex("0218010401020304"), oids::inet) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<cidr>(from_hex("020800040a000000"), oids::cidr) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<inet>(from_hex("0218020401020304"), oids::inet) ==
          client_errc::value_out_of_range);
    // host bits set in a cidr
    CHECK(binary_error<cidr>(from_hex("020801040a000001"), oids::cidr) ==
          client_errc::value_out_of_range);
    CHECK(binary_error<cidr>(from_hex("0307011020010db8000000000000000000000000"), oids::cidr) ==
          client_errc::value_out_of_range);
    // cidr does not read inet values
    CHECK(binary_error<cidr>(from_hex("0218000401020304"), oids::inet) ==
          client_errc::type_mismatch);
}

TEST_CASE("inet/cidr: malformed text") {
    for (auto s : {"", "10.1", "1.2.3.256", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/", "1.2.3.4/33",
                   "1.2.3.4/-1", "::1/ 64", "::1/129", "0x0a.1.1.1", "1.2.3.4.5", "1..2.3",
                   "fe80::1%eth0", "1:2:3", "::g", "1.2.3.4/1234"})
        CHECK(text_error<inet>(s, oids::inet) == client_errc::invalid_text_value);
    for (auto s : {"10.0.0.1/8", "::ffff:1.2.3.4/120", "1.2.3.4.5", "10/33", "192.168.1.1/24"})
        CHECK(text_error<cidr>(s, oids::cidr) == client_errc::invalid_text_value);
    CHECK(text_error<cidr>("10.0.0.0/8", oids::inet) == client_errc::type_mismatch);
}

TEST_CASE("inet/cidr: values that cannot be sent") {
    CHECK(binary_encode_error(inet{static_cast<ip_family>(7), 32, {}}) ==
          client_errc::value_out_of_range);
    CHECK(binary_encode_error(v4(1, 2, 3, 4, 33)) == client_errc::value_out_of_range);
    CHECK(text_encode_error(v6<inet>({}, 129)) == client_errc::value_out_of_range);
    CHECK(binary_encode_error(net4(10, 0, 0, 1, 8)) == client_errc::value_out_of_range);
    CHECK(text_encode_error(net4(10, 0, 0, 1, 8)) == client_errc::value_out_of_range);
}

TEST_CASE("macaddr: binary and text golden values, every documented input form") {
    const macaddr mac{{0x08, 0x00, 0x2b, 0x01, 0x02, 0x03}};
    check_binary(mac, from_hex("08002b010203"), fuzz_type::macaddr);
    check_text(mac, "08:00:2b:01:02:03", fuzz_type::macaddr);
    for (auto s : {"08:00:2b:01:02:03", "08-00-2b-01-02-03", "08002b:010203", "08002b-010203",
                   "0800.2b01.0203", "0800-2b01-0203", "08002b010203", "08:00:2B:01:02:03",
                   " 08:00:2b:01:02:03 "})
        CHECK(decode_text<macaddr>(s, oids::macaddr) == mac);
}

TEST_CASE("macaddr8: binary and text golden values, 6-byte input widened") {
    const macaddr8 mac{{0x08, 0x00, 0x2b, 0x01, 0x02, 0x03, 0x04, 0x05}};
    check_binary(mac, from_hex("08002b0102030405"), fuzz_type::macaddr8);
    check_text(mac, "08:00:2b:01:02:03:04:05", fuzz_type::macaddr8);
    for (auto s :
         {"08-00-2b-01-02-03-04-05", "08002b:0102030405", "08002b-0102030405",
          "0800.2b01.0203.0405", "0800-2b01-0203-0405", "08002b01:02030405", "08002b0102030405"})
        CHECK(decode_text<macaddr8>(s, oids::macaddr8) == mac);
    CHECK(decode_text<macaddr8>("08:00:2b:01:02:03", oids::macaddr8) ==
          macaddr8{{0x08, 0x00, 0x2b, 0xff, 0xfe, 0x01, 0x02, 0x03}});
}

TEST_CASE("macaddr/macaddr8: malformed input") {
    CHECK(binary_error<macaddr>(from_hex("08002b0102"), oids::macaddr) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<macaddr8>(from_hex("08002b010203"), oids::macaddr8) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<macaddr>(from_hex("08002b010203"), oids::macaddr8) ==
          client_errc::type_mismatch);
    for (auto s :
         {"", "08:00:2b:01:02", "08:00:2b:01:02:03:04", "08-00-2b:01:02:03", "08:00:2b:01:02:0g",
          ":08:00:2b:01:02:03", "08:00:2b:01:02:03:", "08::00:2b:01:02", "08002b01020"})
        CHECK(text_error<macaddr>(s, oids::macaddr) == client_errc::invalid_text_value);
    for (auto s : {"08:00:2b:01:02:03:04", "08:00:2b:01:02:03:04:05:06", "08:00:2b:01:02"})
        CHECK(text_error<macaddr8>(s, oids::macaddr8) == client_errc::invalid_text_value);
}
