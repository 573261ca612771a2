// Record and replay (pgasio::simulation): sessions recorded against tools/pg's primary, then
// replayed with no server (their recording moved to a port where nothing listens), the first
// difference named, secrets never written, malformed fixtures refused with the entry at fault.
#include <pgasio/simulation.hpp>

#include "support/connect.hpp"
#include "support/pg_env.hpp"
#include "support/run.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/protocol/detail/base64.hpp>
#include <pgasio/transaction.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace asio = boost::asio;
using pgasio::config;
using pgasio::connection;
using pgasio::test::pg_setting;
using pgasio::test::run;

namespace {

std::string fixture_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            fmt::format("pgasio-simulation-{}-{}.json", name, ::getpid()))
        .string();
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// Moves every session of the recording at `path` to port 1, where nothing listens: a replay
// served from it that reached for a server would fail to connect.
void move_to_closed_port(const std::string& path) {
    std::string text = read_file(path);
    const std::string from = "\"port\": " + pg_setting("PGASIO_TEST_PRIMARY_PORT");
    std::size_t n = 0;
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
        text.replace(at, from.size(), "\"port\": 1");
        ++n;
    }
    REQUIRE(n > 0);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

config replay_config(const std::string& path, const std::string& role = "SCRAM") {
    config cfg = pgasio::test::user_config(role, "PRIMARY");
    cfg.hosts[0].port = 1;
    cfg.simulation = pgasio::simulation::replay(path);
    return cfg;
}

// What a program sees of a session: rows, affected counts and errors, pipelined requests
// among them. Run against the server while recording, then against the recording.
asio::awaitable<std::vector<std::string>> workload(config cfg, int users) {
    std::vector<std::string> seen;
    connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    auto rows = co_await conn.async_query(
        "SELECT n, 'user ' || n AS name FROM generate_series(1, $1::int) n", users);
    for (const auto& row : rows)
        seen.push_back(fmt::format("{} {}", row.get<std::int32_t>(0), row.get<std::string>(1)));
    // A float8 in binary holds bytes that are not UTF-8 (0x3ff8...): the fixture stays JSON.
    auto number = co_await conn.async_query("SELECT $1::float8 * 2", 0.75);
    seen.push_back(fmt::format("{}", number[0].get<double>(0)));
    co_await conn.async_execute("CREATE TEMP TABLE t (v text)");
    seen.push_back(fmt::format("affected {}",
                               co_await conn.async_execute("INSERT INTO t VALUES ('a'), ('b')")));
    try {
        co_await conn.async_query("SELECT 1 / $1::int", 0);
    } catch (const pgasio::error& e) {
        seen.push_back(e.code().message());
    }
    // The same statement again: the statement cache sends Bind and Execute only.
    auto again = co_await conn.async_query(
        "SELECT n, 'user ' || n AS name FROM generate_series(1, $1::int) n", 1);
    seen.push_back(again[0].get<std::string>(1));
    // A text parameter, sent in binary: the fixture shows it as text.
    auto greeting = co_await conn.async_query("SELECT $1::text || '!'", "hello");
    seen.push_back(greeting[0].get<std::string>(0));
    co_await conn.async_close();
    co_return seen;
}

// A COPY FROM STDIN in two writes, then three queries: pipelined (all sent before the first
// answer is read) or one after the other.
asio::awaitable<std::vector<std::string>> copy_then_queries(config cfg, bool pipelined) {
    std::vector<std::string> seen;
    connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    co_await conn.async_execute("CREATE TEMP TABLE items (id int, name text)");
    auto copy = co_await conn.async_copy_in("COPY items FROM STDIN (FORMAT csv)");
    co_await copy.async_write("1,a\n2,b\n");
    co_await copy.async_write("3,c\n");
    seen.push_back(fmt::format("copied {}", co_await copy.async_finish()));
    const std::string sql = "SELECT name FROM items WHERE id = $1";
    std::vector<std::string> names(3);
    if (pipelined) {
        int done = 0;
        for (int i = 0; i < 3; ++i)
            conn.async_query(sql, i + 1, [&, i](pgasio::error_code e, pgasio::result r) {
                names[static_cast<std::size_t>(i)] = e ? e.message() : r[0].get<std::string>(0);
                ++done;
            });
        CHECK(co_await pgasio::test::eventually([&] { return done == 3; }));
    } else {
        for (int i = 0; i < 3; ++i)
            names[static_cast<std::size_t>(i)] =
                (co_await conn.async_query(sql, i + 1))[0].get<std::string>(0);
    }
    seen.insert(seen.end(), names.begin(), names.end());
    co_await conn.async_close();
    co_return seen;
}

