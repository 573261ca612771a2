// An application's view of pgasio: what tools/consumer-test builds against an installed pgasio,
// through add_subdirectory and through pkg-config. It parses a connection URL and prints it,
// then connects on its own io_context: to PGASIO_TEST_PRIMARY_URL when that is set (tools/pg
// env) and runs a query, otherwise to a loopback port where nothing listens and expects the
// refusal. Exits 0 when everything went as expected.
#include <pgasio/config.hpp>
#include <pgasio/connection.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <fmt/core.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>

namespace asio = boost::asio;

namespace {

asio::awaitable<int> with_server(std::string url) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(pgasio::config::parse(url).value());
    auto rows = co_await conn.async_query("SELECT $1::int4 + 1 AS answer", std::int32_t{41});
    const auto answer = rows[0].get<std::int32_t>("answer");
    fmt::print("the server answered {}\n", answer);
    co_await conn.async_close();
    co_return answer == 42 ? 0 : 1;
}

asio::awaitable<int> without_server() {
    pgasio::connection conn(co_await asio::this_coro::executor);
    try {
        co_await conn.async_connect(
            pgasio::config::parse("postgresql://nobody@127.0.0.1:1/none?sslmode=disable").value());
    } catch (const pgasio::error& e) {
        fmt::print("connecting where no server listens failed as expected: {}\n", e.what());
        co_return 0;
    }
    fmt::print("connected where no server listens\n");
    co_return 1;
}

} // namespace

int main() {
    auto cfg = pgasio::config::parse("postgresql://app:secret@db.example.org:6432/orders?sslmode="
                                     "require&application_name=consumer");
    if (!cfg) {
        fmt::print("configuration refused: {}\n", cfg.error().message);
        return 1;
    }
    fmt::print("parsed: {}\n", cfg->to_string());

    const char* url = std::getenv("PGASIO_TEST_PRIMARY_URL");
    asio::io_context ctx;
    int status = 1;
    asio::co_spawn(ctx, url ? with_server(url) : without_server(),
                   [&](std::exception_ptr e, int result) {
                       if (e) std::rethrow_exception(e);
                       status = result;
                   });
    ctx.run();
    return status;
}
