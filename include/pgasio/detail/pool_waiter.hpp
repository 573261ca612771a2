// How a pool's callers wait for a connection, and how their shared requests are counted.
#pragma once

#include <pgasio/connection.hpp>
#include <pgasio/detail/post_to.hpp>
#include <pgasio/pooled_connection.hpp>
#include <pgasio/row_stream.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <boost/assert/source_location.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace pgasio::detail {

class pool_impl;
struct pool_slot;
class observation;

/// The pool's bookkeeping once a shared request routed to `slot` is answered (its load drops).
void pool_request_done(pool_slot& slot) noexcept;

/// A shared request's handler: tells the pool when the request is answered, then calls the
/// caller's handler (whose executor, cancellation slot and allocator it keeps).
template <class Handler>
struct pool_counted_handler {
    Handler handler;
    std::shared_ptr<pool_slot> slot;

    template <class... Args>
    void operator()(Args&&... args) {
        pool_request_done(*slot);
        slot.reset();
        std::move(handler)(std::forward<Args>(args)...);
    }
};

/// Posts `call`, which completes a handler whose executor is `handler_ex`, through the
/// connection's executor `conn_ex` to the handler's: straight to `conn_ex` when that is the
/// handler's (a coroutine on the same io_context or strand, the usual case), with no second hop.
template <class Executor, class Call>
void post_completion(const boost::asio::any_io_executor& conn_ex, const Executor& handler_ex,
                     Call call) {
    if constexpr (std::is_same_v<Executor, boost::asio::any_io_executor>)
        if (handler_ex == conn_ex) return post_to(conn_ex, std::move(call));
    post_to(conn_ex, boost::asio::bind_executor(handler_ex, std::move(call)));
}

/// Makes `stream` count as load on `slot` (a shared request routed there) until the stream and
/// its request are gone.
void pool_claim_stream(row_stream& stream, std::shared_ptr<pool_slot> slot);

/// A pool's shared operation that starts a row stream: `(conn, sql, params..., token)` as the
/// others, completing the token's pool_counted_handler with the stream, posted.
struct pool_stream_op {
    template <class... Args>
    void operator()(connection& conn, std::string_view sql, Args&&... args) const {
        auto all = std::forward_as_tuple(args...);
        auto& token = std::get<sizeof...(Args) - 1>(all); // a with_op_t<pool_counted_handler>
        row_stream stream = [&]<std::size_t... I>(std::index_sequence<I...>) {
            return conn.query_stream(sql, std::get<I>(all)...);
        }
        (std::make_index_sequence<sizeof...(Args) - 1>{});
        auto& counted = token.token;
        pool_claim_stream(stream, std::move(counted.slot));
        const auto ex = boost::asio::get_associated_executor(counted.handler, conn.get_executor());
        post_completion(conn.get_executor(), ex,
                        [h = std::move(counted.handler), s = std::move(stream)]() mutable {
                            std::move(h)(error_code{}, std::move(s));
                        });
    }
};

/// A caller waiting in a pool's queue for a connection: a shared request (any connection that
/// is not leased will do, and several may share one) or an acquire (a connection of its own).
///
/// Its cancellation slot is the caller's, who may cancel from its own executor at any time: a
/// slot is not thread-safe, so the pool touches it only there. The pool's handler goes on as
/// the wait starts (in the initiating function) and stays until the completion, on the caller's
/// executor, takes it off; it finds the waiter by `id`, and does nothing once the waiter was
/// served or failed.
class pool_waiter {
public:
    pool_waiter(bool for_lease, const op_settings& settings, boost::source_location from) noexcept
        : exclusive(for_lease)
        , op(settings)
        , where(from) {}
    virtual ~pool_waiter() = default;
    pool_waiter(const pool_waiter&) = delete;
    pool_waiter& operator=(const pool_waiter&) = delete;

    /// Serves the caller with `slot`, whose connection is `conn`: runs the shared request on it,
    /// or hands out the lease. Called once, outside the pool's lock, never inside the caller's
    /// initiating function for a lease.
    virtual void serve(const std::shared_ptr<pool_impl>& pool, std::shared_ptr<pool_slot> slot,
                       connection& conn) = 0;
    /// Fails the caller with `ec`, `why` going to its diagnostics; the handler is called on its
    /// own executor, through `ex` (never inline).
    virtual void fail(const boost::asio::any_io_executor& ex, error_code ec,
                      const std::string& why) = 0;
    /// The caller's cancellation slot (not connected: the wait cannot be cancelled).
    virtual boost::asio::cancellation_slot cancellation_slot() const noexcept = 0;

