// Opening a session: hosts, addresses, transports, TLS, startup and authentication.
#include "config_names.hpp"
#include "connection_impl.hpp"
#include "tls_context.hpp"

#include <pgasio/passfile.hpp>
#include <pgasio/protocol/auth/tls_server_end_point.hpp>
#include <pgasio/protocol/startup_exchange.hpp>
#include <pgasio/wire_simulation.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <random>

namespace pgasio::detail {
namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// How one attempt uses TLS.
enum class tls_use { no, if_offered, required };

// A byte for an error message: 'H' (0x48), or 0x01 when it is no printable character.
std::string byte_text(std::byte b) {
    const auto c = static_cast<unsigned>(b);
    if (c < 0x20 || c >= 0x7f) return fmt::format("0x{:02x}", c);
    return fmt::format("'{}' (0x{:02x})", static_cast<char>(c), c);
}

protocol::auth_methods allowed_methods(const auth_method_set& set) {
    protocol::auth_methods out = 0;
    auto map = [&](auth_method m, protocol::auth_method p) {
        if (set.contains(m)) out |= static_cast<unsigned>(p);
    };
    map(auth_method::none, protocol::auth_method::none);
    map(auth_method::password, protocol::auth_method::password);
    map(auth_method::md5, protocol::auth_method::md5);
    map(auth_method::scram_sha_256, protocol::auth_method::scram_sha_256);
    map(auth_method::gss, protocol::auth_method::gss);
    map(auth_method::sspi, protocol::auth_method::sspi);
    return out;
}

protocol::channel_binding_policy binding_policy(channel_binding_mode m) {
    switch (m) {
    case channel_binding_mode::disable:
        return protocol::channel_binding_policy::disable;
    case channel_binding_mode::prefer:
        return protocol::channel_binding_policy::prefer;
    case channel_binding_mode::require:
        return protocol::channel_binding_policy::require;
    }
    return protocol::channel_binding_policy::prefer;
}

protocol::startup_options startup_options_for(const config& cfg, const secret_string& password,
                                              std::vector<std::byte> tls_binding) {
    protocol::startup_options o;
    o.parameters.emplace_back("user", cfg.user);
    o.parameters.emplace_back("database", cfg.dbname);
    const std::string& app =
        cfg.application_name.empty() ? cfg.fallback_application_name : cfg.application_name;
    if (!app.empty()) o.parameters.emplace_back("application_name", app);
    if (!cfg.options.empty()) o.parameters.emplace_back("options", cfg.options);
    // pgasio speaks UTF-8 and parses ISO dates in text results.
    o.parameters.emplace_back("client_encoding", "UTF8");
    o.parameters.emplace_back("DateStyle", "ISO, MDY");
    if (cfg.statement_timeout.count() > 0)
        o.parameters.emplace_back("statement_timeout",
                                  std::to_string(cfg.statement_timeout.count()));
    o.version = cfg.max_protocol_version;
    if (!password.empty()) o.password.emplace(password.reveal());
    o.allowed = allowed_methods(cfg.require_auth);
    o.channel_binding = binding_policy(cfg.channel_binding);
    o.tls_server_end_point = std::move(tls_binding);
    return o;
}

// libpq's rules (libpq-ssl.html): which certificate checks each sslmode makes.
tls_settings tls_settings_for(const config& cfg) {
    tls_settings s;
    s.root_cert = cfg.sslrootcert;
    const bool root_exists =
        cfg.sslrootcert == "system" || ::access(cfg.sslrootcert.c_str(), R_OK) == 0;
    s.verify_chain = cfg.sslmode == ssl_mode::verify_ca || cfg.sslmode == ssl_mode::verify_full ||
                     (cfg.sslmode == ssl_mode::require && root_exists);
    s.verify_host = cfg.sslmode == ssl_mode::verify_full;
    // The client certificate is optional: sent only when its file exists.
    if (!cfg.sslcert.empty() && ::access(cfg.sslcert.c_str(), R_OK) == 0) {
        s.cert = cfg.sslcert;
        s.key = cfg.sslkey;
    }
    return s;
}

// Whether the server's parameters match target_session_attrs. PostgreSQL 14 and later report
// both in_hot_standby and default_transaction_read_only, so no query is needed.
bool session_matches(session_attrs want, const std::map<std::string, std::string, std::less<>>& p,
                     std::string& why) {
    if (want == session_attrs::any) return true;
    const auto standby_it = p.find("in_hot_standby");
    const auto ro_it = p.find("default_transaction_read_only");
    if (standby_it == p.end() || ro_it == p.end()) {
        why = "the server does not report in_hot_standby (target_session_attrs needs "
              "PostgreSQL 14 or later)";
        return false;
    }
    const bool standby = standby_it->second == "on";
    const bool read_only = standby || ro_it->second == "on";
    bool ok = true;
    switch (want) {
    case session_attrs::any:
        break;
    case session_attrs::read_write:
        ok = !read_only;
        why = "session is read-only";
        break;
    case session_attrs::read_only:
        ok = read_only;
        why = "session is not read-only";
        break;
    case session_attrs::primary:
        ok = !standby;
        why = "server is in hot standby mode";
        break;
    case session_attrs::standby:
    case session_attrs::prefer_standby:
        ok = standby;
        why = "server is not in hot standby mode";
        break;
    }
    return ok;
}

void set_tcp_options(asio::ip::tcp::socket& s, const config& cfg) {
    error_code ignored;
    s.set_option(asio::ip::tcp::no_delay(true), ignored);
    if (!cfg.keepalives) return;
    s.set_option(asio::socket_base::keep_alive(true), ignored);
    const int fd = s.native_handle();
    auto set = [fd](int opt, long value) {
        if (value <= 0) return;
        const int v = static_cast<int>(value);
        ::setsockopt(fd, IPPROTO_TCP, opt, &v, sizeof v);
    };
    set(TCP_KEEPIDLE, static_cast<long>(cfg.keepalives_idle.count()));
    set(TCP_KEEPINTVL, static_cast<long>(cfg.keepalives_interval.count()));
    set(TCP_KEEPCNT, cfg.keepalives_count);
}

// Where one attempt connects.
struct endpoint {
    std::optional<asio::ip::tcp::endpoint> tcp;
    std::string unix_path;
    std::string describe;
};

class attempt {
public:
    attempt(connection_impl& impl, const config& cfg, const host_spec& host,
            const secret_string& password, diagnostics& diag)
        : impl_(impl)
        , cfg_(cfg)
        , host_(host)
        , password_(password)
        , diag_(diag) {}

