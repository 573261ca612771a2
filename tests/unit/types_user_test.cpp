// The codecs of user-defined types (enums, composites, hstore) without a server: their forms,
// and malformed input refused with a clear error.
#include "support/codec_check.hpp"

#include <pgasio/composite.hpp>
#include <pgasio/described_enum.hpp>
#include <pgasio/detail/current_types.hpp>
#include <pgasio/hstore.hpp>
#include <pgasio/type_registry.hpp>

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/array.hpp>
#include <pgasio/protocol/types/integral.hpp>
#include <pgasio/protocol/types/string.hpp>

#include <boost/describe/class.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace pgasio;
using namespace pgasio::test;
using namespace std::string_literals;
using protocol::client_errc;
namespace oids = protocol::oids;

namespace {

enum class unit_mood { sad, ok, happy };
BOOST_DESCRIBE_ENUM(unit_mood, sad, ok, happy)

struct unit_point {
    std::int32_t x = 0;
    std::optional<std::string> label;
    friend bool operator==(const unit_point&, const unit_point&) = default;
};
BOOST_DESCRIBE_STRUCT(unit_point, (), (x, label))

struct unit_pair {
    std::int32_t a = 0;
    std::string b;
    friend bool operator==(const unit_pair&, const unit_pair&) = default;
};

using unit_row = std::tuple<std::int32_t, std::optional<std::string>>;

// OIDs as a database would give them.
constexpr protocol::oid mood_oid = 16400;
constexpr protocol::oid mood_array_oid = 16399;
constexpr protocol::oid point_oid = 16410;
constexpr protocol::oid hstore_oid = 16420;

std::shared_ptr<type_registry> registry() {
    auto r = std::make_shared<type_registry>();
    user_type mood;
    mood.oid = mood_oid;
    mood.schema = "public";
    mood.name = "unit_mood";
    mood.kind = user_type_kind::enumeration;
    mood.array_oid = mood_array_oid;
    mood.labels = {"sad", "ok", "happy"};
    r->add(mood, std::vector<std::string>{"unit_mood"});
    user_type moods;
    moods.oid = mood_array_oid;
    moods.schema = "public";
    moods.name = "_unit_mood";
    moods.kind = user_type_kind::array;
    moods.element_oid = mood_oid;
    r->add(moods);
    user_type point;
    point.oid = point_oid;
    point.schema = "public";
    point.name = "unit_point";
    point.kind = user_type_kind::composite;
    // The attributes in another order than the C++ members: matched by name.
    point.attributes = {{"label", oids::text}, {"x", oids::int4}};
    r->add(point, std::vector<std::string>{"unit_point"});
    user_type hs;
    hs.oid = hstore_oid;
    hs.schema = "public";
    hs.name = "hstore";
    hs.kind = user_type_kind::base;
    r->add(hs, std::vector<std::string>{"hstore"});
    return r;
}

// The binary form of a record of (type, value or NULL) fields.
std::string record(std::vector<std::pair<protocol::oid, std::optional<std::string>>> fields) {
    protocol::write_buffer out;
    out.put_i32(static_cast<std::int32_t>(fields.size()));
    for (const auto& [t, v] : fields) {
        out.put_u32(t);
        if (!v) {
            out.put_i32(-1);
            continue;
        }
        out.put_i32(static_cast<std::int32_t>(v->size()));
        out.put_string(*v);
    }
    return to_string(out.data());
}

// Records `bytes` as a seed of fuzz_user_types for the decoder `selector`.
void seed(std::uint8_t selector, std::string_view bytes) {
    std::string input(1, static_cast<char>(selector));
    input += bytes;
    record_seed("fuzz_user_types", to_bytes(input));
}

} // namespace

template <>
inline constexpr bool pgasio::is_composite_v<unit_point> = true;
template <>
inline constexpr bool pgasio::is_composite_v<unit_pair> = true;
template <>
inline constexpr bool pgasio::is_composite_v<unit_row> = true;

