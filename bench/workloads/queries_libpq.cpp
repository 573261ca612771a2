// W1, W1-unix, W2, W2 sync-each, W3, W3-stream and W6 (workloads.hpp) with libpq, the baseline,
// used as its documentation suggests for each: PQexecPrepared round trips; pipeline mode on a
// non-blocking socket with poll; PQexecParams with binary results; single-row mode; the
// asynchronous API over several sockets. Connecting
// and preparing happen before the timed region; every result is checked, and a failed check
// exits non-zero saying why.
// Usage: queries_libpq CONNINFO WORKLOAD
//        queries_libpq CONNINFO stream [ROWS]
//   WORKLOAD: latency, latency-unix (W1 over a unix socket CONNINFO), pipeline (also run as
//   pipeline-batch, the baseline of pgasio's batch variant of W2), sync-each (W2 sync-each),
//   big-result, stream (W3-stream, of ROWS rows, 1,000,000 by default), concurrency,
//   insert-unnest (its baseline: multi-row INSERTs)
#include "copy_workloads.hpp"
#include "libpq_session.hpp"
#include "report.hpp"
#include "workloads.hpp"

#include <arpa/inet.h>
#include <endian.h>
#include <libpq-fe.h>
#include <poll.h>

#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bench = pgasio::bench;
using bench::check_failed;
using bench::fail;
using bench::libpq_failed;
using bench::wait_for;

namespace {

constexpr Oid int4_oid = 23;
constexpr Oid text_oid = 25;
constexpr Oid float8_oid = 701;
constexpr Oid timestamptz_oid = 1184;

// Prepares S as "s" on the session.
void prepare_s(const bench::libpq_session& s) {
    s.prepare("s", bench::s_sql, 1, &int4_oid);
}

// Sends S with $1 = value on the session, binary parameter and result (no wait).
void send_s(const bench::libpq_session& s, std::int32_t value) {
    const std::uint32_t be = htonl(static_cast<std::uint32_t>(value));
    const char* values[] = {reinterpret_cast<const char*>(&be)};
    const int lengths[] = {4};
    const int formats[] = {1};
    if (!PQsendQueryPrepared(s.conn, "s", 1, values, lengths, formats, 1))
        libpq_failed(s.conn, "PQsendQueryPrepared");
}

// The single int4 of one execution of S (a binary result), checked against its parameter.
std::int32_t value_of(const PGresult* r, std::int32_t param) {
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        check_failed("$1 = " + std::to_string(param) + ": " + PQresStatus(PQresultStatus(r)) + " " +
                     PQresultErrorMessage(r));
    if (PQntuples(r) != 1 || PQnfields(r) != 1 || PQftype(r, 0) != int4_oid ||
        PQgetlength(r, 0, 0) != 4)
        check_failed("$1 = " + std::to_string(param) + " gave an unexpected result shape");
    std::uint32_t be;
    std::memcpy(&be, PQgetvalue(r, 0, 0), 4);
    const auto v = static_cast<std::int32_t>(ntohl(be));
    if (v != param)
        check_failed("$1 = " + std::to_string(param) + " came back as " + std::to_string(v));
    return v;
}

void latency(const char* conninfo, const char* name) {
    const bench::libpq_session s(conninfo);
    prepare_s(s);
    bench::timed_region region;
    for (std::int32_t i = 1; i <= bench::latency_count; ++i) {
        const std::uint32_t be = htonl(static_cast<std::uint32_t>(i));
        const char* values[] = {reinterpret_cast<const char*>(&be)};
        const int lengths[] = {4};
        const int formats[] = {1};
        PGresult* r = PQexecPrepared(s.conn, "s", 1, values, lengths, formats, 1);
        value_of(r, i);
        PQclear(r);
    }
    region.report("libpq", name, bench::latency_count);
}

// Reads whatever results are complete on a connection in pipeline mode, calling on_result for
// each query's result and on_sync for each PGRES_PIPELINE_SYNC. PQgetResult gives NULL after
// each query's result; two NULLs in a row (or PQisBusy) mean nothing more is ready.
template <class OnResult, class OnSync>
void drain(PGconn* conn, OnResult on_result, OnSync on_sync) {
    if (!PQconsumeInput(conn)) libpq_failed(conn, "PQconsumeInput");
    bool after_null = false;
    while (!PQisBusy(conn)) {
        PGresult* r = PQgetResult(conn);
        if (!r) {
            if (after_null) return;
            after_null = true;
            continue;
        }
        after_null = false;
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC)
            on_sync();
        else
            on_result(r);
        PQclear(r);
    }
}

