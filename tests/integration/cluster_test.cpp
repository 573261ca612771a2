// pgasio::cluster against tools/pg's primary and streaming replica: routing by intent, lag
// demotion and fallback, read-your-writes, discovery after a 25006, the health check, and a
// failover (on a setup of its own, which it breaks).
#include <pgasio/cluster.hpp>

#include "support/connect.hpp"
#include "support/pg_env.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pgasio::cluster;
using pgasio::cluster_options;
using pgasio::config;
using pgasio::connection;
using pgasio::host_spec;
using pgasio::intent;
using pgasio::server_role;
using pgasio::test::pg_setting;
using pgasio::test::run;
using pgasio::test::user_config;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

host_spec server(const std::string& which) {
    return {pg_setting("PGASIO_TEST_HOST"), "",
            static_cast<std::uint16_t>(std::stoi(pg_setting("PGASIO_TEST_" + which + "_PORT")))};
}

// The SCRAM test user's configuration for a cluster of `primary` and `replica` (as listed: the
// cluster finds out which is which), small pools.
config cluster_config(const std::string& primary = "PRIMARY",
                      const std::string& replica = "REPLICA") {
    config cfg = user_config("SCRAM", primary);
    cfg.replicas = {server(replica)};
    cfg.pool.min_connections = 1;
    cfg.pool.max_connections = 4;
    return cfg;
}

cluster_options fast_rechecks() {
    cluster_options o;
    o.recheck_interval = 100ms;
    return o;
}

// Whether the server that ran a query is in recovery.
asio::awaitable<bool> in_recovery(cluster& db, const intent& in) {
    const auto rows = co_await db.async_query(in, "SELECT pg_is_in_recovery()");
    co_return rows[0].get<bool>(0);
}

// Polls db.stats() until `done` accepts them or `limit` passes; the last ones.
asio::awaitable<pgasio::cluster_stats>
wait_for(cluster& db, std::function<bool(const pgasio::cluster_stats&)> done,
         std::chrono::steady_clock::duration limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
        auto stats = db.stats();
        if (done(stats) || std::chrono::steady_clock::now() > deadline) co_return stats;
        co_await pgasio::test::sleep_for(50ms);
    }
}

asio::awaitable<connection> connect(const config& cfg) {
    connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    co_return conn;
}

// Runs `body` with the replica's WAL replay paused, resuming it afterwards even when `body`
// fails.
asio::awaitable<void> with_replay_paused(std::function<asio::awaitable<void>()> body) {
    auto admin = co_await connect(user_config("ADMIN", "REPLICA"));
    co_await admin.async_execute("SELECT pg_wal_replay_pause()");
    std::exception_ptr failure;
    try {
        co_await body();
    } catch (...) {
        failure = std::current_exception();
    }
    co_await admin.async_execute("SELECT pg_wal_replay_resume()");
    co_await admin.async_close();
    if (failure) std::rethrow_exception(failure);
}

// Routes a read, a plain query and three DDL statements (on `table`, its own) through `db` and
// checks where each ran: reads on the replica, writes on the primary (DDL fails on a standby:
// 25006). `primary_at`: the primary's index among db.stats().members (the other is the replica).
asio::awaitable<void> check_routing(cluster& db, const std::string& table, std::size_t primary_at) {
    co_await db.async_refresh();
    const bool read_on = co_await in_recovery(db, intent::read());
    const bool write_on = co_await in_recovery(db, intent::write());
    CHECK(read_on);
    CHECK_FALSE(write_on);
    const auto replica_rows = co_await db.async_query("SELECT pg_is_in_recovery()");
    CHECK(replica_rows[0].get<bool>(0));
    co_await db.async_execute("DROP TABLE IF EXISTS " + table);
    co_await db.async_execute("CREATE TABLE " + table + " (n int)");
    co_await db.async_execute("DROP TABLE " + table);

    const auto stats = db.stats();
    CHECK(stats.replica_reads == 2);
    CHECK(stats.primary_writes == 4);
    CHECK(stats.primary_reads == 0);
    CHECK(stats.fallbacks == 0);
    REQUIRE(stats.members.size() == 2);
    const auto& primary = stats.members[primary_at];
    const auto& replica = stats.members[1 - primary_at];
    CHECK(primary.host == server("PRIMARY"));
    CHECK(primary.role == server_role::primary);
    CHECK(primary.requests == 4);
    CHECK(replica.host == server("REPLICA"));
    CHECK(replica.role == server_role::standby);
    CHECK(replica.requests == 2);
    CHECK(replica.takes_reads);
}

