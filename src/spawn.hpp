// Running an operation written as a coroutine for a caller's completion handler.
#pragma once

#include "connection_impl.hpp"

#include <pgasio/detail/async_spawn.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>

#include <exception>
#include <memory>
#include <tuple>
#include <type_traits>

namespace pgasio::detail {

/// Runs `op` on `executor` and completes `handler` with its result, on the handler's executor
/// and with its cancellation slot (carried as async_spawn carries it). `op` is a coroutine
/// returning error_code (for a void(error_code) handler) or std::tuple<error_code, Ts...>. The
/// coroutines report errors as values; an exception that escapes one is a resource failure
/// (bad_alloc) or a cancellation: `on_exception` is called before the handler gets its error.
template <class Op, class OnException, class... Ts>
void spawn_on(const asio::any_io_executor& executor, Op op,
              asio::any_completion_handler<void(error_code, Ts...)> handler, diagnostics* diag,
              OnException on_exception) {
    using outcome =
        std::conditional_t<sizeof...(Ts) == 0, error_code, std::tuple<error_code, Ts...>>;
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto ex = asio::get_associated_executor(handler, executor);
    async_spawn(
        executor, std::move(op),
        asio::bind_cancellation_slot(
            slot, asio::bind_executor(ex, [h = std::move(handler), diag,
                                           on_exception = std::move(on_exception)](
                                              const std::exception_ptr& ep, outcome out) mutable {
                if (ep) {
                    error_code ec;
                    try {
                        std::rethrow_exception(ep);
                    } catch (const boost::system::system_error& e) {
                        ec = e.code();
                    } catch (const std::exception& e) {
                        ec = asio::error::no_memory;
                        if (diag) diag->message = e.what();
                    }
                    on_exception();
                    out = outcome{};
                    if constexpr (sizeof...(Ts) == 0)
                        out = ec;
                    else
                        std::get<0>(out) = ec;
                }
                if constexpr (sizeof...(Ts) == 0)
                    std::move(h)(out);
                else
                    std::apply([&](auto&&... v) { std::move(h)(std::move(v)...); }, std::move(out));
            })));
}

/// spawn_on the connection's executor: an exception that escapes `op` leaves the connection
/// closed.
template <class Op, class... Ts>
void spawn(const std::shared_ptr<connection_impl>& impl, Op op,
           asio::any_completion_handler<void(error_code, Ts...)> handler, diagnostics* diag) {
    spawn_on(impl->executor, std::move(op), std::move(handler), diag, [impl] {
        impl->io.reset();
        impl->open = false;
    });
}

} // namespace pgasio::detail
