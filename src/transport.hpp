// The byte stream under a connection: TCP, a unix-domain socket, or TLS over TCP; recorded or
// replayed when the configuration asks for it (config::simulation).
#pragma once

#include <pgasio/error.hpp>
#include <pgasio/wire_simulation.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <optional>
#include <string>

namespace pgasio::detail {

namespace asio = boost::asio;

/// One socket, in one of three forms. The engine reads and writes through it without caring
/// which; TLS is started in place on an open TCP socket (after SSLRequest, or directly).
///
/// A wire_session may be attached: one that records sees every byte read and written, one that
/// replays replaces the socket altogether. Without one, an operation pays a single branch.
class transport {
public:
    explicit transport(const asio::any_io_executor& ex)
        : tcp_(ex)
        , unix_(ex) {}

    asio::ip::tcp::socket& tcp() noexcept { return tcp_; }
    asio::local::stream_protocol::socket& unix_socket() noexcept { return unix_; }
    /// Switches to TLS over the connected TCP socket; the handshake is the caller's.
    asio::ssl::stream<asio::ip::tcp::socket>& start_tls(asio::ssl::context& ctx) {
        tls_.emplace(std::move(tcp_), ctx);
        return *tls_;
    }
    bool is_tls() const noexcept { return tls_.has_value(); }
    bool is_unix() const noexcept { return unix_.is_open(); }
    /// The TLS session, when is_tls().
    asio::ssl::stream<asio::ip::tcp::socket>& tls() noexcept { return *tls_; }

    /// Reads some bytes: completion signature void(error_code, std::size_t).
    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) {
                if (wire_) [[unlikely]]
                    return wired_read(asio::mutable_buffer(*asio::buffer_sequence_begin(b)),
                                      std::move(handler));
                if (tls_)
                    tls_->async_read_some(b, std::move(handler));
                else if (unix_.is_open())
                    unix_.async_read_some(b, std::move(handler));
                else
                    tcp_.async_read_some(b, std::move(handler));
            },
            token, buffers);
    }

    /// Writes all of `buffers`: completion signature void(error_code, std::size_t).
    template <class ConstBuffers, class Token>
    auto async_write(const ConstBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& b) {
                if (wire_) [[unlikely]] {
                    error_code ec;
                    for (auto it = asio::buffer_sequence_begin(b);
                         !ec && it != asio::buffer_sequence_end(b); ++it)
                        ec = wire_sent(asio::const_buffer(*it));
                    if (served_)
                        return finish_served_write(std::move(handler), ec,
                                                   ec ? 0 : asio::buffer_size(b));
                }
                if (tls_)
                    asio::async_write(*tls_, b, std::move(handler));
                else if (unix_.is_open())
                    asio::async_write(unix_, b, std::move(handler));
                else
                    asio::async_write(tcp_, b, std::move(handler));
            },
            token, buffers);
    }

    /// Whether a read that filled less than its buffer took all the socket held: true of a plain
    /// socket; a TLS read returns one record at a time, and a replay serves what it recorded.
    bool short_read_drains() const noexcept { return !tls_ && !served_; }

    /// Puts a plain (TCP or unix) socket in non-blocking mode, for try_write_some. Asio's
    /// asynchronous operations work the same in either mode.
    void set_non_blocking() noexcept {
        error_code ignored;
        if (tls_ || served_) return;
        if (unix_.is_open())
            unix_.non_blocking(true, ignored);
        else
            tcp_.non_blocking(true, ignored);
    }

    /// Writes what a plain socket in non-blocking mode takes at once, without waiting: the
    /// number of bytes written, 0 when it would block, when the stream is TLS (whose records
    /// only the asynchronous path writes) or after set_non_blocking was not called, and on an
    /// error (which the asynchronous write that follows will then report).
    std::size_t try_write_some(asio::const_buffer buffer) noexcept {
        error_code ec;
        std::size_t n = 0;
        if (served_) [[unlikely]]
            return served_try_write(buffer);
        if (tls_) return 0;
        if (unix_.is_open()) {
            if (unix_.non_blocking()) n = unix_.write_some(buffer, ec);
        } else if (tcp_.is_open() && tcp_.non_blocking()) {
            n = tcp_.write_some(buffer, ec);
        }
        if (ec) return 0;
        if (wire_ && n > 0) [[unlikely]]
            wire_sent(asio::const_buffer(buffer.data(), n));
        return n;
    }

    /// Closes whatever is open; pending operations complete with operation_aborted. A wire
    /// session is let go (what it says about a failure stays, for failure()).
    void close() noexcept {
        if (wire_) [[unlikely]]
            detach_wire();
        error_code ignored;
        if (tls_) tls_->next_layer().close(ignored);
        tcp_.close(ignored);
        unix_.close(ignored);
    }

    /// Forgets a TLS session (after closing), so that the transport can connect again.
    void reset() noexcept {
        close();
        tls_.reset();
        failure_.clear();
    }

    bool is_open() const noexcept {
        return (tls_ && tls_->next_layer().is_open()) || tcp_.is_open() || unix_.is_open() ||
               (wire_ && served_);
    }

    /// Records the session through `session` from now on (the socket is open).
    void record(std::shared_ptr<wire_session> session) noexcept {
        wire_ = std::move(session);
        served_ = false;
    }
    /// Serves the session from `session` (a replay): no socket at all, until close().
    void replay(std::shared_ptr<wire_session> session) noexcept {
        wire_ = std::move(session);
        served_ = true;
    }
    /// True while the session is served from a recording.
    bool replaying() const noexcept { return wire_ && served_; }
    /// Tells a wire session that a CancelRequest goes out for it (wire_session::cancel_sent):
    /// a replay may then serve the answers it held back for one.
    void cancel_sent();
    /// What a replay found different from its recording (empty when nothing was), kept after
    /// close() so that the error the connection reports can say it.
    const std::string& failure() const noexcept { return failure_; }

private:
    /// async_read_some with a wire session: served from it, or read and recorded.
    void wired_read(asio::mutable_buffer b,
                    asio::any_completion_handler<void(error_code, std::size_t)> handler);
    /// Hands `b`, about to be written, to the wire session (a replay checks it).
    error_code wire_sent(asio::const_buffer b);
    /// try_write_some on a served session: takes all of `b`, or nothing when it differs from
    /// the recording (the asynchronous write that follows reports that).
    std::size_t served_try_write(asio::const_buffer b) noexcept;
    /// Completes a served write with (ec, n) (never inline), and serves a read waiting for
    /// the answers it made due.
    void finish_served_write(asio::any_completion_handler<void(error_code, std::size_t)> handler,
                             error_code ec, std::size_t n);
    /// Completes the read waiting on a served session when answers are due, or it failed.
    void serve_waiting_read();
    /// Lets the wire session go; a read waiting on a served one ends with operation_aborted.
    void detach_wire() noexcept;

    std::shared_ptr<wire_session> wire_;
    bool served_ = false;
    std::string failure_;
    error_code wire_ec_; // a served session failed (replay_mismatch)
    // A read waiting for a served session's answers.
    asio::any_completion_handler<void(error_code, std::size_t)> waiting_read_;
    asio::mutable_buffer waiting_buffer_;

    asio::ip::tcp::socket tcp_;
    asio::local::stream_protocol::socket unix_;
    std::optional<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
};

} // namespace pgasio::detail