TEST_CASE("user types: an enum reads and writes its labels, refuses one it lacks") {
    const auto types = registry();
    const detail::type_scope scope(types.get());
    CHECK(decode_binary<unit_mood>("happy", mood_oid) == unit_mood::happy);
    CHECK(decode_text<unit_mood>("sad", mood_oid) == unit_mood::sad);
    CHECK(encode_binary(unit_mood::ok) == "ok");
    CHECK(encode_text(unit_mood::ok) == "ok");
    // A label the C++ enum lacks: the detail names it.
    (void)detail::take_decode_detail();
    CHECK(binary_error<unit_mood>("excited", mood_oid) == client_errc::invalid_text_value);
    const std::string detail = detail::take_decode_detail();
    CHECK(detail.find("\"excited\"") != std::string::npos);
    CHECK(detail.find("public.unit_mood") != std::string::npos);
    // A value that is no enumerator is not sent.
    CHECK(binary_encode_error(static_cast<unit_mood>(7)) == client_errc::value_out_of_range);
    // Only a loaded enum type: not text, not a composite, not an unknown OID.
    CHECK_FALSE(protocol::types::codec<unit_mood>::accepts(oids::text));
    CHECK_FALSE(protocol::types::codec<unit_mood>::accepts(point_oid));
    CHECK_FALSE(protocol::types::codec<unit_mood>::accepts(16999));
    // Arrays: the element type comes from the registry.
    const std::vector<std::optional<unit_mood>> moods{unit_mood::sad, std::nullopt};
    CHECK(decode_text<std::vector<std::optional<unit_mood>>>("{sad,NULL}", mood_array_oid) ==
          moods);
    seed(0, "happy");
}

TEST_CASE("user types: an enum is refused without a registry, and a registered one by OID") {
    CHECK_FALSE(protocol::types::codec<unit_mood>::accepts(mood_oid));
    const auto types = registry();
    types->register_type<unit_mood>("unit_mood");
    const detail::type_scope scope(types.get());
    CHECK(protocol::types::codec<unit_mood>::runtime_type_oid() == mood_oid);
    // An array of a registered enum carries its element type (array_recv checks it).
    const std::vector<unit_mood> moods{unit_mood::happy};
    const std::string bytes = encode_binary(moods);
    REQUIRE(bytes.size() >= 12);
    CHECK(bytes.substr(8, 4) == "\x00\x00\x40\x10"s); // 16400
}

TEST_CASE("user types: a described struct matches attributes by name") {
    const auto types = registry();
    const detail::type_scope scope(types.get());
    // Attribute order: label, x.
    const std::string bytes = record({{oids::text, "here"}, {oids::int4, "\x00\x00\x00\x2a"s}});
    CHECK(decode_binary<unit_point>(bytes, point_oid) == unit_point{42, "here"});
    const std::string null_label = record({{oids::text, std::nullopt}, {oids::int4, "\0\0\0\1"s}});
    CHECK(decode_binary<unit_point>(null_label, point_oid) == unit_point{1, std::nullopt});
    // x NULL into std::int32_t.
    CHECK(binary_error<unit_point>(record({{oids::text, "a"}, {oids::int4, std::nullopt}}),
                                   point_oid) == client_errc::unexpected_null);
    // Text: record_out's form, attributes by the loaded layout.
    CHECK(decode_text<unit_point>("(\"a \"\"b\"\"\",7)", point_oid) == unit_point{7, "a \"b\""});
    CHECK(decode_text<unit_point>("(,7)", point_oid) == unit_point{7, std::nullopt});
    // Not registered: it cannot be sent (the C++ type does not say which composite it is).
    CHECK(binary_encode_error(unit_point{1, "a"}) == client_errc::unknown_type);
    seed(2, bytes);
}

TEST_CASE("user types: a registered struct is sent in its attributes' order and types") {
    const auto types = registry();
    types->register_type<unit_point>("unit_point");
    const detail::type_scope scope(types.get());
    CHECK(encode_binary(unit_point{42, "here"}) ==
          record({{oids::text, "here"}, {oids::int4, "\x00\x00\x00\x2a"s}}));
    CHECK(encode_binary(unit_point{1, std::nullopt}) ==
          record({{oids::text, std::nullopt}, {oids::int4, "\0\0\0\1"s}}));
    // So is its text form, as record_out writes it and decode_text reads it back.
    CHECK(encode_text(unit_point{1, "a b"}) == "(\"a b\",1)");
    CHECK(decode_text<unit_point>("(\"a b\",1)", point_oid) == unit_point{1, "a b"});
}

