// COPY FROM STDIN and COPY TO STDOUT: two request kinds that take over a COPY from the engine,
// and the writer and reader the caller drives them with.
#include "connection_impl.hpp"
#include "copy_state.hpp"
#include "observe.hpp"
#include "request_kinds.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/copy.hpp>
#include <pgasio/protocol/backend.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <charconv>
#include <chrono>
#include <deque>
#include <optional>
#include <utility>

namespace pgasio {
namespace detail {

namespace {

using t = protocol::backend_message_type;

// The row count of a COPY's CommandComplete ("COPY n").
error_code copied_rows(const protocol::message_view& m, std::uint64_t& rows) {
    const auto cc = protocol::decode_command_complete(m.body);
    if (!cc) return cc.error();
    const std::string_view tag = cc->tag;
    if (const auto space = tag.rfind(' '); space != std::string_view::npos)
        std::from_chars(tag.data() + space + 1, tag.data() + tag.size(), rows);
    return {};
}

// Explains in `diag` why the client stopped its COPY (`reason`: its timeout, or cancellation).
void explain_stop(diagnostics* diag, error_code reason) {
    if (!diag) return;
    *diag = diagnostics{};
    diag->message = reason == client_errc::query_timeout
                        ? "the COPY timed out; the server was asked to cancel it"
                        : "an operation of the COPY was cancelled; the server was asked to "
                          "cancel it";
}

// The timeout of an operation of a COPY: its own (`own`, from with_timeout; negative when it
// has none), else the connection's.
std::chrono::milliseconds timeout_of(const connection_impl& c, std::chrono::milliseconds own) {
    return own.count() >= 0 ? own : c.query_timeout;
}

// What both COPY directions share: the statement runs as a simple query; the opener gets the
// handle (a writer or a reader) once the server starts the COPY, or an error if it never does;
// from then on the COPY's failures go to the handle's operations. `Handle` is made from the
// shared state; `expected` names the COPY, for a statement that starts another one or none.
template <class Handle, class State>
class copy_request : public request {
public:
    using open_handler = asio::any_completion_handler<void(error_code, Handle)>;
    copy_request(std::shared_ptr<State> st, open_handler h, const char* expected)
        : state_(std::move(st))
        , opener_(std::move(h))
        , expected_(expected) {}

    error_code on_answer(const protocol::message_view& m, result_builder& rows) override {
        // A statement that is no COPY may return rows: built (and dropped) as any others.
        if (auto ec = build_result(m, rows, nullptr)) return ec;
        if (m.type == t::command_complete) return copied_rows(m, state_->rows);
        // A typed COPY describes its columns with a SELECT ... LIMIT 0 sent before it.
        if (m.type == t::row_description) state_->columns = rows.columns();
        return {};
    }

    /// Its observation, when the connection has an observer: from the statement's start to
    /// the COPY's end.
    std::optional<observation> observed;

protected:
    // Reports the COPY's end, `ec`, to its observer (if any), with the rows it copied.
    void end_observation(error_code ec) {
        if (!observed) return;
        operation_result r;
        r.ec = ec;
        if (!ec) r.rows_affected = state_->rows;
        observed->finish(r);
    }
    // Whether the opener still waits for its handle. A statement text with two COPYs ("COPY a
    // FROM STDIN; COPY b FROM STDIN", run as one simple query) starts a second COPY after the
    // first: the handle went to the first, and the second is refused (copy_needs_copy_api).
    bool opener_waits() const noexcept { return opener_.has_value(); }
    // The server started the COPY: the opener gets its handle. The open's cancellation and
    // timeout end here; the handle's operations get the COPY's diagnostics.
    void hand_over(connection_impl& c) {
        caller_answered = true;
        deadline = std::chrono::steady_clock::time_point::max();
        diag = &state_->diag;
        partly_done = true;
        auto h = std::move(*opener_);
        opener_.reset();
        c.deliver(h, call::direct, error_code{}, Handle(state_));
    }
    // At the request's end: true when the opener was still waiting (the COPY never started:
    // the server's error, or a statement that was no such COPY) and is now answered.
    bool answer_opener(error_code ec, const connection_impl& c, call how) {
        if (!opener_) return false;
        if (!ec) {
            ec = client_errc::copy_not_started;
            if (diag) {
                *diag = diagnostics{};
                diag->message = std::string("the statement did not start a ") + expected_;
            }
        }
        end_observation(ec);
        auto h = std::move(*opener_);
        opener_.reset();
        c.deliver(h, how, ec, Handle());
        return true;
    }

