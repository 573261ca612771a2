// Faults against the real servers, driven by the backend's process ID (pg_backend_pid,
// pg_terminate_backend, kill(2)), never by a process name. Each scenario checks what the caller
// saw (the error, and how soon), that nothing waits past its deadline, and that the connection
// (reconnected) or a new one works afterwards with nothing of the old session leaking into it.
//
// Two kinds of scenario. Those that touch only the test's own backends ([faults]) run against
// the shared servers, alongside the other tests. Those that take the whole server down or
// freeze it ([server_faults]: a SIGKILLed backend makes the postmaster end every session and
// run crash recovery; a frozen postmaster stalls every connection attempt) would break every
// other test running at the time: they are hidden from a plain run of the test program (the
// '.' of their tag) and ctest runs them against a setup of their own (tests/CMakeLists.txt:
// the pg_faults fixture).
#include <pgasio/batch.hpp>
#include <pgasio/batch_results.hpp>
#include <pgasio/connection.hpp>

#include "support/connect.hpp"
#include "support/pg_env.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <signal.h>
#include <unistd.h>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pgasio::client_errc;
using pgasio::test::pg_setting;
using pgasio::test::run;
using pgasio::test::sleep_for;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);
using clock_type = std::chrono::steady_clock;

// The three ways to the primary: TCP, TLS, the unix socket.
pgasio::config tcp_config() {
    return pgasio::test::test_config("sslmode=disable connect_timeout=5");
}
pgasio::config tls_config() {
    return pgasio::test::test_config("sslmode=require connect_timeout=5");
}
pgasio::config unix_config() {
    auto cfg = pgasio::config::parse(
        "host=" + pg_setting("PGASIO_TEST_SOCKET_DIR") +
            " port=" + pg_setting("PGASIO_TEST_PRIMARY_PORT") + " dbname=" +
            pg_setting("PGASIO_TEST_DATABASE") + " user=" + pg_setting("PGASIO_TEST_SCRAM_USER") +
            " password='" + pg_setting("PGASIO_TEST_SCRAM_PASSWORD") + "' connect_timeout=5",
        [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
    REQUIRE(cfg.has_value());
    return *cfg;
}

// Waits (polling every 5 ms) until `done()` or `limit` passed; true when done.
template <class Done>
asio::awaitable<bool> wait_until(Done done, clock_type::duration limit) {
    const auto until = clock_type::now() + limit;
    while (!done()) {
        if (clock_type::now() > until) co_return false;
        co_await sleep_for(5ms);
    }
    co_return true;
}

// A process stopped with SIGSTOP, continued when this goes out of scope whatever happens (a
// failed check must not leave a server frozen).
class frozen_process {
public:
    explicit frozen_process(pid_t pid)
        : pid_(pid) {
        REQUIRE(::kill(pid_, SIGSTOP) == 0);
    }
    ~frozen_process() { thaw(); }
    frozen_process(const frozen_process&) = delete;
    frozen_process& operator=(const frozen_process&) = delete;
    void thaw() {
        if (pid_ != 0) ::kill(pid_, SIGCONT);
        pid_ = 0;
    }

private:
    pid_t pid_;
};

// The parent of a backend: the postmaster (from /proc/<pid>/stat: "pid (comm) state ppid ...").
pid_t parent_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    REQUIRE(close != std::string::npos);
    char state = 0;
    int ppid = 0;
    REQUIRE(std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2);
    return ppid;
}

// Connects `conn` with `cfg`, again and again until the server accepts (after a crash, the
// postmaster refuses sessions with 57P03 until recovery ends), for up to `limit`.
asio::awaitable<pgasio::error_code> connect_when_ready(pgasio::connection& conn,
                                                       const pgasio::config& cfg,
                                                       clock_type::duration limit = 60s) {
    const auto until = clock_type::now() + limit;
    for (;;) {
        auto [ec] = co_await conn.async_connect(cfg, nothrow);
        if (!ec || clock_type::now() > until) co_return ec;
        co_await sleep_for(100ms);
    }
}

// pg_terminate_backend with many requests in flight: every caller gets a fatal error at once,
// and the same object connects again to a clean session.
asio::awaitable<void> terminate_in_flight(pgasio::config cfg) {
    auto ex = co_await asio::this_coro::executor;
    pgasio::connection victim(ex);
    co_await victim.async_connect(cfg);
    auto admin = co_await pgasio::test::connect_primary();
    const auto old_pid = victim.backend_pid();

    constexpr int n = 50;
    std::vector<std::optional<pgasio::error_code>> errors(n);
    std::vector<clock_type::time_point> answered(n);
    int done = 0;
    for (int i = 0; i < n; ++i) {
        asio::co_spawn(
            ex,
            [&, i]() -> asio::awaitable<void> {
                // The first holds the backend; the rest wait behind it, some of them errors
                // that must never reach a later session.
                pgasio::error_code ec;
                if (i == 0)
                    std::tie(ec, std::ignore) = co_await victim.async_query(
                        "SELECT pg_sleep(30) /* terminated */", nothrow);
                else if (i % 7 == 0)
                    std::tie(ec, std::ignore) = co_await victim.async_query("SELECT 1/0", nothrow);
                else
                    std::tie(ec, std::ignore) =
                        co_await victim.async_query("SELECT $1::int4", i, nothrow);
                errors[static_cast<std::size_t>(i)] = ec;
                answered[static_cast<std::size_t>(i)] = clock_type::now();
                ++done;
            },
            asio::detached);
    }
    // Until the server runs the sleep: everything else is written behind it.
    bool running = false;
    for (const auto until = clock_type::now() + 10s; !running && clock_type::now() < until;) {
        auto r = co_await admin.async_query(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", old_pid);
        running = r[0].get<std::int64_t>(0) == 1;
        if (!running) co_await sleep_for(10ms);
    }
    REQUIRE(running);
    CHECK(done == 0);

    co_await admin.async_query("SELECT pg_terminate_backend($1)", old_pid);
    const auto terminated = clock_type::now();
    const bool all_failed = co_await wait_until([&] { return done == n; }, 10s);
    REQUIRE(all_failed);
    for (int i = 0; i < n; ++i) {
        const auto& ec = errors[static_cast<std::size_t>(i)];
        INFO("request " << i << ": " << ec->message());
        // The server's reason (57P01 admin_shutdown) for every one of them, at once.
        CHECK(*ec == pgasio::sqlstate::admin_shutdown);
        CHECK(pgasio::is_fatal(*ec));
        CHECK(answered[static_cast<std::size_t>(i)] - terminated < 2s);
    }
    CHECK(!victim.is_open());
    auto [closed_ec, closed_r] = co_await victim.async_query("SELECT 1", nothrow);
    CHECK(closed_ec == client_errc::not_connected);

    // The same object, a new session: its answers are its own, nothing of the old one's.
    co_await victim.async_connect(cfg);
    CHECK(victim.is_open());
    CHECK(victim.backend_pid() != old_pid);
    std::vector<std::optional<int>> values(n);
    std::vector<pgasio::error_code> after(n);
    done = 0;
    for (int i = 0; i < n; ++i)
        asio::co_spawn(
            ex,
            [&, i]() -> asio::awaitable<void> {
                auto [ec, r] = co_await victim.async_query("SELECT $1::int4", 1000 + i, nothrow);
                after[static_cast<std::size_t>(i)] = ec;
                if (!ec) values[static_cast<std::size_t>(i)] = r[0].get<std::int32_t>(0);
                ++done;
            },
            asio::detached);
    const bool all_answered = co_await wait_until([&] { return done == n; }, 10s);
    REQUIRE(all_answered);
    for (int i = 0; i < n; ++i) {
        INFO("request " << i << " of the new session: " << after[static_cast<std::size_t>(i)]);
        CHECK(!after[static_cast<std::size_t>(i)]);
        CHECK(values[static_cast<std::size_t>(i)] == 1000 + i);
    }
    // The session is new on the server too: nothing of the old one left running.
    auto old =
        co_await admin.async_query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", old_pid);
    CHECK(old[0].get<std::int64_t>(0) == 0);
    co_await victim.async_close();
    co_await admin.async_close();
}

} // namespace

TEST_CASE("faults: pg_terminate_backend with 50 requests in flight, over TCP", "[faults]") {
    run([](asio::any_io_executor) { return terminate_in_flight(tcp_config()); });
}

TEST_CASE("faults: pg_terminate_backend with 50 requests in flight, over TLS", "[faults]") {
    run([](asio::any_io_executor) { return terminate_in_flight(tls_config()); });
}

TEST_CASE("faults: pg_terminate_backend with 50 requests in flight, over the unix socket",
          "[faults]") {
    run([](asio::any_io_executor) { return terminate_in_flight(unix_config()); });
}

TEST_CASE("faults: the backend frozen past a query timeout", "[faults]") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await pgasio::test::connect_primary();
        std::optional<frozen_process> frozen;
        frozen.emplace(conn.backend_pid());
        const auto start = clock_type::now();
        auto [ec, r] =
            co_await conn.async_query("SELECT 41 + 1", pgasio::with_timeout(300ms, nothrow));
        const auto took = clock_type::now() - start;
        CHECK(ec == client_errc::query_timeout);
        CHECK(took >= 300ms);
        CHECK(took < 3s);
        // What a pool trusts: a timed-out query leaves a connection that takes the next
        // request (answered once the backend runs again).
        CHECK(conn.is_open());
        CHECK(!pgasio::is_fatal(ec));
        frozen->thaw();
        auto after = co_await conn.async_query("SELECT $1::int4", 7, pgasio::with_timeout(10s));
        CHECK(after[0].get<std::int32_t>(0) == 7);
        co_await conn.async_close();
    });
}

