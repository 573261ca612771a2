// The connection pool against the real primary: shared requests spread over its connections,
// leases for exclusive use and their reset, the bounded FIFO wait and its statistics, lifetimes
// (with jitter), the check before a lease, bounded and backed-off connection attempts, broken
// connections replaced, leaks reported, credentials asked for, graceful close (with a deadline),
// and use from several threads at once.
#include <pgasio/pool.hpp>

#include "support/closing_servers.hpp"
#include "support/connect.hpp"
#include "support/cut_proxy.hpp"
#include "support/race.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe/class.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pgasio::client_errc;
using pgasio::test::concurrently;
using pgasio::test::cut_proxy;
using pgasio::test::eventually;
using pgasio::test::primary_proxy;
using pgasio::test::run;
using pgasio::test::sleep_for;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

pgasio::config pool_config(std::size_t min, std::size_t max) {
    auto cfg = pgasio::test::test_config();
    cfg.pool.min_connections = min;
    cfg.pool.max_connections = max;
    return cfg;
}

// A pool of one connection (min and max) through `proxy`, as the SCRAM test user.
pgasio::config one_connection_through(const cut_proxy& proxy) {
    auto cfg = pgasio::test::user_config(
        "SCRAM", "PRIMARY", "sslmode=disable host=127.0.0.1 port=" + std::to_string(proxy.port()));
    cfg.pool.min_connections = 1;
    cfg.pool.max_connections = 1;
    return cfg;
}

asio::awaitable<std::int32_t> backend_pid_of(pgasio::pool& db) {
    auto r = co_await db.async_query_one("SELECT pg_backend_pid()");
    co_return r[0].get<std::int32_t>(0);
}

// Whether the session `session` (a connection, or a lease of one) runs in has a transaction id:
// only inside a transaction block that wrote (a fresh implicit transaction has none).
template <class Session>
asio::awaitable<bool> has_transaction_id(Session& session) {
    auto r = co_await session.async_query_one("SELECT txid_current_if_assigned() IS NOT NULL");
    co_return r[0].template get<bool>(0);
}

// How many rows `sql` finds, on a connection of its own (another session: it sees only what
// committed).
asio::awaitable<std::int64_t> committed_count(const std::string& sql) {
    auto admin = co_await pgasio::test::connect_primary();
    auto r = co_await admin.async_query_one(sql);
    co_await admin.async_close();
    co_return r[0].get<std::int64_t>(0);
}

// Starts transactions 1 and 2 on `db` at once (pool::async_transaction), each inserting its
// number into `table`, then running `then(tx, number)`. Once both have ended, returns what
// happened, in order: "began N" as N's function starts, "committed N" (or "failed N") as its
// operation completes.
template <class Then>
asio::awaitable<std::vector<std::string>> two_transactions(pgasio::pool& db,
                                                           const std::string& table, Then then) {
    std::vector<std::string> events;
    auto one = [&](int id) {
        return [&events, &table, &then, id](pgasio::transaction& tx) -> asio::awaitable<void> {
            events.push_back("began " + std::to_string(id));
            co_await tx.async_execute("INSERT INTO " + table + " VALUES ($1)", id);
            co_await then(tx, id);
        };
    };
    auto done = [&events](int id) {
        return [&events, id](const std::exception_ptr& e) {
            events.push_back((e ? "failed " : "committed ") + std::to_string(id));
        };
    };
    db.async_transaction(one(1), done(1));
    db.async_transaction(one(2), done(2));
    const bool ended = co_await eventually([&] { return events.size() == 4; });
    if (!ended) throw std::runtime_error("the two transactions did not end");
    co_return events;
}

struct numbered_word {
    std::int32_t n;
    std::string word;
};
BOOST_DESCRIBE_STRUCT(numbered_word, (), (n, word))

} // namespace

TEST_CASE("pool: opens min_connections in the background") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(3, 5));
        const bool opened = co_await eventually([&] { return db.stats().open == 3; });
        CHECK(opened);
        const auto s = db.stats();
        CHECK(s.idle == 3);
        CHECK(s.connects == 3);
        CHECK(s.opening == 0);
        co_await db.async_close();
        CHECK(db.stats().open == 0);
    });
}

TEST_CASE("pool: 64 coroutines share 8 connections, pipelined") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(8, 8));
        const bool opened = co_await eventually([&] { return db.stats().open == 8; });
        REQUIRE(opened);
        std::set<std::int32_t> pids;
        std::int64_t sum = 0;
        co_await concurrently(64, [&](int c) -> asio::awaitable<void> {
            for (int i = 0; i < 20; ++i) {
                auto r = co_await db.async_query_one("SELECT pg_backend_pid(), $1::int8",
                                                     std::int64_t{c * 100 + i});
                pids.insert(r[0].get<std::int32_t>(0));
                sum += r[0].get<std::int64_t>(1);
            }
        });
        std::int64_t expected = 0;
        for (int c = 0; c < 64; ++c)
            for (int i = 0; i < 20; ++i)
                expected += c * 100 + i;
        CHECK(sum == expected);
        // Spread over every connection, never more than max_connections.
        CHECK(pids.size() == 8);
        const auto s = db.stats();
        CHECK(s.connects == 8);
        CHECK(s.shared_requests == 64 * 20);
        CHECK(s.waited == 0);
        co_await db.async_close();
    });
}

TEST_CASE("pool: shared load opens more connections, up to max_connections") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 3));
        const bool opened = co_await eventually([&] { return db.stats().open == 1; });
        REQUIRE(opened);
        co_await concurrently(32, [&](int) -> asio::awaitable<void> {
            for (int i = 0; i < 10; ++i)
                co_await db.async_query("SELECT pg_sleep(0.001)");
        });
        const auto s = db.stats();
        CHECK(s.open == 3);
        CHECK(s.connects == 3);
        co_await db.async_close();
    });
}

TEST_CASE("pool: shared requests wait for the first connection to open") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(0, 2));
        CHECK(db.stats().open == 0);
        auto r = co_await db.async_query_one("SELECT 41 + $1::int4", 1);
        CHECK(r[0].get<std::int32_t>(0) == 42);
        CHECK(db.stats().waited == 1);
        auto n = co_await db.async_execute("SELECT generate_series(1, 3)");
        CHECK(n == 3);
        co_await db.async_close();
    });
}

TEST_CASE("pool: a shared request that waits keeps its own copy of what its view parameters "
          "point at") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(0, 1));
        REQUIRE(db.stats().open == 0);
        std::string text = "original";
        std::string c_text = "c string";
        std::vector<std::byte> bytes{std::byte{1}, std::byte{2}};
        std::vector<std::int32_t> ints{1, 2, 3};
        std::optional<pgasio::result> got;
        pgasio::error_code got_ec;
        // A callback: nothing of the caller's is kept alive past the call (a coroutine's frame
        // would keep it). No connection is open yet, so the request waits.
        db.async_query("SELECT $1::text, $2::text, $3::bytea, $4::int4[]", std::string_view(text),
                       c_text.c_str(), std::span<const std::byte>(bytes),
                       std::span<const std::int32_t>(ints),
                       [&](pgasio::error_code ec, pgasio::result r) {
                           got_ec = ec;
                           got = std::move(r);
                       });
        // The caller's buffers now hold something else, in the same storage.
        text.assign("CHANGED!");
        c_text.assign("C STRING");
        bytes.assign({std::byte{9}, std::byte{9}});
        ints.assign({7, 7, 7});
        const bool answered = co_await eventually([&] { return got.has_value(); });
        REQUIRE(answered);
        REQUIRE_FALSE(got_ec);
        CHECK(db.stats().waited == 1);
        const auto row = (*got)[0];
        CHECK(row.get<std::string>(0) == "original");
        CHECK(row.get<std::string>(1) == "c string");
        CHECK(row.get<std::vector<std::byte>>(2) ==
              std::vector<std::byte>{std::byte{1}, std::byte{2}});
        CHECK(row.get<std::vector<std::int32_t>>(3) == std::vector<std::int32_t>{1, 2, 3});
        co_await db.async_close();
    });
}

