// One pipelined request of the engine, as the engine sees it: the messages it sent, its place in
// the send log, its cancellation and deadline, and the consumer interface its kind implements.
#pragma once

#include "deliver.hpp"

#include <pgasio/detail/result_builder.hpp>
#include <pgasio/error.hpp>
#include <pgasio/protocol/diagnostics.hpp>
#include <pgasio/protocol/framer.hpp>
#include <pgasio/protocol/response_machine.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <boost/asio/cancellation_signal.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <vector>

namespace pgasio::detail {

namespace asio = boost::asio;

class connection_impl;
struct cached_statement;

/// A request of the engine, which ends at its ReadyForQuery (every request sends exactly one Sync
/// or one Query): the messages it sent, what the engine keeps about it, and the consumer of its
/// answers. The engine moves bytes and handles what is the same for every request (rows into its
/// result builder, errors, cancellation, COPY refused, ReadyForQuery); everything else a request
/// receives, and how its caller is answered, is up to the consumer: a class derived from this
/// one (request_kinds.hpp). A new kind of request is a new class, never a change to the engine.
///
/// Everything here runs on the connection's executor, but for what submit does on the caller's
/// thread before it hands the request over (its id, its cancellation slot).
struct request {
    request() = default;
    request(const request&) = delete;
    request& operator=(const request&) = delete;
    virtual ~request() = default;

    // The consumer.

    /// Its answers begin (again, when it is sent again): `rows` is empty, ready for its rows.
    virtual void begin(result_builder& rows);
    /// An answer the engine does not handle itself (ParseComplete, BindComplete, the Describe
    /// answers, CommandComplete, EmptyQueryResponse, CloseComplete, NoData, PortalSuspended),
    /// already checked against the request by the response machine. `rows` builds the rows of
    /// the result being answered. An error: the message does not decode (the engine then closes
    /// the connection).
    virtual error_code on_answer(const protocol::message_view& m, result_builder& rows) = 0;
    /// The rows built in `rows` reached `flush_at` bytes, or (`batch_end`) a batch of messages
    /// from the socket ended with rows built.
    virtual void on_rows(connection_impl& c, result_builder& rows, bool batch_end);
    /// The server entered COPY FROM STDIN (CopyInResponse `m`): true when the consumer takes
    /// the COPY (it then sends CopyData and ends it through the connection's copy functions);
    /// false to refuse it (the engine ends it with CopyFail and fails the request).
    virtual bool on_copy_in(connection_impl& c, const protocol::message_view& m);
    /// The server entered COPY TO STDOUT (CopyOutResponse `m`): true when the consumer takes its
    /// data (on_copy_data); false to drain it and fail the request.
    virtual bool on_copy_out(connection_impl& c, const protocol::message_view& m);
    /// The payload of one CopyData of a COPY TO STDOUT the consumer took.
    virtual void on_copy_data(connection_impl& c, std::span<const std::byte> data);
    /// It succeeded: takes the last of what `rows` holds (the builder is reset next).
    virtual void on_success(result_builder& rows);
    /// Answers the caller with `ec`, or with what it collected when `ec` is success. Called once
    /// (never for an internal request); the handler may run anything, destroying the request
    /// included, so nothing of it is touched after the call.
    virtual void answer(error_code ec, const connection_impl& c, call how) = 0;
    /// It is sent again (stopped by a cancel meant for another request): forgets what the first
    /// attempt collected.
    virtual void restart();
    /// Its caller gave up on it while the server runs it: its answers are only drained now.
    virtual void abandon(connection_impl& c);
    /// It was taken out of the queue before any of it was written (cancelled, timed out):
    /// nothing of it reached the server.
    virtual void on_dropped(connection_impl& c);
    /// It failed on the server (`server_error` is set; it may also be abandoned), and is about
    /// to be answered: true when it is to run again instead, transparently, with the messages
    /// it wrote into `again` (ending with its Sync). `sent` are the messages it sent. The
    /// place for what a failure teaches (the statement cache forgets a statement).
    virtual bool on_failure(connection_impl& c, std::span<const std::byte> sent,
                            protocol::write_buffer& again);
    /// It was given its id (`id`).
    virtual void on_identified();
    /// The cached statement it prepares (it sends Close and Parse of its name), or null.
    virtual std::shared_ptr<cached_statement> prepares() const;
    /// It binds `s` without preparing it: it counts on the Parse of a request before it.
    virtual bool binds_prepared(const cached_statement& s) const noexcept;

    // What the engine keeps.

    diagnostics* diag = nullptr; ///< where to explain a failure (null: the caller wants none)
    /// Its handler runs on the connection's executor: it is called directly.
    bool on_connection_executor = false;
    /// Its own timeout (pgasio::with_timeout); negative: the connection's default.
    std::chrono::milliseconds timeout{-1};
    /// The exclusive lease it runs in (0: a shared request).
    std::uint64_t section = 0;
    /// Reported to no observer (op_settings::unobserved).
    bool unobserved = false;
    /// on_rows is called once this many bytes of rows are built, and at the end of every batch
    /// of messages read from the socket (max: never).
    std::size_t flush_at = static_cast<std::size_t>(-1);

