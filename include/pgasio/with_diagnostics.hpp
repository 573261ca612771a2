// The completion token adapter that turns failures into exceptions carrying diagnostics.
#pragma once

#include <pgasio/detail/asio_awaitable_fix.hpp>
#include <pgasio/error.hpp>
#include <pgasio/query_exec_mode.hpp>

#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace pgasio {

/// Wraps a completion token so that an operation completing with (error_code, T...) completes
/// with (std::exception_ptr, T...) instead, the exception being a pgasio::error that carries the
/// server's diagnostics. Under `co_await` this means a failed query throws pgasio::error, whose
/// what() shows the SQLSTATE, message, DETAIL and HINT.
///
/// It is the default token of every pgasio operation (`default_token`). Pass any other token
/// (asio::as_tuple(asio::deferred), a callback, asio::use_future...) to receive the plain
/// error_code instead, and the overloads taking a `diagnostics&` to receive the details.
template <class Token>
struct with_diagnostics_t {
    /// The wrapped completion token.
    Token token;
};

/// Adapts `token` (see with_diagnostics_t).
template <class Token>
with_diagnostics_t<std::decay_t<Token>> with_diagnostics(Token&& token) {
    return {std::forward<Token>(token)};
}

/// The token pgasio operations use when none is given: `co_await op(...)` returns the result or
/// throws pgasio::error.
using default_token = with_diagnostics_t<boost::asio::deferred_t>;

namespace detail {
/// What every pgasio initiation receives before its own arguments, from the token adapters:
/// where to explain a failure (null: the caller wants no explanation), and the timeout the
/// caller gave the operation (negative: the connection's default).
struct op_settings {
    diagnostics* diag = nullptr;
    std::chrono::milliseconds timeout{-1};
    std::uint64_t section = 0; ///< the exclusive lease it runs in (0: none)
    /// The completion handler's associated executor is the connection's, as found before the
    /// handler was type-erased (cheaper than asking the erased handler).
    bool on_connection_executor = false;
    /// How a plain query is sent (pgasio::with_exec_mode); none: the connection's default.
    std::optional<query_exec_mode> exec_mode;
    /// Every result column is asked for in text (pgasio::with_text_results).
    bool text_results = false;
    /// The buffer of a COPY it starts (pgasio::with_copy_buffer); 0: the default.
    std::size_t copy_buffer = 0;
    /// Reported to no observer: pgasio's own work, such as a cluster's probes of its members,
    /// which is not what the application asked for (detail::unobserved).
    bool unobserved = false;
};

/// Wraps a token so that the operation is reported to no observer (op_settings::unobserved).
template <class Token>
struct unobserved_t {
    Token token;
};

/// The default token, unobserved: `co_await` returns the result or throws pgasio::error.
inline unobserved_t<default_token> unobserved() {
    return {{}};
}

/// Wraps a token so that the operation runs inside the exclusive lease `section` (see
/// exclusive_lease, which is what uses it); 0 leaves the lease it is given as it is.
template <class Token>
struct in_section_t {
    std::uint64_t section;
    Token token;
};
} // namespace detail

/// Wraps a completion token so that the operation also fills `diag` with what the server (or
/// pgasio) said about a failure: the no-throw path (asio::as_tuple, callbacks) then still shows
/// the server's message, detail and hint. Works with every pgasio operation; `diag` must
/// outlive the operation.
///
/// @code
/// pgasio::diagnostics diag;
/// auto [ec, rows] = co_await conn.async_query("SELECT 1/0",
///     pgasio::diagnostics_into(diag, asio::as_tuple(asio::deferred)));
/// if (ec) fmt::print("{}: {}\n", diag.sqlstate, diag.message); // 22012: division by zero
/// @endcode
template <class Token>
struct diagnostics_into_t {
    /// Where the diagnostics of a failure go.
    diagnostics* diag;
    /// The wrapped completion token.
    Token token;
};

