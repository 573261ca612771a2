// pgasio's metrics in a prometheus-cpp registry (the pgasio::prometheus library).
#pragma once

#include <pgasio/observer.hpp>
#include <pgasio/pool_stats.hpp>

#include <memory>
#include <string_view>

namespace prometheus {
class Registry;
} // namespace prometheus

namespace pgasio {

/// An observer that keeps pgasio's metrics in a prometheus-cpp registry, so that the exposer
/// (or push gateway) already serving that registry serves them too. Link pgasio::prometheus
/// (built where prometheus-cpp is installed).
///
/// The metrics (names and labels as pgasio's specification gives them):
/// - `pg_queries_total{operation,database}`: queries run, failed ones included; `operation` is
///   the operation_kind (`query`, `simple_query`, `prepare`, `copy`, `batch`: a batch counts
///   once, a row stream as a query).
/// - `pg_query_duration_seconds{operation}`: histogram, buckets 1 ms, 5 ms, 10 ms, 25 ms, 50 ms,
///   100 ms, 250 ms, 500 ms, 1 s.
/// - `pg_rows_returned_total`, `pg_rows_affected_total` (operation_result).
/// - `pg_transactions_total{outcome}` (transaction_outcome) and
///   `pg_transaction_duration_seconds` (histogram, the same buckets).
/// - `pg_pool_connections{pool,state}`: gauges, `state` one of `open`, `idle`, `in_use`,
///   `leased`, `waiting`, `opening`, set by each pool made with this observer (about once a
///   second, observer::pool_state), or by update_pool().
/// - `pg_pool_acquire_duration_seconds`: histogram of pool::async_acquire's waits.
/// - `pg_routing_decisions_total{target}`: `primary` or `replica`, a cluster's routing.
/// - `pg_errors_total{error_type}`: failed operations (connects, acquires and queries), by
///   error_type(): the SQLSTATE class of a server error, `category:value` of any other.
///
/// \code
/// auto registry = std::make_shared<prometheus::Registry>();
/// auto metrics = std::make_shared<pgasio::prometheus_metrics>(*registry);
/// cfg.observer = metrics; // every connection, pool and cluster made with cfg reports to it
/// \endcode
///
/// Thread-safe. Recording a query costs a few atomic additions and a histogram observation.
class prometheus_metrics final : public observer {
public:
    /// Adds pgasio's metric families to `registry`, which must outlive this object. Throws
    /// std::invalid_argument (prometheus-cpp's) when the registry holds families of the same
    /// names with other types.
    explicit prometheus_metrics(::prometheus::Registry& registry);
    ~prometheus_metrics() override;

    void operation_end(const operation_info& op, const operation_result& result,
                       void* context) noexcept override;
    void routed(server_role target) noexcept override;
    /// Sets the `pg_pool_connections` gauges of the pool named `pool`, as update_pool does.
    void pool_state(std::string_view pool, const pool_stats& stats) noexcept override;

    /// Sets the `pg_pool_connections` gauges of the pool named `pool` from `stats` (its
    /// pool::stats()). The pools made with this observer report themselves; this is for a
    /// pool that reports elsewhere, or to be exact at the moment of a scrape.
    void update_pool(std::string_view pool, const pool_stats& stats);

private:
    struct state;
    std::unique_ptr<state> state_;
};

} // namespace pgasio
