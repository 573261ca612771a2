// pgasio::prometheus against the real primary: the metrics count what the test did, and the
// scrape text passes promtool's checks.
#include <pgasio/batch.hpp>
#include <pgasio/cluster.hpp>
#include <pgasio/connection.hpp>
#include <pgasio/copy.hpp>
#include <pgasio/pool.hpp>
#include <pgasio/prometheus/metrics.hpp>
#include <pgasio/transaction.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>

namespace asio = boost::asio;
using pgasio::test::run;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

// The value of the counter or gauge `name` whose labels include `labels`, or the sample count
// of such a histogram; -1 when there is no such series.
double value_of(prometheus::Registry& registry, const std::string& name,
                const std::map<std::string, std::string>& labels = {}) {
    for (const auto& family : registry.Collect()) {
        if (family.name != name) continue;
        for (const auto& m : family.metric) {
            std::size_t matched = 0;
            for (const auto& l : m.label) {
                auto it = labels.find(l.name);
                if (it != labels.end() && it->second == l.value) ++matched;
            }
            if (matched != labels.size()) continue;
            switch (family.type) {
            case prometheus::MetricType::Counter:
                return m.counter.value;
            case prometheus::MetricType::Gauge:
                return m.gauge.value;
            case prometheus::MetricType::Histogram:
                return static_cast<double>(m.histogram.sample_count);
            default:
                return -1;
            }
        }
    }
    return -1;
}

struct fixture {
    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
    std::shared_ptr<pgasio::prometheus_metrics> metrics =
        std::make_shared<pgasio::prometheus_metrics>(*registry);
    pgasio::config cfg = [this] {
        auto c = pgasio::test::test_config();
        c.observer = metrics;
        return c;
    }();
};

} // namespace

TEST_CASE("prometheus: 1000 queries are counted and timed and their rows added up") {
    fixture f;
    run([&](auto ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        co_await conn.async_connect(f.cfg);
        for (int i = 0; i < 1000; ++i)
            co_await conn.async_query("SELECT $1::int", i);
        co_await conn.async_execute("CREATE TEMPORARY TABLE metric_rows (n int)");
        co_await conn.async_execute("INSERT INTO metric_rows SELECT generate_series(1, 7)");
        co_await conn.async_close();
    });
    const std::string db = f.cfg.dbname;
    CHECK(value_of(*f.registry, "pg_queries_total", {{"operation", "query"}, {"database", db}}) ==
          1002);
    CHECK(value_of(*f.registry, "pg_query_duration_seconds", {{"operation", "query"}}) == 1002);
    CHECK(value_of(*f.registry, "pg_rows_returned_total") == 1000);
    CHECK(value_of(*f.registry, "pg_rows_affected_total") == 7);
    CHECK(value_of(*f.registry, "pg_errors_total") == -1); // no error: no series
}

TEST_CASE("prometheus: errors are counted by SQLSTATE class and client error") {
    fixture f;
    run([&](auto ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        co_await conn.async_connect(f.cfg);
        for (int i = 0; i < 3; ++i) {
            auto [ec, r] = co_await conn.async_query("SELECT 1 / $1::int", 0, nothrow);
            CHECK(ec == pgasio::sqlstate::division_by_zero);
        }
        for (int i = 0; i < 2; ++i) {
            auto [ec, r] = co_await conn.async_query("SELECT * FROM no_such_table", nothrow);
            CHECK(ec == pgasio::sqlstate::undefined_table);
        }
        co_await conn.async_close();
        auto [ec, r] = co_await conn.async_query("SELECT 1", nothrow);
        CHECK(ec == pgasio::client_errc::not_connected);
    });
    CHECK(value_of(*f.registry, "pg_errors_total", {{"error_type", "22"}}) == 3);
    CHECK(value_of(*f.registry, "pg_errors_total", {{"error_type", "42"}}) == 2);
    const std::string not_connected =
        "pgasio.client:" + std::to_string(static_cast<int>(pgasio::client_errc::not_connected));
    CHECK(value_of(*f.registry, "pg_errors_total", {{"error_type", not_connected}}) == 1);
    // The one refused on a closed connection counts too: every query asked for.
    CHECK(value_of(*f.registry, "pg_queries_total", {{"operation", "query"}}) == 6);
}

