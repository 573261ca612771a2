// Byte-level faults between the client and the primary, made by a proxy (support/cut_proxy):
// the connection cut at every message boundary of each kind of request's answer, cut within a
// message, stalled, delayed, a byte corrupted. Each ends in a clear error (or, cut after the
// whole answer, the right one) within a deadline, never a hang or a wrong answer, and the same
// connection object connects again to a working session.
#include <pgasio/batch.hpp>
#include <pgasio/connection.hpp>
#include <pgasio/transaction.hpp>

#include "support/connect.hpp"
#include "support/cut_proxy.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pgasio::client_errc;
using pgasio::test::cut_proxy;
using pgasio::test::eventually;
using pgasio::test::primary_proxy;
using pgasio::test::run;
using direction = cut_proxy::direction;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

// The trust user (no SCRAM exchange: many short sessions) through `proxy`.
pgasio::config through(const cut_proxy& proxy) {
    return pgasio::test::user_config("TRUST", "PRIMARY",
                                     "sslmode=disable connect_timeout=2 host=127.0.0.1 port=" +
                                         std::to_string(proxy.port()));
}

// One kind of request, made on `conn`; on success it checks the answer itself. `id` is unique to
// the call (rows it writes into `table`); `admin` (straight to the primary) checks what a COMMIT
// did.
struct request_kind {
    const char* name;
    std::function<asio::awaitable<pgasio::error_code>(pgasio::connection& conn,
                                                      pgasio::connection& admin,
                                                      const std::string& table, std::int32_t id)>
        make;
};

asio::awaitable<pgasio::error_code> do_query(pgasio::connection& conn, pgasio::connection&,
                                             const std::string&, std::int32_t) {
    auto [ec, r] =
        co_await conn.async_query("SELECT g FROM generate_series(1, $1::int4) g", 3, nothrow);
    if (!ec) {
        CHECK(r.size() == 3);
        if (r.size() == 3) CHECK(r[2].get<std::int32_t>(0) == 3);
    }
    co_return ec;
}

asio::awaitable<pgasio::error_code> do_execute(pgasio::connection& conn, pgasio::connection&,
                                               const std::string& table, std::int32_t id) {
    auto [ec, n] =
        co_await conn.async_execute("INSERT INTO " + table + " VALUES ($1)", id, nothrow);
    if (!ec) CHECK(n == 1);
    co_return ec;
}

asio::awaitable<pgasio::error_code> do_prepare(pgasio::connection& conn, pgasio::connection&,
                                               const std::string&, std::int32_t) {
    auto [ec, stmt] = co_await conn.async_prepare("SELECT $1::int4 + 1", nothrow);
    co_return ec;
}

asio::awaitable<pgasio::error_code> do_stream(pgasio::connection& conn, pgasio::connection&,
                                              const std::string&, std::int32_t) {
    auto rows = conn.query_stream("SELECT g FROM generate_series(1, 5) g");
    std::int64_t sum = 0;
    for (;;) {
        auto [ec, part] = co_await rows.async_next(nothrow);
        if (ec) co_return ec;
        if (part.empty()) break;
        for (auto row : part)
            sum += row.get<std::int32_t>(0);
    }
    CHECK(sum == 15);
    co_return pgasio::error_code{};
}

// BEGIN, INSERT, COMMIT: committed exactly when reported done (or, in doubt, either way).
asio::awaitable<pgasio::error_code> do_commit(pgasio::connection& conn, pgasio::connection& admin,
                                              const std::string& table, std::int32_t id) {
    pgasio::error_code ec;
    {
        auto [bec, tx] = co_await conn.async_begin({}, nothrow);
        ec = bec;
        if (!ec)
            std::tie(ec, std::ignore) =
                co_await tx.async_execute("INSERT INTO " + table + " VALUES ($1)", id, nothrow);
        if (!ec) std::tie(ec) = co_await tx.async_commit(nothrow);
    }
    auto present =
        co_await admin.async_query("SELECT count(*) FROM " + table + " WHERE id = $1", id);
    if (ec != client_errc::commit_in_doubt) {
        INFO("COMMIT: " << ec.message());
        CHECK(present[0].get<std::int64_t>(0) == (ec ? 0 : 1));
    }
    co_return ec;
}

