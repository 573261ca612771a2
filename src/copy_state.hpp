// What a COPY's request and the caller's handle (writer or reader, raw or typed) share.
#pragma once

#include "connection_impl.hpp"

#include <pgasio/column.hpp>
#include <pgasio/error.hpp>

#include <pgasio/protocol/write_buffer.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace pgasio::detail {

using void_handler = asio::any_completion_handler<void(error_code)>;
using count_handler = asio::any_completion_handler<void(error_code, std::uint64_t)>;
using chunk_handler = asio::any_completion_handler<void(error_code, std::string)>;

/// The timeout of the operation of a COPY that waits (pgasio::with_timeout, else the
/// connection's query timeout): its caller awaits one operation at a time, so one timer serves.
struct copy_timeout {
    explicit copy_timeout(const asio::any_io_executor& ex)
        : timer(ex) {}
    asio::steady_timer timer;
    std::uint64_t armed = 0; ///< the wait it is set for (0: none)
    std::uint64_t waits = 0; ///< waits timed so far

    /// The operation that waited is answered: its timeout no longer applies.
    void disarm() {
        if (armed == 0) return;
        armed = 0;
        timer.cancel();
    }
};

/// Calls `expired(st)` on the timer's executor (the connection's) once `timeout` has passed,
/// unless st->timeout.disarm() (or a later arm) comes first; a timeout of 0 never expires.
template <class State>
void arm_timeout(const std::shared_ptr<State>& st, std::chrono::milliseconds timeout,
                 void (*expired)(const std::shared_ptr<State>&)) {
    if (timeout.count() <= 0) return;
    auto& t = st->timeout;
    const std::uint64_t id = t.armed = ++t.waits;
    t.timer.expires_after(timeout);
    t.timer.async_wait([weak = std::weak_ptr<State>(st), id, expired](error_code ec) {
        auto s = weak.lock();
        // A wait that ended meanwhile (its expiry may already have been queued) is not timed.
        if (ec || !s || s->timeout.armed != id) return;
        s->timeout.armed = 0;
        expired(s);
    });
}

/// What a copy_writer and its request share (on the connection's executor only).
struct copy_in_state {
    copy_in_state(std::shared_ptr<connection_impl> c, std::size_t chunk)
        : conn(std::move(c))
        , chunk_bytes(chunk)
        , timeout(conn->executor) {}

    std::shared_ptr<connection_impl> conn;
    std::size_t chunk_bytes;        ///< gathered before they are sent (with_copy_buffer)
    std::uint64_t request_id = 0;   ///< the COPY's request, for stopping it on the server
    protocol::write_buffer pending; ///< CopyData messages not sent yet
    bool ended = false;             ///< CopyDone or CopyFail sent
    bool aborting = false;          ///< ended with CopyFail by the caller
    bool over = false;              ///< the request is answered: `ec` says how
    error_code ec;
    diagnostics diag;
    std::uint64_t rows = 0;
    column_list columns; ///< of the statement before the COPY (a typed COPY's description)
    std::optional<count_handler> finisher; ///< async_finish or async_abort, waiting
    diagnostics* finisher_diag = nullptr;
    std::optional<void_handler> writer; ///< a write waiting for the socket, cancellable
    diagnostics* writer_diag = nullptr;
    copy_timeout timeout; ///< of the writer or the finisher
    /// Why the client stopped the COPY (its timeout, a cancellation): the error its request
    /// is answered with (success: it was not stopped that way).
    error_code stop_reason;

    /// Takes the waiting write's handler (if any).
    std::optional<void_handler> take_writer() { return std::exchange(writer, std::nullopt); }
};

/// What a copy_reader and its request share (on the connection's executor only).
struct copy_out_state {
    copy_out_state(const std::shared_ptr<connection_impl>& c, std::size_t chunk)
        : conn(c)
        , executor(c->executor)
        , chunk_bytes(chunk)
        , timeout(executor) {}

    std::weak_ptr<connection_impl> conn;
    asio::any_io_executor executor;
    std::size_t chunk_bytes; ///< data gathered before a chunk is handed out (with_copy_buffer)
    std::uint64_t request_id = 0;
    std::deque<std::string> chunks; ///< data not taken yet; the last one may still fill
    bool finished = false;          ///< the request is over: `ec` says how
    error_code ec;
    diagnostics diag;
    std::uint64_t rows = 0;
    column_list columns; ///< of the statement before the COPY (a typed COPY's description)
    std::optional<chunk_handler> waiter;
    diagnostics* waiter_diag = nullptr;
    copy_timeout timeout; ///< of the waiter
    /// Why the client stopped the COPY (its timeout): the error its request is answered with
    /// (success: it was not stopped that way).
    error_code stop_reason;

    /// Gives the waiting reader (if any) the next chunk, or the end, or the error.
    void hand_out(const connection_impl& c, call how) {
        if (!waiter || (chunks.empty() && !finished)) return;
        timeout.disarm();
        auto h = std::move(*waiter);
        waiter.reset();
        if (!chunks.empty()) {
            std::string chunk = std::move(chunks.front());
            chunks.pop_front();
            return c.deliver(h, how, error_code{}, std::move(chunk));
        }
        if (ec && waiter_diag) *waiter_diag = diag;
        c.deliver(h, how, ec, std::string());
    }
};

/// Why a writer's operation cannot go on: the COPY is over (its error, or copy_ended), or it was
/// ended by the caller. Success: it can.
inline error_code writer_refusal(const copy_in_state& st, diagnostics* diag) {
    if (st.over && st.ec) {
        if (diag) *diag = st.diag;
        return st.ec;
    }
    if (st.over || st.ended) {
        if (diag) {
            *diag = diagnostics{};
            diag->message = "the COPY was finished or aborted already";
        }
        return client_errc::copy_ended;
    }
    return {};
}

/// The statement of a typed COPY of `columns` of `table` (`in`: FROM STDIN, else TO STDOUT),
/// in binary, after a `SELECT columns FROM table LIMIT 0` that describes the columns' types, so
/// one round trip both describes and starts it. The names are quoted (any name works, case
/// kept). Errors (invalid_argument, `diag` saying which name and why): an empty table name or
/// column list, a name that is empty, longer than 63 bytes or holds a NUL byte.
error_code typed_copy_sql(bool in, std::string_view table, std::span<const std::string> columns,
                          std::string& sql, diagnostics* diag);

} // namespace pgasio::detail
