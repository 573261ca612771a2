// Servers that take each connection and close it at once, for tests of how a client paces its
// attempts to connect again: every attempt fails, and the time of each accept is when it was
// made.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace pgasio::test {

/// `count` sockets listening on 127.0.0.1 (ephemeral ports), each closing every connection it
/// accepts at once and noting when it did. Closed when destroyed, or by close().
class closing_servers {
public:
    closing_servers(boost::asio::any_io_executor ex, std::size_t count);
    ~closing_servers();
    closing_servers(const closing_servers&) = delete;
    closing_servers& operator=(const closing_servers&) = delete;

    /// The port server `i` listens on.
    unsigned short port(std::size_t i) const;

    /// True once every server has accepted more than `attempts` connections; false if that has
    /// not happened within `limit`.
    boost::asio::awaitable<bool> async_wait_for_attempts(std::size_t attempts,
                                                         std::chrono::milliseconds limit);

    /// Stops accepting.
    void close();

    /// Checks, with Catch, that the pauses between each server's first `gaps` + 1 attempts are
    /// the jittered doubling a client's backoff promises: pause n drawn between half and all of
    /// 100 ms × 2^(n-1). A timer never fires early, so without the jitter every pause would be at
    /// least the whole of it: some must fall clearly below (under 85% of the bound, which a
    /// random draw does 70% of the time). `who` names what made the attempts, in the report.
    void check_jittered_backoff(std::size_t gaps, std::string_view who) const;

private:
    struct server;
    std::vector<std::shared_ptr<server>> servers_;
};

} // namespace pgasio::test
