// COPY FROM STDIN and COPY TO STDOUT: bulk data in and out of the server, in bounded memory.
#pragma once

#include <pgasio/error.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace pgasio {

namespace detail {
struct copy_in_state;
struct copy_out_state;
} // namespace detail

class copy_row_writer;
class copy_row_reader;

/// The smallest buffer a COPY may be given (with_copy_buffer), in bytes: below it, every few
/// rows would cost a system call.
inline constexpr std::size_t min_copy_buffer = 4 * 1024;
/// The largest buffer a COPY may be given (with_copy_buffer), in bytes: a chunk is one
/// allocation, and a COPY out may hold about two of them.
inline constexpr std::size_t max_copy_buffer = 64 * 1024 * 1024;

/// Wraps the completion token of an operation that starts a COPY (connection::async_copy_in,
/// async_copy_out, async_copy_in_rows, async_copy_in_as, async_copy_out_rows, and the same on
/// an exclusive_lease or transaction) so that the COPY gathers `bytes` instead of 64 KiB (the
/// writers' and readers' `chunk_bytes`) before it sends data, or before it hands data out: the
/// bound of the COPY's memory (see copy_writer and copy_reader). Larger buffers mean fewer,
/// larger writes and reads; smaller ones, less memory per COPY. A size outside
/// [min_copy_buffer, max_copy_buffer] fails the operation with
/// boost::system::errc::invalid_argument, the diagnostics saying the range (nothing is sent).
/// Other operations ignore it.
///
/// @code
/// auto copy = co_await conn.async_copy_in("COPY items FROM STDIN (FORMAT csv)",
///                                         pgasio::with_copy_buffer(1024 * 1024));
/// @endcode
template <class Token>
struct with_copy_buffer_t {
    /// The COPY's buffer, in bytes.
    std::size_t bytes;
    /// The wrapped completion token.
    Token token;
};

/// Adapts `token` (see with_copy_buffer_t).
template <class Token>
with_copy_buffer_t<std::decay_t<Token>> with_copy_buffer(std::size_t bytes, Token&& token) {
    return {bytes, std::forward<Token>(token)};
}
/// with_copy_buffer of the default token: `co_await` returns the handle or throws
/// pgasio::error.
inline with_copy_buffer_t<default_token> with_copy_buffer(std::size_t bytes) {
    return {bytes, {}};
}

/// The client's side of a `COPY ... FROM STDIN` (connection::async_copy_in): the data, in the
/// format the statement names (text, CSV or binary), as bytes.
///
/// Writes are gathered into a buffer of buffer_bytes() (`chunk_bytes` unless the COPY was
/// started with pgasio::with_copy_buffer) and sent as CopyData once it fills; a write that
/// sends completes once the socket has taken the bytes, so a producer that awaits each write
/// never holds more than about one buffer in memory, whatever it copies (TCP holds it back
/// when the server is slower). Rows split across writes are fine: the server sees one stream
/// of bytes.
///
/// async_finish ends the COPY and says how many rows the server took; async_abort (or
/// destroying the writer before async_finish) sends CopyFail, and the server rolls the whole
/// COPY back: nothing of it is committed. A server error in the middle (a constraint, a
/// malformed line) ends the COPY: the next write or async_finish fails with it, its diagnostics
/// say which line, and the connection stays usable. While the COPY runs, the connection's other
/// requests wait (they are never written into it). Used on the connection's executor.
///
/// Timeouts and cancellation work as for a query, for each operation that waits: a write that
/// waits for the socket, async_finish and async_abort waiting for the server. Each has a
/// timeout, its own (pgasio::with_timeout) or else the connection's query timeout, counted
/// while it waits, and its token's cancellation slot (for async_finish and async_abort only
/// terminal cancellation, as for a query the server runs). Past its timeout, or cancelled, the
/// operation fails with client_errc::query_timeout (or operation_aborted) at once, and the COPY
/// is stopped: ended with CopyFail unless async_finish sent CopyDone already, so the server
/// commits nothing of it, and cancelled on the server (a CancelRequest), which may be stuck
/// where CopyFail cannot reach it (waiting for a lock or in a slow trigger). Every later
/// operation fails with the same error; the connection stays usable once the server has
/// answered. As with a query's timeout, an async_finish past its timeout fails although the
/// server may have completed (and committed) the COPY just before the cancel reached it.
///
/// @code
/// auto copy = co_await conn.async_copy_in("COPY items (id, name) FROM STDIN (FORMAT csv)");
/// for (const auto& item : items)
///     co_await copy.async_write(fmt::format("{},{}\n", item.id, csv_quote(item.name)));
/// std::uint64_t rows = co_await copy.async_finish();
/// @endcode
class copy_writer {
public:
    /// Bytes gathered before they are sent, unless the COPY was started with
    /// pgasio::with_copy_buffer.
    static constexpr std::size_t chunk_bytes = 64 * 1024;