// A cluster whose first host (the primary's place) refuses connections: a port nothing listens
// on any more; the replica second. No periodic re-check: only failures ask for one.
cluster unreachable_first_host(asio::any_io_executor ex) {
    std::uint16_t dead_port = 0;
    {
        asio::ip::tcp::acceptor gone(ex, {asio::ip::make_address("127.0.0.1"), 0});
        dead_port = gone.local_endpoint().port();
    }
    config cfg = cluster_config();
    cfg.hosts = {host_spec{"127.0.0.1", "", dead_port}};
    cfg.pool.acquire_timeout = 300ms;
    cluster_options options;
    options.recheck_interval = 0ms;
    options.probe_timeout = 1s;
    return cluster(ex, cfg, options);
}

} // namespace

TEST_CASE("cluster: reads land on the replica, writes on the primary") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        cluster db(ex, cluster_config(), fast_rechecks());
        co_await check_routing(db, "cluster_routing", 0);
        co_await db.async_close();
    });
}

TEST_CASE("cluster: a replica past the lag limit takes no reads until it catches up") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        cluster_options options = fast_rechecks();
        options.max_lag_bytes = 1; // any WAL not replayed demotes
        cluster db(ex, cluster_config(), options);
        cluster_options strict = options;
        strict.reads_fall_back_to_primary = false;
        cluster strict_db(ex, cluster_config(), strict);
        co_await db.async_execute("DROP TABLE IF EXISTS cluster_lag");
        co_await db.async_execute("CREATE TABLE cluster_lag (n int)");
        auto caught_up = [](const pgasio::cluster_stats& s) { return s.members[1].takes_reads; };
        co_await wait_for(db, caught_up);
        co_await wait_for(strict_db, caught_up);

        co_await with_replay_paused([&]() -> asio::awaitable<void> {
            co_await db.async_execute("INSERT INTO cluster_lag VALUES (1)");
            auto lagging = [](const pgasio::cluster_stats& s) { return !s.members[1].takes_reads; };
            const auto stats = co_await wait_for(db, lagging);
            CHECK(stats.members[1].lag_bytes > 0);
            CHECK_FALSE(stats.members[1].takes_reads);
            const bool on_replica = co_await in_recovery(db, intent::read());
            CHECK_FALSE(on_replica);
            CHECK(db.stats().fallbacks == 1);

            co_await wait_for(strict_db, lagging);
            auto [ec, rows] = co_await strict_db.async_query("SELECT 1", nothrow);
            CHECK(ec == pgasio::client_errc::no_replica);
            CHECK(strict_db.stats().unroutable == 1);
        });

        co_await wait_for(db, caught_up);
        const bool back_on_replica = co_await in_recovery(db, intent::read());
        CHECK(back_on_replica);
        co_await db.async_execute("DROP TABLE cluster_lag");
        co_await db.async_close();
        co_await strict_db.async_close();
    });
}

