// COPY FROM STDIN and COPY TO STDOUT against the real primary: formats, errors, aborts, early
// stops, and the connection's other requests around a COPY.
#include <pgasio/connection.hpp>
#include <pgasio/exclusive_lease.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define PGASIO_TEST_ASAN 1
#elif defined(__has_feature)
#define PGASIO_TEST_ASAN __has_feature(address_sanitizer)
#else
#define PGASIO_TEST_ASAN 0
#endif
#if PGASIO_TEST_ASAN
// The sanitizer runtime's (sanitizer/allocator_interface.h, not installed with every compiler).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace asio = boost::asio;
using pgasio::client_errc;
using pgasio::test::connect_primary;
using pgasio::test::run;
using pgasio::test::sleep_for;
using namespace std::chrono_literals;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

asio::awaitable<std::int64_t> count_rows(pgasio::connection& conn, const char* table) {
    auto r = co_await conn.async_query(std::string("SELECT count(*) FROM ") + table);
    co_return r[0].get<std::int64_t>(0);
}

// Big-endian bytes of `v`, for the binary COPY format.
template <class T>
void put_be(std::string& out, T v) {
    for (int i = sizeof(T) - 1; i >= 0; --i)
        out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
}

} // namespace

TEST_CASE("copy: CSV in many writes, with NULLs, empty strings, quotes and newlines") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE copied (id int4 PRIMARY KEY, name text)");
        auto copy = co_await conn.async_copy_in("COPY copied (id, name) FROM STDIN (FORMAT csv)");
        constexpr int n = 100'000;
        std::string batch;
        for (int i = 1; i <= n; ++i) {
            if (i == 1)
                batch += "1,\n"; // unquoted empty: NULL
            else if (i == 2)
                batch += "2,\"\"\n"; // quoted empty: the empty string
            else if (i == 3)
                batch += "3,\"line one\nline two, \"\"quoted\"\"\"\n";
            else
                batch += std::to_string(i) + ",name " + std::to_string(i) + "\n";
            // Writes of odd sizes: rows split across writes.
            if (batch.size() > 7'000 || i == n) {
                const std::size_t half = batch.size() / 2;
                co_await copy.async_write(std::string_view(batch).substr(0, half));
                co_await copy.async_write(std::string_view(batch).substr(half));
                batch.clear();
            }
        }
        const std::uint64_t rows = co_await copy.async_finish();
        CHECK(rows == n);
        // Awaited outside the assertion: GCC 12 may evaluate a co_await inside one twice.
        const auto in_table = co_await count_rows(conn, "copied");
        CHECK(in_table == n);
        auto r = co_await conn.async_query(
            "SELECT name IS NULL, name = '', name FROM copied WHERE id <= 3 ORDER BY id");
        CHECK(r[0].get<bool>(0));
        CHECK(r[1].get<bool>(1));
        CHECK(r[2].get<std::string>(2) == "line one\nline two, \"quoted\"");
        auto last = co_await conn.async_query("SELECT name FROM copied WHERE id = $1", n);
        CHECK(last[0].get<std::string>(0) == "name 100000");
        // A second async_finish: the COPY is over.
        auto [ec, again] = co_await copy.async_finish(nothrow);
        CHECK(ec == client_errc::copy_ended);
    });
}

TEST_CASE("copy: text format escapes, and binary format built by hand") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE t (id int4, name text)");
        {
            auto copy = co_await conn.async_copy_in("COPY t FROM STDIN");
            co_await copy.async_write("1\ttab\\there\n2\t\\N\n3\tback\\\\slash\n");
            const auto text_rows = co_await copy.async_finish();
            CHECK(text_rows == 3);
        }
        auto text = co_await conn.async_query("SELECT name FROM t ORDER BY id");
        CHECK(text[0].get<std::string>(0) == "tab\there");
        CHECK(text[1].is_null(0));
        CHECK(text[2].get<std::string>(0) == "back\\slash");

        // PGCOPY signature, flags, header extension; per tuple the field count, then each
        // field's length and bytes; -1 ends the data.
        std::string bin("PGCOPY\n\xff\r\n\0", 11);
        put_be<std::int32_t>(bin, 0);
        put_be<std::int32_t>(bin, 0);
        for (std::int32_t id = 10; id < 13; ++id) {
            put_be<std::int16_t>(bin, 2);
            put_be<std::int32_t>(bin, 4);
            put_be<std::int32_t>(bin, id);
            const std::string name = "bin " + std::to_string(id);
            put_be<std::int32_t>(bin, static_cast<std::int32_t>(name.size()));
            bin += name;
        }
        put_be<std::int16_t>(bin, -1);
        auto copy = co_await conn.async_copy_in("COPY t FROM STDIN (FORMAT binary)");
        co_await copy.async_write(bin);
        const auto binary_rows = co_await copy.async_finish();
        CHECK(binary_rows == 3);
        auto r = co_await conn.async_query("SELECT string_agg(name, ',' ORDER BY id) FROM t "
                                           "WHERE id >= 10");
        CHECK(r[0].get<std::string>(0) == "bin 10,bin 11,bin 12");
    });
}

TEST_CASE("copy: a constraint violation mid-COPY leaves the table unchanged") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE uniq (id int4 PRIMARY KEY)");
        auto copy = co_await conn.async_copy_in("COPY uniq FROM STDIN");
        pgasio::error_code failed;
        pgasio::diagnostics diag;
        std::string batch;
        for (int i = 1; i <= 100'000 && !failed; ++i) {
            batch += std::to_string(i == 50'000 ? 7 : i) + "\n"; // row 50,000 repeats id 7
            if (batch.size() > 10'000) {
                std::tie(failed) =
                    co_await copy.async_write(batch, pgasio::diagnostics_into(diag, nothrow));
                batch.clear();
            }
        }
        std::uint64_t rows = 0;
        if (!failed)
            std::tie(failed, rows) =
                co_await copy.async_finish(pgasio::diagnostics_into(diag, nothrow));
        CHECK(failed == pgasio::sqlstate::unique_violation);
        CHECK(diag.message.find("duplicate key") != std::string::npos);
        CHECK(diag.where.find("line 50000") != std::string::npos);
        const auto uniq_rows = co_await count_rows(conn, "uniq");
        CHECK(uniq_rows == 0);
    });
}

