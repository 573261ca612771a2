// config_builder: a connection string plus settings given one by one, checked at build().
#include "config_raw.hpp"

namespace pgasio {

using boost::system::result;
using namespace detail;

config_builder::config_builder(std::string conninfo)
    : conninfo_(std::move(conninfo)) {}

config_builder& config_builder::env(environment e) {
    env_ = std::move(e);
    return *this;
}

config_builder& config_builder::set(std::string key_name, std::string value) {
    settings_.emplace_back(std::move(key_name), std::move(value));
    return *this;
}

config_builder& config_builder::password(secret_string pw) {
    password_ = std::move(pw);
    has_password_ = true;
    return *this;
}

config_builder& config_builder::user(std::string v) {
    return set("user", std::move(v));
}
config_builder& config_builder::dbname(std::string v) {
    return set("dbname", std::move(v));
}
config_builder& config_builder::application_name(std::string v) {
    return set("application_name", std::move(v));
}
config_builder& config_builder::sslmode(ssl_mode m) {
    return set("sslmode", std::string(pgasio::to_string(m)));
}
config_builder& config_builder::connect_timeout(std::chrono::seconds t) {
    return set("connect_timeout", std::to_string(t.count()));
}
config_builder& config_builder::statement_timeout(std::chrono::milliseconds t) {
    return set("statement_timeout", std::to_string(t.count()));
}
config_builder& config_builder::statement_cache_capacity(std::size_t n) {
    return set("statement_cache_capacity", std::to_string(n));
}
config_builder& config_builder::default_query_exec_mode(query_exec_mode m) {
    return set("default_query_exec_mode", std::string(pgasio::to_string(m)));
}
config_builder& config_builder::pool_size(std::size_t min_connections,
                                          std::size_t max_connections) {
    pool_.min_connections = min_connections;
    pool_.max_connections = max_connections;
    return *this;
}
config_builder& config_builder::query_timeout(std::chrono::milliseconds t) {
    pool_.query_timeout = t;
    return *this;
}
config_builder& config_builder::acquire_timeout(std::chrono::milliseconds t) {
    pool_.acquire_timeout = t;
    return *this;
}
config_builder& config_builder::idle_timeout(std::chrono::milliseconds t) {
    pool_.idle_timeout = t;
    return *this;
}
config_builder& config_builder::max_lifetime(std::chrono::milliseconds t) {
    pool_.max_lifetime = t;
    return *this;
}
config_builder& config_builder::health_check_interval(std::chrono::milliseconds t) {
    pool_.health_check_interval = t;
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
    if (auto ok = cfg->validate(); !ok) return ok.error();
    return cfg;
}

} // namespace pgasio
