// An application's view of pgasio::simulation, as tools/consumer-test builds it: a replay from
// a fixture with no session recorded refuses to connect (with no server, and no socket),
// naming why. Exits 0 when it did.
#include <pgasio/connection.hpp>
#include <pgasio/simulation.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <fmt/core.h>

#include <exception>

namespace asio = boost::asio;

namespace {

asio::awaitable<int> replay_nothing() {
    auto cfg = pgasio::config::parse("postgresql://app@localhost/test").value();
    cfg.simulation = pgasio::simulation::replay_text(R"({"pgasio_recording": 1, "sessions": []})");
    pgasio::connection conn(co_await asio::this_coro::executor);
    try {
        co_await conn.async_connect(cfg);
    } catch (const pgasio::error& e) {
        fmt::print("an empty recording refused the session as expected: {}\n", e.what());
        co_return e.code() == pgasio::client_errc::replay_mismatch ? 0 : 1;
    }
    co_return 1;
}

} // namespace

int main() {
    asio::io_context ctx;
    int status = 1;
    asio::co_spawn(ctx, replay_nothing(), [&](std::exception_ptr e, int s) {
        if (!e) status = s;
    });
    ctx.run();
    return status;
}
