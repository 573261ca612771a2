// Transactions, timeouts and error details with pgasio, printed for a newcomer: a transfer in a
// transaction while another coroutine shares the connection, a transfer that breaks a
// constraint (its details read on the no-throw path, its transaction rolled back when dropped),
// a savepoint, async_transaction running a serializable transfer again after a conflict, why
// BEGIN needs a transaction object, a query with its own timeout, and a server-side cursor.
// Usage: pgasio_example_transactions "postgresql://user:password@host:port/db"
#include <pgasio/connection.hpp>
#include <pgasio/transaction.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/core.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <tuple>

namespace asio = boost::asio;
using namespace std::chrono_literals;

// The no-throw path: `co_await` yields (error_code, value) instead of throwing, and `diag`
// receives what the server (or pgasio) said about a failure, which the error_code alone lacks.
auto no_throw(pgasio::diagnostics& diag) {
    return pgasio::diagnostics_into(diag, asio::as_tuple(asio::deferred));
}

// Waits without blocking the thread, so that the connection and other coroutines go on.
asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(asio::use_awaitable);
}

// Shows the committed state after each step: what a transfer left behind, if anything.
asio::awaitable<void> print_balances(pgasio::connection& conn) {
    for (auto row : co_await conn.async_query("SELECT id, balance FROM accounts ORDER BY id"))
        fmt::print("   account {}: {}\n", row.get<std::int32_t>(0), row.get<std::int64_t>(1));
}

