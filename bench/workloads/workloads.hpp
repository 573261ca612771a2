// The query workloads of ../shared/BENCHMARKS.md (W1, W1-unix, W2, W2 sync-each, W3, W3-stream,
// W6) and insert-unnest: their sizes, their SQL and the checks both clients apply, so that pgasio
// and libpq do exactly the same work.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace pgasio::bench {

/// S: prepared once per connection, parameter int4, binary result.
inline constexpr const char* s_sql = "SELECT $1::int4";

/// W1 and W1-unix: sequential round trips of S with $1 = 1..latency_count.
inline constexpr std::int32_t latency_count = 20'000;

/// W2: executions of S in flight together on one connection, $1 = 1..pipeline_count.
inline constexpr std::int32_t pipeline_count = 200'000;
/// W2 (libpq): a Sync after every pipeline_batch queries, at most pipeline_max_syncs of them
/// outstanding. pgasio keeps the same depth, pipeline_batch * pipeline_max_syncs, in flight.
inline constexpr std::int32_t pipeline_batch = 1'000;
inline constexpr std::int32_t pipeline_max_syncs = 4;

/// W3: one big result, every value turned into a native value.
inline constexpr const char* big_result_sql =
    "SELECT g, g::text, g*1.5::float8, now() FROM generate_series(1,1000000) g";
inline constexpr std::int64_t big_result_rows = 1'000'000;

/// W3-stream: W3's query for `rows` rows (W3's size by default). The row count is a parameter so
/// that the peak memory of a stream can be compared across sizes: constant memory means the same
/// figure at 1,000,000 and 10,000,000 rows.
inline std::string big_result_sql_for(std::int64_t rows) {
    return "SELECT g, g::text, g*1.5::float8, now() FROM generate_series(1," +
           std::to_string(rows) + ") g";
}

/// W6: clients, connections, executions of S per client. Client k runs on connection
/// k % concurrency_connections with $1 = k * concurrency_per_client + 1 .. (k + 1) * ...
inline constexpr int concurrency_clients = 64;
inline constexpr int concurrency_connections = 8;
inline constexpr std::int32_t concurrency_per_client = 1'600;

/// insert-unnest: insert_rows rows of W4's shape (copy_workloads.hpp: row i = (i, w4_b_of(i),
/// w4_c_of(i))) into a table of their own. pgasio: one statement, async_insert_unnest; libpq: a
/// multi-row INSERT of insert_rows_per_statement rows each, text parameters, as an application
/// builds one. The rows' values are made inside the timed region by both.
inline constexpr const char* insert_create_sql =
    "CREATE UNLOGGED TABLE IF NOT EXISTS w4_insert (a int8, b text, c float8)";
inline constexpr const char* insert_truncate_sql = "TRUNCATE w4_insert";
inline constexpr const char* insert_totals_sql =
    "SELECT count(*), sum(a)::int8, sum(length(b))::int8, sum(c) FROM w4_insert";
inline constexpr std::int64_t insert_rows = 100'000;
inline constexpr std::int64_t insert_rows_per_statement = 1'000;
static_assert(insert_rows % insert_rows_per_statement == 0);

/// 1 + 2 + ... + n.
constexpr std::int64_t sum_to(std::int64_t n) {
    return n * (n + 1) / 2;
}

/// The total length of the decimal texts of 1..n (what sum(length(g::text)) gives).
constexpr std::int64_t text_lengths_to(std::int64_t n) {
    std::int64_t total = 0;
    std::int64_t digits = 1;
    for (std::int64_t low = 1; low <= n; low *= 10, ++digits) {
        const std::int64_t high = low * 10 - 1 < n ? low * 10 - 1 : n;
        total += (high - low + 1) * digits;
    }
    return total;
}
static_assert(text_lengths_to(1'000'000) == 5'888'896);

/// What W3 computed from the native values of its rows.
struct big_result_totals {
    std::int64_t rows = 0;
    std::int64_t sum_g = 0;
    std::int64_t text_lengths = 0;
    double sum_doubles = 0;
    bool timestamps_equal = true;
};

/// Checks W3's (or W3-stream's, of n rows) totals; prints what is wrong and returns false when a
/// check fails.
inline bool check_big_result(const big_result_totals& t, std::int64_t n = big_result_rows) {
    bool ok = true;
    auto fail = [&](const char* what, double got, double want) {
        std::fprintf(stderr, "W3 check failed: %s is %.17g, expected %.17g\n", what, got, want);
        ok = false;
    };
    if (t.rows != n) fail("row count", static_cast<double>(t.rows), static_cast<double>(n));
    if (t.sum_g != sum_to(n))
        fail("sum of g", static_cast<double>(t.sum_g), static_cast<double>(sum_to(n)));
    if (t.text_lengths != text_lengths_to(n))
        fail("sum of text lengths", static_cast<double>(t.text_lengths),
             static_cast<double>(text_lengths_to(n)));
    // Every g * 1.5 is a multiple of 0.5 and their sum stays below 2^52 (n below 7·10^7):
    // the sum is exact.
    if (t.sum_doubles != 1.5 * static_cast<double>(sum_to(n)))
        fail("sum of doubles", t.sum_doubles, 1.5 * static_cast<double>(sum_to(n)));
    if (!t.timestamps_equal) {
        std::fprintf(stderr, "W3 check failed: the timestamps differ\n");
        ok = false;
    }
    return ok;
}

} // namespace pgasio::bench