void enter_pipeline(PGconn* conn) {
    if (PQsetnonblocking(conn, 1) != 0) libpq_failed(conn, "PQsetnonblocking");
    if (!PQenterPipelineMode(conn)) libpq_failed(conn, "PQenterPipelineMode");
}

void sync(PGconn* conn) {
    if (!PQpipelineSync(conn)) libpq_failed(conn, "PQpipelineSync");
}

// 1 when output is still waiting for the socket to accept it.
int flush(PGconn* conn) {
    const int pending = PQflush(conn);
    if (pending < 0) libpq_failed(conn, "PQflush");
    return pending;
}

void pipeline(const char* conninfo, const char* name) {
    const bench::libpq_session s(conninfo);
    prepare_s(s);
    enter_pipeline(s.conn);
    std::int32_t sent = 0;
    std::int32_t received = 0;
    int syncs_outstanding = 0;
    int syncs_seen = 0;
    std::int64_t sum = 0;
    std::vector<pollfd> fds{{PQsocket(s.conn), POLLIN, 0}};
    bench::timed_region region;
    while (received < bench::pipeline_count || syncs_outstanding > 0) {
        while (sent < bench::pipeline_count && syncs_outstanding < bench::pipeline_max_syncs) {
            send_s(s, ++sent);
            if (sent % bench::pipeline_batch == 0) {
                sync(s.conn);
                ++syncs_outstanding;
            }
        }
        fds[0].events = static_cast<short>(POLLIN | (flush(s.conn) ? POLLOUT : 0));
        wait_for(fds);
        if (fds[0].revents & (POLLIN | POLLERR | POLLHUP))
            drain(
                s.conn,
                [&](const PGresult* r) {
                    ++received;
                    sum += value_of(r, received); // in order: the n-th result is $1 = n
                },
                [&] {
                    --syncs_outstanding;
                    ++syncs_seen;
                });
    }
    if (received != bench::pipeline_count || sum != bench::sum_to(bench::pipeline_count) ||
        syncs_seen != bench::pipeline_count / bench::pipeline_batch)
        check_failed(std::to_string(received) + " results summing to " + std::to_string(sum) +
                     ", " + std::to_string(syncs_seen) + " syncs");
    region.report("libpq", name, bench::pipeline_count);
    if (!PQexitPipelineMode(s.conn)) libpq_failed(s.conn, "PQexitPipelineMode");
}

// W2 sync-each: the 200,000 executions with PQpipelineSync after every one, as many in flight as
// the pipeline allows: queries are sent for as long as the socket accepts them, with no cap on
// the queries outstanding. libpq 15's PQpipelineSync flushes, so each query is its own send.
// Every sync_each_chunk queries the loop looks for results without waiting (poll with no
// timeout), so the server's answers are read while sending goes on; once the socket stops
// accepting (PQflush says output is pending) it waits for either direction. libpq itself reads
// input when a send would block, so the two sides never deadlock.
void sync_each(const char* conninfo, const char* name) {
    constexpr std::int32_t sync_each_chunk = 256;
    const bench::libpq_session s(conninfo);
    prepare_s(s);
    enter_pipeline(s.conn);
    std::int32_t sent = 0;
    std::int32_t received = 0;
    std::int32_t syncs_seen = 0;
    std::int64_t sum = 0;
    std::vector<pollfd> fds{{PQsocket(s.conn), POLLIN, 0}};
    bench::timed_region region;
    while (received < bench::pipeline_count || syncs_seen < bench::pipeline_count) {
        int pending = flush(s.conn);
        for (std::int32_t n = 0; n < sync_each_chunk && sent < bench::pipeline_count && !pending;
             ++n) {
            send_s(s, ++sent);
            sync(s.conn);
            pending = flush(s.conn);
        }
        fds[0].events = static_cast<short>(POLLIN | (pending ? POLLOUT : 0));
        fds[0].revents = 0;
        wait_for(fds, sent < bench::pipeline_count && !pending ? 0 : -1);
        if (fds[0].revents & (POLLIN | POLLERR | POLLHUP))
            drain(
                s.conn,
                [&](const PGresult* r) {
                    ++received;
                    sum += value_of(r, received); // in order: the n-th result is $1 = n
                    if (syncs_seen != received - 1)
                        check_failed("result " + std::to_string(received) + " after " +
                                     std::to_string(syncs_seen) + " syncs");
                },
                [&] { ++syncs_seen; });
    }
    if (received != bench::pipeline_count || sum != bench::sum_to(bench::pipeline_count) ||
        syncs_seen != bench::pipeline_count)
        check_failed(std::to_string(received) + " results summing to " + std::to_string(sum) +
                     ", " + std::to_string(syncs_seen) + " syncs");
    region.report("libpq", name, bench::pipeline_count);
    if (!PQexitPipelineMode(s.conn)) libpq_failed(s.conn, "PQexitPipelineMode");
}

