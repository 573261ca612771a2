#include <pgasio/protocol/auth/scram_client.hpp>
#include <pgasio/protocol/error.hpp>

#include "support/bytes.hpp"
#include "support/seed_corpus.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using namespace std::literals;
using pgasio::protocol::client_errc;
using pgasio::protocol::scram_binding;
using pgasio::protocol::scram_client;
using pgasio::protocol::scram_client_options;
using pgasio::test::to_bytes;

namespace {

// The fuzz target reads "<server-first>\0<server-final>" (see fuzz/fuzz_scram.cpp).
void seed(std::string_view server_first, std::string_view server_final) {
    std::string input(server_first);
    input += '\0';
    input += server_final;
    pgasio::test::record_seed("fuzz_scram", to_bytes(input));
}

// RFC 7677 §3 (the user name is set to reproduce it; PostgreSQL ignores it).
constexpr std::string_view rfc_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view rfc_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view rfc_client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view rfc_server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

scram_client_options rfc_options() {
    scram_client_options o;
    o.nonce = rfc_nonce;
    o.username = "user";
    return o;
}

// A client that has sent its first message with nonce "abc".
struct started {
    scram_client scram;
    explicit started(scram_client_options o = {})
        : scram("pencil", with_nonce(std::move(o))) {
        REQUIRE(scram.client_first_message());
    }
    static scram_client_options with_nonce(scram_client_options o) {
        o.nonce = "abc";
        return o;
    }
};

} // namespace