namespace {

// One query of a cancellation storm, and what its caller saw.
struct storm_query {
    bool timed = false;
    pgasio::error_code ec;
    std::optional<std::int32_t> value;
    std::optional<std::int64_t> ran_as; // a sequence's value: when it ran, among the others
};

// 1,000 pipelined queries on `conn`, half of them with a timeout of 1 to 12 ms, so that it
// strikes them before they are written, while the server runs them, or just as they finish;
// the statements take 0 to 3 ms, so that the cancels land on them, on their neighbours ahead
// and behind, or on nothing. Submitted in bursts, so that the pipeline holds a few dozen.
asio::awaitable<std::vector<storm_query>> cancellation_storm(pgasio::connection& conn,
                                                             unsigned seed) {
    auto ex = co_await asio::this_coro::executor;
    co_await conn.async_execute("CREATE TEMPORARY SEQUENCE IF NOT EXISTS fault_storm_order");
    std::mt19937 rng(seed);
    constexpr int n = 1000;
    std::vector<storm_query> out(n);
    int done = 0;
    for (int i = 0; i < n; ++i) {
        out[static_cast<std::size_t>(i)].timed = rng() % 2 == 0;
        const double sleep = static_cast<double>(rng() % 4) / 1000.0;
        const auto timeout = std::chrono::milliseconds(1 + rng() % 12);
        asio::co_spawn(
            ex,
            [&, i, sleep, timeout]() -> asio::awaitable<void> {
                auto& me = out[static_cast<std::size_t>(i)];
                const char* sql =
                    "SELECT $1::int4, nextval('fault_storm_order') FROM pg_sleep($2::float8)";
                pgasio::result r;
                if (me.timed)
                    std::tie(me.ec, r) = co_await conn.async_query(
                        sql, i, sleep, pgasio::with_timeout(timeout, nothrow));
                else
                    std::tie(me.ec, r) = co_await conn.async_query(sql, i, sleep, nothrow);
                if (!me.ec) {
                    me.value = r[0].get<std::int32_t>(0);
                    me.ran_as = r[0].get<std::int64_t>(1);
                }
                ++done;
            },
            asio::detached);
        if (i % 25 == 24) co_await sleep_for(std::chrono::milliseconds(rng() % 12));
    }
    const bool storm_over = co_await wait_until([&] { return done == n; }, 40s);
    REQUIRE(storm_over);
    co_return out;
}

unsigned storm_seed() {
    return Catch::rngSeed() != 0 ? Catch::rngSeed() : std::random_device{}();
}

} // namespace

