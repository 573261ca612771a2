#include <pgasio/protocol/auth/saslprep.hpp>
#include <pgasio/protocol/auth/scram_client.hpp>
#include <pgasio/protocol/detail/base64.hpp>
#include <pgasio/protocol/error.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>

namespace pgasio::protocol {
namespace {

constexpr std::size_t key_size = 32; // SHA-256
using key = std::array<unsigned char, key_size>;

// Wipes a secret when the scope ends, whichever way it ends.
template <class T>
struct wipe_on_exit {
    T& secret;
    ~wipe_on_exit() { OPENSSL_cleanse(secret.data(), secret.size()); }
};

// RFC 5802 "printable": %x21-2B / %x2D-7E (visible ASCII except ',').
bool is_printable(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return c >= 0x21 && c <= 0x7E && c != ','; });
}

bool hmac_sha256(std::span<const unsigned char> k, std::string_view data, key& out) noexcept {
    unsigned int len = 0;
    return HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                &len) != nullptr &&
           len == key_size;
}

bool sha256(std::span<const unsigned char> data, key& out) noexcept {
    unsigned int len = 0;
    return EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) == 1 &&
           len == key_size;
}

// "i=" value: a positive decimal without leading zeros (RFC 5802 posit-number). Values beyond
// `limit` saturate to limit + 1, so no digit string can overflow.
std::optional<std::uint64_t> parse_iterations(std::string_view s, std::uint64_t limit) noexcept {
    if (s.empty() || s.front() == '0') return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = std::min(v * 10 + static_cast<std::uint64_t>(c - '0'), limit + 1);
    }
    return v;
}

// Splits "a=x,b=y,..." at ',' into exactly `N` attributes named by `names`; nullopt when the
// count, a name or the order differs.
template <std::size_t N>
std::optional<std::array<std::string_view, N>> attributes(std::string_view msg,
                                                          const char (&names)[N + 1]) {
    std::array<std::string_view, N> out;
    for (std::size_t i = 0; i < N; ++i) {
        const std::size_t comma = i + 1 < N ? msg.find(',') : msg.size();
        if (comma == std::string_view::npos) return std::nullopt;
        const std::string_view attr = msg.substr(0, comma);
        if (attr.size() < 2 || attr[0] != names[i] || attr[1] != '=') return std::nullopt;
        out[i] = attr.substr(2);
        // The last attribute runs to the end: a ',' there starts an extension, refused too.
        if (i + 1 == N && out[i].find(',') != std::string_view::npos) return std::nullopt;
        msg.remove_prefix(std::min(msg.size(), comma + 1));
    }
    return out;
}

std::string_view as_text(std::span<const std::byte> b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

} // namespace

scram_client::scram_client(std::string password, scram_client_options options)
    : options_(std::move(options))
    , password_(saslprep(password)) {
    OPENSSL_cleanse(password.data(), password.size());
}

scram_client::~scram_client() {
    OPENSSL_cleanse(password_.data(), password_.size());
    OPENSSL_cleanse(server_signature_.data(), server_signature_.size());
}

std::string_view scram_client::mechanism() const noexcept {
    return options_.binding == scram_binding::tls_server_end_point ? "SCRAM-SHA-256-PLUS"
                                                                   : "SCRAM-SHA-256";
}

boost::system::error_code scram_client::fail(boost::system::error_code ec, std::string why) {
    step_ = step::failed;
    OPENSSL_cleanse(password_.data(), password_.size());
    why_ = std::move(why);
    return ec;
}

std::string scram_client::gs2_header() const {
    switch (options_.binding) {
    case scram_binding::tls_server_end_point:
        return "p=tls-server-end-point,,";
    case scram_binding::supported:
        return "y,,";
    case scram_binding::none:
        break;
    }
    return "n,,";
}

boost::system::result<std::string> scram_client::client_first_message() {
    if (step_ != step::initial) return fail(client_errc::scram_unexpected_step);
    if (options_.binding == scram_binding::tls_server_end_point &&
        options_.channel_binding_data.empty())
        return fail(client_errc::scram_channel_binding_unavailable);
    if (options_.nonce.empty()) {
        // 18 random bytes, 24 characters of base64: as much entropy as libpq's nonce.
        std::array<std::byte, 18> raw{};
        if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()),
                       static_cast<int>(raw.size())) != 1)
            return fail(client_errc::crypto_failure);
        options_.nonce = detail::base64_encode(raw);
    } else if (!is_printable(options_.nonce)) {
        return fail(make_error_code(boost::system::errc::invalid_argument));
    }
    // saslname escaping (RFC 5802 §5.1): ',' and '=' cannot appear raw.
    client_first_bare_ = "n=";
    for (char c : options_.username) {
        if (c == ',')
            client_first_bare_ += "=2C";
        else if (c == '=')
            client_first_bare_ += "=3D";
        else
            client_first_bare_ += c;
    }
    client_first_bare_ += ",r=";
    client_first_bare_ += options_.nonce;
    step_ = step::first_sent;
    return gs2_header() + client_first_bare_;
}