asio::awaitable<pgasio::error_code> do_copy_in(pgasio::connection& conn, pgasio::connection&,
                                               const std::string& table, std::int32_t id) {
    auto [ec, copy] = co_await conn.async_copy_in("COPY " + table + " (id) FROM STDIN", nothrow);
    if (ec) co_return ec;
    auto [wec] = co_await copy.async_write(std::to_string(id) + "\n", nothrow);
    if (wec) co_return wec;
    auto [fec, rows] = co_await copy.async_finish(nothrow);
    if (!fec) CHECK(rows == 1);
    co_return fec;
}

asio::awaitable<pgasio::error_code> do_copy_out(pgasio::connection& conn, pgasio::connection&,
                                                const std::string&, std::int32_t) {
    auto [ec, out] = co_await conn.async_copy_out(
        "COPY (SELECT g FROM generate_series(1, 3) g) TO STDOUT", nothrow);
    if (ec) co_return ec;
    std::string all;
    for (;;) {
        auto [rec, chunk] = co_await out.async_read(nothrow);
        if (rec) co_return rec;
        if (chunk.empty()) break;
        all += chunk;
    }
    CHECK(all == "1\n2\n3\n");
    co_return pgasio::error_code{};
}

asio::awaitable<pgasio::error_code> do_batch(pgasio::connection& conn, pgasio::connection&,
                                             const std::string&, std::int32_t) {
    pgasio::batch b(pgasio::batch_mode::all_or_nothing);
    CHECK(!b.add("SELECT 1"));
    CHECK(!b.add("SELECT $1::int4", 2));
    auto [ec, out] = co_await conn.async_execute_batch(std::move(b), nothrow);
    if (!ec) {
        CHECK(out.ok());
        CHECK(out.size() == 2);
        if (out.size() == 2) CHECK(out[1].rows[0].get<std::int32_t>(0) == 2);
    }
    co_return ec;
}

std::vector<request_kind> all_kinds() {
    return {{"query", do_query},       {"execute", do_execute}, {"prepare", do_prepare},
            {"stream", do_stream},     {"commit", do_commit},   {"COPY in", do_copy_in},
            {"COPY out", do_copy_out}, {"batch", do_batch}};
}

// Runs `request`; a request not answered within `deadline` is a hang: the test fails, and the
// session is cut so that the request ends before the test does.
template <class Request>
asio::awaitable<pgasio::error_code> within(cut_proxy& proxy, Request request,
                                           std::chrono::milliseconds deadline = 5s) {
    auto ex = co_await asio::this_coro::executor;
    bool done = false;
    pgasio::error_code ec;
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
            ec = co_await request();
            done = true;
        },
        asio::detached);
    const bool in_time = co_await eventually([&] { return done; }, deadline);
    CHECK(in_time);
    if (!in_time) proxy.cut_now();
    const bool ended = co_await eventually([&] { return done; }, 10s);
    REQUIRE(ended);
    co_return ec;
}

// The connection object connects again (through the proxy) to a session that answers.
asio::awaitable<void> works_again(pgasio::connection& conn, const pgasio::config& cfg) {
    if (conn.is_open()) co_await conn.async_close();
    co_await conn.async_connect(cfg);
    auto r = co_await conn.async_query("SELECT $1::int4", 77);
    CHECK(r[0].get<std::int32_t>(0) == 77);
}

