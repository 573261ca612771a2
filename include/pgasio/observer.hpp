// What pgasio tells metrics, logs and traces about its operations: one interface that
// connections, pools, clusters and transactions report to.
#pragma once

#include <pgasio/server_role.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pgasio {

struct pool_stats;

/// What kind of operation an observer is told about.
enum class operation_kind : std::uint8_t {
    connect, ///< opening a connection (every host attempt, TLS and authentication)
    /// an extended-protocol query (async_query, async_execute, query_as, ...); a row stream
    /// (async_stream) is one too, from its start to its last row
    query,
    simple_query, ///< a simple-protocol query (async_simple_query)
    prepare,      ///< async_prepare
    transaction,  ///< a transaction, from BEGIN to its COMMIT or ROLLBACK
    acquire,      ///< waiting for a pool's connection (pool::async_acquire)
    /// a COPY, in or out (async_copy_in, async_copy_out and their typed forms): from its
    /// statement's start to the server's verdict; rows_affected is the count of rows copied
    copy,
    /// a batch (async_execute_batch): from its start to the answer of its last statement. It
    /// has no SQL text; its error is the batch's, else the first failed statement's, and its
    /// rows those of all its statements
    batch
};

/// "connect", "query", "simple_query", "prepare", "transaction", "acquire", "copy" or "batch".
std::string_view to_string(operation_kind kind) noexcept;

/// How a transaction ended (operation_kind::transaction).
enum class transaction_outcome : std::uint8_t {
    committed,   ///< COMMIT succeeded
    rolled_back, ///< rolled back: by ROLLBACK, by dropping it, or by a COMMIT the server refused
    in_doubt,    ///< the connection was lost during COMMIT and its outcome could not be learnt
    failed       ///< it could not begin, or ended with an error that says nothing of the above
};

/// "committed", "rolled_back", "in_doubt" or "failed".
std::string_view to_string(transaction_outcome outcome) noexcept;

/// A query parameter the application named (pgasio::named), as observers see it. Its value may
/// be a secret: show it only where the application opted in for its name, as
/// logging_observer does (logging_options::logged_parameters).
struct named_parameter {
    std::string_view name; ///< the name given with pgasio::named
    std::string_view text; ///< the value's text form (empty for NULL)
    bool is_null = false;  ///< the value is NULL
};

/// What an operation is: given to observer::operation_start and again to operation_end. Every
/// view refers to storage that outlives both calls, and no longer: copy what you keep.
struct operation_info {
    operation_kind kind = operation_kind::query; ///< what it is
    /// The database (OpenTelemetry's db.namespace); empty when not known yet (connect).
    std::string_view database;
    /// The server's host name, address or unix socket directory (server.address); empty when
    /// not known yet (connect, acquire).
    std::string_view server_address;
    /// The server's port (server.port); 0 when not known.
    std::uint16_t server_port = 0;
    /// The SQL text as the application wrote it. It may hold literals (values, and so secrets):
    /// never log it or put it in a span as it is; sanitize_sql() gives the text to show. Empty
    /// for operations without SQL.
    std::string_view unsanitized_sql;
    /// Its parameters that have a name (pgasio::named), in order; the others never reach an
    /// observer. Empty for operations without such parameters.
    std::span<const named_parameter> parameters;
};

/// How an operation ended: given to observer::operation_end.
struct operation_result {
    /// Success; an error of protocol::sqlstate_category() for a server error (its SQLSTATE); a
    /// client or system error otherwise (error_type() names them all).
    boost::system::error_code ec;
    /// From its start until its answer came, and at the latest until its caller is answered:
    /// the answers one read of a connection brings share a single reading of the clock, taken
    /// before the first of their callers is answered.
    std::chrono::nanoseconds duration{0};
    /// Rows the server returned (all statements of a simple query together).
    std::uint64_t rows_returned = 0;
    /// Rows inserted, updated, deleted, merged, copied or selected, as the command tag says;
    /// none when no statement reported a count.
    std::optional<std::uint64_t> rows_affected;
    /// How the transaction ended (operation_kind::transaction only).
    transaction_outcome outcome = transaction_outcome::failed;
};

/// Instrumentation: what a connection, a pool, a cluster and a transaction report about their
/// operations, for metrics, logs and traces (see README, "Observability"). Set one in
/// config::observer (every connection, pool and cluster made from that configuration reports
/// to it) or process-wide with set_default_observer. With none, an operation pays a test of a
/// null pointer and nothing more.
///
/// Calls come from the threads running the connections' executors, possibly several at once:
/// an implementation must be thread-safe and quick (it runs on the I/O path), and must not
/// throw. Every member has an empty default, so an observer overrides what it needs.
///
/// \code
/// struct counting_observer : pgasio::observer {
///     std::atomic<int> failed{0};
///     void operation_end(const pgasio::operation_info&, const pgasio::operation_result& r,
///                        void*) noexcept override {
///         if (r.ec) ++failed;
///     }
/// };
/// \endcode
class observer {
public:
    observer() = default;
    observer(const observer&) = delete;
    observer& operator=(const observer&) = delete;
    virtual ~observer() = default;

    /// An operation starts. The value returned (a span, say) is given back to its
    /// operation_end, which is always called, exactly once.
    virtual void* operation_start(const operation_info& op) noexcept {
        (void)op;
        return nullptr;
    }
    /// An operation ended as `result` says; `context` is what its operation_start returned.
    virtual void operation_end(const operation_info& op, const operation_result& result,
                               void* context) noexcept {
        (void)op;
        (void)result;
        (void)context;
    }
    /// A cluster sent a request to its primary or to a standby (a routing decision).
    virtual void routed(server_role target) noexcept { (void)target; }
    /// A pool's state (pool::stats()), reported by the pool itself: from its housekeeping, at
    /// least once a second while it is open; when a connection attempt ends; and once more when
    /// it has closed (nothing open).
    /// `pool` is its name (pool_options::name, or `host:port` of the server it connects to).
    virtual void pool_state(std::string_view pool, const pool_stats& stats) noexcept {
        (void)pool;
        (void)stats;
    }
};

/// Sets the observer of the connections, pools and clusters whose config::observer is empty
/// (from the next one opened on; null: none). Thread-safe.
void set_default_observer(std::shared_ptr<observer> o);

/// The observer set by set_default_observer (null: none).
std::shared_ptr<observer> default_observer();

/// A short, bounded name for what `ec` is, for a metric label or OpenTelemetry's error.type:
/// the SQLSTATE class of a server error ("23" for a unique violation), and `category:value` of
/// any other error ("pgasio.client:12", "system:111"). Empty for success.
std::string error_type(boost::system::error_code ec);

/// The SQLSTATE of a server error ("23505"; OpenTelemetry's db.response.status_code), empty for
/// any other error_code.
std::string sqlstate_of(boost::system::error_code ec);

} // namespace pgasio