// Transactions as a recording shows them on the wire: one whose BEGIN goes with its first
// statement, two that send nothing, one that begins with a simple query.
asio::awaitable<std::vector<std::string>> transactions(config cfg) {
    std::vector<std::string> seen;
    connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    {
        auto tx =
            co_await conn.async_begin({.isolation = pgasio::isolation_level::repeatable_read});
        auto r = co_await tx.async_query("SELECT current_setting('transaction_isolation')");
        seen.push_back(r[0].get<std::string>(0));
        co_await tx.async_commit();
    }
    {
        auto tx = co_await conn.async_begin();
        co_await tx.async_commit();
    }
    {
        auto tx = co_await conn.async_begin();
        co_await tx.async_rollback();
    }
    {
        auto tx = co_await conn.async_begin({.access = pgasio::access_mode::read_only});
        auto rs = co_await tx.async_simple_query("SHOW transaction_read_only");
        seen.push_back(rs[0][0].get<std::string>(0));
        co_await tx.async_commit();
    }
    auto after = co_await conn.async_query("SELECT current_setting('transaction_isolation')");
    seen.push_back(after[0].get<std::string>(0));
    co_await conn.async_close();
    co_return seen;
}

} // namespace

TEST_CASE("simulation: a session recorded against the server replays with no server", "[server]") {
    const auto path = fixture_path("replay");
    auto rec = pgasio::simulation::record(path);
    config cfg = pgasio::test::test_config();
    cfg.simulation = rec;
    const auto recorded = run([&](auto) { return workload(cfg, 3); });
    rec->save();
    REQUIRE(recorded.size() == 8);
    CHECK(recorded[0] == "1 user 1");
    CHECK(recorded[3] == "1.5");
    CHECK(recorded[6] == "user 1");
    CHECK(recorded[7] == "hello!");

    const std::string text = read_file(path);
    // The fixture is readable: the SQL and the rows are there as text.
    CHECK(text.find("generate_series(1, $1::int)") != std::string::npos);
    CHECK(text.find("\\\"user 2\\\"") != std::string::npos);
    CHECK(text.find("parameters (\\\"hello\\\")") != std::string::npos);

    move_to_closed_port(path);
    const auto replayed = run([&](auto) { return workload(replay_config(path), 3); });
    CHECK(replayed == recorded);
    std::filesystem::remove(path);
}

// A query that times out, and one after it: what its caller sees, and after how long.
asio::awaitable<std::vector<std::string>> timed_out_workload(config cfg) {
    using namespace std::chrono_literals;
    std::vector<std::string> seen;
    connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    const auto start = std::chrono::steady_clock::now();
    auto [ec, rows] = co_await conn.async_query(
        "SELECT pg_sleep(5)", pgasio::with_timeout(300ms, asio::as_tuple(asio::deferred)));
    const auto waited = std::chrono::steady_clock::now() - start;
    seen.push_back(ec.message());
    seen.push_back(waited >= 250ms ? "after its timeout" : "before its timeout");
    auto one = co_await conn.async_query("SELECT 1");
    seen.push_back(std::to_string(one[0].get<std::int32_t>(0)));
    co_await conn.async_close();
    co_return seen;
}

TEST_CASE("simulation: a query that timed out when recorded times out in the replay", "[server]") {
    const auto path = fixture_path("timeout");
    auto rec = pgasio::simulation::record(path);
    config cfg = pgasio::test::test_config();
    cfg.simulation = rec;
    const auto recorded = run([&](auto) { return timed_out_workload(cfg); });
    rec->save();
    REQUIRE(recorded.size() == 3);
    CHECK(recorded[0] == make_error_code(pgasio::client_errc::query_timeout).message());
    CHECK(recorded[1] == "after its timeout");
    CHECK(recorded[2] == "1");
    // The server's 57014 came after the cancel, and says so.
    CHECK(read_file(path).find("\"after_cancels\":1") != std::string::npos);

    move_to_closed_port(path);
    const auto replayed = run([&](auto) { return timed_out_workload(replay_config(path)); });
    CHECK(replayed == recorded);
    std::filesystem::remove(path);
}

