// W5 with libpq, the baseline: N sequential PQconnectdb + PQfinish.
// Usage: connect_libpq CONNINFO COUNT WORKLOAD-NAME
#include "report.hpp"

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s CONNINFO COUNT WORKLOAD\n", argv[0]);
        return 2;
    }
    const long count = std::atol(argv[2]);
    const bool want_tls = std::strstr(argv[1], "sslmode=require") != nullptr;
    long ok = 0;
    pgasio::bench::timed_region region;
    for (long i = 0; i < count; ++i) {
        PGconn* conn = PQconnectdb(argv[1]);
        if (PQstatus(conn) != CONNECTION_OK) {
            std::fprintf(stderr, "connection failed: %s", PQerrorMessage(conn));
            PQfinish(conn);
            return 1;
        }
        if (PQbackendPID(conn) > 0 && PQconnectionUsedPassword(conn) &&
            (PQsslInUse(conn) != 0) == want_tls)
            ++ok;
        PQfinish(conn);
    }
    region.report("libpq", argv[3], count);
    if (ok != count) {
        std::fprintf(stderr, "only %ld of %ld connections verified\n", ok, count);
        return 1;
    }
    return 0;
}