    std::shared_ptr<State> state_;

private:
    std::optional<open_handler> opener_;
    const char* expected_;
};

// COPY FROM STDIN, run as a simple query: answers the opener with the writer (raw or typed)
// once the server asks for data, and the writer's async_finish (or async_abort) once the COPY
// is over.
template <class Writer>
class copy_in_request : public copy_request<Writer, copy_in_state> {
public:
    using base = copy_request<Writer, copy_in_state>;
    using base::state_;
    copy_in_request(std::shared_ptr<copy_in_state> st, typename base::open_handler h)
        : base(std::move(st), std::move(h), "COPY FROM STDIN") {}

    void on_identified() override { state_->request_id = this->id; }

    bool on_copy_in(connection_impl& c, const protocol::message_view&) override {
        if (!this->opener_waits()) return false;
        this->hand_over(c);
        return true;
    }

    void answer(error_code ec, const connection_impl& c, call how) override {
        if (this->answer_opener(ec, c, how)) return;
        // CopyFail's own error (57014, "COPY from stdin failed") is what an abort asks for.
        if (state_->aborting && ec == sqlstate::query_canceled) ec = {};
        // Stopped by the client (stop_copy_in): the engine answers it as a cancelled request.
        if (state_->stop_reason && ec == asio::error::operation_aborted) {
            ec = state_->stop_reason;
            explain_stop(&state_->diag, ec);
        }
        this->end_observation(ec);
        state_->over = true;
        state_->ec = ec;
        if (!state_->finisher) return; // the next write or async_finish says it
        state_->timeout.disarm();
        auto h = std::move(*state_->finisher);
        state_->finisher.reset();
        if (ec && state_->finisher_diag) *state_->finisher_diag = state_->diag;
        c.deliver(h, how, ec, ec ? 0 : state_->rows);
    }
};

// COPY TO STDOUT, run as a simple query: answers the opener with the reader (raw or typed) once
// the data starts, then hands the data to the reader in chunks, pausing the reads while two
// wait.
template <class Reader>
class copy_out_request : public copy_request<Reader, copy_out_state> {
public:
    using base = copy_request<Reader, copy_out_state>;
    using base::state_;
    copy_out_request(std::shared_ptr<copy_out_state> st, typename base::open_handler h)
        : base(std::move(st), std::move(h), "COPY TO STDOUT") {
        this->flush_at = 0; // on_rows at the end of every batch: a waiting reader gets the data
    }

    void on_identified() override { state_->request_id = this->id; }

    bool on_copy_out(connection_impl& c, const protocol::message_view&) override {
        if (!this->opener_waits()) return false;
        this->hand_over(c);
        return true;
    }

    void on_copy_data(connection_impl& c, std::span<const std::byte> data) override {
        auto& chunks = state_->chunks;
        const std::size_t chunk_bytes = state_->chunk_bytes;
        if (chunks.empty() || chunks.back().size() >= chunk_bytes) {
            chunks.emplace_back();
            chunks.back().reserve(chunk_bytes + 1024);
        }
        chunks.back().append(reinterpret_cast<const char*>(data.data()), data.size());
        if (chunks.back().size() < chunk_bytes) return;
        state_->hand_out(c, call::direct);
        // Two full chunks waiting: stop reading until the reader takes one.
        if (state_->chunks.size() >= 2) c.pause_reading();
    }

    void on_rows(connection_impl& c, result_builder&, bool batch_end) override {
        if (batch_end && state_->waiter && !state_->chunks.empty())
            state_->hand_out(c, call::direct);
    }

    void abandon(connection_impl& c) override {
        state_->chunks.clear();
        c.resume_reading();
    }