TEST_CASE("simulation: a request that differs from the recording fails naming the difference",
          "[server]") {
    const auto path = fixture_path("mismatch");
    {
        auto rec = pgasio::simulation::record(path);
        config cfg = pgasio::test::test_config();
        cfg.simulation = rec;
        run([&](auto) { return workload(cfg, 3); });
        rec->save();
    }
    move_to_closed_port(path);

    SECTION("a parameter") {
        try {
            run([&](auto) { return workload(replay_config(path), 4); });
            FAIL("the replay accepted a parameter that was not recorded");
        } catch (const pgasio::error& e) {
            CHECK(e.code() == pgasio::client_errc::replay_mismatch);
            const std::string what = e.diag().message;
            // Close, Parse, Bind: the statement is the same, its parameter is not (an int4,
            // sent in binary).
            CHECK_THAT(what, Catch::Contains("exchange 1, message 3 differs: recorded Bind"));
            CHECK_THAT(what, Catch::Contains("parameters (0x00000003)"));
            CHECK_THAT(what, Catch::Contains("sent Bind"));
            CHECK_THAT(what, Catch::Contains("parameters (0x00000004)"));
            CHECK_THAT(what, !Catch::Contains("the statement recorded"));
        }
    }
    SECTION("the SQL") {
        auto changed = [&](auto) -> asio::awaitable<void> {
            connection conn(co_await asio::this_coro::executor);
            co_await conn.async_connect(replay_config(path));
            co_await conn.async_query("SELECT n FROM generate_series(1, $1::int) n", 3);
        };
        try {
            run(changed);
            FAIL("the replay accepted SQL that was not recorded");
        } catch (const pgasio::error& e) {
            CHECK(e.code() == pgasio::client_errc::replay_mismatch);
            const std::string what = e.diag().message;
            // The first difference is the Close of the statement named after the SQL; the
            // statements themselves are named too.
            CHECK_THAT(what, Catch::Contains("exchange 1, message 1 differs: recorded Close"));
            CHECK_THAT(what, Catch::Contains("the statement recorded: Parse statement \"pgasio_"));
            CHECK_THAT(what, Catch::Contains("\"SELECT n, 'user ' || n AS name FROM "
                                             "generate_series(1, $1::int) n\""));
            CHECK_THAT(what, Catch::Contains(
                                 "\"SELECT n FROM generate_series(1, $1::int) n\" (1 parameter "
                                 "type)"));
        }
    }
    SECTION("another user") {
        try {
            run([&](auto) { return workload(replay_config(path, "ADMIN"), 3); });
            FAIL("the replay accepted another user");
        } catch (const pgasio::error& e) {
            CHECK(e.code() == pgasio::client_errc::replay_mismatch);
            CHECK_THAT(e.diag().message, Catch::Contains("recorded for user \"" +
                                                         pg_setting("PGASIO_TEST_SCRAM_USER")));
        }
    }
    std::filesystem::remove(path);
}

TEST_CASE("simulation: a recording holds no password", "[server]") {
    for (const std::string role : {"SCRAM", "MD5"}) {
        const auto path = fixture_path("secret");
        auto rec = pgasio::simulation::record(path);
        config cfg = pgasio::test::user_config(role, "PRIMARY");
        cfg.simulation = rec;
        run([&](auto) { return workload(cfg, 2); });
        rec->save();
        const std::string text = read_file(path);
        const std::string password = pg_setting("PGASIO_TEST_" + role + "_PASSWORD");
        REQUIRE(!password.empty());
        INFO(role);
        CHECK(text.find(password) == std::string::npos);
        const auto encoded = pgasio::protocol::detail::base64_encode(
            {reinterpret_cast<const std::byte*>(password.data()), password.size()});
        CHECK(text.find(encoded.substr(0, encoded.size() - 4)) == std::string::npos);
        CHECK(text.find("\"authentication\": \"not recorded\"") != std::string::npos);
        // The session still replays: authentication is not part of it.
        move_to_closed_port(path);
        CHECK(run([&](auto) { return workload(replay_config(path, role), 2); }).size() == 7);
        std::filesystem::remove(path);
    }
}

