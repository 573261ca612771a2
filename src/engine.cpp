// The engine of a connection: request queue, one writer, one reader, in-order answers.
#include "connection_impl.hpp"
#include "request_kinds.hpp"

#include <pgasio/detail/post_to.hpp>
#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/response_machine.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>

namespace pgasio::detail {
namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 64 * 1024;
// A read pause gathers about this much of a busy server's data (see read_pause_now); a pause
// shorter than min_read_pause costs more than it saves.
constexpr std::int64_t pause_gather = 32 * 1024;
constexpr std::chrono::microseconds min_read_pause{50};
// The send log is compacted once this many bytes of answered requests lead it (and they are
// more than half of it): rarely enough that the move costs nothing per request.
constexpr std::size_t trim_at = 64 * 1024;
// request::flush_at of a request that takes its rows whole.
constexpr std::size_t no_flush = static_cast<std::size_t>(-1);

// Fills the caller's diagnostics (if any) with pgasio's own explanation.
void explain(request& r, std::string message) {
    if (!r.diag) return;
    *r.diag = diagnostics{};
    r.diag->message = std::move(message);
}

// Sends a CancelRequest to `peer` and waits for the server to close the connection, which it
// does once it has signalled the backend. Fails with timed_out after `limit`.
template <class Socket, class Endpoint>
asio::awaitable<error_code> cancel_exchange(asio::any_io_executor ex, const Endpoint& peer,
                                            std::span<const std::byte> packet,
                                            std::chrono::milliseconds limit) {
    // Shared with the deadline's handler, which may run after this frame is gone.
    struct state {
        explicit state(asio::any_io_executor e)
            : socket(e)
            , deadline(e) {}
        Socket socket;
        asio::steady_timer deadline;
        bool expired = false;
    };
    auto s = std::make_shared<state>(ex);
    s->deadline.expires_after(limit);
    s->deadline.async_wait([s](error_code ec) {
        if (ec) return;
        s->expired = true;
        error_code ignored;
        s->socket.close(ignored);
    });
    auto [ec] = co_await s->socket.async_connect(peer, nothrow);
    if (!ec)
        std::tie(ec, std::ignore) = co_await asio::async_write(
            s->socket, asio::buffer(packet.data(), packet.size()), nothrow);
    std::array<char, 16> sink{};
    if (!ec)
        std::tie(ec, std::ignore) = co_await s->socket.async_read_some(asio::buffer(sink), nothrow);
    s->deadline.cancel();
    if (s->expired) co_return asio::error::timed_out;
    // The server closing the connection (eof) is the answer we wait for.
    co_return ec == asio::error::eof ? error_code{} : ec;
}

std::atomic<std::uint64_t> statement_counter{0};
std::atomic<std::uint64_t> session_counter{0};

} // namespace

std::uint64_t next_session_id() noexcept {
    return ++session_counter;
}

bool connection_impl::on_executor() const noexcept {
    if (const auto* io_ex = executor.target<asio::io_context::executor_type>())
        return io_ex->running_in_this_thread();
    if (const auto* st = executor.target<asio::strand<asio::io_context::executor_type>>())
        return st->running_in_this_thread();
    if (const auto* st = executor.target<asio::strand<asio::any_io_executor>>())
        return st->running_in_this_thread();
    return false; // an executor we cannot ask: always go through it
}

std::string connection_impl::next_statement_name(std::string_view sql) {
    // Unique in the process, not only in the session: a name can never find another
    // connection's statement. The digest of the text makes a name that another process
    // generates alike (behind a pooler, the sessions of several processes share a server
    // session) mean the same text, never another statement.
    return "pgasio_p" + statement_digest(sql, 24) + "_" + std::to_string(++statement_counter);
}

void connection_impl::submit(std::unique_ptr<request> r, encoder_ref encode) {
    r->id = next_request_id();
    on_cancellation(r->slot, [id = r->id](connection_impl& c, asio::cancellation_type type) {
        c.cancel_for_caller(id, type);
    });
    if (on_executor()) return enqueue(std::move(r), encode);
    // Another thread: encode here, where the parameters still live, and queue on the executor.
    auto bytes = std::make_unique<protocol::write_buffer>();
    std::string why;
    const error_code ec = encode(*bytes, why);
    post_to(executor, [self = shared_from_this(), r = std::move(r), bytes = std::move(bytes), ec,
                       why = std::move(why)]() mutable {
        self->enqueue_encoded(std::move(r), *bytes, ec, why);
    });
}

void connection_impl::enqueue_encoded(std::unique_ptr<request> r,
                                      const protocol::write_buffer& bytes, error_code ec,
                                      const std::string& why) {
    auto copy = [&](protocol::write_buffer& out, std::string& reason) -> error_code {
        if (ec) {
            reason = why;
            return ec;
        }
        out.put_bytes(bytes.data());
        return {};
    };
    enqueue(std::move(r), copy);
}

bool connection_impl::refuse(std::unique_ptr<request>& r) {
    if (!open) {
        explain(*r, closed_reason_.empty() ? "it was never connected, or was closed"
                                           : "the connection was closed: " + closed_reason_);
        r->answer(client_errc::not_connected, *this, call::posted);
        return true;
    }
    if (r->section != 0 && (r->section != active_section_ || section_released_)) {
        explain(*r, "the exclusive lease it was run on was released");
        r->answer(client_errc::lease_ended, *this, call::posted);
        return true;
    }
    if (r->section != 0 && begin_.at == section_begin::state::failed) {
        refuse_after_failed_begin(std::move(r), call::posted);
        return true;
    }
    return false;
}

void connection_impl::answer_empty(std::unique_ptr<request> r) {
    if (!on_executor())
        return post_to(executor, [self = shared_from_this(), r = std::move(r)]() mutable {
            self->answer_empty(std::move(r));
        });
    if (!refuse(r)) r->answer(error_code{}, *this, call::posted);
}

void connection_impl::enqueue(std::unique_ptr<request> r, encoder_ref encode) {
    if (refuse(r)) return;
    if (active_section_ != 0 && r->section != active_section_) {
        // Another caller holds the session: this waits, encoded, until the lease ends (its
        // cancellation and timeout already apply).
        parked p;
        if (const auto ec = encode(p.bytes, p.why)) {
            explain(*r, std::move(p.why));
            r->answer(ec, *this, call::posted);
            return;
        }
        if (!r->watched) watch(*r);
        p.r = std::move(r);
        parked_.push_back(std::move(p));
        return;
    }
    // The first request of a transaction's section takes the deferred BEGIN along: in front of
    // its own messages when it is an extended query (encode_begin), as a simple Query of its own
    // just before it when it is a simple query (send_begin_alone).
    const bool begins = r->section != 0 && begin_.at == section_begin::state::deferred;
    const bool simple = r->script().front() == protocol::request_step::simple_query;
    if (begins && simple) send_begin_alone();
    r->queued_begin = writer.size();
    if (begins && !simple) encode_begin(writer);
    const std::size_t begin_bytes = writer.size() - r->queued_begin;
    std::string why;
    error_code ec = encode(writer, why);
    if (!ec && r->prepared_in && r->prepared_in != session_id) {
        ec = client_errc::statement_not_prepared;
        why = "the statement was prepared by another connection or an earlier session";
    }
    if (ec) {
        // Nothing of it goes out: a BEGIN it would have carried stays deferred.
        writer.truncate(r->queued_begin);
        explain(*r, std::move(why));
        r->answer(ec, *this, call::posted);
        return;
    }
    if (begins && !simple) {
        static constexpr protocol::request_step begin_script[] = {protocol::request_step::parse,
                                                                  protocol::request_step::bind,
                                                                  protocol::request_step::execute};
        r->prepend_steps(begin_script);
        r->begin_steps = static_cast<std::uint8_t>(std::size(begin_script));
        r->begin_bytes = static_cast<std::uint32_t>(begin_bytes);
        // Written once nothing before it is in flight: a request written earlier and sent again
        // after a cancel (see resend) would otherwise run inside the transaction block.
        r->alone = true;
        begin_.at = section_begin::state::sent;
    }
    r->queued_end = writer.size();
    if (!r->watched) watch(*r);
    if (r->alone) ++alone_unwritten_;
    count_in_section(*r, 1);
    if (section_hold_passes_ != 0) {
        // The next holder's first request, which the writes waited for (not parked: the
        // connection is its) (hold_writes_for_next_section).
        section_hold_passes_ = 0;
        write_held_ = false;
    }
    queue_.push_back(std::move(r));
    ++unwritten_;
    // While the read loop answers a batch of messages, the callers it resumes queue their next
    // requests; one write after the batch then carries them all (see read_more).
    if (!answering_) start_write();
}

