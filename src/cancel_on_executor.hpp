// A caller's cancellation, carried from the caller's thread to the executor that owns what it
// stops.
#pragma once

#include <pgasio/detail/post_to.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>

#include <memory>
#include <utility>

namespace pgasio::detail {

/// Connects `slot`, a caller's cancellation slot, so that each cancellation emitted on it runs
/// `f(state, type)` on `ex`, `state` being what `weak` points to, while that lives. Called in
/// the initiating function, on the caller's thread: a slot is not thread-safe, and its caller
/// emits on it from its own executor, where the operation's handler clears it too
/// (invoke_here), so nothing else touches it. `f` may run after the operation completed (the
/// caller emitted before its handler ran): it must check that what it stops is still there.
template <class State, class F>
void cancel_on_executor(boost::asio::cancellation_slot slot, std::weak_ptr<State> weak,
                        boost::asio::any_io_executor ex, F f) {
    if (!slot.is_connected()) return;
    slot.assign([weak = std::move(weak), ex = std::move(ex),
                 f = std::move(f)](boost::asio::cancellation_type type) {
        post_to(ex, [weak, f, type] {
            if (auto state = weak.lock()) f(state, type);
        });
    });
}

} // namespace pgasio::detail