TEST_CASE("cluster: a replica whose replay is too far behind in time takes no reads") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        cluster_options options = fast_rechecks();
        options.max_lag_bytes = 0; // no limit in bytes: only the one in time applies
        options.max_lag = 1s;
        cluster db(ex, cluster_config(), options);
        co_await db.async_execute("DROP TABLE IF EXISTS cluster_lag_time");
        co_await db.async_execute("CREATE TABLE cluster_lag_time (n int)");
        // The replica replays the CREATE TABLE: its last replayed transaction is recent.
        const pgasio::wal_lsn created = co_await db.async_write_position();
        auto caught_up = [&](const pgasio::cluster_stats& s) {
            return s.members[1].replayed >= created && s.members[1].takes_reads;
        };
        co_await wait_for(db, caught_up);

        co_await with_replay_paused([&]() -> asio::awaitable<void> {
            co_await db.async_execute("INSERT INTO cluster_lag_time VALUES (1)");
            // WAL waits on the replica; its last replayed transaction grows older than 1 s.
            auto lagging = [](const pgasio::cluster_stats& s) { return !s.members[1].takes_reads; };
            const auto stats = co_await wait_for(db, lagging);
            CHECK_FALSE(stats.members[1].takes_reads);
            CHECK(stats.members[1].lag_seconds > 1s);
            const bool on_replica = co_await in_recovery(db, intent::read());
            CHECK_FALSE(on_replica);
            CHECK(db.stats().fallbacks >= 1);
        });

        const pgasio::wal_lsn inserted = co_await db.async_write_position();
        const auto stats = co_await wait_for(db, [&](const pgasio::cluster_stats& s) {
            return s.members[1].replayed >= inserted && s.members[1].takes_reads;
        });
        CHECK(stats.members[1].takes_reads);
        const bool back_on_replica = co_await in_recovery(db, intent::read());
        CHECK(back_on_replica);
        co_await db.async_execute("DROP TABLE cluster_lag_time");
        co_await db.async_close();
    });
}

TEST_CASE("cluster: one made from a multi-host connection string routes as with add_replica") {
    const auto host = pg_setting("PGASIO_TEST_HOST");
    const auto primary = pg_setting("PGASIO_TEST_PRIMARY_PORT");
    const auto replica = pg_setting("PGASIO_TEST_REPLICA_PORT");
    const auto user = pg_setting("PGASIO_TEST_SCRAM_USER");
    const auto password = pg_setting("PGASIO_TEST_SCRAM_PASSWORD");
    const auto database = pg_setting("PGASIO_TEST_DATABASE");
    // The replica listed first: which member is which comes from the servers, not the order.
    const std::string url = fmt::format("postgresql://{}:{}@{}:{},{}:{}/{}?sslmode=disable", user,
                                        password, host, replica, host, primary, database);
    const std::string conninfo =
        fmt::format("host={0},{0} port={1},{2} dbname={3} user={4} password='{5}' sslmode=disable",
                    host, replica, primary, database, user, password);
    for (const auto& text : {url, conninfo}) {
        auto parsed = config::parse(
            text, [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
        REQUIRE(parsed);
        config cfg = *parsed;
        REQUIRE(cfg.hosts.size() == 2);
        CHECK(cfg.replicas.empty());
        cfg.pool.min_connections = 1;
        cfg.pool.max_connections = 4;
        run([cfg](asio::any_io_executor ex) -> asio::awaitable<void> {
            cluster db(ex, cfg, fast_rechecks());
            co_await check_routing(db, "cluster_multi_host", 1);
            co_await db.async_close();
        });
    }
}

TEST_CASE("cluster: a read with a read-your-writes token sees the write") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        cluster db(ex, cluster_config(), fast_rechecks());
        co_await db.async_execute("DROP TABLE IF EXISTS cluster_ryw");
        co_await db.async_execute("CREATE TABLE cluster_ryw (n int)");
        // The replica has replayed the CREATE TABLE before replay stops.
        const pgasio::wal_lsn created = co_await db.async_write_position();
        co_await wait_for(db, [&](const auto& s) { return s.members[1].replayed >= created; });

        co_await with_replay_paused([&]() -> asio::awaitable<void> {
            co_await db.async_execute("INSERT INTO cluster_ryw VALUES (1)");
            const pgasio::wal_lsn token = co_await db.async_write_position();
            const auto mine =
                co_await db.async_query(intent::read_your_writes(token),
                                        "SELECT pg_is_in_recovery(), count(*) FROM cluster_ryw");
            CHECK_FALSE(mine[0].get<bool>(0));
            CHECK(mine[0].get<std::int64_t>(1) == 1);
            // A plain read still goes to the replica, which has not replayed the insert.
            const auto plain =
                co_await db.async_query("SELECT pg_is_in_recovery(), count(*) FROM cluster_ryw");
            CHECK(plain[0].get<bool>(0));
            CHECK(plain[0].get<std::int64_t>(1) == 0);
        });

        const pgasio::wal_lsn token = co_await db.async_write_position();
        co_await wait_for(db, [&](const auto& s) { return s.members[1].replayed >= token; });
        const auto later =
            co_await db.async_query(intent::read_your_writes(token),
                                    "SELECT pg_is_in_recovery(), count(*) FROM cluster_ryw");
        CHECK(later[0].get<bool>(0));
        CHECK(later[0].get<std::int64_t>(1) == 1);
        co_await db.async_execute("DROP TABLE cluster_ryw");
        co_await db.async_close();
    });
}

