// W8 (transaction_workloads.hpp) with pgasio: 64 client coroutines share 8 pgasio::connection
// objects, client k using connection k % 8; each transaction comes from connection::async_begin
// and holds its connection until async_commit, the other clients of that connection waiting
// their turn. The UPDATE and the SELECT are prepared once per connection, as libpq's are.
// Connecting, filling the table and preparing happen before the timed region; every statement's
// answer is checked, and so is sum(v) at the end: a failed check exits non-zero saying why.
// Usage: transactions_pgasio CONNINFO WORKLOAD
//   WORKLOAD: transactions, transactions-pool (the same transactions through
//   pgasio::pool::async_transaction on a pool of at most 8 connections, their statements sent as
//   SQL text and prepared once per connection by its statement cache)
#include "pgasio_workload.hpp"
#include "report.hpp"
#include "transaction_workloads.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/pool.hpp>
#include <pgasio/transaction.hpp>

#include <boost/asio/this_coro.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asio = boost::asio;
namespace bench = pgasio::bench;
using bench::check_failed;

namespace {

// A connection's prepared UPDATE and SELECT.
struct w8_statements {
    pgasio::statement update;
    pgasio::statement select;
};

// Checks the table holds w8_rows rows whose v add up to `committed`, the transactions that
// committed, and that this is every transaction.
asio::awaitable<void> check_table(pgasio::connection& conn, std::int64_t committed) {
    const auto r = co_await conn.async_query_one(bench::w8_totals_sql);
    const auto rows = r[0].get<std::int64_t>(0);
    const auto sum = r[0].get<std::int64_t>(1);
    if (rows != bench::w8_rows || sum != committed || committed != bench::w8_transactions)
        check_failed("W8: " + std::to_string(committed) + " transactions committed, of " +
                     std::to_string(bench::w8_transactions) + ", and the table's " +
                     std::to_string(rows) + " rows have sum(v) = " + std::to_string(sum));
}

asio::awaitable<void> transactions(const pgasio::config& cfg, const char* name) {
    auto ex = co_await asio::this_coro::executor;
    std::vector<pgasio::connection> conns;
    conns.reserve(bench::w8_connections); // no connection moves once connected
    for (int c = 0; c < bench::w8_connections; ++c) {
        conns.emplace_back(ex);
        co_await conns.back().async_connect(cfg);
    }
    co_await conns[0].async_execute(bench::w8_create_sql);
    co_await conns[0].async_execute(bench::w8_truncate_sql);
    co_await conns[0].async_execute(bench::w8_fill_sql);
    std::vector<w8_statements> stmts;
    for (auto& conn : conns) {
        // One co_await per statement: two inside one braced initializer made GCC 12 build a
        // program that crashed when the statements were used.
        w8_statements st;
        st.update = co_await conn.async_prepare(bench::w8_update_sql);
        st.select = co_await conn.async_prepare(bench::w8_select_sql);
        stmts.push_back(std::move(st));
    }
    std::int64_t committed = 0;
    bench::timed_region region;
    co_await bench::run_all(bench::w8_clients, [&](int k) -> asio::awaitable<void> {
        auto& conn = conns[static_cast<std::size_t>(k % bench::w8_connections)];
        const auto& st = stmts[static_cast<std::size_t>(k % bench::w8_connections)];
        for (int j = 0; j < bench::w8_per_client; ++j) {
            auto tx = co_await conn.async_begin();
            const std::uint64_t updated =
                co_await tx.async_execute(st.update, bench::w8_update_id(k, j));
            if (updated != 1)
                check_failed("client " + std::to_string(k) + " transaction " + std::to_string(j) +
                             " updated " + std::to_string(updated) + " rows");
            const pgasio::result r = co_await tx.async_query(st.select, bench::w8_select_id(k, j));
            const std::int64_t v = r.size() == 1 ? r[0].get<std::int64_t>(0) : -1;
            if (!bench::w8_value_plausible(v, k, j))
                check_failed("client " + std::to_string(k) + " transaction " + std::to_string(j) +
                             " read " + std::to_string(r.size()) +
                             " rows, v = " + std::to_string(v));
            co_await tx.async_commit();
            ++committed;
        }
    });
    region.report("pgasio", name, bench::w8_transactions);
    co_await check_table(conns[0], committed);
    for (auto& conn : conns)
        co_await conn.async_close();
}

// One client's transaction j, checking each answer.
asio::awaitable<void> w8_transaction(pgasio::transaction& tx, int k, int j) {
    const std::uint64_t updated =
        co_await tx.async_execute(bench::w8_update_sql, bench::w8_update_id(k, j));
    if (updated != 1)
        check_failed("client " + std::to_string(k) + " transaction " + std::to_string(j) +
                     " updated " + std::to_string(updated) + " rows");
    const pgasio::result r =
        co_await tx.async_query(bench::w8_select_sql, bench::w8_select_id(k, j));
    const std::int64_t v = r.size() == 1 ? r[0].get<std::int64_t>(0) : -1;
    if (!bench::w8_value_plausible(v, k, j))
        check_failed("client " + std::to_string(k) + " transaction " + std::to_string(j) +
                     " read " + std::to_string(r.size()) + " rows, v = " + std::to_string(v));
}

asio::awaitable<void> transactions_pool(const pgasio::config& cfg, const char* name) {
    auto pool_cfg = cfg;
    pool_cfg.pool.min_connections = bench::w8_connections;
    pool_cfg.pool.max_connections = bench::w8_connections;
    pgasio::pool db(co_await asio::this_coro::executor, pool_cfg);
    co_await db.async_execute(bench::w8_create_sql);
    co_await db.async_execute(bench::w8_truncate_sql);
    co_await db.async_execute(bench::w8_fill_sql);
    // Every connection opened, and its statements prepared, before the clock starts.
    co_await bench::run_all(bench::w8_connections, [&](int k) -> asio::awaitable<void> {
        co_await db.async_transaction([&](pgasio::transaction& tx) -> asio::awaitable<void> {
            co_await tx.async_execute(bench::w8_update_sql, std::int32_t{-1} - k);
            co_await tx.async_query(bench::w8_select_sql, std::int32_t{-1} - k);
        });
    });
    std::int64_t committed = 0;
    bench::timed_region region;
    co_await bench::run_all(bench::w8_clients, [&](int k) -> asio::awaitable<void> {
        for (int j = 0; j < bench::w8_per_client; ++j) {
            co_await db.async_transaction([&](pgasio::transaction& tx) -> asio::awaitable<void> {
                co_await w8_transaction(tx, k, j);
            });
            ++committed;
        }
    });
    region.report("pgasio", name, bench::w8_transactions);
    auto conn = co_await db.async_acquire();
    co_await check_table(*conn, committed);
    conn.release();
    co_await db.async_close();
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CONNINFO WORKLOAD\n", argv[0]);
        return 2;
    }
    const std::string_view workload = argv[2];
    bench::pgasio_workload run;
    if (workload == "transactions") run = transactions;
    if (workload == "transactions-pool") run = transactions_pool;
    if (!run) {
        std::fprintf(stderr, "%s: unknown workload %s\n", argv[0], argv[2]);
        return 2;
    }
    return bench::run_pgasio_workload(run, argv[1], argv[2]);
}