// An observed query's deadline counts from the clock reading that starts its observation: it
// still fires, and fires late enough for a quick query under a long timeout.
TEST_CASE("prometheus: an observed query times out at its deadline and is counted") {
    using namespace std::chrono_literals;
    fixture f;
    run([&](auto ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        co_await conn.async_connect(f.cfg);
        conn.set_query_timeout(300ms);
        const auto start = std::chrono::steady_clock::now();
        // The comment tells this query apart from the other tests' sleeps.
        auto [ec, r] =
            co_await conn.async_query("SELECT pg_sleep(30) /* observed, timed out */", nothrow);
        CHECK(ec == pgasio::client_errc::query_timeout);
        CHECK(std::chrono::steady_clock::now() - start >= 300ms);
        CHECK(std::chrono::steady_clock::now() - start < 5s);
        conn.set_query_timeout(30s);
        for (int i = 0; i < 3; ++i) {
            auto [quick_ec, quick] = co_await conn.async_query("SELECT $1::int", i, nothrow);
            CHECK(!quick_ec);
            CHECK(quick.size() == 1);
        }
        co_await conn.async_close();
    });
    const auto timeout_type = pgasio::error_type(pgasio::client_errc::query_timeout);
    CHECK(value_of(*f.registry, "pg_errors_total", {{"error_type", timeout_type}}) == 1);
    CHECK(value_of(*f.registry, "pg_queries_total", {{"operation", "query"}}) == 4);
    CHECK(value_of(*f.registry, "pg_query_duration_seconds", {{"operation", "query"}}) == 4);
    CHECK(value_of(*f.registry, "pg_rows_returned_total") == 3);
}

TEST_CASE("prometheus: transactions by outcome and pool acquires and connection gauges") {
    fixture f;
    f.cfg.pool.min_connections = 0;
    f.cfg.pool.max_connections = 2;
    run([&](auto ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, f.cfg);
        {
            auto conn = co_await db.async_acquire();
            auto tx = co_await conn->async_begin();
            co_await tx.async_query("SELECT 1");
            co_await tx.async_commit();
            auto tx2 = co_await conn->async_begin();
            co_await tx2.async_rollback();
            { auto dropped = co_await conn->async_begin(); }
            f.metrics->update_pool("main", db.stats());
        }
        auto again = co_await db.async_acquire();
        co_await db.async_close();
    });
    CHECK(value_of(*f.registry, "pg_transactions_total", {{"outcome", "committed"}}) == 1);
    CHECK(value_of(*f.registry, "pg_transactions_total", {{"outcome", "rolled_back"}}) == 2);
    CHECK(value_of(*f.registry, "pg_transaction_duration_seconds") == 3);
    CHECK(value_of(*f.registry, "pg_pool_acquire_duration_seconds") == 2);
    CHECK(value_of(*f.registry, "pg_pool_connections", {{"pool", "main"}, {"state", "open"}}) == 1);
    CHECK(value_of(*f.registry, "pg_pool_connections", {{"pool", "main"}, {"state", "leased"}}) ==
          1);
}

TEST_CASE("prometheus: COPY, batches and row streams are counted, with their rows and errors") {
    fixture f;
    run([&](auto ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        co_await conn.async_connect(f.cfg);
        co_await conn.async_execute("CREATE TEMPORARY TABLE metric_copy (n int)");
        auto in = co_await conn.async_copy_in("COPY metric_copy FROM STDIN");
        co_await in.async_write(std::string_view("1\n2\n3\n4\n5\n"));
        const std::uint64_t copied_in = co_await in.async_finish();
        CHECK(copied_in == 5);
        auto out = co_await conn.async_copy_out("COPY metric_copy TO STDOUT");
        std::string data;
        for (;;) {
            std::string chunk = co_await out.async_read();
            if (chunk.empty()) break;
            data += chunk;
        }
        CHECK(data == "1\n2\n3\n4\n5\n");
        auto [copy_ec, refused] =
            co_await conn.async_copy_in("COPY no_such_table FROM STDIN", nothrow);
        CHECK(copy_ec == pgasio::sqlstate::undefined_table);

        pgasio::batch b(pgasio::batch_mode::independent);
        REQUIRE_FALSE(b.add("SELECT generate_series(1, 3)"));
        REQUIRE_FALSE(b.add("SELECT 1 / $1::int4", 0));
        REQUIRE_FALSE(b.add("SELECT 1"));
        const pgasio::batch_results results = co_await conn.async_execute_batch(std::move(b));
        CHECK(results[1].error == pgasio::sqlstate::division_by_zero);

        auto stream = conn.query_stream("SELECT generate_series(1, 1000)");
        std::size_t streamed = 0;
        for (;;) {
            const pgasio::result part = co_await stream.async_next();
            if (part.empty()) break;
            streamed += part.size();
        }
        CHECK(streamed == 1000);
        co_await conn.async_close();
    });
    const std::string db = f.cfg.dbname;
    // Three COPYs (in, out, and the one refused), one batch, two queries (CREATE, the stream).
    CHECK(value_of(*f.registry, "pg_queries_total", {{"operation", "copy"}, {"database", db}}) ==
          3);
    CHECK(value_of(*f.registry, "pg_query_duration_seconds", {{"operation", "copy"}}) == 3);
    CHECK(value_of(*f.registry, "pg_queries_total", {{"operation", "batch"}}) == 1);
    CHECK(value_of(*f.registry, "pg_query_duration_seconds", {{"operation", "batch"}}) == 1);
    CHECK(value_of(*f.registry, "pg_queries_total", {{"operation", "query"}}) == 2);
    // The batch's 3 + 1 rows and the stream's 1,000; 5 rows copied in and 5 out.
    CHECK(value_of(*f.registry, "pg_rows_returned_total") == 1004);
    CHECK(value_of(*f.registry, "pg_rows_affected_total") == 10);
    // The COPY into a table that does not exist, and the batch's division by zero.
    CHECK(value_of(*f.registry, "pg_errors_total", {{"error_type", "42"}}) == 1);
    CHECK(value_of(*f.registry, "pg_errors_total", {{"error_type", "22"}}) == 1);
}