TEST_CASE("SCRAM-SHA-256: the example exchange of RFC 7677") {
    scram_client scram("pencil", rfc_options());
    CHECK(scram.mechanism() == "SCRAM-SHA-256");
    const auto first = scram.client_first_message();
    REQUIRE(first);
    CHECK(*first == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const auto final_message = scram.handle_server_first(to_bytes(rfc_server_first));
    REQUIRE(final_message);
    CHECK(*final_message == rfc_client_final);
    CHECK_FALSE(scram.complete());
    CHECK_FALSE(scram.handle_server_final(to_bytes(rfc_server_final)));
    CHECK(scram.complete());
    seed(rfc_server_first, rfc_server_final);
}

// The expected messages below were computed independently with Python (hashlib.pbkdf2_hmac,
// hmac), from RFC 5802's formulas.
TEST_CASE("SCRAM-SHA-256: PostgreSQL's empty user name and a SASLprep'd password") {
    scram_client_options o;
    o.nonce = "fyko+d2lbbFgONRv9qkxdawL";
    scram_client scram("I\xc2\xad"
                       "X",
                       o); // SASLprep: "IX"
    CHECK(scram.client_first_message().value() == "n,,n=,r=fyko+d2lbbFgONRv9qkxdawL");
    constexpr auto server_first =
        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"sv;
    CHECK(scram.handle_server_first(server_first).value() ==
          "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
          "p=DuNYTn7Yx6Gj5HXLjaZqq8o6hB7XoLqfWVqO3Dfek5Q=");
    constexpr auto server_final = "v=ux4l8UKl+DUsi2w2W/rRPgwUHOQg3Tk0a1JyeO1D5D4="sv;
    CHECK_FALSE(scram.handle_server_final(server_final));
    CHECK(scram.complete());
    seed(server_first, server_final);
}

TEST_CASE("SCRAM-SHA-256-PLUS: gs2 header and c= carry the tls-server-end-point data") {
    scram_client_options o;
    o.nonce = "fyko+d2lbbFgONRv9qkxdawL";
    o.binding = scram_binding::tls_server_end_point;
    for (int i = 0; i < 32; ++i)
        o.channel_binding_data.push_back(static_cast<std::byte>(i));
    scram_client scram("pencil", o);
    CHECK(scram.mechanism() == "SCRAM-SHA-256-PLUS");
    CHECK(scram.client_first_message().value() ==
          "p=tls-server-end-point,,n=,r=fyko+d2lbbFgONRv9qkxdawL");
    constexpr auto server_first =
        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"sv;
    CHECK(scram.handle_server_first(server_first).value() ==
          "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,"
          "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
          "p=Okkk/EO55SnT8EJ4/yRJbwDspvQa0JEhK1b0/+7o4V4=");
    CHECK_FALSE(scram.handle_server_final("v=NyZU46w9ypywSwQSNLuz3P1FwjD7GAa0NoMD+TkMdBQ="sv));
    CHECK(scram.complete());
}

TEST_CASE("SCRAM-SHA-256 with gs2 flag y: the client could bind, the server offered no PLUS") {
    scram_client_options o;
    o.nonce = "fyko+d2lbbFgONRv9qkxdawL";
    o.binding = scram_binding::supported;
    scram_client scram("pencil", o);
    CHECK(scram.mechanism() == "SCRAM-SHA-256");
    CHECK(scram.client_first_message().value() == "y,,n=,r=fyko+d2lbbFgONRv9qkxdawL");
    CHECK(scram
              .handle_server_first(
                  "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"sv)
              .value() == "c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                          "p=wgLg0iPVTpACWjrIlJtVKu4BjsbK4knzdsSn88toerI=");
    CHECK_FALSE(scram.handle_server_final("v=DrDPuYqa2Vk1xxB1lVO1Nz9Kb/HSttQkUqrqqVgdja0="sv));
    CHECK(scram.complete());
}

TEST_CASE("SCRAM: PLUS without binding data cannot start") {
    scram_client_options o;
    o.binding = scram_binding::tls_server_end_point;
    scram_client scram("pencil", o);
    CHECK(scram.client_first_message().error() == client_errc::scram_channel_binding_unavailable);
    CHECK(scram.client_first_message().error() == client_errc::scram_unexpected_step);
}

TEST_CASE("SCRAM: the generated nonce is 24 characters of base64 and differs each time") {
    scram_client a("pencil"), b("pencil");
    const std::string fa = a.client_first_message().value();
    const std::string fb = b.client_first_message().value();
    REQUIRE(fa.starts_with("n,,n=,r="));
    CHECK(fa.size() == 8 + 24);
    CHECK(fa != fb);
    CHECK(fa.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                               8) == std::string::npos);
}

TEST_CASE("SCRAM: user names are escaped, bad injected nonces refused") {
    scram_client_options o;
    o.nonce = "abc";
    o.username = "a,b=c";
    scram_client scram("pencil", o);
    CHECK(scram.client_first_message().value() == "n,,n=a=2Cb=3Dc,r=abc");

    for (std::string_view bad : {"a,b"sv, "a b"sv, "\x7f"sv}) {
        scram_client_options p;
        p.nonce = bad;
        scram_client s("pencil", p);
        CHECK(s.client_first_message().error() == boost::system::errc::invalid_argument);
    }
}

TEST_CASE("SCRAM: malformed server-first-messages") {
    const std::pair<std::string_view, client_errc> cases[] = {
        {""sv, client_errc::scram_invalid_server_first},
        {"garbage"sv, client_errc::scram_invalid_server_first},
        {"s=c2FsdA==,i=4096"sv, client_errc::scram_invalid_server_first},          // missing r
        {"r=abcdef,i=4096"sv, client_errc::scram_invalid_server_first},            // missing s
        {"r=abcdef,s=c2FsdA=="sv, client_errc::scram_invalid_server_first},        // missing i
        {"r=abcdef,i=4096,s=c2FsdA=="sv, client_errc::scram_invalid_server_first}, // order
        {"s=c2FsdA==,r=abcdef,i=4096"sv, client_errc::scram_invalid_server_first}, // order
        {"m=ext,r=abcdef,s=c2FsdA==,i=4096"sv, client_errc::scram_invalid_server_first},
        {"r=abcdef,s=c2FsdA==,i=4096,m=ext"sv, client_errc::scram_invalid_server_first},
        {"r=abcdef,s=c2FsdA==,i=4096,"sv, client_errc::scram_invalid_server_first},
        {"r=abc\x01"
         "def,s=c2FsdA==,i=4096"sv,
         client_errc::scram_invalid_server_first},
        {"r=abc\xc3\xa9,s=c2FsdA==,i=4096"sv, client_errc::scram_invalid_server_first},
        {"R=abcdef,s=c2FsdA==,i=4096"sv, client_errc::scram_invalid_server_first},
        {"r:abcdef,s=c2FsdA==,i=4096"sv, client_errc::scram_invalid_server_first},
        {"r=xbcdef,s=c2FsdA==,i=4096"sv, client_errc::scram_nonce_mismatch}, // not our prefix
        {"r=abc,s=c2FsdA==,i=4096"sv, client_errc::scram_nonce_mismatch},    // not extended
        {"r=ab,s=c2FsdA==,i=4096"sv, client_errc::scram_nonce_mismatch},     // shorter
        {"r=,s=c2FsdA==,i=4096"sv, client_errc::scram_nonce_mismatch},
        {"r=abcdef,s=,i=4096"sv, client_errc::scram_invalid_salt},         // empty salt
        {"r=abcdef,s=c2FsdA=,i=4096"sv, client_errc::scram_invalid_salt},  // bad padding
        {"r=abcdef,s=c2F*dA==,i=4096"sv, client_errc::scram_invalid_salt}, // bad character
        {"r=abcdef,s=c2FsdA==,i="sv, client_errc::scram_invalid_iteration_count},
        {"r=abcdef,s=c2FsdA==,i=0"sv, client_errc::scram_invalid_iteration_count},
        {"r=abcdef,s=c2FsdA==,i=-1"sv, client_errc::scram_invalid_iteration_count},
        {"r=abcdef,s=c2FsdA==,i=+1"sv, client_errc::scram_invalid_iteration_count},
        {"r=abcdef,s=c2FsdA==,i=04096"sv, client_errc::scram_invalid_iteration_count},
        {"r=abcdef,s=c2FsdA==,i=40 96"sv, client_errc::scram_invalid_iteration_count},
        {"r=abcdef,s=c2FsdA==,i=4096x"sv, client_errc::scram_invalid_iteration_count},
        // A NUL is the message's fault, not the attribute's it falls in.
        {"r=abcdef,s=c2FsdA==,i=4096\0"sv, client_errc::scram_invalid_server_first},
        {"r=abc\0def,s=c2FsdA==,i=4096"sv, client_errc::scram_invalid_server_first},
        {"r=abcdef,s=c2FsdA==,i=99999999999"sv, client_errc::scram_iteration_count_too_high},
        {"r=abcdef,s=c2FsdA==,i=99999999999999999999999999"sv,
         client_errc::scram_iteration_count_too_high},
        {"r=abcdef,s=c2FsdA==,i=1000001"sv, client_errc::scram_iteration_count_too_high},
    };
    for (const auto& [message, expected] : cases) {
        INFO(std::string(message));
        started s;
        const auto r = s.scram.handle_server_first(message);
        REQUIRE_FALSE(r);
        CHECK(r.error() == expected);
        // The exchange is over: nothing more is accepted.
        CHECK(s.scram.handle_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="sv) ==
              client_errc::scram_unexpected_step);
        CHECK_FALSE(s.scram.complete());
        seed(message, rfc_server_final);
    }
}

TEST_CASE("SCRAM: a refused server-first-message says what was wrong with it") {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"r=abc,s=c2FsdA==,i=4096"sv, "the server added no part of its own"},
        {"r=xbcdef,s=c2FsdA==,i=4096"sv, "does not start with the client nonce"},
        {"r=abcdef,s=c2FsdA==,i=4096\0"sv, "NUL byte (at offset 26)"},
        {"r=abcdef,s=c2FsdA==,i=40x96"sv, "iteration count"},
        {"r=abcdef,s=c2F*dA==,i=4096"sv, "salt"},
    };
    for (const auto& [message, why] : cases) {
        INFO(std::string(message));
        started s;
        CHECK(s.scram.failure().empty());
        REQUIRE_FALSE(s.scram.handle_server_first(message));
        CHECK_THAT(std::string(s.scram.failure()), Catch::Contains(std::string(why)));
    }
}

