// Replay examples to copy: a program's database work checked with no server at all, served
// from a fixture recorded once against a real one (tests/simulation/fixtures). Each example is a
// function an application would have (query_users, transfer, route) and a test that replays it.
// The hidden [record] test runs the same functions against tools/pg to write the fixtures again:
//   build/dev/tests/pgasio_simulation_tests "[record]"
#include <pgasio/cluster.hpp>
#include <pgasio/connection.hpp>
#include <pgasio/simulation.hpp>
#include <pgasio/transaction.hpp>

#include "support/connect.hpp"
#include "support/pg_env.hpp"
#include "support/run.hpp"

#include <boost/asio/this_coro.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace asio = boost::asio;
using pgasio::config;
using pgasio::test::run;

namespace {

std::string fixture(const std::string& name) {
    return std::string(PGASIO_SIMULATION_FIXTURES) + "/" + name;
}

// The configuration an application would have, served from `recording` (no server).
config replaying(const std::string& url, const std::string& recording,
                 const std::string& replica = {}) {
    auto b =
        pgasio::config::builder(url).simulation(pgasio::simulation::replay(fixture(recording)));
    if (!replica.empty()) b.add_replica(replica);
    auto cfg = b.build();
    if (!cfg) throw std::runtime_error(cfg.error().message);
    return *cfg;
}

// The examples' programs.

asio::awaitable<void> query_users(config cfg) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    auto rows = co_await conn.async_query("SELECT id, name FROM users WHERE active = $1", true);
    CHECK(rows.size() == 2);
    CHECK(rows[0].get<std::string>("name") == "Alice");
    co_await conn.async_close();
}

asio::awaitable<void> transfer(config cfg) {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    co_await pgasio::async_transaction(conn, [](pgasio::transaction& tx) -> asio::awaitable<void> {
        co_await tx.async_execute("UPDATE accounts SET balance = balance - $1 WHERE id = $2",
                                  std::int64_t{100}, 1);
        co_await tx.async_execute("UPDATE accounts SET balance = balance + $1 WHERE id = $2",
                                  std::int64_t{100}, 2);
    });
    co_await conn.async_close();
}

// One connection per member, and no re-check but the first: the same sessions, in the same
// order, every run.
pgasio::cluster_options once() {
    pgasio::cluster_options o;
    o.recheck_interval = std::chrono::milliseconds(0);
    return o;
}

asio::awaitable<void> route(config cfg) {
    cfg.pool.min_connections = 0;
    cfg.pool.max_connections = 1;
    pgasio::cluster db(co_await asio::this_coro::executor, cfg, once());
    co_await db.async_refresh();
    co_await db.async_query("SELECT * FROM users");                            // a replica
    co_await db.async_execute("INSERT INTO users (name) VALUES ($1)", "test"); // the primary
    const auto stats = db.stats();
    CHECK(stats.replica_reads == 1);
    CHECK(stats.primary_writes == 1);
    CHECK(stats.fallbacks == 0);
    co_await db.async_close();
}

} // namespace

TEST_CASE("simulation example: a parameterised query returns two users") {
    run([](auto) {
        return query_users(replaying("postgresql://app@localhost/test", "query_users.json"));
    });
}

TEST_CASE("simulation example: a transaction of two statements") {
    run([](auto) {
        return transfer(replaying("postgresql://app@localhost/test", "transaction.json"));
    });
}

TEST_CASE("simulation example: reads go to the replica, writes to the primary") {
    run([](auto) {
        return route(replaying("postgresql://app@primary/test", "routing.json", "replica1"));
    });
}

// ---------------------------------------------------------------------------------------------
// Writing the fixtures again, against tools/pg.