// Checks W3's columns in a result (the whole result, or one row of a stream).
void check_big_result_columns(const PGresult* r) {
    if (PQnfields(r) != 4 || PQftype(r, 0) != int4_oid || PQftype(r, 1) != text_oid ||
        PQftype(r, 2) != float8_oid || PQftype(r, 3) != timestamptz_oid)
        check_failed("unexpected columns");
}

// Turns row i of a W3 result into native values and adds them to t; first_ts is the first row's
// timestamp, which every other row's must equal.
void add_big_result_row(const PGresult* r, int i, bench::big_result_totals& t,
                        std::int64_t& first_ts) {
    if (PQgetlength(r, i, 0) != 4 || PQgetlength(r, i, 2) != 8 || PQgetlength(r, i, 3) != 8 ||
        PQgetisnull(r, i, 1))
        check_failed("row " + std::to_string(t.rows) + " has unexpected value lengths");
    std::uint32_t u32;
    std::memcpy(&u32, PQgetvalue(r, i, 0), 4);
    const std::int64_t g = static_cast<std::int32_t>(ntohl(u32));
    const std::string_view text(PQgetvalue(r, i, 1),
                                static_cast<std::size_t>(PQgetlength(r, i, 1)));
    std::uint64_t u64;
    std::memcpy(&u64, PQgetvalue(r, i, 2), 8);
    const double d = std::bit_cast<double>(be64toh(u64));
    std::memcpy(&u64, PQgetvalue(r, i, 3), 8);
    const auto ts = static_cast<std::int64_t>(be64toh(u64)); // µs since 2000-01-01
    if (t.rows++ == 0) first_ts = ts;
    t.sum_g += g;
    t.text_lengths += static_cast<std::int64_t>(text.size());
    t.sum_doubles += d;
    t.timestamps_equal = t.timestamps_equal && ts == first_ts;
}