    /// An empty writer: its operations fail with client_errc::copy_ended.
    copy_writer() = default;
    /// Made by connection::async_copy_in, which hands it out.
    explicit copy_writer(std::shared_ptr<detail::copy_in_state> state) noexcept
        : state_(std::move(state)) {}
    /// Takes over the COPY; the source is left empty.
    copy_writer(copy_writer&&) noexcept = default;
    /// Aborts this writer's COPY if it is unfinished, then takes over `other`'s.
    copy_writer& operator=(copy_writer&& other) noexcept {
        if (this != &other) {
            abort_in_background();
            state_ = std::move(other.state_);
        }
        return *this;
    }
    copy_writer(const copy_writer&) = delete;
    copy_writer& operator=(const copy_writer&) = delete;
    /// Aborts the COPY (CopyFail) unless it was finished or aborted.
    ~copy_writer() { abort_in_background(); }

    /// The bytes gathered before they are sent: chunk_bytes, or what pgasio::with_copy_buffer
    /// gave the COPY.
    std::size_t buffer_bytes() const noexcept;

    /// Adds `data` to the COPY (copied: the caller's buffer may go at once). Completion
    /// signature: void(error_code): at once unless the buffer filled, else once the socket
    /// took it. Errors: the server's, once it has ended the COPY with an error;
    /// client_errc::copy_ended after async_finish or async_abort; the connection's.
    /// A write that waits for the socket past its timeout (client_errc::query_timeout), or is
    /// cancelled (any cancellation type: operation_aborted), stops the whole COPY (see the
    /// class): nothing of it is committed.
    template <class Token = default_token>
    auto async_write(std::span<const std::byte> data, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [state = state_](auto handler, detail::op_settings op,
                             std::span<const std::byte> bytes) {
                start_write(state, void_handler(std::move(handler)), op, bytes);
            },
            token, detail::op_settings{}, data);
    }
    /// async_write of text (a CSV or text-format line, say).
    template <class Token = default_token>
    auto async_write(std::string_view data, Token&& token = {}) {
        return async_write(std::as_bytes(std::span<const char>(data.data(), data.size())),
                           std::forward<Token>(token));
    }

    /// Sends what is gathered and CopyDone, and waits for the server's verdict. Completion
    /// signature: void(error_code, std::uint64_t rows copied). Errors: the server's (nothing
    /// was copied then), copy_ended after async_abort, client_errc::query_timeout past its
    /// timeout and operation_aborted when cancelled (the COPY is cancelled on the server, as a
    /// query is: see the class), the connection's.
    template <class Token = default_token>
    auto async_finish(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, std::uint64_t)>(
            [state = state_](auto handler, detail::op_settings op) {
                start_finish(state, count_handler(std::move(handler)), op);
            },
            token, detail::op_settings{});
    }

    /// Ends the COPY with CopyFail and `reason`: the server copies nothing of it. Completion
    /// signature: void(error_code): success once the server has rolled the COPY back. Its
    /// timeout and cancellation stop the COPY on the server too (see the class).
    template <class Token = default_token>
    auto async_abort(std::string_view reason, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [state = state_](auto handler, detail::op_settings op, std::string why) {
                start_abort(state, void_handler(std::move(handler)), op, std::move(why));
            },
            token, detail::op_settings{}, std::string(reason));
    }

private:
    friend class copy_row_writer;
    using void_handler = boost::asio::any_completion_handler<void(error_code)>;
    using count_handler = boost::asio::any_completion_handler<void(error_code, std::uint64_t)>;
    static void start_write(const std::shared_ptr<detail::copy_in_state>& state,
                            void_handler handler, const detail::op_settings& op,
                            std::span<const std::byte> data);
    // Sends `messages`, whole CopyData messages the caller framed (the typed writer's chunk),
    // after what is gathered; completes once the socket took them.
    static void start_send(const std::shared_ptr<detail::copy_in_state>& state,
                           void_handler handler, const detail::op_settings& op,
                           std::span<const std::byte> messages);
    // Ends the COPY as async_finish does, `last` (whole CopyData messages) sent before CopyDone.
    static void start_finish(const std::shared_ptr<detail::copy_in_state>& state,
                             count_handler handler, const detail::op_settings& op,
                             std::span<const std::byte> last = {});
    static void start_abort(const std::shared_ptr<detail::copy_in_state>& state,
                            void_handler handler, const detail::op_settings& op,
                            std::string reason);
    void abort_in_background() noexcept;

    std::shared_ptr<detail::copy_in_state> state_;
};

