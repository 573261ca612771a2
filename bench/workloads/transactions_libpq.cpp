// W8 (transaction_workloads.hpp) with libpq, the baseline: 8 connections driven by one thread
// through libpq's asynchronous API (PQsendQuery, PQsendQueryPrepared, PQconsumeInput,
// PQgetResult) and one poll loop over the 8 sockets. Each connection runs the transactions of
// its 8 clients whole and one at a time, taking the clients in turn (a client's next transaction
// after the others' current ones, as clients queueing for a connection get it); inside a
// transaction each statement is sent when the previous one's result has arrived.
//
// Why this is the fair and best libpq baseline: it is what pgasio does, one thread serving 8
// connections, with no more system calls per statement than blocking libpq (a send, a shared
// poll, a receive); 8 threads each blocking on its own connection would add a thread switch per
// statement on a machine whose cores the server's 8 backends need too, and client CPU measures
// the whole process either way. The UPDATE and the SELECT are prepared once per connection
// (binary parameter and result), BEGIN and COMMIT are plain PQsendQuery, libpq's cheapest form
// (one Query message). Connecting, filling the table and preparing happen before the timed
// region; every statement's result is checked, and so is sum(v) at the end: a failed check exits
// non-zero saying why.
// Usage: transactions_libpq CONNINFO WORKLOAD
//   WORKLOAD: transactions
#include "libpq_session.hpp"
#include "report.hpp"
#include "transaction_workloads.hpp"

#include <arpa/inet.h>
#include <endian.h>
#include <libpq-fe.h>
#include <poll.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bench = pgasio::bench;
using bench::check_failed;
using bench::libpq_failed;

namespace {

constexpr Oid int4_oid = 23;
constexpr Oid int8_oid = 20;

// One connection and the transactions of its clients: clients c, c + 8, ... (c its number),
// taken in turn, each transaction going through its four statements.
class w8_connection {
public:
    w8_connection(const char* conninfo, int number)
        : session_(conninfo)
        , number_(number) {
        session_.prepare("u", bench::w8_update_sql, 1, &int4_oid);
        session_.prepare("s", bench::w8_select_sql, 1, &int4_oid);
    }

    PGconn* conn() const { return session_.conn; }
    // True while a transaction is left to run or to finish.
    bool busy() const { return done_ < total_; }
    // Transactions committed.
    std::int64_t committed() const { return committed_; }

    // Starts the first transaction.
    void start() { send(); }

    // Reads what arrived; for each statement whose result is complete, checks it and sends
    // the next statement (the next transaction's BEGIN after a COMMIT).
    void on_readable() {
        if (!PQconsumeInput(conn())) libpq_failed(conn(), "PQconsumeInput");
        while (busy() && !PQisBusy(conn())) {
            PGresult* r = PQgetResult(conn());
            if (r) {
                check(r);
                PQclear(r);
                continue;
            }
            // NULL: the statement is over.
            if (!seen_result_) fail_here("no result");
            seen_result_ = false;
            if (++step_ == 4) {
                step_ = 0;
                ++done_;
                ++committed_;
                if (++turn_ == clients_) turn_ = 0;
            }
            if (busy()) send();
        }
    }

private:
    static constexpr int clients_ = bench::w8_clients / bench::w8_connections;
    static constexpr int total_ = clients_ * bench::w8_per_client;

    int client() const { return number_ + turn_ * bench::w8_connections; }
    // The transaction the current client is on: every client of the connection has run as
    // many as the turns completed.
    int tx() const { return done_ / clients_; }

    [[noreturn]] void fail_here(const std::string& what) const {
        check_failed("client " + std::to_string(client()) + " transaction " + std::to_string(tx()) +
                     " statement " + std::to_string(step_) + ": " + what);
    }

    void send() {
        switch (step_) {
        case 0:
            if (!PQsendQuery(conn(), "BEGIN")) libpq_failed(conn(), "PQsendQuery");
            break;
        case 1:
            send_prepared("u", bench::w8_update_id(client(), tx()));
            break;
        case 2:
            send_prepared("s", bench::w8_select_id(client(), tx()));
            break;
        default:
            if (!PQsendQuery(conn(), "COMMIT")) libpq_failed(conn(), "PQsendQuery");
            break;
        }
    }

    void send_prepared(const char* stmt, std::int32_t id) const {
        const std::uint32_t be = htonl(static_cast<std::uint32_t>(id));
        const char* values[] = {reinterpret_cast<const char*>(&be)};
        const int lengths[] = {4};
        const int formats[] = {1};
        if (!PQsendQueryPrepared(conn(), stmt, 1, values, lengths, formats, 1))
            libpq_failed(conn(), "PQsendQueryPrepared");
    }

