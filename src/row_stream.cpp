// row_stream: the reader's side of a streamed query.
#include "connection_impl.hpp"
#include "request_kinds.hpp"

#include <pgasio/row_stream.hpp>

#include <boost/asio/post.hpp>

namespace pgasio {
namespace {

// Stops the stream (on its connection's executor): its parts are dropped, its request is
// stopped as a reader that gave it up stops it (connection_impl::stop_reading).
void stop_stream(detail::stream_state& state) {
    if (state.finished) return;
    auto conn = state.conn.lock();
    if (!conn) return;
    state.parts.clear();
    conn->stop_reading(state.request_id);
}

} // namespace

void row_stream::start_next(const std::shared_ptr<detail::stream_state>& state,
                            result_handler handler, diagnostics* diag) {
    if (!state) // no connection to go through
        return detail::deliver_detached(handler, error_code(client_errc::not_connected), result{});
    // Cancelling the wait cancels the stream (a part cannot be half-taken). Connected here, on
    // the caller's thread: a slot is not thread-safe (see cancel_on_executor).
    detail::cancel_on_executor(
        boost::asio::get_associated_cancellation_slot(handler),
        std::weak_ptr<detail::stream_state>(state), state->executor,
        [](const std::shared_ptr<detail::stream_state>& s, boost::asio::cancellation_type) {
            // Only a read that still waits: one already answered leaves the stream alone.
            if (s->waiter) stop_stream(*s);
        });
    // Everything of the stream lives on the connection's executor.
    boost::asio::post(state->executor, [state, handler = std::move(handler), diag]() mutable {
        auto complete = [&](error_code ec, result part) {
            detail::deliver(handler, state->executor, state->executor, detail::call::posted, ec,
                            std::move(part));
        };
        if (state->waiter) return complete(boost::asio::error::in_progress, {});
        auto conn = state->conn.lock();
        if (!conn) {
            // The connection is gone: what was handed out still is, then its end.
            if (!state->parts.empty()) {
                result part = std::move(state->parts.front());
                state->parts.pop_front();
                return complete({}, std::move(part));
            }
            if (!state->finished) {
                state->finished = true;
                state->ec = client_errc::not_connected;
                state->diag.message = "the connection was destroyed while the stream ran";
            }
            if (state->ec && diag) *diag = state->diag;
            return complete(state->ec, state->ec ? result{} : state->end);
        }
        state->waiter.emplace(std::move(handler));
        state->waiter_diag = diag;
        conn->serve_stream(*state);
    });
}

void row_stream::cancel() noexcept {
    if (!state_) return;
    auto state = state_;
    boost::asio::post(state->executor, [state] { stop_stream(*state); });
}

} // namespace pgasio
