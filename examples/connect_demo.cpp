// Connects to PostgreSQL the ways a newcomer is likely to need, and shows what the session
// looks like. Usage:
//   pgasio_example_connect_demo "postgresql://user:password@host:port/db" [unix-socket-dir]
#include <pgasio/connection.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <fmt/core.h>

#include <cstdlib>
#include <string>

namespace asio = boost::asio;

asio::awaitable<void> show(const std::string& title, const std::string& conninfo) {
    fmt::print("\n== {}\n", title);
    auto cfg = pgasio::config::parse(conninfo);
    if (!cfg) {
        fmt::print("   configuration refused: {}\n", cfg.error().message);
        co_return;
    }
    // The configuration prints without its password.
    fmt::print("   config: {}\n", cfg->to_string());
    pgasio::connection conn(co_await asio::this_coro::executor);
    try {
        co_await conn.async_connect(*cfg);
    } catch (const pgasio::error& e) {
        // e.what() carries the SQLSTATE and the server's message.
        fmt::print("   failed: {}\n", e.what());
        co_return;
    }
    fmt::print("   connected: PostgreSQL {}, backend pid {}, user {}\n",
               conn.parameter("server_version").value_or("?"), conn.backend_pid(),
               conn.parameter("session_authorization").value_or("?"));
    fmt::print("   TLS: {}, SCRAM channel binding: {}, time zone: {}\n",
               conn.uses_tls() ? "yes" : "no", conn.uses_channel_binding() ? "yes" : "no",
               conn.parameter("TimeZone").value_or("?"));
    co_await conn.async_close();
    fmt::print("   closed\n");
}

asio::awaitable<void> demo(std::string url, std::string socket_dir) {
    co_await show("TCP with TLS when the server offers it (sslmode=prefer)", url);
    co_await show("TCP without TLS",
                  url + (url.find('?') == std::string::npos ? "?" : "&") + "sslmode=disable");
    if (!socket_dir.empty())
        co_await show("unix-domain socket", url + (url.find('?') == std::string::npos ? "?" : "&") +
                                                "host=" + socket_dir);
    co_await show("a wrong password (the error shows what the server said, never the password)",
                  url + (url.find('?') == std::string::npos ? "?" : "&") + "password=wrong-one");
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fmt::print(stderr, "usage: {} postgresql://user:password@host:port/db [socket-dir]\n",
                   argv[0]);
        return 2;
    }
    asio::io_context ctx;
    asio::co_spawn(ctx, demo(argv[1], argc > 2 ? argv[2] : ""), [](const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);
    });
    ctx.run();
    return 0;
}