TEST_CASE("pool: a row stream keeps its connection counted as busy until it is done") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 1));
        std::int64_t rows = 0;
        std::int64_t sum = 0;
        {
            auto stream = co_await db.async_query_stream(
                "SELECT g::int8 FROM generate_series(1, $1::int4) g", 200000);
            CHECK(db.stats().in_use == 1);
            for (;;) {
                pgasio::result part = co_await stream.async_next();
                if (part.empty()) break;
                for (auto row : part) {
                    ++rows;
                    sum += row.get<std::int64_t>(0);
                }
            }
        }
        CHECK(rows == 200000);
        CHECK(sum == std::int64_t{200000} * 200001 / 2);
        // Released once the stream and its query are both done.
        const bool released = co_await eventually([&] { return db.stats().idle == 1; });
        CHECK(released);
        // A stream given up early: the query is cancelled and the connection serves again.
        {
            auto stream = co_await db.async_query_stream("SELECT generate_series(1, 10000000)");
            auto first = co_await stream.async_next();
            CHECK(!first.empty());
        }
        auto r = co_await db.async_query_one("SELECT 7");
        CHECK(r[0].get<std::int32_t>(0) == 7);
        const bool idle = co_await eventually([&] { return db.stats().idle == 1; });
        CHECK(idle);
        co_await db.async_close();
    });
}

TEST_CASE("pool: a lease has its connection to itself until given back") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(2, 2));
        const bool opened = co_await eventually([&] { return db.stats().open == 2; });
        REQUIRE(opened);
        std::int32_t leased_pid = 0;
        {
            auto conn = co_await db.async_acquire();
            REQUIRE(conn.valid());
            leased_pid = conn->backend_pid();
            co_await conn->async_execute("SET application_name TO 'leased'");
            auto s = db.stats();
            CHECK(s.leased == 1);
            CHECK(s.in_use == 1);
            // Shared requests go to the other connection meanwhile.
            for (int i = 0; i < 10; ++i) {
                const auto pid = co_await backend_pid_of(db);
                CHECK(pid != leased_pid);
            }
            auto name = co_await conn->async_query_one("SHOW application_name");
            CHECK(name[0].get<std::string>(0) == "leased");
        }
        CHECK(db.stats().leased == 0);
        // Back in the pool: shared requests may use it again.
        std::set<std::int32_t> pids;
        for (int i = 0; i < 20 && pids.size() < 2; ++i) {
            std::vector<std::int32_t> got(2);
            int done = 0;
            for (int k = 0; k < 2; ++k)
                db.async_query_one(
                    "SELECT pg_backend_pid()", [&, k](pgasio::error_code ec, pgasio::result r) {
                        if (!ec) got[static_cast<std::size_t>(k)] = r[0].get<std::int32_t>(0);
                        ++done;
                    });
            co_await eventually([&] { return done == 2; });
            pids.insert(got.begin(), got.end());
        }
        CHECK(pids.count(leased_pid) == 1);
        co_await db.async_close();
    });
}

TEST_CASE("pool: reset_query runs on a returned lease before anyone else gets it") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.reset_query = "RESET ALL";
        pgasio::pool db(ex, cfg);
        {
            auto conn = co_await db.async_acquire();
            co_await conn->async_execute("SET application_name TO 'leased'");
        }
        auto name = co_await db.async_query_one("SHOW application_name");
        CHECK(name[0].get<std::string>(0) != "leased");
        co_await db.async_close();
    });
    // Without one, the session is handed on as it was left (as pgx's pool does).
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 1));
        {
            auto conn = co_await db.async_acquire();
            co_await conn->async_execute("SET application_name TO 'leased'");
        }
        auto name = co_await db.async_query_one("SHOW application_name");
        CHECK(name[0].get<std::string>(0) == "leased");
        co_await db.async_close();
    });
}

TEST_CASE("pool: an exhausted pool fails the acquire after acquire_timeout, saying its state") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.acquire_timeout = 300ms;
        pgasio::pool db(ex, cfg);
        auto held = co_await db.async_acquire();
        pgasio::diagnostics diag;
        const auto start = std::chrono::steady_clock::now();
        auto [ec, none] = co_await db.async_acquire(pgasio::diagnostics_into(diag, nothrow));
        const auto waited = std::chrono::steady_clock::now() - start;
        CHECK(ec == client_errc::pool_timeout);
        CHECK(!none.valid());
        CHECK(waited >= 300ms);
        CHECK(waited < 3s);
        CHECK_THAT(diag.message, Catch::Contains("waited 300ms for a connection") &&
                                     Catch::Contains("in use 1, idle 0, waiting 1, opening 0, "
                                                     "max_connections 1"));
        // A shared request waits the same way (the only connection is leased).
        auto [qec, r] = co_await db.async_query("SELECT 1", nothrow);
        CHECK(qec == client_errc::pool_timeout);
        // So does a transaction, which throws the pgasio::error that says why, as any of the
        // pool's operations does by default.
        std::optional<pgasio::error> tx_error;
        try {
            co_await db.async_transaction(
                [](pgasio::transaction&) -> asio::awaitable<void> { co_return; });
        } catch (const pgasio::error& e) {
            tx_error = e;
        }
        REQUIRE(tx_error);
        CHECK(tx_error->code() == client_errc::pool_timeout);
        CHECK_THAT(tx_error->what(), Catch::Contains("in use 1, idle 0, waiting 1"));
        CHECK(db.stats().timeouts == 3);
        // Given back, the connection serves the next caller.
        held.release();
        auto again = co_await db.async_acquire();
        CHECK(again.valid());
        again.release();
        co_await db.async_close();
    });
}

TEST_CASE("pool: a waiting acquire can be cancelled") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 1));
        auto held = co_await db.async_acquire();
        asio::cancellation_signal stop;
        pgasio::error_code got;
        bool done = false;
        db.async_acquire(asio::bind_cancellation_slot(
            stop.slot(), [&](pgasio::error_code ec, pgasio::pooled_connection) {
                got = ec;
                done = true;
            }));
        co_await sleep_for(50ms);
        CHECK(!done);
        CHECK(db.stats().waiting == 1);
        stop.emit(asio::cancellation_type::terminal);
        const bool answered = co_await eventually([&] { return done; });
        CHECK(answered);
        CHECK(got == asio::error::operation_aborted);
        CHECK(db.stats().waiting == 0);
        co_await db.async_close();
    });
}

TEST_CASE("pool: try_acquire leases an idle connection at once, and gives nothing otherwise") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.check_idle_after = 0ms; // never due for a check: only the idle state decides
        pgasio::pool db(ex, cfg);
        // Opening needs the executor: nothing is open before the first co_await.
        CHECK_FALSE(db.try_acquire().valid());
        const bool opened = co_await eventually([&] { return db.stats().open == 1; });
        REQUIRE(opened);
        std::int32_t leased_pid = 0;
        {
            auto conn = db.try_acquire();
            REQUIRE(conn.valid());
            CHECK(db.stats().leased == 1);
            CHECK(db.stats().acquires == 1);
            // Its only connection is leased: nothing more at once, and no wait started.
            CHECK_FALSE(db.try_acquire().valid());
            CHECK(db.stats().waiting == 0);
            auto r = co_await conn->async_query_one("SELECT pg_backend_pid()");
            leased_pid = r[0].get<std::int32_t>(0);
            // A caller that waits is served first when the lease comes back.
            bool served = false;
            pgasio::pooled_connection waited;
            db.async_acquire([&](pgasio::error_code ec, pgasio::pooled_connection c) {
                served = !ec;
                waited = std::move(c);
            });
            co_await sleep_for(20ms);
            CHECK(db.stats().waiting == 1);
            conn.release();
            CHECK_FALSE(db.try_acquire().valid());
            const bool handed = co_await eventually([&] { return served; });
            REQUIRE(handed);
            CHECK(waited->backend_pid() == leased_pid);
        }
        CHECK(db.stats().leased == 0);
        {
            auto again = db.try_acquire();
            REQUIRE(again.valid());
            CHECK(again->backend_pid() == leased_pid);
        }
        co_await db.async_close();
        CHECK_FALSE(db.try_acquire().valid());
    });
}

