// W1, W1-unix, W2, W2 sync-each, W3, W3-stream and W6 (workloads.hpp) with pgasio. Connecting
// and preparing happen before the timed region; every result is checked, and a failed check exits
// non-zero saying why.
// Usage: queries_pgasio CONNINFO WORKLOAD
//        queries_pgasio CONNINFO stream [ROWS]
//   WORKLOAD: latency, latency-unix (W1 over a unix socket CONNINFO), pipeline (W2 with one
//   coroutine per query; also run as sync-each, W2 sync-each), pipeline-batch (W2 with
//   pgasio::batch and async_execute_batch), big-result, stream (W3-stream, of ROWS rows, 1,000,000
//   by default), concurrency, concurrency-pool (W6-pool: W6's clients through a pgasio::pool of
//   at most 8 connections, shared mode), acquire-release (a lease of an idle pooled connection
//   taken and given back, CPU per cycle; no libpq counterpart); with pgasio::prometheus, any of
//   them with the suffix -metrics (latency-metrics): the same with its metrics observing;
//   latency-metrics-ab and concurrency-metrics-ab: W1 and W6 alternating in rounds between
//   connections with the metrics and connections without, the CPU of each side added up
#include "copy_workloads.hpp"
#include "pgasio_workload.hpp"
#include "report.hpp"
#include "workloads.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/insert_unnest.hpp>
#include <pgasio/pool.hpp>

#ifdef PGASIO_BENCH_PROMETHEUS
#include <pgasio/prometheus/metrics.hpp>
#include <prometheus/registry.h>
#endif

#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace asio = boost::asio;
namespace bench = pgasio::bench;
using bench::check_failed;
using bench::run_all;

namespace {

// The single int4 of one execution of S, checked against its parameter.
std::int32_t value_of(const pgasio::result& r, std::int32_t param) {
    if (r.size() != 1)
        check_failed("$1 = " + std::to_string(param) + " gave " + std::to_string(r.size()) +
                     " rows");
    const auto v = r[0].get<std::int32_t>(0);
    if (v != param)
        check_failed("$1 = " + std::to_string(param) + " came back as " + std::to_string(v));
    return v;
}

asio::awaitable<void> latency(const pgasio::config& cfg, const char* name) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    const auto stmt = co_await conn.async_prepare(bench::s_sql);
    bench::timed_region region;
    for (std::int32_t i = 1; i <= bench::latency_count; ++i)
        value_of(co_await conn.async_query(stmt, i), i);
    region.report("pgasio", name, bench::latency_count);
    co_await conn.async_close();
}

// bench::pipeline_batch * pipeline_max_syncs workers share the 200,000 executions: worker w
// sends $1 = w + 1, w + 1 + workers, ..., so the executions are sent 1, 2, 3, ... and that many
// are in flight together, as libpq's four outstanding Syncs of 1,000 allow. Results must
// complete in the order sent.
asio::awaitable<void> pipeline(const pgasio::config& cfg, const char* name) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    const auto stmt = co_await conn.async_prepare(bench::s_sql);
    constexpr int workers = bench::pipeline_batch * bench::pipeline_max_syncs;
    std::int32_t completed = 0;
    std::int64_t sum = 0;
    bench::timed_region region;
    co_await run_all(workers, [&](int w) -> asio::awaitable<void> {
        for (std::int32_t i = w + 1; i <= bench::pipeline_count; i += workers) {
            sum += value_of(co_await conn.async_query(stmt, i), i);
            if (i != ++completed)
                check_failed("$1 = " + std::to_string(i) + " completed in position " +
                             std::to_string(completed));
        }
    });
    if (completed != bench::pipeline_count || sum != bench::sum_to(bench::pipeline_count))
        check_failed(std::to_string(completed) + " executions summing to " + std::to_string(sum));
    region.report("pgasio", name, bench::pipeline_count);
    co_await conn.async_close();
}