// Registered by tests/CMakeLists.txt only where promtool is installed.
TEST_CASE("prometheus: a pool reports its connections itself, under its name") {
    fixture f;
    f.cfg.pool.min_connections = 2;
    f.cfg.pool.max_connections = 3;
    auto named = f.cfg;
    named.pool.name = "orders";
    // Unnamed, a pool is called after its server.
    const std::string server = pgasio::to_string(f.cfg.hosts.front());
    auto gauge = [&](const std::string& pool, const std::string& state) {
        return value_of(*f.registry, "pg_pool_connections", {{"pool", pool}, {"state", state}});
    };
    run([&](auto ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, f.cfg);
        pgasio::pool orders(ex, named);
        // No update_pool: the pools' housekeeping reports about once a second.
        const bool opened = co_await pgasio::test::eventually(
            [&] { return gauge(server, "open") == 2 && gauge("orders", "open") == 2; });
        CHECK(opened);
        {
            auto lease = co_await orders.async_acquire();
            const bool leased =
                co_await pgasio::test::eventually([&] { return gauge("orders", "leased") == 1; });
            CHECK(leased);
            CHECK(gauge(server, "leased") == 0);
        }
        co_await orders.async_close();
        // Closed, it says so at once: nothing open.
        CHECK(gauge("orders", "open") == 0);
        CHECK(gauge(server, "open") == 2);
        co_await db.async_close();
        CHECK(gauge(server, "open") == 0);
    });
}

TEST_CASE("prometheus: a cluster's pools report under the cluster's name and their server, "
          "and its probes are not counted") {
    fixture f;
    auto cfg = f.cfg;
    cfg.pool.name = "shop";
    cfg.pool.min_connections = 1;
    cfg.replicas = pgasio::test::user_config("SCRAM", "REPLICA").hosts;
    const std::string primary = "shop/" + pgasio::to_string(cfg.hosts.front());
    const std::string replica = "shop/" + pgasio::to_string(cfg.replicas.front());
    run([&](auto ex) -> asio::awaitable<void> {
        pgasio::cluster shop(ex, cfg);
        const bool reported = co_await pgasio::test::eventually([&] {
            return value_of(*f.registry, "pg_pool_connections",
                            {{"pool", primary}, {"state", "open"}}) == 1 &&
                   value_of(*f.registry, "pg_pool_connections",
                            {{"pool", replica}, {"state", "open"}}) == 1;
        });
        CHECK(reported);
        // Its probes of the members (acquires, the lag and WAL position queries) are its own
        // work: not counted as the application's.
        co_await shop.async_refresh();
        CHECK(value_of(*f.registry, "pg_queries_total", {{"operation", "query"}}) == -1);
        CHECK(value_of(*f.registry, "pg_pool_acquire_duration_seconds") == 0);
        co_await shop.async_query("SELECT 1");
        CHECK(value_of(*f.registry, "pg_queries_total", {{"operation", "query"}}) == 1);
        co_await shop.async_close();
    });
}

TEST_CASE("prometheus: the scrape passes promtool check metrics", "[.promtool]") {
    fixture f;
    run([&](auto ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        co_await conn.async_connect(f.cfg);
        co_await conn.async_query("SELECT 1");
        auto [ec, r] = co_await conn.async_query("SELECT 1 / 0", nothrow);
        CHECK(ec);
        auto tx = co_await conn.async_begin();
        co_await tx.async_commit();
        co_await conn.async_close();
    });
    f.metrics->update_pool("main", {});
    const std::string text = prometheus::TextSerializer().Serialize(f.registry->Collect());
    INFO(text);
    CHECK(text.find("pg_queries_total{") != std::string::npos);
    const std::string path = "pgasio_prometheus_scrape.txt";
    std::ofstream(path) << text;
    const char* promtool = std::getenv("PGASIO_PROMTOOL");
    REQUIRE(promtool);
    const std::string command = std::string(promtool) + " check metrics < " + path + " 2>&1";
    CHECK(std::system(command.c_str()) == 0);
    std::remove(path.c_str());
}