/// Adapts `token` to fill `diag` (see diagnostics_into_t).
template <class Token>
diagnostics_into_t<std::decay_t<Token>> diagnostics_into(diagnostics& diag, Token&& token) {
    return {&diag, std::forward<Token>(token)};
}

/// Wraps a completion token so that the query operation it is given to has its own timeout,
/// instead of the connection's default (connection::set_query_timeout, config's
/// query_timeout): 0 means none. A query past it fails with client_errc::query_timeout and is
/// cancelled as connection::async_query describes; the connection stays usable. The operations
/// of a COPY that wait take it too (copy_writer, copy_reader). Operations that are not queries
/// (connect, close, notifications) ignore it.
///
/// @code
/// auto rows = co_await conn.async_query("SELECT slow_report()",
///                                       pgasio::with_timeout(std::chrono::minutes(5)));
/// auto [ec, r] = co_await conn.async_query("SELECT 1",
///     pgasio::with_timeout(200ms, asio::as_tuple(asio::deferred)));
/// @endcode
template <class Token>
struct with_timeout_t {
    /// The operation's timeout (0: none).
    std::chrono::milliseconds timeout;
    /// The wrapped completion token.
    Token token;
};

/// Adapts `token` (see with_timeout_t).
template <class Token>
with_timeout_t<std::decay_t<Token>> with_timeout(std::chrono::milliseconds timeout, Token&& token) {
    return {timeout, std::forward<Token>(token)};
}
/// with_timeout of the default token: `co_await` returns the result or throws pgasio::error.
inline with_timeout_t<default_token> with_timeout(std::chrono::milliseconds timeout) {
    return {timeout, {}};
}

/// Wraps a completion token so that the query it is given to is sent in `mode` instead of the
/// connection's default (the configuration's default_query_exec_mode): for a statement that
/// must not be kept prepared (run once, or on a table about to change shape), or one query
/// through a pooler. Applies to async_query and its kin with SQL text; a prepared statement,
/// a batch, COPY and the simple query operation have their own way of sending.
///
/// @code
/// auto rows = co_await conn.async_query("SELECT * FROM report($1)", day,
///     pgasio::with_exec_mode(pgasio::query_exec_mode::describe_exec));
/// @endcode
template <class Token>
struct with_exec_mode_t {
    /// How the query is sent.
    query_exec_mode mode;
    /// The wrapped completion token.
    Token token;
};

/// Adapts `token` (see with_exec_mode_t).
template <class Token>
with_exec_mode_t<std::decay_t<Token>> with_exec_mode(query_exec_mode mode, Token&& token) {
    return {mode, std::forward<Token>(token)};
}
/// with_exec_mode of the default token: `co_await` returns the result or throws pgasio::error.
inline with_exec_mode_t<default_token> with_exec_mode(query_exec_mode mode) {
    return {mode, {}};
}

/// Wraps a completion token so that the query it is given to asks for every result column in
/// text: the server's own text representation of each value, which `get<std::string>` (or
/// `std::string_view`) reads whatever the column's type, and the other codecs decode from their
/// text forms. Parameters still go in binary, in the same single round trip.
///
/// Without it, pgasio asks for text only the columns whose types it has no binary codec for,
/// and only where it knows the columns before binding: statements from async_prepare, and
/// statements whose description the cache holds (every execution after the first in
/// cache_statement and cache_describe modes). The first execution of a statement, and every
/// execution in describe_exec mode, binds before the description comes back: those columns then
/// arrive in binary, which no codec reads (client_errc::type_mismatch). with_text_results makes
/// every execution of a query readable as text (docs/types.md, "Any column as text"). Applies
/// to async_query and its kin, with SQL text or a prepared statement.
///
/// @code
/// // mood is an enum: no codec, but its text is always readable this way.
/// auto rows = co_await conn.async_query("SELECT mood FROM people", pgasio::with_text_results());
/// std::string mood = rows[0].get<std::string>(0); // "happy"
/// @endcode
template <class Token>
struct with_text_results_t {
    /// The wrapped completion token.
    Token token;
};