    void answer(error_code ec, const connection_impl& c, call how) override {
        if (this->answer_opener(ec, c, how)) return;
        // Stopped by the client's timeout: the engine answers it as a cancelled request.
        if (state_->stop_reason && ec == asio::error::operation_aborted) {
            ec = state_->stop_reason;
            explain_stop(&state_->diag, ec);
        }
        this->end_observation(ec);
        state_->finished = true;
        state_->ec = ec;
        state_->hand_out(c, how);
    }
};

// A COPY's request: its statement as a simple query (COPY takes no parameters), run alone.
template <class R, class State, class Handler>
void start_copy(connection_impl* impl, std::shared_ptr<State> st, Handler handler,
                const op_settings& op, std::string_view sql) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto r = std::make_unique<R>(std::move(st), std::move(handler));
    if (observed(impl->session_config, op.unobserved))
        r->observed.emplace(impl->session_config, operation_kind::copy, observed_sql(sql));
    r->slot = slot;
    r->diag = op.diag;
    r->timeout = op.timeout;
    r->section = op.section;
    r->alone = true;
    r->set_script({protocol::request_step::simple_query});
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
        if (auto ec = protocol::encode_query(out, sql)) {
            why = "the COPY statement cannot be sent: " + ec.message();
            return ec;
        }
        return {};
    };
    impl->submit(std::move(r), encode);
}

// Answers an operation on an empty handle, which has no connection to go through.
template <class Handler, class... Args>
void refuse_empty(Handler& h, diagnostics* diag, Args... args) {
    if (diag) {
        *diag = diagnostics{};
        diag->message = "the COPY handle is empty (default-constructed or moved from)";
    }
    deliver_detached(h, error_code(client_errc::copy_ended), std::move(args)...);
}

// Ends the COPY: what is gathered, then `end` (CopyDone or CopyFail).
void end_copy(copy_in_state& st, const protocol::write_buffer& end, bool failed) {
    st.ended = true;
    st.aborting = failed;
    st.pending.put_bytes(end.data());
    st.conn->send_copy(st.pending.data());
    st.pending.clear();
    st.conn->end_copy_in(failed);
}

// Ends the COPY with CopyFail (unless it is over or ended already): the server rolls it back.
void fail_copy(copy_in_state& st, std::string_view reason) {
    if (st.over || st.ended) return;
    protocol::write_buffer fail;
    (void)protocol::encode_copy_fail(fail, reason);
    end_copy(st, fail, true);
}

// Stops a COPY in whose waiting operation timed out or was cancelled (`reason`), as a query's
// timeout or cancellation stops it: CopyFail ends the COPY (unless CopyDone went already), so
// the server commits nothing of it, and the server is asked to cancel it, as it may be stuck
// where CopyFail cannot reach it (a lock, a trigger, a full socket). The waiting write, the
// waiting async_finish or async_abort, and every later operation fail with `reason`. On the
// connection's executor.
void stop_copy_in(const std::shared_ptr<copy_in_state>& s, error_code reason) {
    if (s->over) return;
    s->timeout.disarm();
    s->stop_reason = reason;
    fail_copy(*s, reason == client_errc::query_timeout ? "the COPY timed out"
                                                       : "an operation of the COPY was cancelled");
    if (auto w = s->take_writer()) {
        explain_stop(s->writer_diag, reason);
        s->conn->deliver(*w, call::posted, reason);
    }
    // Answers the request (and so the finisher) at once, with operation_aborted (the request
    // maps it to `reason`); the engine drains what the server still sends.
    s->conn->stop_request(s->request_id);
}

// Completes `h`, a write that sent a chunk, once the socket has taken it: the writer's
// backpressure. The wait is timed (`op`'s timeout) and cancellable (any cancellation type), and
// either stops the COPY (stop_copy_in): what the socket holds cannot be taken back, and a COPY
// missing a chunk must not be committed. One waiting write at a time is timed and cancellable
// (a caller awaits each); writes started while it waits just wait.
void wait_written(const std::shared_ptr<copy_in_state>& state, void_handler h,
                  const op_settings& op) {
    connection_impl& c = *state->conn;
    if (state->writer) return c.when_written(std::move(h));
    state->writer.emplace(std::move(h));
    state->writer_diag = op.diag;
    arm_timeout<copy_in_state>(state, timeout_of(c, op.timeout),
                               [](const auto& s) { stop_copy_in(s, client_errc::query_timeout); });
    c.when_written([state](error_code ec) {
        auto w = state->take_writer();
        if (!w) return;
        state->timeout.disarm();
        state->conn->deliver(*w, call::direct, ec);
    });
}

// Connects `slot`, the cancellation slot of a writer's operation, in its initiating function, on
// the caller's thread (see cancel_on_executor). Cancelling a write that waits for the socket
// (any cancellation type), or async_finish or async_abort waiting for the server's verdict
// (terminal cancellation: as for a query the server already runs), stops the COPY
// (stop_copy_in).
void stop_on_cancellation(const std::shared_ptr<copy_in_state>& state, asio::cancellation_slot slot,
                          bool finishes) {
    cancel_on_executor(
        slot, std::weak_ptr<copy_in_state>(state), state->conn->executor,
        [finishes](const std::shared_ptr<copy_in_state>& s, asio::cancellation_type type) {
            if (finishes &&
                (type & asio::cancellation_type::terminal) == asio::cancellation_type::none)
                return;
            if (finishes ? s->finisher.has_value() : s->writer.has_value())
                stop_copy_in(s, asio::error::operation_aborted);
        });
}

// Makes `h` the finisher, waiting for the server's verdict on a COPY the client ended: timed
// (`op`'s timeout) and cancellable as a query is (stop_on_cancellation).
void wait_verdict(const std::shared_ptr<copy_in_state>& state, count_handler h,
                  const op_settings& op) {
    connection_impl& c = *state->conn;
    state->finisher.emplace(std::move(h));
    state->finisher_diag = op.diag;
    arm_timeout<copy_in_state>(state, timeout_of(c, op.timeout), [](const auto& s) {
        if (s->finisher) stop_copy_in(s, client_errc::query_timeout);
    });
}

// Stops a COPY out (on its connection's executor): cancelled on the server if it still runs
// (given up by its reader inside a transaction block: left to end, see stop_reading), what it
// sent is drained; a waiting read fails with operation_aborted (or the stop_reason).
void stop_copy_out_now(const std::shared_ptr<copy_out_state>& state) {
    if (state->finished) return;
    auto conn = state->conn.lock();
    if (!conn) return;
    state->chunks.clear();
    if (state->stop_reason)
        conn->stop_request(state->request_id);
    else
        conn->stop_reading(state->request_id);
}

// stop_copy_out_now from any thread.
void stop_copy_out(const std::shared_ptr<copy_out_state>& state) {
    asio::post(state->executor, [state] { stop_copy_out_now(state); });
}

// The buffer of a COPY that `op` starts, in `bytes`: with_copy_buffer's, checked, or the
// default. Errors (invalid_argument, `op.diag` saying why): a size out of range.
error_code copy_buffer_of(const op_settings& op, std::size_t& bytes) {
    bytes = op.copy_buffer != 0 ? op.copy_buffer : copy_writer::chunk_bytes;
    if (bytes >= min_copy_buffer && bytes <= max_copy_buffer) return {};
    if (op.diag) {
        *op.diag = diagnostics{};
        op.diag->message = "the COPY buffer of " + std::to_string(bytes) +
                           " bytes is out of range: with_copy_buffer takes " +
                           std::to_string(min_copy_buffer) + " to " +
                           std::to_string(max_copy_buffer) + " bytes";
    }
    return make_error_code(boost::system::errc::invalid_argument);
}

} // namespace
} // namespace detail

