// The engine of a connection: request queue, one writer, one reader, in-order answers.
#include "connection_impl.hpp"

#include <pgasio/protocol/backend.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace pgasio::detail {
namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 64 * 1024;

// Calls `h` with `args` on the handler's own executor. The engine runs on the connection's
// executor, so a handler associated with that one (a coroutine on the same io_context or strand,
// the usual case) is called directly: what dispatch would do, without wrapping the call in a
// type-erased function object.
template <class Handler, class... Args>
void deliver(Handler& h, const asio::any_completion_executor& own, Args&&... args) {
    auto ex = asio::get_associated_executor(h, own);
    if (ex == own) {
        std::move(h)(std::forward<Args>(args)...);
        return;
    }
    asio::dispatch(ex, [h = std::move(h), ... a = std::forward<Args>(args)]() mutable {
        std::move(h)(std::move(a)...);
    });
}

// Answers the caller of `r` with `ec` and what `r` collected (nothing on failure); `rows` is the
// result of a request of kind rows.
void answer(request& r, error_code ec, const asio::any_completion_executor& ex, result rows = {}) {
    if (r.slot.is_connected()) r.slot.clear();
    if (r.timer) r.timer->cancel();
    std::visit(
        [&](auto& h) {
            using H = std::decay_t<decltype(h)>;
            if constexpr (std::is_same_v<H, result_handler>) {
                deliver(h, ex, ec, std::move(rows));
            } else if constexpr (std::is_same_v<H, results_handler>) {
                deliver(h, ex, ec, ec ? std::vector<result>{} : std::move(r.results));
            } else if constexpr (std::is_same_v<H, statement_handler>) {
                deliver(h, ex, ec,
                        ec ? statement{}
                           : statement(std::shared_ptr<const statement_data>(r.prepared)));
            } else if constexpr (std::is_same_v<H, void_handler>) {
                deliver(h, ex, ec);
            }
        },
        r.handler);
    r.handler = std::monostate{};
}

} // namespace

void connection_impl::answer_closed(request& r) {
    answer(r, asio::error::operation_aborted, completion_executor);
}

std::string connection_impl::next_statement_name() {
    return "pgasio_s" + std::to_string(++statement_counter_);
}

void connection_impl::enqueue(std::unique_ptr<request> r, encoder_ref encode) {
    if (!open) {
        if (r->diag) {
            *r->diag = diagnostics{};
            r->diag->message = closed_reason_.empty()
                                   ? "the connection is not open"
                                   : "the connection was closed: " + closed_reason_;
        }
        answer(*r, client_errc::not_connected, completion_executor);
        return;
    }
    r->queued_begin = writer.size();
    std::string why;
    if (auto ec = encode(writer, why)) {
        writer.truncate(r->queued_begin);
        if (r->diag) {
            *r->diag = diagnostics{};
            r->diag->message = std::move(why);
        }
        answer(*r, ec, completion_executor);
        return;
    }
    r->queued_end = writer.size();
    request* raw = r.get();
    if (raw->slot.is_connected()) {
        raw->slot.assign([weak = weak_from_this(), raw](asio::cancellation_type) {
            if (auto self = weak.lock()) self->cancel(raw, asio::error::operation_aborted);
        });
    }
    queue.push_back(std::move(r));
    ++unwritten;
    if (query_timeout.count() > 0) {
        raw->id = ++request_counter_;
        raw->timer = std::make_shared<asio::steady_timer>(executor, query_timeout);
        raw->timer->async_wait([weak = weak_from_this(), id = raw->id](error_code ec) {
            auto self = weak.lock();
            if (ec || !self) return;
            // The request may be answered and gone, its address reused: look it up by id.
            for (const auto& q : self->queue)
                if (q->id == id) return self->cancel(q.get(), client_errc::query_timeout);
        });
    }
    // While the read loop answers a batch of messages, the callers it resumes queue their next
    // requests; one write after the batch then carries them all (see read_more).
    if (!answering_) start_write();
}