TEST_CASE("pool: try_acquire takes an idle connection that needs no check before one that does") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(2, 2);
        cfg.pool.check_idle_after = 300ms;
        pgasio::pool db(ex, cfg);
        const bool opened = co_await eventually([&] { return db.stats().open == 2; });
        REQUIRE(opened);
        auto first = co_await db.async_acquire();
        auto second = co_await db.async_acquire();
        const auto second_pid = second->backend_pid();
        first.release();
        co_await sleep_for(500ms); // the first one's connection is now due for its check
        second.release();          // the second one's is fresh
        auto at_once = db.try_acquire();
        REQUIRE(at_once.valid());
        CHECK(at_once->backend_pid() == second_pid);
        at_once.release();
        co_await db.async_close();
    });
}

TEST_CASE("pool: try_acquire gives nothing for an idle connection due for its check") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.check_idle_after = 100ms;
        pgasio::pool db(ex, cfg);
        const bool opened = co_await eventually([&] { return db.stats().open == 1; });
        REQUIRE(opened);
        co_await sleep_for(300ms);
        CHECK_FALSE(db.try_acquire().valid());
        CHECK(db.stats().leased == 0);
        // async_acquire checks it, then hands it out; given back, it is fresh again.
        { auto checked = co_await db.async_acquire(); }
        CHECK(db.try_acquire().valid());
        co_await db.async_close();
    });
}

TEST_CASE("pool: a leaked lease is reported once, with where it was acquired") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.leak_threshold = 200ms;
        pgasio::pool db(ex, cfg);
        std::vector<std::pair<std::string, std::chrono::milliseconds>> reports;
        db.set_leak_handler(
            [&](const boost::source_location& where, std::chrono::milliseconds held) {
                reports.emplace_back(
                    std::string(where.file_name()) + ":" + std::to_string(where.line()), held);
            });
        const auto line = __LINE__ + 1;
        auto conn = co_await db.async_acquire();
        co_await sleep_for(2500ms);
        REQUIRE(reports.size() == 1);
        CHECK_THAT(reports[0].first, Catch::EndsWith("pool_test.cpp:" + std::to_string(line)));
        CHECK(reports[0].second >= 200ms);
        CHECK(db.stats().leaks == 1);
        conn.release();
        co_await db.async_close();
    });
}

TEST_CASE("pool: max_lifetime recycles connections") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.max_lifetime = 300ms;
        pgasio::pool db(ex, cfg);
        std::set<std::int32_t> pids;
        for (int i = 0; i < 25; ++i) {
            pids.insert(co_await backend_pid_of(db));
            co_await sleep_for(100ms);
        }
        CHECK(pids.size() >= 2);
        CHECK(db.stats().closed_lifetime >= 1);
        CHECK(db.stats().open <= 1);
        co_await db.async_close();
    });
}

TEST_CASE("pool: idle connections above min_connections close after idle_timeout") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 4);
        cfg.pool.idle_timeout = 300ms;
        pgasio::pool db(ex, cfg);
        {
            auto a = co_await db.async_acquire();
            auto b = co_await db.async_acquire();
            auto c = co_await db.async_acquire();
            CHECK(db.stats().open == 3);
        }
        const bool shrunk = co_await eventually([&] { return db.stats().open == 1; }, 5s);
        CHECK(shrunk);
        CHECK(db.stats().closed_idle == 2);
        co_await db.async_close();
    });
}

TEST_CASE("pool: terminated backends are replaced and later requests see no error") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // Named, so that only this pool's sessions are terminated (other tests run meanwhile).
        auto cfg = pool_config(3, 3);
        cfg.application_name = "pgasio_pool_victims";
        pgasio::pool db(ex, cfg);
        const bool opened = co_await eventually([&] { return db.stats().open == 3; });
        REQUIRE(opened);
        auto admin = co_await pgasio::test::connect_primary();
        auto killed =
            co_await admin.async_query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE application_name = 'pgasio_pool_victims'");
        CHECK(killed.size() == 3);
        co_await sleep_for(200ms);
        for (int i = 0; i < 30; ++i) {
            auto [ec, r] = co_await db.async_query("SELECT 1", nothrow);
            CHECK(!ec);
        }
        const bool replaced = co_await eventually([&] { return db.stats().open == 3; });
        CHECK(replaced);
        CHECK(db.stats().closed_error >= 3);
        co_await db.async_close();
    });
}

TEST_CASE("pool: the credential provider is asked at each new connection") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(0, 2);
        const auto password = cfg.password;
        cfg.password = pgasio::secret_string("wrong");
        pgasio::pool db(ex, cfg);
        int asked = 0;
        db.set_credential_provider(
            [&](const pgasio::config&) -> asio::awaitable<pgasio::secret_string> {
                ++asked;
                co_return password;
            });
        auto a = co_await db.async_acquire();
        auto b = co_await db.async_acquire();
        CHECK(asked == 2);
        a.release();
        b.release();
        co_await db.async_close();
    });
    // One that fails: the pool keeps trying, and waiters are told why it cannot connect.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(0, 1);
        cfg.pool.acquire_timeout = 500ms;
        pgasio::pool db(ex, cfg);
        db.set_credential_provider(
            [](const pgasio::config&) -> asio::awaitable<pgasio::secret_string> {
                throw std::runtime_error("vault unreachable");
                co_return pgasio::secret_string();
            });
        pgasio::diagnostics diag;
        auto [ec, r] = co_await db.async_query("SELECT 1", pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == client_errc::pool_timeout);
        CHECK_THAT(diag.message, Catch::Contains("vault unreachable"));
        CHECK(db.stats().connect_failures >= 1);
        co_await db.async_close();
    });
    // One that throws something other than a std::exception, once: that attempt fails like any
    // other, and the next one (after the pause) opens the connection.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(0, 1);
        cfg.pool.acquire_timeout = 10s;
        const auto password = cfg.password;
        pgasio::pool db(ex, cfg);
        int asked = 0;
        db.set_credential_provider(
            [&](const pgasio::config&) -> asio::awaitable<pgasio::secret_string> {
                if (++asked == 1) throw 42;
                co_return password;
            });
        auto [ec, r] = co_await db.async_query("SELECT 1", nothrow);
        CHECK(!ec);
        CHECK(asked == 2);
        CHECK(db.stats().connect_failures == 1);
        co_await db.async_close();
    });
}

TEST_CASE("pool: a server that refuses the pool's password or database fails its waiters at once") {
    // Rejected twice in a row (a rotated credential gets its second try) with no connection
    // open, the waiters are told the server's error instead of waiting out acquire_timeout.
    auto refused = [](pgasio::config cfg, pgasio::error_code expected, std::string_view said,
                      std::string_view secret) {
        run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
            pgasio::pool db(ex, cfg); // acquire_timeout 30 s, the default
            pgasio::diagnostics diag;
            const auto start = std::chrono::steady_clock::now();
            auto [ec, r] =
                co_await db.async_query("SELECT 1", pgasio::diagnostics_into(diag, nothrow));
            CHECK(std::chrono::steady_clock::now() - start < 5s);
            CHECK(ec == expected);
            CHECK_THAT(diag.message, Catch::Contains(std::string(said)) &&
                                         Catch::Contains("no connection is open"));
            CHECK(diag.message.find(secret) == std::string::npos);
            CHECK(db.stats().connect_failures >= 2);
            // A lease is refused the same way.
            auto [lease_ec, lease] = co_await db.async_acquire(nothrow);
            CHECK(lease_ec == expected);
            CHECK(db.stats().timeouts == 0);
            co_await db.async_close();
        });
    };
    auto wrong_password = pool_config(0, 2);
    wrong_password.password = pgasio::secret_string("Wr0ngPa55");
    refused(wrong_password, pgasio::sqlstate::invalid_password, "password authentication failed",
            "Wr0ngPa55");
    auto no_database = pool_config(0, 2);
    no_database.dbname = "pgasio_no_such_database";
    refused(no_database, pgasio::sqlstate::invalid_catalog_name, "does not exist", "scram-pw");
}