    const bool exclusive;
    const op_settings op;
    const boost::source_location where; ///< where an acquire was asked for (leak reports)
    /// When it was asked for: its acquire_timeout counts from then, through the checks of idle
    /// connections it is given and its waits in line (set by the pool).
    std::chrono::steady_clock::time_point started{};
    bool queued = false;  ///< it waited in line: counted in pool_stats::waited (set by the pool)
    std::uint64_t id = 0; ///< its number, unique in its pool (set by the pool)
    bool wait_recorded = false; ///< its wait is in pool_stats::wait_histogram (set by the pool)
    /// An acquire's report to the pool's observer (null: not observed), ended by the pool when
    /// it serves or fails the acquire.
    std::shared_ptr<observation> observed;
};

/// Completes `handler` with (ec, Value{}) on its own executor, posted through `ex`.
template <class Value, class Handler>
void pool_fail(Handler& handler, const op_settings& op, const boost::asio::any_io_executor& ex,
               error_code ec, const std::string& why) {
    if (op.diag) {
        *op.diag = diagnostics{};
        op.diag->message = why;
    }
    auto own = boost::asio::get_associated_executor(handler, ex);
    boost::asio::post(ex, boost::asio::bind_executor(own, [h = std::move(handler), ec]() mutable {
                          // On the caller's executor, where it may cancel: see pool_waiter.
                          boost::asio::get_associated_cancellation_slot(h).clear();
                          std::move(h)(ec, Value{});
                      }));
}

/// A shared request waiting for a connection: `launch(conn, token)` runs it there.
template <class Value, class Handler, class Launch>
class shared_waiter final : public pool_waiter {
public:
    shared_waiter(Handler handler, const op_settings& settings, Launch launch)
        : pool_waiter(false, settings, {})
        , handler_(std::move(handler))
        , launch_(std::move(launch)) {}

    void serve(const std::shared_ptr<pool_impl>&, std::shared_ptr<pool_slot> slot,
               connection& conn) override {
        // Launched from the caller's executor, where the pool's cancellation handler is taken
        // off the slot (see pool_waiter) before the request's own goes on.
        const auto ex = boost::asio::get_associated_executor(handler_, conn.get_executor());
        boost::asio::post(ex, [h = std::move(handler_), launch = std::move(launch_), op = op,
                               slot = std::move(slot), &conn]() mutable {
            boost::asio::get_associated_cancellation_slot(h).clear();
            launch(conn,
                   with_settings(op, pool_counted_handler<Handler>{std::move(h), std::move(slot)}));
        });
    }
    void fail(const boost::asio::any_io_executor& ex, error_code ec,
              const std::string& why) override {
        pool_fail<Value>(handler_, op, ex, ec, why);
    }
    boost::asio::cancellation_slot cancellation_slot() const noexcept override {
        return boost::asio::get_associated_cancellation_slot(handler_);
    }

private:
    Handler handler_;
    Launch launch_;
};

/// Completes an acquire's `handler` with the lease of `slot` (whose connection is `conn`), on
/// the handler's executor, posted.
template <class Handler>
void hand_lease(Handler& handler, const std::shared_ptr<pool_impl>& pool,
                std::shared_ptr<pool_slot> slot, connection& conn) {
    const auto ex = boost::asio::get_associated_executor(handler, conn.get_executor());
    post_completion(
        conn.get_executor(), ex,
        [h = std::move(handler), lease = pooled_connection(pool, std::move(slot), conn)]() mutable {
            // On the caller's executor, where it may cancel: see pool_waiter.
            boost::asio::get_associated_cancellation_slot(h).clear();
            std::move(h)(error_code{}, std::move(lease));
        });
}

/// An acquire waiting for a connection of its own.
template <class Handler>
class lease_waiter final : public pool_waiter {
public:
    lease_waiter(Handler handler, const op_settings& settings, boost::source_location from)
        : pool_waiter(true, settings, from)
        , handler_(std::move(handler)) {}

    void serve(const std::shared_ptr<pool_impl>& pool, std::shared_ptr<pool_slot> slot,
               connection& conn) override {
        hand_lease(handler_, pool, std::move(slot), conn);
    }
    void fail(const boost::asio::any_io_executor& ex, error_code ec,
              const std::string& why) override {
        pool_fail<pooled_connection>(handler_, op, ex, ec, why);
    }
    boost::asio::cancellation_slot cancellation_slot() const noexcept override {
        return boost::asio::get_associated_cancellation_slot(handler_);
    }

private:
    Handler handler_;
};

} // namespace pgasio::detail

namespace boost::asio {

// The counting handler keeps the executor, allocator and cancellation slot of the one it wraps
// (`type` is required, as for pgasio::detail::diagnostics_handler).
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct associator<Associator, pgasio::detail::pool_counted_handler<Handler>, DefaultCandidate> {
    using type = typename Associator<Handler, DefaultCandidate>::type;
    static type get(const pgasio::detail::pool_counted_handler<Handler>& h) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler);
    }
    static auto get(const pgasio::detail::pool_counted_handler<Handler>& h,
                    const DefaultCandidate& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c)) {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};

} // namespace boost::asio
