// Choosing the SASL mechanism and channel binding for AuthenticationSASL.
#pragma once

#include <boost/system/result.hpp>

#include <span>
#include <string_view>

namespace pgasio::protocol {

/// What the connection's configuration allows for channel binding (libpq's channel_binding).
enum class channel_binding_policy {
    disable, ///< never bind (SCRAM-SHA-256 with gs2 flag "n")
    prefer,  ///< bind when the server offers SCRAM-SHA-256-PLUS and the connection can
    require, ///< bind or fail: protects against a man in the middle who holds the server's key
             ///< only if the exchange cannot fall back to SCRAM-SHA-256
};

/// The gs2 channel-binding flag of the SCRAM exchange (RFC 5802 §7).
enum class scram_binding {
    none,      ///< "n": the client does not support channel binding on this connection
    supported, ///< "y": the client could bind but believes the server cannot (no PLUS offered):
               ///< a server that does support it detects a downgrade by an active attacker
    tls_server_end_point, ///< "p=tls-server-end-point": SCRAM-SHA-256-PLUS (RFC 5929)
};

/// The mechanism that select_sasl_mechanism() chose.
struct sasl_mechanism_choice {
    /// "SCRAM-SHA-256" or "SCRAM-SHA-256-PLUS" (static storage): the name to send in
    /// SASLInitialResponse.
    std::string_view mechanism;
    /// The gs2 flag to use; tls_server_end_point exactly when `mechanism` is the PLUS variant.
    scram_binding binding;
};

/// Picks the SASL mechanism from the list that AuthenticationSASL offered.
///
/// `have_tls_binding` is true when the connection uses TLS and the tls-server-end-point data
/// could be computed (see tls_server_end_point()). SCRAM-SHA-256-PLUS is chosen when offered,
/// allowed (`policy` is not disable) and `have_tls_binding`; otherwise SCRAM-SHA-256, with the
/// flag "y" when `have_tls_binding` and the policy is not disable, else "n" (as libpq).
///
/// Errors: client_errc::scram_channel_binding_unavailable when `policy` is require and PLUS is
/// not offered or `have_tls_binding` is false; client_errc::scram_no_supported_mechanism when no
/// usable mechanism is offered (e.g. only SCRAM-SHA-256-PLUS on a connection without TLS).
boost::system::result<sasl_mechanism_choice>
select_sasl_mechanism(std::span<const std::string_view> offered, channel_binding_policy policy,
                      bool have_tls_binding) noexcept;

} // namespace pgasio::protocol
