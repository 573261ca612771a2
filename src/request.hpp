// One pipelined request of the engine: the messages it sent, what it collects from the answers,
// and the handler waiting for it.
#pragma once

#include <pgasio/error.hpp>
#include <pgasio/notification.hpp>
#include <pgasio/result.hpp>
#include <pgasio/statement.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <variant>
#include <vector>

namespace pgasio::detail {

namespace asio = boost::asio;

using result_handler = asio::any_completion_handler<void(error_code, result)>;
using results_handler = asio::any_completion_handler<void(error_code, std::vector<result>)>;
using statement_handler = asio::any_completion_handler<void(error_code, statement)>;
using void_handler = asio::any_completion_handler<void(error_code)>;

/// A request ends at its ReadyForQuery: every request sends exactly one Sync (or one Query).
struct request {
    /// What the answers build.
    enum class kind : std::uint8_t {
        rows,    ///< extended query: one result
        simple,  ///< simple query: one result per statement
        prepare, ///< Parse + Describe: a statement
        command, ///< Close, LISTEN...: nothing but success
        batch,   ///< several extended queries, one Sync: one result per query
    };

    explicit request(kind k)
        : what(k) {}

    kind what;
    std::variant<std::monostate, result_handler, results_handler, statement_handler, void_handler>
        handler;
    diagnostics* diag = nullptr; ///< where to explain a failure (null: the caller wants none)

    // Where its bytes are while not yet handed to the socket (offsets in the engine's queue).
    std::size_t queued_begin = 0;
    std::size_t queued_end = 0;
    /// The caller was already answered (cancelled or timed out): the answers are drained only.
    bool abandoned = false;

    std::vector<result> results;              // simple queries and batches
    std::shared_ptr<statement_data> prepared; // prepare
    // Per query, the columns of its prepared statement, whose rows follow BindComplete
    // undescribed (null: a RowDescription will say).
    std::vector<column_list> statement_columns;
    std::size_t query_index = 0; // simple queries and batches: the query being answered
    error_code server_error;     // first ErrorResponse
    std::unique_ptr<diagnostics> server_diag; // allocated only when an error arrives

    /// Cancellation (per-operation, from the caller's token) and the per-query timeout.
    asio::cancellation_slot slot;
    std::shared_ptr<asio::steady_timer> timer;
    /// Unique on its connection: the timeout finds its request by it (an address may be reused).
    std::uint64_t id = 0;
};

} // namespace pgasio::detail
