// How a plain query (connection::async_query with SQL text) is sent to the server.
#pragma once

#include <string_view>

namespace pgasio {

/// How connection::async_query(sql, params...) and its kin send a statement given as text: the
/// configuration's default_query_exec_mode (connection string `default_query_exec_mode`, the
/// names below), or per operation with pgasio::with_exec_mode. Every mode sends a statement and
/// its parameters in one round trip; they differ in what the server keeps between executions,
/// and so in which connection poolers they can run behind. pgasio never guesses: choose the mode
/// for what is between you and the server.
///
/// | mode            | direct | pgbouncer, session mode | pgbouncer, transaction mode (< 1.21) |
/// |-----------------|--------|-------------------------|--------------------------------------|
/// | cache_statement | yes    | yes                     | no: see below                        |
/// | cache_describe  | yes    | yes                     | yes                                  |
/// | describe_exec   | yes    | yes                     | yes                                  |
/// | simple_protocol | yes    | yes                     | yes, and any pooler or proxy         |
///
/// cache_statement behind a transaction-mode pooler: each transaction may run on another server
/// session, which lacks the statements prepared on the previous one. No query is ever answered
/// by another statement (a name means one text and its parameter types), but outside a
/// transaction block every move costs a failed Bind (26000) and a re-run, and inside one the
/// query fails with 26000. pgbouncer 1.21 and later with max_prepared_statements set prepare
/// statements on the server sessions themselves: cache_statement then works. Statements from
/// connection::async_prepare have no such way back: behind a transaction-mode pooler they fail
/// with 26000 once the session moved.
enum class query_exec_mode {
    /// Named prepared statements, kept per connection in an LRU cache of the configuration's
    /// statement_cache_capacity (default 512): the first execution sends Parse, Bind, Describe
    /// and Execute; later ones only Bind and Execute, the server reusing its parse and plan.
    /// Statement names derive from the SQL text and parameter types (a hash), so a name always
    /// means the same statement. A statement that the server lost (26000, e.g. after DISCARD
    /// ALL) or whose result type changed (0A000 "cached plan must not change result type") is
    /// prepared again and re-run transparently outside a transaction block; inside one the
    /// error is the caller's (re-running there would need the transaction's earlier
    /// statements) and the statement is forgotten, so the next use prepares it afresh. A
    /// pgasio::transaction's COMMIT also runs two statements prepared once per session
    /// (`pgasio_commit_xid_1`, the transaction id query, and `pgasio_commit_1`); in the other
    /// modes it parses them at every COMMIT.
    cache_statement,
    /// Unnamed statements (Parse, Bind, Execute each time: nothing is left on the server), with
    /// the result's column description cached per SQL text and parameter types, so no Describe
    /// is sent after the first execution. As in pgx, the description is assumed not to change:
    /// if a table the statement reads is altered (a column's type, or the columns a `SELECT *`
    /// returns), its next execution fails or decodes the new columns under the old description
    /// until the cache forgets it (an error from the statement, or the LRU). Use it where
    /// named statements cannot be (pgbouncer transaction mode) and schema changes do not
    /// happen under a running application.
    cache_describe,
    /// Unnamed statements described at every execution (Parse, Bind, Describe, Execute): one
    /// round trip like the others, nothing cached; the safe choice behind any pooler that
    /// speaks the extended protocol.
    describe_exec,
    /// The simple query protocol: the parameters are written into the SQL text client side as
    /// quoted, typed literals in parentheses (`('42'\::int4)`, `(E'a\\b'\::text)`,
    /// `(NULL::int8)`), lexing the text as the server does so that a `$1` inside a string,
    /// identifier or comment stays as it is, and the text is sent in one Query message; rows
    /// arrive in text. For poolers and proxies that support nothing else. The SQL text must
    /// hold one statement: with several, they run, and the query fails with
    /// client_errc::several_statements (async_simple_query is for several). An unnamed column
    /// is named after its cast (`SELECT $1` gives "int4", not "?column?").
    simple_protocol,
};

/// The name of a mode as connection strings write it (`cache_statement`, ...).
std::string_view to_string(query_exec_mode mode) noexcept;

} // namespace pgasio
