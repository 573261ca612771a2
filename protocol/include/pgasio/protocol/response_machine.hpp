// What the server may answer to one request: a sans-io state machine that checks each backend
// message against the frontend messages the request sent, and says what it was.
#pragma once

#include <pgasio/protocol/backend_message_type.hpp>
#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/framer.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace pgasio::protocol {

/// One frontend message of a request that the server answers. Flush, CopyData, CopyDone and
/// CopyFail are not steps: the server sends nothing for them (CopyDone and CopyFail end a COPY,
/// which response_machine::end_copy_in() announces).
enum class request_step : std::uint8_t {
    parse,              ///< Parse: ParseComplete
    bind,               ///< Bind: BindComplete
    describe_statement, ///< Describe('S'): ParameterDescription, then RowDescription or NoData
    describe_portal,    ///< Describe('P'): RowDescription or NoData
    execute,            ///< Execute: rows and a completion, or a COPY
    close,              ///< Close: CloseComplete
    sync,               ///< Sync: ReadyForQuery
    simple_query,       ///< Query: each statement's answer, then ReadyForQuery
};

/// What a backend message was, for the request that received it.
enum class response_event_kind : std::uint8_t {
    parse_complete,
    bind_complete,
    close_complete,
    parameter_description,
    row_description,
    no_data,
    data_row,
    command_complete,
    empty_query,
    portal_suspended,
    error,
    copy_in,
    copy_out,
    copy_data,
    copy_done,
    ready_for_query,
    notice,           ///< may come at any time: state unchanged
    notification,     ///< may come at any time: state unchanged
    parameter_status, ///< may come at any time: state unchanged
};

/// One backend message, classified.
struct response_event {
    /// What happened.
    response_event_kind kind;
    /// Which Execute of the request (extended query), or which statement of the simple query, the
    /// message belongs to, 0-based. Parse, Bind and Describe answers carry the index of the next
    /// Execute, so a batch of Parse/Bind/Describe/Execute groups shares one index per group. A
    /// ReadyForQuery carries the index after its segment's last Execute or statement.
    std::size_t index;
    /// The message body, a view into the framer's buffer; the decoders in backend.hpp read it.
    std::span<const std::byte> body;
};

/// The answers a PostgreSQL server owes one request, as a state machine fed one backend message
/// at a time. It holds no buffer, does no I/O, never allocates and never throws.
///
/// The request is described by its `script`: the answered frontend messages it sent, in order.
/// For each message the machine says what it was (an event, with the index of the Execute or
/// statement it belongs to) or that it cannot be part of a correct answer to the script (an
/// error: the stream can no longer be trusted and the connection must be closed).
///
/// Rules encoded (PostgreSQL protocol 3, "Message Flow"):
/// - parse → ParseComplete; bind → BindComplete; close → CloseComplete; describe_statement →
///   ParameterDescription then RowDescription | NoData; describe_portal → RowDescription | NoData;
///   execute → DataRow* then CommandComplete | PortalSuspended (| EmptyQueryResponse before any
///   row), or a COPY; sync → ReadyForQuery; simple_query → per statement RowDescription DataRow*
///   CommandComplete | CommandComplete | EmptyQueryResponse | a COPY, then ReadyForQuery.
/// - An ErrorResponse in the extended protocol makes the server discard every message up to the
///   next Sync: the machine skips the script's steps up to its next sync and expects only that
///   ReadyForQuery (for a script without a later Sync, the request is then over). In a simple
///   query it ends the statements: ReadyForQuery follows.
/// - A Sync can itself fail (committing the implicit transaction runs deferred constraints):
///   one ErrorResponse before its ReadyForQuery is accepted.
/// - NoticeResponse, NotificationResponse and ParameterStatus are reported whenever they come
///   (even after done()), without changing the state.
/// - An ErrorResponse of severity FATAL or PANIC is reported wherever it comes during the
///   request (the server is closing the connection: termination, shutdown) and ends it.
/// - COPY TO STDOUT: CopyOutResponse, CopyData*, CopyDone, CommandComplete.
/// - COPY FROM STDIN: see end_copy_in(). The COPY must be the last thing of the script that the
///   server answers (only Syncs may follow its Execute; a simple query may not be followed by
///   any step): the server reads whatever the client sent after it while in copy-in mode, and
///   fails the COPY on anything but CopyData, CopyDone, CopyFail, Flush and Sync. A
///   CopyInResponse with more steps after it is refused.
/// - CopyBothResponse (replication only), Authentication, BackendKeyData and
///   NegotiateProtocolVersion never belong to a request: refused.
///
/// @code
/// const request_step script[] = {request_step::parse, request_step::bind,
///                                request_step::describe_portal, request_step::execute,
///                                request_step::sync};
/// response_machine m(script);
/// while (!m.done()) {
///     auto ev = m.on_message(next_message());
///     if (!ev) return fail_connection(ev.error());
///     consumer.handle(*ev);
/// }
/// @endcode
class response_machine {
public:
    /// A machine for `script`, the steps the request sent, in order. The caller keeps the steps
    /// alive (and unchanged) while the machine runs.
    explicit response_machine(std::span<const request_step> script) noexcept;