TEST_CASE("faults: a cancellation storm: 1,000 pipelined queries, half timed out at random",
          "[faults]") {
    const unsigned seed = storm_seed();
    CAPTURE(seed); // --rng-seed <seed> runs the same storm again
    run([seed](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await pgasio::test::connect_primary();
        const auto out = co_await cancellation_storm(conn, seed);
        int timed_out = 0;
        for (std::size_t i = 0; i < out.size(); ++i) {
            const auto& o = out[i];
            INFO("query " << i << (o.timed ? " (timed)" : "") << ": " << o.ec.message());
            // No one fails with 57014 unless its own caller cancelled it (the engine answers
            // those with query_timeout itself); everyone else gets its own answer.
            CHECK(o.ec != pgasio::sqlstate::query_canceled);
            if (o.ec) {
                CHECK(o.timed);
                CHECK(o.ec == client_errc::query_timeout);
                ++timed_out;
            } else {
                CHECK(o.value == static_cast<std::int32_t>(i));
            }
        }
        CHECK(timed_out > 0);
        CHECK(conn.is_open());
        auto after = co_await conn.async_query("SELECT $1::int4", 12345);
        CHECK(after[0].get<std::int32_t>(0) == 12345);
        co_await conn.async_close();
    });
}

namespace {

// One statement of the batch storm: what it got, and its place in the order the server ran the
// storm's statements.
struct batch_statement {
    pgasio::statement_outcome outcome;
    std::optional<std::int64_t> ran_as;
};

// Independent batches of four statements among single queries timed out at random, all
// pipelined on `conn`: the single queries' cancels land on the batches' statements too.
asio::awaitable<std::vector<std::vector<batch_statement>>> batch_storm(pgasio::connection& conn,
                                                                       unsigned seed) {
    auto ex = co_await asio::this_coro::executor;
    co_await conn.async_execute("CREATE TEMPORARY SEQUENCE IF NOT EXISTS fault_batch_order");
    const char* sql = "SELECT $1::int4, nextval('fault_batch_order') FROM pg_sleep($2::float8)";
    std::mt19937 rng(seed);
    constexpr int n = 600;
    std::vector<std::vector<batch_statement>> batches;
    batches.reserve(n);
    int done = 0;
    for (int i = 0; i < n; ++i) {
        const double sleep = static_cast<double>(rng() % 3) / 1000.0;
        if (i % 3 != 0) {
            const auto timeout = std::chrono::milliseconds(1 + rng() % 12);
            asio::co_spawn(
                ex,
                [&, i, sleep, timeout]() -> asio::awaitable<void> {
                    // Its answer is the other storm test's business; here it only cancels.
                    co_await conn.async_query(sql, i, sleep,
                                              pgasio::with_timeout(timeout, nothrow));
                    ++done;
                },
                asio::detached);
        } else {
            pgasio::batch b(pgasio::batch_mode::independent);
            for (int k = 0; k < 4; ++k)
                REQUIRE_FALSE(b.add(sql, 4 * i + k, static_cast<double>(rng() % 2) / 1000.0));
            auto& out = batches.emplace_back(4);
            asio::co_spawn(
                ex,
                [&, b = std::move(b)]() mutable -> asio::awaitable<void> {
                    auto [ec, results] = co_await conn.async_execute_batch(std::move(b), nothrow);
                    CHECK_FALSE(ec);
                    for (std::size_t k = 0; k < results.size() && k < out.size(); ++k) {
                        out[k].outcome = results[k];
                        if (results[k].ok())
                            out[k].ran_as = results[k].rows[0].get<std::int64_t>(1);
                    }
                    ++done;
                },
                asio::detached);
        }
        if (i % 25 == 24) co_await sleep_for(std::chrono::milliseconds(rng() % 12));
    }
    const bool storm_over = co_await wait_until([&] { return done == n; }, 40s);
    REQUIRE(storm_over);
    co_return batches;
}

} // namespace

