#include "connection_impl.hpp"

#include <pgasio/connection.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pgasio {
namespace {

using detail::connection_impl;

// Runs `op` (a coroutine returning error_code) on the connection's executor and completes
// `handler` with its result, on the handler's executor and with its cancellation slot.
template <class Op>
void spawn(const std::shared_ptr<connection_impl>& impl, Op op,
           boost::asio::any_completion_handler<void(error_code)> handler, diagnostics* diag) {
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    auto ex = boost::asio::get_associated_executor(handler, impl->executor);
    boost::asio::co_spawn(
        impl->executor, std::move(op),
        boost::asio::bind_cancellation_slot(
            slot, boost::asio::bind_executor(ex, [h = std::move(handler), diag, impl](
                                                     std::exception_ptr ep, error_code ec) mutable {
                // The coroutines report errors as values; an exception here is a
                // resource failure (bad_alloc) or a cancellation.
                if (ep) {
                    try {
                        std::rethrow_exception(ep);
                    } catch (const boost::system::system_error& e) {
                        ec = e.code();
                    } catch (const std::exception& e) {
                        ec = boost::asio::error::no_memory;
                        if (diag) diag->message = e.what();
                    }
                    impl->io.reset();
                    impl->open = false;
                }
                std::move(h)(ec);
            })));
}

} // namespace

connection::connection(executor_type ex)
    : impl_(std::make_shared<connection_impl>(ex)) {}
connection::~connection() {
    if (!impl_) return;
    // A connect still running must not open a session nobody owns.
    impl_->orphaned = true;
    impl_->io.close();
}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&& other) noexcept {
    if (this != &other) {
        if (impl_) {
            impl_->orphaned = true;
            impl_->io.close();
        }
        impl_ = std::move(other.impl_);
    }
    return *this;
}

connection::executor_type connection::get_executor() const noexcept {
    return impl_->executor;
}

void connection::start_connect(connection_impl* impl, handler_type handler, diagnostics* diag,
                               const config& cfg) {
    auto self = impl->shared_from_this();
    // Without a caller's diagnostics, the operation still needs somewhere to write them.
    auto own = diag ? nullptr : std::make_shared<diagnostics>();
    diagnostics& d = diag ? *diag : *own;
    spawn(
        self,
        [self, cfg, &d, own]() -> boost::asio::awaitable<error_code> {
            // Connecting again would orphan the open session and its queued requests.
            if (self->open) {
                d = diagnostics{};
                d.message = "the connection is already open; close it before connecting again";
                co_return client_errc::already_connected;
            }
            co_return co_await self->connect(cfg, d);
        },
        std::move(handler), diag);
}

boost::asio::awaitable<error_code> detail::connection_impl::close() {
    if (!io.is_open()) {
        if (open) {
            diagnostics d;
            d.message = "the connection was closed";
            shut_down(boost::asio::error::operation_aborted, d);
        }
        co_return error_code{};
    }
    // No new requests from here on; every waiter is answered now.
    if (open) {
        diagnostics d;
        d.message = "the connection was closed before the server answered";
        shut_down(boost::asio::error::operation_aborted, d);
    }
    // A write in progress must finish before Terminate goes out, or the bytes would interleave.
    while (write_in_progress) {
        write_done.expires_at(boost::asio::steady_timer::time_point::max());
        co_await write_done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    writer.clear();
    protocol::encode_terminate(writer);
    // The server may already have gone: the connection is closed either way.
    co_await io.async_write(boost::asio::buffer(writer.data().data(), writer.size()),
                            boost::asio::as_tuple(boost::asio::use_awaitable));
    writer.clear();
    io.reset();
    co_return error_code{};
}

void connection::start_close(connection_impl* impl, handler_type handler, diagnostics* diag) {
    auto self = impl->shared_from_this();
    spawn(
        self, [self]() -> boost::asio::awaitable<error_code> { co_return co_await self->close(); },
        std::move(handler), diag);
}

bool connection::is_open() const noexcept {
    return impl_ && impl_->open && impl_->io.is_open();
}
bool connection::uses_tls() const noexcept {
    return impl_ && impl_->open && impl_->io.is_tls();
}
bool connection::uses_channel_binding() const noexcept {
    return impl_ && impl_->open && impl_->channel_binding;
}
const host_spec& connection::host() const noexcept {
    return impl_->connected_host;
}
std::optional<std::string_view> connection::parameter(std::string_view name) const {
    const auto it = impl_->parameters.find(name);
    if (it == impl_->parameters.end()) return std::nullopt;
    return std::string_view(it->second);
}
std::int32_t connection::backend_pid() const noexcept {
    return impl_->process_id;
}
protocol::protocol_version connection::protocol_version() const noexcept {
    return impl_->version;
}

} // namespace pgasio