    // Checks the result of the current statement.
    void check(PGresult* r) {
        if (seen_result_) fail_here("more than one result");
        seen_result_ = true;
        const ExecStatusType status = PQresultStatus(r);
        const ExecStatusType want = step_ == 2 ? PGRES_TUPLES_OK : PGRES_COMMAND_OK;
        if (status != want)
            fail_here(std::string(PQresStatus(status)) + " " + PQresultErrorMessage(r));
        if (step_ == 1 && std::string_view(PQcmdTuples(r)) != "1")
            fail_here(std::string("updated ") + PQcmdTuples(r) + " rows");
        if (step_ == 2) {
            if (PQntuples(r) != 1 || PQnfields(r) != 1 || PQftype(r, 0) != int8_oid ||
                PQgetlength(r, 0, 0) != 8)
                fail_here("an unexpected result shape");
            std::uint64_t be;
            std::memcpy(&be, PQgetvalue(r, 0, 0), 8);
            const auto v = static_cast<std::int64_t>(be64toh(be));
            if (!bench::w8_value_plausible(v, client(), tx()))
                fail_here("read v = " + std::to_string(v));
        }
        if (step_ == 3 && std::string_view(PQcmdStatus(r)) != "COMMIT")
            fail_here(std::string("COMMIT ended with ") + PQcmdStatus(r));
    }

    bench::libpq_session session_;
    int number_;
    int turn_ = 0; // which of the connection's clients runs: client() = number_ + 8 · turn_
    int step_ = 0; // the statement under way: BEGIN, UPDATE, SELECT, COMMIT
    int done_ = 0; // transactions finished on the connection
    bool seen_result_ = false; // the current statement gave its result
    std::int64_t committed_ = 0;
};

void transactions(const char* conninfo, const char* name) {
    const bench::libpq_session setup(conninfo);
    setup.command("SET client_min_messages = warning"); // no NOTICE when the table exists
    setup.command(bench::w8_create_sql);
    setup.command(bench::w8_truncate_sql);
    setup.command(bench::w8_fill_sql);
    std::vector<std::unique_ptr<w8_connection>> conns;
    std::vector<pollfd> fds;
    for (int c = 0; c < bench::w8_connections; ++c) {
        conns.push_back(std::make_unique<w8_connection>(conninfo, c));
        fds.push_back({PQsocket(conns.back()->conn()), POLLIN, 0});
    }
    bench::timed_region region;
    for (auto& c : conns)
        c->start();
    for (;;) {
        bool any = false;
        for (std::size_t c = 0; c < conns.size(); ++c) {
            fds[c].fd = conns[c]->busy() ? PQsocket(conns[c]->conn()) : -1; // -1: ignored
            any = any || conns[c]->busy();
        }
        if (!any) break;
        bench::wait_for(fds);
        for (std::size_t c = 0; c < conns.size(); ++c)
            if (fds[c].fd >= 0 && (fds[c].revents & (POLLIN | POLLERR | POLLHUP)))
                conns[c]->on_readable();
    }
    region.report("libpq", name, bench::w8_transactions);
    std::int64_t committed = 0;
    for (const auto& c : conns)
        committed += c->committed();
    PGresult* r = setup.exec(bench::w8_totals_sql, PGRES_TUPLES_OK);
    const std::int64_t rows = std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10);
    const std::int64_t sum = std::strtoll(PQgetvalue(r, 0, 1), nullptr, 10);
    PQclear(r);
    if (rows != bench::w8_rows || sum != committed || committed != bench::w8_transactions)
        check_failed("W8: " + std::to_string(committed) + " transactions committed, of " +
                     std::to_string(bench::w8_transactions) + ", and the table's " +
                     std::to_string(rows) + " rows have sum(v) = " + std::to_string(sum));
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CONNINFO WORKLOAD\n", argv[0]);
        return 2;
    }
    const std::string_view workload = argv[2];
    bench::libpq_workload run;
    // W8 through pgasio's pool is compared with W8 itself: libpq has no pool.
    if (workload == "transactions" || workload == "transactions-pool") run = transactions;
    if (!run) {
        std::fprintf(stderr, "%s: unknown workload %s\n", argv[0], argv[2]);
        return 2;
    }
    return bench::run_libpq_workload(run, argv[1], argv[2]);
}