    // Connects to `ep`, with TLS as `tls` says, and runs startup to ReadyForQuery.
    asio::awaitable<error_code> run(const endpoint& ep, tls_use tls) {
        impl_.io.reset();
        impl_.reader = protocol::framer(cfg_.max_message_size);
        impl_.writer.clear();
        error_code ec;
        if (cfg_.simulation && cfg_.simulation->replays()) {
            // No socket, no TLS: the recording answers from the startup message on.
            std::string why;
            auto wire = cfg_.simulation->open_session(host_, cfg_, why);
            if (!wire) co_return fail(client_errc::replay_mismatch, std::move(why));
            impl_.io.replay(std::move(wire));
            co_return co_await startup({});
        }
        if (ep.tcp) {
            auto& sock = impl_.io.tcp();
            std::tie(ec) = co_await sock.async_connect(*ep.tcp, nothrow);
            if (ec) co_return fail(ec, "could not connect to " + ep.describe + ": " + ec.message());
            set_tcp_options(sock, cfg_);
        } else {
            auto& sock = impl_.io.unix_socket();
            std::string path = ep.unix_path;
            if (!path.empty() && path[0] == '@') path[0] = '\0'; // Linux abstract namespace
            std::tie(ec) =
                co_await sock.async_connect(asio::local::stream_protocol::endpoint(path), nothrow);
            if (ec) co_return fail(ec, "could not connect to " + ep.describe + ": " + ec.message());
        }

        std::vector<std::byte> binding;
        if (ep.tcp && tls != tls_use::no) {
            bool tls_on = false;
            if (auto e = co_await negotiate_tls(tls, tls_on)) co_return e;
            if (tls_on) binding = co_await handshake(ec);
            if (ec) co_return ec;
        }
        if (cfg_.simulation) {
            // Recorded from the startup message on, in clear text: a session whose socket or TLS
            // failed is not recorded at all.
            std::string why;
            auto wire = cfg_.simulation->open_session(host_, cfg_, why);
            if (!wire) co_return fail(client_errc::replay_mismatch, std::move(why));
            impl_.io.record(std::move(wire));
        }
        co_return co_await startup(std::move(binding));
    }

private:
    error_code fail(error_code ec, std::string message) {
        diag_ = diagnostics{};
        diag_.message = std::move(message);
        impl_.io.reset();
        return ec;
    }

