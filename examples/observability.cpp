// Observability, printed for a newcomer: pgasio's metrics kept in a Prometheus registry, every
// operation a span of a (trivial) tracer, failures and slow queries logged to stderr with their
// SQL sanitized, and at the end the scrape a Prometheus server would read.
// Usage: pgasio_example_observability "postgresql://user:password@host:port/db"
#include <pgasio/logging_observer.hpp>
#include <pgasio/named_param.hpp>
#include <pgasio/observer_list.hpp>
#include <pgasio/pool.hpp>
#include <pgasio/prometheus/metrics.hpp>
#include <pgasio/span_attributes.hpp>

#include "run_example.hpp"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>

#include <fmt/core.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A tracer in a few lines: a binding to OpenTelemetry's SDK does the same with the same hooks
// (start a span with the start attributes, add the end attributes, end it).
class print_tracer final : public pgasio::observer {
public:
    void* operation_start(const pgasio::operation_info& op) noexcept override {
        try {
            return new span{pgasio::span_name(op), pgasio::span_start_attributes(op)};
        } catch (...) {
            return nullptr;
        }
    }
    void operation_end(const pgasio::operation_info&, const pgasio::operation_result& result,
                       void* context) noexcept override {
        std::unique_ptr<span> s(static_cast<span*>(context));
        if (!s) return;
        try {
            std::string line =
                fmt::format("   span {:<12} {:7.2f} ms ", s->name,
                            std::chrono::duration<double, std::milli>(result.duration).count());
            for (auto& a : pgasio::span_end_attributes(result))
                s->attributes.push_back(std::move(a));
            for (const auto& a : s->attributes) {
                if (a.key == "db.system.name" || a.key == "server.port") continue; // shorter lines
                if (const auto* text = std::get_if<std::string>(&a.value))
                    line += fmt::format(" {}=\"{}\"", a.key, *text);
                else
                    line += fmt::format(" {}={}", a.key, std::get<std::int64_t>(a.value));
            }
            fmt::print("{}\n", line);
        } catch (...) {
        }
    }

private:
    struct span {
        std::string name;
        std::vector<pgasio::span_attribute> attributes;
    };
};

asio::awaitable<void> tour(std::string url) {
    auto registry = std::make_shared<prometheus::Registry>();
    auto metrics = std::make_shared<pgasio::prometheus_metrics>(*registry);
    pgasio::logging_options log_options;
    log_options.slow_query_threshold = 50ms;
    log_options.logged_parameters = {"seconds"}; // the one parameter whose value may be logged
    auto logs = std::make_shared<pgasio::logging_observer>(
        std::make_shared<pgasio::stderr_log_sink>(pgasio::log_level::warning), log_options);

    // The pool reports its connections (pg_pool_connections) under its name, once a second.
    auto cfg = pgasio::config::builder(url).pool_size(1, 2).pool_name("main").build().value();
    cfg.observer =
        std::make_shared<pgasio::observer_list>(std::vector<std::shared_ptr<pgasio::observer>>{
            metrics, logs, std::make_shared<print_tracer>()});
    pgasio::pool db(co_await asio::this_coro::executor, cfg);

    fmt::print("1. Queries, each a span; literals never reach a span or a log record:\n");
    co_await db.async_query("SELECT $1::int + 1 AS answer", 41);
    co_await db.async_query("SELECT 'a literal that could be a secret' AS s, 42 AS n");
    auto [ec, r] = co_await db.async_query("SELECT 1 / 0", asio::as_tuple(asio::deferred));
    fmt::print("   (the division failed as expected: {})\n", ec.message());
    fmt::print("2. A slow query is logged to stderr at warning level, with the value of the\n"
               "   parameter named \"seconds\" (opted in for); no other value is logged:\n");
    co_await db.async_query("SELECT pg_sleep($1::float8)", pgasio::named("seconds", 0.06));
    fmt::print("3. A transaction through the pool: an acquire, BEGIN...COMMIT, one span each:\n");
    co_await db.async_transaction([](pgasio::transaction& tx) -> asio::awaitable<void> {
        co_await tx.async_query("SELECT 1");
    });

    fmt::print("4. The scrape (what an exposer serving the registry answers):\n\n{}",
               prometheus::TextSerializer().Serialize(registry->Collect()));
    co_await db.async_close();
}

int main(int argc, char** argv) {
    return run_example(argc, argv, "URL", [](char** args) { return tour(args[1]); });
}
