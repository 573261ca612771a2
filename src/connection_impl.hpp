// The state behind a pgasio::connection.
#pragma once

#include "request.hpp"
#include "transport.hpp"

#include <pgasio/config.hpp>
#include <pgasio/detail/result_builder.hpp>
#include <pgasio/protocol/framer.hpp>
#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pgasio::detail {

/// A non-owning reference to the function that encodes a request's messages (no allocation, as
/// std::function would need on the hot path). It returns an error and says why in `why`.
class encoder_ref {
public:
    template <class F>
    encoder_ref(F& f) noexcept // NOLINT: implicit on purpose, from a lambda at the call site
        : ctx_(&f)
        , fn_([](void* ctx, protocol::write_buffer& out, std::string& why) -> error_code {
            return (*static_cast<F*>(ctx))(out, why);
        }) {}
    error_code operator()(protocol::write_buffer& out, std::string& why) const {
        return fn_(ctx_, out, why);
    }

private:
    void* ctx_;
    error_code (*fn_)(void*, protocol::write_buffer&, std::string&);
};

/// Owned by the connection through a shared_ptr, so that an operation in flight keeps it alive
/// after the connection object itself is gone.
class connection_impl : public std::enable_shared_from_this<connection_impl> {
public:
    explicit connection_impl(asio::any_io_executor ex)
        : executor(ex)
        , completion_executor(std::nothrow, ex)
        , io(ex)
        , write_done(ex) {}

    /// Opens the session (see connection::async_connect).
    asio::awaitable<error_code> connect(config cfg, diagnostics& diag);
    /// Sends Terminate and closes.
    asio::awaitable<error_code> close();

    // The engine: every operation after connect goes through here. Requests are encoded into
    // `writer` as they arrive and written back to back: one write for all that are ready
    // (those queued while the previous write was in flight, or while the read loop handed out
    // a batch of answers), and answered in order at each ReadyForQuery by the one read loop
    // that runs while the connection is open.

    /// Queues `r`, whose messages `encode` appends; answers the caller at once when the
    /// connection is closed or encoding fails (nothing is sent then).
    void enqueue(std::unique_ptr<request> r, encoder_ref encode);
    /// Starts the read loop (after a successful connect).
    void start_reading();
    /// Fails every request and closes: the stream can no longer be trusted (or is gone).
    void fail_all(error_code ec, const diagnostics& diag);
    /// The caller gave up on `r` (cancellation or timeout): answer it with `reason` now; drop it
    /// if unsent, else let its answers drain, asking the server to stop it when that is safe.
    void cancel(request* r, error_code reason);
    /// A name for the next prepared statement.
    std::string next_statement_name();
    /// Answers `r` with operation_aborted (the connection closed under it).
    void answer_closed(request& r);

    asio::any_io_executor executor;
    /// `executor` as handlers' associated executors are compared: a handler whose executor
    /// this is gets called directly, as everything here already runs on it.
    asio::any_completion_executor completion_executor;
    transport io;
    std::shared_ptr<asio::ssl::context> tls_context; // outlives the TLS stream in `io`
    protocol::framer reader;
    protocol::write_buffer writer;

    bool open = false;
    bool channel_binding = false;
    host_spec connected_host;
    std::map<std::string, std::string, std::less<>> parameters;
    std::int32_t process_id = 0;
    std::vector<std::byte> secret_key;
    protocol::protocol_version version = protocol::protocol_version::v3_0;

    // Engine state.
    std::deque<std::unique_ptr<request>> queue; // in the order of their bytes on the wire
    protocol::write_buffer sending;             // the bytes of the write in progress
    bool write_in_progress = false;
    std::size_t unwritten = 0; // requests at the back of `queue` whose bytes are still in `writer`
    asio::steady_timer write_done; // woken (cancelled) when a write completes, for close()
    std::chrono::milliseconds query_timeout{0};
    std::function<void(const diagnostics&)> notice_handler;
    std::deque<notification> notifications;
    std::optional<asio::any_completion_handler<void(error_code, notification)>> notification_waiter;
    asio::cancellation_slot notification_slot; // the waiter's, cleared when it is answered
    /// Answers the notification waiter (if any) with `ec` and `n`.
    void answer_notification_waiter(error_code ec, notification n);

    // Where CancelRequest goes: the address the session was opened to.
    std::optional<asio::ip::tcp::endpoint> peer_tcp;
    std::string peer_unix;

private:
    /// Hands out the buffered messages, writes what they queued, and reads more (the read loop).
    void read_more();
    /// A read completed with `n` bytes (or failed, or found the stream closed).
    void on_read(error_code ec, std::size_t n);
    /// Handles every whole message buffered, with `answering_` set meanwhile.
    void handle_buffered();
    void handle(const protocol::message_view& m);
    /// Adds a DataRow to `r`'s result (or checks and drops it when `r` no longer wants rows).
    void handle_data_row(request& r, std::span<const std::byte> body);
    /// Fails everything: the server sent a message that does not decode (`what` names it).
    void malformed_message(error_code ec, const char* what);
    void finish_front();
    void start_write();
    asio::awaitable<void> send_cancel_request();

    std::uint64_t statement_counter_ = 0;
    std::uint64_t request_counter_ = 0;
    // A cancelled request holds back later writes until both its ReadyForQuery (barrier_) and
    // the server's close of the cancel connection (cancel_in_flight_) are through, so that the
    // cancel cannot reach the session after a later query started (and stop that one instead).
    request* barrier_ = nullptr;
    bool cancel_in_flight_ = false;
    // True while the read loop hands a batch of messages to their requests: requests queued
    // meanwhile are written together once the batch is through.
    bool answering_ = false;
    // Builds the results of the request at the front of the queue (the only one the server is
    // answering), in buffers kept from one result to the next.
    result_builder builder_;
    diagnostics fatal_diag_;    // a FATAL ErrorResponse outside any request (admin shutdown...)
    std::string closed_reason_; // why the engine closed the connection (empty: it did not)
    error_code fatal_ec_;
};

} // namespace pgasio::detail