    asio::awaitable<error_code> write_pending() {
        auto [ec, n] = co_await impl_.io.async_write(
            asio::buffer(impl_.writer.data().data(), impl_.writer.size()), nothrow);
        impl_.writer.clear();
        if (ec)
            co_return fail(ec, impl_.io.failure().empty()
                                   ? "could not send to the server: " + ec.message()
                                   : impl_.io.failure());
        co_return error_code{};
    }

    asio::awaitable<error_code> read_more() {
        auto space = impl_.reader.prepare(16 * 1024);
        auto [ec, n] =
            co_await impl_.io.async_read_some(asio::buffer(space.data(), space.size()), nothrow);
        if (ec == asio::error::eof || (!ec && n == 0))
            co_return fail(client_errc::connection_closed,
                           "the server closed the connection unexpectedly");
        if (ec)
            co_return fail(ec, impl_.io.failure().empty()
                                   ? "could not receive from the server: " + ec.message()
                                   : impl_.io.failure());
        impl_.reader.commit(n);
        co_return error_code{};
    }

    // SSLRequest (unless direct TLS); sets `tls_on` when the server agreed.
    asio::awaitable<error_code> negotiate_tls(tls_use tls, bool& tls_on) {
        if (cfg_.sslnegotiation == ssl_negotiation::direct) {
            tls_on = true;
            co_return error_code{};
        }
        protocol::encode_ssl_request(impl_.writer);
        if (auto ec = co_await write_pending()) co_return ec;
        if (auto ec = co_await read_more()) co_return ec;
        const auto answer = impl_.reader.take_byte();
        if (answer == std::byte{'N'}) {
            if (tls == tls_use::required)
                co_return fail(client_errc::tls_not_supported_by_server,
                               "the server does not support TLS, but sslmode requires it");
            co_return error_code{};
        }
        // The byte, as libpq shows it: an 'H' is an HTTP server, an 'E' an error (a server too
        // old for SSLRequest).
        if (answer != std::byte{'S'})
            co_return fail(client_errc::invalid_ssl_response,
                           "it sent " + (answer ? byte_text(*answer) : std::string("nothing")) +
                               "; is that a PostgreSQL server?");
        // Anything after 'S' was sent in clear text before the handshake: it could have been
        // injected by a man in the middle (CVE-2021-23222).
        if (impl_.reader.buffered() != 0)
            co_return fail(client_errc::tls_plaintext_injection,
                           "received unencrypted data after the server accepted TLS");
        tls_on = true;
        co_return error_code{};
    }