// insert-unnest's baseline: multi-row INSERTs of insert_rows_per_statement rows, text
// parameters (the server infers their types from the columns).
void insert_rows(const char* conninfo, const char* name) {
    const bench::libpq_session s(conninfo);
    s.command(bench::insert_create_sql);
    s.command(bench::insert_truncate_sql);
    constexpr int per = static_cast<int>(bench::insert_rows_per_statement);
    std::string sql = "INSERT INTO w4_insert (a, b, c) VALUES ";
    for (int r = 0; r < per; ++r)
        sql += (r ? ", ($" : "($") + std::to_string(3 * r + 1) + ", $" + std::to_string(3 * r + 2) +
               ", $" + std::to_string(3 * r + 3) + ")";
    bench::timed_region region;
    std::vector<std::string> texts(3 * static_cast<std::size_t>(per));
    std::vector<const char*> values(texts.size());
    std::int64_t inserted = 0;
    for (std::int64_t first = 1; first <= bench::insert_rows; first += per) {
        for (std::size_t r = 0; r < texts.size() / 3; ++r) {
            const std::int64_t i = first + static_cast<std::int64_t>(r);
            char b[21];
            texts[3 * r] = std::to_string(i);
            texts[3 * r + 1].assign(b, static_cast<std::size_t>(bench::w4_b_of(i, b)));
            char c[32];
            const auto end = std::to_chars(c, c + sizeof c, bench::w4_c_of(i)).ptr;
            texts[3 * r + 2].assign(c, end);
        }
        for (std::size_t k = 0; k < texts.size(); ++k)
            values[k] = texts[k].c_str();
        PGresult* res =
            PQexecParams(s.conn, sql.c_str(), 3 * per, nullptr, values.data(), nullptr, nullptr, 0);
        const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (ok) inserted += std::strtoll(PQcmdTuples(res), nullptr, 10);
        PQclear(res);
        if (!ok) libpq_failed(s.conn, "INSERT");
    }
    region.report("libpq", name, bench::insert_rows);
    if (inserted != bench::insert_rows)
        check_failed("the INSERTs inserted " + std::to_string(inserted) + " rows");
    PGresult* t = PQexec(s.conn, bench::insert_totals_sql);
    if (PQresultStatus(t) != PGRES_TUPLES_OK) libpq_failed(s.conn, "the totals");
    const bench::w4_totals totals{std::strtoll(PQgetvalue(t, 0, 0), nullptr, 10),
                                  std::strtoll(PQgetvalue(t, 0, 1), nullptr, 10),
                                  std::strtoll(PQgetvalue(t, 0, 2), nullptr, 10),
                                  std::strtod(PQgetvalue(t, 0, 3), nullptr)};
    PQclear(t);
    if (!bench::check_w4(totals, bench::insert_rows)) check_failed("the inserted rows");
}

void big_result(const char* conninfo, const char* name) {
    const bench::libpq_session s(conninfo);
    bench::timed_region region;
    PGresult* r =
        PQexecParams(s.conn, bench::big_result_sql, 0, nullptr, nullptr, nullptr, nullptr, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const std::string msg = PQresultErrorMessage(r);
        PQclear(r);
        fail("query failed: " + msg);
    }
    check_big_result_columns(r);
    bench::big_result_totals t;
    std::int64_t first_ts = 0;
    const int n = PQntuples(r);
    for (int i = 0; i < n; ++i)
        add_big_result_row(r, i, t, first_ts);
    if (!bench::check_big_result(t)) {
        PQclear(r);
        check_failed("W3 totals (see above)");
    }
    region.report("libpq", name, bench::big_result_rows, true);
    PQclear(r);
}

// W3-stream: W3's query (of `rows` rows) in single-row mode, extended protocol and binary
// results as W3, so that libpq holds one row at a time (one PGresult per row) whatever the size.
// The peak resident set size is reported: it should not grow with `rows`.
void stream(const char* conninfo, const char* name, std::int64_t rows) {
    const bench::libpq_session s(conninfo);
    const std::string sql = bench::big_result_sql_for(rows);
    bench::timed_region region;
    if (!PQsendQueryParams(s.conn, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1))
        libpq_failed(s.conn, "PQsendQueryParams");
    if (!PQsetSingleRowMode(s.conn)) libpq_failed(s.conn, "PQsetSingleRowMode");
    bench::big_result_totals t;
    std::int64_t first_ts = 0;
    bool complete = false;
    while (PGresult* r = PQgetResult(s.conn)) {
        const ExecStatusType status = PQresultStatus(r);
        if (status == PGRES_SINGLE_TUPLE) {
            if (t.rows == 0) check_big_result_columns(r);
            add_big_result_row(r, 0, t, first_ts);
        } else if (status == PGRES_TUPLES_OK && PQntuples(r) == 0) {
            complete = true; // the end of the rows: an empty result
        } else {
            const std::string msg =
                std::string(PQresStatus(status)) + " " + PQresultErrorMessage(r);
            PQclear(r);
            fail("query failed: " + msg);
        }
        PQclear(r);
    }
    if (!complete) check_failed("the stream did not end with its final result");
    if (!bench::check_big_result(t, rows)) check_failed("W3-stream totals (see above)");
    region.report("libpq", name, static_cast<long>(rows), true);
}