TEST_CASE("pool: async_transaction commits on a leased connection") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 2));
        co_await db.async_execute("DROP TABLE IF EXISTS pool_tx");
        co_await db.async_execute("CREATE TABLE pool_tx (id int PRIMARY KEY, v text)");
        std::int32_t in_tx_pid = co_await db.async_transaction(
            [&](pgasio::transaction& tx) -> asio::awaitable<std::int32_t> {
                co_await tx.async_execute("INSERT INTO pool_tx VALUES (1, 'one')");
                auto r = co_await tx.async_query_one("SELECT pg_backend_pid()");
                co_return r[0].get<std::int32_t>(0);
            });
        CHECK(in_tx_pid != 0);
        auto rows = co_await db.async_query("SELECT v FROM pool_tx");
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].get<std::string>(0) == "one");
        CHECK(db.stats().leased == 0);
        co_await db.async_execute("DROP TABLE pool_tx");
        co_await db.async_close();
    });
}

TEST_CASE(
    "pool: async_transaction gives its connection to the next one once its COMMIT is queued") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 1));
        co_await db.async_execute("DROP TABLE IF EXISTS pool_handover");
        co_await db.async_execute("CREATE TABLE pool_handover (id int PRIMARY KEY)");
        // Two transactions on the pool's one connection: the second is given it as soon as
        // the first's COMMIT is queued, so it begins before that COMMIT is answered (both run
        // on the server in order, one after the other).
        const auto events = co_await two_transactions(
            db, "pool_handover",
            [](pgasio::transaction&, int) -> asio::awaitable<void> { co_return; });
        CHECK(events ==
              std::vector<std::string>{"began 1", "began 2", "committed 1", "committed 2"});
        CHECK(co_await committed_count("SELECT count(*) FROM pool_handover") == 2);
        // The COMMITs, counted as requests in flight meanwhile, are done.
        CHECK(db.stats().leased == 0);
        CHECK(db.stats().in_use == 0);
        co_await db.async_execute("DROP TABLE pool_handover");
        co_await db.async_close();
    });
}

TEST_CASE("pool: a connection given back with its COMMIT in flight goes to a waiting lease at "
          "once") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // Room for a second connection, which the waiting transaction asks for; once the
        // first is open, connecting fails (the credential provider throws), and the pool backs
        // off: the waiting transaction can only have the first connection.
        auto cfg = pool_config(1, 2);
        cfg.pool.acquire_timeout = 10s;
        pgasio::pool db(ex, cfg);
        co_await db.async_execute("DROP TABLE IF EXISTS pool_handover_wait");
        co_await db.async_execute("CREATE TABLE pool_handover_wait (id int PRIMARY KEY)");
        db.set_credential_provider(
            [](const pgasio::config&) -> asio::awaitable<pgasio::secret_string> {
                throw std::runtime_error("no second connection in this test");
                co_return pgasio::secret_string();
            });
        std::map<int, std::int32_t> pid;
        const auto events = co_await two_transactions(
            db, "pool_handover_wait",
            [&](pgasio::transaction& tx, int id) -> asio::awaitable<void> {
                auto r = co_await tx.async_query_one("SELECT pg_backend_pid()");
                pid[id] = r[0].get<std::int32_t>(0);
                // The second transaction's connection failed: the pool is backing off.
                const bool failed =
                    co_await eventually([&] { return db.stats().connect_failures > 0; });
                if (!failed) throw std::runtime_error("the second connection did not fail");
            });
        // The second began on the first's connection as soon as its COMMIT was queued.
        CHECK(events ==
              std::vector<std::string>{"began 1", "began 2", "committed 1", "committed 2"});
        CHECK(pid[1] == pid[2]);
        CHECK(db.stats().connects == 1);
        co_await db.async_execute("DROP TABLE pool_handover_wait");
        co_await db.async_close();
    });
}

TEST_CASE("pool: a transaction started after its pool object was moved runs on the moved pool") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 1));
        // Deferred: nothing runs until it is awaited, after the pool object it came from has
        // been moved from.
        auto op =
            db.async_transaction([](pgasio::transaction& tx) -> asio::awaitable<std::int32_t> {
                auto r = co_await tx.async_query_one("SELECT 41 + 1");
                co_return r[0].get<std::int32_t>(0);
            });
        pgasio::pool moved = std::move(db);
        const std::int32_t got = co_await std::move(op);
        CHECK(got == 42);
        CHECK(moved.stats().acquires == 1);
        CHECK(moved.stats().leased == 0);
        co_await moved.async_close();
    });
}

TEST_CASE("pool: async_close lets requests in flight finish, then refuses new ones") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 1));
        pgasio::error_code slow_ec = asio::error::would_block;
        db.async_query("SELECT pg_sleep(0.3)",
                       [&](pgasio::error_code ec, pgasio::result) { slow_ec = ec; });
        // On its connection (a request still waiting for one would fail with pool_closed).
        const bool sent = co_await eventually([&] { return db.stats().in_use == 1; });
        REQUIRE(sent);
        co_await db.async_close();
        CHECK(!slow_ec);
        auto [ec, r] = co_await db.async_query("SELECT 1", nothrow);
        CHECK(ec == client_errc::pool_closed);
        CHECK(db.stats().open == 0);
    });
}

TEST_CASE("pool: operations started from other threads, 4 threads x 100 coroutines") {
    asio::io_context ctx(4);
    auto cfg = pool_config(2, 4);
    cfg.pool.thread_safe = true;
    pgasio::pool db(ctx, cfg);
    std::atomic<int> ok{0}, failed{0};
    for (int t = 0; t < 4; ++t)
        for (int c = 0; c < 100; ++c)
            asio::co_spawn(
                ctx,
                [&, c]() -> asio::awaitable<void> {
                    for (int i = 0; i < 5; ++i) {
                        auto [ec, r] = co_await db.async_query("SELECT $1::int4 * 2", c, nothrow);
                        if (!ec && r[0].get<std::int32_t>(0) == c * 2)
                            ++ok;
                        else
                            ++failed;
                    }
                    if (c % 10 == 0) {
                        auto [ec, conn] = co_await db.async_acquire(nothrow);
                        if (!ec) {
                            auto [qec, n] = co_await conn->async_execute("SELECT 1", nothrow);
                            (qec ? failed : ok) += 1;
                        }
                    }
                },
                asio::detached);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] { ctx.run_for(60s); });
    // Every coroutine is done once ok + failed reaches the count; then the pool closes and the
    // threads run out of work.
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            while (ok + failed < 4 * 100 * 5 + 4 * 10)
                co_await sleep_for(10ms);
            co_await db.async_close();
        },
        asio::detached);
    for (auto& t : threads)
        t.join();
    CHECK(failed == 0);
    CHECK(ok == 4 * 100 * 5 + 4 * 10);
    CHECK(db.stats().open == 0);
}