void connection_impl::watch(request& r) {
    r.watched = true;
    if (r.id == 0) r.id = next_request_id();
    r.on_identified();
    if (const auto timeout = r.timeout.count() >= 0 ? r.timeout : query_timeout;
        timeout.count() > 0) {
        // One timer for the connection, set for the earliest deadline: a timer per request
        // cost more than the rest of a small query's bookkeeping.
        const auto from = r.started == std::chrono::steady_clock::time_point{}
                              ? std::chrono::steady_clock::now()
                              : r.started;
        r.deadline = from + timeout;
        if (r.deadline < timer_at_) arm_deadline(r.deadline);
    }
}

void connection_impl::arm_deadline(std::chrono::steady_clock::time_point at) {
    timer_at_ = at;
    deadline_timer_.expires_at(at); // a wait for a later deadline ends with operation_aborted
    deadline_timer_.async_wait([weak = weak_from_this()](error_code ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        self->on_deadline();
    });
}

void connection_impl::on_deadline() {
    timer_at_ = std::chrono::steady_clock::time_point::max();
    const auto now = std::chrono::steady_clock::now();
    // Requests answered meanwhile are simply gone; those past their deadline are cancelled
    // (which may answer, queue and remove requests: collect the ids first).
    std::vector<std::uint64_t> expired;
    bool stuck = false; // a cancelled request's answers did not end in time
    auto next = std::chrono::steady_clock::time_point::max();
    auto visit = [&](const request& r) {
        if (r.deadline == std::chrono::steady_clock::time_point::max()) return;
        if (r.deadline > now)
            next = std::min(next, r.deadline);
        else if (r.abandoned)
            stuck = true;
        else
            expired.push_back(r.id);
    };
    for (const auto& r : queue_)
        visit(*r);
    for (const auto& p : parked_)
        if (p.r) visit(*p.r);
    if (next != std::chrono::steady_clock::time_point::max()) arm_deadline(next);
    for (const auto id : expired)
        cancel(id, client_errc::query_timeout, asio::cancellation_type::terminal);
    if (stuck && open) {
        // The server took the cancel, yet the request it stopped never finished: the backend
        // is stuck, or the stream is out of step (a length field that only looks too large
        // waits for bytes that never come). Either way nothing behind it would be answered,
        // and the connection must not look usable.
        diagnostics d;
        d.message = "a cancelled request did not end within " +
                    std::to_string(cancel_timeout.count()) +
                    " ms of the server taking the cancel; the connection was closed";
        fail_all(client_errc::cancel_timeout, d);
    }
}

void connection_impl::start_write() {
    if (write_in_progress || !open) return;
    if (!urgent_.empty()) {
        // Goes first, past every hold: the server waits for it.
        protocol::write_buffer bytes;
        bytes.swap(urgent_);
        write_bytes(bytes.data());
        if (write_in_progress) return;
    }
    if (unwritten_ == 0 || barrier_ || cancel_in_flight_ || write_held_) return;
    const std::size_t first = queue_.size() - unwritten_;
    std::size_t last = queue_.size(); // one past the last request written now
    if (alone_unwritten_ > 0) {
        // A request that runs alone waits until nothing is in flight, and nothing follows it.
        // The COMMIT of an ended section may be in flight: the server runs it first, and it is
        // never sent again (request::ends_transaction).
        for (std::size_t i = first; i < queue_.size(); ++i) {
            if (!queue_[i]->alone) continue;
            const bool after_commits_only =
                std::all_of(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(i),
                            [](const auto& q) { return q->ends_transaction; });
            last = after_commits_only ? i + 1 : i;
            break;
        }
        if (last == first) return;
    }
    for (std::size_t i = first; i < last; ++i) {
        request& r = *queue_[i];
        if (r.alone) {
            --alone_unwritten_;
            barrier_ = &r;
        }
    }
    unwritten_ -= last - first;
    const std::size_t end = queue_[last - 1]->queued_end;
    const std::span<const std::byte> bytes = writer.data().subspan(written_, end - written_);
    written_ = end;
    write_bytes(bytes);
}

void connection_impl::write_bytes(std::span<const std::byte> bytes) {
    // A plain socket nearly always takes the bytes at once: written here, they need no
    // completion handler, which would cost a trip through the scheduler (and the poll it makes
    // before running a handler). What it does not take goes out asynchronously, from a copy
    // (the send log may move while the write runs).
    const std::size_t n = io.try_write_some(asio::buffer(bytes.data(), bytes.size()));
    if (n == bytes.size()) return;
    sending.clear();
    sending.put_bytes(bytes.subspan(n));
    write_in_progress = true;
    io.async_write(asio::buffer(sending.data().data(), sending.size()),
                   [self = shared_from_this()](error_code ec, std::size_t) {
                       self->write_in_progress = false;
                       self->sending.clear();
                       self->write_done.cancel();
                       if (ec && self->open) {
                           diagnostics d;
                           d.message = self->io.failure().empty()
                                           ? "could not send to the server: " + ec.message()
                                           : self->io.failure();
                           return self->fail_all(ec, d);
                       }
                       if (!ec) self->start_write();
                       if (!self->write_in_progress) self->answer_written_waiters({});
                   });
}

void connection_impl::send_copy(std::span<const std::byte> bytes) {
    urgent_.put_bytes(bytes);
    start_write();
}

void connection_impl::when_written(asio::any_completion_handler<void(error_code)> h) {
    if (!open) return deliver(h, call::posted, error_code(client_errc::not_connected));
    if (!write_in_progress && urgent_.empty()) return deliver(h, call::posted, error_code{});
    written_waiters_.push_back(std::move(h));
}

void connection_impl::answer_written_waiters(error_code ec) {
    auto waiters = std::move(written_waiters_);
    written_waiters_.clear();
    for (auto& w : waiters)
        deliver(w, call::posted, ec);
}

void connection_impl::start_reading() {
    io.set_non_blocking();
    caught_up_ = false;
    post_to(executor, [self = shared_from_this()] { self->read_more(); });
}

