#include <pgasio/protocol/auth/md5_password.hpp>
#include <pgasio/protocol/error.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <memory>

namespace pgasio::protocol {
namespace {

using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

constexpr std::size_t md5_size = 16;

// hex(md5(a + b)) into `hex` (32 characters); false when OpenSSL fails.
bool md5_hex(std::span<const std::byte> a, std::span<const std::byte> b, char* hex) {
    md_ctx_ptr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::array<unsigned char, md5_size> digest{};
    unsigned int len = 0;
    const bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx.get(), a.data(), a.size()) == 1 &&
                    EVP_DigestUpdate(ctx.get(), b.data(), b.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) == 1 && len == md5_size;
    if (ok) {
        constexpr char digits[] = "0123456789abcdef";
        for (std::size_t i = 0; i < md5_size; ++i) {
            hex[2 * i] = digits[digest[i] >> 4];
            hex[2 * i + 1] = digits[digest[i] & 0x0F];
        }
    }
    OPENSSL_cleanse(digest.data(), digest.size());
    return ok;
}

std::span<const std::byte> as_bytes(std::string_view s) {
    return std::as_bytes(std::span(s));
}

} // namespace

boost::system::result<std::string> md5_password_response(std::string_view user,
                                                         std::string_view password,
                                                         std::span<const std::byte, 4> salt) {
    // The inner hash is what pg_authid stores ("md5" + it): knowing it is enough to log in, so
    // it is wiped like the password.
    std::array<char, 2 * md5_size> inner{};
    std::string out(3 + 2 * md5_size, '\0');
    const bool ok = md5_hex(as_bytes(password), as_bytes(user), inner.data()) &&
                    md5_hex(std::as_bytes(std::span(inner)), salt, out.data() + 3);
    OPENSSL_cleanse(inner.data(), inner.size());
    if (!ok) return make_error_code(client_errc::crypto_failure);
    out.replace(0, 3, "md5");
    return out;
}

} // namespace pgasio::protocol
