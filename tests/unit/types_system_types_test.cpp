// tid, int2vector, oidvector and pg_snapshot: golden binary and text forms (as the server's send
// and output functions write them), and malformed input.
#include "support/codec_check.hpp"

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/array.hpp>
#include <pgasio/protocol/types/system_types.hpp>

using namespace pgasio::protocol;
using namespace pgasio::test;
using pgasio::fuzz::fuzz_type;

// Golden bytes: SELECT encode(tidsend('(1,2)'), 'hex'), encode(int2vectorsend('1 -2'), 'hex'),
// ... on the server.
TEST_CASE("tid: binary and text golden values") {
    check_binary(tid{1, 2}, from_hex("000000010002"), fuzz_type::tid);
    check_text(tid{1, 2}, "(1,2)", fuzz_type::tid);
    check_text(tid{4294967295u, 65535}, "(4294967295,65535)", fuzz_type::tid);
    CHECK(decode_text<tid>(" ( 1,2) ", oids::tid) == tid{1, 2});
    for (auto s : {"", "()", "(1)", "1,2", "(1,2", "(a,2)", "(1,65536)", "(4294967296,1)"}) {
        INFO(s);
        CHECK(text_error<tid>(s, oids::tid));
    }
    CHECK(binary_error<tid>(from_hex("0000000100"), oids::tid) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<tid>(from_hex("00000001000200"), oids::tid) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<tid>(from_hex("000000010002"), oids::int2vector) ==
          client_errc::type_mismatch);
}

TEST_CASE("int2vector, oidvector: the array wire format, 0-based, and text separated by spaces") {
    check_binary(int2vector{{1, -2}},
                 from_hex("0000000100000000000000150000000200000000000000020001000000"
                          "02fffe"),
                 fuzz_type::int2vector);
    check_binary(oidvector{{23, 4294967295u}},
                 from_hex("00000001000000000000001a00000002000000000000000400000017000000"
                          "04ffffffff"),
                 fuzz_type::oidvector);
    check_text(int2vector{{1, -2}}, "1 -2", fuzz_type::int2vector);
    check_text(oidvector{{23, 4294967295u}}, "23 4294967295", fuzz_type::oidvector);
    check_text(int2vector{}, "", fuzz_type::int2vector);
    CHECK(decode_text<int2vector>(" 1   2 ", oids::int2vector) == int2vector{{1, 2}});
    // What the server sends for an empty one: one dimension of length 0.
    CHECK(decode_binary<int2vector>(from_hex("0000000100000000000000150000000000000000"),
                                    oids::int2vector)
              .values.empty());
    // The server cannot receive an empty one in binary.
    CHECK(binary_encode_error(int2vector{}) == client_errc::value_out_of_range);
    CHECK(binary_encode_error(oidvector{}) == client_errc::value_out_of_range);
    CHECK(text_error<int2vector>("1 32768", oids::int2vector) == client_errc::value_out_of_range);
    CHECK(text_error<int2vector>("1,2", oids::int2vector) == client_errc::invalid_text_value);
    CHECK(text_error<oidvector>("1 4294967296", oids::oidvector) ==
          client_errc::value_out_of_range);
}

TEST_CASE("int2vector, oidvector: malformed binary") {
    // int4 elements, a lower bound of 1, two dimensions, a NULL, a 4-byte int2
    CHECK(binary_error<int2vector>(from_hex("00000001000000000000001700000001000000000000000400"
                                            "000001"),
                                   oids::int2vector) == client_errc::invalid_array);
    CHECK(binary_error<int2vector>(from_hex("000000010000000000000015000000010000000100000002"
                                            "0001"),
                                   oids::int2vector) == client_errc::invalid_array);
    CHECK(binary_error<int2vector>(from_hex("0000000200000000000000150000000100000000000000010"
                                            "000000000000002000100000002fffe"),
                                   oids::int2vector) == client_errc::invalid_array);
    CHECK(binary_error<int2vector>(from_hex("00000001000000010000001500000001000000"
                                            "00ffffffff"),
                                   oids::int2vector) == client_errc::invalid_array);
    CHECK(binary_error<int2vector>(from_hex("000000010000000000000015000000010000000000000004"
                                            "00000001"),
                                   oids::int2vector) == client_errc::invalid_binary_length);
    // A count the bytes do not hold, a negative count, trailing bytes, nothing.
    CHECK(binary_error<int2vector>(from_hex("0000000100000000000000150000000300000000000000020001"),
                                   oids::int2vector) == client_errc::invalid_array);
    CHECK(binary_error<int2vector>(from_hex("00000001000000000000001580000000000000000000000200"
                                            "01"),
                                   oids::int2vector) == client_errc::invalid_array);
    CHECK(
        binary_error<int2vector>(from_hex("000000010000000000000015000000010000000000000002000100"),
                                 oids::int2vector) == client_errc::invalid_array);
    CHECK(binary_error<int2vector>("", oids::int2vector) == client_errc::invalid_array);
    CHECK(binary_error<oidvector>(from_hex("000000010000000000000015000000010000000000000002"
                                           "0001"),
                                  oids::oidvector) == client_errc::invalid_array);
}

