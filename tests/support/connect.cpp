#include "support/connect.hpp"
#include "support/pg_env.hpp"

#include <boost/asio/this_coro.hpp>

#include <stdexcept>

namespace pgasio::test {

config user_config(const std::string& role, const std::string& server, const std::string& extra) {
    const std::string conninfo = "host=" + pg_setting("PGASIO_TEST_HOST") +
                                 " port=" + pg_setting("PGASIO_TEST_" + server + "_PORT") +
                                 " dbname=" + pg_setting("PGASIO_TEST_DATABASE") +
                                 " user=" + pg_setting("PGASIO_TEST_" + role + "_USER") +
                                 " password='" + pg_setting("PGASIO_TEST_" + role + "_PASSWORD") +
                                 "' " + extra;
    auto cfg = config::parse(
        conninfo, [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
    if (!cfg) throw std::runtime_error("bad test configuration: " + cfg.error().message);
    return *cfg;
}

config test_config(const std::string& extra) {
    return user_config("SCRAM", "PRIMARY", extra);
}

boost::asio::awaitable<connection> connect_primary(const std::string& extra) {
    connection conn(co_await boost::asio::this_coro::executor);
    co_await conn.async_connect(test_config(extra));
    co_return conn;
}

config pgbouncer_config(query_exec_mode mode) {
    auto cfg = config::parse(pg_setting("PGASIO_TEST_PGBOUNCER_URL"),
                             [](std::string_view) -> std::optional<std::string> { return {}; });
    if (!cfg) throw std::runtime_error("bad pgbouncer configuration: " + cfg.error().message);
    cfg->default_query_exec_mode = mode;
    return *cfg;
}

boost::asio::awaitable<connection> connect_pgbouncer(query_exec_mode mode) {
    const auto cfg = pgbouncer_config(mode);
    connection conn(co_await boost::asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    co_return conn;
}

boost::asio::awaitable<std::int64_t> running(connection& conn, const std::string& sql) {
    auto r = co_await conn.async_query(
        "SELECT count(*) FROM pg_stat_activity WHERE query = $1 AND state = 'active'", sql);
    co_return r[0].get<std::int64_t>(0);
}

} // namespace pgasio::test
