#include <pgasio/detail/owned_param.hpp>
#include <pgasio/params.hpp>
#include <pgasio/value.hpp>

#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/oids.hpp>

#include "support/bytes.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

using namespace std::literals;
using namespace pgasio;
using pgasio::test::to_string;
namespace oids = pgasio::protocol::oids;
using protocol::format_code;

namespace {

const format_code binary[] = {format_code::binary};

// The whole Bind message for these parameters (unnamed portal and statement, all binary).
template <class... P>
std::string bind_message(const P&... params) {
    protocol::write_buffer buf;
    const std::size_t n = detail::param_count(params...);
    // No parameter formats without parameters: the protocol counts them against the parameters.
    const std::span<const format_code> formats(binary, n == 0 ? 0 : 1);
    protocol::bind_writer bind(buf, "", "", formats, n);
    detail::write_params(bind, params...);
    REQUIRE(!bind.finish(binary));
    return to_string(buf.data());
}

// The parameter values of that message: its bytes after the header ('B', length, portal,
// statement, one format, the count) and before the result formats.
template <class... P>
std::string values_of(const P&... params) {
    const std::string m = bind_message(params...);
    REQUIRE(m.size() >= 17);
    CHECK(m.substr(0, 1) == "B");
    CHECK(m.substr(5, 6) == "\0\0\0\x01\0\x01"sv);
    CHECK(m.substr(m.size() - 4) == "\0\x01\0\x01"sv);
    return m.substr(13, m.size() - 17);
}

} // namespace

TEST_CASE("params: param_types from the C++ types") {
    constexpr auto t =
        detail::param_types<std::int16_t, int, std::int64_t, double, float, bool, const char*,
                            char[3], std::string, std::string_view, std::optional<double>,
                            std::nullopt_t, std::vector<std::string>, std::span<const std::int64_t>,
                            std::span<const std::byte>, protocol::uuid>();
    CHECK(t == std::array<protocol::oid, 16>{
                   oids::int2, oids::int4, oids::int8, oids::float8, oids::float4, oids::bool_,
                   oids::text, oids::text, oids::text, oids::text, oids::float8, 0,
                   oids::text_array, oids::int8_array, oids::bytea, oids::uuid});
    CHECK(detail::param_types<>().empty());
    static_assert(detail::has_static_param_types_v<int, std::optional<std::string>>);
    static_assert(!detail::has_static_param_types_v<int, value>);
    static_assert(!detail::has_static_param_types_v<std::vector<value>>);
}

TEST_CASE("params: a whole Bind message") {
    CHECK(bind_message(std::int32_t{42}, "ab") == "B\0\0\0\x1e\0\0\0\x01\0\x01\0\x02"
                                                  "\0\0\0\x04\0\0\0\x2a"
                                                  "\0\0\0\x02"
                                                  "ab"
                                                  "\0\x01\0\x01"sv);
    CHECK(bind_message() == "B\0\0\0\x0e\0\0\0\0\0\0\0\x01\0\x01"sv);
    CHECK(bind_message(std::vector<value>{}) == bind_message());
}

TEST_CASE("params: golden bytes of each C++ type") {
    CHECK(values_of(std::int16_t{5}) == "\0\0\0\x02\0\x05"sv);
    CHECK(values_of(42) == "\0\0\0\x04\0\0\0\x2a"sv);
    CHECK(values_of(-2LL) == "\0\0\0\x08\xff\xff\xff\xff\xff\xff\xff\xfe"sv); // long long
    CHECK(detail::param_types<long long, std::optional<long long>>() ==
          std::array<protocol::oid, 2>{oids::int8, oids::int8});
    CHECK(values_of(std::int64_t{-1}) == "\0\0\0\x08\xff\xff\xff\xff\xff\xff\xff\xff"sv);
    CHECK(values_of(1.0) == "\0\0\0\x08\x3f\xf0\0\0\0\0\0\0"sv);
    CHECK(values_of(-2.0f) == "\0\0\0\x04\xc0\0\0\0"sv);
    CHECK(values_of(true, false) == "\0\0\0\x01\x01\0\0\0\x01\0"sv);
    CHECK(values_of(std::string("ab")) == "\0\0\0\x02"
                                          "ab"sv);
    CHECK(values_of("ab"sv) == "\0\0\0\x02"
                               "ab"sv);
    CHECK(values_of("hi") == "\0\0\0\x02"
                             "hi"sv);
    const char* c = "xyz";
    CHECK(values_of(c) == "\0\0\0\x03"
                          "xyz"sv);
    CHECK(values_of(static_cast<const char*>(nullptr)) == "\xff\xff\xff\xff"sv);
    CHECK(values_of(std::string()) == "\0\0\0\0"sv); // empty, not NULL
    const std::byte blob[] = {std::byte{0}, std::byte{0xfe}};
    CHECK(values_of(std::span<const std::byte>(blob)) == "\0\0\0\x02\0\xfe"sv);
    CHECK(values_of(std::vector<std::byte>(blob, blob + 2)) == "\0\0\0\x02\0\xfe"sv);
}

