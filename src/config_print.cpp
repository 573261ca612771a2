// Validation and printing of a config: the rules a hand-made config must follow, and the
// connection string (and log line) that describes one.
#include "config_names.hpp"
#include "config_raw.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <ostream>

namespace pgasio {

using boost::system::result;
using namespace detail;

namespace {

// The longest duration a configuration may give: added to a steady_clock time point, a duration
// is taken in nanoseconds, which overflow past about 292 years (milliseconds::max() included,
// a common way to write "forever"); the pool's lifetimes are also stretched by their jitter.
constexpr std::chrono::hours longest_duration{24 * 365 * 100};

bool is_numeric_address(const std::string& text) {
    in6_addr buffer{};
    return inet_pton(AF_INET, text.c_str(), &buffer) == 1 ||
           inet_pton(AF_INET6, text.c_str(), &buffer) == 1;
}

// `n` in the largest of `units` that divides it exactly (the table's first unit is 1).
template <std::size_t N>
std::string in_largest_unit(long long n, const name_table<long long, N>& units) {
    if (n == 0) return "0";
    for (auto it = units.rbegin(); it != units.rend(); ++it)
        if (n % it->second == 0) return fmt::format("{}{}", n / it->second, it->first);
    return std::to_string(n);
}

// A duration as a connection string writes it: "30s", "10min", "1500ms".
std::string format_duration(std::chrono::milliseconds d) {
    return in_largest_unit(d.count(), time_units);
}

// A value as a connection string writes it: quoted when empty or when it holds whitespace, a
// quote or a backslash.
std::string quote_value(std::string_view v) {
    bool plain = !v.empty() && std::none_of(v.begin(), v.end(), [](char c) {
        return is_space(c) || c == '\'' || c == '\\';
    });
    if (plain) return std::string(v);
    std::string out = "'";
    for (char c : v) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    out += '\'';
    return out;
}

result<void, config_error> validate_host(const host_spec& h) {
    if (h.host.empty() && h.hostaddr.empty())
        return make_error(config_errc::invalid_value, "a host entry has neither host nor hostaddr");
    if (h.port == 0) return make_error(config_errc::invalid_value, "port 0 out of range (1-65535)");
    if (!h.hostaddr.empty() && !is_numeric_address(h.hostaddr))
        return make_error(config_errc::invalid_value,
                          fmt::format("hostaddr '{}' is not a numeric IP address", h.hostaddr));
    return {};
}

result<void, config_error> validate_hosts(const std::vector<host_spec>& hosts,
                                          const std::vector<host_spec>& replicas) {
    for (const auto& h : hosts)
        if (auto ok = validate_host(h); !ok) return ok;
    for (const auto& r : replicas) {
        if (auto ok = validate_host(r); !ok) return ok;
        if (std::find(hosts.begin(), hosts.end(), r) != hosts.end())
            return make_error(config_errc::conflicting_settings,
                              fmt::format("replica {} is also one of the hosts", to_string(r)));
    }
    return {};
}

} // namespace

std::string to_string(const host_spec& h) {
    if (h.is_unix_socket()) return h.unix_socket_path();
    const std::string& name = h.host.empty() ? h.hostaddr : h.host;
    std::string out = name.find(':') == std::string::npos ? fmt::format("{}:{}", name, h.port)
                                                          : fmt::format("[{}]:{}", name, h.port);
    if (!h.host.empty() && !h.hostaddr.empty()) out += fmt::format(" ({})", h.hostaddr);
    return out;
}

result<void, config_error> config::validate() const {
    auto fail = [](config_errc code, std::string message) -> result<void, config_error> {
        return make_error(code, std::move(message));
    };
    if (hosts.empty()) return fail(config_errc::invalid_value, "no host given");
    if (auto ok = validate_hosts(hosts, replicas); !ok) return ok;
    if (user.empty()) return fail(config_errc::unknown_user, "no user name given");
    if (dbname.empty()) return fail(config_errc::invalid_value, "no database name given");
    if (sslnegotiation == ssl_negotiation::direct && sslmode < ssl_mode::require)
        return fail(config_errc::conflicting_settings,
                    fmt::format("weak sslmode '{}' may not be used with sslnegotiation=direct "
                                "(use require, verify-ca or verify-full)",
                                pgasio::to_string(sslmode)));
    if (sslrootcert == "system" && sslmode != ssl_mode::verify_full)
        return fail(config_errc::conflicting_settings,
                    fmt::format("weak sslmode '{}' may not be used with sslrootcert=system (use "
                                "verify-full)",
                                pgasio::to_string(sslmode)));
    if (channel_binding == channel_binding_mode::require && sslmode == ssl_mode::disable)
        return fail(config_errc::conflicting_settings,
                    "channel_binding=require needs TLS, which sslmode=disable forbids");
    if (require_auth.empty())
        return fail(config_errc::invalid_value, "require_auth allows no authentication method");
    if (max_message_size < static_cast<std::size_t>(min_message_size_limit) ||
        max_message_size > static_cast<std::size_t>(max_message_size_limit))
        return fail(
            config_errc::invalid_value,
            fmt::format("max_message_size {} out of range (8192 to 2147483647)", max_message_size));
    if (connect_timeout.count() < 0)
        return fail(config_errc::invalid_value, "connect_timeout is negative");
    if (connect_timeout > longest_duration)
        return fail(config_errc::invalid_value,
                    "connect_timeout is longer than 100 years, the longest pgasio takes");
    if (keepalives_idle.count() < 0 || keepalives_interval.count() < 0 || keepalives_count < 0)
        return fail(config_errc::invalid_value,
                    "keepalives_idle, keepalives_interval and keepalives_count must not be "
                    "negative");
    if (statement_timeout.count() < 0)
        return fail(config_errc::invalid_value, "statement_timeout is negative");
    if (pool.max_connections < 1)
        return fail(config_errc::invalid_value, "max_connections must be at least 1");
    if (pool.max_connecting < 1)
        return fail(config_errc::invalid_value, "max_connecting must be at least 1");
    if (pool.min_connections > pool.max_connections)
        return fail(config_errc::conflicting_settings,
                    fmt::format("min_connections {} > max_connections {}", pool.min_connections,
                                pool.max_connections));
    for (auto [name, d] : {std::pair{"query_timeout", pool.query_timeout},
                           std::pair{"acquire_timeout", pool.acquire_timeout},
                           std::pair{"idle_timeout", pool.idle_timeout},
                           std::pair{"max_lifetime", pool.max_lifetime},
                           std::pair{"health_check_interval", pool.health_check_interval},
                           std::pair{"check_idle_after", pool.check_idle_after},
                           std::pair{"leak_threshold", pool.leak_threshold}}) {
        if (d.count() < 0)
            return fail(config_errc::invalid_value, fmt::format("{} is negative", name));
        if (d > longest_duration)
            return fail(config_errc::invalid_value,
                        fmt::format("{} is longer than 100 years, the longest pgasio takes", name));
    }
    return {};
}

std::string config::to_string() const {
    std::vector<std::pair<std::string_view, std::string>> out;
    auto add = [&](key k, std::string value) {
        if (!value.empty()) out.emplace_back(name_of(k), std::move(value));
    };
    std::vector<std::string> host_names, addrs, ports;
    bool any_addr = false;
    for (const auto& h : hosts) {
        host_names.push_back(h.host);
        addrs.push_back(h.hostaddr);
        ports.push_back(std::to_string(h.port));
        any_addr = any_addr || !h.hostaddr.empty();
    }
    bool any_host =
        std::any_of(hosts.begin(), hosts.end(), [](auto& h) { return !h.host.empty(); });
    if (any_host) add(key::host, join(host_names));
    if (any_addr) add(key::hostaddr, join(addrs));
    add(key::port, join(ports));
    add(key::user, user);
    add(key::dbname, dbname);
    add(key::passfile, passfile);
    add(key::options, options);
    add(key::application_name, application_name);
    add(key::fallback_application_name, fallback_application_name);
    if (connect_timeout.count() != 0)
        add(key::connect_timeout, std::to_string(connect_timeout.count()));
    add(key::sslmode, std::string(pgasio::to_string(sslmode)));
    add(key::sslnegotiation, std::string(pgasio::to_string(sslnegotiation)));
    add(key::sslrootcert, sslrootcert);
    add(key::sslcert, sslcert);
    add(key::sslkey, sslkey);
    add(key::sslsni, sslsni ? "1" : "0");
    add(key::channel_binding, std::string(pgasio::to_string(channel_binding)));
    if (!require_auth.is_all()) add(key::require_auth, pgasio::to_string(require_auth));
    add(key::target_session_attrs, std::string(pgasio::to_string(target_session_attrs)));
    add(key::load_balance_hosts, std::string(pgasio::to_string(load_balance_hosts)));
    add(key::keepalives, keepalives ? "1" : "0");
    if (keepalives_idle.count() != 0)
        add(key::keepalives_idle, std::to_string(keepalives_idle.count()));
    if (keepalives_interval.count() != 0)
        add(key::keepalives_interval, std::to_string(keepalives_interval.count()));
    if (keepalives_count != 0) add(key::keepalives_count, std::to_string(keepalives_count));
    if (statement_timeout.count() != 0)
        add(key::statement_timeout, format_duration(statement_timeout));
    add(key::max_message_size, std::to_string(max_message_size));
    add(key::max_protocol_version, std::string(find_name(protocol_versions, max_protocol_version)));
    add(key::statement_cache_capacity, std::to_string(statement_cache_capacity));
    add(key::default_query_exec_mode, std::string(pgasio::to_string(default_query_exec_mode)));
    add(key::pipeline_read_pause, in_largest_unit(pipeline_read_pause.count(), pause_units));
    add(key::pipeline_read_pause_depth, std::to_string(pipeline_read_pause_depth));

    std::string s;
    for (const auto& [name, value] : out) {
        if (!s.empty()) s += ' ';
        s += fmt::format("{}={}", name, quote_value(value));
    }
    return s;
}

std::ostream& operator<<(std::ostream& os, const config& cfg) {
    return os << fmt::format("{}", cfg);
}

std::string to_string(const pool_options& o) {
    return fmt::format("min_connections={} max_connections={} query_timeout={} "
                       "acquire_timeout={} idle_timeout={} max_lifetime={} "
                       "health_check_interval={} check_idle_after={} max_connecting={} "
                       "leak_threshold={} reset_query='{}' name='{}' thread_safe={}",
                       o.min_connections, o.max_connections, format_duration(o.query_timeout),
                       format_duration(o.acquire_timeout), format_duration(o.idle_timeout),
                       format_duration(o.max_lifetime), format_duration(o.health_check_interval),
                       format_duration(o.check_idle_after), o.max_connecting,
                       format_duration(o.leak_threshold), o.reset_query, o.name, o.thread_safe);
}

std::ostream& operator<<(std::ostream& os, const pool_options& options) {
    return os << to_string(options);
}

std::string_view to_string(query_exec_mode mode) noexcept {
    return find_name(exec_modes, mode);
}
std::string_view to_string(ssl_mode v) noexcept {
    return find_name(ssl_modes, v);
}
std::string_view to_string(ssl_negotiation v) noexcept {
    return find_name(ssl_negotiations, v);
}
std::string_view to_string(channel_binding_mode v) noexcept {
    return find_name(channel_bindings, v);
}
std::string_view to_string(session_attrs v) noexcept {
    return find_name(session_attrs_names, v);
}
std::string_view to_string(load_balance_mode v) noexcept {
    return find_name(load_balance_modes, v);
}
std::string_view to_string(auth_method v) noexcept {
    return find_name(auth_methods, v);
}

std::string to_string(auth_method_set v) {
    std::vector<std::string> names;
    for (const auto& [name, m] : auth_methods)
        if (v.contains(m)) names.emplace_back(name);
    return join(names);
}

} // namespace pgasio

std::string fmt::formatter<pgasio::config>::describe(const pgasio::config& cfg) {
    std::string s = cfg.to_string();
    if (!cfg.password.empty()) s += fmt::format(" password={}", pgasio::redacted_text);
    if (!cfg.sslpassword.empty()) s += fmt::format(" sslpassword={}", pgasio::redacted_text);
    if (!cfg.replicas.empty()) {
        std::vector<std::string> replicas;
        for (const auto& r : cfg.replicas)
            replicas.push_back(pgasio::to_string(r));
        s += fmt::format(" (replicas: {})", fmt::join(replicas, ", "));
    }
    s += fmt::format(" (pool: {})", cfg.pool);
    return s;
}
