// Parameters written into the SQL text for the simple query protocol: the placeholder lexer,
// the literals and their quoting, and the errors.
#include "interpolate.hpp"

#include <pgasio/detail/placeholders.hpp>
#include <pgasio/params.hpp>

#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/types.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace std::literals;
using namespace pgasio;
using detail::plain_string_backslash;
using protocol::client_errc;
namespace oids = pgasio::protocol::oids;

namespace {

// A type pgasio does not know, as a user's own codec would send it (an extension's type).
struct opaque {};
// A type the server knows (aclitem) but pgasio has no text form for.
struct acl_blob {};
// A type (bit) whose bare name the grammar reads as bit(1).
struct bit_value {};
// A string sent as unknown, the type of an untyped literal.
struct untyped_string {};

} // namespace

template <>
struct pgasio::protocol::types::codec<opaque> {
    static constexpr oid type_oid = 16385;
    static boost::system::error_code encode_binary(write_buffer& out, const opaque&) {
        out.put_u8(1);
        return {};
    }
};

template <>
struct pgasio::protocol::types::codec<acl_blob> {
    static constexpr oid type_oid = oids::aclitem;
    static boost::system::error_code encode_binary(write_buffer& out, const acl_blob&) {
        out.put_string("<a/>");
        return {};
    }
};

template <>
struct pgasio::protocol::types::codec<bit_value> {
    static constexpr oid type_oid = oids::bit;
    static boost::system::error_code encode_binary(write_buffer& out, const bit_value&) {
        out.put_i32(0);
        return {};
    }
};

template <>
struct pgasio::protocol::types::codec<untyped_string> {
    static constexpr oid type_oid = oids::unknown;
    static boost::system::error_code encode_binary(write_buffer& out, const untyped_string&) {
        out.put_string("it's");
        return {};
    }
};

namespace {

struct outcome {
    error_code ec;
    std::string sql;
    std::string why;
};

// `sql` with `params` written into it, as a simple query would send it; `mode` is how the
// server reads backslashes in plain strings.
template <class... P>
outcome interpolate_in(plain_string_backslash mode, std::string_view sql, const P&... params) {
    const auto types = detail::param_types_of(params...);
    detail::param_values values(detail::param_count(params...));
    detail::write_params(values, params...);
    outcome o;
    o.ec = values.finish(o.why);
    if (!o.ec) o.ec = detail::interpolate_params(sql, types, values, mode, o.sql, o.why);
    return o;
}

// As interpolate_in with standard_conforming_strings on, the server's default.
template <class... P>
outcome interpolate(std::string_view sql, const P&... params) {
    return interpolate_in(plain_string_backslash::literal, sql, params...);
}

// The interpolated SQL, which must succeed.
template <class... P>
std::string sql_of(std::string_view sql, const P&... params) {
    const outcome o = interpolate(sql, params...);
    INFO(o.why);
    REQUIRE(!o.ec);
    return o.sql;
}

} // namespace

// ---- literals ------------------------------------------------------------------------------

TEST_CASE("interpolate: each placeholder becomes a quoted literal of its type") {
    CHECK(sql_of("SELECT $1, $2, $3", 42, "it's"s, true) ==
          "SELECT ('42'::int4), ('it''s'::text), ('t'::bool)");
    CHECK(sql_of("SELECT $1, $2, $3", std::int16_t{7}, std::int64_t{-9}, std::uint32_t{26}) ==
          "SELECT ('7'::int2), ('-9'::int8), ('26'::oid)");
    // The same parameter may be used more than once, in any order.
    CHECK(sql_of("SELECT $2 || $1 || $2", "a"s, "b"s) ==
          "SELECT ('b'::text) || ('a'::text) || ('b'::text)");
    CHECK(sql_of("SELECT 1") == "SELECT 1");
}

TEST_CASE("interpolate: a negative number cannot turn into a comment") {
    // pgx's CVE-2024-27289: 5-$1 with -1 became 5--1, a line comment hiding the rest.
    const std::string sql = sql_of("SELECT 5-$1, $2 -$1", -1, std::int64_t{-2});
    CHECK(sql == "SELECT 5-('-1'::int4), ('-2'::int8) -('-1'::int4)");
    CHECK(sql.find("--") == std::string::npos);
    CHECK(sql_of("SELECT 1-$1", -1.5) == "SELECT 1-('-1.5'::float8)");
}