/// The client's side of a `COPY ... TO STDOUT` (connection::async_copy_out): the data as the
/// server sends it, in chunks of whole CopyData messages (for text and CSV one message is one
/// row; binary COPY has a header first and a trailer last).
///
/// Memory stays bounded: when the caller does not ask for the next chunk, the connection stops
/// reading from the server (TCP holds it back), so at most about two chunks of buffer_bytes()
/// wait (`chunk_bytes` unless the COPY was started with pgasio::with_copy_buffer). Destroying
/// the reader (or cancel()) before the end cancels the COPY on the server and drains what it
/// had sent; the connection stays usable. Inside a transaction block, where a cancelled COPY
/// would abort the transaction, it is not cancelled but read to its end and dropped (a read's
/// timeout still cancels it). While it runs, the connection's other requests wait.
/// Used on the connection's executor.
///
/// A read that waits for the server has a timeout, as a query has: its own
/// (pgasio::with_timeout) or else the connection's query timeout. Past it, the read fails with
/// client_errc::query_timeout and the COPY is stopped as cancel() stops it (cancelled on the
/// server, drained); later reads fail the same way.
///
/// @code
/// auto out = co_await conn.async_copy_out("COPY items TO STDOUT (FORMAT csv)");
/// for (;;) {
///     std::string chunk = co_await out.async_read();
///     if (chunk.empty()) break; // the end: out.rows() rows
///     file.write(chunk.data(), chunk.size());
/// }
/// @endcode
class copy_reader {
public:
    /// Bytes of data gathered before a chunk is handed out (a slow COPY's data is handed out
    /// as it comes, when the caller waits), unless the COPY was started with
    /// pgasio::with_copy_buffer.
    static constexpr std::size_t chunk_bytes = 64 * 1024;

    /// An empty reader: async_read fails with client_errc::copy_ended.
    copy_reader() = default;
    /// Made by connection::async_copy_out, which hands it out.
    explicit copy_reader(std::shared_ptr<detail::copy_out_state> state) noexcept
        : state_(std::move(state)) {}
    /// Takes over the COPY; the source is left empty.
    copy_reader(copy_reader&&) noexcept = default;
    /// Stops this reader's COPY if it is still running, then takes over `other`'s.
    copy_reader& operator=(copy_reader&& other) noexcept {
        if (this != &other) {
            cancel();
            state_ = std::move(other.state_);
        }
        return *this;
    }
    copy_reader(const copy_reader&) = delete;
    copy_reader& operator=(const copy_reader&) = delete;
    /// Stops the COPY if it is still running (see cancel()).
    ~copy_reader() { cancel(); }

    /// The next chunk of data; empty at the end (then every further call gives the same).
    /// Completion signature: void(error_code, std::string). Errors: the server's (after the
    /// chunks that came before it), operation_aborted after cancel(), in_progress when another
    /// async_read waits, copy_ended for an empty reader, client_errc::query_timeout past its
    /// timeout (see the class), the connection's. Cancelling a read that waits (any Asio
    /// cancellation slot) stops the COPY as cancel() does.
    template <class Token = default_token>
    auto async_read(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, std::string)>(
            [state = state_](auto handler, detail::op_settings op) {
                start_read(state, chunk_handler(std::move(handler)), op);
            },
            token, detail::op_settings{});
    }

    /// The rows the COPY sent: known once async_read has returned the end (0 before).
    std::uint64_t rows() const noexcept;

    /// The bytes of data gathered before a chunk is handed out: chunk_bytes, or what
    /// pgasio::with_copy_buffer gave the COPY.
    std::size_t buffer_bytes() const noexcept;

    /// Stops the COPY: cancelled on the server if it is still running (outside a transaction
    /// block: see the class), what it sent is drained, later reads fail with operation_aborted.
    /// Does nothing once it has ended.
    void cancel() noexcept;

private:
    friend class copy_row_reader;
    using chunk_handler = boost::asio::any_completion_handler<void(error_code, std::string)>;
    static void start_read(const std::shared_ptr<detail::copy_out_state>& state,
                           chunk_handler handler, const detail::op_settings& op);

    std::shared_ptr<detail::copy_out_state> state_;
};

} // namespace pgasio

namespace boost::asio {

// with_copy_buffer sets its part of the op_settings every pgasio initiation takes first, and
// hands the operation on to the token it wraps.
template <class Token, class... Signatures>
struct async_result<pgasio::with_copy_buffer_t<Token>, Signatures...> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& init, RawToken&& token, pgasio::detail::op_settings op,
                         Args&&... args) {
        op.copy_buffer = token.bytes;
        return async_initiate<Token, Signatures...>(std::forward<Initiation>(init), token.token, op,
                                                    std::forward<Args>(args)...);
    }
};

} // namespace boost::asio