TEST_CASE("SCRAM: the iteration bound is configurable and inclusive") {
    scram_client_options o;
    o.max_iterations = 4096;
    {
        started s(o);
        CHECK(s.scram.handle_server_first("r=abcdef,s=c2FsdA==,i=4096"sv));
    }
    {
        started s(o);
        CHECK(s.scram.handle_server_first("r=abcdef,s=c2FsdA==,i=4097"sv).error() ==
              client_errc::scram_iteration_count_too_high);
    }
    o.max_iterations = 0;
    {
        started s(o);
        CHECK(s.scram.handle_server_first("r=abcdef,s=c2FsdA==,i=1"sv).error() ==
              client_errc::scram_iteration_count_too_high);
    }
    // Above INT_MAX the bound is INT_MAX: PKCS5_PBKDF2_HMAC takes an int.
    o.max_iterations = 4'000'000'000u;
    {
        started s(o);
        CHECK(s.scram.handle_server_first("r=abcdef,s=c2FsdA==,i=2147483648"sv).error() ==
              client_errc::scram_iteration_count_too_high);
    }
}

TEST_CASE("SCRAM: server-final-messages") {
    const auto after_first = [] {
        auto scram = std::make_unique<scram_client>("pencil", rfc_options());
        REQUIRE(scram->client_first_message());
        REQUIRE(scram->handle_server_first(rfc_server_first));
        return scram;
    };
    SECTION("a wrong signature") {
        auto scram = after_first();
        // One bit off in the last byte.
        constexpr auto forged = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G8="sv;
        CHECK(scram->handle_server_final(forged) == client_errc::scram_server_signature_mismatch);
        CHECK_FALSE(scram->complete());
        seed(rfc_server_first, forged);
    }
    SECTION("an error from the server") {
        auto scram = after_first();
        CHECK(scram->handle_server_final("e=invalid-proof"sv) == client_errc::scram_server_error);
        CHECK(scram->server_error() == "invalid-proof");
        CHECK_FALSE(scram->complete());
        seed(rfc_server_first, "e=invalid-proof");
    }
    SECTION("malformed") {
        for (std::string_view bad : {
                 ""sv,
                 "garbage"sv,
                 "v="sv,
                 "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4"sv, // bad base64
                 "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl9"sv,    // bad base64
                 "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4A"sv,
                 "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4AAAA"sv, // 33 bytes
                 "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl9"sv,
                 "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,x=1"sv, // extension
                 "V=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="sv,
                 "x=1,v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="sv,
             }) {
            INFO(std::string(bad));
            auto scram = after_first();
            CHECK(scram->handle_server_final(bad) == client_errc::scram_invalid_server_final);
            CHECK_FALSE(scram->complete());
            seed(rfc_server_first, bad);
        }
    }
    SECTION("nothing after completion") {
        auto scram = after_first();
        REQUIRE_FALSE(scram->handle_server_final(rfc_server_final));
        CHECK(scram->handle_server_final(rfc_server_final) == client_errc::scram_unexpected_step);
    }
}

