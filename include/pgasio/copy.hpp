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

/// The client's side of a `COPY ... FROM STDIN` (connection::async_copy_in): the data, in the
/// format the statement names (text, CSV or binary), as bytes.
///
/// Writes are gathered into CopyData messages of about `chunk_bytes` and sent as they fill; a
/// write that sends completes once the socket has taken the bytes, so a producer that awaits
/// each write never holds more than about one chunk in memory, whatever it copies (TCP holds
/// it back when the server is slower). Rows split across writes are fine: the server sees one
/// stream of bytes.
///
/// async_finish ends the COPY and says how many rows the server took; async_abort (or
/// destroying the writer before async_finish) sends CopyFail, and the server rolls the whole
/// COPY back: nothing of it is committed. A server error in the middle (a constraint, a
/// malformed line) ends the COPY: the next write or async_finish fails with it, its diagnostics
/// say which line, and the connection stays usable. While the COPY runs, the connection's other
/// requests wait (they are never written into it). Used on the connection's executor.
///
/// @code
/// auto copy = co_await conn.async_copy_in("COPY items (id, name) FROM STDIN (FORMAT csv)");
/// for (const auto& item : items)
///     co_await copy.async_write(fmt::format("{},{}\n", item.id, csv_quote(item.name)));
/// std::uint64_t rows = co_await copy.async_finish();
/// @endcode
class copy_writer {
public:
    /// Bytes gathered before they are sent (one CopyData message).
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

    /// Adds `data` to the COPY (copied: the caller's buffer may go at once). Completion
    /// signature: void(error_code). Errors: the server's, once it has ended the COPY with an
    /// error; client_errc::copy_ended after async_finish or async_abort; the connection's.
    /// Cancelling a write that waits for the socket (any Asio cancellation slot) aborts the
    /// whole COPY as async_abort does, and the write fails with operation_aborted.
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
    /// was copied then), copy_ended after async_abort, the connection's.
    /// Not cancellable: once CopyDone is sent, the server decides.
    template <class Token = default_token>
    auto async_finish(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, std::uint64_t)>(
            [state = state_](auto handler, detail::op_settings op) {
                start_finish(state, count_handler(std::move(handler)), op);
            },
            token, detail::op_settings{});
    }

    /// Ends the COPY with CopyFail and `reason`: the server copies nothing of it. Completion
    /// signature: void(error_code): success once the server has rolled the COPY back.
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
/// reading from the server (TCP holds it back), so at most about two chunks of `chunk_bytes`
/// wait. Destroying the reader (or cancel()) before the end cancels the COPY on the server and
/// drains what it had sent; the connection stays usable. While it runs, the connection's other
/// requests wait. Used on the connection's executor.
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
    /// as it comes, when the caller waits).
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
    /// async_read waits, copy_ended for an empty reader, the connection's. Cancelling a read
    /// that waits (any Asio cancellation slot) stops the COPY as cancel() does.
    template <class Token = default_token>
    auto async_read(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, std::string)>(
            [state = state_](auto handler, detail::op_settings op) {
                start_read(state, chunk_handler(std::move(handler)), op.diag);
            },
            token, detail::op_settings{});
    }

    /// The rows the COPY sent: known once async_read has returned the end (0 before).
    std::uint64_t rows() const noexcept;

    /// Stops the COPY: cancelled on the server if it is still running, what it sent is
    /// drained, later reads fail with operation_aborted. Does nothing once it has ended.
    void cancel() noexcept;

private:
    friend class copy_row_reader;
    using chunk_handler = boost::asio::any_completion_handler<void(error_code, std::string)>;
    static void start_read(const std::shared_ptr<detail::copy_out_state>& state,
                           chunk_handler handler, diagnostics* diag);

    std::shared_ptr<detail::copy_out_state> state_;
};

} // namespace pgasio
