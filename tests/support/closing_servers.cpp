#include "closing_servers.hpp"

#include "run.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <string>

namespace pgasio::test {

namespace asio = boost::asio;
using asio::ip::tcp;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct closing_servers::server {
    explicit server(asio::any_io_executor ex)
        : acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
    tcp::acceptor acceptor;
    std::vector<clock::time_point> accepted;
};

closing_servers::closing_servers(asio::any_io_executor ex, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        auto s = std::make_shared<server>(ex);
        servers_.push_back(s);
        asio::co_spawn(
            ex,
            [s, ex]() -> asio::awaitable<void> {
                for (;;) {
                    tcp::socket socket(ex);
                    auto [ec] = co_await s->acceptor.async_accept(
                        socket, asio::as_tuple(asio::use_awaitable));
                    if (ec) co_return;
                    s->accepted.push_back(clock::now());
                } // closed here: the attempt fails
            },
            asio::detached);
    }
}

closing_servers::~closing_servers() {
    close();
}

unsigned short closing_servers::port(std::size_t i) const {
    return servers_.at(i)->acceptor.local_endpoint().port();
}

asio::awaitable<bool> closing_servers::async_wait_for_attempts(std::size_t attempts,
                                                               std::chrono::milliseconds limit) {
    co_return co_await eventually(
        [&] {
            return std::all_of(servers_.begin(), servers_.end(),
                               [&](const auto& s) { return s->accepted.size() > attempts; });
        },
        limit);
}

void closing_servers::close() {
    for (auto& s : servers_) {
        boost::system::error_code ignored;
        s->acceptor.close(ignored);
    }
}

void closing_servers::check_jittered_backoff(std::size_t gaps, std::string_view who) const {
    std::size_t short_gaps = 0; // clearly below their doubling bound
    std::string seen;
    for (const auto& s : servers_) {
        const auto& times = s->accepted;
        REQUIRE(times.size() > gaps);
        for (std::size_t i = 0; i < gaps; ++i) {
            const auto bound = 100ms * (1 << i);
            const auto gap = times[i + 1] - times[i];
            seen +=
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(gap).count()) +
                (i + 1 < gaps ? "/" : " ");
            CHECK(gap >= bound / 2);
            if (gap < bound * 85 / 100) ++short_gaps;
        }
    }
    INFO("gaps in ms, per " << who << ": " << seen);
    CHECK(short_gaps > 0);
}

} // namespace pgasio::test