    /// The messages it sent that the server answers, in order: what its answers are checked
    /// against (protocol::response_machine). Up to eight inline (a prepared statement's three
    /// with a transaction's BEGIN before them); a batch's in `long_script`.
    std::array<protocol::request_step, 8> steps{};
    std::uint8_t step_count = 0;
    std::vector<protocol::request_step> long_script;
    void set_script(std::initializer_list<protocol::request_step> s) noexcept {
        step_count = 0;
        for (const auto step : s)
            steps[step_count++] = step;
    }
    /// Appends `step` to its script (inline up to five steps, then in long_script).
    void push_step(protocol::request_step step) {
        if (long_script.empty() && step_count < steps.size()) {
            steps[step_count++] = step;
            return;
        }
        if (long_script.empty()) long_script.assign(steps.begin(), steps.begin() + step_count);
        long_script.push_back(step);
    }
    /// Puts `s` before the steps of its script.
    void prepend_steps(std::span<const protocol::request_step> s) {
        if (long_script.empty() && step_count + s.size() <= steps.size()) {
            std::copy_backward(steps.begin(), steps.begin() + step_count,
                               steps.begin() + step_count + s.size());
            std::copy(s.begin(), s.end(), steps.begin());
            step_count = static_cast<std::uint8_t>(step_count + s.size());
            return;
        }
        if (long_script.empty()) long_script.assign(steps.begin(), steps.begin() + step_count);
        long_script.insert(long_script.begin(), s.begin(), s.end());
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

    /// It begins its exclusive section's transaction: its first `begin_steps` steps are the
    /// transaction's BEGIN, which the engine sent before its own messages (see
    /// connection_impl::defer_begin) and whose answers the engine takes itself; `begin_answers`
    /// of them have come. An ErrorResponse before they all came is the BEGIN's (`begin_failed`):
    /// the server then skipped the request's own messages.
    std::uint8_t begin_steps = 0;
    std::uint8_t begin_answers = 0;
    bool begin_failed = false;
    /// The bytes of the BEGIN in front of its own messages in the send log.
    std::uint32_t begin_bytes = 0;

    /// Written alone: nothing else is in flight while it runs. Simple queries (their text may
    /// hold several statements, COPY, or transaction control), COPY statements (a message of
    /// another request arriving while the server is in COPY FROM STDIN ends the session) and
    /// BEGIN / START TRANSACTION, and the request that carries a transaction's BEGIN (nothing
    /// may be pulled into a transaction block it opens: a request written before it and sent
    /// again after a cancel would run inside it).
    bool alone = false;
    /// The caller was already answered (cancelled or timed out): the answers are drained only.
    bool abandoned = false;
    /// The caller was answered while the request runs on (a COPY's opener got its handle): the
    /// caller's cancellation no longer applies to it.
    bool caller_answered = false;
    /// Abandoned while the server may be running it: a CancelRequest goes out once it is the
    /// request at the head of the queue (the one the server is working on).
    bool wants_cancel = false;
    bool cancel_sent = false;
    /// Stopped by a cancel meant for another request: not answered, but sent again.
    bool hit_by_cancel = false;
    /// Sent by the engine itself (the ROLLBACK that closes a transaction block left open):
    /// nobody to answer.
    bool internal = false;
    /// Transaction control that runs in a failed transaction block (ROLLBACK, ROLLBACK TO
    /// SAVEPOINT): stopped by a cancel meant for another request, it is sent again there too.
    bool ends_failed_block = false;
    /// The server asked for COPY data (or sent COPY data) to an operation that has none to
    /// give: the caller gets client_errc::copy_needs_copy_api.
    bool refused_copy = false;
    /// Part of it has taken effect (a named statement parsed, a statement of a simple query
    /// completed, rows handed to a stream's reader): it cannot be sent again.
    bool partly_done = false;
    /// One of the requests of a transaction's COMMIT, the last of its exclusive section, which
    /// ends the transaction block whatever happens (see commit_xid_request). Once a released
    /// section has only these left, it ends: what others queue is written right behind them
    /// and runs after the block has ended (connection_impl::maybe_end_section), and they are
    /// then never dropped unwritten.
    bool ends_transaction = false;
    /// The operation it is one of, when an operation is several requests (the statements of
    /// an independent batch), whose order is kept: null for a request of its own.
    const void* operation = nullptr;

    /// Its rows follow a description it did not ask the server for (a cached one): a row that
    /// does not match it fails the request (client_errc::description_changed), not the
    /// connection.
    bool columns_from_cache = false;

    /// The session a prepared statement it executes belongs to (0: none).
    std::uint64_t prepared_in = 0;
    error_code server_error;                  // first ErrorResponse
    std::unique_ptr<diagnostics> server_diag; // allocated only when an error arrives

    /// The caller's cancellation slot (from its token), which connection_impl::submit connects
    /// to the request's id on the caller's thread; its handler clears it where it runs
    /// (invoke_here). Neither is done on the connection's executor: a slot is not thread-safe.
    asio::cancellation_slot slot;
    /// Its cancellation and deadline are watched (connection_impl::watch): it is not watched
    /// again when it is queued once more after it waited (parked) for an exclusive lease.
    bool watched = false;
    /// The deadline of its timeout (max: none). Once abandoned, the deadline is when its answers
    /// must have ended: the cancel timeout after the server took the CancelRequest for it (max
    /// until then).
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    /// When it was called, if its initiation read the clock already (to observe it): its
    /// deadline counts from there rather than from a second reading (the epoch: not read).
    std::chrono::steady_clock::time_point started{};
};

} // namespace pgasio::detail
