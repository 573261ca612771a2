#include <pgasio/protocol/auth/md5_password.hpp>
#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/sqlstate_category.hpp>
#include <pgasio/protocol/startup_exchange.hpp>

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

// A scripted server message: its type and body.
struct scripted {
    char type;
    std::string body;
};

const scripted auth_ok{'R', "\0\0\0\0"s};
const scripted key_data{'K', "\0\0\x30\x39\x0a\x0b\x0c\x0d"s};
const scripted server_version{'S', "server_version\0"
                                   "15.20\0"s};
const scripted ready{'Z', "I"};

startup_options options(std::optional<std::string> password = "secret") {
    startup_options o;
    o.parameters = {{"user", "alice"}, {"database", "db"}};
    o.password = std::move(password);
    return o;
}

// Feeds `script` after start(); returns the first error (or success) and what the client sent
// in answer to the script (the StartupMessage excluded).
struct run_result {
    boost::system::error_code ec;
    bool ready = false;
    std::string sent;
};
run_result play(startup_exchange& ex, const std::vector<scripted>& script) {
    // The whole script, framed, seeds fuzz_startup (after its settings byte: password set).
    std::string stream = "\x01";
    for (const auto& m : script)
        stream += pgasio::test::framed(m.type, m.body);
    pgasio::test::record_seed("fuzz_startup", to_bytes(stream));
    write_buffer out;
    REQUIRE(!ex.start(out));
    out.clear();
    run_result r;
    for (const auto& m : script) {
        const auto body = to_bytes(m.body);
        const auto status = ex.on_message({static_cast<backend_message_type>(m.type), body}, out);
        if (!status) {
            r.ec = status.error();
            break;
        }
        r.ready = *status == startup_exchange::status::ready;
    }
    r.sent = to_string(out.data());
    return r;
}

} // namespace

TEST_CASE("startup: StartupMessage carries the parameters") {
    startup_exchange ex(options());
    write_buffer out;
    REQUIRE(!ex.start(out));
    CHECK(to_string(out.data()) == "\0\0\0\x20\0\x03\0\0user\0alice\0database\0db\0\0"s);
}

TEST_CASE("startup: trust, then parameters, key and ReadyForQuery") {
    startup_exchange ex(options());
    const auto r =
        play(ex, {auth_ok, server_version, {'N', "SNOTICE\0Mhello\0\0"s}, key_data, ready});
    REQUIRE(!r.ec);
    CHECK(r.ready);
    CHECK(r.sent.empty());
    CHECK(ex.parameters().at("server_version") == "15.20");
    CHECK(ex.process_id() == 12345);
    CHECK(to_string(ex.secret_key()) == "\x0a\x0b\x0c\x0d");
    REQUIRE(ex.notices().size() == 1);
    CHECK(ex.notices()[0].message == "hello");
    CHECK(ex.method_used() == auth_method::none);
}

TEST_CASE("startup: cleartext and MD5 passwords are answered") {
    SECTION("cleartext") {
        startup_exchange ex(options());
        const auto r = play(ex, {{'R', "\0\0\0\x03"s}});
        REQUIRE(!r.ec);
        CHECK(r.sent == "p\0\0\0\x0bsecret\0"s);
    }
    SECTION("md5") {
        startup_exchange ex(options());
        const auto r = play(ex, {{'R', "\0\0\0\x05\x01\x02\x03\x04"s}});
        REQUIRE(!r.ec);
        const std::byte salt[4] = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
        const auto expected = md5_password_response("alice", "secret", salt);
        REQUIRE(expected.has_value());
        CHECK(r.sent == "p\0\0\0\x28"s + *expected + '\0');
    }
}

TEST_CASE("startup: SASL starts SCRAM-SHA-256 with the gs2 header for no binding") {
    startup_exchange ex(options());
    const auto r = play(ex, {{'R', "\0\0\0\x0aSCRAM-SHA-256\0\0"s}});
    REQUIRE(!r.ec);
    CHECK(r.sent.substr(5, 14) == "SCRAM-SHA-256\0"s);
    CHECK(r.sent.find("n,,n=,r=") != std::string::npos);
}

TEST_CASE("startup: SCRAM failures end the exchange") {
    startup_exchange ex(options());
    SECTION("AuthenticationOk before the server proved the password") {
        CHECK(play(ex, {{'R', "\0\0\0\x0aSCRAM-SHA-256\0\0"s}, auth_ok}).ec ==
              client_errc::authentication_incomplete);
    }
    SECTION("a server nonce that does not extend ours") {
        CHECK(play(ex, {{'R', "\0\0\0\x0aSCRAM-SHA-256\0\0"s},
                        {'R', "\0\0\0\x0br=abc,s=c2FsdA==,i=4096"s}})
                  .ec == client_errc::scram_nonce_mismatch);
    }
    SECTION("SASLContinue without SASL") {
        CHECK(play(ex, {{'R', "\0\0\0\x0br=abc,s=c2FsdA==,i=4096"s}}).ec ==
              client_errc::scram_unexpected_step);
    }
    SECTION("only SCRAM-SHA-256-PLUS offered, without TLS") {
        CHECK(play(ex, {{'R', "\0\0\0\x0aSCRAM-SHA-256-PLUS\0\0"s}}).ec ==
              client_errc::scram_no_supported_mechanism);
    }
}