    // The TLS handshake; returns the tls-server-end-point channel binding data.
    asio::awaitable<std::vector<std::byte>> handshake(error_code& ec) {
        const auto settings = tls_settings_for(cfg_);
        auto ctx = make_tls_context(settings, ec, diag_);
        if (ec) {
            impl_.io.reset();
            co_return std::vector<std::byte>{};
        }
        impl_.tls_context = ctx;
        auto& stream = impl_.io.start_tls(*ctx);
        const std::string& name = host_.host.empty() ? host_.hostaddr : host_.host;
        if (cfg_.sslsni || settings.verify_host) {
            tls_settings per_session = settings;
            if (!cfg_.sslsni) per_session.verify_host = true;
            if ((ec = prepare_tls_session(stream, name, per_session))) {
                fail(ec, "cannot set up TLS for host \"" + name + "\"");
                co_return std::vector<std::byte>{};
            }
        }
        std::tie(ec) = co_await stream.async_handshake(asio::ssl::stream_base::client, nothrow);
        if (ec) {
            std::string why = "TLS handshake with \"" + name + "\" failed: " + ec.message();
            const long verify = SSL_get_verify_result(stream.native_handle());
            if (verify != X509_V_OK)
                why += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
            fail(ec, std::move(why));
            co_return std::vector<std::byte>{};
        }
        if (cfg_.sslnegotiation == ssl_negotiation::direct && !alpn_is_postgresql(stream)) {
            ec = fail(client_errc::tls_alpn_mismatch,
                      "direct TLS: the server did not select the \"postgresql\" ALPN protocol");
            co_return std::vector<std::byte>{};
        }
        // A certificate whose signature has no single digest (Ed25519) cannot be bound; the
        // server cannot offer SCRAM-SHA-256-PLUS for it either, so this just means no binding.
        auto binding = protocol::tls_server_end_point(peer_certificate_der(stream));
        co_return binding ? std::move(*binding) : std::vector<std::byte>{};
    }

    asio::awaitable<error_code> startup(std::vector<std::byte> binding) {
        auto options = startup_options_for(cfg_, password_, std::move(binding));
        if (impl_.io.replaying()) {
            // A replay authenticates nobody: it answers AuthenticationOk, which a configuration
            // demanding a method (require_auth, channel_binding=require) would refuse.
            options.allowed |= static_cast<protocol::auth_methods>(protocol::auth_method::none);
            options.channel_binding = protocol::channel_binding_policy::disable;
        }
        protocol::startup_exchange exchange(std::move(options));
        if (auto ec = exchange.start(impl_.writer))
            co_return fail(ec, exchange.error_diagnostics().message);
        if (auto ec = co_await write_pending()) co_return ec;
        for (;;) {
            auto message = impl_.reader.next();
            if (!message)
                co_return fail(message.error(),
                               stream_error_message(message.error(), impl_.reader,
                                                    "malformed message during startup"));
            if (!*message) {
                if (auto ec = co_await read_more()) co_return ec;
                continue;
            }
            const auto status = exchange.on_message(**message, impl_.writer);
            // A notice the server sent during startup (a WARNING about the role's settings, a
            // deprecated authentication method...) reaches the handler as one sent later would.
            deliver_notices(exchange);
            if (!status) {
                const auto ec = status.error();
                impl_.io.reset();
                diag_ = exchange.error_diagnostics();
                co_return ec;
            }
            if (!impl_.writer.empty())
                if (auto ec = co_await write_pending()) co_return ec;
            if (*status == protocol::startup_exchange::status::ready) break;
        }
        impl_.parameters = exchange.parameters();
        impl_.parameters_changed();
        impl_.process_id = exchange.process_id();
        impl_.secret_key = exchange.secret_key();
        impl_.version = exchange.version();
        impl_.channel_binding = exchange.channel_binding_used();
        co_return error_code{};
    }

    // Hands the notices the exchange collected since the last call to the notice handler.
    void deliver_notices(const protocol::startup_exchange& exchange) {
        const auto& notices = exchange.notices();
        for (; notices_delivered_ < notices.size(); ++notices_delivered_)
            if (impl_.notice_handler) impl_.notice_handler(notices[notices_delivered_]);
    }