    /// A machine with an empty script: done() at once.
    response_machine() = default;

    /// Starts over with `script`, as if newly constructed.
    void reset(std::span<const request_step> script) noexcept;

    /// Checks `m` against what the request can receive next and says what it was.
    ///
    /// Errors (the stream can no longer be trusted): client_errc::unexpected_message for a
    /// message the request cannot receive now (anything after done() except the asynchronous
    /// messages), client_errc::invalid_message_length for a body on a message that has none,
    /// client_errc::truncated_message, trailing_bytes or invalid_field_value for a malformed
    /// ReadyForQuery. After an error the machine is unchanged; feeding it more is pointless.
    boost::system::result<response_event> on_message(const message_view& m) noexcept {
        // The DataRow fast path: a large result calls this millions of times.
        if (m.type == backend_message_type::data_row && phase_ == phase::rows) [[likely]]
            return response_event{response_event_kind::data_row, index_, m.body};
        // The other answers of a small extended query, without the general dispatch (the
        // same rules as on_other_message, for their common cases only; anything else, errors
        // included, goes there).
        const std::size_t at = index_;
        switch (m.type) {
        case backend_message_type::bind_complete:
            if (phase_ == phase::step && script_[pos_] == request_step::bind && m.body.empty()) {
                ++pos_;
                enter_step();
                return response_event{response_event_kind::bind_complete, at, m.body};
            }
            break;
        case backend_message_type::parse_complete:
            if (phase_ == phase::step && script_[pos_] == request_step::parse && m.body.empty()) {
                ++pos_;
                enter_step();
                return response_event{response_event_kind::parse_complete, at, m.body};
            }
            break;
        case backend_message_type::command_complete:
            // An Execute's completion after its rows, or without any.
            if ((phase_ == phase::rows && !simple()) ||
                (phase_ == phase::step && script_[pos_] == request_step::execute)) {
                finish_execute();
                return response_event{response_event_kind::command_complete, at, m.body};
            }
            break;
        case backend_message_type::ready_for_query:
            if (phase_ == phase::sync_ready && pos_ < script_.size() && m.body.size() == 1) {
                const char status = static_cast<char>(m.body[0]);
                if (status != 'I' && status != 'T' && status != 'E') break;
                transaction_status_ = status;
                ++pos_;
                enter_step();
                return response_event{response_event_kind::ready_for_query, at, m.body};
            }
            break;
        default:
            break;
        }
        return on_other_message(m);
    }

    /// Every step answered: the request is over (after its last ReadyForQuery; for a script
    /// without a Sync, after the last step's answer or after an error).
    bool done() const noexcept { return phase_ == phase::done; }