// Each coroutine races its acquires and shared queries against a short timer, on a strand of its
// own of an io_context run by 4 threads (cancellation is only safe within one): the loser is
// cancelled there, while the pool serves, checks and fails other waiters from its own strands. (The
// tsan preset runs it: a cancellation slot touched from two threads at once is a data race.)
TEST_CASE("pool: acquires and queries cancelled from other threads while connections come and go") {
    using namespace asio::experimental::awaitable_operators;
    constexpr auto awaited = asio::as_tuple(asio::use_awaitable);
    asio::io_context ctx(4);
    auto cfg = pool_config(1, 2);
    cfg.pool.thread_safe = true;
    pgasio::pool db(ctx, cfg);
    constexpr int coroutines = 100;
    constexpr int rounds = 20;
    std::atomic<int> finished{0}, served{0}, cancelled{0}, wrong{0};
    for (int c = 0; c < coroutines; ++c)
        asio::co_spawn(
            asio::make_strand(ctx),
            [&, c]() -> asio::awaitable<void> {
                asio::steady_timer timer(co_await asio::this_coro::executor);
                for (int i = 0; i < rounds; ++i) {
                    timer.expires_after(std::chrono::microseconds(100 + (c * 37 + i * 101) % 6000));
                    if ((c + i) % 2 == 1) {
                        // A shared query: the connection's engine connects its cancellation.
                        auto r = co_await (db.async_query("SELECT $1::int4", c, awaited) ||
                                           timer.async_wait(awaited));
                        if (r.index() == 1) {
                            ++cancelled;
                            continue;
                        }
                        auto& [ec, rows] = std::get<0>(r);
                        (!ec && rows[0].get<std::int32_t>(0) == c ? served : wrong) += 1;
                        continue;
                    }
                    auto r = co_await (db.async_acquire(awaited) || timer.async_wait(awaited));
                    if (r.index() == 1) {
                        ++cancelled;
                        continue;
                    }
                    auto& [ec, conn] = std::get<0>(r);
                    if (ec) {
                        ++wrong;
                        continue;
                    }
                    auto [qec, n] = co_await conn->async_execute("SELECT 1", nothrow);
                    (qec ? wrong : served) += 1;
                }
                ++finished;
            },
            asio::detached);
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            while (finished < coroutines)
                co_await sleep_for(10ms);
            co_await db.async_close();
        },
        asio::detached);
    pgasio::test::run_on_threads(ctx, 4, 60s);
    CHECK(finished == coroutines);
    CHECK(wrong == 0);
    CHECK(served + cancelled == coroutines * rounds);
    INFO("served " << served << ", cancelled " << cancelled);
    CHECK(served > 0);
    CHECK(cancelled > 0);
    CHECK(db.stats().in_use == 0);
    CHECK(db.stats().open == 0);
}

// The pool object goes on a thread that runs none of its connections' strands, while each of
// them waits for a query's answer: the queries are answered, and their connections close once
// nothing holds them. (The tsan preset runs it.)
TEST_CASE("pool: destroyed on another thread while its connections read, it lets them finish") {
    asio::io_context ctx(4);
    auto cfg = pool_config(4, 4);
    cfg.pool.thread_safe = true;
    auto db = std::make_unique<pgasio::pool>(ctx, cfg);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] { ctx.run_for(30s); });
    for (int i = 0; i < 500 && db->stats().open < 4; ++i)
        std::this_thread::sleep_for(10ms);
    REQUIRE(db->stats().open == 4);
    constexpr int queries = 8;
    std::atomic<int> answered{0}, failed{0};
    for (int q = 0; q < queries; ++q)
        asio::co_spawn(
            asio::make_strand(ctx),
            [&, pool = db.get()]() -> asio::awaitable<void> {
                auto [ec, r] = co_await pool->async_query("SELECT pg_sleep(2)", nothrow);
                if (ec) ++failed;
                ++answered;
            },
            asio::detached);
    for (int i = 0; i < 500 && db->stats().in_use + db->stats().idle < 4; ++i)
        std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(300ms); // every query written, every connection reading
    db.reset();
    for (int i = 0; i < 500 && answered < queries; ++i)
        std::this_thread::sleep_for(10ms);
    ctx.stop();
    for (auto& t : threads)
        t.join();
    CHECK(answered == queries);
    CHECK(failed == 0);
}

TEST_CASE("pool: a lease given back inside a transaction is rolled back before anyone gets it") {
    for (const char* reset : {"", "DISCARD ALL"}) {
        INFO("reset_query: '" << reset << "'");
        run([reset](asio::any_io_executor ex) -> asio::awaitable<void> {
            auto cfg = pool_config(1, 1);
            cfg.pool.reset_query = reset;
            pgasio::pool db(ex, cfg);
            co_await db.async_execute("DROP TABLE IF EXISTS pool_rollback");
            co_await db.async_execute("CREATE TABLE pool_rollback (n int)");
            std::int32_t first_pid = 0;
            {
                auto conn = co_await db.async_acquire();
                first_pid = conn->backend_pid();
                auto tx = co_await conn->async_begin();
                co_await tx.async_execute("INSERT INTO pool_rollback VALUES (1)");
                const bool in_block = co_await has_transaction_id(tx);
                CHECK(in_block);
                // Given back with the transaction open (neither committed nor rolled back).
            }
            {
                auto conn = co_await db.async_acquire();
                CHECK(conn->backend_pid() == first_pid); // the same session, not a new one
                const bool in_block = co_await has_transaction_id(*conn);
                CHECK_FALSE(in_block);
                auto mine = co_await conn->async_query_one("SELECT count(*) FROM pool_rollback");
                CHECK(mine[0].get<std::int64_t>(0) == 0);
            }
            // The same with a transaction block opened by hand on an exclusive lease.
            {
                auto conn = co_await db.async_acquire();
                auto lease = co_await conn->async_acquire_exclusive();
                co_await lease.async_execute("BEGIN");
                co_await lease.async_execute("INSERT INTO pool_rollback VALUES (2)");
                const bool in_block = co_await has_transaction_id(lease);
                CHECK(in_block);
            }
            {
                auto conn = co_await db.async_acquire();
                CHECK(conn->backend_pid() == first_pid);
                const bool in_block = co_await has_transaction_id(*conn);
                CHECK_FALSE(in_block);
            }
            const auto committed = co_await committed_count("SELECT count(*) FROM pool_rollback");
            CHECK(committed == 0);
            CHECK(db.stats().closed_error == 0);
            co_await db.async_execute("DROP TABLE pool_rollback");
            co_await db.async_close();
        });
    }
}

TEST_CASE("pool: a DISCARD ALL reset_query clears the returned connection's statement cache") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.reset_query = "DISCARD ALL";
        pgasio::pool db(ex, cfg);
        const std::string sql = "SELECT $1::int4 + 1";
        const std::string prepared =
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1";
        std::int32_t first_pid = 0;
        {
            auto conn = co_await db.async_acquire();
            first_pid = conn->backend_pid();
            auto r = co_await conn->async_query_one(sql, 1);
            CHECK(r[0].get<std::int32_t>(0) == 2);
            auto n = co_await conn->async_query_one(prepared, sql);
            CHECK(n[0].get<std::int64_t>(0) == 1); // the cache prepared it on the server
        }
        {
            auto conn = co_await db.async_acquire();
            REQUIRE(conn->backend_pid() == first_pid);
            auto n = co_await conn->async_query_one(prepared, sql);
            CHECK(n[0].get<std::int64_t>(0) == 0); // the reset dropped it
            // Inside a transaction block a statement the server lost is not prepared again
            // behind the caller's back (26000 would reach the caller): only a cache that knows
            // it is gone prepares it first.
            auto tx = co_await conn->async_begin();
            pgasio::diagnostics diag;
            auto [ec, r] =
                co_await tx.async_query_one(sql, 41, pgasio::diagnostics_into(diag, nothrow));
            CHECK_FALSE(ec);
            INFO(diag.message);
            if (!ec) CHECK(r[0].get<std::int32_t>(0) == 42);
            co_await tx.async_commit();
            auto again = co_await conn->async_query_one(prepared, sql);
            CHECK(again[0].get<std::int64_t>(0) == 1); // prepared again
        }
        // Shared requests on the connection after the reset work too.
        auto r = co_await db.async_query_one(sql, 2);
        CHECK(r[0].get<std::int32_t>(0) == 3);
        CHECK(db.stats().closed_error == 0);
        co_await db.async_close();
    });
}

