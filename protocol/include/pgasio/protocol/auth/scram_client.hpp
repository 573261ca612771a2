// The client side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677) as a state machine.
#pragma once

#include <pgasio/protocol/auth/sasl_mechanism.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio::protocol {

/// Settings of one SCRAM exchange.
struct scram_client_options {
    /// The gs2 channel-binding flag, as select_sasl_mechanism() chose it. tls_server_end_point
    /// selects SCRAM-SHA-256-PLUS and needs `channel_binding_data`.
    scram_binding binding = scram_binding::none;
    /// For tls_server_end_point: the hash of the server's certificate, from
    /// tls_server_end_point(). Not used with the other flags.
    std::vector<std::byte> channel_binding_data;
    /// The largest iteration count the server may ask for: each iteration costs the client two
    /// HMAC-SHA-256 computations, so this bounds the CPU time a hostile server can make us spend
    /// (about 0.2 to 1 s at the default on current hardware). PostgreSQL uses 4096 unless
    /// scram_iterations says otherwise. Values above INT_MAX act as INT_MAX (the most PostgreSQL
    /// can store); 0 refuses every exchange.
    std::uint32_t max_iterations = 1'000'000;
    /// The client nonce: printable ASCII without ',' (RFC 5802 "printable"). Empty (the default):
    /// 18 bytes from RAND_bytes in base64, as libpq. Set it only to reproduce a known exchange.
    std::string nonce;
    /// The user name sent as n= (escaped per RFC 5802). PostgreSQL ignores it and takes the
    /// startup packet's user, so libpq sends it empty; it still enters the signatures, which is
    /// why it can be set (e.g. to reproduce RFC 7677's example).
    std::string username;
};

/// One SCRAM-SHA-256(-PLUS) exchange, client side, without I/O: the caller sends and receives
/// the SASL messages; this object produces and checks their payloads.
///
/// Sequence: client_first_message() (payload of SASLInitialResponse), handle_server_first()
/// with the payload of AuthenticationSASLContinue (returns the payload of SASLResponse),
/// handle_server_final() with the payload of AuthenticationSASLFinal. complete() is true only
/// once the server has proved that it knows the password: an AuthenticationOk before that must
/// fail the connection (client_errc::authentication_incomplete).
///
/// Any error ends the exchange: every later step fails with client_errc::scram_unexpected_step.
/// The password is prepared with saslprep(), and every secret (password, salted password, keys,
/// signatures) is wiped with OPENSSL_cleanse as soon as it is no longer needed, and on
/// destruction. Neither copyable nor movable, so that no copy of a secret is left behind
/// (hold it in std::optional or std::unique_ptr).
///
/// Example:
///   scram_client scram(password, {.binding = choice.binding, .channel_binding_data = hash});
///   send_initial(scram.mechanism(), scram.client_first_message().value());
///   send_response(scram.handle_server_first(continue_payload).value());
///   if (auto ec = scram.handle_server_final(final_payload)) fail(ec);
class scram_client {
public:
    /// Takes `password` (wiped here once prepared) and the exchange's settings.
    explicit scram_client(std::string password, scram_client_options options = {});
    ~scram_client();
    scram_client(const scram_client&) = delete;
    scram_client& operator=(const scram_client&) = delete;

    /// "SCRAM-SHA-256-PLUS" with tls_server_end_point binding, else "SCRAM-SHA-256".
    std::string_view mechanism() const noexcept;

    /// The client-first-message: gs2 header ("n,,", "y,," or "p=tls-server-end-point,,") then
    /// "n=<user>,r=<nonce>".
    /// Errors: scram_unexpected_step if called twice; scram_channel_binding_unavailable for
    /// tls_server_end_point without binding data; boost::system::errc::invalid_argument for a nonce
    /// that is not printable; crypto_failure if RAND_bytes fails.
    boost::system::result<std::string> client_first_message();

    /// Checks the server-first-message "r=<nonce>,s=<salt>,i=<count>" (exactly these, in this
    /// order: RFC 5802's mandatory extension m= is refused) and returns the client-final-message
    /// "c=<binding>,r=<nonce>,p=<proof>". `message` is only read during the call.
    /// Errors: scram_unexpected_step (not after client_first_message());
    /// scram_invalid_server_first (structure, attribute names or order, non-printable nonce,
    /// trailing data, a NUL byte anywhere); scram_nonce_mismatch (not the client nonce extended by
    /// at least one character); scram_invalid_salt (not base64, or empty);
    /// scram_invalid_iteration_count (not a positive decimal without leading zeros);
    /// scram_iteration_count_too_high (above max_iterations); crypto_failure.
    boost::system::result<std::string> handle_server_first(std::string_view message);
    /// As above, for the bytes of a message payload.
    boost::system::result<std::string> handle_server_first(std::span<const std::byte> message);

    /// Checks the server-final-message "v=<signature>" in constant time. On success complete()
    /// becomes true.
    /// Errors: scram_unexpected_step (not right after handle_server_first()); scram_server_error
    /// for "e=<error>" (the text is then in server_error()); scram_server_signature_mismatch;
    /// scram_invalid_server_final for anything else.
    boost::system::error_code handle_server_final(std::string_view message);
    /// As above, for the bytes of a message payload.
    boost::system::error_code handle_server_final(std::span<const std::byte> message);

    /// True once the server's signature has been verified, and only then.
    bool complete() const noexcept { return step_ == step::complete; }

    /// The server's e= text (e.g. "invalid-proof") after scram_server_error, else empty. Valid
    /// while this object lives.
    std::string_view server_error() const noexcept { return server_error_; }

    /// What was wrong with the server's message, in words, after a handle_server_first()
    /// error (e.g. "the server nonce is the client nonce alone: the server added no part of
    /// its own"); empty otherwise. Never holds a secret. Valid while this object lives.
    std::string_view failure() const noexcept { return why_; }

private:
    enum class step { initial, first_sent, final_sent, complete, failed };

    boost::system::error_code fail(boost::system::error_code ec, std::string why = {});
    std::string gs2_header() const;

    step step_ = step::initial;
    scram_client_options options_;
    std::string password_;          // prepared, wiped after handle_server_first()
    std::string client_first_bare_; // "n=...,r=..."
    std::array<unsigned char, 32> server_signature_{};
    std::string server_error_;
    std::string why_; // see failure()
};

} // namespace pgasio::protocol
