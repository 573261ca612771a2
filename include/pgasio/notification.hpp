// A NOTIFY delivered to a LISTENing connection.
#pragma once

#include <cstdint>
#include <string>

namespace pgasio {

/// One notification (NOTIFY channel, 'payload' or pg_notify()), as connection::
/// async_receive_notification delivers it.
struct notification {
    std::int32_t process_id = 0; ///< the server process that sent it
    /// The channel NOTIFY was sent to.
    std::string channel;
    /// The payload (empty when none was given).
    std::string payload;
};

} // namespace pgasio
