#include <pgasio/config.hpp>
#include <pgasio/secret_string.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <sstream>
#include <type_traits>
#include <utility>

using pgasio::config;
using pgasio::secret_string;

namespace {

std::string streamed(const auto& value) {
    std::ostringstream os;
    os << value;
    return os.str();
}

const pgasio::environment no_env = pgasio::map_environment({{"HOME", "/home/tester"}});

} // namespace

// The secret cannot become a string by accident.
static_assert(!std::is_convertible_v<secret_string, std::string>);
static_assert(!std::is_convertible_v<secret_string, std::string_view>);
static_assert(!std::is_convertible_v<std::string_view, secret_string>);

TEST_CASE("secret_string: holds, copies, moves and clears") {
    secret_string s("hunter2");
    CHECK(s.reveal() == "hunter2");
    CHECK_FALSE(s.empty());

    secret_string copy = s;
    CHECK(copy.reveal() == "hunter2");
    CHECK(copy.reveal().data() != s.reveal().data());
    CHECK(copy == s);

    secret_string moved = std::move(copy);
    CHECK(moved.reveal() == "hunter2");
    CHECK(copy.empty()); // NOLINT(bugprone-use-after-move): moved-from is specified as empty
    CHECK(copy.reveal().empty());

    secret_string assigned("other");
    assigned = s;
    CHECK(assigned.reveal() == "hunter2");
    assigned = secret_string("third");
    CHECK(assigned.reveal() == "third");
    CHECK_FALSE(assigned == s);
    CHECK_FALSE(secret_string("hunter3") == s);

    s.assign("new value");
    CHECK(s.reveal() == "new value");
    s.clear();
    CHECK(s.empty());
    CHECK(s == secret_string());
    CHECK(secret_string("").empty());
    secret_string& self = assigned;
    assigned = self;
    CHECK(assigned.reveal() == "third");
}

TEST_CASE("secret_string: never printed") {
    secret_string s("hunter2");
    CHECK(fmt::format("{}", s) == "<redacted>");
    CHECK(fmt::format("[{:>12}]", s) == "[  <redacted>]");
    CHECK(streamed(s) == "<redacted>");
    CHECK(fmt::format("{}", secret_string()) == "<redacted>");
}

TEST_CASE("config: the password never appears in formatted output") {
    auto cfg = config::parse("host=h user=u password=TopSecret42 sslpassword=KeyPass99", no_env);
    REQUIRE(cfg);
    for (const std::string& out : {fmt::format("{}", *cfg), streamed(*cfg), cfg->to_string()}) {
        INFO(out);
        CHECK(out.find("TopSecret42") == std::string::npos);
        CHECK(out.find("KeyPass99") == std::string::npos);
    }
    CHECK(fmt::format("{}", *cfg).find("password=<redacted> sslpassword=<redacted>") !=
          std::string::npos);
    CHECK(cfg->to_string().find("password") == std::string::npos);
    auto without = config::parse("host=h user=u", no_env);
    CHECK(fmt::format("{}", *without).find("password") == std::string::npos);
}

TEST_CASE("config: errors never quote a password") {
    // Every input holds the password "Pa55Xyzzy" (or a piece of it) and is rejected; none of the
    // messages may contain it, or its pieces.
    const std::string_view inputs[] = {
        // bad percent-encoding inside the password
        "postgresql://user:Pa55Xyzzy%zz@host/db",
        // a password with a NUL byte
        "postgresql://user:Pa55Xyzzy%00@host/db",
        // an unencoded '/' in the password: the host list would start inside it
        "postgresql://user:Pa55/Xyzzy@host/db",
        "postgresql://user:Pa55/Xyzzy@host:5432/db",
        // an unencoded '?' in the password: the query would start inside it
        "postgresql://user:Pa55?Xyzzy@host/db",
        // an unencoded '[' in the password
        "postgresql://user:[Pa55Xyzzy/x@host/db",
        // a space in an unquoted password: the rest reads as the next key
        "host=h password=Pa55 Xyzzy",
        "password=Pa55 Xyzzy host=h",
        // an unterminated quote (the last quote is escaped)
        "password='Pa55Xyzzy\\'",
        "password=Pa55Xyzzy sslmode=bogus port=x",
        "sslpassword=Pa55 Xyzzy",
        "password=Pa55 Xyzzy=1",
        // a piece of the password that opens a quote it never closes
        "password=Pa55 Xyzzy='x",
        // a URI whose scheme is mistyped: read as a key=value string, its one word has no '='
        "postgres:/user:Pa55Xyzzy@host/db",
        "postgresql:/user:Pa55Xyzzy@host/db",
        "postgresql//user:Pa55Xyzzy@host/db",
        "psql://user:Pa55Xyzzy@host/db",
        "user:Pa55Xyzzy@host/db",
        "host=h postgresql://user:Pa55Xyzzy@host/db",
    };
    for (auto input : inputs) {
        INFO(input);
        auto r = config::parse(input, no_env);
        REQUIRE_FALSE(r);
        const std::string& m = r.error().message;
        INFO(m);
        CHECK_FALSE(m.empty());
        CHECK(m.find("Pa55") == std::string::npos);
        CHECK(m.find("Xyzzy") == std::string::npos);
    }
    auto r = config::parse(std::string_view("password=Pa55\0word", 18), no_env);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "password value contains a NUL byte");
    auto builder = config::builder().env(no_env).set("password", std::string("Pa55\0w", 6)).build();
    REQUIRE_FALSE(builder);
    CHECK(builder.error().message.find("Pa55") == std::string::npos);
}