namespace {

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// Records `program` against tools/pg into `name`, the sessions then renamed to what the
// example's configuration says: `hosts` maps "PRIMARY"/"REPLICA" to a host name (port 5432),
// and the user and database become "app" and "test".
template <class Program>
void record_example(const std::string& name, Program program,
                    const std::vector<std::pair<std::string, std::string>>& hosts,
                    bool with_replica) {
    const std::string path = fixture(name);
    {
        auto rec = pgasio::simulation::record(path);
        config cfg = pgasio::test::user_config(
            "SCRAM", "PRIMARY", "sslmode=disable options='-c search_path=pgasio_simulation'");
        if (with_replica)
            cfg.replicas = {
                pgasio::host_spec{pgasio::test::pg_setting("PGASIO_TEST_HOST"), "",
                                  static_cast<std::uint16_t>(std::stoi(
                                      pgasio::test::pg_setting("PGASIO_TEST_REPLICA_PORT")))}};
        cfg.simulation = rec;
        run([&](auto) { return program(cfg); });
        rec->save();
    }
    std::string text = read_file(path);
    const std::string host = pgasio::test::pg_setting("PGASIO_TEST_HOST");
    for (const auto& [server, to] : hosts)
        replace_all(text,
                    "\"host\": \"" + host + "\",\n      \"port\": " +
                        pgasio::test::pg_setting("PGASIO_TEST_" + server + "_PORT"),
                    "\"host\": \"" + to + "\",\n      \"port\": 5432");
    replace_all(text, "\"user\": \"" + pgasio::test::pg_setting("PGASIO_TEST_SCRAM_USER") + "\"",
                "\"user\": \"app\"");
    replace_all(text, "\"database\": \"" + pgasio::test::pg_setting("PGASIO_TEST_DATABASE") + "\"",
                "\"database\": \"test\"");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

asio::awaitable<void> create_tables() {
    pgasio::connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(pgasio::test::user_config("ADMIN", "PRIMARY"));
    co_await conn.async_execute("DROP SCHEMA IF EXISTS pgasio_simulation CASCADE");
    co_await conn.async_execute("CREATE SCHEMA pgasio_simulation");
    co_await conn.async_execute(
        "CREATE TABLE pgasio_simulation.users (id serial PRIMARY KEY, name text NOT NULL, "
        "active boolean NOT NULL DEFAULT true)");
    co_await conn.async_execute("INSERT INTO pgasio_simulation.users (name, active) VALUES "
                                "('Alice', true), ('Bob', true), ('Carol', false)");
    co_await conn.async_execute("CREATE TABLE pgasio_simulation.accounts (id int PRIMARY KEY, "
                                "balance bigint NOT NULL)");
    co_await conn.async_execute(
        "INSERT INTO pgasio_simulation.accounts VALUES (1, 1000), (2, 1000)");
    co_await conn.async_execute("GRANT USAGE ON SCHEMA pgasio_simulation TO " +
                                pgasio::test::pg_setting("PGASIO_TEST_SCRAM_USER"));
    co_await conn.async_execute("GRANT ALL ON ALL TABLES IN SCHEMA pgasio_simulation TO " +
                                pgasio::test::pg_setting("PGASIO_TEST_SCRAM_USER"));
    co_await conn.async_execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA pgasio_simulation TO " +
                                pgasio::test::pg_setting("PGASIO_TEST_SCRAM_USER"));
    // The replica must have the tables before the routing example reads them there.
    co_await conn.async_execute("SELECT pg_current_wal_flush_lsn()");
    co_await conn.async_close();
}

} // namespace

TEST_CASE("simulation examples: record the fixtures again", "[.record]") {
    run([](auto) { return create_tables(); });
    record_example("query_users.json", query_users, {{"PRIMARY", "localhost"}}, false);
    record_example("transaction.json", transfer, {{"PRIMARY", "localhost"}}, false);
    // The replica catches up with the tables first (it streams within milliseconds).
    run([](auto) -> asio::awaitable<void> {
        co_await pgasio::test::sleep_for(std::chrono::seconds(1));
    });
    record_example("routing.json", route, {{"PRIMARY", "primary"}, {"REPLICA", "replica1"}}, true);
}
