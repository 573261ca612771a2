// W7 (statement_workloads.hpp) with libpq, the baseline: each of the 100 statements prepared once
// with PQprepare (inside the timed region, as pgasio's cache prepares them on first use), then
// every execution a PQexecPrepared round trip, binary parameter and result. Connecting happens
// before the timed region; every value is checked, and a failed check exits non-zero saying why.
// Usage: statements_libpq CONNINFO WORKLOAD
//   WORKLOAD: statement-cache (also run as statement-cache-off and statement-cache-describe, the
//   baseline of pgasio's other modes)
#include "libpq_session.hpp"
#include "report.hpp"
#include "statement_workloads.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace bench = pgasio::bench;
using bench::check_failed;

namespace {

constexpr Oid int4_oid = 23;

void statements(const char* conninfo, const char* name) {
    const bench::libpq_session s(conninfo);
    bench::timed_region region;
    for (int k = 1; k <= bench::statement_count; ++k)
        s.prepare(("s" + std::to_string(k)).c_str(), bench::statement_sql(k).c_str(), 1, &int4_oid);
    for (std::int32_t i = 1; i <= bench::statement_executions; ++i) {
        const int k = bench::statement_of(i);
        char stmt[8];
        std::snprintf(stmt, sizeof stmt, "s%d", k);
        const std::uint32_t be = htonl(static_cast<std::uint32_t>(i));
        const char* values[] = {reinterpret_cast<const char*>(&be)};
        const int lengths[] = {4};
        const int formats[] = {1};
        PGresult* r = PQexecPrepared(s.conn, stmt, 1, values, lengths, formats, 1);
        const bool shape_ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
                              PQnfields(r) == 1 && PQftype(r, 0) == int4_oid &&
                              PQgetlength(r, 0, 0) == 4;
        std::uint32_t got = 0;
        if (shape_ok) std::memcpy(&got, PQgetvalue(r, 0, 0), 4);
        const std::string error = shape_ok ? "" : PQresultErrorMessage(r);
        PQclear(r);
        if (!shape_ok)
            check_failed("statement " + std::to_string(k) + " with $1 = " + std::to_string(i) +
                         " gave an unexpected result " + error);
        const auto v = static_cast<std::int32_t>(ntohl(got));
        if (v != i + k)
            check_failed("statement " + std::to_string(k) + " with $1 = " + std::to_string(i) +
                         " gave " + std::to_string(v));
    }
    region.report("libpq", name, bench::statement_executions);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CONNINFO WORKLOAD\n", argv[0]);
        return 2;
    }
    const std::string_view workload = argv[2];
    bench::libpq_workload run;
    if (workload == "statement-cache" || workload == "statement-cache-off" ||
        workload == "statement-cache-describe")
        run = statements;
    if (!run) {
        std::fprintf(stderr, "%s: unknown workload %s\n", argv[0], argv[2]);
        return 2;
    }
    return bench::run_libpq_workload(run, argv[1], argv[2]);
}
