#include <pgasio/protocol/auth/tls_server_end_point.hpp>
#include <pgasio/protocol/error.hpp>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <climits>
#include <memory>

namespace pgasio::protocol {

boost::system::result<std::vector<std::byte>>
tls_server_end_point(std::span<const std::byte> der_certificate) {
    if (der_certificate.size() > static_cast<std::size_t>(LONG_MAX))
        return make_error_code(client_errc::channel_binding_unsupported_certificate);
    const auto* p = reinterpret_cast<const unsigned char*>(der_certificate.data());
    const std::unique_ptr<X509, decltype(&X509_free)> cert(
        d2i_X509(nullptr, &p, static_cast<long>(der_certificate.size())), &X509_free);
    if (!cert || p != reinterpret_cast<const unsigned char*>(der_certificate.data()) +
                          der_certificate.size())
        return make_error_code(client_errc::channel_binding_unsupported_certificate);

    int digest_nid = NID_undef;
    if (!OBJ_find_sigid_algs(X509_get_signature_nid(cert.get()), &digest_nid, nullptr) ||
        digest_nid == NID_undef)
        return make_error_code(client_errc::channel_binding_unsupported_certificate);
    // RFC 5929 §4.1: MD5 and SHA-1 are upgraded to SHA-256.
    if (digest_nid == NID_md5 || digest_nid == NID_sha1) digest_nid = NID_sha256;
    const EVP_MD* md = EVP_get_digestbynid(digest_nid);
    if (!md) return make_error_code(client_errc::channel_binding_unsupported_certificate);

    // The hash covers the certificate exactly as the server sent it (checked above to be one
    // whole DER certificate), not a re-encoding.
    std::vector<std::byte> hash(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (EVP_Digest(der_certificate.data(), der_certificate.size(),
                   reinterpret_cast<unsigned char*>(hash.data()), &len, md, nullptr) != 1)
        return make_error_code(client_errc::crypto_failure);
    hash.resize(len);
    return hash;
}

} // namespace pgasio::protocol
