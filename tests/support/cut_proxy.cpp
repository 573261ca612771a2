#include "support/cut_proxy.hpp"

#include "support/pg_env.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio::test {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// One message: its bytes as sent (type byte, when typed, and length included).
asio::awaitable<bool> read_message(tcp::socket& s, std::vector<char>& m, bool typed) {
    const std::size_t head = typed ? 5 : 4;
    m.resize(head);
    auto [ec, n] = co_await asio::async_read(s, asio::buffer(m), nothrow);
    if (ec) co_return false;
    const auto* p = reinterpret_cast<const unsigned char*>(m.data() + head - 4);
    const std::uint32_t len = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                              (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
    if (len < 4 || len > (1u << 30)) co_return false;
    m.resize(head + len - 4);
    auto [ec2, n2] = co_await asio::async_read(s, asio::buffer(m.data() + head, len - 4), nothrow);
    co_return !ec2;
}

std::string_view body_of(const std::vector<char>& m) {
    return std::string_view(m.data(), m.size()).substr(5);
}

} // namespace

struct cut_proxy::state : std::enable_shared_from_this<cut_proxy::state> {
    state(asio::any_io_executor ex, std::optional<cut> w, bool refuse, int pass)
        : executor(ex)
        , acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0))
        , when(w)
        , refuse_after_cut(refuse)
        , commits_to_pass(pass) {}

    asio::any_io_executor executor;
    tcp::acceptor acceptor;
    std::optional<cut> when;
    bool refuse_after_cut;
    int commits_to_pass; // after_commit: COMMITs answered untouched before the cut
    tcp::endpoint server;
    bool fired = false;       // a session has been cut (or is being cut)
    bool latest_kept = false; // keep_latest(): new sessions do not replace `latest`
    std::size_t accepted = 0;

    // One way of a session, and the faults set on it: positions in messages and bytes since
    // the session started, that way.
    struct way {
        std::string types; // of the whole messages forwarded, '\0' for the startup message
        std::size_t bytes = 0;
        std::optional<std::size_t> cut_at_message; // cut when this message arrives
        std::optional<std::size_t> cut_at_byte;    // forward up to here, then cut
        std::optional<std::size_t> corrupt_at;
        std::optional<char> stall_at;    // '\0': any type
        std::size_t stall_at_skip = 0;   // messages of that type forwarded first
        std::optional<char> stall_after; // '\0': any type
        bool stalled = false;
        std::chrono::milliseconds delay{0};
    };

    struct session {
        explicit session(asio::any_io_executor ex)
            : client(ex)
            , server(ex)
            , released(ex, asio::steady_timer::time_point::max()) {}
        tcp::socket client;
        tcp::socket server;
        // Cancelled to wake a stalled way (release, or the session's end).
        asio::steady_timer released;
        bool closed = false;
        std::array<way, 2> ways;
        bool withholding = false; // before_commit: nothing more goes to the server
        // Statements forwarded to the server: Execute messages, and simple Query messages (of
        // one statement each in the tests: BEGIN, ROLLBACK, SAVEPOINT...).
        std::uint64_t executes = 0;
        std::uint64_t completes = 0; // CommandComplete messages forwarded to the client
        // The server ended the session (not a cut): like the server, which read everything
        // the client sent before it exited, the proxy takes (and drops) what it still holds or
        // receives from the client, and passes the end on in order, after everything the
        // server sent. Closing a socket with data unread would reset the connection instead,
        // and the client could lose the server's last messages.
        bool server_ended = false;
        void end_from_server() {
            boost::system::error_code ec;
            server_ended = true;
            client.shutdown(tcp::socket::shutdown_send, ec);
            released.cancel();
        }
        void close() {
            boost::system::error_code ec;
            closed = true;
            client.close(ec);
            server.close(ec);
            released.cancel();
        }
    };
    std::shared_ptr<session> latest;

    way& latest_way(direction d) {
        if (!latest) throw std::logic_error("cut_proxy: no session yet");
        return latest->ways[static_cast<std::size_t>(d)];
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto s = std::make_shared<session>(executor);
            auto [ec] = co_await acceptor.async_accept(s->client, nothrow);
            if (ec) co_return;
            ++accepted;
            if (fired && refuse_after_cut) {
                s->close();
                continue;
            }
            if (!latest_kept) latest = s;
            auto [cec] = co_await s->server.async_connect(server, nothrow);
            if (cec) {
                s->close();
                continue;
            }
            asio::co_spawn(executor, forward(shared_from_this(), s, direction::to_server),
                           asio::detached);
            asio::co_spawn(executor, forward(shared_from_this(), s, direction::to_client),
                           asio::detached);
        }
    }

    // What the COMMIT cuts (`when`) do with message `m`: false when it is not to be forwarded
    // (the session may have been cut).
    bool commit_cut(session& s, direction d, const std::vector<char>& m) {
        if (!when) return true;
        if (d == direction::to_server) {
            if (*when == cut::before_commit && !fired && m[0] == 'P' &&
                body_of(m).find("COMMIT") != std::string_view::npos) {
                fired = true;
                s.withholding = true;
                if (s.executes == s.completes) s.close();
            }
            if (s.withholding) return false; // dropped: the server never sees it
            if (m[0] == 'E' || m[0] == 'Q') ++s.executes;
            return true;
        }
        if (*when == cut::after_commit && !fired && m[0] == 'C' &&
            body_of(m).substr(0, 6) == "COMMIT") {
            if (commits_to_pass == 0) {
                fired = true;
                s.close();
                return false;
            }
            --commits_to_pass;
        }
        return true;
    }

    void cut_session(session& s) {
        fired = true;
        s.close();
    }

    // Forwards one way of session `s`, message by message, applying the faults set on it.
    static asio::awaitable<void> forward(std::shared_ptr<state> self, std::shared_ptr<session> s,
                                         direction d) {
        const bool to_server = d == direction::to_server;
        tcp::socket& from = to_server ? s->client : s->server;
        tcp::socket& to = to_server ? s->server : s->client;
        way& w = s->ways[static_cast<std::size_t>(d)];
        std::vector<char> m;
        // The startup message has no type byte (sessions without TLS: no SSLRequest first).
        bool typed = !to_server;
        for (;;) {
            if (!co_await read_message(from, m, typed)) {
                if (!to_server && !s->closed) co_return s->end_from_server();
                co_return s->close();
            }
            if (s->server_ended) continue; // dropped: the server is gone
            if (typed && !self->commit_cut(*s, d, m)) {
                if (s->closed) co_return;
                continue;
            }
            typed = true;
            if (w.stall_at && (*w.stall_at == '\0' || *w.stall_at == m[0])) {
                if (w.stall_at_skip > 0) {
                    --w.stall_at_skip;
                } else {
                    w.stall_at.reset();
                    w.stalled = true;
                }
            }
            while (w.stalled && !s->closed && !s->server_ended) {
                co_await s->released.async_wait(nothrow);
            }
            if (s->server_ended) continue;
            if (w.delay.count() > 0) {
                asio::steady_timer pause(self->executor, w.delay);
                co_await pause.async_wait(nothrow);
            }
            if (s->closed) co_return;
            if (w.cut_at_message && w.types.size() >= *w.cut_at_message)
                co_return self->cut_session(*s);
            if (w.corrupt_at && *w.corrupt_at >= w.bytes && *w.corrupt_at < w.bytes + m.size()) {
                m[*w.corrupt_at - w.bytes] = static_cast<char>(~m[*w.corrupt_at - w.bytes]);
                w.corrupt_at.reset();
            }
            std::size_t n = m.size();
            const bool cut_within = w.cut_at_byte && w.bytes + n >= *w.cut_at_byte;
            if (cut_within) n = *w.cut_at_byte - w.bytes;
            auto [ec, written] = co_await asio::async_write(to, asio::buffer(m.data(), n), nothrow);
            if (ec) co_return s->close();
            w.bytes += n;
            if (cut_within) co_return self->cut_session(*s);
            w.types.push_back(w.types.empty() && to_server ? '\0' : m[0]);
            if (w.stall_after && (*w.stall_after == '\0' || *w.stall_after == m[0])) {
                w.stall_after.reset();
                w.stalled = true;
            }
            if (!to_server && m[0] == 'C') ++s->completes;
            if (s->withholding && s->completes == s->executes) co_return s->close();
        }
    }
};