TEST_CASE("copy: aborting, or dropping the writer, copies nothing, the connection goes on") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE ab (id int4)");
        {
            auto copy = co_await conn.async_copy_in("COPY ab FROM STDIN");
            co_await copy.async_write("1\n2\n3\n");
            co_await copy.async_abort("changed my mind");
            auto [ec] = co_await copy.async_write("4\n", nothrow);
            CHECK(ec == client_errc::copy_ended);
        }
        const auto after_abort = co_await count_rows(conn, "ab");
        CHECK(after_abort == 0);
        {
            auto copy = co_await conn.async_copy_in("COPY ab FROM STDIN");
            co_await copy.async_write(std::string(200'000, '\n').replace(0, 2, "5\n"));
            // Dropped here, unfinished.
        }
        const auto after_drop = co_await count_rows(conn, "ab");
        CHECK(after_drop == 0);
    });
}

TEST_CASE("copy: others' requests wait for the COPY and are answered after it") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE w (id int4)");
        auto copy = co_await conn.async_copy_in("COPY w FROM STDIN");
        // Another coroutine's query: written only once the COPY is over, so it sees its rows.
        std::optional<std::int64_t> seen;
        conn.async_query("SELECT count(*) FROM w", [&](pgasio::error_code e, pgasio::result r) {
            if (!e) seen = r[0].get<std::int64_t>(0);
        });
        co_await copy.async_write("1\n2\n");
        co_await sleep_for(50ms);
        CHECK(!seen);
        co_await copy.async_finish();
        for (int i = 0; !seen && i < 200; ++i)
            co_await sleep_for(5ms);
        REQUIRE(seen);
        CHECK(*seen == 2);
    });
}

TEST_CASE("copy: statements that start no such COPY fail clearly") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        pgasio::diagnostics diag;
        auto [ec, w] =
            co_await conn.async_copy_in("SELECT 1", pgasio::diagnostics_into(diag, nothrow));
        CHECK(ec == client_errc::copy_not_started);
        CHECK(diag.message.find("COPY FROM STDIN") != std::string::npos);
        auto [out_ec, rd] = co_await conn.async_copy_out("SELECT 1", nothrow);
        CHECK(out_ec == client_errc::copy_not_started);
        auto [missing, w2] = co_await conn.async_copy_in("COPY no_such_table FROM STDIN", nothrow);
        CHECK(missing == pgasio::sqlstate::undefined_table);
        auto [wrong_way, w3] = co_await conn.async_copy_in("COPY (SELECT 1) TO STDOUT", nothrow);
        CHECK(wrong_way == client_errc::copy_needs_copy_api);
        auto r = co_await conn.async_query("SELECT 1");
        CHECK(r[0].get<std::int32_t>(0) == 1);
    });
}

TEST_CASE("copy: a second COPY in the statement text is refused, the first's handle kept") {
    // The server runs each COPY of a multi-statement text in turn: the handle serves the first
    // and the second must be refused, not hand a handle out again to an opener long answered.
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE two (id int4)");
        {
            auto copy = co_await conn.async_copy_in("COPY two FROM STDIN; COPY two FROM STDIN");
            co_await copy.async_write("1\n");
            auto [ec, rows] = co_await copy.async_finish(nothrow);
            CHECK(ec == client_errc::copy_needs_copy_api);
        }
        // The text ran as one implicit transaction: the refused second COPY undid the first.
        const auto copied = co_await count_rows(conn, "two");
        CHECK(copied == 0);
        {
            auto out = co_await conn.async_copy_out(
                "COPY (SELECT 1) TO STDOUT; COPY (SELECT 2) TO STDOUT");
            std::string data;
            pgasio::error_code ec;
            for (;;) {
                auto [read_ec, chunk] = co_await out.async_read(nothrow);
                ec = read_ec;
                if (ec || chunk.empty()) break;
                data += chunk;
            }
            CHECK(ec == client_errc::copy_needs_copy_api);
            CHECK(data == "1\n");
        }
        auto r = co_await conn.async_query("SELECT 'after'::text");
        CHECK(r[0].get<std::string>(0) == "after");
    });
}

TEST_CASE("copy: TO STDOUT in bounded chunks, and stopped early") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        {
            auto out = co_await conn.async_copy_out(
                "COPY (SELECT g, 'row ' || g FROM generate_series(1, 200000) g) TO STDOUT "
                "(FORMAT csv)");
            std::size_t bytes = 0, lines = 0, largest = 0;
            std::string last_line;
            for (;;) {
                std::string chunk = co_await out.async_read();
                if (chunk.empty()) break;
                bytes += chunk.size();
                largest = std::max(largest, chunk.size());
                lines += static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
                const auto end = chunk.rfind('\n', chunk.size() - 2);
                last_line = chunk.substr(end == std::string::npos ? 0 : end + 1);
            }
            CHECK(lines == 200'000);
            CHECK(out.rows() == 200'000);
            CHECK(last_line == "200000,row 200000\n");
            CHECK(largest < pgasio::copy_reader::chunk_bytes + 100);
            CHECK(bytes > 3'000'000);
        }
        {
            auto out = co_await conn.async_copy_out(
                "COPY (SELECT g FROM generate_series(1, 5000000) g) TO STDOUT");
            auto first = co_await out.async_read();
            CHECK(first.rfind("1\n2\n", 0) == 0);
            // Dropped: the rest is cancelled on the server and drained.
        }
        auto r = co_await conn.async_query("SELECT 'after'::text");
        CHECK(r[0].get<std::string>(0) == "after");
    });
}