namespace asio = boost::asio;

void connection::start_copy_in(detail::connection_impl* impl, copy_in_handler handler,
                               const detail::op_settings& op, std::string_view sql) {
    std::size_t buffer = 0;
    if (auto ec = detail::copy_buffer_of(op, buffer))
        return detail::deliver_detached(handler, ec, copy_writer());
    auto st = std::make_shared<detail::copy_in_state>(impl->shared_from_this(), buffer);
    detail::start_copy<detail::copy_in_request<copy_writer>>(impl, std::move(st),
                                                             std::move(handler), op, sql);
}

void connection::start_copy_out(detail::connection_impl* impl, copy_out_handler handler,
                                const detail::op_settings& op, std::string_view sql) {
    std::size_t buffer = 0;
    if (auto ec = detail::copy_buffer_of(op, buffer))
        return detail::deliver_detached(handler, ec, copy_reader());
    auto st = std::make_shared<detail::copy_out_state>(impl->shared_from_this(), buffer);
    detail::start_copy<detail::copy_out_request<copy_reader>>(impl, std::move(st),
                                                              std::move(handler), op, sql);
}

void connection::start_copy_in_rows(detail::connection_impl* impl, copy_in_rows_handler handler,
                                    const detail::op_settings& op, std::string_view table,
                                    std::span<const std::string> columns) {
    std::string sql;
    std::size_t buffer = 0;
    auto ec = detail::typed_copy_sql(true, table, columns, sql, op.diag);
    if (!ec) ec = detail::copy_buffer_of(op, buffer);
    if (ec) return detail::deliver_detached(handler, ec, copy_row_writer());
    auto st = std::make_shared<detail::copy_in_state>(impl->shared_from_this(), buffer);
    detail::start_copy<detail::copy_in_request<copy_row_writer>>(impl, std::move(st),
                                                                 std::move(handler), op, sql);
}

