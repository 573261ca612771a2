// What the libpq workload programs share: failing with a message, a connection that closes
// itself, waiting for sockets, and main()'s running of one workload.
#pragma once

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgasio::bench {

/// Stops the workload with `what` (run_libpq_workload prints it and exits non-zero).
[[noreturn]] inline void fail(const std::string& what) {
    throw std::runtime_error(what);
}
/// Stops the workload: a check of what the server sent back failed.
[[noreturn]] inline void check_failed(const std::string& what) {
    fail("check failed: " + what);
}
/// Stops the workload: the libpq call `what` failed on `conn`, with its error message.
[[noreturn]] inline void libpq_failed(PGconn* conn, const char* what) {
    fail(std::string(what) + ": " + PQerrorMessage(conn));
}

/// A libpq connection, open from construction (which fails the workload when it cannot
/// connect) to destruction.
class libpq_session {
public:
    explicit libpq_session(const char* conninfo)
        : conn(PQconnectdb(conninfo)) {
        if (PQstatus(conn) != CONNECTION_OK) {
            const std::string msg = PQerrorMessage(conn);
            PQfinish(conn);
            fail("connection failed: " + msg);
        }
    }
    libpq_session(const libpq_session&) = delete;
    libpq_session& operator=(const libpq_session&) = delete;
    ~libpq_session() { PQfinish(conn); }

    /// Runs a statement, and returns its result (the caller clears it) when its status is
    /// `expected`; fails the workload otherwise.
    PGresult* exec(const char* sql, ExecStatusType expected) const {
        PGresult* r = PQexec(conn, sql);
        if (PQresultStatus(r) != expected) {
            const std::string msg = std::string(sql) + ": " + PQresultErrorMessage(r);
            PQclear(r);
            fail(msg);
        }
        return r;
    }

    /// Runs a statement that returns no rows.
    void command(const char* sql) const { PQclear(exec(sql, PGRES_COMMAND_OK)); }

    /// Prepares `sql` as the statement `name`, with the given parameter types.
    void prepare(const char* name, const char* sql, int n_params, const Oid* types) const {
        PGresult* r = PQprepare(conn, name, sql, n_params, types);
        const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) libpq_failed(conn, "PQprepare");
    }

    /// The connection.
    PGconn* conn = nullptr;
};

/// Waits until one of `fds` is ready (at most timeout_ms; -1: no limit), again after EINTR.
inline void wait_for(std::vector<pollfd>& fds, int timeout_ms = -1) {
    while (poll(fds.data(), fds.size(), timeout_ms) < 0)
        if (errno != EINTR) fail(std::string("poll: ") + std::strerror(errno));
}

/// A libpq workload: run(conninfo, workload name) does the work, prints its report line and
/// throws when something fails.
using libpq_workload = std::function<void(const char*, const char*)>;

/// main()'s last step: runs `run` with the connection string and the workload's name; returns
/// the exit status, 1 (after printing why) when it failed.
inline int run_libpq_workload(const libpq_workload& run, const char* conninfo, const char* name) {
    try {
        run(conninfo, name);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "libpq %s failed: %s\n", name, e.what());
        return 1;
    }
    return 0;
}

} // namespace pgasio::bench
