// The transport's recorded and replayed sessions (see config::simulation).
#include "transport.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/post.hpp>

namespace pgasio::detail {
namespace {

std::span<const std::byte> bytes_of(asio::const_buffer b) noexcept {
    return {static_cast<const std::byte*>(b.data()), b.size()};
}

} // namespace

void transport::wired_read(asio::mutable_buffer b,
                           asio::any_completion_handler<void(error_code, std::size_t)> handler) {
    if (served_) {
        if (waiting_read_) {
            // The engine never reads twice at once; refuse rather than lose a handler.
            asio::post(tcp_.get_executor(),
                       asio::append(std::move(handler), error_code(asio::error::in_progress),
                                    std::size_t{0}));
            return;
        }
        // Swapped in: Boost 1.81's any_completion_handler move assignment wraps the handler in
        // itself without end (see connection_impl::parked).
        waiting_read_.swap(handler);
        waiting_buffer_ = b;
        serve_waiting_read();
        return;
    }
    // Recorded: what arrives is handed to the session before the reader sees it.
    auto done = [this, b, h = std::move(handler)](error_code ec, std::size_t n) mutable {
        if (!ec && wire_ && !served_) wire_->received(bytes_of(asio::const_buffer(b.data(), n)));
        std::move(h)(ec, n);
    };
    if (tls_)
        tls_->async_read_some(b, std::move(done));
    else if (unix_.is_open())
        unix_.async_read_some(b, std::move(done));
    else
        tcp_.async_read_some(b, std::move(done));
}

error_code transport::wire_sent(asio::const_buffer b) {
    if (wire_ec_) return wire_ec_;
    std::string why;
    const error_code ec = wire_->sent(bytes_of(b), why);
    if (!ec || !served_) return error_code{};
    wire_ec_ = ec;
    failure_ = std::move(why);
    return ec;
}

std::size_t transport::served_try_write(asio::const_buffer b) noexcept {
    if (!wire_) return 0; // closed: the asynchronous write reports it
    const error_code ec = wire_sent(b);
    serve_waiting_read();
    return ec ? 0 : b.size();
}

void transport::finish_served_write(
    asio::any_completion_handler<void(error_code, std::size_t)> handler, error_code ec,
    std::size_t n) {
    asio::post(tcp_.get_executor(), asio::append(std::move(handler), ec, n));
    serve_waiting_read();
}

void transport::serve_waiting_read() {
    if (!waiting_read_) return;
    std::size_t n = 0;
    if (!wire_ec_) {
        n = wire_->answer(
            {static_cast<std::byte*>(waiting_buffer_.data()), waiting_buffer_.size()});
        if (n == 0) return; // nothing due yet: like an idle server
    }
    auto h = std::move(waiting_read_); // leaves waiting_read_ empty
    asio::post(tcp_.get_executor(), asio::append(std::move(h), wire_ec_, n));
}

void transport::cancel_sent() {
    if (!wire_) return;
    wire_->cancel_sent();
    serve_waiting_read();
}

void transport::detach_wire() noexcept {
    if (waiting_read_) {
        auto h = std::move(waiting_read_);
        asio::post(
            tcp_.get_executor(),
            asio::append(std::move(h), error_code(asio::error::operation_aborted), std::size_t{0}));
    }
    wire_.reset();
    served_ = false;
    wire_ec_ = {};
}

} // namespace pgasio::detail