    /// The client ended the COPY FROM STDIN it was in: it sent CopyDone (`failed` false) or
    /// CopyFail (`failed` true), and then, only when copy_in_needs_sync(), a Sync.
    ///
    /// Why a Sync of its own in the extended protocol: during copy-in the server ignores Sync, so
    /// the script's Sync after the Execute was consumed by the COPY; the Sync after CopyDone or
    /// CopyFail is the one that brings the ReadyForQuery (and, after an error, the one the server
    /// skips to). In a simple query the server says ReadyForQuery by itself once the statements
    /// are over, and a Sync would bring a second ReadyForQuery that no request expects.
    ///
    /// Expected next: after CopyDone, CommandComplete (extended: then the ReadyForQuery of the
    /// client's Sync; simple: the query's remaining statements) or ErrorResponse; after CopyFail,
    /// ErrorResponse then ReadyForQuery. Does nothing unless in_copy_in().
    void end_copy_in(bool failed) noexcept;

    /// True while the client owes the server the end of a COPY FROM STDIN: from the copy_in event
    /// until end_copy_in(). The server waits for CopyData meanwhile. In the extended protocol
    /// this stays true after an ErrorResponse: the server then skips everything up to the Sync
    /// that must follow CopyDone or CopyFail. In a simple query an ErrorResponse ends the COPY
    /// (the server drops what the client still sends and says ReadyForQuery).
    bool in_copy_in() const noexcept {
        return phase_ == phase::copy_in || phase_ == phase::copy_in_failed;
    }

    /// True when ending the current COPY FROM STDIN must be followed by a Sync: it was started by
    /// an Execute (extended protocol), not by a simple query.
    bool copy_in_needs_sync() const noexcept { return in_copy_in() && extended_copy_; }

    /// The transaction status of the last ReadyForQuery ('I', 'T' or 'E'); '\0' before the
    /// first one of the script.
    char transaction_status() const noexcept { return transaction_status_; }

    /// The current Execute (extended query) or statement (simple query) index: the one the next
    /// event belongs to.
    std::size_t index() const noexcept { return index_; }

private:
    // Where the machine is inside the current step (script_[pos_]).
    enum class phase : std::uint8_t {
        done,            // nothing more may come
        step,            // the first answer to script_[pos_] (not sync, not simple_query)
        describe_rows,   // describe_statement after ParameterDescription
        rows,            // DataRow*: an Execute after a row, or a statement after RowDescription
        first_statement, // a simple query's first statement (ReadyForQuery not yet possible)
        next_statement,  // a simple query's later statement, or its ReadyForQuery
        copy_out,        // CopyData* until CopyDone
        copy_out_done,   // after CopyDone: CommandComplete
        copy_in,         // the server waits for CopyData: only ErrorResponse may come
        copy_in_failed,  // extended: the COPY failed, the server skips to the client's Sync
        copy_in_done,    // after end_copy_in(false): CommandComplete or ErrorResponse
        copy_in_fail,    // after end_copy_in(true): ErrorResponse
        sync_ready,      // a Sync's answer: ReadyForQuery, or ErrorResponse then ReadyForQuery
        ready,           // ReadyForQuery only
    };

    boost::system::result<response_event> on_other_message(const message_view& m) noexcept;
    void enter_step() noexcept;
    void finish_execute() noexcept;
    void skip_to_sync() noexcept;
    void end_statement() noexcept;
    bool simple() const noexcept;

    std::span<const request_step> script_;
    std::size_t pos_ = 0;   // the step being answered; script_.size() for the client's own Sync
    std::size_t index_ = 0; // executes answered or skipped, plus simple-query statements ended
    phase phase_ = phase::done;
    bool extended_copy_ = false; // the current COPY FROM STDIN came from an Execute
    char transaction_status_ = '\0';
};

} // namespace pgasio::protocol
