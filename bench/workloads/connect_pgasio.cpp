// W5 with pgasio: N sequential connect + authenticate + close.
// Usage: connect_pgasio CONNINFO COUNT WORKLOAD-NAME
#include "report.hpp"

#include <pgasio/connection.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s CONNINFO COUNT WORKLOAD\n", argv[0]);
        return 2;
    }
    const auto cfg = pgasio::config::parse(argv[1]);
    if (!cfg) {
        std::fprintf(stderr, "bad configuration: %s\n", cfg.error().message.c_str());
        return 2;
    }
    const long count = std::atol(argv[2]);
    const bool want_tls = cfg->sslmode >= pgasio::ssl_mode::require;
    asio::io_context ctx;
    pgasio::bench::timed_region region;
    auto done = asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<long> {
            long ok = 0;
            for (long i = 0; i < count; ++i) {
                pgasio::connection conn(ctx);
                co_await conn.async_connect(*cfg);
                // Check the work was done: an authenticated session, TLS when asked for.
                if (conn.backend_pid() > 0 && conn.uses_tls() == want_tls) ++ok;
                co_await conn.async_close();
            }
            co_return ok;
        },
        asio::use_future);
    ctx.run();
    const long ok = done.get();
    region.report("pgasio", argv[3], count);
    if (ok != count) {
        std::fprintf(stderr, "only %ld of %ld connections verified\n", ok, count);
        return 1;
    }
    return 0;
}
