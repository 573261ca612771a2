// row_stream: the reader's side of a streamed query.
#include "connection_impl.hpp"
#include "request_kinds.hpp"

#include <pgasio/row_stream.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

namespace pgasio {

void row_stream::start_next(const std::shared_ptr<detail::stream_state>& state,
                            result_handler handler, diagnostics* diag) {
    if (!state) // no connection to go through
        return detail::deliver_detached(handler, error_code(client_errc::not_connected), result{});
    // Everything of the stream lives on the connection's executor.
    boost::asio::post(state->executor, [state, handler = std::move(handler), diag]() mutable {
        auto h_ex = boost::asio::get_associated_executor(handler, state->executor);
        auto complete = [&](error_code ec, result part) {
            boost::asio::post(state->executor,
                              boost::asio::bind_executor(h_ex, [h = std::move(handler), ec,
                                                                part = std::move(part)]() mutable {
                                  std::move(h)(ec, std::move(part));
                              }));
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
        auto slot = boost::asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected() && !state->finished) {
            // Cancelling the wait cancels the stream (a part cannot be half-taken).
            slot.assign([weak = std::weak_ptr<detail::stream_state>(state)](
                            boost::asio::cancellation_type) {
                if (auto s = weak.lock()) row_stream(s).cancel();
            });
            state->waiter_slot = slot;
        }
        state->waiter.emplace(std::move(handler));
        state->waiter_diag = diag;
        conn->serve_stream(*state);
    });
}

void row_stream::cancel() noexcept {
    if (!state_) return;
    auto state = state_;
    boost::asio::post(state->executor, [state] {
        if (state->finished) return;
        auto conn = state->conn.lock();
        if (!conn) return;
        state->parts.clear();
        conn->stop_reading(state->request_id);
    });
}

} // namespace pgasio
