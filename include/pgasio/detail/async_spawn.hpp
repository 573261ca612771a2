// co_spawn for an operation written as a coroutine, which its caller may cancel from another
// thread than the one the coroutine runs on.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

namespace pgasio::detail {

/// co_spawn's completion signature for F, an awaitable or a function returning one.
template <class F>
struct spawn_signature : spawn_signature<typename std::invoke_result_t<F&>> {};
template <class T, class Executor>
struct spawn_signature<boost::asio::awaitable<T, Executor>> {
    using type = void(std::exception_ptr, T);
};
template <class Executor>
struct spawn_signature<boost::asio::awaitable<void, Executor>> {
    using type = void(std::exception_ptr);
};

/// co_spawn(executor, std::move(f), token), with the caller's cancellation carried to the
/// coroutine safely. `f` is an awaitable, or a function returning one (kept alive until the
/// coroutine ends, as co_spawn does). Given the caller's cancellation slot itself, Asio 1.26's
/// co_spawn posts each cancellation to `executor` with a pointer into the slot's handler; the
/// caller destroys that handler as soon as the operation completes, which on another thread may
/// be before the post runs, and the post then writes to freed memory (Asio issue 1332, fixed
/// in later versions). Here the caller's slot is connected in the initiation, on the caller's
/// thread, to a signal owned together by that slot, each posted cancellation and the
/// completion; the coroutine listens to that signal, on `executor`, and the caller's slot is
/// cleared where its handler runs, just before it is called. The cancellation runs on
/// `executor`, as the coroutine does: that executor must run one handler at a time (a strand,
/// or an io_context run by one thread), or the two may run at once, as with co_spawn itself.
template <class F, class Token>
auto async_spawn(const boost::asio::any_io_executor& executor, F f, Token&& token) {
    return boost::asio::async_initiate<Token, typename spawn_signature<F>::type>(
        [executor](auto handler, F coroutine) {
            namespace asio = boost::asio;
            std::shared_ptr<asio::cancellation_signal> signal;
            auto slot = asio::get_associated_cancellation_slot(handler);
            if (slot.is_connected()) {
                signal = std::make_shared<asio::cancellation_signal>();
                slot.assign([signal, executor](asio::cancellation_type type) {
                    asio::post(executor, [signal, type] { signal->emit(type); });
                });
            }
            auto own = asio::get_associated_executor(handler, executor);
            asio::co_spawn(
                executor, std::move(coroutine),
                asio::bind_cancellation_slot(
                    signal ? signal->slot() : asio::cancellation_slot(),
                    asio::bind_executor(own, [h = std::move(handler), signal](
                                                 std::exception_ptr e, auto&&... value) mutable {
                        asio::get_associated_cancellation_slot(h).clear();
                        std::move(h)(std::move(e), std::forward<decltype(value)>(value)...);
                    })));
        },
        token, std::move(f));
}

} // namespace pgasio::detail