// W2 with batches: the same 200,000 executions as libpq sends them, pipeline_batch queries per
// Sync with at most pipeline_max_syncs batches in flight (one coroutine per outstanding batch;
// coroutine k runs batches k, k + pipeline_max_syncs, ...). Results must come in order.
asio::awaitable<void> pipeline_batch(const pgasio::config& cfg, const char* name) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    const auto stmt = co_await conn.async_prepare(bench::s_sql);
    constexpr int batches = bench::pipeline_count / bench::pipeline_batch;
    std::int32_t completed = 0;
    std::int64_t sum = 0;
    bench::timed_region region;
    co_await run_all(bench::pipeline_max_syncs, [&](int k) -> asio::awaitable<void> {
        for (int b = k; b < batches; b += bench::pipeline_max_syncs) {
            pgasio::batch batch;
            const std::int32_t first = b * bench::pipeline_batch + 1;
            for (std::int32_t i = first; i < first + bench::pipeline_batch; ++i)
                if (batch.add(stmt, i)) check_failed("cannot add $1 = " + std::to_string(i));
            const auto results = co_await conn.async_execute_batch(std::move(batch));
            if (!results.ok())
                check_failed("a batch failed: " + results.first_failure()->error.message());
            if (results.size() != static_cast<std::size_t>(bench::pipeline_batch))
                check_failed("a batch gave " + std::to_string(results.size()) + " results");
            if (completed + 1 != first)
                check_failed("batch from $1 = " + std::to_string(first) +
                             " completed out of order");
            for (std::int32_t i = 0; i < bench::pipeline_batch; ++i)
                sum += value_of(results[static_cast<std::size_t>(i)].rows, first + i);
            completed += bench::pipeline_batch;
        }
    });
    if (completed != bench::pipeline_count || sum != bench::sum_to(bench::pipeline_count))
        check_failed(std::to_string(completed) + " executions summing to " + std::to_string(sum));
    region.report("pgasio", name, bench::pipeline_count);
    co_await conn.async_close();
}

// Turns one W3 row into native values and adds them to t; first_ts is the first row's
// timestamp, which every other row's must equal.
void add_big_result_row(const pgasio::row_view row, bench::big_result_totals& t,
                        std::int64_t& first_ts) {
    using micros = std::chrono::microseconds;
    // 2000-01-01 00:00:00 UTC, PostgreSQL's epoch, in microseconds since 1970.
    constexpr std::int64_t pg_epoch = 946'684'800'000'000;
    const std::int64_t g = row.get<std::int32_t>(0);
    const std::string_view text = row.get<std::string_view>(1);
    const double d = row.get<double>(2);
    const std::int64_t ts =
        row.get<std::chrono::sys_time<micros>>(3).time_since_epoch().count() - pg_epoch;
    if (t.rows++ == 0) first_ts = ts;
    t.sum_g += g;
    t.text_lengths += static_cast<std::int64_t>(text.size());
    t.sum_doubles += d;
    t.timestamps_equal = t.timestamps_equal && ts == first_ts;
}

// insert-unnest: the rows made and inserted with one statement.
asio::awaitable<void> insert_unnest(const pgasio::config& cfg, const char* name) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    co_await conn.async_execute(bench::insert_create_sql);
    co_await conn.async_execute(bench::insert_truncate_sql);
    bench::timed_region region;
    std::vector<std::tuple<std::int64_t, std::string, double>> rows;
    rows.reserve(static_cast<std::size_t>(bench::insert_rows));
    char b[21];
    for (std::int64_t i = 1; i <= bench::insert_rows; ++i)
        rows.emplace_back(i, std::string(b, static_cast<std::size_t>(bench::w4_b_of(i, b))),
                          bench::w4_c_of(i));
    const std::array<std::string_view, 3> columns = {"a", "b", "c"};
    const auto inserted = co_await pgasio::async_insert_unnest(conn, "w4_insert", columns, rows);
    region.report("pgasio", name, bench::insert_rows);
    if (inserted != static_cast<std::uint64_t>(bench::insert_rows))
        check_failed("async_insert_unnest inserted " + std::to_string(inserted) + " rows");
    const auto t = co_await conn.async_query(bench::insert_totals_sql);
    const bench::w4_totals totals{t[0].get<std::int64_t>(0), t[0].get<std::int64_t>(1),
                                  t[0].get<std::int64_t>(2), t[0].get<double>(3)};
    if (!bench::check_w4(totals, bench::insert_rows)) check_failed("the inserted rows");
    co_await conn.async_close();
}

asio::awaitable<void> big_result(const pgasio::config& cfg, const char* name) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    bench::timed_region region;
    const pgasio::result rows = co_await conn.async_query(bench::big_result_sql);
    bench::big_result_totals t;
    std::int64_t first_ts = 0;
    for (const pgasio::row_view row : rows)
        add_big_result_row(row, t, first_ts);
    if (!bench::check_big_result(t)) check_failed("W3 totals (see above)");
    region.report("pgasio", name, bench::big_result_rows, true);
    co_await conn.async_close();
}

