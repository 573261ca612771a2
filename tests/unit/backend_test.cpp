#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/error.hpp>

#include "support/bytes.hpp"
#include "support/seed_corpus.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace std::literals;
using namespace pgasio::protocol;
using pgasio::test::to_bytes;
using pgasio::test::to_string;

namespace {

// Decodes `body` as a message of `type` through the generic entry point, recording the whole
// framed message as a fuzz seed (after fuzz_backend's first byte, which picks a chunk size).
boost::system::result<backend_message> decode(char type, std::string_view body) {
    pgasio::test::record_seed("fuzz_backend", to_bytes("\x07" + pgasio::test::framed(type, body)));
    static std::vector<std::byte> storage;
    storage = to_bytes(body);
    return decode_backend_message({static_cast<backend_message_type>(type), storage});
}

template <class T>
T get(const boost::system::result<backend_message>& r) {
    REQUIRE(r.has_value());
    REQUIRE(std::holds_alternative<T>(*r));
    return std::get<T>(*r);
}

} // namespace

TEST_CASE("backend: Authentication requests") {
    CHECK(get<authentication_view>(decode('R', "\0\0\0\0"sv)).kind == auth_kind::ok);
    CHECK(get<authentication_view>(decode('R', "\0\0\0\x03"sv)).kind ==
          auth_kind::cleartext_password);

    const auto md5 = get<authentication_view>(decode('R', "\0\0\0\x05\x01\x02\x03\x04"sv));
    CHECK(md5.kind == auth_kind::md5_password);
    CHECK(to_string(md5.md5_salt) == "\x01\x02\x03\x04");

    const auto sasl =
        get<authentication_view>(decode('R', "\0\0\0\x0aSCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"sv));
    CHECK(sasl.kind == auth_kind::sasl);
    std::vector<std::string_view> mechs(sasl.sasl_mechanisms.begin(), sasl.sasl_mechanisms.end());
    CHECK(mechs == std::vector<std::string_view>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"});
    CHECK(sasl.sasl_mechanisms.contains("SCRAM-SHA-256"));
    CHECK(!sasl.sasl_mechanisms.contains("SCRAM-SHA-1"));

    const auto cont = get<authentication_view>(decode('R', "\0\0\0\x0br=abc,s=xyz,i=4096"sv));
    CHECK(cont.kind == auth_kind::sasl_continue);
    CHECK(to_string(cont.sasl_data) == "r=abc,s=xyz,i=4096");
    const auto fin = get<authentication_view>(decode('R', "\0\0\0\x0cv=sig"sv));
    CHECK(fin.kind == auth_kind::sasl_final);
    CHECK(to_string(fin.sasl_data) == "v=sig");

    // Methods pgasio does not implement still decode, so the caller can name them.
    const auto gss = get<authentication_view>(decode('R', "\0\0\0\x07"sv));
    CHECK(auth_kind_name(gss.kind) == "GSSAPI");
    CHECK(auth_kind_name(get<authentication_view>(decode('R', "\0\0\0\x09"sv)).kind) == "SSPI");
}

TEST_CASE("backend: malformed Authentication requests") {
    CHECK(decode('R', "\0\0\0"sv).error() == client_errc::truncated_message);
    CHECK(decode('R', "\0\0\0\x63"sv).error() == client_errc::invalid_field_value);
    CHECK(decode('R', "\0\0\0\0\0"sv).error() == client_errc::trailing_bytes);
    CHECK(decode('R', "\0\0\0\x05\x01\x02"sv).error() == client_errc::truncated_message);
    CHECK(decode('R', "\0\0\0\x0aSCRAM-SHA-256"sv).error() == client_errc::missing_terminator);
    // The list's final empty string (its terminator) is missing.
    CHECK(decode('R', "\0\0\0\x0aSCRAM-SHA-256\0"sv).error() == client_errc::missing_terminator);
    CHECK(decode('R', "\0\0\0\x0a\0"sv).error() ==
          client_errc::invalid_field_value); // no mechanism
}

TEST_CASE("backend: BackendKeyData for protocol 3.0 and 3.2") {
    const auto k = get<backend_key_data_view>(decode('K', "\0\0\x10\x92\x01\x02\x03\x04"sv));
    CHECK(k.process_id == 4242);
    CHECK(to_string(k.secret_key) == "\x01\x02\x03\x04");
    const std::string long_key(32, 'k');
    CHECK(get<backend_key_data_view>(decode('K', "\0\0\0\x01"s + long_key)).secret_key.size() ==
          32);
    CHECK(decode('K', "\0\0\0\x01\x01\x02"sv).error() == client_errc::invalid_field_value);
    CHECK(decode('K', "\0\0\0\x01"s + std::string(257, 'k')).error() ==
          client_errc::invalid_field_value);
    CHECK(decode('K', "\0\0"sv).error() == client_errc::truncated_message);
}

TEST_CASE("backend: ParameterStatus, ReadyForQuery, NegotiateProtocolVersion") {
    const auto p = get<parameter_status_view>(decode('S', "TimeZone\0UTC\0"sv));
    CHECK(p.name == "TimeZone");
    CHECK(p.value == "UTC");
    CHECK(decode('S', "TimeZone\0UTC"sv).error() == client_errc::missing_terminator);
    CHECK(decode('S', "TimeZone\0UTC\0x"sv).error() == client_errc::trailing_bytes);

    CHECK(get<transaction_status>(decode('Z', "I"sv)) == transaction_status::idle);
    CHECK(get<transaction_status>(decode('Z', "T"sv)) == transaction_status::in_transaction);
    CHECK(get<transaction_status>(decode('Z', "E"sv)) == transaction_status::failed);
    CHECK(decode('Z', "X"sv).error() == client_errc::invalid_field_value);
    CHECK(decode('Z', ""sv).error() == client_errc::truncated_message);
    CHECK(decode('Z', "II"sv).error() == client_errc::trailing_bytes);

    const auto n =
        get<negotiate_protocol_version_view>(decode('v', "\0\0\0\0\0\0\0\x02_pq_.a\0_pq_.b\0"sv));
    CHECK(n.newest_minor_version == 0);
    CHECK(n.unrecognized_option_count == 2);
    CHECK(to_string(n.unrecognized_options) == "_pq_.a\0_pq_.b\0"s);
    CHECK(decode('v', "\0\0\0\0\0\0\0\x03_pq_.a\0"sv).error() == client_errc::missing_terminator);
    CHECK(decode('v', "\0\0\0\0\xff\xff\xff\xff"sv).error() == client_errc::invalid_field_value);
}

TEST_CASE("backend: RowDescription") {
    const auto body = "\0\x02"
                      "id\0\0\0\x40\x01\0\x01\0\0\0\x17\0\x04\xff\xff\xff\xff\0\x01"
                      "name\0\0\0\0\0\0\0\0\0\0\x19\xff\xff\0\0\0\x44\0\0"sv;
    const auto rd = get<row_description_view>(decode('T', body));
    REQUIRE(rd.size() == 2);
    std::vector<column_description> cols(rd.begin(), rd.end());
    REQUIRE(cols.size() == 2);
    CHECK(cols[0].name == "id");
    CHECK(cols[0].table_oid == 0x4001);
    CHECK(cols[0].column_number == 1);
    CHECK(cols[0].type_oid == 23);
    CHECK(cols[0].type_size == 4);
    CHECK(cols[0].type_modifier == -1);
    CHECK(cols[0].format == format_code::binary);
    CHECK(cols[1].name == "name");
    CHECK(cols[1].type_oid == 25);
    CHECK(cols[1].type_size == -1);
    CHECK(cols[1].type_modifier == 0x44);
    CHECK(cols[1].format == format_code::text);

    CHECK(get<row_description_view>(decode('T', "\0\0"sv)).size() == 0);
    CHECK(decode('T', "\xff\xff"sv).error() == client_errc::invalid_field_value);
    CHECK(decode('T', "\0\x01id\0\0\0"sv).error() == client_errc::truncated_message);
    CHECK(decode('T', "\0\x01id"sv).error() == client_errc::missing_terminator);
    // Format code 2 does not exist.
    CHECK(decode('T', "\0\x01x\0\0\0\0\0\0\0\0\0\0\x17\0\x04\xff\xff\xff\xff\0\x02"sv).error() ==
          client_errc::invalid_field_value);
    // Two columns announced, one present.
    CHECK(decode('T', "\0\x02x\0\0\0\0\0\0\0\0\0\0\x17\0\x04\xff\xff\xff\xff\0\x01"sv).error() ==
          client_errc::missing_terminator);
}

TEST_CASE("backend: DataRow values, NULL and empty") {
    const auto row =
        get<data_row_view>(decode('D', "\0\x03\0\0\0\x02hi\xff\xff\xff\xff\0\0\0\0"sv));
    REQUIRE(row.size() == 3);
    std::vector<std::optional<std::span<const std::byte>>> values(row.begin(), row.end());
    REQUIRE(values.size() == 3);
    REQUIRE(values[0]);
    CHECK(to_string(*values[0]) == "hi");
    CHECK(!values[1]);
    REQUIRE(values[2]);
    CHECK(values[2]->empty());
}

TEST_CASE("backend: malformed DataRow") {
    CHECK(decode('D', "\xff\xff"sv).error() == client_errc::invalid_field_value);
    CHECK(decode('D', "\0\x01\xff\xff\xff\xfe"sv).error() == client_errc::invalid_field_value);
    CHECK(decode('D', "\0\x01\0\0\0\x05hi"sv).error() == client_errc::truncated_message);
    CHECK(decode('D', "\0\x02\0\0\0\x02hi"sv).error() == client_errc::truncated_message);
    CHECK(decode('D', "\0\x01\0\0\0\x02hi!"sv).error() == client_errc::trailing_bytes);
    // A value length near INT32_MAX must not be trusted (no overflow, no huge read).
    CHECK(decode('D', "\0\x01\x7f\xff\xff\xff"sv).error() == client_errc::truncated_message);
}

TEST_CASE("backend: CommandComplete tags and row counts") {
    auto tag = [](std::string_view body) { return get<command_complete_view>(decode('C', body)); };
    CHECK(tag("INSERT 0 5\0"sv).rows() == 5u);
    CHECK(tag("INSERT 0 5\0"sv).command() == "INSERT");
    CHECK(tag("UPDATE 3\0"sv).rows() == 3u);
    CHECK(tag("DELETE 0\0"sv).rows() == 0u);
    CHECK(tag("SELECT 18446744073709551615\0"sv).rows() == 18446744073709551615u);
    CHECK(tag("MERGE 2\0"sv).rows() == 2u);
    CHECK(tag("COPY 1000000\0"sv).rows() == 1000000u);
    CHECK(tag("FETCH 10\0"sv).rows() == 10u);
    CHECK(tag("MOVE 4\0"sv).rows() == 4u);
    CHECK(tag("CREATE TABLE\0"sv).command() == "CREATE TABLE");
    CHECK(!tag("CREATE TABLE\0"sv).rows());
    CHECK(!tag("SELECT\0"sv).rows());
    CHECK(!tag("SELECT 99999999999999999999\0"sv).rows()); // overflows uint64
    CHECK(!tag("INSERT 5\0"sv).rows());
    CHECK(decode('C', "SELECT 1"sv).error() == client_errc::missing_terminator);
}

TEST_CASE("backend: ParameterDescription") {
    const auto pd = get<parameter_description_view>(decode('t', "\0\x02\0\0\0\x17\0\0\x0b\xb8"sv));
    REQUIRE(pd.size() == 2);
    CHECK(pd[0] == 23);
    CHECK(pd[1] == 3000);
    CHECK(decode('t', "\0\x02\0\0\0\x17"sv).error() == client_errc::truncated_message);
    CHECK(decode('t', "\x80\0"sv).error() == client_errc::invalid_field_value);
}

TEST_CASE("backend: ErrorResponse and NoticeResponse fields") {
    const auto body = "SERROR\0VERROR\0C42P01\0Mrelation \"x\" does not exist\0P15\0Z?\0\0"sv;
    const auto e = get<error_response>(decode('E', body));
    std::vector<char> codes;
    for (auto f : e.fields)
        codes.push_back(f.code);
    CHECK(codes == std::vector<char>{'S', 'V', 'C', 'M', 'P', 'Z'});
    CHECK(e.fields.find('C') == "42P01"sv);
    CHECK(e.fields.find('M') == "relation \"x\" does not exist"sv);
    CHECK(!e.fields.find('D'));
    CHECK(get<notice_response>(decode('N', "SNOTICE\0\0"sv)).fields.find('S') == "NOTICE"sv);
    const auto no_fields = get<error_response>(decode('E', "\0"sv)).fields;
    CHECK(no_fields.begin() == no_fields.end());
    CHECK(decode('E', "SERROR\0"sv).error() == client_errc::truncated_message);
    CHECK(decode('E', "SERROR"sv).error() == client_errc::missing_terminator);
    CHECK(decode('E', "\0x"sv).error() == client_errc::trailing_bytes);
    CHECK(decode('E', ""sv).error() == client_errc::truncated_message);
}

TEST_CASE("backend: NotificationResponse") {
    const auto n = get<notification_view>(decode('A', "\0\0\x01\x00jobs\0{\"id\":1}\0"sv));
    CHECK(n.process_id == 256);
    CHECK(n.channel == "jobs");
    CHECK(n.payload == "{\"id\":1}");
    CHECK(decode('A', "\0\0\x01\x00jobs\0"sv).error() == client_errc::missing_terminator);
}

TEST_CASE("backend: COPY responses and data") {
    const auto in = get<copy_in_response>(decode('G', "\0\0\x02\0\0\0\0"sv)).response;
    CHECK(in.format == format_code::text);
    CHECK(in.column_count == 2);
    CHECK(in.column_format(1) == format_code::text);
    const auto out = get<copy_out_response>(decode('H', "\x01\0\x01\0\x01"sv)).response;
    CHECK(out.format == format_code::binary);
    CHECK(out.column_format(0) == format_code::binary);
    CHECK(get<copy_both_response>(decode('W', "\0\0\0"sv)).response.column_count == 0);
    CHECK(to_string(get<copy_data>(decode('d', "a\tb\n"sv)).data) == "a\tb\n");
    CHECK(decode('G', "\x02\0\0"sv).error() == client_errc::invalid_field_value);
    CHECK(decode('G', "\0\0\x01\0\x01"sv).error() ==
          client_errc::invalid_field_value); // text with a binary column
    CHECK(decode('G', "\x01\0\x02\0\x01"sv).error() == client_errc::truncated_message);
}

TEST_CASE("backend: messages without a body") {
    CHECK(std::holds_alternative<parse_complete>(*decode('1', ""sv)));
    CHECK(std::holds_alternative<bind_complete>(*decode('2', ""sv)));
    CHECK(std::holds_alternative<close_complete>(*decode('3', ""sv)));
    CHECK(std::holds_alternative<no_data>(*decode('n', ""sv)));
    CHECK(std::holds_alternative<empty_query_response>(*decode('I', ""sv)));
    CHECK(std::holds_alternative<portal_suspended>(*decode('s', ""sv)));
    CHECK(std::holds_alternative<copy_done>(*decode('c', ""sv)));
    CHECK(decode('1', "x"sv).error() == client_errc::invalid_message_length);
    CHECK(decode('c', "x"sv).error() == client_errc::invalid_message_length);
}

TEST_CASE("backend: message names are the protocol documentation's") {
    CHECK(std::string_view(backend_message_name(backend_message_type::row_description)) ==
          "RowDescription");
    CHECK(std::string_view(backend_message_name(backend_message_type::data_row)) == "DataRow");
    CHECK(std::string_view(backend_message_name(static_cast<backend_message_type>('x'))) ==
          "unknown");
}