TEST_CASE("copy: in a lease's transaction, rolled back with it") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE tx (id int4)");
        {
            auto lease = co_await conn.async_acquire_exclusive();
            co_await lease.async_execute("BEGIN");
            auto copy = co_await lease.async_copy_in("COPY tx FROM STDIN");
            co_await copy.async_write("1\n2\n3\n");
            const auto copied_in_tx = co_await copy.async_finish();
            CHECK(copied_in_tx == 3);
            auto inside = co_await lease.async_query("SELECT count(*) FROM tx");
            CHECK(inside[0].get<std::int64_t>(0) == 3);
            co_await lease.async_execute("ROLLBACK");
        }
        const auto after_rollback = co_await count_rows(conn, "tx");
        CHECK(after_rollback == 0);
    });
}

TEST_CASE("copy: a constraint broken at row 500,000 copies nothing and names the line") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        co_await conn.async_execute("CREATE TEMP TABLE bounded (id int8 PRIMARY KEY, "
                                    "v int4 CONSTRAINT v_positive CHECK (v > 0))");
        co_await conn.async_execute("INSERT INTO bounded VALUES (-1, 1), (-2, 2)");
        struct breach {
            const char* row; // line 500,000 of the COPY
            pgasio::sqlstate expected;
            const char* constraint;
        };
        // Row 500,000 repeats the id of row 7, or has a v the CHECK refuses.
        for (const breach& b :
             {breach{"7\t1\n", pgasio::sqlstate::unique_violation, "bounded_pkey"},
              breach{"500000\t0\n", pgasio::sqlstate::check_violation, "v_positive"}}) {
            INFO(b.constraint);
            auto copy = co_await conn.async_copy_in("COPY bounded FROM STDIN");
            pgasio::error_code failed;
            pgasio::diagnostics diag;
            std::string batch;
            for (std::int64_t i = 1; i <= 1'000'000 && !failed; ++i) {
                if (i == 500'000)
                    batch += b.row;
                else
                    batch += std::to_string(i) + "\t1\n";
                if (batch.size() >= pgasio::copy_writer::chunk_bytes) {
                    std::tie(failed) =
                        co_await copy.async_write(batch, pgasio::diagnostics_into(diag, nothrow));
                    batch.clear();
                }
            }
            if (!failed)
                std::tie(failed) =
                    co_await copy.async_write(batch, pgasio::diagnostics_into(diag, nothrow));
            std::uint64_t rows = 0;
            if (!failed)
                std::tie(failed, rows) =
                    co_await copy.async_finish(pgasio::diagnostics_into(diag, nothrow));
            CHECK(failed == b.expected);
            CHECK(rows == 0);
            CHECK(diag.constraint_name == b.constraint);
            CHECK(diag.where.find("COPY bounded, line 500000") != std::string::npos);
            // The table holds what it held before; the connection goes on.
            auto r = co_await conn.async_query("SELECT count(*), sum(id)::int8 FROM bounded");
            CHECK(r[0].get<std::int64_t>(0) == 2);
            CHECK(r[0].get<std::int64_t>(1) == -3);
        }
        auto copy = co_await conn.async_copy_in("COPY bounded FROM STDIN");
        co_await copy.async_write("1\t1\n2\t2\n");
        const auto rows = co_await copy.async_finish();
        CHECK(rows == 2);
    });
}

namespace {

// A COPY into `table` that the server cannot go on with (once start() has run): another
// session's transaction holds an uncommitted row with id 1, the COPY's first row, so the server
// waits for that transaction at its first batch of rows, stops reading, and TCP fills.
// unblock() rolls it back.
struct blocked_copy {
    pgasio::connection other;
    std::optional<pgasio::exclusive_lease> tx; // holds `other`, which must not move

    std::string table; // not temporary (two sessions see it): one per test, as tests run at once

    blocked_copy(asio::any_io_executor ex, std::string name)
        : other(std::move(ex))
        , table(std::move(name)) {}

    asio::awaitable<void> start(pgasio::connection& conn) {
        co_await conn.async_execute("DROP TABLE IF EXISTS " + table);
        co_await conn.async_execute("CREATE TABLE " + table + " (id int4 PRIMARY KEY)");
        co_await other.async_connect(pgasio::test::test_config());
        tx.emplace(co_await other.async_acquire_exclusive());
        co_await tx->async_execute("BEGIN");
        co_await tx->async_execute("INSERT INTO " + table + " VALUES (1)");
    }

    // True once the session `pid` waits for a lock (the COPY is stuck mid-way).
    asio::awaitable<bool> waits_for_lock(std::int32_t pid) {
        for (int i = 0; i < 100; ++i) {
            // Inside `tx`'s transaction the activity view is read once and kept: clear it to
            // see the session now. wait_event_type is NULL while the session does not wait.
            co_await tx->async_query("SELECT pg_stat_clear_snapshot()");
            auto r = co_await tx->async_query("SELECT coalesce(wait_event_type = 'Lock', false) "
                                              "FROM pg_stat_activity WHERE pid = $1",
                                              pid);
            if (r.size() == 1 && r[0].get<bool>(0)) co_return true;
            co_await sleep_for(20ms);
        }
        co_return false;
    }