TEST_CASE("cluster: a write refused with 25006 makes the cluster look again") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // Listed the wrong way round; no periodic re-check.
        cluster_options options;
        options.recheck_interval = 0ms;
        cluster db(ex, cluster_config("REPLICA", "PRIMARY"), options);
        // Routed at once, before any member has answered: to the first host, the replica.
        auto [ec, n] = co_await db.async_execute("CREATE TABLE cluster_never (n int)", nothrow);
        CHECK(ec == pgasio::sqlstate::read_only_sql_transaction);
        // The look at construction, then the one the 25006 asked for.
        const auto stats = co_await wait_for(db, [](const auto& s) { return s.rechecks >= 2; });
        CHECK(stats.rechecks == 2);
        CHECK(stats.members[0].role == server_role::standby);
        CHECK(stats.members[1].role == server_role::primary);
        const bool write_on = co_await in_recovery(db, intent::write());
        CHECK_FALSE(write_on);
        co_await db.async_close();
    });
}

TEST_CASE("cluster: a transaction refused with 25006 makes the cluster look again") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // Listed the wrong way round; no periodic re-check: only the failure can ask for one.
        cluster_options options;
        options.recheck_interval = 0ms;
        cluster db(ex, cluster_config("REPLICA", "PRIMARY"), options);
        // Routed at once, before any member has answered: to the first host, the replica.
        pgasio::error_code ec;
        try {
            co_await db.async_transaction([](pgasio::transaction& tx) -> asio::awaitable<void> {
                co_await tx.async_execute("CREATE TABLE cluster_never (n int)");
            });
        } catch (const pgasio::error& e) {
            ec = e.code();
        }
        CHECK(ec == pgasio::sqlstate::read_only_sql_transaction);
        // The look at construction, then the one the 25006 asked for.
        const auto stats = co_await wait_for(db, [](const auto& s) { return s.rechecks >= 2; });
        CHECK(stats.rechecks == 2);
        const bool on_primary =
            co_await db.async_transaction([](pgasio::transaction& tx) -> asio::awaitable<bool> {
                const auto rows = co_await tx.async_query("SELECT pg_is_in_recovery()");
                co_return !rows[0].get<bool>(0);
            });
        CHECK(on_primary);
        co_await db.async_close();
    });
}

TEST_CASE("cluster: a write refused in a read-only transaction on the primary makes no re-check") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // No replica: read-only transactions run on the primary. No periodic re-check.
        auto cfg = cluster_config();
        cfg.replicas.clear();
        cluster_options options;
        options.recheck_interval = 0ms;
        cluster db(ex, cfg, options);
        // The look at construction, and no other (an async_refresh here could end before it,
        // which would then count once more below).
        const auto before =
            (co_await wait_for(db, [](const auto& s) { return s.rechecks >= 1; })).rechecks;
        REQUIRE(before == 1);
        pgasio::error_code ec;
        try {
            co_await db.async_transaction(
                pgasio::transaction_options{.access = pgasio::access_mode::read_only},
                [](pgasio::transaction& tx) -> asio::awaitable<void> {
                    co_await tx.async_execute("CREATE TABLE cluster_never (n int)");
                });
        } catch (const pgasio::error& e) {
            ec = e.code();
        }
        // 25006 as on a standby, but from the transaction's own READ ONLY.
        CHECK(ec == pgasio::sqlstate::read_only_sql_transaction);
        const auto stats = co_await wait_for(
            db, [&](const auto& s) { return s.rechecks > before; }, 1s);
        CHECK(stats.rechecks == before);
        co_await db.async_close();
    });
}

