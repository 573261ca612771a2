// A server's role in a replication cluster.
#pragma once

#include <fmt/format.h> // formatter<string_view>::format, which the formatter below uses

#include <iosfwd>
#include <string_view>

namespace pgasio {

/// What a server of a replication cluster is, as it says itself (in_hot_standby, or
/// pg_is_in_recovery()).
enum class server_role {
    primary, ///< not in recovery: accepts writes
    standby  ///< in recovery (a streaming or archive replica): read-only
};

/// "primary" or "standby".
std::string_view to_string(server_role role) noexcept;

/// Writes to_string(role).
std::ostream& operator<<(std::ostream& os, server_role role);

} // namespace pgasio

/// Formats a server_role as to_string() does.
template <>
struct fmt::formatter<pgasio::server_role> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(pgasio::server_role role, FormatContext& ctx) const -> decltype(ctx.out()) {
        return fmt::formatter<std::string_view>::format(pgasio::to_string(role), ctx);
    }
};
