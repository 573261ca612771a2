// pgasio health URL [REPLICA_URL...]: the health check of a primary and its replicas, as the
// cluster router sees them: who is the primary, each member's latency, each replica's lag.
#include "command.hpp"
#include "session.hpp"

#include <pgasio/cluster.hpp>

#include <boost/asio/this_coro.hpp>
#include <fmt/core.h>

#include <chrono>
#include <vector>

namespace pgasio::cli {

int health_command(std::span<const std::string> args) {
    po::options_description options("options");
    options.add_options()("url", po::value<std::vector<std::string>>()->required(),
                          "the primary's (or every member's) connection string or URI, then "
                          "each replica's")("timeout", po::value<int>()->default_value(5000),
                                            "how long each probe may take, in ms");
    po::positional_options_description positional;
    positional.add("url", -1);
    auto parsed = parse_args(
        args, options, positional,
        "usage: pgasio health URL [REPLICA_URL...]\nProbes every member (the hosts of URL, and of "
        "each REPLICA_URL) at once and prints which is the primary, each one's latency and WAL "
        "position, each replica's lag in bytes and seconds. Exit status 0 when the primary "
        "answered, 1 otherwise.");
    if (const int* status = std::get_if<int>(&parsed)) return *status;
    const auto& vm = std::get<po::variables_map>(parsed);
    const auto& urls = vm["url"].as<std::vector<std::string>>();
    config cfg = parse_url(urls.front());
    for (std::size_t i = 1; i < urls.size(); ++i)
        for (auto& host : parse_url(urls[i]).hosts)
            cfg.replicas.push_back(std::move(host));
    // One connection per member is all a health check needs.
    cfg.pool.min_connections = 0;
    cfg.pool.max_connections = 1;
    const std::chrono::milliseconds timeout(vm["timeout"].as<int>());
    return run([&]() -> boost::asio::awaitable<int> {
        cluster members(co_await boost::asio::this_coro::executor, cfg);
        const cluster_health health = co_await members.async_health_check(timeout);
        fmt::print("{}\n", health);
        co_await members.async_close();
        co_return health.healthy ? 0 : 1;
    });
}

} // namespace pgasio::cli
