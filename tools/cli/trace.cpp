// pgasio trace URL "SQL": runs the statement through a proxy on the loopback interface that
// prints every protocol message in both directions, decoded, with timings. Secrets (passwords,
// SASL exchanges, the cancel key) are masked.
#include "command.hpp"
#include "session.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/passfile.hpp>
#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/framer.hpp>
#include <pgasio/protocol/oids.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <stdexcept>
#include <variant>

namespace pgasio::cli {
namespace {

namespace asio = boost::asio;
using asio::use_awaitable;
using asio::ip::tcp;

// Prints one message: the time since the trace began, the direction, the decoded message.
class trace_log {
public:
    void print(bool from_client, const std::string& text) {
        const auto now = std::chrono::steady_clock::now();
        fmt::print("{:>10.3f} ms  {}  {}\n",
                   std::chrono::duration<double, std::milli>(now - start_).count(),
                   from_client ? "C->S" : "S->C", text);
        std::fflush(stdout);
    }
    /// The authentication method the server asked for last: what the client's 'p' message is.
    protocol::auth_kind last_auth = protocol::auth_kind::ok;

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Reads the fields of a frontend message body; out-of-range reads give empty fields.
struct field_reader {
    std::string_view rest;
    std::string_view cstr() {
        const auto end = rest.find('\0');
        const std::string_view s = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        return s;
    }
    std::int32_t i32() { return static_cast<std::int32_t>(uint(4)); }
    std::int16_t i16() { return static_cast<std::int16_t>(uint(2)); }
    std::uint32_t uint(std::size_t n) {
        if (rest.size() < n) {
            rest = {};
            return 0;
        }
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < n; ++i)
            v = v << 8 | static_cast<unsigned char>(rest[i]);
        rest.remove_prefix(n);
        return v;
    }
    std::string_view bytes(std::int32_t n) {
        const auto k = std::min(rest.size(), static_cast<std::size_t>(std::max(n, 0)));
        const std::string_view s = rest.substr(0, k);
        rest.remove_prefix(k);
        return s;
    }
};

// A value for display: its text when printable, else hex; cut after 40 bytes.
std::string shown_value(std::string_view v) {
    const bool printable = std::all_of(v.begin(), v.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    });
    std::string out;
    if (printable)
        out = fmt::format("'{}'", v.substr(0, 40));
    else {
        out = "\\x";
        for (const char c : v.substr(0, 40))
            out += fmt::format("{:02x}", static_cast<unsigned char>(c));
    }
    if (v.size() > 40) out += fmt::format("... ({} bytes)", v.size());
    return out;
}

std::string describe_frontend(char type, std::string_view body, trace_log& log) {
    field_reader r{body};
    switch (type) {
    case 'Q':
        return fmt::format("Query {}", shown_value(r.rest));
    case 'P': {
        const auto name = r.cstr();
        const auto sql = r.cstr();
        std::string types;
        for (int i = 0, n = r.i16(); i < n; ++i)
            types += fmt::format("{}{}", i ? ", " : "", protocol::oids::type_name(r.uint(4)));
        return fmt::format("Parse statement=\"{}\" query={} param_types=[{}]", name,
                           shown_value(sql), types);
    }
    case 'B': {
        const auto portal = r.cstr();
        const auto stmt = r.cstr();
        std::string formats;
        for (int i = 0, n = r.i16(); i < n; ++i)
            formats += fmt::format("{}{}", i ? "," : "", r.i16());
        std::string values;
        for (int i = 0, n = r.i16(); i < n; ++i) {
            const std::int32_t len = r.i32();
            values +=
                fmt::format("{}{}", i ? ", " : "", len < 0 ? "NULL" : shown_value(r.bytes(len)));
        }
        return fmt::format("Bind portal=\"{}\" statement=\"{}\" param_formats=[{}] params=[{}]",
                           portal, stmt, formats, values);
    }
    case 'D': {
        const char what = r.rest.empty() ? '?' : r.rest[0];
        r.rest.remove_prefix(r.rest.empty() ? 0 : 1);
        return fmt::format("Describe {} \"{}\"", what == 'S' ? "statement" : "portal", r.cstr());
    }
    case 'E': {
        const auto portal = r.cstr();
        return fmt::format("Execute portal=\"{}\" max_rows={}", portal, r.i32());
    }
    case 'C': {
        const char what = r.rest.empty() ? '?' : r.rest[0];
        r.rest.remove_prefix(r.rest.empty() ? 0 : 1);
        return fmt::format("Close {} \"{}\"", what == 'S' ? "statement" : "portal", r.cstr());
    }
    case 'S':
        return "Sync";
    case 'H':
        return "Flush";
    case 'X':
        return "Terminate";
    case 'd':
        return fmt::format("CopyData {} bytes", body.size());
    case 'c':
        return "CopyDone";
    case 'f':
        return fmt::format("CopyFail {}", shown_value(r.cstr()));
    case 'p':
        if (log.last_auth == protocol::auth_kind::sasl)
            return fmt::format("SASLInitialResponse mechanism={} (data masked)", r.cstr());
        if (log.last_auth == protocol::auth_kind::sasl_continue)
            return fmt::format("SASLResponse ({} bytes masked)", body.size());
        return "PasswordMessage (masked)";
    default:
        return fmt::format("'{}' message, {} bytes", type, body.size());
    }
}

// The first message has no type byte: a StartupMessage, or an SSLRequest, GSSENCRequest or
// CancelRequest, told apart by their code.
std::string describe_startup(std::string_view body) {
    field_reader r{body};
    const std::uint32_t code = r.uint(4);
    if (code == 80877103) return "SSLRequest";
    if (code == 80877104) return "GSSENCRequest";
    if (code == 80877102) return "CancelRequest (key masked)";
    std::string params;
    while (!r.rest.empty() && r.rest[0] != '\0') {
        const auto key = r.cstr();
        params += fmt::format(" {}={}", key, shown_value(r.cstr()));
    }
    return fmt::format("StartupMessage protocol {}.{}{}", code >> 16, code & 0xffff, params);
}

std::string describe_backend(const protocol::message_view& m, trace_log& log) {
    const std::string_view name = protocol::backend_message_name(m.type);
    const auto decoded = protocol::decode_backend_message(m);
    if (!decoded) return fmt::format("{} (malformed: {})", name, decoded.error().message());
    return std::visit(
        [&](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, protocol::authentication_view>) {
                log.last_auth = v.kind;
                std::string mechanisms;
                for (const auto mech : v.sasl_mechanisms)
                    mechanisms += fmt::format(" {}", mech);
                return fmt::format("{} {}{}{}", name, protocol::auth_kind_name(v.kind), mechanisms,
                                   v.sasl_data.empty()
                                       ? ""
                                       : fmt::format(" ({} bytes masked)", v.sasl_data.size()));
            } else if constexpr (std::is_same_v<T, protocol::backend_key_data_view>) {
                return fmt::format("{} pid={} (key masked)", name, v.process_id);
            } else if constexpr (std::is_same_v<T, protocol::parameter_status_view>) {
                return fmt::format("{} {}={}", name, v.name, shown_value(v.value));
            } else if constexpr (std::is_same_v<T, protocol::transaction_status>) {
                return fmt::format("{} status={}", name, static_cast<char>(v));
            } else if constexpr (std::is_same_v<T, protocol::row_description_view>) {
                std::string cols;
                for (const auto& c : v)
                    cols += fmt::format("{}{} {}", cols.empty() ? "" : ", ", c.name,
                                        protocol::oids::type_name(c.type_oid));
                return fmt::format("{} [{}]", name, cols);
            } else if constexpr (std::is_same_v<T, protocol::data_row_view>) {
                std::string values;
                for (const auto& value : v) {
                    values += values.empty() ? "" : ", ";
                    values +=
                        value ? shown_value(std::string_view(
                                    reinterpret_cast<const char*>(value->data()), value->size()))
                              : "NULL";
                }
                return fmt::format("{} [{}]", name, values);
            } else if constexpr (std::is_same_v<T, protocol::command_complete_view>) {
                return fmt::format("{} \"{}\"", name, v.tag);
            } else if constexpr (std::is_same_v<T, protocol::parameter_description_view>) {
                std::string types;
                for (std::size_t i = 0; i < v.size(); ++i)
                    types += fmt::format("{}{}", i ? ", " : "", protocol::oids::type_name(v[i]));
                return fmt::format("{} [{}]", name, types);
            } else if constexpr (std::is_same_v<T, protocol::error_response> ||
                                 std::is_same_v<T, protocol::notice_response>) {
                const auto d = diagnostics::from_fields(v.fields);
                return fmt::format("{} {} {}: {}", name, d.severity, d.sqlstate, d.message);
            } else if constexpr (std::is_same_v<T, protocol::copy_data>) {
                return fmt::format("{} {} bytes", name, v.data.size());
            } else {
                return std::string(name);
            }
        },
        *decoded);
}

