#include <pgasio/protocol/auth/tls_server_end_point.hpp>
#include <pgasio/protocol/detail/base64.hpp>
#include <pgasio/protocol/error.hpp>

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

using pgasio::protocol::client_errc;
using pgasio::protocol::tls_server_end_point;

namespace {

std::string hex(std::span<const std::byte> bytes) {
    constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::byte b : bytes) {
        out += digits[std::to_integer<unsigned>(b) >> 4];
        out += digits[std::to_integer<unsigned>(b) & 0x0F];
    }
    return out;
}

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// A self-signed certificate for `key`, signed with `md` (nullptr for Ed25519), as DER.
std::vector<std::byte> self_signed(EVP_PKEY* key, const EVP_MD* md) {
    std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), &X509_free);
    REQUIRE(x);
    REQUIRE(X509_set_version(x.get(), 2) == 1);
    REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1) == 1);
    X509_NAME* name = X509_get_subject_name(x.get());
    REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>("pgasio-test"), -1,
                                       -1, 0) == 1);
    REQUIRE(X509_set_issuer_name(x.get(), name) == 1);
    REQUIRE(X509_gmtime_adj(X509_getm_notBefore(x.get()), 0));
    REQUIRE(X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600));
    REQUIRE(X509_set_pubkey(x.get(), key) == 1);
    REQUIRE(X509_sign(x.get(), key, md) > 0);
    const int len = i2d_X509(x.get(), nullptr);
    REQUIRE(len > 0);
    std::vector<std::byte> der(static_cast<std::size_t>(len));
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    REQUIRE(i2d_X509(x.get(), &p) == len);
    return der;
}

std::vector<std::byte> digest(std::span<const std::byte> data, const EVP_MD* md) {
    std::vector<std::byte> out(static_cast<std::size_t>(EVP_MD_get_size(md)));
    unsigned int len = 0;
    REQUIRE(EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                       md, nullptr) == 1);
    REQUIRE(len == out.size());
    return out;
}

// Made once with: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha384
// -subj /CN=pgasio-test -days 36500. Expected hash: openssl x509 -outform der | sha384sum.
constexpr std::string_view ecdsa_sha384_certificate =
    "MIIBhDCCASmgAwIBAgIUa6loCUUDKF4tVYIwpadwT5w8FnwwCgYIKoZIzj0EAwMw"
    "FjEUMBIGA1UEAwwLcGdhc2lvLXRlc3QwIBcNMjYxMTI3MTAyODE4WhgPMjEyNjEx"
    "MDMxMDI4MThaMBYxFDASBgNVBAMMC3BnYXNpby10ZXN0MFkwEwYHKoZIzj0CAQYI"
    "KoZIzj0DAQcDQgAEWCEe4fBkAyRYbmvMqLEKBd4WMVRMMmRHulRY2TC/i0/U/X/Y"
    "PjSjfr/3a+o6Wk+uPcj0O92Ei3c3qN/zFpK8LKNTMFEwHQYDVR0OBBYEFGr7ETP4"
    "Ga9kSWMeepLIHY0AL7XOMB8GA1UdIwQYMBaAFGr7ETP4Ga9kSWMeepLIHY0AL7XO"
    "MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwMDSQAwRgIhAI8YM0WXGdOEJEEQ"
    "in2XwNEfzk6gsjVPutm57o+lambUAiEA/PKfnWlP0j8l2pgVT645R1CbJwuVa3Tq"
    "Mj/dlcr7QfQ=";

} // namespace

TEST_CASE("tls-server-end-point of a certificate made with the openssl command") {
    const auto der = pgasio::protocol::detail::base64_decode(ecdsa_sha384_certificate);
    REQUIRE(der.has_value());
    REQUIRE(der->size() == 392);
    const auto hash = tls_server_end_point(*der);
    REQUIRE(hash.has_value());
    CHECK(hex(*hash) == "8c22cab61660eaf2267777404b9715251ebe691b0d92a71fe72dc8edcc0e1d4f"
                        "7e1b0d5f3430f44b0585d582df17c0a9");
}

TEST_CASE("tls-server-end-point uses the signature's digest, SHA-256 instead of MD5 and SHA-1") {
    pkey_ptr ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), &EVP_PKEY_free);
    pkey_ptr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}), &EVP_PKEY_free);
    REQUIRE(ec);
    REQUIRE(rsa);
    struct {
        EVP_PKEY* key;
        const EVP_MD* signed_with;
        const EVP_MD* expected;
    } const cases[] = {
        {rsa.get(), EVP_md5(), EVP_sha256()},    {rsa.get(), EVP_sha1(), EVP_sha256()},
        {rsa.get(), EVP_sha256(), EVP_sha256()}, {rsa.get(), EVP_sha384(), EVP_sha384()},
        {ec.get(), EVP_sha1(), EVP_sha256()},    {ec.get(), EVP_sha224(), EVP_sha224()},
        {ec.get(), EVP_sha384(), EVP_sha384()},  {ec.get(), EVP_sha512(), EVP_sha512()},
    };
    for (const auto& c : cases) {
        INFO(EVP_MD_get0_name(c.signed_with));
        const auto der = self_signed(c.key, c.signed_with);
        const auto hash = tls_server_end_point(der);
        REQUIRE(hash.has_value());
        CHECK(hex(*hash) == hex(digest(der, c.expected)));
    }
}

TEST_CASE("tls-server-end-point refuses what it cannot bind to") {
    SECTION("Ed25519 signatures have no separate digest") {
        pkey_ptr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free);
        REQUIRE(ed);
        const auto der = self_signed(ed.get(), nullptr);
        CHECK(tls_server_end_point(der).error() ==
              client_errc::channel_binding_unsupported_certificate);
    }
    SECTION("bytes that are not exactly one certificate") {
        auto der = *pgasio::protocol::detail::base64_decode(ecdsa_sha384_certificate);
        CHECK(tls_server_end_point({}).error() ==
              client_errc::channel_binding_unsupported_certificate);
        CHECK(tls_server_end_point(std::span(der).first(der.size() - 1)).error() ==
              client_errc::channel_binding_unsupported_certificate);
        der.push_back(std::byte{0});
        CHECK(tls_server_end_point(der).error() ==
              client_errc::channel_binding_unsupported_certificate);
        const std::byte garbage[] = {std::byte{0x30}, std::byte{0x03}, std::byte{0x02},
                                     std::byte{0x01}, std::byte{0x00}};
        CHECK(tls_server_end_point(garbage).error() ==
              client_errc::channel_binding_unsupported_certificate);
    }
}
