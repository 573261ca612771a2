// One pipelined request of the engine: the messages it sent, what it collects from the answers,
// and the handler waiting for it.
#pragma once

#include <pgasio/error.hpp>
#include <pgasio/notification.hpp>
#include <pgasio/protocol/response_machine.hpp>
#include <pgasio/result.hpp>
#include <pgasio/statement.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <variant>
#include <vector>

namespace pgasio::detail {

namespace asio = boost::asio;

using result_handler = asio::any_completion_handler<void(error_code, result)>;
using results_handler = asio::any_completion_handler<void(error_code, std::vector<result>)>;
using statement_handler = asio::any_completion_handler<void(error_code, statement)>;
using void_handler = asio::any_completion_handler<void(error_code)>;

class connection_impl;

/// What a row_stream and its request share (on the connection's executor only).
struct stream_state {
    std::weak_ptr<connection_impl> conn;
    asio::any_io_executor executor;
    std::uint64_t request_id = 0;
    std::deque<result> parts; ///< handed out by the engine, not yet taken by async_next
    result end;               ///< the part after the last: no rows, the command tag
    bool finished = false;    ///< the request is over: `ec` says how (parts may remain)
    error_code ec;
    diagnostics diag; ///< the request's diagnostics
    std::optional<result_handler> waiter;
    diagnostics* waiter_diag = nullptr;
    asio::cancellation_slot waiter_slot; ///< the waiter's, cleared when it is answered
};

/// A request ends at its ReadyForQuery: every request sends exactly one Sync (or one Query).
struct request {
    /// What the answers build.
    enum class kind : std::uint8_t {
        rows,    ///< extended query: one result
        simple,  ///< simple query: one result per statement
        prepare, ///< Parse + Describe: a statement
        command, ///< Close, LISTEN...: nothing but success
        batch,   ///< several extended queries, one Sync: one result per query
        stream,  ///< extended query whose rows go to a row_stream in parts
    };

    explicit request(kind k)
        : what(k) {}

    kind what;
    std::variant<std::monostate, result_handler, results_handler, statement_handler, void_handler>
        handler;
    diagnostics* diag = nullptr; ///< where to explain a failure (null: the caller wants none)
    /// Its handler runs on the connection's executor: it is called directly.
    bool on_connection_executor = false;
    /// Its own timeout (pgasio::with_timeout); negative: the connection's default.
    std::chrono::milliseconds timeout{-1};
    /// The exclusive lease it runs in (0: a shared request).
    std::uint64_t section = 0;
    /// Where a stream's rows go (kind stream).
    std::shared_ptr<stream_state> stream;

    /// The messages it sent that the server answers, in order: what its answers are checked
    /// against (protocol::response_machine). Up to five inline; a batch's in `long_script`.
    std::array<protocol::request_step, 5> steps{};
    std::uint8_t step_count = 0;
    std::vector<protocol::request_step> long_script;
    void set_script(std::initializer_list<protocol::request_step> s) noexcept {
        step_count = 0;
        for (const auto step : s)
            steps[step_count++] = step;
    }
    std::span<const protocol::request_step> script() const noexcept {
        if (!long_script.empty()) return long_script;
        return {steps.data(), step_count};
    }

    /// Where its bytes are in the engine's send log (see connection_impl::writer): from when it
    /// is queued until it is answered, so that a request the server never ran can be sent again.
    std::size_t queued_begin = 0;
    std::size_t queued_end = 0;
    /// Unique on its connection: cancellation and timeouts find the request by it (an address
    /// may be reused once the request is answered).
    std::uint64_t id = 0;

    /// Written alone: nothing else is in flight while it runs. Simple queries (their text may
    /// hold several statements, COPY, or transaction control), COPY statements (a message of
    /// another request arriving while the server is in COPY FROM STDIN ends the session) and
    /// BEGIN / START TRANSACTION (nothing may be pulled into a transaction block it opens).
    bool alone = false;
    /// The caller was already answered (cancelled or timed out): the answers are drained only.
    bool abandoned = false;
    /// Abandoned while the server may be running it: a CancelRequest goes out once it is the
    /// request at the head of the queue (the one the server is working on).
    bool wants_cancel = false;
    bool cancel_sent = false;
    /// Stopped by a cancel meant for another request: not answered, but sent again.
    bool hit_by_cancel = false;
    /// Sent by the engine itself (the ROLLBACK that closes a transaction block left open):
    /// nobody to answer.
    bool internal = false;
    /// The server asked for COPY data (or sent COPY data) to an operation that has none to
    /// give: the caller gets client_errc::copy_needs_copy_api.
    bool refused_copy = false;
    /// Part of it has taken effect (a named statement parsed, a statement of a simple query
    /// completed): it cannot be sent again.
    bool partly_done = false;

    std::vector<result> results;              // simple queries and batches
    std::shared_ptr<statement_data> prepared; // prepare
    /// The session a prepared statement it executes belongs to (0: none).
    std::uint64_t prepared_in = 0;
    // Per query, the columns of its prepared statement, whose rows follow BindComplete
    // undescribed (null: a RowDescription will say).
    std::vector<column_list> statement_columns;
    std::size_t query_index = 0; // simple queries and batches: the query being answered
    error_code server_error;     // first ErrorResponse
    std::unique_ptr<diagnostics> server_diag; // allocated only when an error arrives

    /// Cancellation (per-operation, from the caller's token), and the deadline of its timeout
    /// (max: none).
    asio::cancellation_slot slot;
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

} // namespace pgasio::detail