// A table of the test's own (id int4 PRIMARY KEY), on the primary.
asio::awaitable<std::string> make_table(pgasio::connection& admin, const char* what) {
    const auto table = fmt::format("fault_{}_{}_{}", what, ::getpid(), std::random_device{}());
    co_await admin.async_execute("CREATE TABLE " + table + " (id int4 PRIMARY KEY)");
    co_await admin.async_execute("GRANT ALL ON " + table + " TO PUBLIC"); // the trust user's
    co_return table;
}

// The connection cut at every message boundary of the answer to one kind of request, through a
// proxy of its own (the kinds run side by side: each cut costs a new session).
asio::awaitable<int> cut_everywhere(const request_kind& kind, pgasio::connection& admin,
                                    const std::string& table, std::int32_t first_id) {
    auto ex = co_await asio::this_coro::executor;
    auto proxy = primary_proxy(ex);
    const auto cfg = through(proxy);
    pgasio::connection conn(ex);
    std::int32_t next_id = first_id;
    // Uncut: which messages its answer has.
    co_await works_again(conn, cfg);
    const auto before = proxy.messages(direction::to_client);
    const auto clean_ec =
        co_await within(proxy, [&] { return kind.make(conn, admin, table, ++next_id); });
    {
        INFO(kind.name << " uncut: " << clean_ec.message());
        REQUIRE(!clean_ec);
    }
    const auto answer = proxy.message_types(direction::to_client).substr(before);
    int cuts = 0;
    for (std::size_t at = 0; at < answer.size(); ++at) {
        co_await works_again(conn, cfg);
        proxy.cut_after_messages(direction::to_client, at);
        const auto ec =
            co_await within(proxy, [&] { return kind.make(conn, admin, table, ++next_id); });
        ++cuts;
        INFO(kind.name << ", its answer (" << answer << ") cut after " << at
                       << " messages: " << ec.message());
        // The right answer (checked by the request) when all that matters had come; otherwise
        // an error that says the connection is gone, or for a COMMIT what became of the
        // transaction.
        if (ec)
            CHECK((pgasio::is_fatal(ec) || ec == client_errc::commit_in_doubt ||
                   ec == client_errc::transaction_rolled_back));
        if (ec && pgasio::is_fatal(ec)) CHECK(!conn.is_open());
    }
    co_await works_again(conn, cfg);
    co_await conn.async_close();
    co_return cuts;
}

} // namespace

TEST_CASE("faults: every request kind, its answer cut at every message boundary", "[faults]") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto admin = co_await pgasio::test::connect_primary();
        const auto table = co_await make_table(admin, "cut");
        const auto kinds = all_kinds();
        std::vector<int> cuts(kinds.size());
        co_await pgasio::test::concurrently(
            static_cast<int>(kinds.size()), [&](int i) -> asio::awaitable<void> {
                const auto k = static_cast<std::size_t>(i);
                cuts[k] = co_await cut_everywhere(kinds[k], admin, table, i * 1000);
            });
        for (std::size_t k = 0; k < kinds.size(); ++k) {
            INFO(kinds[k].name);
            CHECK(cuts[k] >= 3); // every answer has a few messages at least
        }
        co_await admin.async_execute("DROP TABLE " + table);
        co_await admin.async_close();
    });
}

TEST_CASE("faults: the connection cut within a message, either way", "[faults]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto proxy = primary_proxy(ex);
        const auto cfg = through(proxy);
        pgasio::connection conn(ex);
        const std::array<direction, 2> ways{direction::to_client, direction::to_server};
        const std::array<std::size_t, 4> sizes{1, 3, 7, 12};
        for (const auto d : ways) {
            for (const auto bytes : sizes) {
                co_await works_again(conn, cfg);
                proxy.cut_after_bytes(d, bytes);
                const auto ec =
                    co_await within(proxy, [&]() -> asio::awaitable<pgasio::error_code> {
                        auto [qec, r] = co_await conn.async_query(
                            "SELECT repeat('x', 100) FROM generate_series(1, 5)", nothrow);
                        co_return qec;
                    });
                INFO((d == direction::to_client ? "to the client" : "to the server")
                     << ", cut after " << bytes << " bytes: " << ec.message());
                CHECK(pgasio::is_fatal(ec));
                CHECK(!conn.is_open());
            }
        }
        co_await works_again(conn, cfg);
        co_await conn.async_close();
    });
}