    asio::awaitable<void> unblock() {
        if (!tx) co_return; // unblocked already
        co_await tx->async_execute("ROLLBACK");
        tx.reset();
        co_await other.async_close();
    }
};

// Text lines of ids first, first + 1, ... until about `bytes` bytes.
std::string id_lines(std::int64_t& next, std::size_t bytes) {
    std::string out;
    while (out.size() < bytes)
        out += std::to_string(next++) + "\n";
    return out;
}

} // namespace

TEST_CASE("copy: cancelling a write that waits for the socket aborts the COPY") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto conn = co_await connect_primary();
        blocked_copy blocked(ex, "copy_blocked_cancel");
        co_await blocked.start(conn);
        auto copy = co_await conn.async_copy_in("COPY " + blocked.table + " FROM STDIN");
        // Writes until one has waited 300 ms for the socket: the timer wins and the write is
        // cancelled. A write that ignored its cancellation would wait until the end of the run.
        std::int64_t next = 1;
        std::size_t written = 0;
        bool cancelled = false;
        while (!cancelled && written < 200'000'000) {
            const std::string lines = id_lines(next, pgasio::copy_writer::chunk_bytes);
            asio::steady_timer timer(ex, 300ms);
            auto first = co_await (copy.async_write(lines, asio::use_awaitable) ||
                                   timer.async_wait(asio::use_awaitable));
            cancelled = first.index() == 1;
            written += lines.size();
        }
        REQUIRE(cancelled);
        auto [ec] = co_await copy.async_write("1000000000\n", nothrow);
        CHECK(ec == asio::error::operation_aborted);
        // The COPY was cancelled on the server, as a cancelled query is: the connection answers
        // while the other transaction still holds the row the COPY waited for.
        const auto rows_meanwhile = co_await count_rows(conn, blocked.table.c_str());
        CHECK(rows_meanwhile == 0);
        co_await blocked.unblock();
        // Nothing is copied.
        const auto rows = co_await count_rows(conn, blocked.table.c_str());
        CHECK(rows == 0);
        co_await conn.async_execute("DROP TABLE " + blocked.table);
    });
}

TEST_CASE("copy: dropping the writer while the server is mid-COPY copies nothing") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        blocked_copy blocked(ex, "copy_blocked_drop");
        co_await blocked.start(conn);
        {
            auto copy = co_await conn.async_copy_in("COPY " + blocked.table + " FROM STDIN");
            std::int64_t next = 1;
            // Well under what TCP holds: the write completes although the server waits.
            co_await copy.async_write(id_lines(next, 4 * pgasio::copy_writer::chunk_bytes));
            const bool stuck = co_await blocked.waits_for_lock(conn.backend_pid());
            CHECK(stuck);
            // Dropped here, unfinished.
        }
        co_await blocked.unblock();
        const auto rows = co_await count_rows(conn, blocked.table.c_str());
        CHECK(rows == 0);
        co_await conn.async_execute("DROP TABLE " + blocked.table);
    });
}

TEST_CASE("copy: cancelling a read that waits stops the COPY on the server") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto conn = co_await connect_primary();
        // 400 kB of rows, then 20 s for the last one.
        auto out = co_await conn.async_copy_out(
            "COPY (SELECT g, CASE WHEN g = 50000 THEN pg_sleep(20) END "
            "FROM generate_series(1, 50000) g) TO STDOUT");
        // Reads until one has waited 300 ms: the timer wins and the read is cancelled. A read
        // that ignored its cancellation would wait for the last row.
        const auto started = std::chrono::steady_clock::now();
        bool cancelled = false;
        bool ended = false;
        while (!cancelled && !ended) {
            asio::steady_timer timer(ex, 300ms);
            auto first = co_await (out.async_read(asio::use_awaitable) ||
                                   timer.async_wait(asio::use_awaitable));
            cancelled = first.index() == 1;
            ended = first.index() == 0 && std::get<0>(first).empty();
        }
        REQUIRE(cancelled);
        auto [ec, chunk] = co_await out.async_read(nothrow);
        CHECK(ec == asio::error::operation_aborted);
        CHECK(chunk.empty());
        auto r = co_await conn.async_query("SELECT 'after'::text");
        CHECK(r[0].get<std::string>(0) == "after");
        // Cancelled on the server, not waited out.
        CHECK(std::chrono::steady_clock::now() - started < 10s);
    });
}

TEST_CASE("copy: a write that waits for the socket past its timeout stops the COPY") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto conn = co_await connect_primary();
        blocked_copy blocked(ex, "copy_blocked_write_timeout");
        co_await blocked.start(conn);
        auto copy = co_await conn.async_copy_in("COPY " + blocked.table + " FROM STDIN");
        // Writes until one waits for the socket past its 300 ms timeout. The 10 s timer only
        // ends a write whose timeout would not.
        std::int64_t next = 1;
        std::size_t written = 0;
        pgasio::error_code ec;
        pgasio::diagnostics diag;
        auto timed = [&] {
            return pgasio::with_timeout(
                300ms, pgasio::diagnostics_into(diag, asio::as_tuple(asio::use_awaitable)));
        };
        while (!ec && written < 200'000'000) {
            const std::string lines = id_lines(next, pgasio::copy_writer::chunk_bytes);
            asio::steady_timer safety(ex, 10s);
            auto first = co_await (copy.async_write(lines, timed()) ||
                                   safety.async_wait(asio::use_awaitable));
            REQUIRE(first.index() == 0);
            std::tie(ec) = std::get<0>(first);
            written += lines.size();
        }
        REQUIRE(ec == client_errc::query_timeout);
        CHECK(diag.message.find("timed out") != std::string::npos);
        // The COPY was ended and cancelled on the server: the connection answers while the
        // other transaction still holds the row the COPY waited for, and nothing was copied.
        const auto started = std::chrono::steady_clock::now();
        const auto rows_meanwhile = co_await count_rows(conn, blocked.table.c_str());
        CHECK(rows_meanwhile == 0);
        CHECK(std::chrono::steady_clock::now() - started < 5s);
        auto [later] = co_await copy.async_write("1000000000\n", nothrow);
        CHECK(later == client_errc::query_timeout);
        auto [finished, copied] = co_await copy.async_finish(nothrow);
        CHECK(finished == client_errc::query_timeout);
        co_await blocked.unblock();
        const auto rows = co_await count_rows(conn, blocked.table.c_str());
        CHECK(rows == 0);
        co_await conn.async_execute("DROP TABLE " + blocked.table);
    });
}

