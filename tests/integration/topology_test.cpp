// The topology probes against tools/pg's primary and its streaming replica: roles, WAL
// positions, and a replica's lag while its replay is paused and after it resumes.
#include "topology.hpp"

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/asio/this_coro.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <exception>
#include <functional>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pgasio::client_errc;
using pgasio::connection;
using pgasio::server_role;
using pgasio::wal_lsn;
using pgasio::detail::standby_lag;
using pgasio::test::run;
using pgasio::test::user_config;

namespace {

asio::awaitable<connection> connect(const pgasio::config& cfg) {
    connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    co_return conn;
}

// The replica's lag, measured until `done` accepts it or `limit` passes; the last measurement.
asio::awaitable<standby_lag> poll_lag(connection& replica, connection& primary,
                                      std::function<bool(const standby_lag&)> done,
                                      std::chrono::steady_clock::duration limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
        const wal_lsn position = co_await pgasio::detail::async_current_wal_lsn(primary);
        standby_lag lag = co_await pgasio::detail::async_standby_lag(replica, position);
        if (done(lag) || std::chrono::steady_clock::now() > deadline) co_return lag;
        co_await pgasio::test::sleep_for(50ms);
    }
}

} // namespace

TEST_CASE("topology: the primary reports primary, the replica standby") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto primary = co_await connect(user_config("SCRAM", "PRIMARY"));
        auto replica = co_await connect(user_config("SCRAM", "REPLICA"));
        // PostgreSQL 14+ reports the role at connect time: no query needed.
        CHECK(primary.parameter("in_hot_standby") == "off");
        CHECK(replica.parameter("in_hot_standby") == "on");
        const auto primary_role = co_await pgasio::detail::async_server_role(primary);
        const auto replica_role = co_await pgasio::detail::async_server_role(replica);
        CHECK(primary_role == server_role::primary);
        CHECK(replica_role == server_role::standby);
        co_await primary.async_close();
        co_await replica.async_close();
    });
}

TEST_CASE("topology: WAL positions of the primary, lag of the replica") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto primary = co_await connect(user_config("SCRAM", "PRIMARY"));
        auto replica = co_await connect(user_config("SCRAM", "REPLICA"));
        const wal_lsn before = co_await pgasio::detail::async_current_wal_lsn(primary);
        CHECK(before > wal_lsn());
        const standby_lag lag = co_await pgasio::detail::async_standby_lag(replica, before);
        CHECK(lag.replayed > wal_lsn());
        CHECK(lag.received >= lag.replayed);
        CHECK(lag.bytes == static_cast<std::uint64_t>(lag.received - lag.replayed));
        REQUIRE(lag.bytes_behind_primary);
        const standby_lag alone = co_await pgasio::detail::async_standby_lag(replica);
        CHECK_FALSE(alone.bytes_behind_primary);

        // Each probe refuses the other kind of server.
        pgasio::error_code ec;
        try {
            co_await pgasio::detail::async_standby_lag(primary);
        } catch (const pgasio::error& e) {
            ec = e.code();
        }
        CHECK(ec == client_errc::unexpected_null);
        ec = {};
        try {
            co_await pgasio::detail::async_current_wal_lsn(replica);
        } catch (const pgasio::error& e) {
            ec = e.code();
        }
        CHECK(ec == pgasio::sqlstate::object_not_in_prerequisite_state);
        co_await primary.async_close();
        co_await replica.async_close();
    });
}

TEST_CASE("topology: paused replay makes the lag grow, resumed replay brings it back to 0") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto primary = co_await connect(user_config("SCRAM", "PRIMARY"));
        auto replica = co_await connect(user_config("SCRAM", "REPLICA"));
        auto replica_admin = co_await connect(user_config("ADMIN", "REPLICA"));
        co_await primary.async_execute("DROP TABLE IF EXISTS topology_lag");
        co_await primary.async_execute("CREATE TABLE topology_lag (n int)");
        // Replication has caught up with the CREATE TABLE before replay stops.
        co_await poll_lag(
            replica, primary, [](const standby_lag& l) { return l.bytes_behind_primary == 0u; },
            10s);

        co_await replica_admin.async_execute("SELECT pg_wal_replay_pause()");
        std::exception_ptr failure;
        try {
            co_await primary.async_execute("INSERT INTO topology_lag VALUES (1)");
            const standby_lag paused = co_await poll_lag(
                replica, primary, [](const standby_lag& l) { return l.bytes > 0; }, 10s);
            CHECK(paused.bytes > 0);
            CHECK(paused.received > paused.replayed);
            CHECK(paused.bytes_behind_primary >= paused.bytes);
            CHECK(paused.seconds > 0s);
            const auto unseen =
                co_await replica.async_query_one("SELECT count(*) FROM topology_lag");
            CHECK(unseen[0].get<std::int64_t>(0) == 0);
        } catch (...) {
            failure = std::current_exception();
        }
        co_await replica_admin.async_execute("SELECT pg_wal_replay_resume()");
        if (failure) std::rethrow_exception(failure);

        const standby_lag resumed = co_await poll_lag(
            replica, primary, [](const standby_lag& l) { return l.bytes_behind_primary == 0u; },
            10s);
        CHECK(resumed.bytes == 0);
        CHECK(resumed.bytes_behind_primary == 0u);
        CHECK(resumed.seconds == 0s);
        const auto seen = co_await replica.async_query_one("SELECT count(*) FROM topology_lag");
        CHECK(seen[0].get<std::int64_t>(0) == 1);
        co_await primary.async_execute("DROP TABLE topology_lag");
        co_await primary.async_close();
        co_await replica.async_close();
        co_await replica_admin.async_close();
    });
}