// A CancelRequest lands on whatever statement the backend runs when it arrives: when the
// cancelled one has just finished, on the next one. That one had no effect and is sent again,
// unseen by its caller, but behind every request already written after it; for a statement of
// an independent batch, a later statement of the same batch may be among those. Requests of
// different callers have no order between them; the statements of one batch do: such a
// statement fails instead, saying why, and the batch's other statements run in order.
TEST_CASE("faults: an independent batch keeps its statements in order through a cancellation "
          "storm",
          "[faults]") {
    const unsigned seed = storm_seed();
    CAPTURE(seed);
    run([seed](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await pgasio::test::connect_primary();
        // A storm may pass without a cancel landing on a batch's statement ahead of another
        // of the same batch: a few storms make one likely, and the test checks that one came.
        int stopped = 0;
        for (unsigned storm = 0; storm < 6 && stopped == 0; ++storm) {
            const auto batches = co_await batch_storm(conn, seed + storm);
            for (std::size_t b = 0; b < batches.size(); ++b) {
                std::optional<std::int64_t> last;
                for (std::size_t k = 0; k < batches[b].size(); ++k) {
                    const auto& st = batches[b][k];
                    INFO("storm " << storm << ", batch " << b << ", statement " << k << ": "
                                  << st.outcome.error.message());
                    if (st.ran_as) {
                        // In the order of the batch.
                        CHECK((!last || *last < *st.ran_as));
                        last = st.ran_as;
                        continue;
                    }
                    // Failed only because another request's cancel stopped it, and says so.
                    CHECK(st.outcome.error == pgasio::sqlstate::query_canceled);
                    REQUIRE(st.outcome.diag);
                    CHECK_THAT(st.outcome.diag->detail,
                               Catch::Matchers::Contains("meant for another request"));
                    ++stopped;
                }
            }
        }
        CHECK(stopped > 0);
        CHECK(conn.is_open());
        co_await conn.async_close();
    });
}