namespace {

// What async_finish says: its error, and the rows copied.
using finish_outcome = std::tuple<pgasio::error_code, std::uint64_t>;

// Ends the COPY `copy` into blocked.table (which waits for blocked's row) with async_finish,
// stopped by `stop` (a timeout, or a cancellation): returns what async_finish said. Should it
// wait on regardless, the row's transaction is rolled back after 5 s, so it ends all the same
// (having copied what it had).
template <class Stop>
asio::awaitable<finish_outcome> finish_stopped(asio::any_io_executor ex, blocked_copy& blocked,
                                               pgasio::copy_writer& copy, Stop stop) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer safety(ex, 5s);
    finish_outcome outcome;
    auto finish = [&]() -> asio::awaitable<void> {
        outcome = co_await stop(copy);
        safety.cancel();
    };
    auto unblock_late = [&]() -> asio::awaitable<void> {
        auto [e] = co_await safety.async_wait(nothrow);
        if (!e) co_await blocked.unblock();
    };
    co_await (finish() && unblock_late());
    co_return outcome;
}

} // namespace

TEST_CASE("copy: async_finish past its timeout, or cancelled, stops the COPY on the server") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto past_timeout = [](pgasio::copy_writer& copy) -> asio::awaitable<finish_outcome> {
            co_return co_await copy.async_finish(pgasio::with_timeout(300ms, nothrow));
        };
        auto cancelled = [](pgasio::copy_writer& copy) -> asio::awaitable<finish_outcome> {
            // Terminal cancellation after 300 ms, as a query's caller would give up.
            asio::cancellation_signal signal;
            asio::steady_timer timer(co_await asio::this_coro::executor, 300ms);
            timer.async_wait([&](pgasio::error_code e) {
                if (!e) signal.emit(asio::cancellation_type::terminal);
            });
            auto outcome = co_await copy.async_finish(
                asio::bind_cancellation_slot(signal.slot(), asio::as_tuple(asio::use_awaitable)));
            timer.cancel();
            co_return outcome;
        };
        struct way {
            const char* name;
            std::function<asio::awaitable<finish_outcome>(pgasio::copy_writer&)> stop;
            pgasio::error_code expected;
        };
        const std::vector<way> ways{{"past its timeout", past_timeout, client_errc::query_timeout},
                                    {"cancelled", cancelled, asio::error::operation_aborted}};
        for (const way& w : ways) {
            INFO(w.name);
            blocked_copy blocked(ex, "copy_blocked_finish");
            co_await blocked.start(conn);
            auto copy = co_await conn.async_copy_in("COPY " + blocked.table + " FROM STDIN");
            // Row 1 waits for the other transaction: the server is stuck after CopyDone.
            co_await copy.async_write("1\n2\n3\n");
            const auto started = std::chrono::steady_clock::now();
            auto [ec, rows] = co_await finish_stopped(ex, blocked, copy, w.stop);
            CHECK(ec == w.expected);
            CHECK(rows == 0);
            // Cancelled on the server: the connection answers before the row's transaction
            // ends, and the COPY copied nothing.
            const auto rows_meanwhile = co_await count_rows(conn, blocked.table.c_str());
            CHECK(rows_meanwhile == 0);
            CHECK(std::chrono::steady_clock::now() - started < 4s);
            co_await blocked.unblock();
            const auto copied = co_await count_rows(conn, blocked.table.c_str());
            CHECK(copied == 0);
            co_await conn.async_execute("DROP TABLE " + blocked.table);
        }
    });
}

TEST_CASE("copy: a read that waits past its timeout stops the COPY, the connection goes on") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        // 400 kB of rows, then 5 s for the last one.
        auto out =
            co_await conn.async_copy_out("COPY (SELECT g, CASE WHEN g = 50000 THEN pg_sleep(5) END "
                                         "FROM generate_series(1, 50000) g) TO STDOUT");
        const auto started = std::chrono::steady_clock::now();
        pgasio::error_code ec;
        bool ended = false;
        std::size_t bytes = 0;
        while (!ec && !ended) {
            std::string chunk;
            std::tie(ec, chunk) = co_await out.async_read(pgasio::with_timeout(300ms, nothrow));
            ended = !ec && chunk.empty();
            bytes += chunk.size();
        }
        REQUIRE(ec == client_errc::query_timeout);
        CHECK(bytes > 300'000);
        auto [later, chunk] = co_await out.async_read(nothrow);
        CHECK(later == client_errc::query_timeout);
        CHECK(chunk.empty());
        auto r = co_await conn.async_query("SELECT 'after'::text");
        CHECK(r[0].get<std::string>(0) == "after");
        // Cancelled on the server, not waited out.
        CHECK(std::chrono::steady_clock::now() - started < 4s);
    });
}

namespace {

// Reads a whole COPY TO STDOUT into one string.
asio::awaitable<std::string> copy_out_all(pgasio::connection& conn, const std::string& sql) {
    auto out = co_await conn.async_copy_out(sql);
    std::string all;
    for (;;) {
        const std::string chunk = co_await out.async_read();
        if (chunk.empty()) co_return all;
        all += chunk;
    }
}

} // namespace