TEST_CASE("simulation: a malformed fixture is refused naming what is wrong") {
    using pgasio::simulation::fixture_error;
    using pgasio::simulation::replay_text;
    CHECK_THROWS_WITH(replay_text("{", "f.json"), Catch::StartsWith("f.json: not JSON"));
    CHECK_THROWS_WITH(replay_text("{}", "f.json"), Catch::Contains("not a pgasio recording"));
    CHECK_THROWS_WITH(replay_text(R"({"pgasio_recording": 1, "sessions": [{"host": "h"}]})"),
                      Catch::Contains("sessions[0]: \"port\" is not a number"));
    const std::string session =
        R"({"pgasio_recording": 1, "sessions": [{"host": "h", "port": 5432, "user": "u",
            "database": "d", "startup": [], "exchanges": [{"sent": [%s], "received": []}]}]})";
    auto with_sent = [&](const std::string& m) {
        std::string s = session;
        s.replace(s.find("%s"), 2, m);
        return s;
    };
    CHECK_THROWS_WITH(replay_text(with_sent(R"({"type": "Query", "data": "!!"})")),
                      Catch::Contains("sessions[0].exchanges[0].sent[0]: \"data\" is not base64"));
    CHECK_THROWS_WITH(replay_text(with_sent(R"({"type": "Hello", "data": ""})")),
                      Catch::Contains("unknown message type \"Hello\""));
    CHECK_THROWS_WITH(replay_text(with_sent(R"({"type": "Terminate", "data": ""})")),
                      Catch::Contains("Terminate is never recorded"));
    CHECK_THROWS_AS(pgasio::simulation::replay("/nonexistent/fixture.json"), fixture_error);
    CHECK_NOTHROW(replay_text(with_sent(R"({"type": "Sync", "data": ""})")));
}

TEST_CASE("simulation: COPY data and pipelined requests replay in step with what is sent",
          "[server]") {
    const auto path = fixture_path("copy");
    auto rec = pgasio::simulation::record(path);
    config cfg = pgasio::test::test_config();
    cfg.simulation = rec;
    const auto recorded = run([&](auto) { return copy_then_queries(cfg, true); });
    rec->save();
    CHECK(recorded == std::vector<std::string>{"copied 3", "a", "b", "c"});
    const std::string text = read_file(path);
    // The COPY's data belongs to its exchange (after its Query), whose CopyInResponse was
    // due after the Query alone, and its CommandComplete only after everything (the CopyDone).
    const auto fixture = boost::json::parse(read_file(path));
    bool found = false;
    for (const auto& ex : fixture.at("sessions").at(0).at("exchanges").as_array()) {
        const auto& sent = ex.at("sent").as_array();
        if (sent.empty() || sent[0].at("type") != "Query") continue;
        found = true;
        REQUIRE(sent.size() == 4);
        CHECK(sent[1].at("type") == "CopyData");
        CHECK(sent[1].at("text") == "8 bytes: \"1,a\\x0a2,b\\x0a\"");
        CHECK(sent[2].at("type") == "CopyData");
        CHECK(sent[3].at("type") == "CopyDone");
        const auto& received = ex.at("received").as_array();
        REQUIRE(received.size() == 3);
        CHECK(received[0].at("type") == "CopyInResponse");
        CHECK(received[0].at("after") == 1);
        CHECK(received[1].at("type") == "CommandComplete");
        CHECK_FALSE(received[1].as_object().contains("after"));
    }
    CHECK(found);
    move_to_closed_port(path);
    CHECK(run([&](auto) { return copy_then_queries(replay_config(path), true); }) == recorded);
    std::filesystem::remove(path);
}

TEST_CASE("simulation: a request beyond the recording fails naming it", "[server]") {
    const auto path = fixture_path("beyond");
    {
        auto rec = pgasio::simulation::record(path);
        config cfg = pgasio::test::test_config();
        cfg.simulation = rec;
        run([&](auto) -> asio::awaitable<void> {
            connection conn(co_await asio::this_coro::executor);
            co_await conn.async_connect(cfg);
            co_await conn.async_query("SELECT 1");
            co_await conn.async_close();
        });
        rec->save();
    }
    move_to_closed_port(path);
    run([&](auto) -> asio::awaitable<void> {
        connection conn(co_await asio::this_coro::executor);
        co_await conn.async_connect(replay_config(path));
        co_await conn.async_query("SELECT 1");
        try {
            co_await conn.async_query("SELECT 2");
            FAIL("a request that was never recorded was answered");
        } catch (const pgasio::error& e) {
            CHECK(e.code() == pgasio::client_errc::replay_mismatch);
            CHECK_THAT(e.diag().message, Catch::Contains("after the last request recorded"));
            CHECK_THAT(e.diag().message, Catch::Contains("\"SELECT 2\""));
        }
        CHECK_FALSE(conn.is_open());
    });
    // A second session to the same server: none was recorded.
    try {
        run([&](auto) -> asio::awaitable<void> {
            auto sim = pgasio::simulation::replay(path);
            config cfg = replay_config(path);
            cfg.simulation = sim;
            connection first(co_await asio::this_coro::executor);
            co_await first.async_connect(cfg);
            connection second(co_await asio::this_coro::executor);
            co_await second.async_connect(cfg);
        });
        FAIL("a session that was never recorded was opened");
    } catch (const pgasio::error& e) {
        CHECK(e.code() == pgasio::client_errc::replay_mismatch);
        CHECK_THAT(e.diag().message,
                   Catch::Contains("no session recorded for \"" + pg_setting("PGASIO_TEST_HOST") +
                                   "\" port 1 is left (the recording has 1 session)"));
    }
    std::filesystem::remove(path);
}