cut_proxy::cut_proxy(asio::any_io_executor ex, const std::string& server_host,
                     unsigned short server_port)
    : state_(std::make_shared<state>(ex, std::nullopt, false, 0)) {
    tcp::resolver resolver(ex);
    state_->server = *resolver.resolve(server_host, std::to_string(server_port)).begin();
    // The loop keeps the state alive: it ends on the acceptor's error once the proxy is gone.
    asio::co_spawn(
        ex, [self = state_]() { return self->accept_loop(); }, asio::detached);
}

cut_proxy::cut_proxy(asio::any_io_executor ex, const std::string& server_host,
                     unsigned short server_port, cut when, bool refuse_after_cut,
                     int commits_to_pass)
    : cut_proxy(ex, server_host, server_port) {
    state_->when = when;
    state_->refuse_after_cut = refuse_after_cut;
    state_->commits_to_pass = commits_to_pass;
}

cut_proxy::~cut_proxy() {
    boost::system::error_code ec;
    state_->acceptor.close(ec);
}

unsigned short cut_proxy::port() const {
    return state_->acceptor.local_endpoint().port();
}

bool cut_proxy::has_cut() const {
    return state_->fired;
}

std::size_t cut_proxy::sessions() const {
    return state_->accepted;
}

void cut_proxy::cut_now() {
    if (state_->latest) state_->cut_session(*state_->latest);
}

