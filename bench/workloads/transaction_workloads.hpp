// W8 of ../shared/BENCHMARKS.md, transactions: the table, its statements, the ids each
// transaction uses and the final check, so that pgasio and libpq do exactly the same work.
//
// 64 clients each run 500 transactions (BEGIN; UPDATE w8 SET v = v + 1 WHERE id = $1;
// SELECT v FROM w8 WHERE id = $2; COMMIT) over 8 connections, client k on connection k % 8, a
// transaction holding its connection from BEGIN to COMMIT. Each transaction adds 1 to one row,
// so at the end sum(v) is the number of transactions committed.
#pragma once

#include <cstdint>

namespace pgasio::bench {

/// The table, made (untimed) when missing; then emptied and filled with w8_rows rows at v = 0.
inline constexpr const char* w8_create_sql =
    "CREATE UNLOGGED TABLE IF NOT EXISTS w8 (id int PRIMARY KEY, v bigint)";
inline constexpr const char* w8_truncate_sql = "TRUNCATE w8";
inline constexpr const char* w8_fill_sql =
    "INSERT INTO w8 (id, v) SELECT g, 0 FROM generate_series(1, 1000) g";
/// The rows of the table, ids 1..w8_rows (w8_fill_sql's count).
inline constexpr std::int32_t w8_rows = 1'000;

/// The two statements of a transaction, prepared once per connection ($1: int4).
inline constexpr const char* w8_update_sql = "UPDATE w8 SET v = v + 1 WHERE id = $1";
inline constexpr const char* w8_select_sql = "SELECT v FROM w8 WHERE id = $1";
/// What the table holds at the end: its row count and sum(v).
inline constexpr const char* w8_totals_sql = "SELECT count(*), sum(v)::int8 FROM w8";

/// Clients, connections, transactions per client.
inline constexpr int w8_clients = 64;
inline constexpr int w8_connections = 8;
inline constexpr int w8_per_client = 500;
/// Transactions in all: what sum(v) must be at the end.
inline constexpr std::int64_t w8_transactions = std::int64_t{w8_clients} * w8_per_client;

/// The fixed pseudo-random sequence the ids come from: element i is splitmix64(i) mod w8_rows,
/// plus 1 (an id of the table).
constexpr std::int32_t w8_sequence(std::uint64_t i) {
    std::uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<std::int32_t>(z % static_cast<std::uint64_t>(w8_rows)) + 1;
}

/// The id transaction `tx` (0-based) of client `client` updates: element 2 · (client ·
/// w8_per_client + tx) of the sequence.
constexpr std::int32_t w8_update_id(int client, int tx) {
    return w8_sequence(
        2 * (static_cast<std::uint64_t>(client) * w8_per_client + static_cast<std::uint64_t>(tx)));
}

/// The id transaction `tx` of client `client` reads: the element after its update's.
constexpr std::int32_t w8_select_id(int client, int tx) {
    return w8_sequence(
        2 * (static_cast<std::uint64_t>(client) * w8_per_client + static_cast<std::uint64_t>(tx)) +
        1);
}

/// Whether the v a transaction read can be right: never negative nor above the transactions
/// in all, and at least 1 when it read the row it had just updated.
constexpr bool w8_value_plausible(std::int64_t v, int client, int tx) {
    const std::int64_t least = w8_update_id(client, tx) == w8_select_id(client, tx) ? 1 : 0;
    return v >= least && v <= w8_transactions;
}

} // namespace pgasio::bench