// Client to server: forwards the bytes, printing each whole message.
template <class Upstream>
asio::awaitable<void> pump_frontend(tcp::socket& client, Upstream& server, trace_log& log) {
    std::string buffer;
    bool startup = true;
    std::array<char, 64 * 1024> chunk;
    for (;;) {
        auto [ec, n] =
            co_await client.async_read_some(asio::buffer(chunk), asio::as_tuple(use_awaitable));
        if (ec) break;
        co_await asio::async_write(server, asio::buffer(chunk.data(), n), use_awaitable);
        buffer.append(chunk.data(), n);
        for (;;) {
            const std::size_t header = startup ? 4 : 5;
            if (buffer.size() < header) break;
            field_reader r{std::string_view(buffer).substr(header - 4, 4)};
            const auto length = static_cast<std::size_t>(r.uint(4));
            if (length < 4) throw std::runtime_error("malformed frontend message");
            if (buffer.size() < header - 4 + length) break;
            const std::string_view body = std::string_view(buffer).substr(header, length - 4);
            log.print(true,
                      startup ? describe_startup(body) : describe_frontend(buffer[0], body, log));
            buffer.erase(0, header - 4 + length);
            startup = false;
        }
    }
    boost::system::error_code ignored;
    server.shutdown(Upstream::shutdown_send, ignored);
}