TEST_CASE("cluster: an unreachable primary makes the cluster look again") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        cluster db = unreachable_first_host(ex);
        // Routed before any member has answered: to the first host, which cannot be reached.
        auto [ec, n] = co_await db.async_execute("SELECT 1", nothrow);
        CHECK(ec == pgasio::client_errc::pool_timeout);
        auto stats = co_await wait_for(db, [](const auto& s) { return s.rechecks >= 2; });
        CHECK(stats.rechecks == 2);
        CHECK_FALSE(stats.members[0].reachable);
        CHECK_FALSE(stats.members[0].error.empty());
        CHECK(stats.members[1].role == server_role::standby);
        // Known now: no member is the primary. Each write fails at once and asks for a look.
        std::tie(ec, n) = co_await db.async_execute("SELECT 1", nothrow);
        CHECK(ec == pgasio::client_errc::no_primary);
        stats = co_await wait_for(db, [](const auto& s) { return s.rechecks >= 3; });
        CHECK(stats.rechecks == 3);
        CHECK(stats.unroutable == 1);
        // Reads still go to the replica.
        const bool read_on = co_await in_recovery(db, intent::read());
        CHECK(read_on);
        co_await db.async_close(1s);
    });
}

TEST_CASE("cluster: an acquire from an unreachable primary makes the cluster look again") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        cluster db = unreachable_first_host(ex);
        // Routed before any member has answered: to the first host, which cannot be reached.
        pgasio::error_code ec;
        try {
            auto lease = co_await db.async_acquire();
        } catch (const pgasio::error& e) {
            ec = e.code();
        }
        CHECK(ec == pgasio::client_errc::pool_timeout);
        const auto stats = co_await wait_for(db, [](const auto& s) { return s.rechecks >= 2; });
        CHECK(stats.rechecks == 2);
        CHECK_FALSE(stats.members[0].reachable);
        co_await db.async_close(1s);
    });
}

TEST_CASE("cluster: the health check reports every member, each probe bounded") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // A third member that accepts TCP connections and never says a word.
        asio::ip::tcp::acceptor silent(ex, {asio::ip::make_address("127.0.0.1"), 0});
        config cfg = cluster_config();
        cfg.replicas.push_back(host_spec{"127.0.0.1", "", silent.local_endpoint().port()});
        cfg.connect_timeout = 2s; // so that its pool gives up connecting once closed
        cluster_options options = fast_rechecks();
        options.probe_timeout = 500ms;
        cluster db(ex, cfg, options);
        const auto start = std::chrono::steady_clock::now();
        const auto health = co_await db.async_health_check(500ms);
        CHECK(std::chrono::steady_clock::now() - start < 3s);
        CHECK(health.healthy);
        REQUIRE(health.primary);
        CHECK(health.primary->host == server("PRIMARY"));
        CHECK(health.primary->role == server_role::primary);
        CHECK(health.primary->latency > 0us);
        REQUIRE(health.replicas.size() == 2);
        CHECK(health.replicas[0].host == server("REPLICA"));
        CHECK(health.replicas[0].reachable);
        CHECK(health.replicas[0].role == server_role::standby);
        CHECK(health.replicas[0].lag_bytes < 16 * 1024 * 1024);
        CHECK_FALSE(health.replicas[1].reachable);
        CHECK(health.replicas[1].error == "no answer within 500ms");
        const std::string text = fmt::format("{}", health);
        INFO(text);
        CHECK(text.starts_with("healthy latency="));
        CHECK(text.find("primary " + to_string(server("PRIMARY"))) != std::string::npos);
        CHECK(text.find("standby " + to_string(server("REPLICA"))) != std::string::npos);
        CHECK(text.find("unreachable: no answer within 500ms") != std::string::npos);
        co_await db.async_close(1s);
    });
}