void connection_impl::handle_buffered() {
    answering_ = true;
    answers_came_ = {};
    while (open && !paused_) {
        auto m = reader.next();
        if (!m) {
            malformed_message(m.error(), "message");
            break;
        }
        if (!*m) break;
        mid_answer_ = (*m)->type == protocol::backend_message_type::data_row ||
                      (*m)->type == protocol::backend_message_type::copy_data;
        // Rows first, before the general dispatch: a large result is millions of them.
        if ((*m)->type == protocol::backend_message_type::data_row && queue_.size() > unwritten_) {
            request& head = *queue_.front();
            if (auto ec = check(head, **m)) {
                malformed_message(ec, "DataRow");
                break;
            }
            handle_data_row(head, (*m)->body);
        } else {
            handle(**m);
        }
    }
    // A consumer that takes data as it comes (a stream, a COPY's reader) gets that of this
    // batch now.
    if (open && !paused_ && !queue_.empty()) {
        request& head = *queue_.front();
        if (head.flush_at != no_flush && !head.abandoned && !head.server_error)
            head.on_rows(*this, builder_, true);
    }
    answering_ = false;
}

std::chrono::steady_clock::time_point connection_impl::answered_at() const noexcept {
    if (!answering_) return std::chrono::steady_clock::now();
    if (answers_came_ == std::chrono::steady_clock::time_point{})
        answers_came_ = std::chrono::steady_clock::now();
    return answers_came_;
}

void connection_impl::serve_stream(stream_state& st) {
    st.hand_out(*this, call::posted);
    if (st.parts.size() < 2) resume_reading();
}

void connection_impl::stop_request(std::uint64_t id, asio::cancellation_type type) {
    cancel(id, asio::error::operation_aborted, type);
}

void connection_impl::stop_reading(std::uint64_t id) {
    // Inside a transaction block a cancelled statement aborts the block: the transaction's
    // next statement and its COMMIT would find it failed, or not, when the statement had
    // finished before the cancel arrived, which depends on how many rows were left. There the
    // rest is read and dropped instead, as libpq's PQgetResult loop and pgx's Rows.Close do.
    const auto it =
        std::find_if(queue_.begin(), queue_.end(), [id](const auto& q) { return q->id == id; });
    const bool sent = it != queue_.end() &&
                      static_cast<std::size_t>(it - queue_.begin()) < queue_.size() - unwritten_;
    if (!sent || (*it)->abandoned) return stop_request(id);
    request& r = **it;
    const bool in_block =
        tx_status_ != protocol::transaction_status::idle ||
        (r.section != 0 && r.section == active_section_ && begin_.at == section_begin::state::sent);
    if (!in_block) return stop_request(id);
    r.abandoned = true;
    r.abandon(*this);
    explain(r, "it was stopped; what the server still sends is read and dropped (inside a "
               "transaction block a cancel would abort the transaction)");
    r.answer(asio::error::operation_aborted, *this, call::direct); // `r` may be gone after this
}

void connection_impl::resume_reading() {
    if (!paused_ || !open) return;
    paused_ = false;
    caught_up_ = false; // the socket was left unread: the server waits for it to drain
    post_to(executor, [self = shared_from_this()] { self->read_more(); });
}

// The read loop: hand out what is buffered, write what that queued, read more. It runs once per
// batch of answers, so it is a plain completion handler rather than a coroutine (whose
// resumption machinery costs more than the loop's own work). The handler runs on the socket's
// executor, which is the connection's, and keeps the connection alive while a read is pending.
void connection_impl::read_more() {
    handle_buffered();
    if (!open) return;
    start_write();
    if (paused_) return; // resume_reading() reads again

    if (const auto pause = read_pause_now(); pause.count() > 0) {
        read_pause_timer_.expires_after(pause);
        read_pause_timer_.async_wait(
            [self = shared_from_this(), session = session_id](error_code ec) {
                // Cancelled by the end of the session (shut_down), or that session has ended.
                if (ec || !self->open || self->session_id != session) return;
                self->read_socket();
            });
        return;
    }
    read_socket();
}

// Once a read has taken all the socket held while the server is still busy (sending a result's
// rows or COPY data, or with at least read_pause_depth requests to work through), reading again
// at once would fetch a few rows or about one answer per read, and the request an answer's
// caller queues next would go out alone: a system call or two and a scheduler pass each. After a
// short pause, one read takes what came meanwhile, and one write carries all the requests their
// callers queue. The pause is as long as the data of the last stretch takes to fill about
// pause_gather bytes, and at most read_pause: slow data gathers for read_pause; fast data (a
// wide result) gets a short pause or none, so the socket's buffers (a few hundred kB) never fill
// and hold the server back. A server that is not busy after all (a last row just before a slow
// CommandComplete) makes one read up to read_pause late. Only where a short read means a drained
// socket (not TLS).
std::chrono::microseconds connection_impl::read_pause_now() {
    using namespace std::chrono;
    if (!caught_up_ || read_pause.count() <= 0 ||
        (!mid_answer_ && queue_.size() - unwritten_ < read_pause_depth))
        return {};
    const auto now = steady_clock::now();
    const auto since = std::min<steady_clock::duration>(now - pause_checked_at_, seconds(1));
    const std::size_t bytes = read_since_pause_check_;
    pause_checked_at_ = now;
    read_since_pause_check_ = 0;
    auto pause = read_pause;
    if (bytes > 0)
        pause = std::min(pause, duration_cast<microseconds>(since * pause_gather /
                                                            static_cast<std::int64_t>(bytes)));
    return pause < min_read_pause ? microseconds{} : pause;
}

void connection_impl::read_socket() {
    // Asio tries the read at once and waits for readability only if nothing is there. Right
    // after a request was written that attempt often fails, yet waiting first is no cheaper:
    // each async_wait re-arms the socket in epoll (one epoll_ctl, the cost of the failed read),
    // and it loses outright when the answer is already there, which on a fast local server is
    // often the case.
    auto space = reader.prepare(read_chunk);
    io.async_read_some(
        asio::buffer(space.data(), space.size()),
        [self = shared_from_this(), size = space.size()](error_code ec, std::size_t n) {
            if (!ec && self->open) {
                self->caught_up_ = n < size && self->io.short_read_drains();
                self->read_since_pause_check_ += n;
            }
            self->on_read(ec, n);
        });
}

void connection_impl::on_read(error_code ec, std::size_t n) {
    if (!open) return;
    if (ec || n == 0) {
        // A FATAL error the server sent before closing says why (admin shutdown, idle
        // session timeout, pg_terminate_backend); without one, the connection just closed.
        if (fatal_ec_) {
            // Its SQLSTATE is reported as it is when it says by itself that the session ended
            // (57P01 admin_shutdown...); one that the server also sends as a plain ERROR (08P01
            // protocol_violation, 25P03 idle_in_transaction_session_timeout) becomes
            // connection_closed, with the server's diagnostics, so that is_fatal tells the truth.
            fail_all(is_fatal(fatal_ec_) ? fatal_ec_ : error_code(client_errc::connection_closed),
                     fatal_diag_);
        } else {
            diagnostics d;
            d.message = !io.failure().empty() ? io.failure()
                        : ec && ec != asio::error::eof
                            ? "the connection to the server failed: " + ec.message()
                            : "the server closed the connection";
            fail_all(ec && ec != asio::error::eof ? ec : error_code(client_errc::connection_closed),
                     d);
        }
        return;
    }
    reader.commit(n);
    read_more();
}

void connection_impl::malformed_message(error_code ec, const char* what) {
    diagnostics d;
    d.message =
        stream_error_message(ec, reader, std::string("malformed ") + what + " from the server");
    fail_all(ec, d);
}