TEST_CASE("faults: a stalled answer times out, and the connection answers once it flows again",
          "[faults]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto proxy = primary_proxy(ex);
        const auto cfg = through(proxy);
        pgasio::connection conn(ex);
        co_await conn.async_connect(cfg);
        proxy.stall_at(direction::to_client);
        const auto start = std::chrono::steady_clock::now();
        auto [ec, r] = co_await conn.async_query("SELECT 1", pgasio::with_timeout(300ms, nothrow));
        const auto took = std::chrono::steady_clock::now() - start;
        CHECK(ec == client_errc::query_timeout);
        CHECK(took < 3s);
        CHECK(conn.is_open());
        proxy.release();
        auto after = co_await conn.async_query("SELECT $1::int4", 5, pgasio::with_timeout(5s));
        CHECK(after[0].get<std::int32_t>(0) == 5);
        // Delayed both ways: slower, still right.
        proxy.delay(direction::to_client, 20ms);
        proxy.delay(direction::to_server, 20ms);
        auto slow = co_await conn.async_query("SELECT $1::int4", 6, pgasio::with_timeout(5s));
        CHECK(slow[0].get<std::int32_t>(0) == 6);
        co_await conn.async_close();
    });
}

TEST_CASE("faults: a corrupted byte in the answer's header is a clear error, never a hang",
          "[faults]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto proxy = primary_proxy(ex);
        const auto cfg = through(proxy);
        pgasio::connection conn(ex);
        // The first answer message's type byte, then each byte of its length. A type or a length
        // the protocol cannot have is an error at once; a length that is only larger than it
        // should be looks like an answer still on its way: only the timeout ends the wait (as
        // it would for any client; TCP's checksums make such a corruption rare).
        const std::array<std::size_t, 5> offsets{0, 1, 2, 3, 4};
        int timed_out = 0;
        for (const auto offset : offsets) {
            co_await works_again(conn, cfg);
            proxy.corrupt_byte(direction::to_client, offset);
            const auto ec = co_await within(proxy, [&]() -> asio::awaitable<pgasio::error_code> {
                auto [qec, r] = co_await conn.async_query("SELECT $1::int4", 1,
                                                          pgasio::with_timeout(500ms, nothrow));
                if (!qec) CHECK(r[0].get<std::int32_t>(0) == 1);
                co_return qec;
            });
            INFO("byte " << offset << " corrupted: " << ec.message());
            CHECK((pgasio::is_fatal(ec) || ec == client_errc::query_timeout));
            if (ec != client_errc::query_timeout) continue;
            ++timed_out;
            // After the timeout the connection tells the truth (a pool trusts is_open()): the
            // server takes the cancel, but the request it is for never ends, as its answer's
            // end was taken for the rest of a longer message. Within the cancel timeout
            // (connect_timeout, 2 s) the connection says it is closed; were it still open, it
            // would have to answer the next request rightly.
            co_await eventually([&] { return !conn.is_open(); }, 5s);
            if (conn.is_open()) {
                auto [next_ec, next] = co_await conn.async_query("SELECT $1::int4", 2,
                                                                 pgasio::with_timeout(1s, nothrow));
                INFO("still open after the timeout; the next query: " << next_ec.message());
                CHECK(!next_ec);
            } else {
                auto [next_ec, next] = co_await conn.async_query("SELECT 1", nothrow);
                INFO(next_ec.message());
                CHECK(pgasio::is_fatal(next_ec));
            }
        }
        CHECK(timed_out > 0); // the case above was met
        co_await works_again(conn, cfg);
        co_await conn.async_close();
    });
}
