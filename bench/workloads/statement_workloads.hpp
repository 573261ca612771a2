// W7 of ../shared/BENCHMARKS.md, the statement cache: its statements, the order they run in and
// the check both clients apply, so that pgasio and libpq do exactly the same work.
//
// 100 distinct statements `SELECT $1::int4 + k` (k = 1..100) run 100,000 times in all on one
// connection, one after another, cycling through them: execution i (1-based) runs statement
// k = (i - 1) % 100 + 1 with $1 = i, and must give i + k.
#pragma once

#include <cstdint>
#include <string>

namespace pgasio::bench {

/// The distinct statements, k = 1..statement_count.
inline constexpr int statement_count = 100;
/// Executions in all.
inline constexpr std::int32_t statement_executions = 100'000;

/// Statement k's SQL.
inline std::string statement_sql(int k) {
    return "SELECT $1::int4 + " + std::to_string(k);
}

/// The statement execution i (1-based) runs: k, 1..statement_count.
constexpr int statement_of(std::int32_t i) {
    return (i - 1) % statement_count + 1;
}

} // namespace pgasio::bench
