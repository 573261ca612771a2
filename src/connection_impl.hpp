// The state behind a pgasio::connection.
#pragma once

#include "transport.hpp"

#include <pgasio/config.hpp>
#include <pgasio/protocol/framer.hpp>
#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pgasio::detail {

/// Owned by the connection through a shared_ptr, so that an operation in flight keeps it alive
/// after the connection object itself is gone.
class connection_impl : public std::enable_shared_from_this<connection_impl> {
public:
    explicit connection_impl(asio::any_io_executor ex)
        : executor(ex)
        , io(ex) {}

    /// Opens the session (see connection::async_connect).
    asio::awaitable<error_code> connect(config cfg, diagnostics& diag);
    /// Sends Terminate and closes.
    asio::awaitable<error_code> close();

    asio::any_io_executor executor;
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
};

} // namespace pgasio::detail