void connection_impl::start_write() {
    if (write_in_progress || writer.empty() || barrier_ || cancel_in_flight_ || !open) return;
    // Every request whose bytes are in `writer` (the last `unwritten` ones) goes out now.
    unwritten = 0;
    // A plain socket nearly always takes the bytes at once: written here, they need no
    // completion handler, which would cost a trip through the scheduler (and the poll it makes
    // before running a handler). What it does not take goes out asynchronously.
    const std::size_t written =
        io.try_write_some(asio::buffer(writer.data().data(), writer.size()));
    if (written == writer.size()) {
        writer.clear();
        return;
    }
    sending.swap(writer);
    writer.clear();
    write_in_progress = true;
    io.async_write(asio::buffer(sending.data().data() + written, sending.size() - written),
                   [self = shared_from_this()](error_code ec, std::size_t) {
                       self->write_in_progress = false;
                       self->sending.clear();
                       self->write_done.cancel();
                       if (ec && self->open) {
                           diagnostics d;
                           d.message = "could not send to the server: " + ec.message();
                           return self->fail_all(ec, d);
                       }
                       if (!ec) self->start_write();
                   });
}

void connection_impl::start_reading() {
    io.set_non_blocking();
    asio::post(executor, [self = shared_from_this()] { self->read_more(); });
}

void connection_impl::handle_buffered() {
    answering_ = true;
    while (open) {
        auto m = reader.next();
        if (!m) {
            malformed_message(m.error(), "message");
            break;
        }
        if (!*m) break;
        // Rows first, before the general dispatch: a large result is millions of them.
        if ((*m)->type == protocol::backend_message_type::data_row && !queue.empty())
            handle_data_row(*queue.front(), (*m)->body);
        else
            handle(**m);
    }
    answering_ = false;
}