TEST_CASE("interpolate: quotes are doubled and backslashes written in an E string") {
    CHECK(sql_of("SELECT $1", "O'Neil"s) == "SELECT ('O''Neil'::text)");
    CHECK(sql_of("SELECT $1", "''"s) == "SELECT (''''''::text)");
    // A backslash reads the same whatever standard_conforming_strings is only in E''.
    CHECK(sql_of("SELECT $1", "C:\\dir"s) == "SELECT (E'C:\\\\dir'::text)");
    CHECK(sql_of("SELECT $1", "it's \\' x"s) == "SELECT (E'it''s \\\\'' x'::text)");
    CHECK(sql_of("SELECT $1", "\\"s) == "SELECT (E'\\\\'::text)");
    // An injection attempt stays inside its literal.
    CHECK(sql_of("SELECT $1", "'); DROP TABLE t; --"s) == "SELECT ('''); DROP TABLE t; --'::text)");
}

TEST_CASE("interpolate: unicode text is written as it is") {
    CHECK(sql_of("SELECT $1", "h\u00e9llo \u2603 \U0001D11E"s) ==
          "SELECT ('h\u00e9llo \u2603 \U0001D11E'::text)");
    CHECK(sql_of("SELECT $1", ""s) == "SELECT (''::text)");
}

TEST_CASE("interpolate: NULL is typed like its parameter, untyped for type 0") {
    CHECK(sql_of("SELECT $1", std::optional<std::int32_t>()) == "SELECT (NULL::int4)");
    CHECK(sql_of("SELECT $1", std::optional<std::string>()) == "SELECT (NULL::text)");
    CHECK(sql_of("SELECT $1", std::nullopt) == "SELECT (NULL)");
    CHECK(sql_of("SELECT $1", static_cast<const char*>(nullptr)) == "SELECT (NULL::text)");
    CHECK(sql_of("SELECT $1", value()) == "SELECT (NULL)");
    // unknown, like type 0, is left for the server to infer.
    CHECK(sql_of("SELECT $1, $2", untyped_string{}, std::optional<untyped_string>()) ==
          "SELECT ('it''s'), (NULL)");
    // A NULL needs only its type's name, not a text form.
    CHECK(sql_of("SELECT $1", std::optional<acl_blob>()) == "SELECT (NULL::aclitem)");
}

TEST_CASE("interpolate: arrays are typed element[] and keep their NULLs and quoting") {
    CHECK(sql_of("SELECT $1", std::vector<std::optional<std::int32_t>>{1, std::nullopt, -3}) ==
          "SELECT ('{1,NULL,-3}'::int4[])");
    // The array's own quoting (double quotes, backslashes) goes inside the SQL literal: E''.
    CHECK(sql_of("SELECT $1", std::vector<std::string>{"a b", "q\"t", "it's", "NULL"}) ==
          "SELECT (E'{\"a b\",\"q\\\\\"t\",it''s,\"NULL\"}'::text[])");
    CHECK(sql_of("SELECT $1", std::vector<std::int64_t>{}) == "SELECT ('{}'::int8[])");
    const protocol::array<std::int32_t> grid{{{2, 1}, {2, 1}}, {1, 2, 3, std::nullopt}};
    CHECK(sql_of("SELECT $1", grid) == "SELECT ('{{1,2},{3,NULL}}'::int4[])");
    CHECK(sql_of("SELECT $1", std::optional<std::vector<bool>>()) == "SELECT (NULL::bool[])");
}

TEST_CASE("interpolate: the catalog types char and bit are quoted, as bare they mean char(1) and "
          "bit(1)") {
    CHECK(sql_of("SELECT $1", 'x') == "SELECT ('x'::\"char\")");
    CHECK(sql_of("SELECT $1", std::vector<char>{'a', 'b'}) == "SELECT ('{a,b}'::\"char\"[])");
    CHECK(sql_of("SELECT $1", std::optional<bit_value>()) == "SELECT (NULL::\"bit\")");
}