TEST_CASE("copy: NULLs, empty strings, quotes, delimiters, newlines and tabs round-trip") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        // What the server must store, row i + 1 holding values[i].
        const std::vector<std::optional<std::string>> values{
            std::nullopt,  "",    "a,b",    "say \"hi\"", "line one\nline two", "tab\there",
            "back\\slash", "\\N", "cr\rlf", "\"\",\n\t\\"};
        // The same rows as the server writes them: text format escapes backslash, newline,
        // tab and carriage return, and writes NULL as \N; CSV writes NULL as nothing and quotes
        // the empty string and any value with a comma, a quote or a line break, doubling quotes.
        const std::string text = "1\t\\N\n"
                                 "2\t\n"
                                 "3\ta,b\n"
                                 "4\tsay \"hi\"\n"
                                 "5\tline one\\nline two\n"
                                 "6\ttab\\there\n"
                                 "7\tback\\\\slash\n"
                                 "8\t\\\\N\n"
                                 "9\tcr\\rlf\n"
                                 "10\t\"\",\\n\\t\\\\\n";
        const std::string csv = "1,\n"
                                "2,\"\"\n"
                                "3,\"a,b\"\n"
                                "4,\"say \"\"hi\"\"\"\n"
                                "5,\"line one\nline two\"\n"
                                "6,tab\there\n"
                                "7,back\\slash\n"
                                "8,\\N\n"
                                "9,\"cr\rlf\"\n"
                                "10,\"\"\"\"\",\n\t\\\"\n";
        struct format {
            const char* table;
            const char* options;
            const std::string& data;
        };
        for (const format& f :
             {format{"esc_text", "", text}, format{"esc_csv", "(FORMAT csv)", csv}}) {
            INFO(f.table);
            co_await conn.async_execute(std::string("CREATE TEMP TABLE ") + f.table +
                                        " (id int4, v text)");
            auto copy = co_await conn.async_copy_in(std::string("COPY ") + f.table +
                                                    " FROM STDIN " + f.options);
            // A byte per write: escapes, quotes and rows split across writes.
            for (const char c : f.data)
                co_await copy.async_write(std::string_view(&c, 1));
            const auto rows = co_await copy.async_finish();
            CHECK(rows == values.size());
            auto stored =
                co_await conn.async_query(std::string("SELECT v FROM ") + f.table + " ORDER BY id");
            REQUIRE(stored.size() == values.size());
            for (std::size_t i = 0; i < values.size(); ++i) {
                INFO("row " << i + 1);
                CHECK(stored[i].try_get<std::string>(0) == values[i]);
            }
            // Out again in both formats, as written.
            const std::string ordered =
                std::string("COPY (SELECT * FROM ") + f.table + " ORDER BY id) TO STDOUT";
            const auto text_out = co_await copy_out_all(conn, ordered);
            CHECK(text_out == text);
            const auto csv_out = co_await copy_out_all(conn, ordered + " (FORMAT csv)");
            CHECK(csv_out == csv);
        }
    });
}

TEST_CASE("copy: in and out through pgbouncer in transaction pooling mode") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await pgasio::test::connect_pgbouncer();
        // Not a temporary table: each transaction may run on another server session.
        co_await conn.async_execute("DROP TABLE IF EXISTS copy_bouncer");
        co_await conn.async_execute("CREATE TABLE copy_bouncer (id int4, name text)");
        constexpr int n = 100'000;
        {
            auto copy = co_await conn.async_copy_in("COPY copy_bouncer FROM STDIN (FORMAT csv)");
            std::string batch;
            for (int i = 1; i <= n; ++i) {
                batch += std::to_string(i) + ",\"name, " + std::to_string(i) + "\"\n";
                if (batch.size() >= pgasio::copy_writer::chunk_bytes || i == n) {
                    co_await copy.async_write(batch);
                    batch.clear();
                }
            }
            const auto rows = co_await copy.async_finish();
            CHECK(rows == n);
        }
        {
            // Aborted: nothing of it is copied.
            auto copy = co_await conn.async_copy_in("COPY copy_bouncer FROM STDIN (FORMAT csv)");
            co_await copy.async_write("0,aborted\n");
            co_await copy.async_abort("not wanted");
        }
        auto r = co_await conn.async_query(
            "SELECT count(*), sum(id)::int8, max(name) FILTER (WHERE id = $1) FROM copy_bouncer",
            n);
        CHECK(r[0].get<std::int64_t>(0) == n);
        CHECK(r[0].get<std::int64_t>(1) == std::int64_t{n} * (n + 1) / 2);
        CHECK(r[0].get<std::string>(2) == "name, 100000");
        const std::string out =
            co_await copy_out_all(conn, "COPY (SELECT * FROM copy_bouncer ORDER BY id) TO STDOUT");
        CHECK(std::count(out.begin(), out.end(), '\n') == n);
        CHECK(out.rfind("1\tname, 1\n", 0) == 0);
        CHECK(out.ends_with("\n100000\tname, 100000\n"));
        co_await conn.async_execute("DROP TABLE copy_bouncer");
        co_await conn.async_close();
    });
}