// Server to client: forwards the bytes, framing and decoding them with the codec's framer.
template <class Upstream>
asio::awaitable<void> pump_backend(Upstream& server, tcp::socket& client, trace_log& log) {
    protocol::framer framer;
    for (;;) {
        const auto space = framer.prepare(64 * 1024);
        auto [ec, n] = co_await server.async_read_some(asio::buffer(space.data(), space.size()),
                                                       asio::as_tuple(use_awaitable));
        if (ec) break;
        co_await asio::async_write(client, asio::buffer(space.data(), n), use_awaitable);
        framer.commit(n);
        for (;;) {
            auto m = framer.next();
            if (!m) throw std::runtime_error("malformed server stream: " + m.error().message());
            if (!*m) break;
            log.print(false, describe_backend(**m, log));
        }
    }
    boost::system::error_code ignored;
    client.shutdown(tcp::socket::shutdown_send, ignored);
}

// Accepts the one connection of the traced session and connects it to the real server.
asio::awaitable<void> proxy(tcp::acceptor& acceptor, host_spec target, trace_log& log) {
    auto ex = co_await asio::this_coro::executor;
    tcp::socket client = co_await acceptor.async_accept(use_awaitable);
    using namespace asio::experimental::awaitable_operators;
    if (target.is_unix_socket()) {
        asio::local::stream_protocol::socket server(ex);
        co_await server.async_connect({target.unix_socket_path()}, use_awaitable);
        co_await (pump_frontend(client, server, log) && pump_backend(server, client, log));
    } else {
        tcp::socket server(ex);
        tcp::resolver resolver(ex);
        const auto addresses =
            co_await resolver.async_resolve(target.hostaddr.empty() ? target.host : target.hostaddr,
                                            std::to_string(target.port), use_awaitable);
        co_await asio::async_connect(server, addresses, use_awaitable);
        co_await (pump_frontend(client, server, log) && pump_backend(server, client, log));
    }
}

