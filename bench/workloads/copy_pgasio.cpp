// W4-text (copy_workloads.hpp) with pgasio's copy_writer: the text lines formatted into ~64 KiB
// chunks, one async_write each, as libpq's baseline sends them with PQputCopyData. Connecting,
// creating and truncating the table happen before the timed region; the COPY's row count and the
// server's totals are checked, and a failed check exits non-zero saying why. Usage: copy_pgasio
// CONNINFO WORKLOAD
//   WORKLOAD: w4-text
#include "copy_workloads.hpp"
#include "report.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/copy.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace bench = pgasio::bench;

namespace {

[[noreturn]] void check_failed(const std::string& what) {
    throw std::runtime_error("check failed: " + what);
}

asio::awaitable<bench::w4_totals> server_totals(pgasio::connection& conn) {
    const auto r = co_await conn.async_query(bench::w4_totals_sql);
    co_return bench::w4_totals{r[0].get<std::int64_t>(0), r[0].get<std::int64_t>(1),
                               r[0].get<std::int64_t>(2), r[0].get<double>(3)};
}

asio::awaitable<void> w4_text(const pgasio::config& cfg, const char* name) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    co_await conn.async_execute(bench::w4_create_sql);
    co_await conn.async_execute(bench::w4_truncate_sql);
    bench::timed_region region;
    auto copy = co_await conn.async_copy_in(bench::w4_copy_in_text_sql);
    std::string chunk(bench::w4_chunk_bytes, '\0');
    std::size_t used = 0;
    for (std::int64_t i = 1; i <= bench::w4_rows; ++i) {
        if (used + bench::w4_text_line_max > chunk.size()) {
            co_await copy.async_write(std::string_view(chunk.data(), used));
            used = 0;
        }
        used += bench::w4_text_line(i, chunk.data() + used);
    }
    co_await copy.async_write(std::string_view(chunk.data(), used));
    const std::uint64_t rows = co_await copy.async_finish();
    if (rows != static_cast<std::uint64_t>(bench::w4_rows))
        check_failed("COPY ended with " + std::to_string(rows) + " rows");
    const bench::w4_totals totals = co_await server_totals(conn);
    if (!bench::check_w4(totals)) check_failed("W4 totals (see above)");
    region.report("pgasio", name, bench::w4_rows);
    co_await conn.async_close();
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CONNINFO WORKLOAD\n", argv[0]);
        return 2;
    }
    const auto cfg = pgasio::config::parse(argv[1]);
    if (!cfg) {
        std::fprintf(stderr, "bad configuration: %s\n", cfg.error().message.c_str());
        return 2;
    }
    if (std::string_view(argv[2]) != "w4-text") {
        std::fprintf(stderr, "%s: unknown workload %s (this program runs w4-text)\n", argv[0],
                     argv[2]);
        return 2;
    }
    try {
        asio::io_context ctx(1);
        auto done = asio::co_spawn(ctx, w4_text(*cfg, argv[2]), asio::use_future);
        ctx.run();
        done.get();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pgasio %s failed: %s\n", argv[2], e.what());
        return 1;
    }
    return 0;
}