TEST_CASE("params: optional and nullopt") {
    CHECK(values_of(std::optional<std::int32_t>()) == "\xff\xff\xff\xff"sv);
    CHECK(values_of(std::optional<std::int32_t>(7)) == "\0\0\0\x04\0\0\0\x07"sv);
    CHECK(values_of(std::nullopt) == "\xff\xff\xff\xff"sv);
    CHECK(detail::param_types_of(std::optional<std::int32_t>(), std::nullopt) ==
          std::array<protocol::oid, 2>{oids::int4, 0});
}

TEST_CASE("params: vectors and spans are arrays") {
    const auto int4_array = "\0\0\0\x24"           // length 36
                            "\0\0\0\x01"           // one dimension
                            "\0\0\0\0"             // no NULL
                            "\0\0\0\x17"           // of int4
                            "\0\0\0\x02\0\0\0\x01" // 2 elements from 1
                            "\0\0\0\x04\0\0\0\x01"
                            "\0\0\0\x04\0\0\0\x02"sv;
    const std::vector<std::int32_t> v{1, 2};
    CHECK(values_of(v) == int4_array);
    CHECK(values_of(std::span<const std::int32_t>(v)) == int4_array);
    const std::array<std::int32_t, 2> a{1, 2};
    CHECK(values_of(std::span(a)) == int4_array); // a span of static extent
    const std::vector<std::optional<std::int32_t>> with_null{1, std::nullopt};
    CHECK(values_of(std::span(with_null)) == values_of(with_null));
    CHECK(values_of(std::vector<std::optional<std::int32_t>>{1, std::nullopt}) ==
          "\0\0\0\x20\0\0\0\x01\0\0\0\x01\0\0\0\x17\0\0\0\x02\0\0\0\x01"
          "\0\0\0\x04\0\0\0\x01\xff\xff\xff\xff"sv);
    CHECK(values_of(std::vector<std::int32_t>{}) == "\0\0\0\x0c\0\0\0\0\0\0\0\0\0\0\0\x17"sv);
    CHECK(values_of(std::vector<std::string>{"a"}) ==
          "\0\0\0\x19\0\0\0\x01\0\0\0\0\0\0\0\x19\0\0\0\x01\0\0\0\x01\0\0\0\x01"
          "a"sv);
}

TEST_CASE("params: pgasio::value") {
    CHECK(value().type_oid() == 0);
    CHECK(value(std::int16_t{1}).type_oid() == oids::int2);
    CHECK(value(1).type_oid() == oids::int4);
    CHECK(value(1L).type_oid() == oids::int8);
    CHECK(value(1LL).type_oid() == oids::int8);
    CHECK(value(std::uint16_t{1}).type_oid() == oids::int4);
    CHECK(value(std::uint32_t{1}).type_oid() == oids::int8);
    CHECK(value(true).type_oid() == oids::bool_);
    CHECK(value(1.0).type_oid() == oids::float8);
    CHECK(value("x").type_oid() == oids::text);
    CHECK(value("x"sv).type_oid() == oids::text);
    CHECK(value(static_cast<const char*>(nullptr)).is_null());
    CHECK(value(std::optional<int>()).is_null());
    CHECK(value(std::optional<int>(3)) == value(3));
    CHECK(value(std::nullopt).is_null());
    CHECK(value(protocol::json{"{}"}).type_oid() == oids::json);
    CHECK(value(std::chrono::sys_days{}).type_oid() == oids::date);
    CHECK(value(std::vector<std::string>{"a"}).type_oid() == oids::text_array);
    CHECK(*value(7).get_if<std::int32_t>() == 7);
    CHECK(value(7).get_if<std::int64_t>() == nullptr);

    CHECK(values_of(value(42), value(), value("ab")) ==
          "\0\0\0\x04\0\0\0\x2a\xff\xff\xff\xff\0\0\0\x02"
          "ab"sv);
    CHECK(detail::param_types_of(value(42), 1.0) ==
          std::array<protocol::oid, 2>{oids::int4, oids::float8});
}