// W3-stream: W3's query (of `rows` rows) through query_stream, which hands the rows out in parts
// and holds at most two of them, whatever the size. The peak resident set size is reported: it
// should not grow with `rows`.
asio::awaitable<void> stream(const pgasio::config& cfg, const char* name, std::int64_t rows) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    const std::string sql = bench::big_result_sql_for(rows);
    bench::timed_region region;
    pgasio::row_stream parts = conn.query_stream(sql);
    bench::big_result_totals t;
    std::int64_t first_ts = 0;
    for (;;) {
        const pgasio::result part = co_await parts.async_next();
        if (part.empty()) break; // the end of the rows
        for (const pgasio::row_view row : part)
            add_big_result_row(row, t, first_ts);
    }
    if (!bench::check_big_result(t, rows)) check_failed("W3-stream totals (see above)");
    region.report("pgasio", name, static_cast<long>(rows), true);
    co_await conn.async_close();
}

// W6's timed region: 64 clients, client k running its executions of S one after another through
// `query(k, param)`, each answer checked, the sum of all at the end.
template <class Query>
asio::awaitable<void> w6_clients(const char* name, Query query) {
    std::int64_t sum = 0;
    std::int64_t count = 0;
    bench::timed_region region;
    co_await run_all(bench::concurrency_clients, [&](int k) -> asio::awaitable<void> {
        for (std::int32_t j = 1; j <= bench::concurrency_per_client; ++j) {
            const std::int32_t param = k * bench::concurrency_per_client + j;
            sum += value_of(co_await query(k, param), param);
            ++count;
        }
    });
    constexpr std::int64_t total =
        std::int64_t{bench::concurrency_clients} * bench::concurrency_per_client;
    if (count != total || sum != bench::sum_to(total))
        check_failed(std::to_string(count) + " executions summing to " + std::to_string(sum));
    region.report("pgasio", name, total);
}

asio::awaitable<void> concurrency(const pgasio::config& cfg, const char* name) {
    auto ex = co_await asio::this_coro::executor;
    std::vector<pgasio::connection> conns;
    std::vector<pgasio::statement> stmts;
    for (int c = 0; c < bench::concurrency_connections; ++c) {
        conns.emplace_back(ex);
        co_await conns.back().async_connect(cfg);
        stmts.push_back(co_await conns.back().async_prepare(bench::s_sql));
    }
    co_await w6_clients(name, [&](int k, std::int32_t param) {
        const auto c = static_cast<std::size_t>(k % bench::concurrency_connections);
        return conns[c].async_query(stmts[c], param);
    });
    for (auto& conn : conns)
        co_await conn.async_close();
}

// W6-pool: W6's 64 clients and their executions, through a pool's shared mode (at most 8
// connections, all opened before the timed region): each execution goes to the least-loaded
// connection, pipelined there with the others'. S is sent as SQL text: the pool's connections
// prepare it once each through their statement cache.
asio::awaitable<void> concurrency_pool(const pgasio::config& cfg, const char* name) {
    auto pool_cfg = cfg;
    pool_cfg.pool.min_connections = bench::concurrency_connections;
    pool_cfg.pool.max_connections = bench::concurrency_connections;
    pgasio::pool db(co_await asio::this_coro::executor, pool_cfg);
    // Every connection opened and S prepared on each before the clock starts.
    co_await bench::until_open(db, bench::concurrency_connections);
    co_await run_all(bench::concurrency_connections * 4, [&](int k) -> asio::awaitable<void> {
        value_of(co_await db.async_query(bench::s_sql, k + 1), k + 1);
    });
    co_await w6_clients(
        name, [&](int, std::int32_t param) { return db.async_query(bench::s_sql, param); });
    co_await db.async_close();
}

// A lease of an idle connection taken and given back, `cycles` times: the pool's own cost per
// acquire (its queue, the hand-over posted to the caller) and release, no server round trip.
asio::awaitable<void> acquire_release(const pgasio::config& cfg, const char* name) {
    constexpr long cycles = 200'000;
    auto pool_cfg = cfg;
    pool_cfg.pool.min_connections = 1;
    pool_cfg.pool.max_connections = 1;
    pgasio::pool db(co_await asio::this_coro::executor, pool_cfg);
    { auto warm = co_await db.async_acquire(); }
    bench::timed_region region;
    for (long i = 0; i < cycles; ++i) {
        auto lease = co_await db.async_acquire();
        if (!lease.valid()) check_failed("an empty lease");
    }
    region.report("pgasio", name, cycles);
    // The same through try_acquire, which is no asynchronous operation: no completion posted.
    bench::timed_region at_once;
    for (long i = 0; i < cycles; ++i) {
        auto lease = db.try_acquire();
        if (!lease.valid()) check_failed("try_acquire found no idle connection");
    }
    at_once.report("pgasio", "try-acquire-release", cycles);
    // What any operation that completes at once costs on this io_context: its completion is
    // posted (never inline), and with sockets open the scheduler polls epoll between handlers.
    auto ex = co_await asio::this_coro::executor;
    bench::timed_region baseline;
    for (long i = 0; i < cycles; ++i)
        co_await asio::post(ex, asio::deferred);
    baseline.report("pgasio", "posted-completion", cycles);
    co_await db.async_close();
}

