// W5 with pgasio: N sequential connect + authenticate + close.
// Usage: connect_pgasio CONNINFO COUNT WORKLOAD-NAME
#include "pgasio_workload.hpp"
#include "report.hpp"

#include <pgasio/connection.hpp>

#include <boost/asio/this_coro.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;
namespace bench = pgasio::bench;

namespace {

// `count` connections, each checked: an authenticated session, TLS when the configuration
// asks for it.
asio::awaitable<void> connect_loop(const pgasio::config& cfg, const char* name, long count) {
    const bool want_tls = cfg.sslmode >= pgasio::ssl_mode::require;
    auto ex = co_await asio::this_coro::executor;
    long ok = 0;
    bench::timed_region region;
    for (long i = 0; i < count; ++i) {
        pgasio::connection conn(ex);
        co_await conn.async_connect(cfg);
        if (conn.backend_pid() > 0 && conn.uses_tls() == want_tls) ++ok;
        co_await conn.async_close();
    }
    region.report("pgasio", name, count);
    if (ok != count)
        bench::check_failed("only " + std::to_string(ok) + " of " + std::to_string(count) +
                            " connections verified");
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s CONNINFO COUNT WORKLOAD\n", argv[0]);
        return 2;
    }
    const long count = std::atol(argv[2]);
    return bench::run_pgasio_workload(
        [count](const pgasio::config& cfg, const char* name) {
            return connect_loop(cfg, name, count);
        },
        argv[1], argv[3]);
}