std::string stream_error_message(error_code ec, const protocol::framer& reader,
                                 std::string_view malformed) {
    if (ec != client_errc::message_too_large) return std::string(malformed) + ": " + ec.message();
    return "the server sent a message of " + std::to_string(reader.announced_size()) +
           " bytes, more than max_message_size allows (" +
           std::to_string(reader.max_message_size()) +
           " bytes); a larger max_message_size in the connection settings admits it";
}

void connection_impl::handle_data_row(request& r, std::span<const std::byte> body) {
    if (r.abandoned || r.server_error || r.refused_copy) {
        // Drained, not kept; still checked.
        const auto row = protocol::decode_data_row(body);
        if (!row) return malformed_message(row.error(), "DataRow");
        return;
    }
    if (auto ec = builder_.add_row(body)) {
        if (ec == client_errc::result_too_large) {
            // The stream is fine: the request fails and its remaining rows are drained.
            r.server_error = ec;
            r.server_diag = std::make_unique<diagnostics>();
            r.server_diag->message = "the result passes 2 GiB of values; read it in parts";
            return;
        }
        if (ec != client_errc::unexpected_message) return malformed_message(ec, "DataRow");
        if (r.columns_from_cache) {
            // The stream is fine: the statement's columns changed since their description was
            // cached. The request fails and its remaining rows are drained.
            r.server_error = client_errc::description_changed;
            r.server_diag = std::make_unique<diagnostics>();
            r.server_diag->message =
                "a row does not match the statement's cached description (a table it reads "
                "was altered); the statement ran, its rows are dropped and the description "
                "forgotten";
            return;
        }
        diagnostics d;
        d.message = "a row does not match its RowDescription";
        return fail_all(ec, d);
    }
    if (builder_.row_bytes() >= r.flush_at) r.on_rows(*this, builder_, false);
}

void connection_impl::refuse_copy_in(request& r) {
    r.refused_copy = true;
    // The server now reads COPY data and ignores Sync; CopyFail ends the COPY with an error.
    // Nothing was written after the request (COPY runs alone: a message of another request
    // arriving during COPY is a protocol violation that ends the session), and nothing may be
    // until its ReadyForQuery.
    protocol::encode_copy_fail(urgent_, "COPY FROM STDIN cannot run through a query operation");
    // In a simple query the error ends the Query message and ReadyForQuery follows. After an
    // extended query's error the server skips messages up to a Sync, and the one the request
    // sent was ignored during COPY: CopyFail needs its own (response_machine::end_copy_in).
    if (machine_.copy_in_needs_sync()) protocol::encode_sync(urgent_);
    machine_.end_copy_in(true);
    barrier_ = &r;
    start_write();
}

void connection_impl::handle(const protocol::message_view& m) {
    using t = protocol::backend_message_type;
    // Messages that may come at any time, for the session rather than a request.
    switch (m.type) {
    case t::notice_response: {
        const auto f = protocol::decode_error_fields(m.body);
        if (!f) return malformed_message(f.error(), "NoticeResponse");
        if (notice_handler) notice_handler(diagnostics::from_fields(*f));
        return;
    }
    case t::notification_response: {
        const auto n = protocol::decode_notification(m.body);
        if (!n) return malformed_message(n.error(), "NotificationResponse");
        notification note{n->process_id, std::string(n->channel), std::string(n->payload)};
        if (notification_waiter) {
            answer_notification_waiter({}, std::move(note));
        } else {
            notifications.push_back(std::move(note));
        }
        return;
    }
    case t::parameter_status: {
        const auto p = protocol::decode_parameter_status(m.body);
        if (!p) return malformed_message(p.error(), "ParameterStatus");
        parameters.insert_or_assign(std::string(p->name), std::string(p->value));
        parameters_changed();
        return;
    }
    default:
        break;
    }

    if (queue_.empty() || queue_.size() == unwritten_) {
        // Outside any request only a FATAL error is expected (the server is about to close).
        if (m.type == t::error_response) {
            const auto f = protocol::decode_error_fields(m.body);
            if (!f) return malformed_message(f.error(), "ErrorResponse");
            fatal_diag_ = diagnostics::from_fields(*f);
            fatal_ec_ = fatal_diag_.code();
            return;
        }
        diagnostics d;
        d.message = std::string("unexpected message '") + static_cast<char>(m.type) +
                    "' while no request was waiting";
        return fail_all(client_errc::unexpected_message, d);
    }

    request& r = *queue_.front();
    if (auto ec = check(r, m)) {
        diagnostics d;
        d.message = std::string("unexpected message '") + static_cast<char>(m.type) +
                    "' from the server (not an answer the request can get now, or malformed): " +
                    ec.message();
        return fail_all(ec, d);
    }
    // check() validated the message against the request (empty bodies, order, the COPY flow,
    // ReadyForQuery's status). The engine handles what is the same for every request; the
    // rest is the request's consumer's.
    switch (m.type) {
    case t::error_response: {
        const auto f = protocol::decode_error_fields(m.body);
        if (!f) return malformed_message(f.error(), "ErrorResponse");
        if (r.server_error) return;
        r.server_diag = std::make_unique<diagnostics>(diagnostics::from_fields(*f));
        r.server_error = r.server_diag->code();
        // Before the BEGIN it carries completed: the transaction never began, and the server
        // skips the rest of the request.
        if (r.begin_answers < r.begin_steps) r.begin_failed = true;
        // The server lost a prepared statement (a pooler's new session, DEALLOCATE): it may
        // have lost the COMMIT statements too.
        if (r.server_error == sqlstate::invalid_sql_statement_name)
            commit_statements_prepared = false;
        // The server closes after a FATAL error: remember why for everyone queued.
        if (r.server_diag->is_fatal()) {
            fatal_diag_ = *r.server_diag;
            fatal_ec_ = r.server_error;
            return;
        }
        if (r.server_error == sqlstate::query_canceled) take_cancel(r);
        return;
    }
    case t::copy_in_response:
        if (r.abandoned || !r.on_copy_in(*this, m)) refuse_copy_in(r);
        return;
    case t::copy_out_response:
        // Unless its consumer takes the data, it is drained and the caller told that COPY
        // needs the COPY API.
        if (r.abandoned || !r.on_copy_out(*this, m)) r.refused_copy = true;
        return;
    case t::copy_data: // only after CopyOutResponse
        if (!r.refused_copy && !r.abandoned) r.on_copy_data(*this, m.body);
        return;
    case t::copy_done:
        return;
    case t::ready_for_query:
        tx_status_ = static_cast<protocol::transaction_status>(machine_.transaction_status());
        return finish_front();
    case t::command_complete:
        forget_statements_dropped_by(m);
        [[fallthrough]];
    default:
        if (r.begin_answers < r.begin_steps) {
            // The answers to the BEGIN it carries are the engine's, not its consumer's. Once
            // BEGIN has run, the request can no longer be sent again as it was.
            if (++r.begin_answers == r.begin_steps) r.partly_done = true;
            return;
        }
        if (auto ec = r.on_answer(m, builder_))
            return malformed_message(ec, protocol::backend_message_name(m.type));
        return;
    }
}

error_code connection_impl::check(request& r, const protocol::message_view& m) {
    // The machine follows the request at the head of the queue; a new head (or one sent
    // again) starts it over with its own script.
    if (machine_for_ != r.id) {
        machine_.reset(r.script());
        machine_for_ = r.id;
        r.begin(builder_);
    }
    const auto ev = machine_.on_message(m);
    return ev ? error_code{} : ev.error();
}

