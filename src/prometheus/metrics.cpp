// pgasio's metrics in a prometheus-cpp registry. Every series a query touches is created up
// front or found under a shared lock, so that recording one costs no allocation.
#include <pgasio/prometheus/metrics.hpp>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>

namespace pgasio {
namespace {

namespace prom = ::prometheus;

// The buckets of pgasio's specification: 1 ms to 1 s.
const prom::Histogram::BucketBoundaries& duration_buckets() {
    static const prom::Histogram::BucketBoundaries buckets{0.001, 0.005, 0.01, 0.025, 0.05,
                                                           0.1,   0.25,  0.5,  1.0};
    return buckets;
}

// The operations pg_queries_total and pg_query_duration_seconds count: those that run SQL.
constexpr std::array query_kinds{operation_kind::query, operation_kind::simple_query,
                                 operation_kind::prepare, operation_kind::copy,
                                 operation_kind::batch};
constexpr std::array outcomes{transaction_outcome::committed, transaction_outcome::rolled_back,
                              transaction_outcome::in_doubt, transaction_outcome::failed};

double seconds(std::chrono::nanoseconds d) {
    return std::chrono::duration<double>(d).count();
}

// query_kinds as a set of bits: it is asked of every operation.
constexpr unsigned query_kind_bits = [] {
    unsigned bits = 0;
    for (auto k : query_kinds)
        bits |= 1u << static_cast<unsigned>(k);
    return bits;
}();

bool is_query(operation_kind k) {
    return (query_kind_bits >> static_cast<unsigned>(k)) & 1u;
}

// A series of a family found by its labels, created on first use; later lookups share a lock.
template <class Key, class Metric, class Less = std::less<>>
class series_map {
public:
    template <class K, class Make>
    Metric& get(const K& key, Make make) {
        {
            std::shared_lock lock(mutex_);
            if (auto it = map_.find(key); it != map_.end()) return *it->second;
        }
        std::unique_lock lock(mutex_);
        auto [it, inserted] = map_.try_emplace(Key(key), nullptr);
        if (inserted) it->second = &make();
        return *it->second;
    }

private:
    std::shared_mutex mutex_;
    std::map<Key, Metric*, Less> map_;
};

// queries_total's key: the operation kind and the database.
struct query_key {
    operation_kind kind;
    std::string database;
    explicit query_key(std::pair<operation_kind, std::string_view> k)
        : kind(k.first)
        , database(k.second) {}
};
struct query_key_less {
    using is_transparent = void;
    static std::pair<int, std::string_view> view(const query_key& k) {
        return {static_cast<int>(k.kind), k.database};
    }
    static std::pair<int, std::string_view>
    view(const std::pair<operation_kind, std::string_view>& k) {
        return {static_cast<int>(k.first), k.second};
    }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
        return view(a) < view(b);
    }
};

// Tells the metrics objects of a process apart (an address may be reused).
std::atomic<std::uint64_t> last_id{0};

// The queries_total series this thread counted last: most programs use one database, and this
// skips the lookup of its series under the shared lock.
struct last_query_series {
    std::uint64_t owner = 0;
    operation_kind kind = operation_kind::query;
    std::string database;
    prom::Counter* counter = nullptr;
};
thread_local last_query_series last_series;

} // namespace

struct prometheus_metrics::state {
    explicit state(prom::Registry& r)
        : queries(prom::BuildCounter()
                      .Name("pg_queries_total")
                      .Help("Queries run, failed ones included")
                      .Register(r))
        , query_duration(prom::BuildHistogram()
                             .Name("pg_query_duration_seconds")
                             .Help("Query duration, from the call to the answer")
                             .Register(r))
        , rows_returned(prom::BuildCounter()
                            .Name("pg_rows_returned_total")
                            .Help("Rows the server returned")
                            .Register(r)
                            .Add({}))
        , rows_affected(prom::BuildCounter()
                            .Name("pg_rows_affected_total")
                            .Help("Rows inserted, updated, deleted, merged or copied")
                            .Register(r)
                            .Add({}))
        , transactions(prom::BuildCounter()
                           .Name("pg_transactions_total")
                           .Help("Transactions, by how they ended")
                           .Register(r))
        , transaction_duration(prom::BuildHistogram()
                                   .Name("pg_transaction_duration_seconds")
                                   .Help("Transaction duration, from BEGIN to its end")
                                   .Register(r)
                                   .Add({}, duration_buckets()))
        , pool_connections(prom::BuildGauge()
                               .Name("pg_pool_connections")
                               .Help("Pool connections, by state")
                               .Register(r))
        , acquire_duration(prom::BuildHistogram()
                               .Name("pg_pool_acquire_duration_seconds")
                               .Help("How long acquiring a pooled connection took")
                               .Register(r)
                               .Add({}, duration_buckets()))
        , routing(prom::BuildCounter()
                      .Name("pg_routing_decisions_total")
                      .Help("Cluster routing decisions, by target")
                      .Register(r))
        , errors(prom::BuildCounter()
                     .Name("pg_errors_total")
                     .Help("Failed operations, by SQLSTATE class or client error")
                     .Register(r))
        , to_primary(routing.Add({{"target", "primary"}}))
        , to_replica(routing.Add({{"target", "replica"}})) {
        for (auto k : query_kinds)
            durations[static_cast<std::size_t>(k)] =
                &query_duration.Add({{"operation", std::string(to_string(k))}}, duration_buckets());
        for (auto o : outcomes)
            by_outcome[static_cast<std::size_t>(o)] =
                &transactions.Add({{"outcome", std::string(to_string(o))}});
    }

