// A primary and its streaming replica behind one router, printed for a newcomer: a write that
// goes to the primary, a read that goes to the replica (each asks its server whether it is in
// recovery), a read-your-writes read, the routing counters, and the health check.
// Usage: pgasio_example_cluster PRIMARY_URL REPLICA_URL
#include <pgasio/cluster.hpp>

#include "run_example.hpp"

#include <boost/asio/this_coro.hpp>

#include <fmt/core.h>

#include <string>

namespace asio = boost::asio;

asio::awaitable<void> tour(std::string primary, std::string replica) {
    auto cfg =
        pgasio::config::builder(primary).add_replica(replica).pool_size(1, 4).build().value();
    pgasio::cluster db(co_await asio::this_coro::executor, cfg);
    co_await db.async_refresh(); // the first look at the members: who is the primary

    fmt::print("1. A write goes to the primary:\n");
    co_await db.async_execute(
        "CREATE TABLE IF NOT EXISTS cluster_demo (id int PRIMARY KEY, v text)");
    auto w = co_await db.async_query(pgasio::intent::write(),
                                     "INSERT INTO cluster_demo VALUES (1, 'written') "
                                     "ON CONFLICT (id) DO UPDATE SET v = 'rewritten' "
                                     "RETURNING pg_is_in_recovery()");
    fmt::print("   ran where pg_is_in_recovery() = {}\n", w[0].get<bool>(0));

    fmt::print("2. A read goes to the replica:\n");
    auto r = co_await db.async_query_one("SELECT pg_is_in_recovery()");
    fmt::print("   ran where pg_is_in_recovery() = {}\n", r[0].get<bool>(0));

    fmt::print("3. Read-your-writes: a replica that has replayed the write, else the primary:\n");
    auto token = co_await db.async_write_position();
    auto mine =
        co_await db.async_query(pgasio::intent::read_your_writes(token),
                                "SELECT v, pg_is_in_recovery() FROM cluster_demo WHERE id = 1");
    fmt::print("   v = '{}' (on the {})\n", mine[0].get<std::string>(0),
               mine[0].get<bool>(1) ? "replica" : "primary");

    const auto stats = db.stats();
    fmt::print("4. Routing: {} writes to the primary, {} reads on replicas, {} on the primary\n",
               stats.primary_writes, stats.replica_reads, stats.primary_reads);

    fmt::print("5. The health check:\n{}\n", co_await db.async_health_check());
    co_await db.async_execute("DROP TABLE cluster_demo");
    co_await db.async_close();
}

int main(int argc, char** argv) {
    return run_example(argc, argv, "PRIMARY_URL REPLICA_URL",
                       [](char** args) { return tour(args[1], args[2]); });
}
