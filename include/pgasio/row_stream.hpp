// The rows of one query, handed out in parts as they arrive, in bounded memory.
#pragma once

#include <pgasio/error.hpp>
#include <pgasio/result.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>

#include <cstddef>
#include <memory>

namespace pgasio {

namespace detail {
struct stream_state;
struct pool_access;
} // namespace detail

/// The rows of one query (connection::query_stream), handed out in parts as the server sends
/// them. Memory stays bounded whatever the result's size: when the caller does not ask for
/// the next part, the connection stops reading from the server (TCP then holds the server
/// back), so at most two parts are ever buffered (each about `part_bytes` of values).
///
/// Each part is a pgasio::result with the query's columns: the same typed access as a whole
/// result (row.get<T>, try_get, and pgasio::rows_as<T> into structs). The part after
/// the last holds no rows and carries the statement's command tag. A server error in the
/// middle (a division by zero at row 10,000, say) comes after the parts that arrived before
/// it.
///
/// While a stream runs, the requests queued behind it on the same connection wait for it (the
/// protocol answers in order): read it to the end, or destroy it (or call cancel()) to stop
/// early, which cancels the query on the server and drains what it had sent; the connection
/// stays usable. Inside a transaction block, where a cancelled statement would abort the
/// transaction, the query is not cancelled: it runs to its end and its rows are read and
/// dropped, so the transaction goes on. The connection's default query timeout does not apply to a
/// stream (a stream lasts as long as its reader takes); pgasio::with_timeout does not apply either.
/// The stream may outlive the connection object: its parts then fail with the connection's error.
///
/// @code
/// auto rows = conn.query_stream("SELECT id, name FROM big_table WHERE region = $1", "eu");
/// for (;;) {
///     pgasio::result part = co_await rows.async_next();
///     if (part.empty()) break; // the end; part.command_tag() is "SELECT n"
///     for (auto row : part) handle(row.get<std::int64_t>(0), row.get<std::string_view>(1));
/// }
/// @endcode
class row_stream {
public:
    /// The bytes of values a part holds before it is handed out (the last may hold fewer).
    static constexpr std::size_t part_bytes = 128 * 1024;

    /// An empty stream: async_next fails with client_errc::not_connected.
    row_stream() = default;
    /// Made by connection::query_stream, which hands it out.
    explicit row_stream(std::shared_ptr<detail::stream_state> state) noexcept
        : state_(std::move(state)) {}
    /// Takes over the stream; the source is left empty.
    row_stream(row_stream&&) noexcept = default;
    /// Stops this stream's query if it is still running, then takes over `other`'s.
    row_stream& operator=(row_stream&& other) noexcept {
        if (this != &other) {
            cancel();
            state_ = std::move(other.state_);
        }
        return *this;
    }
    row_stream(const row_stream&) = delete;
    row_stream& operator=(const row_stream&) = delete;
    /// Stops the query if it is still running (see cancel()).
    ~row_stream() { cancel(); }

    /// The next part of the rows. Completion signature: void(error_code, result): rows; no
    /// rows at the end (then every further call gives the same). Errors: the server's (the
    /// stream ends there; the connection stays usable), operation_aborted after cancel() or
    /// when the operation is cancelled (which cancels the whole stream), in_progress when
    /// another async_next is waiting, not_connected for an empty stream, and the connection's
    /// errors. The result owns its rows: it stays valid after the stream is gone.
    template <class Token = default_token>
    auto async_next(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, result)>(
            [state = state_](auto handler, detail::op_settings op) {
                start_next(state, result_handler(std::move(handler)), op.diag);
            },
            token, detail::op_settings{});
    }

    /// Stops the query: cancelled on the server if it is still running (outside a transaction
    /// block: see the class), what it already sent is drained, later async_next calls fail with
    /// operation_aborted. Does nothing once the stream has ended.
    void cancel() noexcept;

private:
    friend struct detail::pool_access;
    using result_handler = boost::asio::any_completion_handler<void(error_code, result)>;
    static void start_next(const std::shared_ptr<detail::stream_state>& state,
                           result_handler handler, diagnostics* diag);

    std::shared_ptr<detail::stream_state> state_;
};

} // namespace pgasio
