// W4-text, W4-bin and W4-out (copy_workloads.hpp) with pgasio. Connecting and creating the
// table happen before the timed region; the COPY (its start, every row, its end) is inside it.
// After a COPY in, the server's totals of the table are checked; W4-out checks the totals of
// what it decoded. A failed check exits non-zero saying why.
// Usage: copy_pgasio CONNINFO WORKLOAD
//   WORKLOAD: w4-text (copy_writer, text lines formatted in the timed region), w4-bin
//   (copy_row_writer, binary), w4-out (copy_row_reader, every value decoded)
#include "copy_workloads.hpp"
#include "pgasio_workload.hpp"
#include "report.hpp"

#include <pgasio/connection.hpp>

#include <boost/asio/this_coro.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
namespace bench = pgasio::bench;
using bench::check_failed;

namespace {

// The server's totals of w4, checked against the rows W4 copies.
asio::awaitable<void> check_table(pgasio::connection& conn) {
    const auto r = co_await conn.async_query(bench::w4_totals_sql);
    bench::w4_totals t;
    t.rows = r[0].get<std::int64_t>(0);
    t.sum_a = r[0].get<std::optional<std::int64_t>>(1).value_or(0);
    t.b_lengths = r[0].get<std::optional<std::int64_t>>(2).value_or(0);
    t.sum_c = r[0].get<std::optional<double>>(3).value_or(0);
    if (!bench::check_w4(t)) check_failed("the table's totals after the COPY (see above)");
}

const std::vector<std::string>& w4_columns() {
    static const std::vector<std::string> columns{"a", "b", "c"};
    return columns;
}

// W4-bin's COPY: the rows encoded by the typed writer, sent as each chunk fills.
asio::awaitable<std::uint64_t> copy_in_binary(pgasio::connection& conn) {
    auto w = co_await conn.async_copy_in_rows("w4", w4_columns());
    char b[24];
    for (std::int64_t i = 1; i <= bench::w4_rows; ++i) {
        const int n = bench::w4_b_of(i, b);
        w.write_row(i, std::string_view(b, static_cast<std::size_t>(n)), bench::w4_c_of(i));
        if (w.wants_flush()) co_await w.async_flush();
    }
    co_return co_await w.async_finish();
}

asio::awaitable<void> copy_text(const pgasio::config& cfg, const char* name) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    co_await conn.async_execute(bench::w4_create_sql);
    co_await conn.async_execute(bench::w4_truncate_sql);
    bench::timed_region region;
    auto copy = co_await conn.async_copy_in(bench::w4_copy_in_text_sql);
    std::string lines;
    lines.reserve(bench::w4_chunk_bytes + 128);
    char line[96];
    for (std::int64_t i = 1; i <= bench::w4_rows; ++i) {
        // a, tab, b, tab, c, newline: c in its shortest exact form, as float8 prints it.
        char* p = std::to_chars(line, line + 24, i).ptr;
        *p++ = '\t';
        p += bench::w4_b_of(i, p);
        *p++ = '\t';
        p = std::to_chars(p, line + sizeof line, bench::w4_c_of(i)).ptr;
        *p++ = '\n';
        lines.append(line, p);
        if (lines.size() >= bench::w4_chunk_bytes) {
            co_await copy.async_write(lines);
            lines.clear();
        }
    }
    if (!lines.empty()) co_await copy.async_write(lines);
    const std::uint64_t rows = co_await copy.async_finish();
    region.report("pgasio", name, bench::w4_rows);
    if (rows != static_cast<std::uint64_t>(bench::w4_rows))
        check_failed("COPY " + std::to_string(rows));
    co_await check_table(conn);
    co_await conn.async_close();
}

asio::awaitable<void> copy_binary(const pgasio::config& cfg, const char* name) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    co_await conn.async_execute(bench::w4_create_sql);
    co_await conn.async_execute(bench::w4_truncate_sql);
    bench::timed_region region;
    const std::uint64_t rows = co_await copy_in_binary(conn);
    region.report("pgasio", name, bench::w4_rows);
    if (rows != static_cast<std::uint64_t>(bench::w4_rows))
        check_failed("COPY " + std::to_string(rows));
    co_await check_table(conn);
    co_await conn.async_close();
}

asio::awaitable<void> copy_out(const pgasio::config& cfg, const char* name) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    co_await conn.async_execute(bench::w4_create_sql);
    // The table W4-bin leaves; filled here (untimed) when it holds anything else.
    const auto count = co_await conn.async_query("SELECT count(*) FROM w4");
    if (count[0].get<std::int64_t>(0) != bench::w4_rows) {
        co_await conn.async_execute(bench::w4_truncate_sql);
        (void)co_await copy_in_binary(conn);
    }
    co_await check_table(conn);
    bench::timed_region region;
    auto reader = co_await conn.async_copy_out_rows("w4", w4_columns());
    bench::w4_totals t;
    for (;;) {
        const pgasio::result batch = co_await reader.async_next();
        if (batch.empty()) break;
        for (const pgasio::row_view row : batch) {
            ++t.rows;
            t.sum_a += row.get<std::int64_t>(0);
            t.b_lengths += static_cast<std::int64_t>(row.get<std::string_view>(1).size());
            t.sum_c += row.get<double>(2);
        }
    }
    region.report("pgasio", name, bench::w4_rows);
    if (!bench::check_w4(t)) check_failed("W4-out totals (see above)");
    co_await conn.async_close();
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CONNINFO WORKLOAD\n", argv[0]);
        return 2;
    }
    const std::string_view workload = argv[2];
    bench::pgasio_workload run;
    if (workload == "w4-text") run = copy_text;
    if (workload == "w4-bin") run = copy_binary;
    if (workload == "w4-out") run = copy_out;
    if (!run) {
        std::fprintf(stderr, "%s: unknown workload %s\n", argv[0], argv[2]);
        return 2;
    }
    return bench::run_pgasio_workload(run, argv[1], argv[2]);
}
