// The byte stream under a connection: TCP, a unix-domain socket, or TLS over TCP.
#pragma once

#include <pgasio/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <optional>

namespace pgasio::detail {

namespace asio = boost::asio;

/// One socket, in one of three forms. The engine reads and writes through it without caring
/// which; TLS is started in place on an open TCP socket (after SSLRequest, or directly).
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
                if (tls_)
                    asio::async_write(*tls_, b, std::move(handler));
                else if (unix_.is_open())
                    asio::async_write(unix_, b, std::move(handler));
                else
                    asio::async_write(tcp_, b, std::move(handler));
            },
            token, buffers);
    }

    /// Puts a plain (TCP or unix) socket in non-blocking mode, for try_write_some. Asio's
    /// asynchronous operations work the same in either mode.
    void set_non_blocking() noexcept {
        error_code ignored;
        if (tls_) return;
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
        if (tls_) return 0;
        if (unix_.is_open()) {
            if (unix_.non_blocking()) n = unix_.write_some(buffer, ec);
        } else if (tcp_.is_open() && tcp_.non_blocking()) {
            n = tcp_.write_some(buffer, ec);
        }
        return ec ? 0 : n;
    }

    /// Closes whatever is open; pending operations complete with operation_aborted.
    void close() noexcept {
        error_code ignored;
        if (tls_) tls_->next_layer().close(ignored);
        tcp_.close(ignored);
        unix_.close(ignored);
    }

    /// Forgets a TLS session (after closing), so that the transport can connect again.
    void reset() noexcept {
        close();
        tls_.reset();
    }

    bool is_open() const noexcept {
        return (tls_ && tls_->next_layer().is_open()) || tcp_.is_open() || unix_.is_open();
    }

private:
    asio::ip::tcp::socket tcp_;
    asio::local::stream_protocol::socket unix_;
    std::optional<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
};

} // namespace pgasio::detail