TEST_CASE("startup: the configuration's limits on authentication") {
    SECTION("require_auth refuses a method, sending nothing") {
        auto o = options();
        o.allowed = static_cast<unsigned>(auth_method::scram_sha_256);
        startup_exchange ex(std::move(o));
        const auto r = play(ex, {{'R', "\0\0\0\x03"s}});
        CHECK(r.ec == client_errc::authentication_method_refused);
        CHECK_THAT(ex.error_diagnostics().message, Catch::Contains("cleartext password"));
        CHECK(r.sent.empty());
    }
    SECTION("require_auth without none refuses a server that asks nothing") {
        auto o = options();
        o.allowed = static_cast<unsigned>(auth_method::scram_sha_256);
        startup_exchange ex(std::move(o));
        CHECK(play(ex, {auth_ok}).ec == client_errc::authentication_method_refused);
    }
    SECTION("channel binding required: a cleartext request gets nothing") {
        auto o = options();
        o.channel_binding = channel_binding_policy::require;
        startup_exchange ex(std::move(o));
        const auto r = play(ex, {{'R', "\0\0\0\x03"s}});
        CHECK(r.ec == client_errc::scram_channel_binding_unavailable);
        CHECK(r.sent.empty());
    }
    SECTION("channel binding required: trust is refused too") {
        auto o = options();
        o.channel_binding = channel_binding_policy::require;
        startup_exchange ex(std::move(o));
        CHECK(play(ex, {auth_ok}).ec == client_errc::scram_channel_binding_unavailable);
    }
    SECTION("no password configured") {
        startup_exchange ex(options(std::nullopt));
        CHECK(play(ex, {{'R', "\0\0\0\x05\x01\x02\x03\x04"s}}).ec ==
              client_errc::password_required);
    }
    SECTION("a method pgasio lacks is named") {
        startup_exchange ex(options());
        CHECK(play(ex, {{'R', "\0\0\0\x09"s}}).ec == client_errc::unsupported_authentication);
        CHECK_THAT(ex.error_diagnostics().message, Catch::Contains("SSPI"));
    }
}

TEST_CASE("startup: a failure injected at every step of a successful flow") {
    const std::vector<scripted> flow{auth_ok, server_version, key_data, ready};
    for (std::size_t at = 0; at < flow.size(); ++at) {
        INFO("injected before message " << at);
        SECTION("ErrorResponse " + std::to_string(at)) {
            auto script = std::vector<scripted>(flow.begin(), flow.begin() + static_cast<long>(at));
            script.push_back({'E', "SFATAL\0C53300\0Mtoo many clients\0\0"s});
            startup_exchange ex(options());
            const auto r = play(ex, script);
            CHECK(r.ec == sqlstate::too_many_connections);
            CHECK(ex.error_diagnostics().message == "too many clients");
            CHECK(!r.ready);
        }
        SECTION("unexpected message " + std::to_string(at)) {
            auto script = std::vector<scripted>(flow.begin(), flow.begin() + static_cast<long>(at));
            script.push_back({'D', "\0\0"s});
            startup_exchange ex(options());
            CHECK(play(ex, script).ec == client_errc::unexpected_message);
        }
        SECTION("malformed message " + std::to_string(at)) {
            auto script = std::vector<scripted>(flow.begin(), flow.begin() + static_cast<long>(at));
            script.push_back({flow[at].type, flow[at].body + "!"});
            startup_exchange ex(options());
            CHECK(play(ex, script).ec);
        }
    }
}

TEST_CASE("startup: protocol version negotiation and key lengths") {
    SECTION("asking for 3.2, a 3.0 server negotiates down") {
        auto o = options();
        o.version = protocol_version::v3_2;
        startup_exchange ex(std::move(o));
        const auto r = play(ex, {{'v', "\0\0\0\0\0\0\0\0"s}, auth_ok, key_data, ready});
        REQUIRE(!r.ec);
        CHECK(ex.version() == protocol_version::v3_0);
    }
    SECTION("servers before PostgreSQL 18 send their whole version (3.0) in the field") {
        auto o = options();
        o.version = protocol_version::v3_2;
        startup_exchange ex(std::move(o));
        const auto r = play(ex, {{'v', "\0\x03\0\0\0\0\0\0"s}, auth_ok, key_data, ready});
        REQUIRE(!r.ec);
        CHECK(ex.version() == protocol_version::v3_0);
    }
    SECTION("a version with another major number is refused") {
        auto o = options();
        o.version = protocol_version::v3_2;
        startup_exchange ex(std::move(o));
        CHECK(play(ex, {{'v', "\0\x04\0\0\0\0\0\0"s}}).ec == client_errc::unexpected_message);
    }
    SECTION("NegotiateProtocolVersion when we asked for 3.0 is not allowed") {
        startup_exchange ex(options());
        CHECK(play(ex, {{'v', "\0\0\0\0\0\0\0\0"s}}).ec == client_errc::unexpected_message);
    }
    SECTION("a long key is only valid in 3.2") {
        const scripted long_key{'K', "\0\0\0\x01"s + std::string(32, 'k')};
        startup_exchange v30(options());
        CHECK(play(v30, {auth_ok, long_key}).ec == client_errc::unexpected_message);
        auto o = options();
        o.version = protocol_version::v3_2;
        startup_exchange v32(std::move(o));
        REQUIRE(!play(v32, {auth_ok, long_key, ready}).ec);
        CHECK(v32.secret_key().size() == 32);
    }
    SECTION("ReadyForQuery before authentication") {
        startup_exchange ex(options());
        CHECK(play(ex, {ready}).ec == client_errc::unexpected_message);
    }
}