#ifdef PGASIO_BENCH_PROMETHEUS
// latency-metrics-ab, concurrency-metrics-ab: the cost of the metrics measured inside one
// process. The clients alternate, round by round, between connections whose configuration has
// the metrics observer and connections whose configuration has none, and each round's CPU time
// is added to its side. Separate runs of one workload here differ by up to 2x in CPU, which buries
// a cost of a few percent; rounds of a few milliseconds, in the order off-on, on-off, off-on, ...,
// leave the machine's drift on both sides alike.
class ab_rounds {
public:
    /// Runs `rounds` rounds (an even number), `round(side)` each: side 0 without the metrics,
    /// side 1 with them.
    template <class Round>
    asio::awaitable<void> run(int rounds, Round round) {
        for (int r = 0; r < rounds; ++r) {
            const auto side = static_cast<std::size_t>((r / 2 + r) % 2);
            const double start = cpu_seconds();
            co_await round(side);
            cpu_[side] += cpu_seconds() - start;
        }
    }

    /// Prints `client=pgasio workload=<w> ops=<n per side> rounds=<r> cpu_off_s=<s>
    /// cpu_on_s=<s> metrics_cpu_ratio=<on/off>` for tools/bench.
    void report(const char* workload, long ops_per_side, int rounds) const {
        std::printf("client=pgasio workload=%s ops=%ld rounds=%d cpu_off_s=%.6f cpu_on_s=%.6f "
                    "metrics_cpu_ratio=%.4f\n",
                    workload, ops_per_side, rounds, cpu_[0], cpu_[1], cpu_[1] / cpu_[0]);
    }

private:
    // The process's CPU time (user + system), to the nanosecond: a round lasts milliseconds.
    static double cpu_seconds() {
        timespec t{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
    }

    double cpu_[2] = {0, 0};
};

// The same configuration without an observer (side 0) and with `cfg`'s (side 1).
std::array<pgasio::config, 2> ab_configs(const pgasio::config& cfg) {
    std::array<pgasio::config, 2> sides{cfg, cfg};
    sides[0].observer = nullptr;
    return sides;
}

// W1 in 80 rounds of 250 executions per side, on one connection per side.
asio::awaitable<void> latency_ab(const pgasio::config& cfg, const char* name) {
    constexpr int per_round = 250;
    constexpr int rounds = 2 * bench::latency_count / per_round;
    const auto configs = ab_configs(cfg);
    std::vector<pgasio::connection> conns;
    std::vector<pgasio::statement> stmts;
    for (const auto& side_cfg : configs) {
        conns.emplace_back(co_await asio::this_coro::executor);
        co_await conns.back().async_connect(side_cfg);
        stmts.push_back(co_await conns.back().async_prepare(bench::s_sql));
    }
    std::int32_t next = 0;
    ab_rounds ab;
    co_await ab.run(rounds, [&](std::size_t side) -> asio::awaitable<void> {
        for (int i = 0; i < per_round; ++i) {
            ++next;
            value_of(co_await conns[side].async_query(stmts[side], next), next);
        }
    });
    if (next != 2 * bench::latency_count) check_failed(std::to_string(next) + " executions");
    ab.report(name, bench::latency_count, rounds);
    for (auto& conn : conns)
        co_await conn.async_close();
}

// W6 in 64 rounds per side: in each, W6's 64 clients run 25 executions each on the side's 8
// connections (client k on connection k mod 8), all of a round's answers in before the next.
asio::awaitable<void> concurrency_ab(const pgasio::config& cfg, const char* name) {
    constexpr int per_round = 25;
    constexpr int rounds = 2 * bench::concurrency_per_client / per_round;
    const auto configs = ab_configs(cfg);
    auto ex = co_await asio::this_coro::executor;
    std::array<std::vector<pgasio::connection>, 2> conns;
    std::array<std::vector<pgasio::statement>, 2> stmts;
    for (std::size_t side = 0; side < 2; ++side)
        for (int c = 0; c < bench::concurrency_connections; ++c) {
            conns[side].emplace_back(ex);
            co_await conns[side].back().async_connect(configs[side]);
            stmts[side].push_back(co_await conns[side].back().async_prepare(bench::s_sql));
        }
    std::int64_t sum = 0;
    std::int64_t count = 0;
    std::int32_t round_base = 0;
    ab_rounds ab;
    co_await ab.run(rounds, [&](std::size_t side) -> asio::awaitable<void> {
        co_await run_all(bench::concurrency_clients, [&](int k) -> asio::awaitable<void> {
            const auto c = static_cast<std::size_t>(k % bench::concurrency_connections);
            for (std::int32_t j = 1; j <= per_round; ++j) {
                const std::int32_t param = round_base + k * per_round + j;
                sum += value_of(co_await conns[side][c].async_query(stmts[side][c], param), param);
                ++count;
            }
        });
        round_base += bench::concurrency_clients * per_round;
    });
    constexpr std::int64_t total =
        2 * std::int64_t{bench::concurrency_clients} * bench::concurrency_per_client;
    if (count != total || sum != bench::sum_to(total))
        check_failed(std::to_string(count) + " executions summing to " + std::to_string(sum));
    ab.report(name, total / 2, rounds);
    for (auto& side : conns)
        for (auto& conn : side)
            co_await conn.async_close();
}
#endif

} // namespace

