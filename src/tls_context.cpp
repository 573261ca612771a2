#include "tls_context.hpp"

#include <boost/asio/ip/address.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pgasio::detail {
namespace {

namespace ssl = boost::asio::ssl;

// "postgresql" as an ALPN protocol list: a length byte, then the name.
constexpr unsigned char alpn_postgresql[] = {10, 'p', 'o', 's', 't', 'g', 'r', 'e', 's', 'q', 'l'};

std::string openssl_reason() {
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "unknown reason";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

} // namespace

std::shared_ptr<ssl::context> make_tls_context(const tls_settings& s, error_code& ec,
                                               diagnostics& diag) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    // Renegotiation and compression are attack surface PostgreSQL does not need.
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    auto fail = [&](error_code code, std::string message) -> std::shared_ptr<ssl::context> {
        ec = code;
        diag.message = std::move(message);
        return nullptr;
    };
    const error_code bad_file =
        boost::system::errc::make_error_code(boost::system::errc::invalid_argument);

    if (s.verify_chain) {
        if (s.root_cert == "system") {
            if (SSL_CTX_set_default_verify_paths(native) != 1)
                return fail(bad_file,
                            "cannot load the system's root certificates: " + openssl_reason());
        } else if (SSL_CTX_load_verify_locations(native, s.root_cert.c_str(), nullptr) != 1) {
            return fail(bad_file, "cannot load root certificate file \"" + s.root_cert +
                                      "\": " + openssl_reason());
        }
        SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
    }

    if (!s.cert.empty()) {
        if (SSL_CTX_use_certificate_chain_file(native, s.cert.c_str()) != 1)
            return fail(bad_file,
                        "cannot load client certificate \"" + s.cert + "\": " + openssl_reason());
        // As libpq: a key file of ours must not be readable by others (root-owned files may be
        // group-readable, for system-managed keys).
        struct stat st {};
        if (::stat(s.key.c_str(), &st) != 0)
            return fail(bad_file, "cannot read client key \"" + s.key + "\"");
        const bool ours = st.st_uid == ::geteuid();
        if ((ours && (st.st_mode & 077) != 0) || (st.st_uid == 0 && (st.st_mode & 037) != 0))
            return fail(client_errc::insecure_key_file,
                        "client key \"" + s.key +
                            "\" has group or world access; it must have "
                            "permissions u=rw (0600) or less");
        if (SSL_CTX_use_PrivateKey_file(native, s.key.c_str(), SSL_FILETYPE_PEM) != 1)
            return fail(bad_file, "cannot load client key \"" + s.key + "\": " + openssl_reason());
        if (SSL_CTX_check_private_key(native) != 1)
            return fail(bad_file, "client key \"" + s.key + "\" does not match certificate \"" +
                                      s.cert + "\"");
    }
    return ctx;
}

error_code prepare_tls_session(ssl::stream<boost::asio::ip::tcp::socket>& stream,
                               const std::string& host, const tls_settings& s) {
    SSL* native = stream.native_handle();
    if (SSL_set_alpn_protos(native, alpn_postgresql, sizeof alpn_postgresql) != 0)
        return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    error_code not_ip;
    const auto address = boost::asio::ip::make_address(host, not_ip);
    // SSL_set_tlsext_host_name, without the macro's C cast.
    if (not_ip && !host.empty())
        SSL_ctrl(native, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(host.c_str()));
    if (s.verify_host) {
        X509_VERIFY_PARAM* param = SSL_get0_param(native);
        // A host given as an address must appear as an iPAddress SAN; a name, as a dNSName SAN
        // (or the CN when the certificate has no dNSName at all), as libpq checks it.
        const int ok = not_ip ? X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size())
                              : X509_VERIFY_PARAM_set1_ip_asc(param, address.to_string().c_str());
        if (ok != 1)
            return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    }
    return {};
}

std::vector<std::byte> peer_certificate_der(ssl::stream<boost::asio::ip::tcp::socket>& stream) {
    std::vector<std::byte> out;
    X509* cert = SSL_get1_peer_certificate(stream.native_handle());
    if (!cert) return out;
    const int len = i2d_X509(cert, nullptr);
    if (len > 0) {
        out.resize(static_cast<std::size_t>(len));
        auto* p = reinterpret_cast<unsigned char*>(out.data());
        i2d_X509(cert, &p);
    }
    X509_free(cert);
    return out;
}

bool alpn_is_postgresql(ssl::stream<boost::asio::ip::tcp::socket>& stream) {
    const unsigned char* proto = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(stream.native_handle(), &proto, &len);
    return len == sizeof alpn_postgresql - 1 && std::equal(proto, proto + len, alpn_postgresql + 1);
}

} // namespace pgasio::detail