namespace {

// Terminates the backend `victim`, whose connection goes through `proxy`, while that connection
// is idle; the proxy holds the server's goodbye (and its end of the socket), so the connection
// cannot tell that its session is gone, as across a network that dropped the server's packets.
// Returns once the connection has been idle past 300 ms (a check_idle_after of the tests').
asio::awaitable<void> end_session_unnoticed(cut_proxy& proxy, std::int32_t victim) {
    proxy.stall_at(cut_proxy::direction::to_client);
    auto admin = co_await pgasio::test::connect_primary();
    co_await admin.async_query("SELECT pg_terminate_backend($1)", victim);
    for (int i = 0; i < 100; ++i) {
        auto left = co_await admin.async_query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", victim);
        if (left[0].get<std::int64_t>(0) == 0) break;
        co_await sleep_for(20ms);
    }
    co_await admin.async_close();
    co_await sleep_for(600ms);
}

} // namespace

TEST_CASE("pool: an idle connection whose session ended unnoticed is checked, not handed out") {
    // With a replacement slow to open (longer than the pool's tidy-up period), the acquire
    // waits for it as for any connection: it does not time out at once. With check_idle_after
    // zero, nothing is checked: the dead connection is handed out.
    struct variant {
        std::chrono::milliseconds check_idle_after;
        bool slow_replacement;
    };
    for (const variant v : {variant{300ms, false}, variant{300ms, true}, variant{0ms, false}}) {
        INFO("check_idle_after: " << v.check_idle_after.count()
                                  << "ms, slow replacement: " << v.slow_replacement);
        run([v](asio::any_io_executor ex) -> asio::awaitable<void> {
            const auto [check_idle_after, slow_replacement] = v;
            auto proxy = primary_proxy(ex);
            auto cfg = one_connection_through(proxy);
            // The check of a connection whose server does not answer gives up after this.
            cfg.pool.query_timeout = 1s;
            cfg.pool.check_idle_after = check_idle_after;
            pgasio::pool db(ex, cfg);
            const bool opened = co_await eventually([&] { return db.stats().open == 1; });
            REQUIRE(opened);
            const std::int32_t victim = co_await backend_pid_of(db);
            if (slow_replacement) {
                const auto password = cfg.password;
                db.set_credential_provider(
                    [password](const pgasio::config&) -> asio::awaitable<pgasio::secret_string> {
                        co_await sleep_for(1500ms);
                        co_return password;
                    });
            }
            co_await end_session_unnoticed(proxy, victim);
            CHECK(db.stats().open == 1); // nothing told the pool otherwise
            pgasio::diagnostics diag;
            auto [ec, conn] = co_await db.async_acquire(pgasio::diagnostics_into(diag, nothrow));
            INFO(diag.message);
            REQUIRE_FALSE(ec);
            if (check_idle_after.count() == 0) {
                // Handed out unchecked: the caller's first query finds the session gone.
                CHECK(db.stats().closed_error == 0);
                auto [qec, r] = co_await conn->async_query_one("SELECT pg_backend_pid()", nothrow);
                CHECK(qec);
            } else {
                auto [qec, r] = co_await conn->async_query_one("SELECT pg_backend_pid()", nothrow);
                CHECK_FALSE(qec);
                if (!qec) CHECK(r[0].get<std::int32_t>(0) != victim);
                CHECK(db.stats().closed_error == 1);
            }
            CHECK(db.stats().timeouts == 0);
            conn.release();
            co_await db.async_close();
        });
    }
}

TEST_CASE("pool: a waiter put back after a failed check leaves those behind it their own timeout") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto proxy = primary_proxy(ex);
        auto cfg = one_connection_through(proxy);
        cfg.pool.query_timeout = 1s; // the check that gets no answer gives up after this
        cfg.pool.check_idle_after = 100ms;
        cfg.pool.acquire_timeout = 2s;
        pgasio::pool db(ex, cfg);
        const bool opened = co_await eventually([&] { return db.stats().open == 1; });
        REQUIRE(opened);
        // The replacement of the connection that fails its check comes after every timeout.
        const auto password = cfg.password;
        db.set_credential_provider(
            [password](const pgasio::config&) -> asio::awaitable<pgasio::secret_string> {
                co_await sleep_for(5s);
                co_return password;
            });
        co_await sleep_for(300ms);                       // idle past check_idle_after
        proxy.stall_at(cut_proxy::direction::to_client); // the check gets no answer
        proxy.keep_latest(); // (its cancel's session must not take the stall's place)
        std::optional<pgasio::error_code> first;
        std::optional<pgasio::error_code> second;
        std::chrono::steady_clock::duration second_waited{};
        // Served at once, by the connection due for its check; back in line (first) after it.
        db.async_acquire([&](pgasio::error_code ec, pgasio::pooled_connection) { first = ec; });
        co_await sleep_for(100ms);
        const auto asked = std::chrono::steady_clock::now();
        db.async_acquire([&](pgasio::error_code ec, pgasio::pooled_connection) {
            second = ec;
            second_waited = std::chrono::steady_clock::now() - asked;
        });
        const bool both = co_await eventually([&] { return first && second; }, 10s);
        REQUIRE(both);
        CHECK(*first == client_errc::pool_timeout);
        CHECK(*second == client_errc::pool_timeout);
        // Its own 2 s, not those of the waiter put back ahead of it, whose wait started when
        // its check failed, about a second later.
        CHECK(second_waited >= 2s);
        CHECK(second_waited < 2800ms);
        CHECK(db.stats().acquires == 0); // the first was granted a connection that failed
        co_await db.async_close(100ms);
    });
}

TEST_CASE("pool: acquire_timeout bounds an acquire whose idle connection's check gets no answer") {
    // An idle connection due for its check, whose server stops answering: the check runs until
    // query_timeout (5 s). The acquire fails at its own acquire_timeout, counted from when it
    // was asked for, whatever the pool does meanwhile.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto proxy = primary_proxy(ex);
        auto cfg = one_connection_through(proxy);
        cfg.pool.query_timeout = 5s;
        cfg.pool.check_idle_after = 100ms;
        cfg.pool.acquire_timeout = 500ms;
        pgasio::pool db(ex, cfg);
        const bool opened = co_await eventually([&] { return db.stats().open == 1; });
        REQUIRE(opened);
        co_await sleep_for(300ms);                       // idle past check_idle_after
        proxy.stall_at(cut_proxy::direction::to_client); // the check gets no answer
        proxy.keep_latest();
        pgasio::diagnostics diag;
        const auto asked = std::chrono::steady_clock::now();
        auto [ec, none] = co_await db.async_acquire(pgasio::diagnostics_into(diag, nothrow));
        const auto waited = std::chrono::steady_clock::now() - asked;
        CHECK(ec == client_errc::pool_timeout);
        CHECK_FALSE(none.valid());
        CHECK(waited >= 500ms);
        CHECK(waited < 1500ms);
        CHECK_THAT(diag.message, Catch::Contains("waited 500ms for a connection") &&
                                     Catch::Contains("the check of an idle connection"));
        CHECK(db.stats().timeouts == 1);
        CHECK(db.stats().acquires == 0);
        // The check answered at last, the connection is the pool's again: the next caller
        // gets it.
        proxy.release();
        auto conn = co_await db.async_acquire();
        auto r = co_await conn->async_query_one("SELECT 1");
        CHECK(r[0].get<std::int32_t>(0) == 1);
        CHECK(db.stats().acquires == 1);
        conn.release();
        co_await db.async_close();
    });
}