namespace {

// How the durability scenario kills a backend (given its process ID).
using killer = std::function<asio::awaitable<void>(std::int32_t pid)>;

// What the writers of the durability scenario were told.
struct ledger {
    std::set<std::int64_t> acknowledged;   // inserted or committed: must be there
    std::set<std::int64_t> must_be_absent; // their COMMIT failed (not in doubt), or never ran
    std::set<std::int64_t> in_doubt;       // commit_in_doubt: either way
    int commits = 0;
    int failed_commits = 0;
    int kills = 0;
};

// Pipelined autocommit INSERTs (eight coroutines on one connection) and transactions (on
// another) while `kill` strikes their backends at random for `length`; then every acknowledged
// row must be there, and every row of a transaction whose COMMIT failed other than in doubt
// must not. synchronous_commit is on for these sessions: an acknowledged commit is in the WAL.
asio::awaitable<ledger> durability(killer kill, int max_kills, clock_type::duration length) {
    auto ex = co_await asio::this_coro::executor;
    const auto cfg = pgasio::test::test_config(
        "sslmode=disable connect_timeout=5 options='-c synchronous_commit=on'");
    const std::string table =
        fmt::format("fault_durable_{}_{}", ::getpid(), std::random_device{}());
    {
        pgasio::connection setup(ex);
        co_await setup.async_connect(cfg);
        co_await setup.async_execute("CREATE TABLE " + table + " (id int8 PRIMARY KEY)");
        co_await setup.async_close();
    }
    const std::string insert = "INSERT INTO " + table + " (id) VALUES ($1)";
    ledger book;
    std::int64_t next_id = 0;
    bool stop = false;
    int running = 0;

    // Reconnects `conn` once it is closed; the other coroutines on it wait meanwhile.
    struct session {
        explicit session(asio::any_io_executor e)
            : conn(e) {}
        pgasio::connection conn;
        bool reconnecting = false;
    };
    session autocommit(ex), transactions(ex);
    co_await autocommit.conn.async_connect(cfg);
    co_await transactions.conn.async_connect(cfg);
    auto ensure_open = [&](session& s) -> asio::awaitable<bool> {
        if (s.conn.is_open()) co_return true;
        if (s.reconnecting) {
            co_await sleep_for(5ms);
            co_return false;
        }
        s.reconnecting = true;
        co_await connect_when_ready(s.conn, cfg, 30s);
        s.reconnecting = false;
        co_return s.conn.is_open();
    };

    for (int w = 0; w < 8; ++w) {
        ++running;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                while (!stop) {
                    const bool open = co_await ensure_open(autocommit);
                    if (!open) continue;
                    const std::int64_t id = ++next_id;
                    auto [ec, n] = co_await autocommit.conn.async_execute(insert, id, nothrow);
                    if (!ec && n == 1) book.acknowledged.insert(id);
                    // A failed autocommit INSERT may or may not have committed: no claim.
                }
                --running;
            },
            asio::detached);
    }
    ++running;
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
            while (!stop) {
                const bool open = co_await ensure_open(transactions);
                if (!open) continue;
                const std::int64_t first = next_id + 1;
                next_id += 3;
                std::vector<std::int64_t> ids{first, first + 1, first + 2};
                pgasio::error_code ec;
                {
                    auto [bec, tx] = co_await transactions.conn.async_begin({}, nothrow);
                    ec = bec;
                    for (std::size_t i = 0; !ec && i < ids.size(); ++i)
                        std::tie(ec, std::ignore) =
                            co_await tx.async_execute(insert, ids[i], nothrow);
                    if (!ec) {
                        ++book.commits;
                        std::tie(ec) = co_await tx.async_commit(nothrow);
                        if (ec) ++book.failed_commits;
                    }
                    // A transaction that failed before COMMIT is rolled back as `tx` goes.
                }
                auto& where = !ec                                  ? book.acknowledged
                              : ec == client_errc::commit_in_doubt ? book.in_doubt
                                                                   : book.must_be_absent;
                where.insert(ids.begin(), ids.end());
            }
            --running;
        },
        asio::detached);

    // The killer: a backend of one writer or the other, at random moments.
    std::mt19937 rng(std::random_device{}());
    const auto until = clock_type::now() + length;
    while (clock_type::now() < until) {
        co_await sleep_for(std::chrono::milliseconds(50 + rng() % 200));
        if (book.kills >= max_kills) continue;
        auto& target = rng() % 2 == 0 ? autocommit.conn : transactions.conn;
        if (!target.is_open()) continue;
        co_await kill(target.backend_pid());
        ++book.kills;
    }
    stop = true;
    const bool writers_done = co_await wait_until([&] { return running == 0; }, 60s);
    REQUIRE(writers_done);

    pgasio::connection check(ex);
    const auto ec = co_await connect_when_ready(check, cfg);
    REQUIRE(!ec);
    auto rows = co_await check.async_query("SELECT id FROM " + table);
    std::set<std::int64_t> present;
    for (auto row : rows)
        present.insert(row.get<std::int64_t>(0));
    std::vector<std::int64_t> lost, resurrected;
    for (const auto id : book.acknowledged)
        if (!present.count(id)) lost.push_back(id);
    for (const auto id : book.must_be_absent)
        if (present.count(id)) resurrected.push_back(id);
    INFO(book.acknowledged.size() << " rows acknowledged, " << book.commits << " COMMITs of which "
                                  << book.failed_commits << " failed, " << book.in_doubt.size() / 3
                                  << " in doubt, " << book.kills << " backends killed");
    CHECK(lost.empty());        // acknowledged = present
    CHECK(resurrected.empty()); // a failed COMMIT not in doubt = absent
    CHECK(!book.acknowledged.empty());
    co_await check.async_execute("DROP TABLE " + table);
    co_await check.async_close();
    if (autocommit.conn.is_open()) co_await autocommit.conn.async_close();
    if (transactions.conn.is_open()) co_await transactions.conn.async_close();
    co_return book;
}

} // namespace

// A backend terminated while committing can commit and then answer with a FATAL error after
// its CommandComplete (see the transaction tests): such a COMMIT must be learnt, not reported
// failed.
TEST_CASE("faults: durability while backends are terminated at random", "[faults]") {
    const auto book = run([](asio::any_io_executor ex) -> asio::awaitable<ledger> {
        auto admin = std::make_shared<pgasio::connection>(ex);
        co_await admin->async_connect(pgasio::test::test_config());
        const killer terminate = [admin](std::int32_t pid) -> asio::awaitable<void> {
            co_await admin->async_query("SELECT pg_terminate_backend($1)", pid);
        };
        auto out = co_await durability(terminate, 1000, 3s);
        co_await admin->async_close();
        co_return out;
    });
    CHECK(book.kills > 0);
}

// ---------------------------------------------------------------------------------------------
// Scenarios that take the whole server down or freeze it: hidden ('.'), run by ctest against a
// setup of their own (see the top of the file).

