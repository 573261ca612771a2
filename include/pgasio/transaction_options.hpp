// How a transaction starts: its isolation level, access mode and deferrability.
#pragma once

#include <cstdint>

namespace pgasio {

/// The isolation level a transaction runs at (SET TRANSACTION ISOLATION LEVEL). PostgreSQL runs
/// READ UNCOMMITTED as READ COMMITTED, so it is not offered.
enum class isolation_level : std::uint8_t {
    server_default,  ///< the session's default_transaction_isolation (read committed unless set)
    read_committed,  ///< each statement sees what was committed before it began
    repeatable_read, ///< every statement sees the snapshot taken at the first one
    serializable,    ///< as if the transactions ran one at a time; conflicts fail with 40001
};

/// Whether a transaction may write.
enum class access_mode : std::uint8_t {
    server_default, ///< the session's default_transaction_read_only (read write unless set)
    read_write,
    /// Writes to tables fail with the server's 25006 read_only_sql_transaction.
    read_only,
};

/// How connection::async_begin starts a transaction: the modes of its BEGIN statement.
///
/// @code
/// auto tx = co_await conn.async_begin({.isolation = pgasio::isolation_level::serializable,
///                                      .access = pgasio::access_mode::read_only,
///                                      .deferrable = true});
/// @endcode
struct transaction_options {
    /// ISOLATION LEVEL ... (none: the session's default).
    isolation_level isolation = isolation_level::server_default;
    /// READ ONLY or READ WRITE (none: the session's default).
    access_mode access = access_mode::server_default;
    /// DEFERRABLE: a serializable read-only transaction waits at its start for a snapshot that
    /// cannot conflict with anything, and then never fails with a serialization error. Has no
    /// effect at other levels or in read-write transactions (the server ignores it there).
    bool deferrable = false;
};

} // namespace pgasio