    connection_impl& impl_;
    const config& cfg_;
    const host_spec& host_;
    const secret_string& password_;
    diagnostics& diag_;
    std::size_t notices_delivered_ = 0;
};

// connect_timeout bounds a whole attempt: when it fires, the socket is closed, which makes the
// pending operation fail at once, whatever it was (look-up, handshake, authentication).
class attempt_deadline {
public:
    attempt_deadline(connection_impl& impl, std::chrono::seconds timeout)
        : state_(std::make_shared<state>(impl.executor)) {
        if (timeout.count() <= 0) return;
        state_->timer.expires_after(timeout);
        state_->timer.async_wait([s = state_, self = impl.shared_from_this()](error_code ec) {
            if (ec || s->finished) return;
            s->expired = true;
            self->io.close();
        });
    }
    ~attempt_deadline() {
        state_->finished = true;
        state_->timer.cancel();
    }
    bool expired() const noexcept { return state_->expired; }

private:
    struct state {
        explicit state(const asio::any_io_executor& ex)
            : timer(ex) {}
        asio::steady_timer timer;
        bool finished = false;
        bool expired = false;
    };
    std::shared_ptr<state> state_;
};

std::string describe_host(const host_spec& h) {
    if (h.is_unix_socket()) return "socket \"" + h.unix_socket_path() + "\"";
    const std::string& name = h.host.empty() ? h.hostaddr : h.host;
    std::string out = "\"" + name + "\"";
    if (!h.hostaddr.empty() && !h.host.empty()) out += " (" + h.hostaddr + ")";
    return out + ", port " + std::to_string(h.port);
}

} // namespace

