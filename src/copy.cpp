// COPY FROM STDIN and COPY TO STDOUT: two request kinds that take over a COPY from the engine,
// and the writer and reader the caller drives them with.
#include "connection_impl.hpp"
#include "copy_state.hpp"
#include "request_kinds.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/copy.hpp>
#include <pgasio/protocol/backend.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <charconv>
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

protected:
    // Whether the opener still waits for its handle. A statement text with two COPYs ("COPY a
    // FROM STDIN; COPY b FROM STDIN", run as one simple query) starts a second COPY after the
    // first: the handle went to the first, and the second is refused (copy_needs_copy_api).
    bool opener_waits() const noexcept { return opener_.has_value(); }
    // The server started the COPY: the opener gets its handle. The open's cancellation and
    // timeout end here; the handle's operations get the COPY's diagnostics.
    void hand_over(connection_impl& c) {
        release_slot();
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
        release_slot();
        if (!opener_) return false;
        if (!ec) {
            ec = client_errc::copy_not_started;
            if (diag) {
                *diag = diagnostics{};
                diag->message = std::string("the statement did not start a ") + expected_;
            }
        }
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

    bool on_copy_in(connection_impl& c, const protocol::message_view&) override {
        if (!this->opener_waits()) return false;
        this->hand_over(c);
        return true;
    }

    void answer(error_code ec, const connection_impl& c, call how) override {
        if (this->answer_opener(ec, c, how)) return;
        // CopyFail's own error (57014, "COPY from stdin failed") is what an abort asks for.
        if (state_->aborting && ec == sqlstate::query_canceled) ec = {};
        state_->over = true;
        state_->ec = ec;
        if (!state_->finisher) return; // the next write or async_finish says it
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
        if (chunks.empty() || chunks.back().size() >= copy_reader::chunk_bytes) {
            chunks.emplace_back();
            chunks.back().reserve(copy_reader::chunk_bytes + 1024);
        }
        chunks.back().append(reinterpret_cast<const char*>(data.data()), data.size());
        if (chunks.back().size() < copy_reader::chunk_bytes) return;
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

// Stops a COPY out (on its connection's executor): cancelled on the server if it still runs,
// what it sent is drained; a waiting read fails with operation_aborted.
void stop_copy_out(const std::shared_ptr<copy_out_state>& state) {
    asio::post(state->executor, [state] {
        if (state->finished) return;
        auto conn = state->conn.lock();
        if (!conn) return;
        state->chunks.clear();
        conn->stop_request(state->request_id);
    });
}

} // namespace
} // namespace detail

namespace asio = boost::asio;

void connection::start_copy_in(detail::connection_impl* impl, copy_in_handler handler,
                               const detail::op_settings& op, std::string_view sql) {
    auto st = std::make_shared<detail::copy_in_state>();
    st->conn = impl->shared_from_this();
    detail::start_copy<detail::copy_in_request<copy_writer>>(impl, std::move(st),
                                                             std::move(handler), op, sql);
}

void connection::start_copy_out(detail::connection_impl* impl, copy_out_handler handler,
                                const detail::op_settings& op, std::string_view sql) {
    auto st = std::make_shared<detail::copy_out_state>();
    st->conn = impl->weak_from_this();
    st->executor = impl->executor;
    detail::start_copy<detail::copy_out_request<copy_reader>>(impl, std::move(st),
                                                              std::move(handler), op, sql);
}

void connection::start_copy_in_rows(detail::connection_impl* impl, copy_in_rows_handler handler,
                                    const detail::op_settings& op, std::string_view table,
                                    std::span<const std::string> columns) {
    std::string sql;
    if (auto ec = detail::typed_copy_sql(true, table, columns, sql, op.diag))
        return detail::deliver_detached(handler, ec, copy_row_writer());
    auto st = std::make_shared<detail::copy_in_state>();
    st->conn = impl->shared_from_this();
    detail::start_copy<detail::copy_in_request<copy_row_writer>>(impl, std::move(st),
                                                                 std::move(handler), op, sql);
}

void connection::start_copy_out_rows(detail::connection_impl* impl, copy_out_rows_handler handler,
                                     const detail::op_settings& op, std::string_view table,
                                     std::span<const std::string> columns) {
    std::string sql;
    if (auto ec = detail::typed_copy_sql(false, table, columns, sql, op.diag))
        return detail::deliver_detached(handler, ec, copy_row_reader());
    auto st = std::make_shared<detail::copy_out_state>();
    st->conn = impl->weak_from_this();
    st->executor = impl->executor;
    detail::start_copy<detail::copy_out_request<copy_row_reader>>(impl, std::move(st),
                                                                  std::move(handler), op, sql);
}