TEST_CASE("cluster: a health check given up before its probes answer leaves them to finish "
          "safely") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        // A member that never answers: its probe runs until probe_timeout, long after the
        // check that started it was cancelled.
        asio::ip::tcp::acceptor silent(ex, {asio::ip::make_address("127.0.0.1"), 0});
        config cfg = cluster_config();
        cfg.replicas.push_back(host_spec{"127.0.0.1", "", silent.local_endpoint().port()});
        cfg.connect_timeout = 2s;
        cluster_options options = fast_rechecks();
        options.probe_timeout = 1s;
        cluster db(ex, cfg, options);
        asio::steady_timer soon(ex, 100ms);
        auto first = co_await (db.async_health_check(1s, asio::use_awaitable) ||
                               soon.async_wait(asio::use_awaitable));
        CHECK(first.index() == 1);
        // The abandoned probes answer meanwhile (into what the check left behind).
        asio::steady_timer later(ex, 1500ms);
        co_await later.async_wait(asio::use_awaitable);
        const auto health = co_await db.async_health_check(500ms);
        CHECK(health.healthy);
        co_await db.async_close(1s);
    });
}

TEST_CASE("cluster: transactions and leases go to the primary unless read-only") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        cluster db(ex, cluster_config(), fast_rechecks());
        co_await db.async_refresh();
        auto where = [](pgasio::transaction& tx) -> asio::awaitable<bool> {
            const auto rows = co_await tx.async_query("SELECT pg_is_in_recovery()");
            co_return rows[0].get<bool>(0);
        };
        const bool writing = co_await db.async_transaction(where);
        const bool reading = co_await db.async_transaction(
            pgasio::transaction_options{.access = pgasio::access_mode::read_only}, where);
        CHECK_FALSE(writing);
        CHECK(reading);

        auto lease = co_await db.async_acquire();
        const auto on_primary = co_await lease->async_query("SELECT pg_is_in_recovery()");
        CHECK_FALSE(on_primary[0].get<bool>(0));
        lease.release();
        auto read_lease = co_await db.async_acquire(intent::read());
        const auto on_replica = co_await read_lease->async_query("SELECT pg_is_in_recovery()");
        CHECK(on_replica[0].get<bool>(0));
        read_lease.release();
        co_await db.async_close();
    });
}

TEST_CASE("cluster: async_close closes every pool at once, within its deadline") {
    // A lease held on each member: each pool's close waits for it until the deadline.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        cluster db(ex, cluster_config(), fast_rechecks());
        co_await db.async_refresh();
        auto on_primary = co_await db.async_acquire();
        auto on_replica = co_await db.async_acquire(intent::read());
        const auto start = std::chrono::steady_clock::now();
        std::optional<std::chrono::steady_clock::duration> took;
        db.async_close(
            600ms, [&](std::exception_ptr) { took = std::chrono::steady_clock::now() - start; });
        // Closing: no member takes requests any more, the replica no more than the primary.
        co_await pgasio::test::sleep_for(100ms);
        auto [rec, r] = co_await db.async_query(intent::read(), "SELECT 1", nothrow);
        CHECK(rec == pgasio::client_errc::pool_closed);
        auto [wec, w] = co_await db.async_execute("SELECT 1", nothrow);
        CHECK(wec == pgasio::client_errc::pool_closed);
        const bool closed = co_await pgasio::test::eventually([&] { return took.has_value(); }, 3s);
        REQUIRE(closed);
        CHECK(*took >= 600ms);
        CHECK(*took < 1100ms); // one deadline, not one per member
    });
}

TEST_CASE("cluster: a transaction started after its cluster object was moved runs on the moved "
          "cluster") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        cluster db(ex, cluster_config(), fast_rechecks());
        co_await db.async_refresh();
        // Deferred: nothing runs until it is awaited, after the cluster object it came from
        // has been moved from.
        auto op = db.async_transaction([](pgasio::transaction& tx) -> asio::awaitable<bool> {
            const auto rows = co_await tx.async_query("SELECT pg_is_in_recovery()");
            co_return rows[0].get<bool>(0);
        });
        cluster moved = std::move(db);
        const bool in_recovery_there = co_await std::move(op);
        CHECK_FALSE(in_recovery_there);
        co_await moved.async_close();
    });
}

