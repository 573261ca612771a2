#include "connection_impl.hpp"
#include "observe.hpp"
#include "spawn.hpp"

#include <pgasio/connection.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pgasio {
using detail::connection_impl;
using detail::observation;
using detail::spawn;

namespace {

// What letting go of a handle does to its session (connection_impl::abandon_socket), done on the
// connection's executor: at once when already there, else posted. The socket and the read
// loop's timer belong to that executor: closed from another thread, they would race the
// engine's reads and writes running there at the same time (and a descriptor closed under a
// read could be reused by another socket before the read is made).
void abandon(const std::shared_ptr<connection_impl>& impl) {
    detail::on_executor_of(*impl, [impl] { impl->abandon_socket(); });
}

} // namespace

connection::connection(const executor_type& ex)
    : impl_(std::make_shared<connection_impl>(ex)) {}
connection::~connection() {
    if (impl_) abandon(impl_);
}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&& other) noexcept {
    if (this != &other) {
        if (impl_) abandon(impl_);
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
                d = diagnostics{}; // the code's own text says it all
                co_return client_errc::already_connected;
            }
            // The session's configuration carries the observer its operations report to.
            config session = cfg;
            if (!session.observer) session.observer = default_observer();
            if (!session.observer) co_return co_await self->connect(std::move(session), d);
            auto observed = std::make_shared<const config>(session);
            observation connecting(observed, operation_kind::connect, nullptr);
            const error_code ec = co_await self->connect(std::move(session), d);
            operation_result r;
            r.ec = ec;
            connecting.finish(r);
            co_return ec;
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

const std::shared_ptr<type_registry>& connection::types() const noexcept {
    return impl_->types;
}

void connection::set_types(std::shared_ptr<type_registry> types) {
    impl_->set_types(std::move(types));
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