namespace {

// The process's peak resident set size so far (getrusage), in kB.
long peak_rss_kb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

// The process's resident set size now (/proc/self/statm), in kB.
long rss_kb() {
    long pages = 0;
    long resident = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// The memory the process holds now, in kB: its resident set size, or under AddressSanitizer its
// live heap, since there the resident set also holds up to 256 MB of freed memory (a quarantine,
// reused only once full) that grows with whatever the process frees.
long held_kb() {
#if PGASIO_TEST_ASAN
    return static_cast<long>(__sanitizer_get_current_allocated_bytes() / 1024);
#else
    return rss_kb();
#endif
}

// Client CPU time so far (user and system), in seconds.
double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto s = [](timeval t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return s(u.ru_utime) + s(u.ru_stime);
}

// What a COPY out of one connection and into another counted, and the process's memory while
// it ran.
struct piped {
    std::uint64_t rows_out = 0;
    std::uint64_t rows_in = 0;
    std::uint64_t bytes = 0;
    std::uint64_t newlines = 0;
    long held_early_kb = 0; // held_kb() once the first 16 MiB (about a million rows) passed
    long held_max_kb = 0;
    long rss_max_kb = 0;
};

// Copies n generated rows (a = 1..n, b = 'row-' || a) out of `from` in `format` and, chunk by
// chunk as they come, into copy_big on `to`: the client holds a few chunks whatever n is.
asio::awaitable<piped> pipe_rows(pgasio::connection& from, pgasio::connection& to, std::int64_t n,
                                 const std::string& format) {
    piped p;
    auto out =
        co_await from.async_copy_out("COPY (SELECT a, 'row-' || a FROM generate_series(1::int8, " +
                                     std::to_string(n) + ") a) TO STDOUT (FORMAT " + format + ")");
    auto in = co_await to.async_copy_in("COPY copy_big FROM STDIN (FORMAT " + format + ")");
    for (;;) {
        const std::string chunk = co_await out.async_read();
        if (chunk.empty()) break;
        p.bytes += chunk.size();
        p.newlines += static_cast<std::uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
        co_await in.async_write(chunk);
        const long held = held_kb();
        if (p.bytes < (16u << 20)) p.held_early_kb = held;
        p.held_max_kb = std::max(p.held_max_kb, held);
        p.rss_max_kb = std::max(p.rss_max_kb, rss_kb());
    }
    p.rows_out = out.rows();
    p.rows_in = co_await in.async_finish();
    co_return p;
}

// 10,000,000 rows out of the server in `format` and into a table again, checked on both sides;
// the process's memory may not grow with them.
void check_ten_million_rows(const std::string& format) {
    run(
        [&format](asio::any_io_executor) -> asio::awaitable<void> {
            auto from = co_await connect_primary();
            auto to = co_await connect_primary();
            co_await to.async_execute("CREATE TEMP TABLE copy_big (a int8, b text)");
            constexpr std::int64_t n = 10'000'000;
            const auto started = std::chrono::steady_clock::now();
            const double cpu_before = cpu_seconds();
            const piped p = co_await pipe_rows(from, to, n, format);
            const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
            std::printf("copy %s of %lld rows out and in: %.1f s (client CPU %.1f s), %llu bytes; "
                        "held %ld kB after the first 16 MiB, at most %ld kB (%s); RSS at most "
                        "%ld kB, peak RSS %ld kB\n",
                        format.c_str(), static_cast<long long>(n), took.count(),
                        cpu_seconds() - cpu_before, static_cast<unsigned long long>(p.bytes),
                        p.held_early_kb, p.held_max_kb, PGASIO_TEST_ASAN ? "live heap" : "RSS",
                        p.rss_max_kb, peak_rss_kb());
            // The writer holds a chunk of 64 KiB, the reader two, the connections their
            // buffers: nothing grows with the rows.
            CHECK(p.held_max_kb - p.held_early_kb < 16 * 1024);
            auto r = co_await to.async_query(
                "SELECT count(*), sum(a)::int8, sum(length(a::text))::int8, "
                "sum(length(b))::int8 FROM copy_big");
            const auto rows = r[0].get<std::int64_t>(0);
            const auto a_lengths = r[0].get<std::int64_t>(2);
            const auto b_lengths = r[0].get<std::int64_t>(3);
            CHECK(rows == n);
            CHECK(r[0].get<std::int64_t>(1) == n * (n + 1) / 2);
            CHECK(b_lengths == 4 * n + a_lengths);
            CHECK(p.rows_out == static_cast<std::uint64_t>(n));
            CHECK(p.rows_in == static_cast<std::uint64_t>(n));
            if (format == "binary") {
                // The header (signature, flags, extension length) and the trailer; per row the
                // field count, then a length before each value.
                CHECK(p.bytes ==
                      static_cast<std::uint64_t>(19 + 2 + (2 + 4 + 8 + 4) * n + b_lengths));
            } else {
                // "a<tab or comma>b\n": nothing needs escaping or quoting.
                CHECK(p.newlines == static_cast<std::uint64_t>(n));
                CHECK(p.bytes == static_cast<std::uint64_t>(a_lengths + b_lengths + 2 * n));
            }
        },
        std::chrono::seconds(300));
}

} // namespace

TEST_CASE("copy: 10 million rows out and in again in text format, in flat memory") {
    check_ten_million_rows("text");
}

TEST_CASE("copy: 10 million rows out and in again in CSV format, in flat memory") {
    check_ten_million_rows("csv");
}

TEST_CASE("copy: 10 million rows out and in again in binary format, in flat memory") {
    check_ten_million_rows("binary");
}

TEST_CASE("copy: a reader that stops reading holds the server back, in bounded memory") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        auto observer = co_await connect_primary();
        // About 1 GB of rows.
        const std::string sql = "COPY (SELECT g, repeat('x', 200) FROM generate_series(1, "
                                "5000000) g) TO STDOUT /* copy held back */";
        auto out = co_await conn.async_copy_out(sql);
        const std::string first = co_await out.async_read();
        CHECK(!first.empty());
        const long held_before = held_kb();
        co_await sleep_for(500ms);
        // The server is blocked writing to the client, which reads no more than two chunks
        // ahead of its reader.
        auto state = co_await observer.async_query(
            "SELECT state, coalesce(wait_event, '') FROM pg_stat_activity WHERE query = $1", sql);
        REQUIRE(state.size() == 1);
        CHECK(state[0].get<std::string>(0) == "active");
        CHECK(state[0].get<std::string>(1) == "ClientWrite");
        const long grown_kb = held_kb() - held_before;
        INFO("held " << grown_kb << " kB more while the reader paused");
        CHECK(grown_kb < 16 * 1024);
        // Read again, the data flows on: every read brings data, far more in all than the two
        // chunks held. (Chunks are full while what waits in the socket lasts; past it, a reader
        // that waits gets what the last read brought, as copy_reader says, so not every chunk
        // is full.)
        std::size_t bytes = first.size();
        int empty_chunks = 0;
        for (int i = 0; i < 100; ++i) {
            const std::string chunk = co_await out.async_read();
            bytes += chunk.size();
            if (chunk.empty()) ++empty_chunks;
        }
        CHECK(empty_chunks == 0);
        CHECK(bytes > 20 * pgasio::copy_reader::chunk_bytes);
        // Stopping early: the COPY is cancelled, the connection answers the next query.
        out.cancel();
        auto [ec, rest] = co_await out.async_read(nothrow);
        CHECK(ec == asio::error::operation_aborted);
        auto after = co_await conn.async_query("SELECT 7");
        CHECK(after[0].get<std::int32_t>(0) == 7);
        const auto still_running = co_await pgasio::test::running(observer, sql);
        CHECK(still_running == 0);
        co_await conn.async_close();
        co_await observer.async_close();
    });
}