void copy_writer::start_write(const std::shared_ptr<detail::copy_in_state>& state,
                              void_handler handler, const detail::op_settings& op,
                              std::span<const std::byte> data) {
    if (!state) return detail::refuse_empty(handler, op.diag);
    // Encoded here, where the caller's bytes still live; a message stays well under the
    // server's limit for one CopyData.
    constexpr std::size_t max_message = 16 * chunk_bytes;
    protocol::write_buffer bytes;
    for (std::size_t at = 0; at < data.size(); at += max_message)
        (void)protocol::encode_copy_data(bytes,
                                         data.subspan(at, std::min(max_message, data.size() - at)));
    detail::on_executor_of(*state->conn, [state, h = std::move(handler), diag = op.diag,
                                          bytes = std::move(bytes)]() mutable {
        detail::connection_impl& c = *state->conn;
        if (const auto ec = detail::writer_refusal(*state, diag))
            return c.deliver(h, detail::call::posted, ec);
        state->pending.put_bytes(bytes.data());
        if (state->pending.size() < chunk_bytes)
            return c.deliver(h, detail::call::posted, error_code{});
        // A chunk is full: it goes, and the write completes once the socket took it.
        c.send_copy(state->pending.data());
        state->pending.clear();
        auto slot = asio::get_associated_cancellation_slot(h);
        // One waiting write at a time is cancellable (a caller awaits each); writes started
        // while it waits just wait.
        if (!slot.is_connected() || state->writer) return c.when_written(std::move(h));
        // Cancelling the wait aborts the COPY: what the socket holds cannot be taken back, and
        // a COPY missing a chunk must not be committed.
        slot.assign([weak = std::weak_ptr<detail::copy_in_state>(state)](asio::cancellation_type) {
            auto s = weak.lock();
            if (!s) return;
            asio::post(s->conn->executor, [s] {
                auto w = s->take_writer();
                if (!w) return;
                detail::fail_copy(*s, "a write of the COPY was cancelled");
                s->conn->deliver(*w, detail::call::posted,
                                 error_code(asio::error::operation_aborted));
            });
        });
        state->writer.emplace(std::move(h));
        state->writer_slot = slot;
        c.when_written([state](error_code ec) {
            if (auto w = state->take_writer()) state->conn->deliver(*w, detail::call::direct, ec);
        });
    });
}

void copy_writer::start_send(const std::shared_ptr<detail::copy_in_state>& state,
                             void_handler handler, const detail::op_settings& op,
                             std::span<const std::byte> messages) {
    if (!state) return detail::refuse_empty(handler, op.diag);
    auto send = [state, diag = op.diag](void_handler h, std::span<const std::byte> bytes) {
        detail::connection_impl& c = *state->conn;
        if (const auto ec = detail::writer_refusal(*state, diag))
            return c.deliver(h, detail::call::posted, ec);
        if (!state->pending.empty()) {
            c.send_copy(state->pending.data());
            state->pending.clear();
        }
        c.send_copy(bytes);
        c.when_written(std::move(h));
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
    protocol::write_buffer done;
    done.put_bytes(last);
    protocol::encode_copy_done(done);
    detail::on_executor_of(*state->conn, [state, h = std::move(handler), diag = op.diag,
                                          done = std::move(done)]() mutable {
        detail::connection_impl& c = *state->conn;
        if (state->over && !state->ended) {
            // The server ended the COPY first: its error, or (no error) its row count.
            if (state->ec && diag) *diag = state->diag;
            return c.deliver(h, detail::call::posted, state->ec,
                             state->ec ? std::uint64_t{0} : state->rows);
        }
        if (const auto ec = detail::writer_refusal(*state, diag))
            return c.deliver(h, detail::call::posted, ec, std::uint64_t{0});
        detail::end_copy(*state, done, false);
        state->finisher.emplace(std::move(h));
        state->finisher_diag = diag;
    });
}

void copy_writer::start_abort(const std::shared_ptr<detail::copy_in_state>& state,
                              void_handler handler, const detail::op_settings& op,
                              std::string reason) {
    if (!state) return detail::refuse_empty(handler, op.diag);
    detail::on_executor_of(*state->conn, [state, h = std::move(handler), diag = op.diag,
                                          reason = std::move(reason)]() mutable {
        detail::connection_impl& c = *state->conn;
        if (const auto ec = detail::writer_refusal(*state, diag))
            return c.deliver(h, detail::call::posted, ec);
        protocol::write_buffer fail;
        if (protocol::encode_copy_fail(fail, reason)) {
            // A reason the protocol cannot carry (a NUL in it): the COPY is aborted all the same.
            fail.clear();
            (void)protocol::encode_copy_fail(fail, "aborted by the client");
        }
        detail::end_copy(*state, fail, true);
        // The abort's answer has no row count.
        auto ex = asio::get_associated_executor(h, c.executor);
        state->finisher.emplace(asio::bind_executor(
            ex, [h = std::move(h)](error_code ec, std::uint64_t) mutable { std::move(h)(ec); }));
        state->finisher_diag = diag;
    });
}

void copy_writer::abort_in_background() noexcept {
    if (!state_) return;
    auto state = std::move(state_);
    detail::on_executor_of(*state->conn, [state] {
        detail::fail_copy(*state, "the copy_writer was destroyed before async_finish");
    });
}

std::uint64_t copy_reader::rows() const noexcept {
    return state_ ? state_->rows : 0;
}

void copy_reader::start_read(const std::shared_ptr<detail::copy_out_state>& state,
                             chunk_handler handler, diagnostics* diag) {
    if (!state) return detail::refuse_empty(handler, diag, std::string());
    asio::post(state->executor, [state, h = std::move(handler), diag]() mutable {
        auto conn = state->conn.lock();
        auto h_ex = asio::get_associated_executor(h, state->executor);
        auto complete = [&](error_code ec, std::string chunk) {
            asio::post(state->executor, asio::bind_executor(h_ex, [h = std::move(h), ec,
                                                                   c = std::move(chunk)]() mutable {
                           std::move(h)(ec, std::move(c));
                       }));
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
        auto slot = asio::get_associated_cancellation_slot(h);
        if (slot.is_connected() && !state->finished) {
            // Cancelling the wait stops the COPY, as cancel() does (a chunk cannot be
            // half-taken).
            slot.assign(
                [weak = std::weak_ptr<detail::copy_out_state>(state)](asio::cancellation_type) {
                    if (auto s = weak.lock()) detail::stop_copy_out(s);
                });
            state->waiter_slot = slot;
        }
        state->waiter.emplace(std::move(h));
        state->waiter_diag = diag;
        state->hand_out(*conn, detail::call::posted);
        if (state->chunks.size() < 2) conn->resume_reading();
    });
}

void copy_reader::cancel() noexcept {
    if (state_) detail::stop_copy_out(state_);
}

} // namespace pgasio