void cut_proxy::cut_after_messages(direction d, std::size_t n) {
    auto& w = state_->latest_way(d);
    w.cut_at_message = w.types.size() + n;
}

void cut_proxy::cut_after_bytes(direction d, std::size_t n) {
    auto& w = state_->latest_way(d);
    w.cut_at_byte = w.bytes + n;
}

void cut_proxy::stall_at(direction d, char type, std::size_t skip) {
    state_->latest_way(d).stall_at = type;
    state_->latest_way(d).stall_at_skip = skip;
}

void cut_proxy::stall_after(direction d, char type) {
    state_->latest_way(d).stall_after = type;
}

void cut_proxy::release() {
    const auto& s = state_->latest;
    if (!s) return;
    for (auto& w : s->ways)
        w.stalled = false;
    s->released.cancel();
}

void cut_proxy::keep_latest() {
    state_->latest_kept = true;
}

bool cut_proxy::stalled() const {
    const auto& s = state_->latest;
    return s && !s->closed && (s->ways[0].stalled || s->ways[1].stalled);
}

void cut_proxy::corrupt_byte(direction d, std::size_t offset) {
    auto& w = state_->latest_way(d);
    w.corrupt_at = w.bytes + offset;
}

void cut_proxy::delay(direction d, std::chrono::milliseconds each) {
    state_->latest_way(d).delay = each;
}

std::size_t cut_proxy::messages(direction d) const {
    return state_->latest_way(d).types.size();
}

std::string cut_proxy::message_types(direction d) const {
    return state_->latest_way(d).types;
}

bool cut_proxy::closed() const {
    return state_->latest && state_->latest->closed;
}

cut_proxy primary_proxy(boost::asio::any_io_executor ex) {
    const auto port = std::stoi(pg_setting("PGASIO_TEST_PRIMARY_PORT"));
    return cut_proxy(std::move(ex), pg_setting("PGASIO_TEST_HOST"),
                     static_cast<unsigned short>(port));
}

} // namespace pgasio::test
