#include "topology.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

namespace pgasio::detail {
namespace {

[[noreturn]] void fail(client_errc code, std::string message) {
    diagnostics diag;
    diag.message = std::move(message);
    throw error(code, std::move(diag));
}

wal_lsn to_lsn(std::string_view text, std::string_view what) {
    if (auto lsn = wal_lsn::parse(text)) return *lsn;
    fail(client_errc::invalid_text_value,
         fmt::format("{} returned '{}', which is not a WAL position", what, text));
}

// b - a, or 0 when a is past b.
std::uint64_t bytes_between(wal_lsn a, wal_lsn b) {
    return b > a ? static_cast<std::uint64_t>(b - a) : 0;
}

} // namespace

boost::asio::awaitable<server_role> async_server_role(connection& conn) {
    if (auto reported = conn.parameter("in_hot_standby")) {
        if (*reported == "on") co_return server_role::standby;
        if (*reported == "off") co_return server_role::primary;
        fail(
            client_errc::invalid_text_value,
            fmt::format("the server reported in_hot_standby '{}' (expected on or off)", *reported));
    }
    const auto rows =
        co_await conn.async_query_one("SELECT pg_is_in_recovery()", detail::unobserved());
    co_return rows[0].get<bool>(0) ? server_role::standby : server_role::primary;
}

boost::asio::awaitable<standby_lag> async_standby_lag(connection& conn,
                                                      std::optional<wal_lsn> primary_position) {
    // One statement, so that the positions and the clock are read at the same moment.
    const auto rows = co_await conn.async_query_one(
        "SELECT pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text, "
        "extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8",
        detail::unobserved());
    const auto row = rows[0];
    const auto replayed_text = row.try_get<std::string_view>(1);
    if (!replayed_text)
        fail(client_errc::unexpected_null,
             "pg_last_wal_replay_lsn() is NULL: the server is not a standby");
    standby_lag lag;
    lag.replayed = to_lsn(*replayed_text, "pg_last_wal_replay_lsn()");
    const auto received_text = row.try_get<std::string_view>(0);
    lag.received =
        received_text ? to_lsn(*received_text, "pg_last_wal_receive_lsn()") : lag.replayed;
    lag.bytes = bytes_between(lag.replayed, lag.received);
    if (primary_position) lag.bytes_behind_primary = bytes_between(lag.replayed, *primary_position);
    if (lag.bytes != 0)
        lag.seconds =
            std::chrono::duration<double>(std::max(0.0, row.try_get<double>(2).value_or(0.0)));
    co_return lag;
}

boost::asio::awaitable<wal_lsn> async_current_wal_lsn(connection& conn) {
    // The insert position, not pg_current_wal_lsn() (the write position): a transaction
    // committed with synchronous_commit off returns before its commit record is written, so only
    // the insert position is sure to be past every commit this session has seen.
    const auto rows = co_await conn.async_query_one("SELECT pg_current_wal_insert_lsn()::text",
                                                    detail::unobserved());
    co_return to_lsn(rows[0].get<std::string_view>(0), "pg_current_wal_insert_lsn()");
}

} // namespace pgasio::detail

namespace pgasio {

std::string_view to_string(server_role role) noexcept {
    return role == server_role::primary ? "primary" : "standby";
}

std::ostream& operator<<(std::ostream& os, server_role role) {
    return os << to_string(role);
}

} // namespace pgasio