asio::awaitable<error_code> connection_impl::connect(config cfg, diagnostics& diag) {
    open = false;
    reset_session();
    std::vector<host_spec> hosts = cfg.hosts;
    std::mt19937 rng{std::random_device{}()};
    if (cfg.load_balance_hosts == load_balance_mode::random)
        std::shuffle(hosts.begin(), hosts.end(), rng);

    // prefer-standby: a first pass wanting a standby, then a second taking any server.
    std::vector<session_attrs> passes{cfg.target_session_attrs};
    if (cfg.target_session_attrs == session_attrs::prefer_standby)
        passes.push_back(session_attrs::any);

    std::string log; // every failed attempt, for the final error message
    error_code last;
    diagnostics last_diag;
    for (const session_attrs want : passes) {
        for (const host_spec& host : hosts) {
            const auto pw = lookup_password(cfg, host);
            // Resolve (or take the numeric hostaddr) to a list of endpoints.
            std::vector<endpoint> endpoints;
            if (cfg.simulation && cfg.simulation->replays()) {
                // Served from the recording: no address, and no name to look up.
                endpoints.push_back({std::nullopt, {}, describe_host(host)});
            } else if (host.is_unix_socket()) {
                endpoints.push_back({std::nullopt, host.unix_socket_path(), describe_host(host)});
            } else if (!host.hostaddr.empty()) {
                error_code ec;
                const auto addr = asio::ip::make_address(host.hostaddr, ec);
                endpoints.push_back(
                    {asio::ip::tcp::endpoint(addr, host.port), {}, describe_host(host)});
            } else {
                attempt_deadline deadline(*this, cfg.connect_timeout);
                asio::ip::tcp::resolver resolver(executor);
                auto [ec, results] =
                    co_await resolver.async_resolve(host.host, std::to_string(host.port), nothrow);
                if (ec) {
                    last = deadline.expired() ? error_code(client_errc::connect_timeout) : ec;
                    last_diag = diagnostics{};
                    last_diag.message =
                        "could not resolve host \"" + host.host + "\": " + last.message();
                    log += "\n  " + describe_host(host) + ": " + last_diag.message;
                    continue;
                }
                for (const auto& r : results)
                    endpoints.push_back(
                        {r.endpoint(),
                         {},
                         describe_host(host) + " at " + r.endpoint().address().to_string()});
                if (cfg.load_balance_hosts == load_balance_mode::random)
                    std::shuffle(endpoints.begin(), endpoints.end(), rng);
            }

            for (const endpoint& ep : endpoints) {
                // sslmode's plan for this endpoint: TLS-capable tries, then a fallback.
                std::vector<tls_use> plan;
                switch (cfg.sslmode) {
                case ssl_mode::disable:
                    plan = {tls_use::no};
                    break;
                case ssl_mode::allow:
                    plan = {tls_use::no, tls_use::required};
                    break;
                case ssl_mode::prefer:
                    plan = {tls_use::if_offered, tls_use::no};
                    break;
                default:
                    plan = {tls_use::required};
                    break;
                }
                if (!ep.tcp) plan = {tls_use::no}; // TLS is never used over unix sockets
                for (std::size_t i = 0; i < plan.size(); ++i) {
                    if (orphaned) break;
                    diagnostics attempt_diag;
                    error_code ec;
                    {
                        attempt_deadline deadline(*this, cfg.connect_timeout);
                        attempt a(*this, cfg, host, pw.password, attempt_diag);
                        ec = co_await a.run(ep, plan[i]);
                        // The password file that was passed over says why there was none (libpq
                        // prints this warning on stderr; a library has only its error to say it).
                        if (ec == client_errc::password_required && !pw.warning.empty())
                            attempt_diag.message += " (" + pw.warning + ", so it was not read)";
                        if (ec && deadline.expired()) {
                            ec = client_errc::connect_timeout;
                            attempt_diag = diagnostics{};
                            attempt_diag.message = "timed out after " +
                                                   std::to_string(cfg.connect_timeout.count()) +
                                                   " s connecting to " + ep.describe;
                        }
                    }
                    if (!ec) {
                        std::string why;
                        if (orphaned) {
                            // The connection object was destroyed meanwhile.
                            io.reset();
                            co_return asio::error::operation_aborted;
                        }
                        if (session_matches(want, parameters, why)) {
                            session_id = next_session_id();
                            query_timeout = cfg.pool.query_timeout;
                            // A config made by hand can exceed what the parser allows.
                            read_pause = std::min(cfg.pipeline_read_pause,
                                                  std::chrono::microseconds(max_read_pause_us));
                            read_pause_depth =
                                std::max(cfg.pipeline_read_pause_depth, std::size_t{1});
                            exec_mode = cfg.default_query_exec_mode;
                            statements.clear();
                            statements.set_capacity(cfg.statement_cache_capacity);
                            // A cancel gets the connection's own deadline, or 10 s.
                            cancel_timeout =
                                cfg.connect_timeout.count() > 0
                                    ? std::chrono::milliseconds(cfg.connect_timeout)
                                    : std::chrono::milliseconds(std::chrono::seconds(10));
                            connected_host = host;
                            auto same_server = std::make_shared<config>(cfg);
                            same_server->hosts = {host};
                            same_server->load_balance_hosts = load_balance_mode::disable;
                            session_config = std::move(same_server);
                            peer_tcp = ep.tcp;
                            peer_unix = ep.unix_path;
                            open = true;
                            start_reading();
                            diag = diagnostics{};
                            co_return error_code{};
                        }
                        io.reset();
                        ec = client_errc::session_attrs_mismatch;
                        attempt_diag = diagnostics{};
                        attempt_diag.message = why;
                    }
                    last = ec;
                    log += "\n  " + ep.describe + ": " + format_error(ec, attempt_diag);
                    last_diag = std::move(attempt_diag);
                    // prefer falls back to plain only when the TLS handshake itself failed;
                    // allow retries with TLS only when the server refused the plain session.
                    const bool tls_failed =
                        ec.category() == asio::error::get_ssl_category() ||
                        ec.category() == asio::ssl::error::get_stream_category();
                    const bool server_refused = ec.category() == protocol::sqlstate_category();
                    if (cfg.sslmode == ssl_mode::prefer && !tls_failed) break;
                    if (cfg.sslmode == ssl_mode::allow && !server_refused) break;
                }
            }
        }
    }
    io.reset();
    diag = std::move(last_diag);
    // One attempt: its own error as it was. Several: each attempt's error, in order.
    if (std::count(log.begin(), log.end(), '\n') > 1) {
        diag.message = "every connection attempt failed:" + log;
        diag.detail.clear();
        diag.hint.clear();
    }
    if (!last) last = client_errc::not_connected; // no host at all: parse() never allows it
    co_return last;
}

} // namespace pgasio::detail
