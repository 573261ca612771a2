#include "support/cut_proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstdint>
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

asio::awaitable<bool> write_message(tcp::socket& s, const std::vector<char>& m) {
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(m), nothrow);
    co_return !ec;
}

std::string_view body_of(const std::vector<char>& m) {
    return std::string_view(m.data(), m.size()).substr(5);
}

} // namespace

struct cut_proxy::state : std::enable_shared_from_this<cut_proxy::state> {
    state(asio::any_io_executor ex, cut w, bool refuse, int pass)
        : executor(ex)
        , acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0))
        , when(w)
        , refuse_after_cut(refuse)
        , commits_to_pass(pass) {}

    asio::any_io_executor executor;
    tcp::acceptor acceptor;
    cut when;
    bool refuse_after_cut;
    int commits_to_pass; // after_commit: COMMITs answered untouched before the cut
    tcp::endpoint server;
    bool fired = false; // the one session to cut has been cut (or is being cut)

    struct session {
        explicit session(asio::any_io_executor ex)
            : client(ex)
            , server(ex) {}
        tcp::socket client;
        tcp::socket server;
        bool withholding = false; // before_commit: nothing more goes to the server
        // Statements forwarded to the server: Execute messages, and simple Query messages (of
        // one statement each in the tests: BEGIN, ROLLBACK, SAVEPOINT...).
        std::uint64_t executes = 0;
        std::uint64_t completes = 0; // CommandComplete messages forwarded to the client
        void close() {
            boost::system::error_code ec;
            client.close(ec);
            server.close(ec);
        }
    };

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto s = std::make_shared<session>(executor);
            auto [ec] = co_await acceptor.async_accept(s->client, nothrow);
            if (ec) co_return;
            if (fired && refuse_after_cut) {
                s->close();
                continue;
            }
            auto [cec] = co_await s->server.async_connect(server, nothrow);
            if (cec) {
                s->close();
                continue;
            }
            asio::co_spawn(executor, client_to_server(shared_from_this(), s), asio::detached);
            asio::co_spawn(executor, server_to_client(shared_from_this(), s), asio::detached);
        }
    }

    static asio::awaitable<void> client_to_server(std::shared_ptr<state> self,
                                                  std::shared_ptr<session> s) {
        std::vector<char> m;
        // The startup message has no type byte (sessions without TLS: no SSLRequest first).
        if (!co_await read_message(s->client, m, false) || !co_await write_message(s->server, m))
            co_return s->close();
        for (;;) {
            if (!co_await read_message(s->client, m, true)) co_return s->close();
            if (self->when == cut::before_commit && !self->fired && m[0] == 'P' &&
                body_of(m).find("COMMIT") != std::string_view::npos) {
                self->fired = true;
                s->withholding = true;
                if (s->executes == s->completes) co_return s->close();
            }
            if (s->withholding) continue; // dropped: the server never sees it
            if (m[0] == 'E' || m[0] == 'Q') ++s->executes;
            if (!co_await write_message(s->server, m)) co_return s->close();
        }
    }

    static asio::awaitable<void> server_to_client(std::shared_ptr<state> self,
                                                  std::shared_ptr<session> s) {
        std::vector<char> m;
        for (;;) {
            if (!co_await read_message(s->server, m, true)) co_return s->close();
            if (self->when == cut::after_commit && !self->fired && m[0] == 'C' &&
                body_of(m).substr(0, 6) == "COMMIT") {
                if (self->commits_to_pass == 0) {
                    self->fired = true;
                    co_return s->close();
                }
                --self->commits_to_pass;
            }
            if (!co_await write_message(s->client, m)) co_return s->close();
            if (m[0] == 'C') ++s->completes;
            if (s->withholding && s->completes == s->executes) co_return s->close();
        }
    }
};

cut_proxy::cut_proxy(asio::any_io_executor ex, const std::string& server_host,
                     unsigned short server_port, cut when, bool refuse_after_cut,
                     int commits_to_pass)
    : state_(std::make_shared<state>(ex, when, refuse_after_cut, commits_to_pass)) {
    tcp::resolver resolver(ex);
    state_->server = *resolver.resolve(server_host, std::to_string(server_port)).begin();
    asio::co_spawn(ex, state_->accept_loop(), asio::detached);
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

} // namespace pgasio::test
