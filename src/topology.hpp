// Topology probes: what one server of a cluster is (primary or standby) and, for a standby, how
// far behind it is. Each runs on a connected pgasio::connection, which it shares with whatever
// else runs there (one pipelined request each, no session state touched). Their queries are
// pgasio's own, not the application's: no observer hears of them (metrics, logs and traces
// count what the application ran).
#pragma once

#include <pgasio/connection.hpp>
#include <pgasio/server_role.hpp>
#include <pgasio/wal_lsn.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

namespace pgasio::detail {

/// The role of the server `conn` is connected to. PostgreSQL 14 and later report it as the
/// `in_hot_standby` parameter, at connect time and whenever it changes, so no query is sent;
/// older servers are asked `SELECT pg_is_in_recovery()`. A promotion reaches a session's
/// parameter at its next ReadyForQuery: on a connection idle since before the promotion the
/// parameter still says standby until a request has run (async_standby_lag, which then fails
/// with unexpected_null, is one that tells).
///
/// Errors (thrown as pgasio::error): those of the query, and client_errc::invalid_text_value
/// for an in_hot_standby other than on/off.
boost::asio::awaitable<server_role> async_server_role(connection& conn);

/// How far a standby is behind.
struct standby_lag {
    /// WAL received from the primary and flushed (pg_last_wal_receive_lsn()). A standby that
    /// has no WAL receiver (replaying from an archive only) reports the replay position here.
    wal_lsn received;
    /// WAL replayed: what a query on the standby sees (pg_last_wal_replay_lsn()).
    wal_lsn replayed;
    /// Bytes received but not yet replayed (pg_wal_lsn_diff(received, replayed), 0 when
    /// replay is ahead, as after a restart that replayed local WAL first).
    std::uint64_t bytes = 0;
    /// Bytes between the primary's position given to async_standby_lag and `replayed` (0 when
    /// replay is past it); nullopt when none was given. This includes WAL not yet received.
    std::optional<std::uint64_t> bytes_behind_primary;
    /// Time since the last replayed transaction committed on the primary
    /// (now() - pg_last_xact_replay_timestamp()); 0 when everything received is replayed, since
    /// an idle primary commits nothing and the timestamp's age then says nothing of lag.
    std::chrono::duration<double> seconds{0};
};

/// The lag of the standby `conn` is connected to, measured in one query; `primary_position`
/// (the primary's async_current_wal_lsn()) fills bytes_behind_primary.
///
/// Errors (thrown as pgasio::error): those of the query; client_errc::unexpected_null when the
/// server is not in recovery (it has no replay position).
boost::asio::awaitable<standby_lag>
async_standby_lag(connection& conn, std::optional<wal_lsn> primary_position = std::nullopt);

/// The primary's current WAL position: what a standby must have replayed to see every
/// transaction committed so far, also those committed with synchronous_commit off, whose commit
/// records may not be written yet (so pg_current_wal_insert_lsn(), not pg_current_wal_lsn()).
///
/// Errors (thrown as pgasio::error): those of the query; on a standby the server's 55000
/// object_not_in_prerequisite_state ("recovery is in progress").
boost::asio::awaitable<wal_lsn> async_current_wal_lsn(connection& conn);

} // namespace pgasio::detail
