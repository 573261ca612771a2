// pgasio::listener: a session of its own for LISTEN, opened again after a failure.
#include "spawn.hpp"

#include <pgasio/cluster.hpp>
#include <pgasio/config_error.hpp>
#include <pgasio/connection.hpp>
#include <pgasio/listener.hpp>
#include <pgasio/pool.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <set>

namespace pgasio {
namespace detail {

namespace {

constexpr auto first_backoff = std::chrono::milliseconds(100);
constexpr auto max_backoff = std::chrono::milliseconds(5000);
constexpr auto await_tuple = asio::as_tuple(asio::use_awaitable);

// The configuration a listener connects with: LISTEN needs the primary, so a cluster's replicas
// are candidates too (one of them may have been promoted), and only the server that accepts
// writes will do.
config listener_config(config cfg) {
    if (cfg.replicas.empty()) return cfg;
    cfg.hosts.insert(cfg.hosts.end(), cfg.replicas.begin(), cfg.replicas.end());
    cfg.replicas.clear();
    cfg.target_session_attrs = session_attrs::read_write;
    return cfg;
}

} // namespace

/// The listener's state, on its executor only.
struct listener_impl {
    listener_impl(const asio::any_io_executor& ex, config c)
        : executor(ex)
        , cfg(listener_config(std::move(c)))
        , retry(ex)
        , opened(ex) {}

    asio::any_io_executor executor;
    config cfg;
    std::optional<connection> session; ///< open, or being opened (`opening`)
    std::uint64_t sessions = 0;        ///< sessions opened so far: tells one from the next
    bool opening = false;
    std::set<std::string, std::less<>> channels; ///< what every session listens to
    std::set<std::string, std::less<>> listened; ///< what the open session listens to
    bool had_session = false;                    ///< a session was open before: losing it is a gap
    std::optional<error_code> gap;               ///< lost a session: a gap is owed, with why
    bool receiving = false;
    bool closed = false;
    std::chrono::milliseconds backoff{0};
    asio::steady_timer retry;  ///< the wait between failed attempts to connect
    asio::steady_timer opened; ///< cancelled when a session being opened is open, or not

    bool session_open() const { return session && !opening && session->is_open(); }

    /// The session is gone (`why`): the next one owes the application a gap.
    void lose(error_code why) {
        session.reset();
        listened.clear();
        if (had_session && !gap) gap = why;
    }

    /// A session the server ended while nobody waited on it (between two receives, or before
    /// a channel is added), or that failed a LISTEN (`why`), is as lost as one that fails a
    /// wait: what it listened to is gone. Nothing to lose when the session is already gone
    /// (closed meanwhile) or is a new one being opened.
    void notice_closed(error_code why = client_errc::connection_closed) {
        if (session && !opening && !session->is_open()) lose(why);
    }

    /// Closes at once: what waits ends (a receive with not_connected, requests of the session
    /// with operation_aborted), and the session is dropped unanswered. On the executor only.
    void shut() {
        closed = true;
        retry.cancel();
        opened.cancel();
        session.reset(); // one being opened: its connect fails
    }

    /// Opens a session and LISTENs to every channel (those added meanwhile too).
    asio::awaitable<error_code> open(diagnostics* diag) {
        diagnostics got;
        opening = true;
        // A cancelled caller's next co_await throws: whoever waits for this session must not
        // wait for ever, and the next one must open it again.
        struct settle {
            listener_impl& l;
            ~settle() {
                if (!l.opening) return;
                l.opening = false;
                l.opened.cancel();
                l.lose(asio::error::operation_aborted);
            }
        } settled{*this};
        session.emplace(executor);
        ++sessions;
        auto [ec] = co_await session->async_connect(cfg, diagnostics_into(got, await_tuple));
        // Closed meanwhile (the session is gone): stop at once.
        while (!ec && !closed) {
            const auto next = std::find_if(channels.begin(), channels.end(),
                                           [&](const auto& ch) { return !listened.contains(ch); });
            if (next == channels.end()) break;
            // A copy: async_unlisten may erase the set's element while LISTEN is sent.
            // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
            const std::string channel = *next;
            std::tie(ec) =
                co_await session->async_listen(channel, diagnostics_into(got, await_tuple));
            if (!ec) listened.insert(channel);
        }
        opening = false;
        opened.cancel(); // wakes whoever waited for this session
        if (ec || closed) {
            if (diag) *diag = std::move(got);
            lose(ec);
            co_return closed ? error_code(client_errc::not_connected) : ec;
        }
        had_session = true;
        backoff = std::chrono::milliseconds(0);
        co_return error_code{};
    }

    /// Waits before the next attempt to connect: exponentially longer after each failure, with
    /// jitter, so that many listeners do not come back at once.
    asio::awaitable<error_code> back_off() {
        backoff = std::min(max_backoff, backoff.count() == 0 ? first_backoff : 2 * backoff);
        static thread_local std::minstd_rand jitter(std::random_device{}());
        const auto wait =
            backoff / 2 + std::chrono::milliseconds(
                              jitter() % (static_cast<unsigned long>(backoff.count()) / 2 + 1));
        retry.expires_after(wait);
        auto [ec] = co_await retry.async_wait(await_tuple);
        co_return ec;
    }

    /// What a receive that stops waiting answers: not_connected once the listener is closed,
    /// otherwise operation_aborted (its caller cancelled it).
    std::tuple<error_code, listener_event> stopped() const {
        return {closed ? error_code(client_errc::not_connected)
                       : error_code(asio::error::operation_aborted),
                listener_event{}};
    }