// The read loop: hand out what is buffered, write what that queued, read more. It runs once per
// batch of answers, so it is a plain completion handler rather than a coroutine (whose
// resumption machinery costs more than the loop's own work). The handler runs on the socket's
// executor, which is the connection's, and keeps the connection alive while a read is pending.
void connection_impl::read_more() {
    handle_buffered();
    if (!open) return;
    start_write();
    auto space = reader.prepare(read_chunk);
    io.async_read_some(
        asio::buffer(space.data(), space.size()),
        [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void connection_impl::on_read(error_code ec, std::size_t n) {
    if (!open) return;
    if (ec || n == 0) {
        // A FATAL error the server sent before closing says why (admin shutdown, idle
        // session timeout, pg_terminate_backend); without one, the connection just closed.
        if (fatal_ec_) {
            fail_all(fatal_ec_, fatal_diag_);
        } else {
            diagnostics d;
            d.message = ec && ec != asio::error::eof
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
    d.message = std::string("malformed ") + what + " from the server: " + ec.message();
    fail_all(ec, d);
}

void connection_impl::handle_data_row(request& r, std::span<const std::byte> body) {
    if (r.abandoned || r.server_error) {
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
        diagnostics d;
        d.message = "a row does not match its RowDescription";
        return fail_all(ec, d);
    }
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
        return;
    }
    default:
        break;
    }

    if (queue.empty()) {
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

    request& r = *queue.front();
    switch (m.type) {
    case t::parse_complete:
    case t::close_complete:
    case t::no_data:
    case t::portal_suspended:
    case t::copy_done:
        if (auto ec = protocol::decode_empty(m.body)) return malformed_message(ec, "message");
        return;
    case t::bind_complete:
        if (auto ec = protocol::decode_empty(m.body)) return malformed_message(ec, "BindComplete");
        // A prepared statement's rows follow its BindComplete undescribed.
        if (r.query_index < r.statement_columns.size() && r.statement_columns[r.query_index])
            builder_.set_columns(r.statement_columns[r.query_index]);
        return;
    case t::empty_query_response:
        if (auto ec = protocol::decode_empty(m.body))
            return malformed_message(ec, "EmptyQueryResponse");
        if (r.what == request::kind::batch) {
            r.results.push_back(builder_.finish());
            ++r.query_index;
        }
        return;
    case t::parameter_description: {
        const auto pd = protocol::decode_parameter_description(m.body);
        if (!pd) return malformed_message(pd.error(), "ParameterDescription");
        if (r.prepared)
            for (std::size_t i = 0; i < pd->size(); ++i)
                r.prepared->parameter_types.push_back((*pd)[i]);
        return;
    }
    case t::row_description: {
        const auto rd = protocol::decode_row_description(m.body);
        if (!rd) return malformed_message(rd.error(), "RowDescription");
        if (r.prepared) {
            // Describe of a statement cannot know the result formats yet (it says text);
            // pgasio always binds for binary results, so that is what its rows will be.
            auto cols = std::make_shared<std::vector<column>>(*make_columns(*rd));
            for (auto& c : *cols)
                c.format = protocol::format_code::binary;
            r.prepared->columns = std::move(cols);
        } else {
            builder_.set_columns(make_columns(*rd));
        }
        return;
    }
    case t::command_complete: {
        const auto cc = protocol::decode_command_complete(m.body);
        if (!cc) return malformed_message(cc.error(), "CommandComplete");
        builder_.set_command_tag(cc->tag);
        if (r.what == request::kind::simple || r.what == request::kind::batch) {
            r.results.push_back(builder_.finish());
            ++r.query_index;
        }
        return;
    }
    case t::error_response: {
        const auto f = protocol::decode_error_fields(m.body);
        if (!f) return malformed_message(f.error(), "ErrorResponse");
        if (!r.server_error) {
            r.server_diag = std::make_unique<diagnostics>(diagnostics::from_fields(*f));
            r.server_error = r.server_diag->code();
            // The server closes after a FATAL error: remember why for everyone queued.
            if (r.server_diag->is_fatal()) {
                fatal_diag_ = *r.server_diag;
                fatal_ec_ = r.server_error;
            }
        }
        return;
    }
    case t::copy_in_response: {
        // This operation has no data to send: refuse the COPY so the server ends it cleanly.
        protocol::encode_copy_fail(writer, "COPY FROM STDIN is not supported by this operation");
        // CopyFail ends the COPY; the Sync already sent then brings ReadyForQuery.
        start_write();
        return;
    }
    case t::copy_out_response:
    case t::copy_both_response:
    case t::copy_data:
        return; // drained: an operation that is not COPY ignores copied-out data
    case t::ready_for_query: {
        const auto s = protocol::decode_ready_for_query(m.body);
        if (!s) return malformed_message(s.error(), "ReadyForQuery");
        return finish_front();
    }
    default: {
        diagnostics d;
        d.message = std::string("unexpected message '") + static_cast<char>(m.type) + "'";
        return fail_all(client_errc::unexpected_message, d);
    }
    }
}

void connection_impl::finish_front() {
    std::unique_ptr<request> r = std::move(queue.front());
    queue.pop_front();
    if (barrier_ == r.get()) {
        barrier_ = nullptr;
        start_write();
    }
    // The builder now holds the request's rows, or what a failed or abandoned one left behind.
    result rows = r->what == request::kind::rows && !r->server_error && !r->abandoned
                      ? builder_.finish()
                      : result{};
    builder_.reset();
    if (r->abandoned) return;
    if (r->server_error && r->diag) *r->diag = std::move(*r->server_diag);
    answer(*r, r->server_error, completion_executor, std::move(rows));
}

void connection_impl::fail_all(error_code ec, const diagnostics& diag) {
    open = false;
    // Later requests are told why (the server's FATAL error, or what broke the stream).
    closed_reason_ = diag.sqlstate.empty() ? diag.message : diag.sqlstate + " " + diag.message;
    io.close();
    barrier_ = nullptr;
    auto failed = std::move(queue);
    queue.clear();
    unwritten = 0;
    writer.clear();
    for (auto& r : failed) {
        if (r->abandoned) continue;
        if (r->diag) *r->diag = diag;
        answer(*r, ec, completion_executor);
    }
    answer_notification_waiter(ec, {});
}

void connection_impl::answer_notification_waiter(error_code ec, notification n) {
    if (!notification_waiter) return;
    if (notification_slot.is_connected()) notification_slot.clear();
    notification_slot = {};
    auto h = std::move(*notification_waiter);
    notification_waiter.reset();
    deliver(h, completion_executor, ec, std::move(n));
}

void connection_impl::cancel(request* r, error_code reason) {
    const auto it =
        std::find_if(queue.begin(), queue.end(), [r](const auto& q) { return q.get() == r; });
    if (it == queue.end() || r->abandoned) return;
    if (r->diag) {
        *r->diag = diagnostics{};
        r->diag->message = reason == client_errc::query_timeout
                               ? "the query timed out; the server was asked to cancel it"
                               : "the operation was cancelled";
    }
    // The last `unwritten` requests of the queue have not been handed to the socket yet.
    const auto index = static_cast<std::size_t>(it - queue.begin());
    const std::size_t first_unwritten = queue.size() - unwritten;
    if (index >= first_unwritten) {
        // Never sent: take its bytes out of the queue, as if it had never been asked for.
        const std::size_t n = r->queued_end - r->queued_begin;
        writer.erase(r->queued_begin, r->queued_end);
        for (auto later = std::next(it); later != queue.end(); ++later) {
            (*later)->queued_begin -= n;
            (*later)->queued_end -= n;
        }
        auto owned = std::move(*it);
        queue.erase(it);
        --unwritten;
        answer(*owned, reason, completion_executor);
        return;
    }
    // In flight: answer now, drain its responses later. CancelRequest stops whatever the
    // session runs when it arrives, so it is only safe while nothing after `r` was sent; later
    // requests then wait until both `r`'s ReadyForQuery and the cancel are through.
    // Decide (and hold later writes) before answering: the caller may queue its next query
    // from inside the answer.
    r->abandoned = true;
    const bool later_written = index + 1 < first_unwritten;
    if (!later_written && !barrier_ && !cancel_in_flight_ && !secret_key.empty()) {
        barrier_ = r;
        cancel_in_flight_ = true;
        asio::co_spawn(executor, send_cancel_request(), asio::detached);
    }
    answer(*r, reason, completion_executor);
}

asio::awaitable<void> connection_impl::send_cancel_request() {
    auto self = shared_from_this();
    protocol::write_buffer buf;
    protocol::encode_cancel_request(buf, process_id, secret_key);
    // The server answers nothing and closes once it has signalled the backend: waiting for that
    // close is what makes it safe to send the next request.
    std::array<char, 16> sink{};
    if (peer_tcp) {
        asio::ip::tcp::socket s(executor);
        auto [ec] = co_await s.async_connect(*peer_tcp, nothrow);
        if (!ec) {
            auto [wec, wn] =
                co_await asio::async_write(s, asio::buffer(buf.data().data(), buf.size()), nothrow);
            if (!wec) co_await s.async_read_some(asio::buffer(sink), nothrow);
        }
    } else if (!peer_unix.empty()) {
        asio::local::stream_protocol::socket s(executor);
        auto [ec] =
            co_await s.async_connect(asio::local::stream_protocol::endpoint(peer_unix), nothrow);
        if (!ec) {
            auto [wec, wn] =
                co_await asio::async_write(s, asio::buffer(buf.data().data(), buf.size()), nothrow);
            if (!wec) co_await s.async_read_some(asio::buffer(sink), nothrow);
        }
    }
    cancel_in_flight_ = false;
    start_write();
}

} // namespace pgasio::detail