TEST_CASE("faults: one backend SIGKILLed: every session ends, the server recovers",
          "[.server_faults]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        const auto cfg = tcp_config();
        pgasio::connection victim(ex), bystander(ex);
        co_await victim.async_connect(cfg);
        co_await bystander.async_connect(cfg);
        constexpr int n = 20;
        std::vector<pgasio::error_code> errors(n);
        int done = 0;
        for (int i = 0; i < n; ++i)
            asio::co_spawn(
                ex,
                [&, i]() -> asio::awaitable<void> {
                    auto [ec, r] = co_await victim.async_query(
                        i == 0 ? "SELECT pg_sleep(30)" : "SELECT 1", nothrow);
                    errors[static_cast<std::size_t>(i)] = ec;
                    ++done;
                },
                asio::detached);
        co_await sleep_for(200ms);
        const auto killed_at = clock_type::now();
        REQUIRE(::kill(victim.backend_pid(), SIGKILL) == 0);
        const bool all_failed = co_await wait_until([&] { return done == n; }, 5s);
        REQUIRE(all_failed);
        CHECK(clock_type::now() - killed_at < 2s);
        for (const auto& ec : errors) {
            INFO(ec.message());
            // A killed process says nothing: the socket closes, or is reset when the backend
            // had not read everything sent to it.
            CHECK((ec == client_errc::connection_closed ||
                   ec == boost::asio::error::connection_reset));
            CHECK(pgasio::is_fatal(ec));
        }
        CHECK(!victim.is_open());
        // The postmaster ends every other session too (57P02 crash_shutdown): the idle
        // bystander learns it without asking anything.
        const bool bystander_closed = co_await wait_until([&] { return !bystander.is_open(); }, 5s);
        CHECK(bystander_closed);
        auto [ec, r] = co_await bystander.async_query("SELECT 1", nothrow);
        CHECK(ec == client_errc::not_connected);
        // Once recovered, both objects connect again, each to a working session.
        const std::array<pgasio::connection*, 2> both{&victim, &bystander};
        for (auto* c : both) {
            const auto connect_ec = co_await connect_when_ready(*c, cfg);
            REQUIRE(!connect_ec);
            auto one = co_await c->async_query("SELECT $1::int4", 5);
            CHECK(one[0].get<std::int32_t>(0) == 5);
            co_await c->async_close();
        }
    });
}

TEST_CASE("faults: the server frozen past the connect timeout", "[.server_faults]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto probe = co_await pgasio::test::connect_primary();
        const pid_t postmaster = parent_of(probe.backend_pid());
        // A session opened before the freeze still runs queries (its backend is not frozen).
        std::optional<frozen_process> frozen;
        frozen.emplace(postmaster);
        pgasio::connection conn(ex);
        auto cfg = pgasio::test::test_config("sslmode=disable connect_timeout=1");
        const auto start = clock_type::now();
        auto [ec] = co_await conn.async_connect(cfg, nothrow);
        const auto took = clock_type::now() - start;
        CHECK(ec == client_errc::connect_timeout);
        CHECK(took >= 1s);
        CHECK(took < 3s);
        CHECK(!conn.is_open());
        auto still = co_await probe.async_query("SELECT $1::int4", 3, pgasio::with_timeout(5s));
        CHECK(still[0].get<std::int32_t>(0) == 3);
        frozen->thaw();
        co_await conn.async_connect(cfg);
        auto after = co_await conn.async_query("SELECT $1::int4", 4);
        CHECK(after[0].get<std::int32_t>(0) == 4);
        co_await conn.async_close();
        co_await probe.async_close();
    });
}

TEST_CASE("faults: durability while backends are SIGKILLed (crash recovery)", "[.server_faults]") {
    const auto book = run(
        [](asio::any_io_executor) -> asio::awaitable<ledger> {
            const killer sigkill = [](std::int32_t pid) -> asio::awaitable<void> {
                ::kill(pid, SIGKILL);
                co_return;
            };
            co_return co_await durability(sigkill, 3, 4s);
        },
        std::chrono::seconds(120));
    CHECK(book.kills > 0);
}