int main(int argc, char** argv) {
    const bool is_stream = argc >= 3 && std::string_view(argv[2]) == "stream";
    if (argc != 3 && !(is_stream && argc == 4)) {
        std::fprintf(stderr, "usage: %s CONNINFO WORKLOAD, or %s CONNINFO stream [ROWS]\n", argv[0],
                     argv[0]);
        return 2;
    }
    // The stream's row count, W3's by default: its peak memory is compared across sizes.
    std::int64_t rows = bench::big_result_rows;
    if (argc == 4) {
        char* end = nullptr;
        rows = std::strtoll(argv[3], &end, 10);
        if (*end != '\0' || rows < 1 || rows > 50'000'000) {
            std::fprintf(stderr, "%s: bad row count %s\n", argv[0], argv[3]);
            return 2;
        }
    }
    std::string_view workload = argv[2];
#ifdef PGASIO_BENCH_PROMETHEUS
    // latency-metrics, concurrency-metrics: W1 and W6 with pgasio::prometheus_metrics observing
    // every operation (tools/bench compares them with W1 and W6 without).
    constexpr std::string_view metrics_suffix = "-metrics";
    std::shared_ptr<prometheus::Registry> registry;
    bench::pgasio_workload run_ab;
    if (workload == "latency-metrics-ab") run_ab = latency_ab;
    if (workload == "concurrency-metrics-ab") run_ab = concurrency_ab;
    if (run_ab) {
        registry = std::make_shared<prometheus::Registry>();
    } else if (workload.ends_with(metrics_suffix)) {
        workload.remove_suffix(metrics_suffix.size());
        registry = std::make_shared<prometheus::Registry>();
    }
#endif
    bench::pgasio_workload run;
    if (workload == "latency" || workload == "latency-unix") run = latency;
    // W2 sync-each (a Sync after every query) is what pipeline already does: each async_query is
    // its own request with its own Sync. The second name pairs it with libpq's sync-each.
    if (workload == "pipeline" || workload == "sync-each") run = pipeline;
    if (workload == "pipeline-batch") run = pipeline_batch;
    if (workload == "big-result") run = big_result;
    if (is_stream)
        run = [rows](const pgasio::config& c, const char* name) { return stream(c, name, rows); };
    if (workload == "concurrency") run = concurrency;
    if (workload == "concurrency-pool") run = concurrency_pool;
    if (workload == "acquire-release") run = acquire_release;
    if (workload == "insert-unnest") run = insert_unnest;
#ifdef PGASIO_BENCH_PROMETHEUS
    if (run_ab) run = run_ab;
#endif
    if (!run) {
        std::fprintf(stderr, "%s: unknown workload %s\n", argv[0], argv[2]);
        return 2;
    }
#ifdef PGASIO_BENCH_PROMETHEUS
    if (registry) {
        auto cfg = pgasio::config::parse(argv[1]);
        if (!cfg) {
            std::fprintf(stderr, "%s: %s\n", argv[0], cfg.error().message.c_str());
            return 2;
        }
        cfg->observer = std::make_shared<pgasio::prometheus_metrics>(*registry);
        return bench::run_pgasio_workload(run, *cfg, argv[2]);
    }
#endif
    return bench::run_pgasio_workload(run, argv[1], argv[2]);
}
