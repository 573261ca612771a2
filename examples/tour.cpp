// A short tour of querying with pgasio, printed for a newcomer: a table, parameters, typed rows,
// 1,000 queries at once on one connection, the statement cache, a query that times out,
// LISTEN/NOTIFY, COPY in and out. Usage: pgasio_example_tour
// "postgresql://user:password@host:port/db"
#include <pgasio/connection.hpp>
#include <pgasio/format.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe/class.hpp>

#include <fmt/core.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct user {
    std::int32_t id;
    std::string name;
    std::optional<std::string> email;
};
BOOST_DESCRIBE_STRUCT(user, (), (id, name, email))

asio::awaitable<void> tour(std::string url) {
    auto ex = co_await asio::this_coro::executor;
    pgasio::connection conn(ex);
    co_await conn.async_connect(pgasio::config::parse(url).value());
    fmt::print("connected to PostgreSQL {}\n\n", conn.parameter("server_version").value_or("?"));

    fmt::print("== a table, and rows inserted with typed parameters (sent in binary)\n");
    co_await conn.async_execute("CREATE TEMP TABLE users (id int4 PRIMARY KEY, name text NOT NULL, "
                                "email text)");
    for (auto [id, name, email] :
         {std::tuple{1, "alice", std::optional<std::string>("alice@example.org")},
          std::tuple{2, "bob", std::optional<std::string>()}}) {
        const auto n = co_await conn.async_execute(
            "INSERT INTO users (id, name, email) VALUES ($1, $2, $3)", id, name, email);
        fmt::print("   inserted {} row: id={} name={}\n", n, id, name);
    }

    fmt::print("\n== typed rows: by index, by name, NULL as std::optional, into a struct\n");
    auto rows = co_await conn.async_query("SELECT id, name, email FROM users ORDER BY id");
    for (auto row : rows)
        fmt::print("   {}  ->  id {} is {} ({})\n", row, row.get<std::int32_t>(0),
                   row.get<std::string_view>("name"),
                   row.try_get<std::string>("email").value_or("no email"));
    for (const user& u : co_await conn.async_query_as<user>("SELECT id, name, email FROM users"))
        fmt::print("   struct user{{id={}, name={}}}\n", u.id, u.name);

    fmt::print("\n== 1,000 coroutines share the connection: their queries are pipelined\n");
    int answered = 0;
    long sum = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 1; i <= 1000; ++i)
        asio::co_spawn(
            ex,
            [&, i]() -> asio::awaitable<void> {
                auto r = co_await conn.async_query("SELECT $1::int4 * 2", i);
                sum += r[0].get<std::int32_t>(0);
                ++answered;
            },
            asio::detached);
    asio::steady_timer wait(ex);
    while (answered < 1000) {
        wait.expires_after(1ms);
        co_await wait.async_wait(asio::use_awaitable);
    }
    fmt::print("   1000 answers, each its own (sum {} == {}), in {} ms\n", sum, 1000 * 1001,
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count());

    fmt::print("\n== plain queries run prepared statements, kept in the connection's cache\n");
    // Asked without the cache (describe_exec), so that asking adds nothing to it.
    auto cached = co_await conn.async_query(
        "SELECT name, generic_plans + custom_plans FROM pg_prepared_statements "
        "WHERE statement = $1",
        "SELECT $1::int4 * 2", pgasio::with_exec_mode(pgasio::query_exec_mode::describe_exec));
    fmt::print("   \"SELECT $1::int4 * 2\" is {}: prepared once, executed {} times\n",
               cached[0].get<std::string_view>(0), cached[0].get<std::int64_t>(1));

    fmt::print("\n== a query that takes too long is cancelled; the connection stays usable\n");
    conn.set_query_timeout(200ms);
    auto [ec, slow] =
        co_await conn.async_query("SELECT pg_sleep(10)", asio::as_tuple(asio::deferred));
    fmt::print("   pg_sleep(10): {}\n", ec.message());
    conn.set_query_timeout(0ms);
    auto next = co_await conn.async_query("SELECT 'still here'::text");
    fmt::print("   next query: {}\n", next[0].get<std::string_view>(0));

    fmt::print("\n== an error shows the SQLSTATE, the server's message and its DETAIL\n");
    try {
        co_await conn.async_execute("INSERT INTO users (id, name) VALUES (1, 'again')");
    } catch (const pgasio::error& e) {
        fmt::print("   {}\n", e.what());
    }

    fmt::print("\n== LISTEN/NOTIFY between two connections\n");
    pgasio::connection other(ex);
    co_await other.async_connect(pgasio::config::parse(url).value());
    co_await conn.async_listen("news");
    co_await other.async_execute("SELECT pg_notify('news', $1)", "hello from the other connection");
    auto note = co_await conn.async_receive_notification();
    fmt::print("   on \"{}\" from backend {}: {}\n", note.channel, note.process_id, note.payload);

    fmt::print("\n== COPY: CSV into a table and back out, in bounded memory\n");
    co_await conn.async_execute("CREATE TEMP TABLE cities (name text, population int4)");
    auto in = co_await conn.async_copy_in("COPY cities FROM STDIN (FORMAT csv)");
    // Any pieces: the server sees one stream of bytes (a real program would read a file).
    co_await in.async_write("Lyon,522250\n\"Saint-\u00c9tienne, Loire\",");
    co_await in.async_write("172565\nNowhere,\n");
    const std::uint64_t copied = co_await in.async_finish();
    fmt::print("   copied {} rows in\n", copied);
    auto out = co_await conn.async_copy_out(
        "COPY (SELECT * FROM cities ORDER BY name) TO STDOUT (FORMAT csv, HEADER)");
    for (std::string chunk; !(chunk = co_await out.async_read()).empty();)
        fmt::print("{}", chunk);
    fmt::print("   ({} rows out; the empty population is NULL)\n", out.rows());

    co_await other.async_close();
    co_await conn.async_close();
    fmt::print("\nclosed\n");
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fmt::print(stderr, "usage: {} postgresql://user:password@host:port/db\n", argv[0]);
        return 2;
    }
    asio::io_context ctx;
    asio::co_spawn(ctx, tour(argv[1]), [](const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);
    });
    ctx.run();
    return 0;
}