void connection_impl::forget_statements_dropped_by(const protocol::message_view& m) {
    // The tags of the commands that deallocate every prepared statement of the session; the
    // cache must not send Bind for them any more. (A malformed CommandComplete is reported by
    // the request's consumer.)
    const auto cc = protocol::decode_command_complete(m.body);
    if (!cc) return;
    if (cc->tag == "DISCARD ALL" || cc->tag == "DEALLOCATE ALL") statements.clear();
    // DEALLOCATE of one name may have been of a COMMIT statement: they are prepared again.
    if (cc->tag.starts_with("DISCARD") || cc->tag.starts_with("DEALLOCATE"))
        commit_statements_prepared = false;
}

void connection_impl::parameters_changed() noexcept {
    const auto scs = parameters.find("standard_conforming_strings");
    backslash_escapes = scs != parameters.end() && scs->second == "off";
}

void connection_impl::finish_front() {
    std::unique_ptr<request> r = std::move(queue_.front());
    queue_.pop_front();
    if (barrier_ == r.get()) barrier_ = nullptr;
    count_in_section(*r, -1);
    const bool in_block = tx_status_ != protocol::transaction_status::idle;
    // The last request of a COMMIT whose section ended as it was queued, with the block still
    // open: the COMMIT failed before it ran (its statement gone, say).
    const bool commit_left_block = r->ends_transaction && r->section != active_section_ &&
                                   in_block &&
                                   (queue_.empty() || queue_.front()->section != r->section);
    // A transaction block left open outside an exclusive lease would take in every request
    // written after it. Statements that can open one run alone, so nothing has joined it yet:
    // it is rolled back before anything else is written, and its caller told why.
    const bool opened_block = r->section == 0 && !r->internal && in_block;
    if (commit_left_block || (opened_block && !r->alone)) {
        // Others' requests written behind it may run inside the block: only closing the
        // session (the server then rolls it back) keeps them from being reported done.
        queue_.push_front(std::move(r));
        diagnostics d;
        d.message = commit_left_block
                        ? "a transaction's COMMIT failed before it ran, leaving its transaction "
                          "block open after the connection had passed to other callers; the "
                          "connection was closed, which rolls the transaction back"
                        : "a statement left a transaction block open on a shared connection; the "
                          "connection was closed so that nothing done inside it commits (use an "
                          "exclusive lease for transactions)";
        return fail_all(commit_left_block ? client_errc::connection_closed
                                          : client_errc::transaction_needs_lease,
                        d);
    }
    // The builder now holds the request's rows, or what a failed or abandoned one left behind.
    const bool succeeded = !r->server_error && !r->abandoned && !r->refused_copy && !opened_block;
    if (succeeded) r->on_success(builder_);
    builder_.reset();
    if (opened_block) roll_back(0);
    protocol::write_buffer again;
    if (r->hit_by_cancel && sent_after_it_in_its_operation(*r)) {
        // Sent again, it would run after every request already written behind it: requests of
        // other callers may go ahead of it, a later statement of its own operation may not. It
        // fails instead, saying why (it had no effect either way).
        r->hit_by_cancel = false;
        r->server_diag->detail =
            "It was stopped by a cancel request meant for another request on its connection and "
            "had no effect; it was not run again because later statements of its operation had "
            "already been sent.";
    }
    if (r->hit_by_cancel && tx_status_ == protocol::transaction_status::failed && !r->internal &&
        !r->ends_failed_block) {
        // Inside a transaction block, which the 57014 aborted: sent again, it would only fail
        // with 25P02 and hide why. (A ROLLBACK, or a ROLLBACK TO SAVEPOINT, runs there: sent
        // again, it ends the failure.)
        r->hit_by_cancel = false;
        r->server_diag->detail =
            "It was most likely stopped by the cancel request sent for another request on its "
            "connection, inside a transaction block, which that aborted; it was not run again.";
    }
    if (r->hit_by_cancel) {
        resend(std::move(r));
    } else if (r->begin_failed) {
        begin_failed(std::move(r));
    } else if (r->server_error && !r->internal &&
               r->on_failure(
                   *this,
                   writer.data().subspan(r->queued_begin + r->begin_bytes,
                                         r->queued_end - r->queued_begin - r->begin_bytes),
                   again)) {
        // Its new messages are its own (a BEGIN it carried has run: the request runs again
        // only outside a transaction block).
        r->begin_steps = 0;
        r->begin_bytes = 0;
        send_again(std::move(r), again.data());
    } else if (!r->abandoned && !r->internal) {
        error_code ec = r->server_error;
        if (opened_block) {
            ec = client_errc::transaction_needs_lease;
            explain(*r, ec.message());
        } else if (r->refused_copy) {
            ec = client_errc::copy_needs_copy_api;
            explain(*r, ec.message() + ", one COPY per statement text; this one was refused "
                                       "(nothing was copied) and the connection stays usable");
        } else if (ec && r->diag) {
            *r->diag = std::move(*r->server_diag);
        }
        r->answer(ec, *this, call::direct); // may close the connection
    }
    maybe_end_section();
    trim_log();
    maybe_send_cancel();
}

void connection_impl::roll_back(std::uint64_t section) {
    if (!open) return;
    auto rb = std::make_unique<command_request>();
    rb->internal = true;
    rb->alone = true;
    rb->section = section;
    rb->set_script({protocol::request_step::simple_query});
    protocol::write_buffer bytes;
    protocol::encode_query(bytes, "ROLLBACK");
    watch(*rb);
    if (section != 0) ++section_queued_;
    queue_next(std::move(rb), bytes.data());
    if (!answering_) start_write();
}

std::unique_ptr<request> connection_impl::take_unwritten(std::size_t index) {
    // Its bytes leave the log, as if it had never been asked for.
    const auto it = queue_.begin() + static_cast<std::ptrdiff_t>(index);
    request& r = **it;
    const std::size_t n = r.queued_end - r.queued_begin;
    writer.erase(r.queued_begin, r.queued_end);
    for (auto later = std::next(it); later != queue_.end(); ++later) {
        (*later)->queued_begin -= n;
        (*later)->queued_end -= n;
    }
    if (r.alone) --alone_unwritten_;
    count_in_section(r, -1);
    const bool carried_begin = r.begin_steps != 0 && !r.internal && r.section == active_section_ &&
                               begin_.at == section_begin::state::sent;
    auto owned = std::move(*it);
    queue_.erase(it);
    --unwritten_;
    if (owned->ends_transaction && owned->section == active_section_) {
        // Without the COMMIT, the rest of it (the transaction id query) ends nothing: the
        // section ends once it is answered, rolling the block back.
        for (auto& q : queue_) {
            if (q->section != active_section_ || !q->ends_transaction) continue;
            q->ends_transaction = false;
            --section_ending_;
        }
    }
    if (!carried_begin) return owned;
    // The BEGIN it carried did not go either. The section's next request takes it along; but
    // one queued behind it already was encoded without it, and would run outside the
    // transaction (committed at once, whatever the transaction does next): a BEGIN of its own
    // takes this one's place.
    const auto next = static_cast<std::ptrdiff_t>(index);
    if (std::none_of(queue_.begin() + next, queue_.end(),
                     [this](const auto& q) { return q->section == active_section_; })) {
        begin_.at = section_begin::state::deferred;
        return owned;
    }
    auto b = begin_alone();
    protocol::write_buffer bytes;
    protocol::encode_query(bytes, begin_.sql); // its Parse was encoded: so is its Query
    watch(*b);
    ++section_queued_;
    insert_unwritten(index, queue_[index]->queued_begin, std::move(b), bytes.data());
    return owned;
}

