// The start of a session: StartupMessage, authentication, and the server's initial reports.
#pragma once

#include <pgasio/protocol/auth/sasl_mechanism.hpp>
#include <pgasio/protocol/auth/scram_client.hpp>
#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/diagnostics.hpp>
#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pgasio::protocol {

/// Authentication methods, as a set: what a connection accepts from the server (libpq's
/// require_auth). `none` is a server that lets the client in without asking anything.
enum class auth_method : unsigned {
    none = 1u << 0,
    password = 1u << 1, ///< cleartext password
    md5 = 1u << 2,
    scram_sha_256 = 1u << 3,
    gss = 1u << 4,
    sspi = 1u << 5,
};
/// A set of auth_method values.
using auth_methods = unsigned;
/// Every method: the default, as with libpq.
inline constexpr auth_methods all_auth_methods = 0x3F;
/// The set of both methods.
constexpr auth_methods operator|(auth_method a, auth_method b) noexcept {
    return static_cast<unsigned>(a) | static_cast<unsigned>(b);
}
/// Whether `set` holds `m`.
constexpr bool allows(auth_methods set, auth_method m) noexcept {
    return (set & static_cast<unsigned>(m)) != 0;
}

/// What the start of a session needs to know.
struct startup_options {
    /// Sent in StartupMessage: "user", "database", "application_name", "options", GUCs...
    /// "user" is required by the server.
    std::vector<std::pair<std::string, std::string>> parameters;
    /// 3.0, or 3.2 when the server may offer it (older servers answer NegotiateProtocolVersion
    /// and the session continues in 3.0).
    protocol_version version = protocol_version::v3_0;
    /// The password, if any; wiped when the exchange no longer needs it.
    std::optional<std::string> password;
    /// The methods the server may use (require_auth).
    auth_methods allowed = all_auth_methods;
    /// When SCRAM-SHA-256-PLUS (channel binding) is used.
    channel_binding_policy channel_binding = channel_binding_policy::prefer;
    /// tls-server-end-point data of the server certificate; empty without TLS or when the
    /// certificate's signature algorithm has no single digest.
    std::vector<std::byte> tls_server_end_point;
    /// Upper bound of the SCRAM iteration count the server may demand.
    std::uint32_t max_scram_iterations = 1'000'000;
};

/// The startup and authentication flow of one connection, without I/O (protocol-flow.html
/// §55.2.1-55.2.2): the caller sends what `start()` and `on_message()` append to the write
/// buffer and feeds every message the server sends until `on_message()` says ready.
///
/// Security rules enforced here:
/// - the server can only use a method in `allowed`; a request for another, or for one pgasio
///   does not implement (GSSAPI, SSPI, Kerberos, SCM), fails with an error naming it;
/// - with channel_binding require, only SCRAM-SHA-256-PLUS is acceptable: the password is never
///   sent in any other way, and an AuthenticationOk without it is refused;
/// - AuthenticationOk in the middle of SCRAM, before the server proved it knows the password, is
///   refused (authentication_incomplete).
///
/// Errors carry diagnostics(): the server's ErrorResponse, or pgasio's own explanation.
class startup_exchange {
public:
    /// An exchange that logs in with `options`.
    explicit startup_exchange(startup_options options);
    ~startup_exchange();
    /// Takes over the exchange.
    startup_exchange(startup_exchange&&) noexcept;
    /// Takes over `other`'s exchange.
    startup_exchange& operator=(startup_exchange&&) noexcept;

    /// Appends the StartupMessage. Errors: those of encode_startup.
    boost::system::error_code start(write_buffer& out);

    /// Whether the session is ready for queries after a message.
    enum class status { in_progress, ready };

    /// Processes one server message, appending any answer to `out`. Errors: the server's
    /// (sqlstate_category), or client_errc (unexpected_message, unsupported_authentication,
    /// authentication_method_refused, password_required, authentication_incomplete, SCRAM
    /// errors, decoding errors). After an error the connection must be closed.
    boost::system::result<status> on_message(const message_view& message, write_buffer& out);

    /// Explanation of the last error.
    const diagnostics& error_diagnostics() const noexcept { return diag_; }
    /// The ParameterStatus values reported so far.
    const std::map<std::string, std::string, std::less<>>& parameters() const noexcept {
        return parameters_;
    }
    /// The process ID and secret key for CancelRequest (empty key until BackendKeyData).
    std::int32_t process_id() const noexcept { return process_id_; }
    /// The cancellation key from BackendKeyData.
    const std::vector<std::byte>& secret_key() const noexcept { return secret_key_; }
    /// The protocol version in use: the one asked for, or the server's newest if older.
    protocol_version version() const noexcept { return version_; }
    /// NoticeResponses received during startup.
    const std::vector<diagnostics>& notices() const noexcept { return notices_; }
    /// The method the server authenticated us with (none for trust), once ready.
    auth_method method_used() const noexcept { return used_; }
    /// True when SCRAM-SHA-256-PLUS bound the exchange to the TLS session.
    bool channel_binding_used() const noexcept { return bound_; }

private:
    boost::system::result<status> on_authentication(std::span<const std::byte> body,
                                                    write_buffer& out);
    boost::system::error_code fail(boost::system::error_code ec, std::string message);
    boost::system::error_code require_method(auth_method m, std::string_view name);

    enum class phase { created, authenticating, authenticated, ready, failed };

    startup_options options_;
    phase phase_ = phase::created;
    std::unique_ptr<scram_client> scram_;
    diagnostics diag_;
    std::map<std::string, std::string, std::less<>> parameters_;
    std::int32_t process_id_ = 0;
    std::vector<std::byte> secret_key_;
    protocol_version version_;
    std::vector<diagnostics> notices_;
    auth_method used_ = auth_method::none;
    bool bound_ = false;
};

} // namespace pgasio::protocol
