// How the engine answers a caller: on the caller's handler's own executor, directly when that is
// the connection's, posted when Asio's rules forbid a direct call.
#pragma once

#include <pgasio/detail/post_to.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/system_executor.hpp>

#include <utility>

namespace pgasio::detail {

namespace asio = boost::asio;

/// Calls `h` with `args`, where it runs (on its own executor). Its cancellation slot is cleared
/// first, there: an operation connects its caller's slot in its initiating function, on the
/// caller's thread, and a slot is not thread-safe (the caller may emit on it from its own
/// executor until the operation completes), so nothing else of the engine touches it.
template <class Handler, class... Args>
void invoke_here(Handler& h, Args&&... args) {
    asio::get_associated_cancellation_slot(h).clear();
    std::move(h)(std::forward<Args>(args)...);
}

/// How a handler is called: from the engine's own completion path (directly when it runs on the
/// connection's executor), or posted, when the call would otherwise happen inside the initiating
/// function or a cancellation handler (which Asio's rules forbid).
enum class call { direct, posted };

/// Calls `h` with `args` on the handler's own executor. The engine runs on `conn_executor`, so a
/// handler associated with `own` (the same executor as a completion executor: a coroutine on
/// the same io_context or strand, the usual case) is called directly: what dispatch would do,
/// without wrapping the call in a type-erased function object; posted, it is posted to
/// `conn_executor` alone.
template <class Handler, class... Args>
void deliver(Handler& h, const asio::any_io_executor& conn_executor,
             const asio::any_completion_executor& own, call how, Args&&... args) {
    auto ex = asio::get_associated_executor(h, own);
    const bool on_own = ex == own;
    if (how == call::direct && on_own) return invoke_here(h, std::forward<Args>(args)...);
    auto invoke = [h = std::move(h), ... a = std::forward<Args>(args)]() mutable {
        invoke_here(h, std::move(a)...);
    };
    // Posted straight to the connection's executor when that is the handler's own: no second
    // hop through the handler's executor.
    if (on_own) return post_to(conn_executor, std::move(invoke));
    auto f = asio::bind_executor(ex, std::move(invoke));
    // post through the connection's executor, then on to the handler's (a completion executor
    // cannot be asked for blocking.never itself).
    if (how == call::posted)
        post_to(conn_executor, std::move(f));
    else
        asio::dispatch(std::move(f));
}

/// Calls `h` with `args` where no connection can carry the call (an operation on an empty
/// handle): posted on the system executor, then on to the handler's own executor.
template <class Handler, class... Args>
void deliver_detached(Handler& h, Args... args) {
    auto ex = asio::get_associated_executor(h);
    asio::post(asio::system_executor(),
               asio::bind_executor(ex, [h = std::move(h), ... a = std::move(args)]() mutable {
                   invoke_here(h, std::move(a)...);
               }));
}

} // namespace pgasio::detail
