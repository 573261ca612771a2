// A connection to a PostgreSQL server, usable from C++20 coroutines and any Asio completion token.
#pragma once

#include <pgasio/config.hpp>
#include <pgasio/error.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>

namespace pgasio {

namespace detail {
class connection_impl;
} // namespace detail

/// One session with a PostgreSQL server.
///
/// Bound to one executor: every operation, and every completion handler unless the token says
/// otherwise, runs there (use a strand on a multi-threaded io_context). The object may be moved
/// but not copied; destroying it closes the socket at once (operations still running complete
/// with operation_aborted). Prefer async_close(), which says goodbye to the server first.
///
/// Every `async_*` function takes any Asio completion token. The default (`default_token`)
/// makes `co_await` return the result or throw pgasio::error with the server's diagnostics;
/// `asio::as_tuple(asio::deferred)` gives the error_code instead; the overloads taking a
/// `diagnostics&` also fill it with what the server (or pgasio) said about a failure.
///
/// @code
/// asio::awaitable<void> run() {
///     pgasio::connection conn(co_await asio::this_coro::executor);
///     co_await conn.async_connect(pgasio::config::parse("postgresql://app@db1/shop").value());
///     fmt::print("connected to PostgreSQL {}\n", conn.parameter("server_version").value_or("?"));
///     co_await conn.async_close();
/// }
/// @endcode
class connection {
public:
    using executor_type = boost::asio::any_io_executor;

    /// A closed connection whose operations run on `ex`.
    explicit connection(executor_type ex);
    /// A closed connection whose operations run on `ctx`'s executor (e.g. an io_context).
    template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
    explicit connection(ExecutionContext& ctx)
        : connection(executor_type(ctx.get_executor())) {}
    ~connection();
    connection(connection&&) noexcept;
    connection& operator=(connection&&) noexcept;

    executor_type get_executor() const noexcept;

    /// Opens the session as libpq would with the same configuration: each host in turn (shuffled
    /// with load_balance_hosts=random) and each of its addresses, until one accepts us and has
    /// the target_session_attrs asked for. For each attempt (bounded by connect_timeout as a
    /// whole: name look-up, TCP, TLS handshake, every authentication round trip): TCP or unix
    /// socket; TLS as sslmode and sslnegotiation say; StartupMessage; authentication by
    /// whatever method the server asks for among those require_auth allows (trust, cleartext
    /// password, MD5, SCRAM-SHA-256, SCRAM-SHA-256-PLUS with channel binding, client
    /// certificates); then the server's parameters and cancellation key.
    ///
    /// Completion signature: void(error_code). On failure nothing stays open, and the
    /// diagnostics hold the server's error (e.g. 28P01 invalid_password) or pgasio's
    /// explanation; when several hosts were tried, the message lists each attempt's error.
    /// Errors include: the server's SQLSTATEs; client_errc::connect_timeout,
    /// tls_not_supported_by_server, session_attrs_mismatch, authentication_method_refused,
    /// password_required, unsupported_authentication, scram_* errors, connection_closed;
    /// network errors (asio::error::connection_refused, host_not_found...). The password never
    /// appears in any of them.
    ///
    /// `cfg` is copied: it need not outlive the call.
    template <class Token = default_token>
    auto async_connect(const config& cfg, Token&& token = {}) {
        return async_connect_impl(cfg, nullptr, std::forward<Token>(token));
    }
    /// As above, filling `diag` on failure. `diag` must outlive the operation.
    template <class Token = default_token>
    auto async_connect(const config& cfg, diagnostics& diag, Token&& token = {}) {
        return async_connect_impl(cfg, &diag, std::forward<Token>(token));
    }

    /// Sends Terminate and closes the socket. Completion signature: void(error_code); closing a
    /// connection that is not open succeeds.
    template <class Token = default_token>
    auto async_close(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(close_initiation{impl_.get()},
                                                                    token, nullptr);
    }

    /// True between a successful async_connect and a close (or a fatal error).
    bool is_open() const noexcept;
    /// True when the session is encrypted with TLS.
    bool uses_tls() const noexcept;
    /// True when authentication used SCRAM-SHA-256-PLUS, binding it to the TLS session.
    bool uses_channel_binding() const noexcept;
    /// The host of the configuration that accepted the connection.
    const host_spec& host() const noexcept;
    /// The latest value the server reported for a run-time parameter (server_version,
    /// server_encoding, client_encoding, TimeZone, DateStyle, integer_datetimes,
    /// standard_conforming_strings, in_hot_standby, default_transaction_read_only,
    /// session_authorization, application_name, ...). The view is valid until the next
    /// operation on the connection.
    std::optional<std::string_view> parameter(std::string_view name) const;
    /// The server's process ID for this session (pg_backend_pid()).
    std::int32_t backend_pid() const noexcept;
    /// The protocol version the session speaks (3.0, or 3.2 when asked for and offered).
    protocol::protocol_version protocol_version() const noexcept;

private:
    using handler_type = boost::asio::any_completion_handler<void(error_code)>;

    struct connect_initiation {
        detail::connection_impl* impl;
        void operator()(handler_type handler, diagnostics* diag, const config& cfg) const {
            start_connect(impl, std::move(handler), diag, cfg);
        }
    };
    struct close_initiation {
        detail::connection_impl* impl;
        void operator()(handler_type handler, diagnostics* diag) const {
            start_close(impl, std::move(handler), diag);
        }
    };
    static void start_connect(detail::connection_impl* impl, handler_type handler,
                              diagnostics* diag, const config& cfg);
    static void start_close(detail::connection_impl* impl, handler_type handler, diagnostics* diag);

    template <class Token>
    auto async_connect_impl(const config& cfg, diagnostics* diag, Token&& token) {
        return boost::asio::async_initiate<Token, void(error_code)>(connect_initiation{impl_.get()},
                                                                    token, diag, cfg);
    }

    std::shared_ptr<detail::connection_impl> impl_;
};

} // namespace pgasio