TEST_CASE("simulation: a transaction's BEGIN goes in its first statement's exchange, and one "
          "that runs nothing sends nothing",
          "[server]") {
    const auto path = fixture_path("transactions");
    auto rec = pgasio::simulation::record(path);
    config cfg = pgasio::test::test_config();
    cfg.simulation = rec;
    const auto recorded = run([&](auto) { return transactions(cfg); });
    rec->save();
    CHECK(recorded == std::vector<std::string>{"repeatable read", "on", "read committed"});
    const auto fixture = boost::json::parse(read_file(path));
    const auto& exchanges = fixture.at("sessions").at(0).at("exchanges").as_array();
    auto types = [](const boost::json::array& messages) {
        std::string out;
        for (const auto& m : messages)
            out += std::string(m.at("type").as_string()) + " ";
        return out;
    };
    auto text = [](const boost::json::value& m) { return std::string(m.at("text").as_string()); };
    // The first statement's exchange: BEGIN's Parse, Bind and Execute, then the statement's
    // messages, one Sync for both; answered BEGIN, then the statement, in a transaction block.
    // Then its COMMIT, two exchanges written together: the transaction id's query with a Sync
    // of its own, then COMMIT (the session's first: both prepared). The two transactions that
    // ran nothing sent nothing; a simple query's BEGIN went just before it, on its own; and the
    // query after them all.
    REQUIRE(exchanges.size() == 7);
    const auto& first = exchanges[0].at("sent").as_array();
    CHECK(types(first) == "Parse Bind Execute Close Parse Bind Describe Execute Sync ");
    CHECK_THAT(text(first[0]), Catch::Contains("\"BEGIN ISOLATION LEVEL REPEATABLE READ\""));
    CHECK_THAT(text(first[4]), Catch::Contains("transaction_isolation"));
    const auto& answers = exchanges[0].at("received").as_array();
    CHECK(types(answers) == "ParseComplete BindComplete CommandComplete CloseComplete "
                            "ParseComplete BindComplete RowDescription DataRow CommandComplete "
                            "ReadyForQuery ");
    CHECK(text(answers[2]) == "\"BEGIN\"");
    CHECK(text(answers.back()) == "transaction status 'T'");
    const auto& xid = exchanges[1].at("sent").as_array();
    CHECK(types(xid) == "Close Parse Bind Describe Execute Sync ");
    CHECK_THAT(text(xid[1]), Catch::Contains("pg_current_xact_id_if_assigned"));
    CHECK(types(exchanges[2].at("sent").as_array()) == "Close Parse Bind Execute Sync ");
    const auto& begin = exchanges[3].at("sent").as_array();
    REQUIRE(begin.size() == 1);
    CHECK(text(begin[0]) == "\"BEGIN READ ONLY\"");
    CHECK(text(exchanges[4].at("sent").as_array()[0]) == "\"SHOW transaction_read_only\"");
    // Read only: its COMMIT is COMMIT alone, the statement prepared by the first COMMIT.
    const auto& read_only_commit = exchanges[5].at("sent").as_array();
    CHECK(types(read_only_commit) == "Bind Execute Sync ");
    CHECK_THAT(text(read_only_commit[0]), Catch::Contains("\"pgasio_commit_1\""));
    CHECK(types(exchanges[6].at("sent").as_array()) == "Bind Execute Sync ");

    move_to_closed_port(path);
    CHECK(run([&](auto) { return transactions(replay_config(path)); }) == recorded);
    std::filesystem::remove(path);
}