namespace {

// Stops the server `admin` is connected to, as `pg_ctl stop -m fast` does: SIGINT to its
// postmaster (the pid in its data directory's postmaster.pid, which it removes on the way out),
// then waits until it is gone.
asio::awaitable<void> stop_server(connection& admin) {
    const auto rows = co_await admin.async_query("SHOW data_directory");
    const std::filesystem::path pid_file =
        std::filesystem::path(rows[0].get<std::string>(0)) / "postmaster.pid";
    pid_t pid = 0;
    std::ifstream(pid_file) >> pid;
    REQUIRE(pid > 0);
    REQUIRE(::kill(pid, SIGINT) == 0);
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::filesystem::exists(pid_file) && std::chrono::steady_clock::now() < deadline)
        co_await pgasio::test::sleep_for(50ms);
    REQUIRE_FALSE(std::filesystem::exists(pid_file));
}

} // namespace

// It stops the primary and promotes the replica, so it must never meet the servers other tests
// share: hidden ([.]), named so that "cluster:*" does not select it, and it refuses to run unless
// PGASIO_TEST_DISPOSABLE_SETUP=1 says that its setup may be broken. ctest runs it alone on a
// setup of its own (tests/CMakeLists.txt: PGASIO_TEST_FAILOVER_PORT_BASE).
TEST_CASE("failover: after the primary stops and the replica is promoted, cluster writes go to "
          "the new primary",
          "[.][failover]") {
    const char* disposable = std::getenv("PGASIO_TEST_DISPOSABLE_SETUP");
    if (!disposable || std::string_view(disposable) != "1")
        FAIL("this test stops the primary of $PGASIO_PG_DIR and promotes its replica: run it "
             "through ctest, or set PGASIO_TEST_DISPOSABLE_SETUP=1 for a setup that may be broken");
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        config cfg = cluster_config();
        cfg.pool.acquire_timeout = 500ms;
        cfg.connect_timeout = 2s;
        cluster_options options;
        options.recheck_interval = 500ms;
        options.probe_timeout = 1s;
        cluster db(ex, cfg, options);
        co_await db.async_refresh();
        co_await db.async_execute("CREATE TABLE failover (n int)");
        co_await db.async_execute("INSERT INTO failover VALUES (1)");
        const pgasio::wal_lsn written = co_await db.async_write_position();
        co_await wait_for(db, [&](const auto& s) { return s.members[1].replayed >= written; });

        auto old_primary = co_await connect(user_config("ADMIN", "PRIMARY"));
        co_await stop_server(old_primary);
        // The periodic re-checks find that no member is the primary now; writes fail.
        auto stats = co_await wait_for(db, [](const auto& s) { return !s.members[0].reachable; });
        REQUIRE_FALSE(stats.members[0].reachable);
        auto [ec, n] = co_await db.async_execute("INSERT INTO failover VALUES (2)", nothrow);
        CHECK(ec);

        auto replica = co_await connect(user_config("ADMIN", "REPLICA"));
        const auto promoted = co_await replica.async_query("SELECT pg_promote()");
        REQUIRE(promoted[0].get<bool>(0));
        co_await replica.async_close();

        // Within a re-check period (and the probe of the member that is gone), without a
        // restart, writes succeed, on the former replica.
        const auto start = std::chrono::steady_clock::now();
        const auto limit = options.recheck_interval + options.probe_timeout + 2s;
        do {
            std::tie(ec, n) = co_await db.async_execute("INSERT INTO failover VALUES (3)", nothrow);
            if (ec) co_await pgasio::test::sleep_for(50ms);
        } while (ec && std::chrono::steady_clock::now() - start < limit);
        INFO("the last write failed with: " << ec.message());
        REQUIRE_FALSE(ec);
        const auto rows = co_await db.async_query(
            intent::write(), "SELECT pg_is_in_recovery(), inet_server_port(), array_agg(n ORDER "
                             "BY n)::text FROM failover");
        CHECK_FALSE(rows[0].get<bool>(0));
        CHECK(rows[0].get<std::int32_t>(1) == server("REPLICA").port);
        CHECK(rows[0].get<std::string>(2) == "{1,3}");
        // Reads have no replica left: they fall back to the new primary.
        const bool read_on = co_await in_recovery(db, intent::read());
        CHECK_FALSE(read_on);

        stats = db.stats();
        CHECK(stats.failovers == 1);
        CHECK(stats.members[1].role == server_role::primary);
        CHECK_FALSE(stats.members[0].reachable);
        co_await db.async_close(1s);
    });
}
