#include <pgasio/protocol/auth/sasl_mechanism.hpp>
#include <pgasio/protocol/error.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <string_view>

using namespace std::literals;
using pgasio::protocol::channel_binding_policy;
using pgasio::protocol::client_errc;
using pgasio::protocol::scram_binding;
using pgasio::protocol::select_sasl_mechanism;

namespace {
constexpr std::array both{"SCRAM-SHA-256-PLUS"sv, "SCRAM-SHA-256"sv};
constexpr std::array plain{"SCRAM-SHA-256"sv};
constexpr std::array plus_only{"SCRAM-SHA-256-PLUS"sv};
constexpr std::array unknown{"SCRAM-SHA-1"sv, "OAUTHBEARER"sv};
} // namespace

TEST_CASE("SASL mechanism: prefer binds when it can") {
    auto r = select_sasl_mechanism(both, channel_binding_policy::prefer, true);
    REQUIRE(r.has_value());
    CHECK(r->mechanism == "SCRAM-SHA-256-PLUS");
    CHECK(r->binding == scram_binding::tls_server_end_point);

    // TLS but the server offers no PLUS: "y" so that a stripped PLUS is detected by the server.
    r = select_sasl_mechanism(plain, channel_binding_policy::prefer, true);
    REQUIRE(r.has_value());
    CHECK(r->mechanism == "SCRAM-SHA-256");
    CHECK(r->binding == scram_binding::supported);

    // No TLS binding possible: plain SCRAM with "n".
    r = select_sasl_mechanism(both, channel_binding_policy::prefer, false);
    REQUIRE(r.has_value());
    CHECK(r->mechanism == "SCRAM-SHA-256");
    CHECK(r->binding == scram_binding::none);

    CHECK(select_sasl_mechanism(plus_only, channel_binding_policy::prefer, false).error() ==
          client_errc::scram_no_supported_mechanism);
}

TEST_CASE("SASL mechanism: require binds or fails") {
    auto r = select_sasl_mechanism(both, channel_binding_policy::require, true);
    REQUIRE(r.has_value());
    CHECK(r->binding == scram_binding::tls_server_end_point);
    CHECK(select_sasl_mechanism(plain, channel_binding_policy::require, true).error() ==
          client_errc::scram_channel_binding_unavailable);
    CHECK(select_sasl_mechanism(both, channel_binding_policy::require, false).error() ==
          client_errc::scram_channel_binding_unavailable);
    CHECK(select_sasl_mechanism(unknown, channel_binding_policy::require, true).error() ==
          client_errc::scram_channel_binding_unavailable);
}

TEST_CASE("SASL mechanism: disable never binds") {
    auto r = select_sasl_mechanism(both, channel_binding_policy::disable, true);
    REQUIRE(r.has_value());
    CHECK(r->mechanism == "SCRAM-SHA-256");
    CHECK(r->binding == scram_binding::none);
    CHECK(select_sasl_mechanism(plus_only, channel_binding_policy::disable, true).error() ==
          client_errc::scram_no_supported_mechanism);
}

TEST_CASE("SASL mechanism: nothing supported") {
    CHECK(select_sasl_mechanism(unknown, channel_binding_policy::prefer, true).error() ==
          client_errc::scram_no_supported_mechanism);
    CHECK(select_sasl_mechanism({}, channel_binding_policy::prefer, false).error() ==
          client_errc::scram_no_supported_mechanism);
    // Names are compared exactly.
    constexpr std::array lower{"scram-sha-256"sv};
    CHECK(select_sasl_mechanism(lower, channel_binding_policy::prefer, false).error() ==
          client_errc::scram_no_supported_mechanism);
}