TEST_CASE("SCRAM: steps out of order") {
    {
        scram_client scram("pencil", rfc_options());
        CHECK(scram.handle_server_first(rfc_server_first).error() ==
              client_errc::scram_unexpected_step);
        CHECK(scram.client_first_message().error() == client_errc::scram_unexpected_step);
    }
    {
        scram_client scram("pencil", rfc_options());
        CHECK(scram.handle_server_final(rfc_server_final) == client_errc::scram_unexpected_step);
        CHECK_FALSE(scram.complete());
    }
    {
        scram_client scram("pencil", rfc_options());
        REQUIRE(scram.client_first_message());
        CHECK(scram.client_first_message().error() == client_errc::scram_unexpected_step);
    }
    {
        scram_client scram("pencil", rfc_options());
        REQUIRE(scram.client_first_message());
        CHECK(scram.handle_server_final(rfc_server_final) == client_errc::scram_unexpected_step);
    }
    {
        scram_client scram("pencil", rfc_options());
        REQUIRE(scram.client_first_message());
        REQUIRE(scram.handle_server_first(rfc_server_first));
        CHECK(scram.handle_server_first(rfc_server_first).error() ==
              client_errc::scram_unexpected_step);
        CHECK(scram.handle_server_final(rfc_server_final) == client_errc::scram_unexpected_step);
        CHECK_FALSE(scram.complete());
    }
}

TEST_CASE("SCRAM: a wrong password fails the server signature") {
    scram_client scram("pencil!", rfc_options());
    REQUIRE(scram.client_first_message());
    const auto final_message = scram.handle_server_first(rfc_server_first);
    REQUIRE(final_message);
    CHECK(*final_message != rfc_client_final);
    CHECK(scram.handle_server_final(rfc_server_final) ==
          client_errc::scram_server_signature_mismatch);
}
