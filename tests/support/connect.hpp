// A connected session to the throwaway primary, for integration tests.
#pragma once

#include <pgasio/connection.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>

namespace pgasio::test {

/// The configuration of tools/pg's user `role` (its PGASIO_TEST_<role>_USER and _PASSWORD
/// settings: "SCRAM", "ADMIN" the superuser, ...) on `server` ("PRIMARY" or "REPLICA", its
/// PGASIO_TEST_<server>_PORT), `extra` appended (more key=value settings), read from tools/pg's
/// settings only, never from the environment of whoever runs the tests.
config user_config(const std::string& role, const std::string& server,
                   const std::string& extra = "sslmode=disable");

/// The configuration of the SCRAM test user on the primary: user_config("SCRAM", "PRIMARY",
/// extra).
config test_config(const std::string& extra = "sslmode=disable");

/// A connection to the primary with test_config(extra), connected.
boost::asio::awaitable<connection> connect_primary(const std::string& extra = "sslmode=disable");

/// The configuration of tools/pg's pgbouncer (transaction pooling mode) for the SCRAM test user,
/// sending plain queries in `mode`.
config pgbouncer_config(query_exec_mode mode);

/// A connection through tools/pg's pgbouncer (transaction pooling mode), connected, sending
/// plain queries in `mode` (by default describe_exec, one of the modes that are safe there).
boost::asio::awaitable<connection>
connect_pgbouncer(query_exec_mode mode = query_exec_mode::describe_exec);

/// The number of the server's backends running `sql` (a text unique to the calling test), as
/// `conn`'s server sees them: what shows that a cancelled or abandoned statement really stopped.
boost::asio::awaitable<std::int64_t> running(connection& conn, const std::string& sql);

} // namespace pgasio::test