/// Adapts `token` (see with_text_results_t).
template <class Token>
with_text_results_t<std::decay_t<Token>> with_text_results(Token&& token) {
    return {std::forward<Token>(token)};
}
/// with_text_results of the default token: `co_await` returns the result or throws
/// pgasio::error.
inline with_text_results_t<default_token> with_text_results() {
    return {{}};
}

namespace detail {

// Diagnostics storage for operations whose caller gave none. An operation fills it only when
// it fails, so the objects are recycled (per thread) instead of allocated and destroyed for
// every operation: diagnostics holds many strings, and that cost showed on the hot path.
class diagnostics_pool {
public:
    static std::unique_ptr<diagnostics> take() {
        auto& free = list();
        if (free.empty()) return std::make_unique<diagnostics>();
        auto d = std::move(free.back());
        free.pop_back();
        return d;
    }
    // `used`: the operation wrote into it (it failed), so it is reset before reuse.
    static void give_back(std::unique_ptr<diagnostics> d, bool used) {
        if (used) *d = diagnostics{};
        auto& free = list();
        if (free.size() < 64) free.push_back(std::move(d));
    }

private:
    static std::vector<std::unique_ptr<diagnostics>>& list() {
        thread_local std::vector<std::unique_ptr<diagnostics>> free;
        return free;
    }
};

// The handler with_diagnostics installs: it owns the diagnostics the operation fills, and turns
// an error_code into a pgasio::error.
template <class Handler>
struct diagnostics_handler {
    Handler handler;
    std::unique_ptr<diagnostics> own; // storage, when the caller gave none
    diagnostics* diag;                // what the operation filled: the caller's or `own`

    template <class... Ts>
    void operator()(error_code ec, Ts&&... values) {
        std::exception_ptr ep;
        if (ec) ep = std::make_exception_ptr(error(ec, own ? std::move(*diag) : *diag));
        if (own) diagnostics_pool::give_back(std::move(own), static_cast<bool>(ec));
        std::move(handler)(ep, std::forward<Ts>(values)...);
    }
};

/// Wraps a token so that the operation it is given to runs with the settings `op` of another
/// pgasio operation (diagnostics, timeout, lease, exec mode): for an operation made of another
/// one, or handed on to a connection (a pool's). The handler's own executor is looked at anew.
template <class Token>
struct with_op_t {
    op_settings op;
    Token token;
};

/// `handler` as a token that gives the operation it completes the settings `op`.
template <class Handler>
with_op_t<Handler> with_settings(const op_settings& op, Handler handler) {
    return {op, std::move(handler)};
}

} // namespace detail
} // namespace pgasio

namespace boost::asio {

// Every pgasio initiation takes a detail::op_settings as its first argument, whose `diag` is
// null when the caller gave none. with_diagnostics supplies storage then, and wraps the handler.
template <class Token, class... Ts>
struct async_result<pgasio::with_diagnostics_t<Token>, void(pgasio::error_code, Ts...)> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& init, RawToken&& token, pgasio::detail::op_settings op,
                         Args&&... args) {
        return async_initiate<Token, void(std::exception_ptr, Ts...)>(
            [init = std::forward<Initiation>(init), op](auto handler,
                                                        auto&&... inner_args) mutable {
                std::unique_ptr<pgasio::diagnostics> own;
                if (!op.diag) own = pgasio::detail::diagnostics_pool::take();
                pgasio::detail::op_settings with = op;
                with.diag = op.diag ? op.diag : own.get();
                std::move(init)(
                    pgasio::detail::diagnostics_handler<std::decay_t<decltype(handler)>>{
                        std::move(handler), std::move(own), with.diag},
                    with, std::forward<decltype(inner_args)>(inner_args)...);
            },
            token.token, std::forward<Args>(args)...);
    }
};