TEST_CASE("faults: a COMMIT that committed locally, then lost its connection, is not reported "
          "rolled back",
          "[.server_faults]") {
    // With synchronous_standby_names naming no standby that exists, a COMMIT writes its commit
    // record, then waits for a standby's word. Terminated then, its backend sends a WARNING
    // ("the transaction has already committed locally") and nothing more before it exits: the
    // transaction committed, the COMMIT's answer is lost with the connection.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::connection admin(ex), conn(ex);
        co_await admin.async_connect(pgasio::test::user_config("ADMIN", "PRIMARY"));
        // tools/pg turns synchronous_commit off; a COMMIT waits for a standby only with it on.
        co_await conn.async_connect(pgasio::test::test_config(
            "sslmode=disable connect_timeout=5 options='-c synchronous_commit=on'"));
        const std::string table = fmt::format("fault_sync_commit_{}", ::getpid());
        co_await conn.async_execute("DROP TABLE IF EXISTS " + table);
        co_await conn.async_execute("CREATE TABLE " + table + " (id int4)");
        co_await admin.async_execute(
            "ALTER SYSTEM SET synchronous_standby_names = 'pgasio_no_such_standby'");
        co_await admin.async_query("SELECT pg_reload_conf()");
        co_await sleep_for(300ms); // the backends take the new setting at their next command

        std::optional<pgasio::error_code> commit_ec;
        pgasio::diagnostics diag;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto tx = co_await conn.async_begin();
                co_await tx.async_execute("INSERT INTO " + table + " VALUES (1)");
                auto [ec] = co_await tx.async_commit(
                    pgasio::diagnostics_into(diag, asio::as_tuple(asio::deferred)));
                commit_ec = ec;
            },
            asio::detached);
        // Until the COMMIT waits for the standby.
        bool waiting = false;
        for (const auto until = clock_type::now() + 10s; !waiting && clock_type::now() < until;) {
            auto r = co_await admin.async_query(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'SyncRep'",
                conn.backend_pid());
            waiting = r[0].get<std::int64_t>(0) == 1;
            if (!waiting) co_await sleep_for(20ms);
        }
        CHECK(waiting);
        co_await admin.async_query("SELECT pg_terminate_backend($1)", conn.backend_pid());
        const bool answered = co_await wait_until([&] { return commit_ec.has_value(); }, 20s);
        co_await admin.async_execute("ALTER SYSTEM RESET synchronous_standby_names");
        co_await admin.async_query("SELECT pg_reload_conf()");
        REQUIRE(answered);
        auto rows = co_await admin.async_query("SELECT count(*) FROM " + table);
        const bool present = rows[0].get<std::int64_t>(0) == 1;
        INFO(pgasio::format_error(*commit_ec, diag));
        CHECK(present);
        // Committed: success (learnt on a second connection), or at worst in doubt; never an
        // error that says the COMMIT failed and rolled back.
        CHECK((!*commit_ec || *commit_ec == client_errc::commit_in_doubt));
        co_await admin.async_execute("DROP TABLE " + table);
        co_await admin.async_close();
    });
}