TEST_CASE("interpolate: other types are written in their text form") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(sql_of("SELECT $1, $2, $3", nan, -inf, 0.1f) ==
          "SELECT ('NaN'::float8), ('-Infinity'::float8), ('0.1'::float4)");
    const std::vector<std::byte> bytes{std::byte{0x01}, std::byte{0xab}};
    CHECK(sql_of("SELECT $1", bytes) == "SELECT (E'\\\\x01ab'::bytea)");
    CHECK(sql_of("SELECT $1", protocol::range<std::int32_t>{1, 10, true, false}) ==
          "SELECT ('[1,10)'::int4range)");
    using namespace std::chrono;
    CHECK(sql_of("SELECT $1", sys_days(2024y / February / 29)) == "SELECT ('2024-02-29'::date)");
}

// ---- the placeholder lexer ------------------------------------------------------------------

TEST_CASE("interpolate: $10 is parameter 10, not $1 followed by 0") {
    const std::string sql =
        sql_of("SELECT $10, $1, $2, $3, $4, $5, $6, $7, $8, $9", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    CHECK(sql.starts_with("SELECT ('10'::int4), ('1'::int4), ('2'::int4)"));
}

TEST_CASE("interpolate: a placeholder next to other tokens is one") {
    CHECK(sql_of("SELECT $1::int8, ($1), $1+$1, $1[1]", 2) ==
          "SELECT ('2'::int4)::int8, (('2'::int4)), ('2'::int4)+('2'::int4), ('2'::int4)[1]");
    CHECK(sql_of("SELECT x FROM t WHERE a=$1 LIMIT $1", 2) ==
          "SELECT x FROM t WHERE a=('2'::int4) LIMIT ('2'::int4)");
    CHECK(sql_of("SELECT 'a'$1", 2) == "SELECT 'a'('2'::int4)");
    CHECK(sql_of("SELECT \"a\"$1", 2) == "SELECT \"a\"('2'::int4)");
    // The line comment ends at the end of its line.
    CHECK(sql_of("SELECT -- $1\n$1", 2) == "SELECT -- $1\n('2'::int4)");
    CHECK(sql_of("SELECT -- $1\r$1", 2) == "SELECT -- $1\r('2'::int4)");
}

TEST_CASE("interpolate: no placeholder in a string") {
    CHECK(sql_of("SELECT '$1', $1", 5) == "SELECT '$1', ('5'::int4)");
    CHECK(sql_of("SELECT 'it''s $1', $1", 5) == "SELECT 'it''s $1', ('5'::int4)");
    CHECK(sql_of("SELECT '', $1, ''''", 5) == "SELECT '', ('5'::int4), ''''");
    CHECK(sql_of("SELECT U&'d\\0061t$1', B'01', X'1f', N'$1', $1", 5) ==
          "SELECT U&'d\\0061t$1', B'01', X'1f', N'$1', ('5'::int4)");
}

TEST_CASE("interpolate: no placeholder in an E string, whose backslash escapes a quote") {
    CHECK(sql_of("SELECT E'\\' $1 ', $1", 5) == "SELECT E'\\' $1 ', ('5'::int4)");
    CHECK(sql_of("SELECT e'\\\\', $1", 5) == "SELECT e'\\\\', ('5'::int4)");
    CHECK(sql_of("SELECT E'it''s $1', $1", 5) == "SELECT E'it''s $1', ('5'::int4)");
    // Only a one-letter E opens one: in bytea'...' the backslash is an ordinary character.
    CHECK(sql_of("SELECT bytea'\\', $1", 5) == "SELECT bytea'\\', ('5'::int4)");
}

TEST_CASE("interpolate: an E string continued on the next line keeps its backslash escapes") {
    // 'a' newline 'b' is one string: the server reads the second part as an E string too.
    CHECK(sql_of("SELECT E'a'\n'\\' $1 ', $1", 5) == "SELECT E'a'\n'\\' $1 ', ('5'::int4)");
    CHECK(sql_of("SELECT E'a' -- c\r\n  '\\' $1 ', $1", 5) ==
          "SELECT E'a' -- c\r\n  '\\' $1 ', ('5'::int4)");
    // Without a newline in between there is no continuation: '\' is a plain string.
    CHECK(sql_of("SELECT E'a' '\\', $1", 5) == "SELECT E'a' '\\', ('5'::int4)");
}

TEST_CASE("interpolate: with standard_conforming_strings off a backslash escapes in any string") {
    const std::string sql = "SELECT 'x\\' $1 ', $1";
    const outcome off = interpolate_in(plain_string_backslash::escape, sql, 5);
    CHECK(!off.ec);
    CHECK(off.sql == "SELECT 'x\\' $1 ', ('5'::int4)");
    // With it on, the same SQL is the string 'x\', the placeholder, and an unterminated string.
    const outcome on = interpolate_in(plain_string_backslash::literal, sql, 5);
    CHECK(!on.ec);
    CHECK(on.sql == "SELECT 'x\\' ('5'::int4) ', $1");
    // The literals written for the parameters are the same either way.
    CHECK(interpolate_in(plain_string_backslash::escape, "SELECT $1", "a\\b'"s).sql ==
          "SELECT (E'a\\\\b'''::text)");
}

TEST_CASE("interpolate: no placeholder in a quoted identifier") {
    CHECK(sql_of("SELECT 1 AS \"$1\", $1", 5) == "SELECT 1 AS \"$1\", ('5'::int4)");
    CHECK(sql_of("SELECT 1 AS \"a\"\"$1\", $1", 5) == "SELECT 1 AS \"a\"\"$1\", ('5'::int4)");
    CHECK(sql_of("SELECT U&\"$1\", $1", 5) == "SELECT U&\"$1\", ('5'::int4)");
}

TEST_CASE("interpolate: no placeholder in a comment") {
    CHECK(sql_of("SELECT $1 -- $2", 5) == "SELECT ('5'::int4) -- $2");
    CHECK(sql_of("SELECT /* $2 */ $1", 5) == "SELECT /* $2 */ ('5'::int4)");
    // Block comments nest: the first */ does not end the outer one.
    CHECK(sql_of("SELECT /* a /* $2 */ $2 */ $1", 5) == "SELECT /* a /* $2 */ $2 */ ('5'::int4)");
    CHECK(sql_of("SELECT /* ' */ $1", 5) == "SELECT /* ' */ ('5'::int4)");
    CHECK(sql_of("SELECT $1 -- it's", 5) == "SELECT ('5'::int4) -- it's");
    // An operator ending in '-' or '/' before the comment: the comment still starts there.
    CHECK(sql_of("SELECT 2*/* $2 */$1", 5) == "SELECT 2*/* $2 */('5'::int4)");
}

TEST_CASE("interpolate: no placeholder in a dollar-quoted string") {
    CHECK(sql_of("SELECT $$ $1 ' $$, $1", 5) == "SELECT $$ $1 ' $$, ('5'::int4)");
    CHECK(sql_of("SELECT $tag$ $1 $$ $2 $tag$, $1", 5) ==
          "SELECT $tag$ $1 $$ $2 $tag$, ('5'::int4)");
    CHECK(sql_of("SELECT $a$ $b$ $1 $b$ $a$, $1", 5) == "SELECT $a$ $b$ $1 $b$ $a$, ('5'::int4)");
    // $_x9$ is a tag: a tag continues with letters, digits and underscores.
    CHECK(sql_of("SELECT $_x9$ $1 $_x9$, $1", 5) == "SELECT $_x9$ $1 $_x9$, ('5'::int4)");
    CHECK(sql_of("CREATE FUNCTION f() RETURNS int AS $body$ SELECT $1 $body$; SELECT $1", 5) ==
          "CREATE FUNCTION f() RETURNS int AS $body$ SELECT $1 $body$; SELECT ('5'::int4)");
}

TEST_CASE("interpolate: no placeholder inside an identifier") {
    CHECK(sql_of("SELECT a$1, $1 FROM t", 5) == "SELECT a$1, ('5'::int4) FROM t");
    CHECK(sql_of("SELECT x1$2, _$1, \u00e9$1, $1", 5) == "SELECT x1$2, _$1, \u00e9$1, ('5'::int4)");
    // A '$' inside a word is no dollar quote either.
    CHECK(sql_of("SELECT a$b$, $1, b$", 5) == "SELECT a$b$, ('5'::int4), b$");
}

TEST_CASE("interpolate: SQL that ends inside a string is left for the server to reject") {
    // Its placeholders cannot be known: the rest is copied, and no parameter counts as unused.
    const outcome o = interpolate("SELECT $1, 'abc $2", 5, 6);
    CHECK(!o.ec);
    CHECK(o.sql == "SELECT ('5'::int4), 'abc $2");
    CHECK(interpolate("SELECT $1, /* $2", 5, 6).sql == "SELECT ('5'::int4), /* $2");
    CHECK(interpolate("SELECT $1, $q$ $2", 5, 6).sql == "SELECT ('5'::int4), $q$ $2");
    CHECK(interpolate("SELECT $1, \"$2", 5, 6).sql == "SELECT ('5'::int4), \"$2");
    CHECK(interpolate("SELECT $1, E'\\", 5, 6).sql == "SELECT ('5'::int4), E'\\");
}

// ---- errors --------------------------------------------------------------------------------

TEST_CASE("interpolate: a placeholder without a parameter is an error") {
    const outcome o = interpolate("SELECT $1, $3", 1, 2);
    CHECK(o.ec == client_errc::parameter_count_mismatch);
    CHECK(o.why == "the query's placeholder $3 has no parameter (2 given)");
    const outcome zero = interpolate("SELECT $0", 1);
    CHECK(zero.ec == client_errc::parameter_count_mismatch);
    CHECK(zero.why == "the query's placeholder $0 has no parameter (1 given)");
    const outcome huge = interpolate("SELECT $1, $99999999999999999999999", 1);
    CHECK(huge.ec == client_errc::parameter_count_mismatch);
    CHECK(huge.why ==
          "the query's placeholder $99999999999999999999999 has no parameter (1 given)");
    CHECK(interpolate("SELECT $1").ec == client_errc::parameter_count_mismatch);
}

TEST_CASE("interpolate: a parameter no placeholder uses is an error") {
    const outcome o = interpolate("SELECT $1, '$2'", 1, 2);
    CHECK(o.ec == client_errc::parameter_count_mismatch);
    CHECK(o.why == "parameter $2 is not used: the query has no placeholder $2");
    CHECK(interpolate("SELECT 1", 1).ec == client_errc::parameter_count_mismatch);
}

TEST_CASE("interpolate: a value of a type pgasio has no text form for is an error") {
    const outcome o = interpolate("SELECT $1, $2", 1, opaque{});
    CHECK(o.ec == client_errc::type_mismatch);
    CHECK(o.why == "parameter $2 has type oid 16385, which pgasio cannot name in SQL: it cannot "
                   "be written into a simple query");
    const outcome acl = interpolate("SELECT $1", acl_blob{});
    CHECK(acl.ec == client_errc::type_mismatch);
    CHECK(acl.why == "parameter $1 has type aclitem (oid 1033), which pgasio has no text form "
                     "for: it cannot be written into a simple query");
    // Unnamed, even its NULL cannot be written.
    CHECK(interpolate("SELECT $1", std::optional<opaque>()).ec == client_errc::type_mismatch);
}

TEST_CASE("interpolate: a string holding a NUL byte is an error") {
    // Refused when it is written, as for a Bind: no query text can carry it either.
    const outcome text = interpolate("SELECT $1, $2", 1, "a\0b"s);
    CHECK(text.ec == client_errc::embedded_nul);
    CHECK(text.why.starts_with("parameter $2 cannot be encoded: "));
    const outcome json = interpolate("SELECT $1", protocol::json{"\"\0\""s});
    CHECK(json.ec == client_errc::embedded_nul);
    CHECK(json.why.starts_with("parameter $1 cannot be encoded: "));
    // The one-byte "char" 0 is a value: its text is empty, and the server reads '' as 0.
    CHECK(sql_of("SELECT $1", '\0') == "SELECT (''::\"char\")");
}

TEST_CASE("interpolate: parameter types and values must match in number") {
    detail::param_values values(1);
    detail::write_params(values, 1);
    std::string why;
    REQUIRE(!values.finish(why));
    const std::array<protocol::oid, 2> types{oids::int4, oids::int4};
    std::string out;
    CHECK(detail::interpolate_params("SELECT $1", types, values, plain_string_backslash::literal,
                                     out, why) == client_errc::parameter_count_mismatch);
    CHECK(why == "2 parameter types for 1 values");
}

TEST_CASE("interpolate: param_values reads back what was written") {
    detail::param_values values(3);
    detail::write_params(values, std::int16_t{0x0102}, std::optional<int>(), ""s);
    std::string why;
    REQUIRE(!values.finish(why));
    REQUIRE(values.size() == 3);
    REQUIRE(values[0]);
    CHECK(values[0]->size() == 2);
    CHECK((*values[0])[0] == std::byte{1});
    CHECK((*values[0])[1] == std::byte{2});
    CHECK(!values[1]);
    REQUIRE(values[2]);
    CHECK(values[2]->empty());
}

TEST_CASE("interpolate: param_values refuses fewer or more values than announced") {
    std::string why;
    detail::param_values few(2);
    detail::write_params(few, 1);
    CHECK(few.finish(why) == client_errc::parameter_count_mismatch);
    CHECK(why == "1 values were written for 2 parameters");
    CHECK(few.size() == 0);
    detail::param_values many(1);
    detail::write_params(many, 1, 2);
    CHECK(many.finish(why) == client_errc::parameter_count_mismatch);
    CHECK(why == "more values were written than the 1 parameters announced");
}

TEST_CASE("check_parameter_count: parameters that do not fit the placeholders are refused") {
    std::string why;
    auto check = [&](std::string_view sql, std::size_t count) {
        why.clear();
        return detail::check_parameter_count(sql, count, false, why);
    };
    CHECK(!check("SELECT $1", 1));
    CHECK(!check("SELECT 1", 0));
    CHECK(check("SELECT $1", 2) == client_errc::parameter_count_mismatch);
    CHECK(why == "parameter $2 is not used: the query's placeholders end at $1");
    CHECK(check("SELECT 1", 1) == client_errc::parameter_count_mismatch);
    CHECK(why == "1 parameter was given, but the query has no placeholder");
    CHECK(check("SELECT 1", 3) == client_errc::parameter_count_mismatch);
    CHECK(why == "3 parameters were given, but the query has no placeholder");
    // Found as the server finds them: not in strings, identifiers, comments or dollar quotes.
    CHECK(check("SELECT '$2', \"$2\", $1 -- $2", 2) == client_errc::parameter_count_mismatch);
    CHECK(check("SELECT $1, /* $2 */ $q$ $2 $q$, a$2", 2) == client_errc::parameter_count_mismatch);
    CHECK(!check("SELECT $1, $10", 10));
    // A parameter no placeholder takes before the highest is sent typed: the server accepts it.
    CHECK(!check("SELECT $2", 2));
    // A placeholder with no parameter: refused as the simple protocol refuses it, naming it.
    CHECK(check("SELECT $3", 2) == client_errc::parameter_count_mismatch);
    CHECK(why == "the query's placeholder $3 has no parameter (2 given)");
    CHECK(check("SELECT $1 + $2", 1) == client_errc::parameter_count_mismatch);
    CHECK(why == "the query's placeholder $2 has no parameter (1 given)");
    CHECK(check("SELECT $0", 1) == client_errc::parameter_count_mismatch);
    CHECK(why == "the query's placeholder $0 has no parameter (1 given)");
    CHECK(check("SELECT $99999999999999999999999", 0) == client_errc::parameter_count_mismatch);
    CHECK(why == "the query's placeholder $99999999999999999999999 has no parameter (0 given)");
    CHECK(!check("SELECT '$3', $1 -- $2", 1));
    // Left to the server: parameters past the placeholders of SQL whose end cannot be lexed.
    CHECK(!check("SELECT $1, 'unterminated $2", 2));
    // With standard_conforming_strings off, a backslash escapes in '...'.
    why.clear();
    CHECK(!detail::check_parameter_count("SELECT 'it\\'s $2', $1", 2, false, why));
    CHECK(detail::check_parameter_count("SELECT 'it\\'s $2', $1", 2, true, why) ==
          client_errc::parameter_count_mismatch);
}