TEST_CASE("params: one vector of values is the parameter list") {
    const std::vector<value> params{42, std::nullopt, "ab"};
    CHECK(detail::param_count(params) == 3);
    CHECK(detail::param_types_of(params) == std::vector<protocol::oid>{oids::int4, 0, oids::text});
    CHECK(detail::param_types(params) == std::vector<protocol::oid>{oids::int4, 0, oids::text});
    const auto expected = "\0\0\0\x04\0\0\0\x2a\xff\xff\xff\xff\0\0\0\x02"
                          "ab"sv;
    CHECK(values_of(params) == expected);
    CHECK(values_of(std::span<const value>(params)) == expected);
}

TEST_CASE("params: encoding errors come out of finish") {
    protocol::write_buffer buf;
    buf.put_u8(0x55);
    protocol::bind_writer bind(buf, "", "", binary, 2);
    detail::write_params(bind, 1, protocol::json{"a\0b"s});
    CHECK(bind.finish(binary) == protocol::client_errc::embedded_nul);
    CHECK(buf.size() == 1); // the message was removed

    protocol::write_buffer buf2;
    protocol::bind_writer bind2(buf2, "", "", binary, 1);
    detail::write_params(bind2, std::vector<value>{value(protocol::jsonb{"\0"s})});
    CHECK(bind2.finish(binary) == protocol::client_errc::embedded_nul);
}

// A pool's request that waits for a connection keeps detail::owned_param copies of its
// parameters: each must be sent exactly as the original, with the same type OIDs (the statement
// cache's key), and hold no view of the caller's storage.
template <class P>
void check_owned_like(const P& original) {
    const auto owned = detail::owned_param(original);
    CHECK(values_of(owned) == values_of(original));
    const auto owned_types = detail::param_types_of(owned);
    const auto original_types = detail::param_types_of(original);
    CHECK(std::equal(owned_types.begin(), owned_types.end(), original_types.begin(),
                     original_types.end()));
}

TEST_CASE("params: owned copies of views are sent as the views, and own their storage") {
    std::string text = "abc";
    check_owned_like(std::string_view(text));
    check_owned_like(static_cast<const char*>("lit"));
    check_owned_like(static_cast<const char*>(nullptr));
    const std::vector<std::byte> bytes{std::byte{1}, std::byte{0}, std::byte{255}};
    check_owned_like(std::span<const std::byte>(bytes));
    const std::vector<std::int32_t> ints{1, 2, 3};
    check_owned_like(std::span<const std::int32_t>(ints));
    check_owned_like(std::optional<std::string_view>(text));
    check_owned_like(std::optional<std::string_view>());
    check_owned_like(named("n", std::string_view(text)));
    const std::vector<std::string_view> views{"x", "yz"};
    check_owned_like(views);
    check_owned_like(std::int32_t{42});
    const std::vector<value> list{value(std::int32_t{7}), value(std::string("s"))};
    const auto owned_list = detail::owned_param(std::span<const value>(list));
    CHECK(values_of(owned_list) == values_of(std::span<const value>(list)));

    static_assert(std::is_same_v<detail::owned_param_t<std::string_view>, std::string>);
    static_assert(std::is_same_v<detail::owned_param_t<const char*>, std::optional<std::string>>);
    static_assert(std::is_same_v<detail::owned_param_t<char[4]>, std::optional<std::string>>);
    static_assert(
        std::is_same_v<detail::owned_param_t<std::span<const std::byte>>, std::vector<std::byte>>);
    static_assert(std::is_same_v<detail::owned_param_t<std::vector<std::string_view>>,
                                 std::vector<std::string>>);
    static_assert(
        std::is_same_v<detail::owned_param_t<std::span<const value>>, std::vector<value>>);

    // The copy holds the text, not a view of the caller's string.
    const auto kept = detail::owned_param(std::string_view(text));
    text.assign("XYZ");
    CHECK(kept == "abc");
}
