// What a connection pool holds and has done, for monitoring.
#pragma once

#include <fmt/core.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace pgasio {

/// A snapshot of a pool (pool::stats()): its connections now, and counters since it was made.
///
/// The gauges (`open` ... `opening`) are taken together, under the pool's lock: they add up.
/// `idle + in_use == open`; a connection serving shared requests counts as in use while any of
/// them is unanswered.
struct pool_stats {
    /// Upper bounds of the acquire-wait histogram's buckets; the last bucket has none.
    static constexpr std::array<std::chrono::microseconds, 5> wait_buckets{
        std::chrono::microseconds(100), std::chrono::milliseconds(1), std::chrono::milliseconds(10),
        std::chrono::milliseconds(100), std::chrono::seconds(1)};

    std::size_t open = 0;    ///< connections open (idle or in use)
    std::size_t idle = 0;    ///< open, not leased, nothing unanswered
    std::size_t in_use = 0;  ///< leased, or answering shared requests (or a transaction's COMMIT)
    std::size_t leased = 0;  ///< of in_use: held by a lease (pool::async_acquire)
    std::size_t waiting = 0; ///< requests and acquires waiting for a connection
    std::size_t opening = 0; ///< connections being opened

    std::uint64_t acquires = 0;         ///< leases handed out
    std::uint64_t shared_requests = 0;  ///< requests run in shared mode
    std::uint64_t waited = 0;           ///< acquires and shared requests that had to wait
    std::uint64_t timeouts = 0;         ///< of those, the ones that gave up (acquire_timeout)
    std::uint64_t connects = 0;         ///< connections opened
    std::uint64_t connect_failures = 0; ///< attempts to open one that failed
    std::uint64_t closed_lifetime = 0;  ///< closed after max_lifetime
    std::uint64_t closed_idle = 0;      ///< closed after idle_timeout
    std::uint64_t closed_error = 0;     ///< dropped broken (closed by the server, a fatal error)
    std::uint64_t leaks = 0;            ///< leases held past leak_threshold (reported once each)
    /// How long the waits that ended with a connection took: counts per bucket, bucket i holding
    /// the waits up to wait_buckets[i] (and over the previous bound), the last one the longer.
    std::array<std::uint64_t, wait_buckets.size() + 1> wait_histogram{};
};

/// One line: `open=3 idle=2 in_use=1 leased=0 waiting=0 opening=0 acquires=... wait=[...]`.
std::string to_string(const pool_stats& stats);

/// Writes to_string(stats).
std::ostream& operator<<(std::ostream& os, const pool_stats& stats);

} // namespace pgasio

/// Formats pool_stats as to_string() does (no format specification). Needs only fmt/core.h.
template <>
struct fmt::formatter<pgasio::pool_stats> {
    constexpr auto parse(fmt::format_parse_context& ctx) -> decltype(ctx.begin()) {
        return ctx.begin();
    }
    template <typename FormatContext>
    auto format(const pgasio::pool_stats& stats, FormatContext& ctx) const -> decltype(ctx.out()) {
        return fmt::format_to(ctx.out(), "{}", pgasio::to_string(stats));
    }
};