void connection_impl::prepare_in_place_of(request& dropped) {
    auto s = dropped.prepares();
    if (!s) return;
    std::size_t i = queue_.size() - unwritten_;
    while (i < queue_.size() && !queue_[i]->binds_prepared(*s))
        ++i;
    if (i == queue_.size()) return;
    auto p = std::make_unique<statement_prepare_request>(std::move(s));
    protocol::write_buffer bytes;
    if (p->encode(bytes)) return; // cannot be: the same text went out once already
    // In the transaction of the request it prepares for (placed before that request's BEGIN, if
    // it carries one, the statement is prepared for the session all the same).
    p->section = queue_[i]->section;
    watch(*p);
    count_in_section(*p, 1);
    insert_unwritten(i, queue_[i]->queued_begin, std::move(p), bytes.data());
}

void connection_impl::defer_begin(std::uint64_t id, std::string sql) {
    if (id != active_section_ || section_released_ || !open) return;
    begin_.at = section_begin::state::deferred;
    begin_.sql = std::move(sql);
}

const connection_impl::section_begin& connection_impl::begin_of(std::uint64_t id) const noexcept {
    static const section_begin none;
    return id != 0 && id == active_section_ ? begin_ : none;
}

void connection_impl::encode_begin(protocol::write_buffer& out) const {
    // Parse, Bind and Execute of the unnamed statement and portal, with no Sync of their own:
    // the request's messages follow, and its Sync ends both. Should BEGIN fail, the server
    // skips everything up to that Sync, so nothing of the request runs outside the transaction
    // (a Sync after BEGIN would let it run in a transaction of its own). The statement's
    // answers are ParseComplete, BindComplete and CommandComplete, which the engine takes
    // (request::begin_steps). The unnamed statement and portal are the request's to replace.
    protocol::encode_parse(out, "", begin_.sql, {});
    protocol::bind_writer(out, "", "", {}, 0).finish({});
    protocol::encode_execute(out, "", 0);
}

std::unique_ptr<request> connection_impl::begin_alone() const {
    auto r = std::make_unique<command_request>();
    r->internal = true;
    r->alone = true;
    r->section = active_section_;
    r->timeout = std::chrono::milliseconds(0); // the request behind it has the caller's
    r->set_script({protocol::request_step::simple_query});
    r->begin_steps = 1; // its CommandComplete
    return r;
}

void connection_impl::send_begin_alone() {
    // A Query message cannot follow an extended query's messages without a Sync between them
    // (after an error the server would skip the Query, then wait for a Sync that never comes),
    // nor can BEGIN go inside the caller's text (an error anywhere in it fails the whole text
    // before BEGIN runs, and would be taken for BEGIN's). So BEGIN goes as a simple Query of
    // its own, run alone: the request behind it is written only once BEGIN has succeeded
    // (see begin_failed), as it was before BEGIN was deferred.
    begin_.at = section_begin::state::sent;
    auto r = begin_alone();
    auto encode = [this](protocol::write_buffer& out, std::string& why) -> error_code {
        if (auto ec = protocol::encode_query(out, begin_.sql)) {
            why = "the transaction's BEGIN cannot be sent: " + ec.message();
            return ec;
        }
        return {};
    };
    enqueue(std::move(r), encode);
}

void connection_impl::begin_failed(std::unique_ptr<request> r) {
    // The server refused the section's BEGIN: nothing of the transaction ran, and nothing of
    // the section may run now (it would run outside any transaction). The request that carried
    // it fails with its error, as does the request behind a BEGIN sent alone; every later
    // request of the section fails with it too (refuse_after_failed_begin).
    begin_.at = section_begin::state::failed;
    begin_.ec = r->server_error;
    begin_.diag = *r->server_diag;
    // What it sent after BEGIN was skipped: as if never sent (a Parse of the statement cache's
    // did not run).
    r->on_dropped(*this);
    if (!r->internal && !r->abandoned) {
        if (r->diag) *r->diag = begin_.diag;
        r->answer(begin_.ec, *this, call::direct);
    }
    // The requests of the section behind it were not written: it ran alone.
    bool first = r->internal;
    r.reset();
    for (std::size_t i = queue_.size() - unwritten_; i < queue_.size();) {
        if (queue_[i]->section != active_section_) {
            ++i;
            continue;
        }
        auto owned = take_unwritten(i);
        owned->on_dropped(*this);
        if (owned->internal) continue; // the engine's own: the next request is still `first`
        if (first && !owned->abandoned) {
            if (owned->diag) *owned->diag = begin_.diag;
            owned->answer(begin_.ec, *this, call::direct);
        } else {
            refuse_after_failed_begin(std::move(owned), call::direct);
        }
        first = false;
    }
}

void connection_impl::refuse_after_failed_begin(std::unique_ptr<request> r, call how) {
    if (r->abandoned || r->internal) return;
    if (r->diag) {
        *r->diag = begin_.diag;
        r->diag->message = "the transaction never began: its BEGIN failed: " + begin_.diag.message;
    }
    r->answer(begin_.ec, *this, how);
}

void connection_impl::maybe_end_section() {
    // A section whose COMMIT is all it has left ends at once: the COMMIT ends the transaction
    // block whatever happens (commit_xid_request), so what others queue may follow it in the
    // same write, and runs after it on the server, outside the transaction.
    if (active_section_ == 0 || !section_released_ || section_queued_ != section_ending_) return;
    const bool ending = section_ending_ != 0;
    // While the COMMIT of an earlier section is unanswered, the status is that transaction's:
    // this section sent nothing that ran (its requests would come after that COMMIT). Looked
    // for only when the status says a block is open.
    const auto earlier_commit_pending = [this] {
        return std::any_of(queue_.begin(), queue_.end(), [this](const auto& q) {
            return q->ends_transaction && q->section != active_section_;
        });
    };
    if (!ending && tx_status_ != protocol::transaction_status::idle && !earlier_commit_pending()) {
        // The lease never commits by accident, nor leaves the session in a transaction.
        return roll_back(active_section_);
    }
    active_section_ = 0;
    section_queued_ = 0;
    section_ending_ = 0;
    section_released_ = false;
    begin_.reset();
    // What waited meanwhile goes on, in order, up to the next lease waiting its turn.
    bool granted = false;
    while (!parked_.empty() && active_section_ == 0 && open) {
        parked p = std::move(parked_.front());
        parked_.pop_front();
        if (p.r) {
            enqueue_encoded(std::move(p.r), p.bytes, p.ec, p.why);
        } else {
            grant_section(std::move(p.waiter));
            granted = true;
        }
    }
    if (ending && granted && unwritten_ != 0 && !write_held_) {
        // The COMMIT is not written yet: the writes wait one pass of the executor, in which
        // the caller granted the connection (answered through it, before this) queues its
        // first request, so that one write carries both.
        write_held_ = true;
        post_to(executor, [self = shared_from_this()] {
            self->write_held_ = false;
            self->start_write();
        });
    }
}

void connection_impl::hold_writes_for_next_section() {
    if (unwritten_ == 0 || write_held_ || !open) return;
    write_held_ = true;
    // The caller gets the connection a pass later, and a transaction's section (granted,
    // posted) one more: its first request comes in the third pass.
    section_hold_passes_ = 3;
    struct pass {
        std::shared_ptr<connection_impl> self;
        std::uint64_t hold; // which hold (an ended one's passes must not shorten the next)
        void operator()() {
            if (self->section_hold_passes_ == 0 || self->section_hold_serial_ != hold) return;
            if (--self->section_hold_passes_ != 0) return post_to(self->executor, std::move(*this));
            self->write_held_ = false;
            self->start_write();
        }
    };
    post_to(executor, pass{shared_from_this(), ++section_hold_serial_});
}

