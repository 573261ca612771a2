// config_builder: a connection string plus settings given one by one, checked at build().
#include "config_raw.hpp"

#include <fmt/format.h>

namespace pgasio {

using boost::system::result;
using namespace detail;

namespace {

// Reads one add_replica() text (a URI, or a URI's host list alone) into `raw`. What cannot be a
// host list (a path, a query, user information, a key=value string) is refused rather than
// taken for a strange host name.
std::optional<config_error> parse_replica_text(std::string_view text, raw_options& raw) {
    if (uri_prefix_length(text) != 0) return parse_conninfo(text, raw);
    if (text.empty() || text.find_first_of("/?@= \t") != std::string_view::npos)
        return make_error(config_errc::invalid_value,
                          "a replica is neither a postgresql:// URI nor a host[:port] list");
    return parse_conninfo(fmt::format("postgresql://{}", text), raw);
}

// A replica may repeat the primary's user, dbname and password, and set nothing else but its
// hosts: it is reached with the primary's settings.
std::optional<config_error> check_replica_settings(const raw_options& raw, const config& primary) {
    if (!raw.get(key::host) && !raw.get(key::hostaddr))
        return make_error(config_errc::invalid_value, "a replica URI names no host");
    for (std::size_t i = 0; i < key_count; ++i) {
        const auto k = static_cast<key>(i);
        const bool allowed = k == key::host || k == key::hostaddr || k == key::port ||
                             k == key::user || k == key::dbname || k == key::password;
        if (raw.values[i] && !allowed)
            return make_error(config_errc::conflicting_settings,
                              fmt::format("a replica URI sets {}: replicas take every setting but "
                                          "their hosts from the primary's configuration",
                                          name_of(k)));
    }
    auto differs = [&](key k, std::string_view primary_value) {
        return raw.get(k) && *raw.get(k) != primary_value;
    };
    if (differs(key::user, primary.user))
        return make_error(config_errc::conflicting_settings,
                          fmt::format("a replica URI names user '{}', the primary's is '{}' (every "
                                      "member of a cluster is logged in to as the same user)",
                                      *raw.get(key::user), primary.user));
    if (differs(key::dbname, primary.dbname))
        return make_error(config_errc::conflicting_settings,
                          fmt::format("a replica URI names database '{}', the primary's is '{}' "
                                      "(every member of a cluster serves the same database)",
                                      *raw.get(key::dbname), primary.dbname));
    if (differs(key::password, primary.password.reveal()))
        return make_error(config_errc::conflicting_settings,
                          "a replica URI gives a password other than the primary's");
    return std::nullopt;
}

} // namespace

config_builder::config_builder(std::string conninfo)
    : conninfo_(std::move(conninfo)) {}

config_builder& config_builder::env(environment env) {
    env_ = std::move(env);
    return *this;
}

config_builder& config_builder::set(std::string key, std::string value) {
    settings_.emplace_back(std::move(key), std::move(value));
    return *this;
}

config_builder& config_builder::password(secret_string password) {
    password_ = std::move(password);
    has_password_ = true;
    return *this;
}

config_builder& config_builder::password(std::string_view password) {
    return this->password(secret_string(password));
}

config_builder& config_builder::user(std::string user) {
    return set("user", std::move(user));
}
config_builder& config_builder::dbname(std::string dbname) {
    return set("dbname", std::move(dbname));
}
config_builder& config_builder::application_name(std::string name) {
    return set("application_name", std::move(name));
}
config_builder& config_builder::sslmode(ssl_mode mode) {
    return set("sslmode", std::string(pgasio::to_string(mode)));
}
config_builder& config_builder::connect_timeout(std::chrono::seconds timeout) {
    return set("connect_timeout", std::to_string(timeout.count()));
}
config_builder& config_builder::statement_timeout(std::chrono::milliseconds timeout) {
    return set("statement_timeout", std::to_string(timeout.count()));
}
config_builder& config_builder::statement_cache_capacity(std::size_t capacity) {
    return set("statement_cache_capacity", std::to_string(capacity));
}
config_builder& config_builder::default_query_exec_mode(query_exec_mode mode) {
    return set("default_query_exec_mode", std::string(pgasio::to_string(mode)));
}
config_builder& config_builder::pipeline_read_pause(std::chrono::microseconds pause) {
    return set("pipeline_read_pause", std::to_string(pause.count()) + "us");
}
config_builder& config_builder::pipeline_read_pause_depth(std::size_t requests) {
    return set("pipeline_read_pause_depth", std::to_string(requests));
}
config_builder& config_builder::pool_size(std::size_t min_connections,
                                          std::size_t max_connections) {
    pool_.min_connections = min_connections;
    pool_.max_connections = max_connections;
    return *this;
}
config_builder& config_builder::query_timeout(std::chrono::milliseconds timeout) {
    pool_.query_timeout = timeout;
    return *this;
}
config_builder& config_builder::acquire_timeout(std::chrono::milliseconds timeout) {
    pool_.acquire_timeout = timeout;
    return *this;
}
config_builder& config_builder::idle_timeout(std::chrono::milliseconds timeout) {
    pool_.idle_timeout = timeout;
    return *this;
}
config_builder& config_builder::max_lifetime(std::chrono::milliseconds lifetime) {
    pool_.max_lifetime = lifetime;
    return *this;
}
config_builder& config_builder::health_check_interval(std::chrono::milliseconds interval) {
    pool_.health_check_interval = interval;
    return *this;
}
config_builder& config_builder::check_idle_after(std::chrono::milliseconds idle) {
    pool_.check_idle_after = idle;
    return *this;
}
config_builder& config_builder::pool_name(std::string name) {
    pool_.name = std::move(name);
    return *this;
}
config_builder& config_builder::max_connecting(std::size_t connections) {
    pool_.max_connecting = connections;
    return *this;
}
config_builder& config_builder::leak_threshold(std::chrono::milliseconds threshold) {
    pool_.leak_threshold = threshold;
    return *this;
}
config_builder& config_builder::reset_query(std::string sql) {
    pool_.reset_query = std::move(sql);
    return *this;
}
config_builder& config_builder::thread_safe(bool on) {
    pool_.thread_safe = on;
    return *this;
}

config_builder& config_builder::add_replica(std::string_view url_or_host) {
    replicas_.emplace_back(url_or_host);
    return *this;
}

config_builder& config_builder::simulation(std::shared_ptr<wire_simulation> sim) {
    simulation_ = std::move(sim);
    return *this;
}

result<config, config_error> config_builder::build() const {
    raw_options raw;
    if (auto err = parse_conninfo(conninfo_, raw)) return *err;
    for (const auto& [name, value] : settings_)
        if (auto err = set_raw(raw, name, value)) return *err;
    if (has_password_) set_raw(raw, "password", std::string(password_.reveal()));
    auto cfg = resolve(raw, env_ ? env_ : process_environment());
    if (!cfg) return cfg;
    cfg->pool = pool_;
    cfg->simulation = simulation_;
    for (const auto& text : replicas_) {
        raw_options replica;
        if (auto err = parse_replica_text(text, replica)) return *err;
        if (auto err = check_replica_settings(replica, *cfg)) return *err;
        auto hosts = resolve_hosts(replica);
        if (!hosts) return hosts.error();
        cfg->replicas.insert(cfg->replicas.end(), hosts->begin(), hosts->end());
    }
    if (auto ok = cfg->validate(); !ok) return ok.error();
    return cfg;
}

} // namespace pgasio
