#include <pgasio/protocol/auth/md5_password.hpp>
#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/sqlstate_category.hpp>
#include <pgasio/protocol/startup_exchange.hpp>

#include <openssl/crypto.h>

namespace pgasio::protocol {
namespace {

using boost::system::error_code;

void wipe(std::optional<std::string>& s) noexcept {
    if (s) {
        OPENSSL_cleanse(s->data(), s->size());
        s.reset();
    }
}

// Why decode_authentication refused `body`, as the error to report and its explanation: a
// request type the protocol does not define, or a SASL request that offers nothing, is a server
// pgasio cannot follow rather than a malformed message.
std::pair<error_code, std::string> explain_authentication(std::span<const std::byte> body,
                                                          error_code ec) {
    if (ec != client_errc::invalid_field_value || body.size() < 4)
        return {ec, "malformed Authentication message"};
    std::uint32_t code = 0;
    for (std::size_t i = 0; i < 4; ++i)
        code = code << 8 | std::to_integer<std::uint32_t>(body[i]);
    if (code == static_cast<std::uint32_t>(auth_kind::sasl))
        return {client_errc::scram_no_supported_mechanism,
                "no SASL mechanism offered: the server's SASL authentication request lists none"};
    return {client_errc::unsupported_authentication,
            "authentication method " + std::to_string(static_cast<std::int32_t>(code)) +
                " not supported: the server asked for an authentication request type that "
                "PostgreSQL's protocol does not define"};
}

} // namespace

startup_exchange::startup_exchange(startup_options options)
    : options_(std::move(options))
    , version_(options_.version) {}

startup_exchange::~startup_exchange() {
    wipe(options_.password);
}
startup_exchange::startup_exchange(startup_exchange&&) noexcept = default;
startup_exchange& startup_exchange::operator=(startup_exchange&&) noexcept = default;

error_code startup_exchange::fail(error_code ec, std::string message) {
    phase_ = phase::failed;
    scram_.reset();
    wipe(options_.password);
    if (!message.empty()) diag_.message = std::move(message);
    return ec;
}

error_code startup_exchange::start(write_buffer& out) {
    std::vector<startup_parameter> params;
    params.reserve(options_.parameters.size());
    for (const auto& [name, value] : options_.parameters)
        params.push_back({name, value});
    if (auto ec = encode_startup(out, options_.version, params))
        return fail(ec, "invalid startup parameter");
    phase_ = phase::authenticating;
    return {};
}

error_code startup_exchange::require_method(auth_method m, std::string_view name) {
    if (!allows(options_.allowed, m))
        return fail(client_errc::authentication_method_refused,
                    "the server requested " + std::string(name) +
                        " authentication, which the connection's require_auth does not allow");
    // With channel_binding=require the only acceptable proof is SCRAM-SHA-256-PLUS: answering
    // anything else would hand our secret to a server that never proved its identity.
    if (m != auth_method::scram_sha_256 && m != auth_method::none &&
        options_.channel_binding == channel_binding_policy::require)
        return fail(client_errc::scram_channel_binding_unavailable,
                    "channel binding is required, but the server requested " + std::string(name) +
                        " authentication, which cannot bind to the TLS session");
    if (m != auth_method::none && m != auth_method::gss && m != auth_method::sspi &&
        !options_.password)
        return fail(client_errc::password_required,
                    "the server requested " + std::string(name) +
                        " authentication, but no password was supplied");
    return {};
}

boost::system::result<startup_exchange::status>
startup_exchange::on_authentication(std::span<const std::byte> body, write_buffer& out) {
    const auto auth = decode_authentication(body);
    if (!auth) {
        auto [ec, why] = explain_authentication(body, auth.error());
        return fail(ec, std::move(why));
    }
    if (phase_ != phase::authenticating)
        return fail(client_errc::unexpected_message, "Authentication message after authentication");

    switch (auth->kind) {
    case auth_kind::ok: {
        if (scram_ && !scram_->complete())
            return fail(client_errc::authentication_incomplete,
                        "the server accepted us before proving it knows the password (SCRAM "
                        "exchange not complete)");
        if (!scram_ && used_ == auth_method::none) {
            if (auto ec = require_method(auth_method::none, "no")) return ec;
        }
        if (options_.channel_binding == channel_binding_policy::require && !bound_)
            return fail(client_errc::scram_channel_binding_unavailable,
                        "channel binding is required, but the server authenticated us without it");
        scram_.reset();
        wipe(options_.password);
        phase_ = phase::authenticated;
        return status::in_progress;
    }
    case auth_kind::cleartext_password: {
        if (auto ec = require_method(auth_method::password, "cleartext password")) return ec;
        used_ = auth_method::password;
        if (auto ec = encode_password(out, *options_.password))
            return fail(ec, "the password contains a NUL byte");
        return status::in_progress;
    }
    case auth_kind::md5_password: {
        if (auto ec = require_method(auth_method::md5, "MD5 password")) return ec;
        used_ = auth_method::md5;
        std::string_view user;
        for (const auto& [name, value] : options_.parameters)
            if (name == "user") user = value;
        auto response = md5_password_response(user, *options_.password, auth->md5_salt);
        if (!response) return fail(response.error(), "MD5 password hashing failed");
        const auto ec = encode_password(out, *response);
        OPENSSL_cleanse(response->data(), response->size());
        if (ec) return fail(ec, "the password contains a NUL byte");
        return status::in_progress;
    }
    case auth_kind::sasl: {
        if (scram_) return fail(client_errc::scram_unexpected_step, "a second SASL exchange");
        if (auto ec = require_method(auth_method::scram_sha_256, "SASL (SCRAM-SHA-256)")) return ec;
        std::vector<std::string_view> offered(auth->sasl_mechanisms.begin(),
                                              auth->sasl_mechanisms.end());
        const auto choice = select_sasl_mechanism(offered, options_.channel_binding,
                                                  !options_.tls_server_end_point.empty());
        if (!choice) {
            std::string list;
            for (auto m : offered)
                list += (list.empty() ? "" : ", ") + std::string(m);
            return fail(choice.error(), "the server offered SASL mechanisms " + list);
        }
        scram_client_options so;
        so.binding = choice->binding;
        if (choice->binding == scram_binding::tls_server_end_point)
            so.channel_binding_data = options_.tls_server_end_point;
        so.max_iterations = options_.max_scram_iterations;
        scram_ = std::make_unique<scram_client>(std::move(*options_.password), std::move(so));
        wipe(options_.password);
        used_ = auth_method::scram_sha_256;
        bound_ = choice->binding == scram_binding::tls_server_end_point;
        const auto first = scram_->client_first_message();
        if (!first) return fail(first.error(), "SCRAM: cannot build the first message");
        if (auto ec = encode_sasl_initial_response(
                out, scram_->mechanism(),
                std::as_bytes(std::span<const char>(first->data(), first->size()))))
            return fail(ec, "SCRAM: cannot encode the first message");
        return status::in_progress;
    }
    case auth_kind::sasl_continue: {
        if (!scram_) return fail(client_errc::scram_unexpected_step, "SASLContinue without SASL");
        auto final_message = scram_->handle_server_first(auth->sasl_data);
        if (!final_message) {
            std::string text = "SCRAM: the server's first message was refused";
            if (!scram_->failure().empty()) text += ": " + std::string(scram_->failure());
            return fail(final_message.error(), std::move(text));
        }
        const auto ec = encode_sasl_response(
            out,
            std::as_bytes(std::span<const char>(final_message->data(), final_message->size())));
        OPENSSL_cleanse(final_message->data(), final_message->size());
        if (ec) return fail(ec, "SCRAM: cannot encode the final message");
        return status::in_progress;
    }
    case auth_kind::sasl_final: {
        if (!scram_) return fail(client_errc::scram_unexpected_step, "SASLFinal without SASL");
        if (auto ec = scram_->handle_server_final(auth->sasl_data)) {
            std::string text = "SCRAM: the server's final message was refused";
            if (!scram_->server_error().empty())
                text += " (server said: " + std::string(scram_->server_error()) + ")";
            return fail(ec, std::move(text));
        }
        return status::in_progress;
    }
    case auth_kind::gss:
    case auth_kind::gss_continue:
    case auth_kind::sspi:
    case auth_kind::kerberos_v5:
    case auth_kind::scm_credential:
        break;
    }
    if (auth->kind == auth_kind::gss || auth->kind == auth_kind::sspi) {
        const auto m = auth->kind == auth_kind::gss ? auth_method::gss : auth_method::sspi;
        if (auto ec = require_method(m, auth_kind_name(auth->kind))) return ec;
    }
    return fail(client_errc::unsupported_authentication,
                "the server requested " + std::string(auth_kind_name(auth->kind)) +
                    " authentication, which pgasio does not support");
}

boost::system::result<startup_exchange::status>
startup_exchange::on_message(const message_view& message, write_buffer& out) {
    using t = backend_message_type;
    if (phase_ == phase::failed || phase_ == phase::ready || phase_ == phase::created)
        return fail(client_errc::unexpected_message, "message outside the startup exchange");
    switch (message.type) {
    case t::authentication:
        return on_authentication(message.body, out);
    case t::error_response: {
        const auto fields = decode_error_fields(message.body);
        if (!fields) return fail(fields.error(), "malformed ErrorResponse");
        diag_ = diagnostics::from_fields(*fields);
        return fail(diag_.code(), {});
    }
    case t::notice_response: {
        const auto fields = decode_error_fields(message.body);
        if (!fields) return fail(fields.error(), "malformed NoticeResponse");
        notices_.push_back(diagnostics::from_fields(*fields));
        return status::in_progress;
    }
    case t::negotiate_protocol_version: {
        // Only before authentication: the server's answer to a version or option it lacks.
        const auto n = decode_negotiate_protocol_version(message.body);
        if (!n) return fail(n.error(), "malformed NegotiateProtocolVersion");
        // The field is documented as the newest minor version, but servers up to PostgreSQL 17
        // send their whole newest version (3 << 16 | minor): accept both forms.
        const std::int32_t major = n->newest_minor_version >> 16;
        const std::int32_t minor = n->newest_minor_version & 0xFFFF;
        if (phase_ != phase::authenticating || (major != 0 && major != 3) || minor > 2 ||
            minor >= (static_cast<std::int32_t>(version_) & 0xFFFF))
            return fail(client_errc::unexpected_message, "unexpected NegotiateProtocolVersion");
        version_ = minor >= 2 ? protocol_version::v3_2 : protocol_version::v3_0;
        return status::in_progress;
    }
    case t::backend_key_data: {
        const auto k = decode_backend_key_data(message.body);
        if (!k) return fail(k.error(), "malformed BackendKeyData");
        // Protocol 3.0 keys are exactly 4 bytes; longer ones exist only in 3.2.
        if (phase_ != phase::authenticated ||
            (version_ == protocol_version::v3_0 && k->secret_key.size() != 4))
            return fail(client_errc::unexpected_message, "unexpected BackendKeyData");
        process_id_ = k->process_id;
        secret_key_.assign(k->secret_key.begin(), k->secret_key.end());
        return status::in_progress;
    }
    case t::parameter_status: {
        const auto p = decode_parameter_status(message.body);
        if (!p) return fail(p.error(), "malformed ParameterStatus");
        parameters_.insert_or_assign(std::string(p->name), std::string(p->value));
        return status::in_progress;
    }
    case t::ready_for_query: {
        const auto s = decode_ready_for_query(message.body);
        if (!s) return fail(s.error(), "malformed ReadyForQuery");
        if (phase_ != phase::authenticated)
            return fail(client_errc::unexpected_message, "ReadyForQuery before authentication");
        phase_ = phase::ready;
        return status::ready;
    }
    default:
        return fail(client_errc::unexpected_message, std::string("unexpected message type '") +
                                                         static_cast<char>(message.type) +
                                                         "' during startup");
    }
}

} // namespace pgasio::protocol