    asio::awaitable<std::tuple<error_code, listener_event>> receive(diagnostics* diag) {
        for (;;) {
            if (closed) co_return stopped();
            while (opening) { // async_listen opens it: wait for the outcome
                opened.expires_at(asio::steady_timer::time_point::max());
                co_await opened.async_wait(await_tuple);
                const auto cs = co_await asio::this_coro::cancellation_state;
                if (cs.cancelled() != asio::cancellation_type::none) co_return stopped();
            }
            if (closed) co_return stopped(); // while it was being opened
            notice_closed();
            if (!session_open()) {
                if (auto ec = co_await open(diag)) {
                    const auto cs = co_await asio::this_coro::cancellation_state;
                    if (closed || cs.cancelled() != asio::cancellation_type::none)
                        co_return stopped();
                    // Not reachable now: try again (the caller cancels to stop waiting).
                    if (co_await back_off()) co_return stopped();
                    continue;
                }
            }
            if (gap) {
                listener_event e;
                e.what = listener_event::kind::gap;
                e.lost_by = *gap;
                gap.reset();
                co_return std::tuple{error_code{}, std::move(e)};
            }
            auto [ec, n] = co_await session->async_receive_notification(await_tuple);
            if (!ec) {
                listener_event e;
                e.note = std::move(n);
                co_return std::tuple{error_code{}, std::move(e)};
            }
            if (ec == asio::error::operation_aborted || closed) co_return stopped();
            lose(ec);
        }
    }

    asio::awaitable<error_code> listen(std::string channel, bool add, diagnostics* diag) {
        if (closed) co_return error_code(client_errc::not_connected);
        notice_closed();
        diagnostics got;
        auto told = [&](error_code ec) {
            if (ec && diag) *diag = std::move(got);
            return ec;
        };
        if (!add) {
            channels.erase(channel);
            if (!session_open() || !listened.contains(channel)) co_return error_code{};
            listened.erase(channel);
            auto [ec] =
                co_await session->async_unlisten(channel, diagnostics_into(got, await_tuple));
            co_return told(ec);
        }
        channels.insert(channel);
        // Being opened (by async_receive): the session listens to it before it is used.
        if (opening) co_return error_code{};
        if (!session_open()) co_return co_await open(diag);
        if (listened.contains(channel)) co_return error_code{};
        const auto asked = sessions;
        auto [ec] = co_await session->async_listen(channel, diagnostics_into(got, await_tuple));
        // The session may be gone now (closed meanwhile), or a new one being opened, which
        // must LISTEN to the channel itself.
        if (!ec && sessions == asked)
            listened.insert(channel);
        else if (ec)
            notice_closed(ec);
        co_return told(ec);
    }
};

} // namespace detail

listener::listener(const executor_type& ex, config cfg) {
    if (auto valid = cfg.validate(); !valid) throw config_exception(valid.error());
    impl_ = std::make_shared<detail::listener_impl>(ex, std::move(cfg));
}

listener::listener(const pool& db)
    : listener(db.get_executor(), db.get_config()) {}

listener::listener(const cluster& db)
    : listener(db.get_executor(), db.get_config()) {}

listener::~listener() {
    if (!impl_) return;
    // The state is the executor's: destroyed on another thread (the executor a strand of an
    // io_context that several threads run), the handle must not touch it under a running
    // receive or LISTEN. Posted there then, and run at once when already there.
    const auto ex = impl_->executor;
    boost::asio::dispatch(ex, [impl = std::move(impl_)] { impl->shut(); });
}

listener& listener::operator=(listener&& other) noexcept {
    if (this == &other) return *this;
    listener gone(std::move(*this));
    impl_ = std::move(other.impl_);
    return *this;
}

listener::executor_type listener::get_executor() const noexcept {
    return impl_->executor;
}

void listener::start_listen(const std::shared_ptr<detail::listener_impl>& impl,
                            listen_handler handler, const detail::op_settings& op,
                            std::string_view channel, bool listen) {
    // The coroutine holds the state: the listener may be destroyed meanwhile.
    detail::spawn_on(
        impl->executor,
        [](std::shared_ptr<detail::listener_impl> self, std::string ch, bool add,
           diagnostics* diag) -> boost::asio::awaitable<error_code> {
            co_return co_await self->listen(std::move(ch), add, diag);
        }(impl, std::string(channel), listen, op.diag),
        std::move(handler), op.diag, [] {});
}

void listener::start_receive(const std::shared_ptr<detail::listener_impl>& impl,
                             receive_handler handler, const detail::op_settings& op) {
    detail::spawn_on(
        impl->executor,
        [](std::shared_ptr<detail::listener_impl> self,
           diagnostics* diag) -> boost::asio::awaitable<std::tuple<error_code, listener_event>> {
            if (self->receiving)
                co_return std::tuple{error_code(boost::asio::error::in_progress), listener_event{}};
            self->receiving = true;
            auto out = co_await self->receive(diag);
            self->receiving = false;
            co_return out;
        }(impl, op.diag),
        std::move(handler), op.diag, [impl] { impl->receiving = false; });
}

void listener::start_close(const std::shared_ptr<detail::listener_impl>& impl,
                           listen_handler handler) {
    detail::spawn_on(
        impl->executor,
        [](std::shared_ptr<detail::listener_impl> self) -> boost::asio::awaitable<error_code> {
            self->closed = true;
            self->retry.cancel();
            if (self->session_open()) co_await self->session->async_close(detail::await_tuple);
            self->shut();
            co_return error_code{};
        }(impl),
        std::move(handler), nullptr, [] {});
}

} // namespace pgasio