// diagnostics_into and with_timeout set their part of the op_settings every pgasio initiation
// takes first, and hand the operation on to the token they wrap.
template <class Token, class... Signatures>
struct async_result<pgasio::diagnostics_into_t<Token>, Signatures...> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& init, RawToken&& token, pgasio::detail::op_settings op,
                         Args&&... args) {
        op.diag = token.diag;
        return async_initiate<Token, Signatures...>(std::forward<Initiation>(init), token.token, op,
                                                    std::forward<Args>(args)...);
    }
};
template <class Token, class... Signatures>
struct async_result<pgasio::detail::in_section_t<Token>, Signatures...> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& init, RawToken&& token, pgasio::detail::op_settings op,
                         Args&&... args) {
        // 0 names no lease: an operation made of another keeps the lease it was given.
        if (token.section != 0) op.section = token.section;
        return async_initiate<Token, Signatures...>(std::forward<Initiation>(init), token.token, op,
                                                    std::forward<Args>(args)...);
    }
};
template <class Token, class... Signatures>
struct async_result<pgasio::detail::with_op_t<Token>, Signatures...> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& init, RawToken&& token, pgasio::detail::op_settings op,
                         Args&&... args) {
        // What the outer operation was given wins; 0 names no lease, as in_section_t's.
        const auto& outer = token.op;
        if (outer.diag) op.diag = outer.diag;
        if (outer.timeout.count() >= 0) op.timeout = outer.timeout;
        if (outer.section != 0) op.section = outer.section;
        if (outer.exec_mode) op.exec_mode = outer.exec_mode;
        if (outer.text_results) op.text_results = true;
        if (outer.copy_buffer != 0) op.copy_buffer = outer.copy_buffer;
        if (outer.unobserved) op.unobserved = true;
        return async_initiate<Token, Signatures...>(std::forward<Initiation>(init), token.token, op,
                                                    std::forward<Args>(args)...);
    }
};
template <class Token, class... Signatures>
struct async_result<pgasio::detail::unobserved_t<Token>, Signatures...> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& init, RawToken&& token, pgasio::detail::op_settings op,
                         Args&&... args) {
        op.unobserved = true;
        return async_initiate<Token, Signatures...>(std::forward<Initiation>(init), token.token, op,
                                                    std::forward<Args>(args)...);
    }
};
template <class Token, class... Signatures>
struct async_result<pgasio::with_timeout_t<Token>, Signatures...> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& init, RawToken&& token, pgasio::detail::op_settings op,
                         Args&&... args) {
        op.timeout = token.timeout;
        return async_initiate<Token, Signatures...>(std::forward<Initiation>(init), token.token, op,
                                                    std::forward<Args>(args)...);
    }
};

template <class Token, class... Signatures>
struct async_result<pgasio::with_exec_mode_t<Token>, Signatures...> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& init, RawToken&& token, pgasio::detail::op_settings op,
                         Args&&... args) {
        op.exec_mode = token.mode;
        return async_initiate<Token, Signatures...>(std::forward<Initiation>(init), token.token, op,
                                                    std::forward<Args>(args)...);
    }
};

template <class Token, class... Signatures>
struct async_result<pgasio::with_text_results_t<Token>, Signatures...> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& init, RawToken&& token, pgasio::detail::op_settings op,
                         Args&&... args) {
        op.text_results = true;
        return async_initiate<Token, Signatures...>(std::forward<Initiation>(init), token.token, op,
                                                    std::forward<Args>(args)...);
    }
};

// The wrapped handler keeps the executor, allocator and cancellation slot of the one it wraps.
// `type` is required: without it Asio treats the association as absent and falls back to the
// defaults, dropping the caller's cancellation slot and executor.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct associator<Associator, pgasio::detail::diagnostics_handler<Handler>, DefaultCandidate> {
    using type = typename Associator<Handler, DefaultCandidate>::type;
    static typename Associator<Handler, DefaultCandidate>::type
    get(const pgasio::detail::diagnostics_handler<Handler>& h) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler);
    }
    static auto get(const pgasio::detail::diagnostics_handler<Handler>& h,
                    const DefaultCandidate& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c)) {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};

} // namespace boost::asio