    prom::Family<prom::Counter>& queries;
    prom::Family<prom::Histogram>& query_duration;
    prom::Counter& rows_returned;
    prom::Counter& rows_affected;
    prom::Family<prom::Counter>& transactions;
    prom::Histogram& transaction_duration;
    prom::Family<prom::Gauge>& pool_connections;
    prom::Histogram& acquire_duration;
    prom::Family<prom::Counter>& routing;
    prom::Family<prom::Counter>& errors;
    prom::Counter& to_primary;
    prom::Counter& to_replica;

    const std::uint64_t id = ++last_id;
    std::array<prom::Histogram*, 8> durations{}; // by operation_kind
    std::array<prom::Counter*, 4> by_outcome{};
    series_map<query_key, prom::Counter, query_key_less> queries_by;
    series_map<std::string, prom::Counter> errors_by;
    series_map<std::string, prom::Gauge> pools;
};

prometheus_metrics::prometheus_metrics(prom::Registry& registry)
    : state_(std::make_unique<state>(registry)) {}

prometheus_metrics::~prometheus_metrics() = default;

void prometheus_metrics::operation_end(const operation_info& op, const operation_result& result,
                                       void*) noexcept {
    try {
        auto& s = *state_;
        if (result.ec && op.kind != operation_kind::transaction) {
            const auto type = error_type(result.ec);
            s.errors_by
                .get(std::string_view(type),
                     [&]() -> prom::Counter& {
                         return s.errors.Add({{"error_type", type}});
                     })
                .Increment();
        }
        if (is_query(op.kind)) {
            auto& last = last_series;
            if (last.owner != s.id || last.kind != op.kind || last.database != op.database) {
                const std::pair<operation_kind, std::string_view> key{op.kind, op.database};
                last.counter = &s.queries_by.get(key, [&]() -> prom::Counter& {
                    return s.queries.Add({{"operation", std::string(to_string(op.kind))},
                                          {"database", std::string(op.database)}});
                });
                last.owner = s.id;
                last.kind = op.kind;
                last.database = op.database;
            }
            last.counter->Increment();
            s.durations[static_cast<std::size_t>(op.kind)]->Observe(seconds(result.duration));
            if (result.rows_returned)
                s.rows_returned.Increment(static_cast<double>(result.rows_returned));
            if (result.rows_affected && *result.rows_affected)
                s.rows_affected.Increment(static_cast<double>(*result.rows_affected));
        } else if (op.kind == operation_kind::transaction) {
            s.by_outcome[static_cast<std::size_t>(result.outcome)]->Increment();
            s.transaction_duration.Observe(seconds(result.duration));
        } else if (op.kind == operation_kind::acquire && !result.ec) {
            s.acquire_duration.Observe(seconds(result.duration));
        }
    } catch (...) {
        // A series could not be made (out of memory): the metric misses one operation, the
        // operation itself goes on.
    }
}

void prometheus_metrics::routed(server_role target) noexcept {
    (target == server_role::primary ? state_->to_primary : state_->to_replica).Increment();
}

void prometheus_metrics::pool_state(std::string_view pool, const pool_stats& stats) noexcept {
    try {
        update_pool(pool, stats);
    } catch (...) {
        // A series could not be made (out of memory): the gauges miss one report.
    }
}

void prometheus_metrics::update_pool(std::string_view pool, const pool_stats& stats) {
    auto& s = *state_;
    const std::pair<const char*, std::size_t> values[] = {
        {"open", stats.open},     {"idle", stats.idle},       {"in_use", stats.in_use},
        {"leased", stats.leased}, {"waiting", stats.waiting}, {"opening", stats.opening}};
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    for (const auto& entry : values) {
        const char* name = entry.first;
        const std::size_t value = entry.second;
        std::string key(pool);
        key += '\0';
        key += name;
        s.pools
            .get(key,
                 [&]() -> prom::Gauge& {
                     return s.pool_connections.Add({{"pool", std::string(pool)}, {"state", name}});
                 })
            .Set(static_cast<double>(value));
    }
}

} // namespace pgasio
