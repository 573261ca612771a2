// Channel binding data of type tls-server-end-point (RFC 5929 §4.1) for SCRAM-SHA-256-PLUS.
#pragma once

#include <boost/system/result.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace pgasio::protocol {

/// The tls-server-end-point channel binding data of the server certificate `der_certificate`
/// (DER, as the TLS layer reports the peer's certificate): the certificate hashed with the digest
/// of its signature algorithm, except that MD5 and SHA-1 are replaced by SHA-256 (RFC 5929 §4.1),
/// which is what PostgreSQL's be_tls_get_certificate_hash computes.
///
/// Errors: client_errc::channel_binding_unsupported_certificate when the bytes are not one DER
/// certificate (trailing bytes included) or its signature algorithm has no single digest (e.g.
/// Ed25519, RSASSA-PSS): such a server cannot offer SCRAM-SHA-256-PLUS either;
/// client_errc::crypto_failure when OpenSSL cannot compute the digest.
boost::system::result<std::vector<std::byte>>
tls_server_end_point(std::span<const std::byte> der_certificate);

} // namespace pgasio::protocol