void connection::start_copy_out_rows(detail::connection_impl* impl, copy_out_rows_handler handler,
                                     const detail::op_settings& op, std::string_view table,
                                     std::span<const std::string> columns) {
    std::string sql;
    std::size_t buffer = 0;
    auto ec = detail::typed_copy_sql(false, table, columns, sql, op.diag);
    if (!ec) ec = detail::copy_buffer_of(op, buffer);
    if (ec) return detail::deliver_detached(handler, ec, copy_row_reader());
    auto st = std::make_shared<detail::copy_out_state>(impl->shared_from_this(), buffer);
    detail::start_copy<detail::copy_out_request<copy_row_reader>>(impl, std::move(st),
                                                                  std::move(handler), op, sql);
}

void copy_writer::start_write(const std::shared_ptr<detail::copy_in_state>& state,
                              void_handler handler, const detail::op_settings& op,
                              std::span<const std::byte> data) {
    if (!state) return detail::refuse_empty(handler, op.diag);
    detail::stop_on_cancellation(state, asio::get_associated_cancellation_slot(handler), false);
    // Encoded here, where the caller's bytes still live; a message stays well under the
    // server's limit for one CopyData (1 GB).
    constexpr std::size_t max_message = 1024 * 1024;
    protocol::write_buffer bytes;
    for (std::size_t at = 0; at < data.size(); at += max_message)
        (void)protocol::encode_copy_data(bytes,
                                         data.subspan(at, std::min(max_message, data.size() - at)));
    auto write = [state, h = std::move(handler), op, bytes = std::move(bytes)]() mutable {
        detail::connection_impl& c = *state->conn;
        if (const auto ec = detail::writer_refusal(*state, op.diag))
            return c.deliver(h, detail::call::posted, ec);
        state->pending.put_bytes(bytes.data());
        if (state->pending.size() < state->chunk_bytes)
            return c.deliver(h, detail::call::posted, error_code{});
        // A chunk is full: it goes, and the write completes once the socket took it.
        c.send_copy(state->pending.data());
        state->pending.clear();
        detail::wait_written(state, std::move(h), op);
    };
    detail::on_executor_of(*state->conn, std::move(write));
}

void copy_writer::start_send(const std::shared_ptr<detail::copy_in_state>& state,
                             void_handler handler, const detail::op_settings& op,
                             std::span<const std::byte> messages) {
    if (!state) return detail::refuse_empty(handler, op.diag);
    detail::stop_on_cancellation(state, asio::get_associated_cancellation_slot(handler), false);
    auto send = [state, op](void_handler h, std::span<const std::byte> bytes) {
        detail::connection_impl& c = *state->conn;
        if (const auto ec = detail::writer_refusal(*state, op.diag))
            return c.deliver(h, detail::call::posted, ec);
        if (!state->pending.empty()) {
            c.send_copy(state->pending.data());
            state->pending.clear();
        }
        c.send_copy(bytes);
        detail::wait_written(state, std::move(h), op);
    };
    // On the executor the bytes go straight to the send queue; elsewhere they are copied first.
    if (state->conn->on_executor()) return send(std::move(handler), messages);
    protocol::write_buffer copy;
    copy.put_bytes(messages);
    asio::post(state->conn->executor,
               [send, h = std::move(handler), copy = std::move(copy)]() mutable {
                   send(std::move(h), copy.data());
               });
}

void copy_writer::start_finish(const std::shared_ptr<detail::copy_in_state>& state,
                               count_handler handler, const detail::op_settings& op,
                               std::span<const std::byte> last) {
    if (!state) return detail::refuse_empty(handler, op.diag, std::uint64_t{0});
    detail::stop_on_cancellation(state, asio::get_associated_cancellation_slot(handler), true);
    protocol::write_buffer done;
    done.put_bytes(last);
    protocol::encode_copy_done(done);
    auto finish = [state, h = std::move(handler), op, done = std::move(done)]() mutable {
        detail::connection_impl& c = *state->conn;
        if (state->over && !state->ended) {
            // The server ended the COPY first: its error, or (no error) its row count.
            if (state->ec && op.diag) *op.diag = state->diag;
            return c.deliver(h, detail::call::posted, state->ec,
                             state->ec ? std::uint64_t{0} : state->rows);
        }
        if (const auto ec = detail::writer_refusal(*state, op.diag))
            return c.deliver(h, detail::call::posted, ec, std::uint64_t{0});
        detail::end_copy(*state, done, false);
        detail::wait_verdict(state, std::move(h), op);
    };
    detail::on_executor_of(*state->conn, std::move(finish));
}