TEST_CASE("pg_snapshot: binary and text golden values, txid_snapshot read too") {
    const pg_snapshot s{10, 20, {10, 14, 15}};
    check_binary(s,
                 from_hex("00000003000000000000000a0000000000000014000000000000000a0000000000"
                          "00000e000000000000000f"),
                 fuzz_type::pg_snapshot);
    check_text(s, "10:20:10,14,15", fuzz_type::pg_snapshot);
    check_text(pg_snapshot{10, 20, {}}, "10:20:", fuzz_type::pg_snapshot);
    CHECK(decode_binary<pg_snapshot>(from_hex("00000000000000000000000a0000000000000014"),
                                     oids::txid_snapshot) == pg_snapshot{10, 20, {}});
    CHECK(decode_text<pg_snapshot>("10:20:10,14,15", oids::txid_snapshot) == s);
    // Duplicates are dropped and a trailing comma is taken, as parse_snapshot does.
    CHECK(decode_text<pg_snapshot>("10:20:10,14,14,", oids::pg_snapshot) ==
          pg_snapshot{10, 20, {10, 14}});
    CHECK(decode_binary<pg_snapshot>(
              encode_binary(pg_snapshot{10, 20, {14}}).replace(3, 1, 1, '\x02') +
                  from_hex("000000000000000e"),
              oids::pg_snapshot) == pg_snapshot{10, 20, {14}});
    const std::uint64_t max = 9223372036854775807u;
    check_text(pg_snapshot{1, max, {max - 1}}, "1:9223372036854775807:9223372036854775806",
               fuzz_type::pg_snapshot);
}

TEST_CASE("pg_snapshot: values the server refuses, malformed input") {
    const std::uint64_t max = 9223372036854775807u;
    for (const auto& bad :
         {pg_snapshot{0, 20, {}}, pg_snapshot{20, 10, {}}, pg_snapshot{1, max + 1, {}},
          pg_snapshot{10, 20, {9}}, pg_snapshot{10, 20, {20}}, pg_snapshot{10, 20, {15, 14}}}) {
        CHECK(binary_encode_error(bad) == client_errc::value_out_of_range);
        CHECK(text_encode_error(bad) == client_errc::value_out_of_range);
    }
    for (auto s :
         {"0:20:", "20:10:", "10:20:9", "10:20:20", "10:20:15,14", "1:9223372036854775808:"}) {
        INFO(s);
        CHECK(text_error<pg_snapshot>(s, oids::pg_snapshot) == client_errc::value_out_of_range);
    }
    for (auto s : {"", "10", "10:20", "a:20:", "10:20:x", "10:20:1,,2", " 10:20:", "10:20:-1"}) {
        INFO(s);
        CHECK(text_error<pg_snapshot>(s, oids::pg_snapshot) == client_errc::invalid_text_value);
    }
    const std::string ok = from_hex("00000001000000000000000a0000000000000014000000000000000e");
    CHECK(decode_binary<pg_snapshot>(ok, oids::pg_snapshot) == pg_snapshot{10, 20, {14}});
    CHECK(binary_error<pg_snapshot>(ok.substr(0, ok.size() - 1), oids::pg_snapshot) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<pg_snapshot>(ok + '\0', oids::pg_snapshot) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<pg_snapshot>(std::string("\xff\xff\xff\xff", 4) + ok.substr(4),
                                    oids::pg_snapshot) == client_errc::invalid_binary_length);
    CHECK(binary_error<pg_snapshot>(std::string("\x7f\xff\xff\xff", 4) + ok.substr(4),
                                    oids::pg_snapshot) == client_errc::invalid_binary_length);
    CHECK(binary_error<pg_snapshot>(ok.substr(0, 19), oids::pg_snapshot) ==
          client_errc::invalid_binary_length);
    CHECK(binary_error<pg_snapshot>(from_hex("000000010000000000000014000000000000000a"
                                             "000000000000000e"),
                                    oids::pg_snapshot) == client_errc::value_out_of_range);
}

TEST_CASE("tid, int2vector, oidvector, pg_snapshot: arrays with NULL elements") {
    const std::vector<std::optional<tid>> tids{tid{0, 1}, std::nullopt};
    CHECK(decode_binary<std::vector<std::optional<tid>>>(encode_binary(tids), oids::tid_array) ==
          tids);
    CHECK(encode_text(tids) == "{\"(0,1)\",NULL}");
    const std::vector<std::optional<int2vector>> vs{int2vector{{1, 2}}, std::nullopt};
    CHECK(decode_binary<std::vector<std::optional<int2vector>>>(encode_binary(vs),
                                                                oids::int2vector_array) == vs);
    CHECK(encode_text(vs) == "{\"1 2\",NULL}");
    const std::vector<pg_snapshot> snaps{{10, 20, {14}}};
    CHECK(decode_binary<std::vector<pg_snapshot>>(encode_binary(snaps), oids::pg_snapshot_array) ==
          snaps);
    CHECK(decode_text<std::vector<pg_snapshot>>("{10:20:14}", oids::txid_snapshot_array) == snaps);
    CHECK(types::codec<std::vector<oidvector>>::type_oid == oids::oidvector_array);
}