TEST_CASE("pool: an acquire stays cancellable while its idle connection is checked, and after") {
    // During the check: the server does not answer it for query_timeout. After it: the check
    // failed, and the acquire waits in line again, for a replacement slow to open.
    struct variant {
        std::chrono::milliseconds query_timeout;
        bool slow_replacement;
        std::chrono::milliseconds cancel_after;
    };
    for (const variant v : {variant{3s, false, 300ms}, variant{300ms, true, 1s}}) {
        INFO("query_timeout: " << v.query_timeout.count()
                               << "ms, slow replacement: " << v.slow_replacement);
        run([v](asio::any_io_executor ex) -> asio::awaitable<void> {
            auto proxy = primary_proxy(ex);
            auto cfg = one_connection_through(proxy);
            cfg.pool.query_timeout = v.query_timeout;
            cfg.pool.check_idle_after = 300ms;
            pgasio::pool db(ex, cfg);
            const bool opened = co_await eventually([&] { return db.stats().open == 1; });
            REQUIRE(opened);
            const std::int32_t victim = co_await backend_pid_of(db);
            if (v.slow_replacement) {
                const auto password = cfg.password;
                db.set_credential_provider(
                    [password](const pgasio::config&) -> asio::awaitable<pgasio::secret_string> {
                        co_await sleep_for(3s);
                        co_return password;
                    });
            }
            co_await end_session_unnoticed(proxy, victim);
            asio::cancellation_signal stop;
            // Shared: a failed check below must not leave the answer nowhere to go.
            auto got = std::make_shared<std::optional<pgasio::error_code>>();
            const auto start = std::chrono::steady_clock::now();
            db.async_acquire(asio::bind_cancellation_slot(
                stop.slot(),
                [got](pgasio::error_code ec, pgasio::pooled_connection) { *got = ec; }));
            co_await sleep_for(v.cancel_after);
            CHECK_FALSE(got->has_value());
            stop.emit(asio::cancellation_type::terminal);
            const bool answered = co_await eventually([&] { return got->has_value(); }, 1s);
            REQUIRE(answered);
            CHECK(**got == asio::error::operation_aborted);
            CHECK(std::chrono::steady_clock::now() - start < v.cancel_after + 1s);
            // Nothing of the pool is lost: the next acquire gets a working connection.
            auto conn = co_await db.async_acquire();
            auto r = co_await conn->async_query_one("SELECT pg_backend_pid()");
            CHECK(r[0].get<std::int32_t>(0) != victim);
            CHECK(db.stats().in_use == 1);
            CHECK(db.stats().acquires == 1); // the cancelled one never got its lease
            conn.release();
            co_await db.async_close();
        });
    }
}

TEST_CASE("pool: at most max_connecting connections are opened at once, and failed ones back off") {
    using asio::ip::tcp;
    // A server that accepts connections and never answers: each attempt stays open until
    // connect_timeout ends it.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        tcp::acceptor silent(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        const auto port = silent.local_endpoint().port();
        struct counts {
            std::size_t accepted = 0;
            std::size_t pending = 0;
            std::size_t most_pending = 0;
        };
        auto c = std::make_shared<counts>();
        asio::co_spawn(
            ex,
            [&silent, c, ex]() -> asio::awaitable<void> {
                for (;;) {
                    auto s = std::make_shared<tcp::socket>(ex);
                    auto [ec] = co_await silent.async_accept(*s, nothrow);
                    if (ec) co_return;
                    ++c->accepted;
                    c->most_pending = std::max(c->most_pending, ++c->pending);
                    // Held (unanswered) until the client gives up and closes it.
                    asio::co_spawn(
                        ex,
                        [s, c]() -> asio::awaitable<void> {
                            char sink[512];
                            for (;;) {
                                auto [rec, n] =
                                    co_await s->async_read_some(asio::buffer(sink), nothrow);
                                if (rec) break;
                            }
                            --c->pending;
                        },
                        asio::detached);
                }
            },
            asio::detached);
        auto cfg = pgasio::test::user_config(
            "SCRAM", "PRIMARY",
            "sslmode=disable connect_timeout=1 host=127.0.0.1 port=" + std::to_string(port));
        cfg.pool.min_connections = 6;
        cfg.pool.max_connections = 6;
        cfg.pool.max_connecting = 2;
        pgasio::pool db(ex, cfg);
        std::size_t most_opening = 0;
        for (int i = 0; i < 350; ++i) {
            most_opening = std::max(most_opening, db.stats().opening);
            co_await sleep_for(10ms);
        }
        CHECK(most_opening == 2);
        CHECK(c->most_pending == 2);
        // Rounds of two attempts, each a second long, with a pause growing between rounds:
        // three or four rounds in 3.5 s.
        CHECK(c->accepted >= 4);
        CHECK(c->accepted <= 8);
        CHECK(db.stats().open == 0);
        silent.close();
        co_await db.async_close();
    });
    // Nothing listens: each attempt fails at once, and the next ones wait longer and longer
    // (with jitter) instead of trying again in a loop.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        unsigned short port = 0;
        {
            tcp::acceptor probe(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
            port = probe.local_endpoint().port();
        }
        auto cfg = pgasio::test::user_config(
            "SCRAM", "PRIMARY", "sslmode=disable host=127.0.0.1 port=" + std::to_string(port));
        cfg.pool.min_connections = 4;
        cfg.pool.max_connections = 4;
        cfg.pool.max_connecting = 2;
        pgasio::pool db(ex, cfg);
        std::size_t most_opening = 0;
        std::vector<std::uint64_t> failures_at; // the failure count every 10 ms
        for (int i = 0; i < 200; ++i) {
            const auto s = db.stats();
            most_opening = std::max(most_opening, s.opening);
            failures_at.push_back(s.connect_failures);
            co_await sleep_for(10ms);
        }
        const auto failures = db.stats().connect_failures;
        CHECK(most_opening <= 2);
        // Pauses of 50-100 ms, then 200-400, 800-1600... after each round of two attempts: a
        // handful in two seconds (a loop would make thousands).
        CHECK(failures >= 4);
        CHECK(failures <= 10);
        // In rounds: the count went up in a few of the 10 ms samples, not in each.
        std::size_t rises = 0;
        for (std::size_t i = 1; i < failures_at.size(); ++i)
            rises += failures_at[i] > failures_at[i - 1] ? 1U : 0U;
        CHECK(rises <= 6);
        CHECK(db.stats().open == 0);
        co_await db.async_close();
    });
}

TEST_CASE(
    "pool: the pauses between failed connection attempts are jittered, not the bare doubling") {
    // Several pools, each with its own server that fails every attempt, give enough pauses that
    // a pool whose draws all fell near the top is no failure.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        constexpr std::size_t pools = 8;
        constexpr std::size_t gaps = 3; // the pauses of 50-100, 100-200 and 200-400 ms
        pgasio::test::closing_servers servers(ex, pools);
        std::vector<std::unique_ptr<pgasio::pool>> dbs;
        for (std::size_t p = 0; p < pools; ++p) {
            auto cfg = pgasio::test::user_config("SCRAM", "PRIMARY",
                                                 "sslmode=disable connect_timeout=2 "
                                                 "host=127.0.0.1 port=" +
                                                     std::to_string(servers.port(p)));
            cfg.pool.min_connections = 1;
            cfg.pool.max_connections = 1;
            cfg.pool.max_connecting = 1;
            dbs.push_back(std::make_unique<pgasio::pool>(ex, cfg));
        }
        const bool attempted = co_await servers.async_wait_for_attempts(gaps, 5s);
        for (auto& db : dbs)
            co_await db->async_close();
        servers.close();
        REQUIRE(attempted);
        servers.check_jittered_backoff(gaps, "pool");
    });
}

TEST_CASE("pool: waiters are served in the order they came") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(1, 1));
        const bool opened = co_await eventually([&] { return db.stats().open == 1; });
        REQUIRE(opened);
        auto held = co_await db.async_acquire();
        std::string order;
        auto wait_as = [&](char name) {
            db.async_acquire([&, name](pgasio::error_code ec, pgasio::pooled_connection) {
                order += ec ? '!' : name;
                // Given back at once (the handle goes here): the next in line gets it.
            });
        };
        wait_as('A');
        wait_as('B');
        wait_as('C');
        co_await sleep_for(50ms);
        CHECK(db.stats().waiting == 3);
        held.release();
        wait_as('D'); // arrives after them: behind them, although the connection is back
        const bool all = co_await eventually([&] { return order.size() == 4; });
        CHECK(all);
        CHECK(order == "ABCD");
        CHECK(db.stats().waited == 4);
        co_await db.async_close();
    });
}