void copy_writer::start_abort(const std::shared_ptr<detail::copy_in_state>& state,
                              void_handler handler, const detail::op_settings& op,
                              std::string reason) {
    if (!state) return detail::refuse_empty(handler, op.diag);
    detail::stop_on_cancellation(state, asio::get_associated_cancellation_slot(handler), true);
    detail::on_executor_of(*state->conn, [state, h = std::move(handler), op,
                                          reason = std::move(reason)]() mutable {
        detail::connection_impl& c = *state->conn;
        if (const auto ec = detail::writer_refusal(*state, op.diag))
            return c.deliver(h, detail::call::posted, ec);
        protocol::write_buffer fail;
        if (protocol::encode_copy_fail(fail, reason)) {
            // A reason the protocol cannot carry (a NUL in it): the COPY is aborted all the same.
            fail.clear();
            (void)protocol::encode_copy_fail(fail, "aborted by the client");
        }
        detail::end_copy(*state, fail, true);
        // The abort's answer has no row count. (Its slot is cleared where it runs, as the
        // handler's own: see invoke_here.)
        auto ex = asio::get_associated_executor(h, c.executor);
        auto slot = asio::get_associated_cancellation_slot(h);
        detail::wait_verdict(
            state,
            asio::bind_cancellation_slot(
                slot, asio::bind_executor(ex,
                                          [h = std::move(h)](error_code ec, std::uint64_t) mutable {
                                              std::move(h)(ec);
                                          })),
            op);
    });
}

void copy_writer::abort_in_background() noexcept {
    if (!state_) return;
    auto state = std::move(state_);
    detail::on_executor_of(*state->conn, [state] {
        detail::fail_copy(*state, "the copy_writer was destroyed before async_finish");
    });
}

std::size_t copy_writer::buffer_bytes() const noexcept {
    return state_ ? state_->chunk_bytes : chunk_bytes;
}

std::uint64_t copy_reader::rows() const noexcept {
    return state_ ? state_->rows : 0;
}

std::size_t copy_reader::buffer_bytes() const noexcept {
    return state_ ? state_->chunk_bytes : chunk_bytes;
}

void copy_reader::start_read(const std::shared_ptr<detail::copy_out_state>& state,
                             chunk_handler handler, const detail::op_settings& op) {
    diagnostics* const diag = op.diag;
    if (!state) return detail::refuse_empty(handler, diag, std::string());
    // Cancelling a read that waits stops the COPY, as cancel() does (a chunk cannot be
    // half-taken). Connected here, on the caller's thread: a slot is not thread-safe (see
    // cancel_on_executor).
    detail::cancel_on_executor(
        asio::get_associated_cancellation_slot(handler),
        std::weak_ptr<detail::copy_out_state>(state), state->executor,
        [](const std::shared_ptr<detail::copy_out_state>& s, asio::cancellation_type) {
            if (s->waiter) detail::stop_copy_out_now(s);
        });
    asio::post(state->executor,
               [state, h = std::move(handler), diag, timeout = op.timeout]() mutable {
                   auto conn = state->conn.lock();
                   auto complete = [&](error_code ec, std::string chunk) {
                       detail::deliver(h, state->executor, state->executor, detail::call::posted,
                                       ec, std::move(chunk));
                   };
                   if (state->waiter) return complete(asio::error::in_progress, {});
                   if (!conn) {
                       if (!state->chunks.empty()) {
                           std::string chunk = std::move(state->chunks.front());
                           state->chunks.pop_front();
                           return complete({}, std::move(chunk));
                       }
                       if (!state->finished) {
                           state->finished = true;
                           state->ec = client_errc::not_connected;
                           state->diag.message = "the connection was destroyed while the COPY ran";
                       }
                       if (state->ec && diag) *diag = state->diag;
                       return complete(state->ec, {});
                   }
                   state->waiter.emplace(std::move(h));
                   state->waiter_diag = diag;
                   state->hand_out(*conn, detail::call::posted);
                   if (state->waiter) {
                       // A read that waits past its timeout stops the COPY, as cancel() does, and
                       // fails with query_timeout (as do the reads after it).
                       detail::arm_timeout<detail::copy_out_state>(
                           state, detail::timeout_of(*conn, timeout), [](const auto& s) {
                               if (!s->waiter) return;
                               s->stop_reason = client_errc::query_timeout;
                               detail::stop_copy_out_now(s);
                           });
                   }
                   if (state->chunks.size() < 2) conn->resume_reading();
               });
}

void copy_reader::cancel() noexcept {
    if (state_) detail::stop_copy_out(state_);
}

} // namespace pgasio
