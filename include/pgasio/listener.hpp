// LISTEN that survives reconnects: a session of its own, re-established after a failure, with
// a gap event where notifications may have been missed.
#pragma once

#include <pgasio/config.hpp>
#include <pgasio/error.hpp>
#include <pgasio/notification.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution_context.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace pgasio {

namespace detail {
struct listener_impl;
}

class pool;
class cluster;

/// What listener::async_receive gives: a notification, or a gap.
struct listener_event {
    /// Which of the two it is.
    enum class kind {
        /// A NOTIFY on one of the channels listened to (`note`).
        notification,
        /// The session was lost (`lost_by` says why) and a new one listens again to every
        /// channel: notifications sent in between were missed. Comes before any notification
        /// of the new session.
        gap,
    };
    kind what = kind::notification; ///< which of the two it is
    notification note;              ///< the notification (kind::notification)
    error_code lost_by;             ///< what ended the previous session (kind::gap)
};

/// Listens to channels on a session of its own, and keeps listening across failures: when the
/// session is lost (the server restarted, the backend was terminated, the network broke), the
/// next async_receive connects again (backing off from 100 ms up to 5 s between failed
/// attempts), LISTENs again to every channel, and then gives a listener_event::kind::gap, so
/// the application knows that notifications may have been missed (and re-reads what they would
/// have told it). Nothing is delivered twice: a notification belongs to the session that
/// received it.
///
/// LISTEN needs the primary (a server in recovery refuses it): for a cluster, give the
/// listener the cluster's configuration; it connects to whichever of its hosts and replicas
/// accepts writes, so it follows a failover.
///
/// One async_receive at a time; async_listen and async_unlisten may run while it waits. All
/// on the listener's executor (one thread at a time, as a connection); only the destructor may
/// run on another thread.
///
/// @code
/// pgasio::listener events(co_await asio::this_coro::executor, cfg);
/// co_await events.async_listen("orders");
/// for (;;) {
///     auto e = co_await events.async_receive();
///     if (e.what == pgasio::listener_event::kind::gap)
///         co_await reload_orders(); // notifications may have been missed meanwhile
///     else
///         handle_order(e.note.payload);
/// }
/// @endcode
class listener {
public:
    /// The executor its session runs on.
    using executor_type = boost::asio::any_io_executor;

    /// A listener whose sessions are made with `cfg` (copied; its replicas, if any, are tried
    /// after its hosts); nothing connects until the first async_listen or async_receive.
    /// Throws pgasio::error with config::validate()'s explanation when `cfg` is not valid.
    listener(const executor_type& ex, config cfg);
    /// As above, on `ctx`'s executor (e.g. an io_context).
    template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
    listener(ExecutionContext& ctx, config cfg)
        : listener(executor_type(ctx.get_executor()), std::move(cfg)) {}
    /// A listener with a session of its own made as `db`'s connections are (on its executor,
    /// with its configuration): a LISTEN holds a session, so it never takes one of the pool's.
    explicit listener(const pool& db);
    /// A listener with a session of its own on the member of `db` that accepts writes, found
    /// among all its members again at each reconnection (a promoted replica is followed), on
    /// its executor and with its configuration.
    explicit listener(const cluster& db);
    /// Closes its session (the server then forgets its LISTENs); a waiting async_receive fails
    /// with client_errc::not_connected, and the LISTENs and UNLISTENs still unanswered with
    /// asio::error::operation_aborted. Safe on any thread: the closing runs on the listener's
    /// executor (at once when called there, else posted to it).
    ~listener();
    /// Takes `other`'s session and channels; `other` is left empty (only destruction and
    /// assignment).
    listener(listener&&) noexcept = default;
    /// Closes this listener's session (as the destructor), then takes `other`'s.
    listener& operator=(listener&& other) noexcept;
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;

    /// The executor its session runs on.
    executor_type get_executor() const noexcept;

    /// Adds `channel` (any name: it is quoted) and LISTENs to it, opening the session first if
    /// none is open. Completion signature: void(error_code). Errors: the connection's (the
    /// channel then stays added: the next session, opened by async_receive, listens to it),
    /// client_errc::not_connected after async_close.
    template <class Token = default_token>
    auto async_listen(std::string_view channel, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [impl = impl_](auto handler, const detail::op_settings& op, std::string_view ch) {
                start_listen(impl, listen_handler(std::move(handler)), op, ch, true);
            },
            token, detail::op_settings{}, channel);
    }
    /// Removes `channel` and, when a session is open, UNLISTENs it. Completion signature:
    /// void(error_code). Errors: as async_listen's.
    template <class Token = default_token>
    auto async_unlisten(std::string_view channel, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [impl = impl_](auto handler, const detail::op_settings& op, std::string_view ch) {
                start_listen(impl, listen_handler(std::move(handler)), op, ch, false);
            },
            token, detail::op_settings{}, channel);
    }
    /// The next event: a notification on a channel listened to, or a gap after the session was
    /// lost and listens again. Reconnects (with backoff) as long as it takes; cancel it to stop
    /// waiting (operation_aborted, the listener staying usable). Completion signature:
    /// void(error_code, listener_event). Errors: operation_aborted, client_errc::not_connected
    /// after async_close, asio::error::in_progress while another async_receive waits.
    template <class Token = default_token>
    auto async_receive(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, listener_event)>(
            [impl = impl_](auto handler, const detail::op_settings& op) {
                start_receive(impl, receive_handler(std::move(handler)), op);
            },
            token, detail::op_settings{});
    }
    /// Closes the session (Terminate); later operations fail with client_errc::not_connected.
    /// Completion signature: void(error_code) (never fails).
    template <class Token = default_token>
    auto async_close(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [impl = impl_](auto handler, const detail::op_settings&) {
                start_close(impl, listen_handler(std::move(handler)));
            },
            token, detail::op_settings{});
    }

private:
    using listen_handler = boost::asio::any_completion_handler<void(error_code)>;
    using receive_handler = boost::asio::any_completion_handler<void(error_code, listener_event)>;
    static void start_listen(const std::shared_ptr<detail::listener_impl>& impl,
                             listen_handler handler, const detail::op_settings& op,
                             std::string_view channel, bool listen);
    static void start_receive(const std::shared_ptr<detail::listener_impl>& impl,
                              receive_handler handler, const detail::op_settings& op);
    static void start_close(const std::shared_ptr<detail::listener_impl>& impl,
                            listen_handler handler);

    std::shared_ptr<detail::listener_impl> impl_;
};

} // namespace pgasio
