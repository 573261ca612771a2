// W7 (statement_workloads.hpp) with pgasio: every execution a plain
// `co_await conn.async_query(sql, i)`, the connection's statement cache preparing each of the 100
// statements on first use and running the prepared one after. Also run with the cache off
// (statement_cache_capacity(0)) and in the describe-only mode (query_exec_mode::cache_describe),
// to show what the cache saves. Connecting happens before the timed region; every value is
// checked, and a failed check exits non-zero saying why.
// Usage: statements_pgasio CONNINFO WORKLOAD
//   WORKLOAD: statement-cache (the default configuration), statement-cache-off,
//   statement-cache-describe
#include "pgasio_workload.hpp"
#include "report.hpp"
#include "statement_workloads.hpp"

#include <pgasio/config.hpp>
#include <pgasio/connection.hpp>
#include <pgasio/query_exec_mode.hpp>

#include <boost/asio/this_coro.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
namespace bench = pgasio::bench;
using bench::check_failed;

namespace {

asio::awaitable<void> statements(const pgasio::config& cfg, const char* name) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    std::vector<std::string> sqls;
    for (int k = 1; k <= bench::statement_count; ++k)
        sqls.push_back(bench::statement_sql(k));
    bench::timed_region region;
    for (std::int32_t i = 1; i <= bench::statement_executions; ++i) {
        const int k = bench::statement_of(i);
        const pgasio::result r =
            co_await conn.async_query(sqls[static_cast<std::size_t>(k - 1)], i);
        if (r.size() != 1)
            check_failed("statement " + std::to_string(k) + " with $1 = " + std::to_string(i) +
                         " gave " + std::to_string(r.size()) + " rows");
        const auto v = r[0].get<std::int32_t>(0);
        if (v != i + k)
            check_failed("statement " + std::to_string(k) + " with $1 = " + std::to_string(i) +
                         " gave " + std::to_string(v));
    }
    region.report("pgasio", name, bench::statement_executions);
    co_await conn.async_close();
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CONNINFO WORKLOAD\n", argv[0]);
        return 2;
    }
    const std::string_view workload = argv[2];
    auto builder = pgasio::config::builder(argv[1]);
    if (workload == "statement-cache-off") {
        builder.statement_cache_capacity(0);
    } else if (workload == "statement-cache-describe") {
        builder.default_query_exec_mode(pgasio::query_exec_mode::cache_describe);
    } else if (workload != "statement-cache") {
        std::fprintf(stderr, "%s: unknown workload %s\n", argv[0], argv[2]);
        return 2;
    }
    const auto cfg = builder.build();
    if (!cfg) {
        std::fprintf(stderr, "bad configuration: %s\n", cfg.error().message.c_str());
        return 2;
    }
    return bench::run_pgasio_workload(statements, *cfg, argv[2]);
}