// Moves `amount` between two accounts in one transaction and returns how that went. The
// transaction keeps every other coroutine's statement out; on any failure it is simply dropped,
// and dropping a transaction rolls it back, so no path can forget the ROLLBACK (or commit half a
// transfer).
asio::awaitable<pgasio::error_code> transfer(pgasio::connection& conn, std::int32_t from,
                                             std::int32_t to, std::int64_t amount,
                                             pgasio::diagnostics& diag) {
    auto tx = co_await conn.async_begin();
    auto [ec, n] = co_await tx.async_execute(
        "UPDATE accounts SET balance = balance - $1 WHERE id = $2", amount, from, no_throw(diag));
    if (ec) co_return ec;
    std::tie(ec, n) = co_await tx.async_execute(
        "UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, to, no_throw(diag));
    if (ec) co_return ec;
    std::tie(ec) = co_await tx.async_commit(no_throw(diag));
    co_return ec;
}

asio::awaitable<void> run(std::string url) {
    auto ex = co_await asio::this_coro::executor;
    pgasio::connection conn(ex);
    co_await conn.async_connect(pgasio::config::parse(url).value());
    co_await conn.async_execute("CREATE TEMP TABLE accounts (id int4 PRIMARY KEY, balance int8 "
                                "NOT NULL CONSTRAINT no_overdraft CHECK (balance >= 0))");
    co_await conn.async_execute("INSERT INTO accounts VALUES (1, 100), (2, 0)");

    fmt::print("== a transfer in a transaction\n");
    {
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("UPDATE accounts SET balance = balance - 30 WHERE id = 1");
        // Another coroutine uses the shared connection meanwhile. Were its query pipelined into
        // our transaction, it would see the half-done transfer; it waits, and runs once the
        // transaction ends.
        bool audited = false;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto total = co_await conn.async_query("SELECT sum(balance)::int8 FROM accounts");
                fmt::print("   the other coroutine ran after the commit and saw a total of {} "
                           "(70 in the middle of the transfer)\n",
                           total[0].get<std::int64_t>(0));
                audited = true;
            },
            [](const std::exception_ptr& e) {
                if (e) std::rethrow_exception(e);
            });
        // Long enough for the other coroutine's query to have run, were it not held back.
        co_await sleep_for(100ms);
        fmt::print("   100 ms into the transaction, the other coroutine has {}run\n",
                   audited ? "" : "not ");
        co_await tx.async_execute("UPDATE accounts SET balance = balance + 30 WHERE id = 2");
        co_await tx.async_commit(); // the other coroutine's query goes on now
        // Its line first, so that the output reads in order.
        while (!audited)
            co_await sleep_for(1ms);
    }
    co_await print_balances(conn);

    fmt::print("\n== a transfer that breaks a constraint: its details, and nothing of it kept\n");
    pgasio::diagnostics diag;
    const auto ec = co_await transfer(conn, 1, 2, 500, diag);
    fmt::print("   error_code: {}\n", ec.message());
    // What diagnostics_into filled: the server's own words, and which constraint was broken.
    fmt::print("   diagnostics: {} {}\n   detail: {}\n   constraint: {}\n", diag.sqlstate,
               diag.message, diag.detail, diag.constraint_name);
    co_await print_balances(conn);

    fmt::print("\n== a savepoint: part of a transaction undone, the rest committed\n");
    {
        auto tx = co_await conn.async_begin();
        co_await tx.async_execute("UPDATE accounts SET balance = balance - 10 WHERE id = 1");
        auto before_bonus = co_await tx.async_savepoint("before_bonus");
        auto [bonus_ec, bonus_n] = co_await tx.async_execute(
            "UPDATE accounts SET balance = balance - 1000 WHERE id = 1", no_throw(diag));
        fmt::print("   the bonus fails ({}, {} rows); back to the savepoint\n", bonus_ec.message(),
                   bonus_n);
        co_await tx.async_rollback_to(before_bonus); // the transaction works again
        co_await tx.async_execute("UPDATE accounts SET balance = balance + 10 WHERE id = 2");
        co_await tx.async_commit();
    }
    co_await print_balances(conn);

    fmt::print("\n== async_transaction: run again after a serialization failure\n");
    // At SERIALIZABLE, transactions that conflict fail with 40001 and must run again from the
    // start: async_transaction does that (with a growing, jittered pause), and commits.
    int runs = 0;
    co_await pgasio::async_transaction(
        conn, {.isolation = pgasio::isolation_level::serializable},
        pgasio::retry_options{.max_attempts = 5},
        [&](pgasio::transaction& tx) -> asio::awaitable<void> {
            ++runs;
            co_await tx.async_execute("UPDATE accounts SET balance = balance - 5 WHERE id = 1");
            co_await tx.async_execute("UPDATE accounts SET balance = balance + 5 WHERE id = 2");
        });
    fmt::print("   committed after {} run(s)\n", runs);
    co_await print_balances(conn);

    fmt::print("\n== BEGIN outside a transaction object is refused, and rolled back at once\n");
    // Other coroutines' statements would be written into the transaction and commit or roll
    // back with it: pgasio never lets that start.
    auto [begin_ec, n] = co_await conn.async_execute("BEGIN", asio::as_tuple(asio::deferred));
    fmt::print("   BEGIN: {}\n", begin_ec.message());

    fmt::print("\n== a query with its own timeout; the connection stays usable\n");
    // with_timeout wraps any token and applies to this query alone: the connection's default
    // (the config's query_timeout, here none) stays in force for every other one. The server is
    // asked to cancel the statement, so it does not hold up the queries behind it.
    const auto start = std::chrono::steady_clock::now();
    auto [slow_ec, slow] = co_await conn.async_query(
        "SELECT pg_sleep(10)", pgasio::with_timeout(200ms, asio::as_tuple(asio::deferred)));
    fmt::print("   pg_sleep(10) with a 200 ms timeout, after {} ms: {}\n",
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count(),
               slow_ec.message());
    auto next = co_await conn.async_query("SELECT 'still here'::text");
    fmt::print("   next query: {}\n", next[0].get<std::string_view>(0));

    fmt::print("\n== a server-side cursor: rows fetched a few at a time, in a transaction\n");
    {
        // The query stays open on the server; each fetch brings the next rows, whenever the
        // program asks, and the transaction may run other statements in between.
        auto tx = co_await conn.async_begin({.access = pgasio::access_mode::read_only});
        auto cur =
            co_await tx.async_open_cursor("SELECT g, g * g FROM generate_series(1, $1::int4) g",
                                          pgasio::cursor_options{.fetch_size = 4}, 10);
        while (!cur.exhausted()) {
            auto rows = co_await cur.async_fetch();
            std::string line;
            for (auto row : rows)
                line += fmt::format(" {}²={}", row.get<std::int32_t>(0), row.get<std::int32_t>(1));
            fmt::print("   fetched {} rows:{}\n", rows.size(), line);
        }
        co_await cur.async_close();
        co_await tx.async_commit();
    }

    co_await conn.async_close();
    fmt::print("\nclosed\n");
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fmt::print(stderr, "usage: {} postgresql://user:password@host:port/db\n", argv[0]);
        return 2;
    }
    asio::io_context ctx;
    asio::co_spawn(ctx, run(argv[1]), [](const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);
    });
    ctx.run();
    return 0;
}