TEST_CASE("user types: a changed composite is reported, named, and marked for reload") {
    const auto types = registry();
    const detail::type_scope scope(types.get());
    (void)detail::take_decode_detail();
    // An attribute added since the load.
    const std::string three =
        record({{oids::text, "a"}, {oids::int4, "\0\0\0\1"s}, {oids::int4, "\0\0\0\2"s}});
    CHECK(binary_error<unit_point>(three, point_oid) == client_errc::type_changed);
    CHECK(detail::take_decode_detail().find("public.unit_point") != std::string::npos);
    const auto pending = types->pending_names();
    CHECK(std::find(pending.begin(), pending.end(), "public.unit_point") != pending.end());
    // An attribute whose type changed.
    CHECK(binary_error<unit_point>(record({{oids::int4, "\0\0\0\1"s}, {oids::int4, "\0\0\0\1"s}}),
                                   point_oid) == client_errc::type_changed);
}

TEST_CASE("user types: tuples and aggregates match by position, anonymous records too") {
    const std::string bytes = record({{oids::int4, "\0\0\0\5"s}, {oids::text, "x"}});
    // No registry needed for `record` (ROW(5, 'x')).
    CHECK(decode_binary<unit_row>(bytes, oids::record) == unit_row{5, "x"});
    CHECK(decode_binary<unit_pair>(bytes, oids::record) == unit_pair{5, "x"});
    CHECK(encode_binary(unit_pair{5, "x"}) == bytes);
    CHECK(encode_text(unit_row{5, std::nullopt}) == "(5,)");
    CHECK(decode_text<unit_row>("(5,)", oids::record) == unit_row{5, std::nullopt});
    CHECK(decode_text<unit_row>("(5,\"\")", oids::record) == unit_row{5, ""});
    // Field count and field types must fit.
    CHECK(binary_error<unit_row>(record({{oids::int4, "\0\0\0\5"s}}), oids::record) ==
          client_errc::type_mismatch);
    CHECK(binary_error<unit_row>(record({{oids::text, "a"}, {oids::text, "x"}}), oids::record) ==
          client_errc::type_mismatch);
    // A described struct needs the layout's names: not an anonymous record.
    CHECK_FALSE(protocol::types::codec<unit_point>::accepts(oids::record));
    seed(3, bytes);
}

TEST_CASE("user types: malformed records are refused, never read past their bytes") {
    const auto bad = [](std::string_view in) { return binary_error<unit_row>(in, oids::record); };
    CHECK(bad("") == client_errc::invalid_binary_length);
    CHECK(bad("\xff\xff\xff\xff"s) == client_errc::invalid_binary_length); // negative count
    CHECK(bad("\x7f\xff\xff\xff"s) == client_errc::invalid_binary_length); // count beyond bytes
    // A field length beyond the bytes, and below -1.
    CHECK(bad("\0\0\0\1\0\0\0\x17\0\0\0\x08\0\0\0\0"s) == client_errc::invalid_binary_length);
    CHECK(bad("\0\0\0\1\0\0\0\x17\xff\xff\xff\xfe"s) == client_errc::invalid_binary_length);
    // Bytes after the last field.
    CHECK(bad(record({{oids::int4, "\0\0\0\5"s}, {oids::text, "x"}}) + "z") ==
          client_errc::invalid_binary_length);
    // A value of the wrong size for its type: the field's codec says so.
    CHECK(bad(record({{oids::int4, "\0\0\5"s}, {oids::text, "x"}})) ==
          client_errc::invalid_binary_length);
    const auto bad_text = [](std::string_view in) {
        return text_error<unit_row>(in, oids::record);
    };
    CHECK(bad_text("") == client_errc::invalid_text_value);
    CHECK(bad_text("5,x") == client_errc::invalid_text_value);
    CHECK(bad_text("(5,\"x)") == client_errc::invalid_text_value);
    CHECK(bad_text("(5,x") == client_errc::invalid_text_value);
    CHECK(bad_text("(5,x) z") == client_errc::invalid_text_value);
    CHECK(bad_text("(5,x\\") == client_errc::invalid_text_value);
    CHECK(bad_text("(z,x)") == client_errc::invalid_text_value);
}

