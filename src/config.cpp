// The entry points of the configuration: config::parse and its relatives, and host_spec.
#include "config_raw.hpp"

#include <fmt/format.h>

namespace pgasio {

using boost::system::result;

bool host_spec::is_unix_socket() const noexcept {
    return hostaddr.empty() && !host.empty() && (host.front() == '/' || host.front() == '@');
}

std::string host_spec::unix_socket_path() const {
    return fmt::format("{}/.s.PGSQL.{}", host, port);
}

result<config, config_error> config::parse(std::string_view conninfo) {
    return parse(conninfo, process_environment());
}

result<config, config_error> config::parse(std::string_view conninfo, const environment& env) {
    detail::raw_options raw;
    if (auto err = detail::parse_conninfo(conninfo, raw)) return *err;
    auto cfg = detail::resolve(raw, env);
    if (!cfg) return cfg;
    if (auto ok = cfg->validate(); !ok) return ok.error();
    return cfg;
}

result<config, config_error> config::from_environment() {
    return parse("");
}

config_builder config::builder(std::string conninfo) {
    return config_builder(std::move(conninfo));
}

} // namespace pgasio
