// TLS set-up for a connection: the OpenSSL context from the configuration, and per-session
// settings (SNI, host name verification, ALPN).
#pragma once

#include <pgasio/error.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <string>

namespace pgasio::detail {

/// What the TLS layer must check, derived from sslmode and the certificate options.
struct tls_settings {
    bool verify_chain = false; ///< verify-ca, verify-full: the server certificate chains to a root
    bool verify_host = false;  ///< verify-full: and it names the host we connected to
    std::string root_cert;     ///< CA file, or "system" for the system's default store
    std::string cert;          ///< client certificate (chain) file, or empty
    std::string key;           ///< client private key file, or empty
};

/// Builds the OpenSSL context: TLS 1.2 at least, the roots to verify against, the client
/// certificate. Errors (with `diag.message` naming the file and OpenSSL's reason): an unreadable
/// or invalid file; insecure_key_file when the key is readable by group or others.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const tls_settings& settings,
                                                            error_code& ec, diagnostics& diag);

/// Prepares one TLS session before its handshake: SNI with the host name (not for IP
/// addresses, as RFC 6066 requires), the expected name or address for verify-full, and the
/// ALPN protocol "postgresql" (required by direct TLS, harmless otherwise).
error_code prepare_tls_session(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream,
                               const std::string& host, const tls_settings& settings);

/// The DER bytes of the server's certificate after the handshake (empty if none).
std::vector<std::byte>
peer_certificate_der(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream);

/// True when the server selected the "postgresql" ALPN protocol.
bool alpn_is_postgresql(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream);

} // namespace pgasio::detail
