// Settings of a connection pool (and of the routers built on pools).
#pragma once

#include <fmt/format.h> // formatter<string_view>::format, which the formatter below uses

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string>

namespace pgasio {

class type_registry;

/// How a pool sizes, times out and recycles its connections.
///
/// The sizes and the query timeout are the defaults of pgasio's original specification; the
/// idle, lifetime and health-check periods are those of pgx's pool, a proven choice. A duration
/// of zero means "no limit" / "never". config::validate() checks these (see each field), and
/// refuses durations that are negative or longer than 100 years (write zero, not
/// milliseconds::max(), for "never").
struct pool_options {
    /// Connections the pool keeps open even when idle. Must not exceed max_connections.
    std::size_t min_connections = 5;
    /// Most connections the pool opens at once; at least 1.
    std::size_t max_connections = 20;
    /// Default deadline of one query run through the pool (the whole query: sending, waiting,
    /// reading every row). Zero: no deadline.
    std::chrono::milliseconds query_timeout{std::chrono::seconds(30)};
    /// How long acquiring a connection may wait for one to become free (or be opened), counted
    /// from the call: the check of an idle connection (check_idle_after) is part of the wait.
    /// Past it the acquire fails with client_errc::pool_timeout. Zero: wait as long as it takes.
    /// Failed connection attempts are retried meanwhile, except when the server refuses the
    /// credentials (SQLSTATE class 28) or the database (3D000) twice in a row and no connection
    /// is open: every waiter then fails at once with the server's error.
    std::chrono::milliseconds acquire_timeout{std::chrono::seconds(30)};
    /// A connection idle for this long is closed (never below min_connections). Zero: never.
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(30)};
    /// A connection older than this is closed when it is next returned, so that server-side
    /// memory and changed DNS entries are picked up. Zero: never.
    std::chrono::milliseconds max_lifetime{std::chrono::hours(1)};
    /// How often idle connections are checked (and the pool topped up to min_connections).
    /// Zero: never.
    std::chrono::milliseconds health_check_interval{std::chrono::minutes(1)};
    /// A connection idle for longer than this is checked (an empty query, one round trip)
    /// before it is leased, so that a session the server or the network dropped unnoticed is
    /// replaced instead of handed out. Shared requests are not held up by it. Zero: never
    /// checked. The default is pgx's.
    std::chrono::milliseconds check_idle_after{std::chrono::seconds(1)};
    /// Most connections being opened at once: after an outage, the pool reconnects a few at a
    /// time instead of storming the server. At least 1.
    std::size_t max_connecting = 2;
    /// A lease (pool::async_acquire) held longer than this is reported once, with where it was
    /// acquired (pool::set_leak_handler). Zero: never.
    std::chrono::milliseconds leak_threshold{0};
    /// Run on a returned lease's connection before anyone else gets it, e.g. `DISCARD ALL` (which
    /// also forgets its prepared statements, so the statement cache starts over) or `RESET ALL`.
    /// Empty: none (a transaction left open is rolled back all the same).
    std::string reset_query;
    /// What the pool is called where it reports its state (observer::pool_state: the `pool`
    /// label of pg_pool_connections). Empty: the server it connects to, as to_string(host_spec)
    /// writes it (`db1:5432`). The pools of a cluster are called `name/db1:5432` (`db1:5432`
    /// without a name).
    std::string name;
    /// Set when the pool's executor runs handlers on several threads at once (an io_context run
    /// by several threads, a thread_pool): each connection then runs on a strand of its own.
    /// Unset, connections run on the executor itself, which is cheaper for callers on it. The
    /// pool's operations may be started from any thread either way.
    bool thread_safe = false;
    /// The user-defined types its connections share (pgasio/type_registry.hpp): loaded once,
    /// through any of them (connection::async_load_types), they serve all. Null: the pool makes
    /// one registry for its connections. Not part of the text form.
    std::shared_ptr<type_registry> types;

    /// Equal when every field is.
    friend bool operator==(const pool_options&, const pool_options&) = default;
};

/// Every field as `name=value`, durations in the largest unit that divides them exactly, e.g.
/// `min_connections=5 max_connections=20 query_timeout=30s acquire_timeout=30s idle_timeout=30min
/// max_lifetime=1h health_check_interval=1min check_idle_after=1s max_connecting=2 leak_threshold=0
/// reset_query='' name='' thread_safe=false`.
std::string to_string(const pool_options& options);

/// Writes to_string(options).
std::ostream& operator<<(std::ostream& os, const pool_options& options);

} // namespace pgasio

/// Formats pool_options as to_string() does.
template <>
struct fmt::formatter<pgasio::pool_options> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(const pgasio::pool_options& options, FormatContext& ctx) const
        -> decltype(ctx.out()) {
        return fmt::formatter<std::string_view>::format(pgasio::to_string(options), ctx);
    }
};