namespace {

// A process of the setup by the first line of its pid file (postmaster.pid, pgbouncer.pid).
pid_t pid_in(const std::string& pid_file) {
    std::ifstream in(pid_file);
    long pid = 0;
    in >> pid;
    REQUIRE(pid > 0);
    return static_cast<pid_t>(pid);
}

// True while the process exists and has not exited (a zombie has).
bool process_running(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

// Starts again what of the setup is not running (tools/pg start: same data, same ports), and
// waits until it answers.
void start_setup_again() {
    const auto command =
        fmt::format("PGASIO_PG_PORT_BASE='{}' '{}' start >/dev/null",
                    pg_setting("PGASIO_TEST_PRIMARY_PORT"), pg_setting("PGASIO_TEST_PG_TOOL"));
    REQUIRE(std::system(command.c_str()) == 0);
}

// What a workload saw of a fault: autocommit INSERTs, pipelined by four writers on one
// connection, and a long query in flight on another, until each failed.
struct workload {
    std::set<std::int64_t> acknowledged;
    std::vector<pgasio::error_code> errors; // what ended each writer and the long query
    clock_type::time_point last_error{};
    int running = 0;
};

// Starts the workload on `conn` into `table` (which has a column id int8), and the long query on
// `sleeper` (a query pipelined behind it would wait for it).
void start_workload(pgasio::connection& conn, pgasio::connection& sleeper, const std::string& table,
                    const std::shared_ptr<workload>& w) {
    auto ex = conn.get_executor();
    const std::string insert = "INSERT INTO " + table + " (id) VALUES ($1)";
    // The state is shared: a failed check ends the test while the writers still run.
    auto ended = [w](pgasio::error_code ec) {
        w->errors.push_back(ec);
        w->last_error = clock_type::now();
        --w->running;
    };
    for (int writer = 0; writer < 4; ++writer) {
        ++w->running;
        asio::co_spawn(
            ex,
            [&conn, w, insert, writer, ended]() -> asio::awaitable<void> {
                for (std::int64_t id = writer;; id += 4) {
                    auto [ec, n] = co_await conn.async_execute(insert, id, nothrow);
                    if (ec) co_return ended(ec);
                    if (n == 1) w->acknowledged.insert(id);
                }
            },
            asio::detached);
    }
    ++w->running;
    asio::co_spawn(
        ex,
        [&sleeper, ended]() -> asio::awaitable<void> {
            auto [ec, r] = co_await sleeper.async_query("SELECT pg_sleep(60)", nothrow);
            ended(ec);
        },
        asio::detached);
}

// A whole-server fault in the middle of a workload on a connection made with `cfg`: `strike`
// brings the server (or pgbouncer) down; every caller must learn it within a few seconds, with
// an error that says the connection is gone; connecting while it is down fails within the
// connect timeout; once tools/pg starts it again, the same connection object connects again to a
// working session, and every acknowledged row is there (read on the primary).
asio::awaitable<void> server_down_and_up(pgasio::config cfg, std::function<void()> strike,
                                         std::function<bool()> down) {
    auto ex = co_await asio::this_coro::executor;
    cfg.connect_timeout = std::chrono::seconds(2);
    const std::string table = fmt::format("fault_down_{}_{}", ::getpid(), std::random_device{}());
    {
        auto setup = co_await pgasio::test::connect_primary();
        co_await setup.async_execute("CREATE TABLE " + table + " (id int8 PRIMARY KEY)");
        co_await setup.async_close();
    }
    pgasio::connection conn(ex), sleeper(ex);
    co_await conn.async_connect(cfg);
    co_await sleeper.async_connect(cfg);
    auto shared = std::make_shared<workload>();
    auto& w = *shared;
    start_workload(conn, sleeper, table, shared);
    // Until some writes are acknowledged.
    const bool writing = co_await wait_until([&] { return w.acknowledged.size() > 100; }, 10s);
    REQUIRE(writing);
    const auto struck = clock_type::now();
    strike();
    const bool all_failed = co_await wait_until([&] { return w.running == 0; }, 10s);
    REQUIRE(all_failed);
    INFO(w.acknowledged.size()
         << " rows acknowledged; the last caller learnt it after "
         << std::chrono::duration_cast<std::chrono::milliseconds>(w.last_error - struck).count()
         << " ms");
    CHECK(w.last_error - struck < 5s);
    for (const auto& ec : w.errors) {
        INFO(ec.message());
        CHECK(pgasio::is_fatal(ec));
    }
    CHECK(!conn.is_open());
    CHECK(!sleeper.is_open());
    auto [closed_ec, closed_r] = co_await conn.async_query("SELECT 1", nothrow);
    CHECK(closed_ec == client_errc::not_connected);

    // While it is down, connecting fails, within the connect timeout.
    const bool is_down = co_await wait_until(down, 30s);
    REQUIRE(is_down);
    const auto attempt = clock_type::now();
    auto [down_ec] = co_await conn.async_connect(cfg, nothrow);
    INFO("connecting while down: " << down_ec.message());
    CHECK(down_ec);
    CHECK(clock_type::now() - attempt < 3s);

    start_setup_again();
    const auto up_ec = co_await connect_when_ready(conn, cfg);
    REQUIRE(!up_ec);
    auto one = co_await conn.async_query("SELECT $1::int4", 9);
    CHECK(one[0].get<std::int32_t>(0) == 9);
    co_await conn.async_close();

    auto check = co_await pgasio::test::connect_primary();
    auto rows = co_await check.async_query("SELECT id FROM " + table);
    std::set<std::int64_t> present;
    for (auto row : rows)
        present.insert(row.get<std::int64_t>(0));
    std::vector<std::int64_t> lost;
    for (const auto id : w.acknowledged)
        if (!present.count(id)) lost.push_back(id);
    CHECK(lost.empty()); // acknowledged = present
    co_await check.async_execute("DROP TABLE " + table);
    co_await check.async_close();
}

// A connection to the primary whose commits are acknowledged once in the WAL: a server killed
// after the acknowledgement has it when it starts again.
pgasio::config synchronous_config() {
    return pgasio::test::test_config("sslmode=disable options='-c synchronous_commit=on'");
}

} // namespace

TEST_CASE("faults: the server SIGKILLed mid-workload and started again", "[.server_faults]") {
    run(
        [](asio::any_io_executor) {
            const pid_t postmaster = pid_in(pg_setting("PGASIO_TEST_PRIMARY_PID_FILE"));
            return server_down_and_up(
                synchronous_config(), [postmaster] { REQUIRE(::kill(postmaster, SIGKILL) == 0); },
                [postmaster] { return !process_running(postmaster); });
        },
        std::chrono::seconds(120));
}

TEST_CASE("faults: the server stopped (pg_ctl stop -m fast) mid-workload and started again",
          "[.server_faults]") {
    run(
        [](asio::any_io_executor) {
            const pid_t postmaster = pid_in(pg_setting("PGASIO_TEST_PRIMARY_PID_FILE"));
            // SIGINT is the fast shutdown that pg_ctl stop -m fast asks of the postmaster: every
            // session ends with 57P01 admin_shutdown, then the server writes a checkpoint.
            return server_down_and_up(
                synchronous_config(), [postmaster] { REQUIRE(::kill(postmaster, SIGINT) == 0); },
                [postmaster] { return !process_running(postmaster); });
        },
        std::chrono::seconds(120));
}

TEST_CASE("faults: pgbouncer SIGKILLed mid-workload and started again", "[.server_faults]") {
    run(
        [](asio::any_io_executor) {
            const pid_t pgbouncer = pid_in(pg_setting("PGASIO_TEST_PGBOUNCER_PID_FILE"));
            return server_down_and_up(
                pgasio::test::pgbouncer_config(pgasio::query_exec_mode::describe_exec),
                [pgbouncer] { REQUIRE(::kill(pgbouncer, SIGKILL) == 0); },
                [pgbouncer] { return !process_running(pgbouncer); });
        },
        std::chrono::seconds(120));
}