TEST_CASE("user types: hstore in hstore_send's form and hstore_out's") {
    const auto types = registry();
    const detail::type_scope scope(types.get());
    const hstore h{{{"a", "1"}, {"b", std::nullopt}}};
    // hstore_send('a=>1, b=>NULL'): the integration test compares with the server's bytes.
    const std::string bytes = "\0\0\0\2\0\0\0\1a\0\0\0\1"
                              "1\0\0\0\1b\xff\xff\xff\xff"s;
    CHECK(encode_binary(h) == bytes);
    CHECK(decode_binary<hstore>(bytes, hstore_oid) == h);
    CHECK(encode_text(h) == R"("a"=>"1", "b"=>NULL)");
    CHECK(decode_text<hstore>(R"("a"=>"1", "b"=>NULL)", hstore_oid) == h);
    // Escapes, unquoted forms, "NULL" quoted is a string.
    const hstore odd{{{"k \"q\"", "back\\slash"}, {"n", "NULL"}, {"u", "v"}}};
    CHECK(encode_text(odd) == R"("k \"q\""=>"back\\slash", "n"=>"NULL", "u"=>"v")");
    CHECK(decode_text<hstore>(encode_text(odd), hstore_oid) == odd);
    CHECK(decode_text<hstore>("u=>v, n=>\"NULL\", \"k \\\"q\\\"\"=>\"back\\\\slash\"",
                              hstore_oid) == odd);
    CHECK(decode_text<hstore>("", hstore_oid) == hstore{});
    CHECK(decode_text<hstore>("a=>null", hstore_oid) == hstore{{{"a", std::nullopt}}});
    CHECK(protocol::types::codec<hstore>::accepts(hstore_oid));
    CHECK_FALSE(protocol::types::codec<hstore>::accepts(oids::text));
    CHECK(protocol::types::codec<hstore>::runtime_type_oid() == hstore_oid);
    seed(1, bytes);
}

TEST_CASE("user types: malformed hstore values are refused") {
    const auto bad = [](std::string_view in) {
        hstore h;
        return detail::decode_hstore(to_bytes(in), h);
    };
    CHECK(bad("") == client_errc::invalid_binary_length);
    CHECK(bad("\xff\xff\xff\xff"s) == client_errc::invalid_binary_length);
    CHECK(bad("\x7f\xff\xff\xff"s) == client_errc::invalid_binary_length);
    CHECK(bad("\0\0\0\1\0\0\0\5ab\0\0\0\0"s) == client_errc::invalid_binary_length);
    CHECK(bad("\0\0\0\1\xff\xff\xff\xff\0\0\0\0"s) == client_errc::invalid_text_value); // NULL key
    CHECK(bad("\0\0\0\1\0\0\0\1a\xff\xff\xff\xfe"s) == client_errc::invalid_binary_length);
    CHECK(bad("\0\0\0\2\0\0\0\1a\xff\xff\xff\xff\0\0\0\1a\xff\xff\xff\xff"s) ==
          client_errc::invalid_text_value); // a key twice
    CHECK(bad("\0\0\0\0z"s) == client_errc::invalid_binary_length);
    const auto bad_text = [](std::string_view in) {
        hstore h;
        return detail::decode_hstore_text(in, h);
    };
    CHECK(bad_text("a") == client_errc::invalid_text_value);
    CHECK(bad_text("a=>") == client_errc::invalid_text_value);
    CHECK(bad_text("\"a=>b") == client_errc::invalid_text_value);
    CHECK(bad_text("a=>b c=>d") == client_errc::invalid_text_value);
    CHECK(bad_text("a=>b,") == client_errc::invalid_text_value);
    CHECK(bad_text("a=>\"b\\") == client_errc::invalid_text_value);
}