void connection_impl::count_in_section(const request& r, int n) noexcept {
    // The requests of a section that has ended (its COMMIT's, still unanswered) count no more.
    if (r.section == 0 || r.section != active_section_) return;
    if (n > 0) {
        ++section_queued_;
        if (r.ends_transaction) ++section_ending_;
    } else {
        --section_queued_;
        if (r.ends_transaction) --section_ending_;
    }
}

void connection_impl::acquire_section(
    asio::any_completion_handler<void(error_code, std::uint64_t)> handler, std::uint64_t id) {
    if (!open)
        return deliver(handler, call::posted, error_code(client_errc::not_connected),
                       std::uint64_t{0});
    if (active_section_ == 0 && parked_.empty()) return grant_section(std::move(handler));
    // Waits its turn; cancelling the wait takes it out of the line (cancel_acquire).
    parked p;
    p.waiter_id = id;
    p.waiter.swap(handler); // not operator=: see parked
    parked_.push_back(std::move(p));
}

void connection_impl::cancel_acquire(std::uint64_t id) {
    const auto it = std::find_if(parked_.begin(), parked_.end(),
                                 [id](const parked& p) { return !p.r && p.waiter_id == id; });
    if (it == parked_.end()) return; // granted (or failed) meanwhile
    auto waiter = std::move(it->waiter);
    parked_.erase(it);
    deliver(waiter, call::direct, error_code(asio::error::operation_aborted), std::uint64_t{0});
}

void connection_impl::grant_section(
    asio::any_completion_handler<void(error_code, std::uint64_t)> waiter) {
    // Requests queued before the grant go first; from here on, only the lease's are written.
    active_section_ = ++section_counter_;
    section_queued_ = 0;
    section_ending_ = 0;
    section_released_ = false;
    begin_.reset();
    deliver(waiter, call::posted, error_code{}, active_section_);
}

bool connection_impl::refuse_section(std::uint64_t id) noexcept {
    if (id != active_section_) return false;
    section_released_ = true;
    return true;
}

void connection_impl::release_section(std::uint64_t id) {
    if (id != active_section_) return;
    section_released_ = true;
    maybe_end_section();
}

void connection_impl::take_cancel(request& r) {
    // A CancelRequest makes the backend stop the first statement that checks for interrupts
    // after the signal: the request it was meant for if that was still running, else the next
    // one to run, whether written before or after the cancel (the backend may already hold it
    // in its input buffer). The postmaster signals the backend and its process group, so one
    // cancel can stop two statements; a signal that arrives while the backend reads from the
    // socket is dropped.
    if (unexplained_cancels_ == 0) return;
    --unexplained_cancels_;
    // Its own cancel, or another's: the caller of an abandoned request was answered already.
    if (r.abandoned) return;
    // Stopped by a cancel meant for another request: it ran in its own implicit transaction,
    // so it had no effect, and it is sent again (unless it ran inside a transaction block, which
    // the error aborted: finish_front). (A 57014 of its own, statement_timeout say,
    // is taken for a cancel's only while a cancel is unaccounted for: it then runs once more
    // and fails again.) Not when part of it took effect.
    if (!r.partly_done && !r.refused_copy) {
        r.hit_by_cancel = true;
    } else if (r.partly_done) {
        r.server_diag->detail =
            "It was most likely stopped by the cancel request sent for another request on its "
            "connection; it was not run again, as part of it had taken effect (rows reached its "
            "reader, or a statement of it completed).";
    }
}

bool connection_impl::sent_after_it_in_its_operation(const request& r) const {
    if (!r.operation) return false;
    // `r` has left the queue: every request written after it is at its front.
    const std::size_t written = queue_.size() - unwritten_;
    for (std::size_t i = 0; i < written; ++i)
        if (queue_[i]->operation == r.operation) return true;
    return false;
}

void connection_impl::resend(std::unique_ptr<request> r) {
    r->hit_by_cancel = false;
    // A copy first: the bytes sit at the front of the log, which the insert moves.
    const auto old = writer.data().subspan(r->queued_begin, r->queued_end - r->queued_begin);
    const std::vector<std::byte> bytes(old.begin(), old.end());
    send_again(std::move(r), bytes);
}

void connection_impl::send_again(std::unique_ptr<request> r, std::span<const std::byte> bytes) {
    machine_for_ = 0; // its answers start over
    r->server_error = {};
    r->server_diag.reset();
    r->partly_done = false;
    r->begin_answers = 0;
    r->begin_failed = false;
    r->restart();
    count_in_section(*r, 1);
    queue_next(std::move(r), bytes);
}

void connection_impl::queue_next(std::unique_ptr<request> r, std::span<const std::byte> bytes) {
    insert_unwritten(queue_.size() - unwritten_, written_, std::move(r), bytes);
}

void connection_impl::insert_unwritten(std::size_t index, std::size_t at,
                                       std::unique_ptr<request> r,
                                       std::span<const std::byte> bytes) {
    writer.insert(at, bytes);
    for (std::size_t i = index; i < queue_.size(); ++i) {
        queue_[i]->queued_begin += bytes.size();
        queue_[i]->queued_end += bytes.size();
    }
    r->queued_begin = at;
    r->queued_end = at + bytes.size();
    if (r->alone) ++alone_unwritten_;
    queue_.insert(queue_.begin() + static_cast<std::ptrdiff_t>(index), std::move(r));
    ++unwritten_;
}

void connection_impl::trim_log() {
    if (queue_.empty()) {
        writer.clear();
        written_ = 0;
        // Nothing in flight and no cancel on its way: the backend now reads from the socket,
        // which drops any signal still pending, so no statement can be stopped by them.
        if (!cancel_in_flight_) unexplained_cancels_ = 0;
        return;
    }
    const std::size_t dead = queue_.front()->queued_begin;
    if (dead < trim_at || 2 * dead < writer.size()) return;
    writer.erase(0, dead);
    written_ -= dead;
    for (auto& q : queue_) {
        q->queued_begin -= dead;
        q->queued_end -= dead;
    }
}

void connection_impl::shut_down(error_code ec, const diagnostics& diag) {
    open = false;
    barrier_ = nullptr;
    auto failed = std::move(queue_);
    queue_.clear();
    // What was never written is dropped, not lost: a COMMIT among them did not run, and a
    // Parse among them prepared nothing (before the statement cache goes below).
    for (auto i = failed.size() - unwritten_; i < failed.size(); ++i)
        failed[i]->on_dropped(*this);
    unwritten_ = 0;
    alone_unwritten_ = 0;
    written_ = 0;
    writer.clear();
    urgent_.clear();
    builder_.reset();
    machine_for_ = 0;
    deadline_timer_.cancel();
    timer_at_ = std::chrono::steady_clock::time_point::max();
    paused_ = false;
    read_pause_timer_.cancel();
    caught_up_ = false;
    mid_answer_ = false;
    active_section_ = 0;
    section_queued_ = 0;
    section_ending_ = 0;
    section_released_ = false;
    write_held_ = false;
    section_hold_passes_ = 0;
    begin_.reset();
    tx_status_ = protocol::transaction_status::idle;
    statements.clear(); // a next session has none of them
    commit_statements_prepared = false;
    commit_preparing.reset();
    auto waiting = std::move(parked_);
    parked_.clear();
    // A large message of this session must not keep its buffer.
    reader = protocol::framer(reader.max_message_size());
    for (auto& r : failed) {
        if (r->abandoned || r->internal) continue;
        if (r->diag) *r->diag = diag;
        r->answer(ec, *this, call::posted);
    }
    for (auto& p : waiting) {
        if (!p.r) {
            deliver(p.waiter, call::posted, ec, std::uint64_t{0});
        } else if (!p.r->abandoned) {
            if (p.r->diag) *p.r->diag = diag;
            p.r->answer(ec, *this, call::posted);
        }
    }
    answer_notification_waiter(ec, {});
    answer_written_waiters(ec);
}