// The traced session: connects through the proxy, runs the statement, closes.
asio::awaitable<result> run_session(const config& cfg, const std::string& sql) {
    connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    diagnostics diag;
    auto [ec, rows] =
        co_await conn.async_query(sql, diagnostics_into(diag, asio::as_tuple(asio::deferred)));
    co_await conn.async_close();
    if (ec) throw pgasio::error(ec, diag);
    co_return std::move(rows);
}

// Whether `h` is this machine, where the session's plain text crosses no network.
bool is_local(const host_spec& h) {
    const std::string_view a = h.hostaddr.empty() ? std::string_view(h.host) : h.hostaddr;
    return h.is_unix_socket() || a == "localhost" || a.starts_with("127.") || a == "::1";
}

asio::awaitable<int> run_trace(config cfg, std::string sql) {
    using namespace asio::experimental::awaitable_operators;
    auto ex = co_await asio::this_coro::executor;
    // The session goes through the proxy in plain text (there is nothing to decode in TLS), to
    // the first host; the password is looked up for that host before its address is replaced.
    const host_spec target = cfg.hosts.at(0);
    // A session that asked for TLS or channel binding must not quietly go without.
    if (cfg.sslmode >= ssl_mode::require || cfg.channel_binding == channel_binding_mode::require) {
        diagnostics d;
        const std::string forbids = cfg.sslmode >= ssl_mode::require
                                        ? fmt::format("sslmode={}", to_string(cfg.sslmode))
                                        : std::string("channel_binding=require");
        d.message = fmt::format("trace sends the session to the server without TLS, which {} "
                                "forbids; trace a server reached without a network in between "
                                "(a unix socket, localhost) with sslmode=disable or prefer",
                                forbids);
        throw pgasio::error(make_error_code(boost::system::errc::operation_not_supported), d);
    }
    if (cfg.sslmode != ssl_mode::disable && !is_local(target))
        fmt::print(stderr,
                   "warning: the session to {} goes without TLS, password and rows in plain "
                   "text (sslmode={} would use TLS where the server offers it)\n",
                   to_string(target), to_string(cfg.sslmode));
    auto found = lookup_password(cfg, target);
    if (!found.warning.empty()) fmt::print(stderr, "warning: {}\n", found.warning);
    cfg.password = std::move(found.password);
    tcp::acceptor acceptor(ex, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    cfg.hosts = {host_spec{"127.0.0.1", {}, acceptor.local_endpoint().port()}};
    cfg.sslmode = ssl_mode::disable;
    cfg.channel_binding = channel_binding_mode::disable;
    trace_log log;
    // Both run to their end (the proxy's when the session has closed); a failure of either
    // cancels the other.
    const result rows = co_await (proxy(acceptor, target, log) && run_session(cfg, sql));
    fmt::print("{} ({} rows)\n", rows.command_tag(), rows.size());
    co_return 0;
}

} // namespace

int trace_command(std::span<const std::string> args) {
    po::options_description options("options");
    options.add_options()("url", po::value<std::string>()->required(), "connection string or URI")(
        "sql", po::value<std::string>()->required(), "the statement to run");
    po::positional_options_description positional;
    positional.add("url", 1).add("sql", 1);
    auto parsed = parse_args(
        args, options, positional,
        "usage: pgasio trace URL \"SQL\"\nConnects through a proxy on 127.0.0.1 (without TLS, "
        "to the first host), runs the statement as `query` would, and prints every protocol "
        "message both ways, decoded, with the time since the start. Passwords, SASL data and "
        "the cancel key are masked. A URL that requires TLS (sslmode=require or stronger, "
        "channel_binding=require) is refused.");
    if (const int* status = std::get_if<int>(&parsed)) return *status;
    const auto& vm = std::get<po::variables_map>(parsed);
    const std::string sql = vm["sql"].as<std::string>();
    return run([&]() { return run_trace(parse_url(vm["url"].as<std::string>()), sql); }, sql);
}

} // namespace pgasio::cli