TEST_CASE("copy: with_copy_buffer sizes the chunks both ways, within its bounds") {
    run([](asio::any_io_executor) -> asio::awaitable<void> {
        auto conn = co_await connect_primary();
        constexpr std::size_t buffer = 8 * 1024;
        {
            // Out: chunks of about 8 KiB of lines instead of 64 KiB.
            auto out = co_await conn.async_copy_out(
                "COPY (SELECT g, 'row ' || g FROM generate_series(1, 100000) g) TO STDOUT",
                pgasio::with_copy_buffer(buffer));
            CHECK(out.buffer_bytes() == buffer);
            // Not read for a while: the chunks waiting are full ones.
            co_await sleep_for(200ms);
            std::size_t bytes = 0, chunks = 0, largest = 0;
            for (;;) {
                const std::string chunk = co_await out.async_read();
                if (chunk.empty()) break;
                bytes += chunk.size();
                ++chunks;
                largest = std::max(largest, chunk.size());
            }
            CHECK(bytes > 1'500'000);
            CHECK(largest >= buffer);
            CHECK(largest < buffer + 100);
            CHECK(chunks >= bytes / (buffer + 100));
        }
        co_await conn.async_execute("CREATE TEMP TABLE small_chunks (id int8, label text)");
        const std::vector<std::string> columns{"id", "label"};
        const std::string label(100, 'x');
        // A row is 118 bytes of binary COPY (2 for the field count, 4 + 8 for the id, 4 + 100
        // for the label), after the chunk's 5-byte message header and the 19-byte file header.
        constexpr std::size_t row_bytes = 118;
        constexpr std::size_t headers = 5 + 19;
        std::uint64_t per_chunk = 0;
        {
            auto w = co_await conn.async_copy_in_rows("small_chunks", columns,
                                                      pgasio::with_copy_buffer(buffer));
            CHECK(w.buffer_bytes() == buffer);
            // The chunk, one CopyData message, is full once it holds the buffer's bytes.
            while (!w.wants_flush())
                w.write_row(static_cast<std::int64_t>(w.rows_written()), label);
            per_chunk = w.rows_written();
            CHECK(headers + (per_chunk - 1) * row_bytes < buffer);
            CHECK(headers + per_chunk * row_bytes >= buffer);
            co_await w.async_flush();
            for (std::int64_t i = 0; i < 1000; ++i)
                co_await w.async_write_row(i, label);
            const auto copied = co_await w.async_finish();
            CHECK(copied == per_chunk + 1000);
        }
        {
            // The typed reader's batches hold one chunk's rows (full ones, after a pause).
            auto r = co_await conn.async_copy_out_rows("small_chunks", columns,
                                                       pgasio::with_copy_buffer(buffer));
            co_await sleep_for(200ms);
            std::size_t total = 0, most = 0;
            for (;;) {
                pgasio::result batch = co_await r.async_next();
                if (batch.empty()) break;
                total += batch.size();
                most = std::max(most, batch.size());
            }
            CHECK(total == per_chunk + 1000);
            CHECK(most <= buffer / row_bytes + 2);
        }
        // Sizes out of range are refused, naming the range; nothing is sent.
        const std::array<std::size_t, 2> bad{pgasio::min_copy_buffer - 1,
                                             pgasio::max_copy_buffer + 1};
        for (const std::size_t size : bad) {
            INFO(size);
            pgasio::diagnostics diag;
            auto [in_ec, w] = co_await conn.async_copy_in(
                "COPY small_chunks FROM STDIN",
                pgasio::with_copy_buffer(size, pgasio::diagnostics_into(diag, nothrow)));
            CHECK(in_ec == boost::system::errc::invalid_argument);
            CHECK(diag.message.find("out of range") != std::string::npos);
            auto [out_ec, r] = co_await conn.async_copy_out_rows(
                "small_chunks", columns, pgasio::with_copy_buffer(size, nothrow));
            CHECK(out_ec == boost::system::errc::invalid_argument);
        }
        const auto rows = co_await count_rows(conn, "small_chunks");
        CHECK(rows == static_cast<std::int64_t>(per_chunk + 1000));
    });
}