TEST_CASE("pool: connections do not all reach max_lifetime after the same time") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(0, 8);
        cfg.pool.max_lifetime = 3s;
        using clock = std::chrono::steady_clock;
        pgasio::pool db(ex, cfg);
        // Eight connections, each opened for an acquire (none is idle): when the acquire
        // completes is when it opened, give or take a few milliseconds.
        std::map<std::int32_t, clock::time_point> opened;
        {
            std::vector<pgasio::pooled_connection> leases;
            for (int i = 0; i < 8; ++i) {
                leases.push_back(co_await db.async_acquire());
                opened[leases.back()->backend_pid()] = clock::now();
            }
        }
        REQUIRE(opened.size() == 8);
        CHECK(db.stats().connects == 8);
        // Every idle connection is leased and given back every 20 ms: one past its lifetime is
        // closed as it comes back, so a connection missing from a round had expired by then.
        std::map<std::int32_t, std::chrono::duration<double>> lifetimes;
        const auto start = clock::now();
        while (clock::now() - start < 5s && lifetimes.size() < 8) {
            std::vector<pgasio::pooled_connection> leases;
            std::set<std::int32_t> now_open;
            const auto idle = db.stats().idle;
            for (std::size_t i = 0; i < idle; ++i) {
                leases.push_back(co_await db.async_acquire());
                now_open.insert(leases.back()->backend_pid());
            }
            const auto now = clock::now();
            for (const auto& [pid, at] : opened)
                if (!now_open.count(pid) && !lifetimes.count(pid)) lifetimes[pid] = now - at;
            leases.clear();
            co_await sleep_for(20ms);
        }
        REQUIRE(lifetimes.size() == 8);
        auto shortest = lifetimes.begin()->second;
        auto longest = shortest;
        for (const auto& [pid, lived] : lifetimes) {
            shortest = std::min(shortest, lived);
            longest = std::max(longest, lived);
        }
        INFO("lifetimes from " << shortest.count() << " s to " << longest.count() << " s");
        // max_lifetime ± 10% (with some slack for the rounds).
        CHECK(shortest.count() >= 2.7 - 0.05);
        CHECK(longest.count() <= 3.3 + 0.3);
        // Not all the same: spread by the jitter (without it, all within a round or two).
        CHECK((longest - shortest).count() > 0.15);
        co_await db.async_close();
    });
}
TEST_CASE("pool: async_query_as gives typed rows through the pool") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // No connection yet: the first request waits for one (its parameters copied).
        pgasio::pool db(ex, pool_config(0, 1));
        auto rows = co_await db.async_query_as<numbered_word>(
            "SELECT n, 'w' || n AS word FROM generate_series(1, $1::int4) n ORDER BY n", 3);
        REQUIRE(rows.size() == 3);
        CHECK(rows[0].n == 1);
        CHECK(rows[2].n == 3);
        CHECK(rows[2].word == "w3");
        CHECK(db.stats().waited == 1);
        auto tuples =
            co_await db.async_query_as<std::tuple<std::int32_t, std::string>>("SELECT 7, 'seven'");
        REQUIRE(tuples.size() == 1);
        CHECK(std::get<0>(tuples[0]) == 7);
        CHECK(std::get<1>(tuples[0]) == "seven");
        // Columns that do not fit the type: an error, and the pool goes on.
        auto [ec, bad] =
            co_await db.async_query_as<numbered_word>("SELECT 'x'::text AS n, 1 AS word", nothrow);
        CHECK(ec);
        CHECK(bad.empty());
        auto again = co_await db.async_query_as<numbered_word>("SELECT 5 AS n, 'five' AS word");
        REQUIRE(again.size() == 1);
        CHECK(again[0].word == "five");
        co_await db.async_close();
    });
}

TEST_CASE("pool: async_close fails what is still in flight at its deadline, and completes") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::pool db(ex, pool_config(2, 2));
        const bool opened = co_await eventually([&] { return db.stats().open == 2; });
        REQUIRE(opened);
        pgasio::error_code shared_ec = asio::error::would_block;
        pgasio::diagnostics shared_diag;
        db.async_query(
            "SELECT pg_sleep(10)",
            pgasio::diagnostics_into(
                shared_diag, [&](pgasio::error_code ec, pgasio::result) { shared_ec = ec; }));
        auto held = co_await db.async_acquire();
        pgasio::error_code leased_ec = asio::error::would_block;
        held->async_query("SELECT pg_sleep(10)",
                          [&](pgasio::error_code ec, pgasio::result) { leased_ec = ec; });
        const bool busy = co_await eventually([&] { return db.stats().idle == 0; });
        REQUIRE(busy);
        const auto start = std::chrono::steady_clock::now();
        co_await db.async_close(300ms);
        const auto took = std::chrono::steady_clock::now() - start;
        CHECK(took >= 300ms);
        CHECK(took < 8s); // not waiting for the 10 s statements
        const bool answered = co_await eventually([&] {
            return shared_ec != asio::error::would_block && leased_ec != asio::error::would_block;
        });
        REQUIRE(answered);
        CHECK(shared_ec == client_errc::pool_closed);
        CHECK(leased_ec == client_errc::pool_closed);
        CHECK_THAT(shared_diag.message, Catch::Contains("async_close's deadline (300ms)"));
        CHECK_FALSE(held->is_open());
        held.release(); // after the close: nothing to give back to
        CHECK(db.stats().open == 0);
    });
}

TEST_CASE("pool: the acquire-wait histogram counts the waits that got a connection") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = pool_config(1, 1);
        cfg.pool.acquire_timeout = 400ms;
        pgasio::pool db(ex, cfg);
        const bool opened = co_await eventually([&] { return db.stats().open == 1; });
        REQUIRE(opened);
        auto held = co_await db.async_acquire();
        const auto before = db.stats();
        CHECK(before.waited == 0);
        CHECK(std::accumulate(before.wait_histogram.begin(), before.wait_histogram.end(),
                              std::uint64_t{0}) == 0);
        int served = 0;
        for (int i = 0; i < 3; ++i)
            db.async_acquire([&](pgasio::error_code ec, pgasio::pooled_connection) {
                if (!ec) ++served;
            });
        co_await sleep_for(100ms); // each of them waits at least this long
        held.release();
        const bool all = co_await eventually([&] { return served == 3; });
        REQUIRE(all);
        // One more that gives up: counted as a wait and a timeout, not in the histogram.
        held = co_await db.async_acquire();
        auto [ec, none] = co_await db.async_acquire(nothrow);
        CHECK(ec == client_errc::pool_timeout);
        held.release();
        const auto s = db.stats();
        CHECK(s.waited == 4);
        CHECK(s.timeouts == 1);
        CHECK(std::accumulate(s.wait_histogram.begin(), s.wait_histogram.end(), std::uint64_t{0}) ==
              3);
        // Waits of 100 ms or more: none in the buckets up to 10 ms.
        CHECK(s.wait_histogram[0] + s.wait_histogram[1] + s.wait_histogram[2] == 0);
        co_await db.async_close();
    });
}

TEST_CASE("pool: destroying a pool while it opens connections leaves nothing dangling") {
    // The opening goes on after the pool is gone (its credential provider still waiting): it
    // must find the pool's state alive, see that it closed, and drop the connection.
    asio::io_context ctx;
    bool asked = false;
    {
        auto cfg = pool_config(1, 1);
        const auto password = cfg.password;
        pgasio::pool db(ctx, cfg);
        db.set_credential_provider(
            [&asked, password](const pgasio::config&) -> asio::awaitable<pgasio::secret_string> {
                asked = true;
                co_await sleep_for(200ms);
                co_return password;
            });
        ctx.run_for(50ms);
    }
    ctx.run_for(1s);
    CHECK(asked);
}