void connection_impl::reset_session() {
    fatal_ec_ = {};
    fatal_diag_ = diagnostics{};
    closed_reason_.clear();
    cancel_in_flight_ = false;
    unexplained_cancels_ = 0;
    notifications.clear();
    parameters.clear();
    secret_key.clear();
    process_id = 0;
}

void connection_impl::abandon_socket() {
    orphaned = true; // a connect still running must not open a session nobody owns
    if (!open) return io.close();
    // Ended here rather than by the read the close aborts: a read's completion already queued
    // would otherwise hand out its answers and read again from the closed socket, failing the
    // requests left with bad_descriptor.
    diagnostics d;
    d.message = "the connection was destroyed while the request ran";
    fail_all(asio::error::operation_aborted, d);
}

void connection_impl::fail_all(error_code ec, const diagnostics& diag) {
    // Later requests are told why (the server's FATAL error, or what broke the stream).
    closed_reason_ = diag.sqlstate.empty() ? diag.message : diag.sqlstate + " " + diag.message;
    io.close();
    shut_down(ec, diag);
}

void connection_impl::answer_notification_waiter(error_code ec, notification n) {
    if (!notification_waiter) return;
    auto h = std::move(*notification_waiter);
    notification_waiter.reset();
    deliver(h, call::posted, ec, std::move(n));
}

void connection_impl::cancel_for_caller(std::uint64_t id, asio::cancellation_type type) {
    // A COPY's opener has its handle, and the COPY runs on: only the handle stops it now (the
    // opener's handler clears the slot only where it runs, after the hand-over).
    const auto it =
        std::find_if(queue_.begin(), queue_.end(), [id](const auto& q) { return q->id == id; });
    if (it != queue_.end() && (*it)->caller_answered) return;
    cancel(id, asio::error::operation_aborted, type);
}

void connection_impl::cancel(std::uint64_t id, error_code reason, asio::cancellation_type type) {
    const char* why = reason == client_errc::query_timeout ? "the query timed out"
                                                           : "the operation was cancelled";
    // Waiting for a lease to end: it simply never runs.
    const auto held = std::find_if(parked_.begin(), parked_.end(),
                                   [id](const parked& p) { return p.r && p.r->id == id; });
    if (held != parked_.end()) {
        auto owned = std::move(held->r);
        parked_.erase(held);
        explain(*owned, std::string(why) + " before it was sent");
        return owned->answer(reason, *this, call::direct);
    }
    const auto it =
        std::find_if(queue_.begin(), queue_.end(), [id](const auto& q) { return q->id == id; });
    if (it == queue_.end() || (*it)->abandoned) return;
    request& r = **it;
    const auto index = static_cast<std::size_t>(it - queue_.begin());
    const std::size_t first_unwritten = queue_.size() - unwritten_;
    if (index >= first_unwritten && r.ends_transaction && r.section != active_section_) {
        // The COMMIT of a section that has ended: others' requests are queued behind it, and
        // would run inside the transaction block it is to end. It goes out with the next
        // write; a deadline is looked at again once it has (then it is cancelled as sent).
        const auto again = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
        if (reason == client_errc::query_timeout && again < timer_at_) arm_deadline(again);
        return;
    }
    if (index >= first_unwritten) {
        auto owned = take_unwritten(index);
        owned->on_dropped(*this);
        prepare_in_place_of(*owned);
        explain(*owned, std::string(why) + " before it was sent");
        owned->answer(reason, *this, call::direct); // may close the connection
        maybe_end_section();
        return;
    }
    // Sent: only terminal cancellation may leave the session with a request it no longer
    // wants (partial and total promise that nothing happened, which is no longer known).
    if ((type & asio::cancellation_type::terminal) == asio::cancellation_type::none) return;
    // Answer now, drain its responses later, and ask the server to stop it once it is the
    // request the server works on. Decide (and hold later writes) before answering: the caller
    // may queue its next query from inside the answer.
    r.abandoned = true;
    // Not for the COMMIT of a section that has ended: others' requests follow it, and a cancel
    // arriving once it is done would stop one of theirs. Its answer is drained.
    r.wants_cancel = !(r.ends_transaction && r.section != active_section_);
    r.deadline = std::chrono::steady_clock::time_point::max(); // until the server takes the cancel
    maybe_send_cancel();
    r.abandon(*this);
    explain(r, std::string(why) + "; the server was asked to cancel it");
    r.answer(reason, *this, call::direct); // `r` may be gone after this
}

void connection_impl::maybe_send_cancel() {
    if (cancel_in_flight_ || queue_.empty() || secret_key.empty() || !open) return;
    request& head = *queue_.front();
    if (!head.wants_cancel || head.cancel_sent || queue_.size() == unwritten_) return;
    head.cancel_sent = true;
    cancel_target_ = head.id;
    ++cancel_generation_;
    unexplained_cancels_ += 2;
    cancel_in_flight_ = true;
    asio::co_spawn(executor, send_cancel_request(), asio::detached);
}

asio::awaitable<void> connection_impl::send_cancel_request() {
    auto self = shared_from_this();
    protocol::write_buffer packet;
    protocol::encode_cancel_request(packet, process_id, secret_key);
    const std::uint64_t generation = cancel_generation_;
    io.cancel_sent(); // a recording notes where; a replay serves what it held for the cancel
    error_code ec;
    if (io.replaying())
        ec = asio::error::operation_not_supported; // a replay has no server to send it to
    else if (peer_tcp)
        ec = co_await cancel_exchange<asio::ip::tcp::socket>(executor, *peer_tcp, packet.data(),
                                                             cancel_timeout);
    else
        ec = co_await cancel_exchange<asio::local::stream_protocol::socket>(
            executor, asio::local::stream_protocol::endpoint(peer_unix), packet.data(),
            cancel_timeout);
    if (!open || generation != cancel_generation_) co_return; // the session is gone meanwhile
    cancel_in_flight_ = false;
    if (ec == asio::error::timed_out) {
        // The server answers nothing: everyone behind the cancelled request would wait for ever.
        diagnostics d;
        d.message = "the server did not answer a cancel request within " +
                    std::to_string(cancel_timeout.count()) + " ms; the connection was closed";
        co_return fail_all(client_errc::cancel_timeout, d);
    }
    if (!ec) {
        // The server has signalled the backend: the cancelled request's answers must end
        // within the same time, or the session is given up (on_deadline).
        const auto target = std::find_if(queue_.begin(), queue_.end(),
                                         [this](const auto& q) { return q->id == cancel_target_; });
        if (target != queue_.end()) {
            (*target)->deadline = std::chrono::steady_clock::now() + cancel_timeout;
            if ((*target)->deadline < timer_at_) arm_deadline((*target)->deadline);
        }
    }
    start_write();
    maybe_send_cancel();
}

} // namespace pgasio::detail