// Each connection keeps its clients' queries in flight, one Sync per query: a client sends its
// next query when the result of its previous one arrived. Results come back in the order sent,
// so a FIFO of client numbers per connection says whose each result is.
void concurrency(const char* conninfo, const char* name) {
    constexpr auto nconn = static_cast<std::size_t>(bench::concurrency_connections);
    std::vector<std::unique_ptr<bench::libpq_session>> sessions;
    for (std::size_t c = 0; c < nconn; ++c) {
        sessions.push_back(std::make_unique<bench::libpq_session>(conninfo));
        prepare_s(*sessions.back());
        enter_pipeline(sessions.back()->conn);
    }
    std::vector<std::deque<int>> in_flight(nconn);
    std::vector<std::int32_t> done(bench::concurrency_clients, 0);
    std::vector<pollfd> fds;
    for (const auto& s : sessions)
        fds.push_back({PQsocket(s->conn), POLLIN, 0});
    std::int64_t sum = 0;
    std::int64_t count = 0;
    constexpr std::int64_t total =
        std::int64_t{bench::concurrency_clients} * bench::concurrency_per_client;
    auto send_next = [&](int k) {
        const auto c = static_cast<std::size_t>(k % bench::concurrency_connections);
        send_s(*sessions[c],
               k * bench::concurrency_per_client + done[static_cast<std::size_t>(k)] + 1);
        sync(sessions[c]->conn);
        in_flight[c].push_back(k);
    };
    bench::timed_region region;
    for (int k = 0; k < bench::concurrency_clients; ++k)
        send_next(k);
    while (count < total) {
        for (std::size_t c = 0; c < nconn; ++c)
            fds[c].events = static_cast<short>(POLLIN | (flush(sessions[c]->conn) ? POLLOUT : 0));
        wait_for(fds);
        for (std::size_t c = 0; c < nconn; ++c) {
            if (!(fds[c].revents & (POLLIN | POLLERR | POLLHUP))) continue;
            drain(
                sessions[c]->conn,
                [&](const PGresult* r) {
                    if (in_flight[c].empty()) check_failed("a result nobody waited for");
                    const int k = in_flight[c].front();
                    in_flight[c].pop_front();
                    auto& n = done[static_cast<std::size_t>(k)];
                    sum += value_of(r, k * bench::concurrency_per_client + n + 1);
                    ++count;
                    if (++n < bench::concurrency_per_client) send_next(k);
                },
                [] {});
        }
    }
    if (count != total || sum != bench::sum_to(total))
        check_failed(std::to_string(count) + " results summing to " + std::to_string(sum));
    region.report("libpq", name, total);
}

} // namespace

int main(int argc, char** argv) {
    const bool is_stream = argc >= 3 && std::string_view(argv[2]) == "stream";
    if (argc != 3 && !(is_stream && argc == 4)) {
        std::fprintf(stderr, "usage: %s CONNINFO WORKLOAD, or %s CONNINFO stream [ROWS]\n", argv[0],
                     argv[0]);
        return 2;
    }
    // The stream's row count, W3's by default: its peak memory is compared across sizes.
    std::int64_t rows = bench::big_result_rows;
    if (argc == 4) {
        char* end = nullptr;
        rows = std::strtoll(argv[3], &end, 10);
        if (*end != '\0' || rows < 1 || rows > 50'000'000) {
            std::fprintf(stderr, "%s: bad row count %s\n", argv[0], argv[3]);
            return 2;
        }
    }
    const std::string_view workload = argv[2];
    bench::libpq_workload run;
    if (workload == "latency" || workload == "latency-unix") run = latency;
    if (workload == "pipeline" || workload == "pipeline-batch") run = pipeline;
    if (workload == "sync-each") run = sync_each;
    if (workload == "big-result") run = big_result;
    if (is_stream)
        run = [rows](const char* conninfo, const char* name) { stream(conninfo, name, rows); };
    // W6-pool's baseline is W6 itself: libpq has no pool.
    if (workload == "concurrency" || workload == "concurrency-pool") run = concurrency;
    if (workload == "insert-unnest") run = insert_rows;
    if (!run) {
        std::fprintf(stderr, "%s: unknown workload %s\n", argv[0], argv[2]);
        return 2;
    }
    return bench::run_libpq_workload(run, argv[1], argv[2]);
}