boost::system::result<std::string>
scram_client::handle_server_first(std::span<const std::byte> message) {
    return handle_server_first(as_text(message));
}

boost::system::result<std::string> scram_client::handle_server_first(std::string_view message) {
    if (step_ != step::first_sent) return fail(client_errc::scram_unexpected_step);
    // A NUL is no part of any attribute: named as such, rather than blamed on whichever
    // attribute it happens to fall in.
    if (const auto nul = message.find('\0'); nul != std::string_view::npos)
        return fail(client_errc::scram_invalid_server_first,
                    "the server-first-message holds a NUL byte (at offset " + std::to_string(nul) +
                        ")");
    const auto attrs = attributes<3>(message, "rsi");
    if (!attrs)
        return fail(client_errc::scram_invalid_server_first,
                    "the server-first-message is not r=<nonce>,s=<salt>,i=<iterations>");
    const auto [nonce, salt_text, iterations_text] = *attrs;
    if (!is_printable(nonce))
        return fail(client_errc::scram_invalid_server_first,
                    "the server nonce holds a character that is not printable ASCII");
    // The server must extend our nonce: a server replaying an old exchange cannot.
    if (!nonce.starts_with(options_.nonce))
        return fail(client_errc::scram_nonce_mismatch,
                    "the server nonce does not start with the client nonce");
    if (nonce.size() == options_.nonce.size())
        return fail(client_errc::scram_nonce_mismatch,
                    "the server nonce is the client nonce alone: the server added no part of "
                    "its own");
    const auto salt = detail::base64_decode(salt_text);
    if (!salt || salt->empty())
        return fail(client_errc::scram_invalid_salt, "the salt is empty or not valid base64");
    const std::uint64_t limit = std::min<std::uint64_t>(options_.max_iterations, INT_MAX);
    const auto iterations = parse_iterations(iterations_text, limit);
    if (!iterations)
        return fail(client_errc::scram_invalid_iteration_count,
                    "the iteration count is not a positive decimal number");
    if (*iterations > limit)
        return fail(client_errc::scram_iteration_count_too_high,
                    "the server asks for more than " + std::to_string(limit) + " iterations");

    // c= carries the gs2 header, and for -PLUS the certificate hash: the server compares it with
    // its own certificate's, which a man in the middle cannot match.
    std::string gs2_and_binding = gs2_header();
    if (options_.binding == scram_binding::tls_server_end_point)
        gs2_and_binding.append(as_text(options_.channel_binding_data));
    std::string final_message = "c=";
    detail::base64_encode(std::as_bytes(std::span(gs2_and_binding)), final_message);
    final_message += ",r=";
    final_message += nonce;
    std::string auth_message;
    auth_message.reserve(client_first_bare_.size() + message.size() + final_message.size() + 2);
    auth_message.append(client_first_bare_)
        .append(",")
        .append(message)
        .append(",")
        .append(final_message);

    key salted{}, client_key{}, stored_key{}, client_signature{}, server_key{};
    wipe_on_exit<key> w1{salted}, w2{client_key}, w3{stored_key}, w4{client_signature},
        w5{server_key};
    // One PBKDF2 call: OpenSSL's loop is the fast path, and Hi() of RFC 5802 is exactly PBKDF2.
    const bool ok =
        PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                          reinterpret_cast<const unsigned char*>(salt->data()),
                          static_cast<int>(salt->size()), static_cast<int>(*iterations),
                          EVP_sha256(), static_cast<int>(key_size), salted.data()) == 1 &&
        hmac_sha256(salted, "Client Key", client_key) && sha256(client_key, stored_key) &&
        hmac_sha256(stored_key, auth_message, client_signature) &&
        hmac_sha256(salted, "Server Key", server_key) &&
        hmac_sha256(server_key, auth_message, server_signature_);
    OPENSSL_cleanse(password_.data(), password_.size());
    if (!ok) return fail(client_errc::crypto_failure);

    key proof{};
    for (std::size_t i = 0; i < key_size; ++i)
        proof[i] = client_key[i] ^ client_signature[i];
    final_message += ",p=";
    detail::base64_encode(std::as_bytes(std::span(proof)), final_message);
    step_ = step::final_sent;
    return final_message;
}

boost::system::error_code scram_client::handle_server_final(std::span<const std::byte> message) {
    return handle_server_final(as_text(message));
}

boost::system::error_code scram_client::handle_server_final(std::string_view message) {
    if (step_ != step::final_sent) return fail(client_errc::scram_unexpected_step);
    if (message.starts_with("e=")) {
        server_error_.assign(message.substr(2));
        return fail(client_errc::scram_server_error);
    }
    const auto attrs = attributes<1>(message, "v");
    if (!attrs) return fail(client_errc::scram_invalid_server_final);
    const auto signature = detail::base64_decode((*attrs)[0]);
    if (!signature || signature->size() != key_size)
        return fail(client_errc::scram_invalid_server_final);
    if (CRYPTO_memcmp(signature->data(), server_signature_.data(), key_size) != 0)
        return fail(client_errc::scram_server_signature_mismatch);
    step_ = step::complete;
    return {};
}

} // namespace pgasio::protocol
