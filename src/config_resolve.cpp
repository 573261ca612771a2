// The resolver: the raw strings, with the environment filling what they leave out and libpq's
// defaults the rest, turned into a config (the host lists matched, every value converted).
#include "config_names.hpp"
#include "config_raw.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

namespace pgasio::detail {
namespace {

using boost::system::result;

// ---- conversions of the string values ----

// An integer with optional surrounding whitespace and sign (libpq's parse_int_param).
std::optional<long long> to_integer(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

result<long long, config_error> integer_value(const raw_options& raw, key k, std::string_view v) {
    auto n = to_integer(v);
    if (!n || *n < std::numeric_limits<int>::min() || *n > std::numeric_limits<int>::max())
        return bad_value(raw, k, v, "an integer");
    return *n;
}

result<long long, config_error> non_negative_value(const raw_options& raw, key k,
                                                   std::string_view v) {
    auto n = integer_value(raw, k, v);
    if (n && *n < 0) return bad_value(raw, k, v, "an integer, 0 or more");
    return n;
}

template <typename E, std::size_t N>
result<E, config_error> enum_value(const raw_options& raw, key k, std::string_view v,
                                   const name_table<E, N>& table) {
    if (auto e = find_enum(table, v)) return *e;
    return bad_value(raw, k, v, expected_names(table));
}

// The methods of a require_auth list, each with whether it was negated ('!').
result<auth_method_set, config_error> listed_auth_methods(const raw_options& raw,
                                                          std::string_view v, bool& negated) {
    auto listed = auth_method_set::none_allowed();
    std::optional<bool> negated_so_far;
    while (true) {
        std::size_t comma = v.find(',');
        std::string_view item = v.substr(0, comma);
        bool neg = item.starts_with('!');
        if (neg) item.remove_prefix(1);
        if (negated_so_far && *negated_so_far != neg)
            return make_error(config_errc::invalid_value,
                              fmt::format("require_auth cannot mix negated ('!') and plain "
                                          "methods{}",
                                          origin_of(raw, key::require_auth)));
        negated_so_far = neg;
        auto m = find_enum(auth_methods, item);
        if (!m)
            return make_error(config_errc::invalid_value,
                              fmt::format("unknown require_auth method '{}'{} (expected {}, each "
                                          "optionally preceded by '!')",
                                          item, origin_of(raw, key::require_auth),
                                          expected_names(auth_methods)));
        if (listed.contains(*m))
            return make_error(config_errc::invalid_value,
                              fmt::format("require_auth method '{}' is listed more than once{}",
                                          item, origin_of(raw, key::require_auth)));
        listed.insert(*m);
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
    }
    negated = *negated_so_far;
    return listed;
}

result<auth_method_set, config_error> require_auth_value(const raw_options& raw,
                                                         std::string_view v) {
    bool negated = false;
    auto listed = listed_auth_methods(raw, v, negated);
    if (!listed || !negated) return listed;
    auto allowed = auth_method_set::all();
    for (const auto& entry : auth_methods)
        if (listed->contains(entry.second)) allowed.erase(entry.second);
    return allowed;
}

// A number with an optional unit suffix; `units` maps suffixes to multipliers.
template <std::size_t N>
std::optional<long long> with_unit(std::string_view text, const name_table<long long, N>& units,
                                   long long max) {
    text = trim(text);
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    if (digits == 0) return std::nullopt;
    long long n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + digits, n);
    if (ec != std::errc{}) return std::nullopt;
    std::string_view unit = trim(text.substr(digits));
    long long factor = 1;
    if (!unit.empty()) {
        auto it = std::find_if(units.begin(), units.end(),
                               [&](const auto& u) { return u.first == unit; });
        if (it == units.end()) return std::nullopt;
        factor = it->second;
    }
    if (n > max / factor) return std::nullopt;
    return n * factor;
}

result<std::uint16_t, config_error> port_value(const raw_options& raw, std::string_view text) {
    bool hide = raw.hidden[index(key::port)];
    std::string from = origin_of(raw, key::port);
    std::string_view t = trim(text);
    bool all_digits =
        !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!all_digits)
        return make_error(config_errc::invalid_value,
                          hide
                              ? fmt::format("a port in the URI is not a number{}{}", from, uri_hint)
                              : fmt::format("port '{}' is not a number{}", text, from));
    unsigned long long n = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc{} || n == 0 || n > 65535)
        return make_error(
            config_errc::invalid_value,
            hide ? fmt::format("a port in the URI is out of range (1-65535){}{}", from, uri_hint)
                 : fmt::format("port {} out of range (1-65535){}", t, from));
    return static_cast<std::uint16_t>(n);
}

// ---- the environment and the operating system ----

void fill_from_environment(raw_options& raw, const environment& env) {
    for (std::size_t i = 0; i < key_count; ++i) {
        if (raw.values[i] || keywords[i].env.empty()) continue;
        if (auto v = env(keywords[i].env)) {
            raw.values[i] = std::move(*v);
            raw.origin[i] = keywords[i].env;
        }
    }
}

std::optional<std::string> home_directory(const environment& env) {
    if (auto home = env("HOME"); home && !home->empty()) return home;
    std::array<char, 4096> buffer{};
    passwd pw{};
    passwd* found = nullptr;
    if (getpwuid_r(geteuid(), &pw, buffer.data(), buffer.size(), &found) == 0 && found &&
        found->pw_dir && *found->pw_dir)
        return std::string(found->pw_dir);
    return std::nullopt;
}

std::optional<std::string> os_user_name() {
    std::array<char, 4096> buffer{};
    passwd pw{};
    passwd* found = nullptr;
    if (getpwuid_r(geteuid(), &pw, buffer.data(), buffer.size(), &found) == 0 && found &&
        found->pw_name && *found->pw_name)
        return std::string(found->pw_name);
    return std::nullopt;
}

bool is_utf8_name(std::string_view v) {
    return equal_ignoring_case(v, "UTF8") || equal_ignoring_case(v, "UTF-8") ||
           equal_ignoring_case(v, "UNICODE");
}

// ---- the config, one group of settings at a time ----

// `var` is the name of the variable it declares, which cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define PGASIO_TRY(var, expr)                                                                      \
    auto var##_result = (expr);                                                                    \
    if (!var##_result) return var##_result.error();                                                \
    auto var = *var##_result
// NOLINTEND(bugprone-macro-parentheses)

// The default files under the home directory.
struct home_files {
    std::optional<std::string> home;
    // `value` when given, else `file` in the home directory ("" when there is none).
    std::string or_default(std::optional<std::string_view> value, std::string_view file) const {
        if (value) return std::string(*value);
        return home ? fmt::format("{}/{}", *home, file) : std::string{};
    }
};

// user, dbname, password, passfile, options, application names, connect_timeout, client_encoding.
result<void, config_error> resolve_session(const raw_options& raw, const home_files& home,
                                           config& cfg) {
    if (auto v = raw.get(key::user)) {
        cfg.user = *v;
    } else if (auto name = os_user_name()) {
        cfg.user = std::move(*name);
    } else {
        return make_error(config_errc::unknown_user,
                          fmt::format("no user name given (user, PGUSER) and none found for user "
                                      "id {}",
                                      geteuid()));
    }
    cfg.dbname = raw.get(key::dbname).value_or(cfg.user);
    if (auto v = raw.get(key::password)) cfg.password.assign(*v);
    cfg.passfile = home.or_default(raw.get(key::passfile), ".pgpass");
    cfg.options = raw.get(key::options).value_or("");
    cfg.application_name = raw.get(key::application_name).value_or("");
    cfg.fallback_application_name = raw.get(key::fallback_application_name).value_or("");
    if (auto v = raw.get(key::connect_timeout)) {
        PGASIO_TRY(n, integer_value(raw, key::connect_timeout, *v));
        // libpq: zero or negative means no timeout, and 1 s is raised to 2 s.
        cfg.connect_timeout = std::chrono::seconds(n <= 0 ? 0 : std::max(n, 2LL));
    }
    if (auto v = raw.get(key::client_encoding); v && !is_utf8_name(*v))
        return make_error(config_errc::unsupported_parameter,
                          fmt::format("client_encoding '{}'{} is not supported: pgasio always uses "
                                      "UTF8",
                                      *v, origin_of(raw, key::client_encoding)));
    return {};
}

// The TLS settings and the authentication methods allowed.
result<void, config_error> resolve_security(const raw_options& raw, const home_files& home,
                                            config& cfg) {
    cfg.sslrootcert = home.or_default(raw.get(key::sslrootcert), ".postgresql/root.crt");
    if (auto v = raw.get(key::sslmode)) {
        PGASIO_TRY(m, enum_value(raw, key::sslmode, *v, ssl_modes));
        cfg.sslmode = m;
    } else if (cfg.sslrootcert == "system") {
        // libpq 16: trusting the system's store only makes sense with the host name checked.
        cfg.sslmode = ssl_mode::verify_full;
    }
    if (auto v = raw.get(key::sslnegotiation)) {
        PGASIO_TRY(m, enum_value(raw, key::sslnegotiation, *v, ssl_negotiations));
        cfg.sslnegotiation = m;
    }
    cfg.sslcert = home.or_default(raw.get(key::sslcert), ".postgresql/postgresql.crt");
    cfg.sslkey = home.or_default(raw.get(key::sslkey), ".postgresql/postgresql.key");
    if (auto v = raw.get(key::sslpassword)) cfg.sslpassword.assign(*v);
    if (auto v = raw.get(key::sslsni)) {
        PGASIO_TRY(n, integer_value(raw, key::sslsni, *v));
        cfg.sslsni = n != 0;
    }
    if (auto v = raw.get(key::channel_binding)) {
        PGASIO_TRY(m, enum_value(raw, key::channel_binding, *v, channel_bindings));
        cfg.channel_binding = m;
    }
    if (auto v = raw.get(key::require_auth)) {
        PGASIO_TRY(s, require_auth_value(raw, *v));
        cfg.require_auth = s;
    }
    if (auto v = raw.get(key::gssencmode); v && *v != "disable" && *v != "prefer") {
        if (*v == "require")
            return make_error(config_errc::unsupported_parameter,
                              fmt::format("gssencmode=require{} is not supported: pgasio has no "
                                          "GSSAPI encryption",
                                          origin_of(raw, key::gssencmode)));
        return bad_value(raw, key::gssencmode, *v, "disable, prefer or require");
    }
    return {};
}

// Host selection and TCP keepalives.
result<void, config_error> resolve_network(const raw_options& raw, config& cfg) {
    if (auto v = raw.get(key::target_session_attrs)) {
        PGASIO_TRY(m, enum_value(raw, key::target_session_attrs, *v, session_attrs_names));
        cfg.target_session_attrs = m;
    }
    if (auto v = raw.get(key::load_balance_hosts)) {
        PGASIO_TRY(m, enum_value(raw, key::load_balance_hosts, *v, load_balance_modes));
        cfg.load_balance_hosts = m;
    }
    if (auto v = raw.get(key::keepalives)) {
        PGASIO_TRY(n, integer_value(raw, key::keepalives, *v));
        cfg.keepalives = n != 0;
    }
    if (auto v = raw.get(key::keepalives_idle)) {
        PGASIO_TRY(n, non_negative_value(raw, key::keepalives_idle, *v));
        cfg.keepalives_idle = std::chrono::seconds(n);
    }
    if (auto v = raw.get(key::keepalives_interval)) {
        PGASIO_TRY(n, non_negative_value(raw, key::keepalives_interval, *v));
        cfg.keepalives_interval = std::chrono::seconds(n);
    }
    if (auto v = raw.get(key::keepalives_count)) {
        PGASIO_TRY(n, non_negative_value(raw, key::keepalives_count, *v));
        cfg.keepalives_count = static_cast<int>(n);
    }
    return {};
}

// pgasio's own parameters.
result<void, config_error> resolve_extensions(const raw_options& raw, config& cfg) {
    if (auto v = raw.get(key::statement_timeout)) {
        // The server's own limit for this setting: INT_MAX milliseconds.
        auto ms = with_unit(*v, time_units, std::numeric_limits<std::int32_t>::max());
        if (!ms)
            return bad_value(raw, key::statement_timeout, *v,
                             "milliseconds, or an integer followed by ms, s, min, h or d, at most "
                             "2147483647 ms");
        cfg.statement_timeout = std::chrono::milliseconds(*ms);
    }
    if (auto v = raw.get(key::max_message_size)) {
        auto n = with_unit(*v, size_units, max_message_size_limit);
        if (!n || *n < min_message_size_limit)
            return bad_value(raw, key::max_message_size, *v,
                             "bytes, or an integer followed by kB, MB or GB, from 8 kB to "
                             "2147483647 bytes");
        cfg.max_message_size = static_cast<std::size_t>(*n);
    }
    if (auto v = raw.get(key::max_protocol_version)) {
        PGASIO_TRY(m, enum_value(raw, key::max_protocol_version, *v, protocol_versions));
        cfg.max_protocol_version = m;
    }
    if (auto v = raw.get(key::statement_cache_capacity)) {
        PGASIO_TRY(n, non_negative_value(raw, key::statement_cache_capacity, *v));
        cfg.statement_cache_capacity = static_cast<std::size_t>(n);
    }
    if (auto v = raw.get(key::default_query_exec_mode)) {
        PGASIO_TRY(m, enum_value(raw, key::default_query_exec_mode, *v, exec_modes));
        cfg.default_query_exec_mode = m;
    }
    if (auto v = raw.get(key::pipeline_read_pause)) {
        auto us = with_unit(*v, pause_units, max_read_pause_us);
        if (!us)
            return bad_value(raw, key::pipeline_read_pause, *v,
                             "microseconds, or an integer followed by us, ms or s, at most 1 s");
        cfg.pipeline_read_pause = std::chrono::microseconds(*us);
    }
    if (auto v = raw.get(key::pipeline_read_pause_depth)) {
        const auto n = to_integer(*v);
        if (!n || *n < 1 || *n > std::numeric_limits<int>::max())
            return bad_value(raw, key::pipeline_read_pause_depth, *v,
                             "a number of requests, at least 1");
        cfg.pipeline_read_pause_depth = static_cast<std::size_t>(*n);
    }
    return {};
}

} // namespace

// libpq's list matching (connectOptions2).
result<std::vector<host_spec>, config_error> resolve_hosts(const raw_options& raw) {
    auto list = [&](key k) {
        auto v = raw.get(k);
        return v ? split_list(*v) : std::vector<std::string_view>{};
    };
    std::vector<std::string_view> hosts = list(key::host);
    std::vector<std::string_view> addrs = list(key::hostaddr);
    std::vector<std::string_view> ports = list(key::port);
    if (!hosts.empty() && !addrs.empty() && hosts.size() != addrs.size())
        return make_error(config_errc::list_length_mismatch,
                          fmt::format("could not match {} host names to {} hostaddr values",
                                      hosts.size(), addrs.size()));
    std::size_t n = std::max<std::size_t>({hosts.size(), addrs.size(), 1});
    if (ports.size() > 1 && ports.size() != n)
        return make_error(
            config_errc::list_length_mismatch,
            fmt::format("could not match {} port numbers to {} hosts", ports.size(), n));
    std::vector<host_spec> out;
    for (std::size_t i = 0; i < n; ++i) {
        host_spec h;
        if (i < hosts.size()) h.host = std::string(hosts[i]);
        if (i < addrs.size()) h.hostaddr = std::string(addrs[i]);
        if (h.host.empty() && h.hostaddr.empty()) h.host = default_unix_socket_directory;
        std::string_view port =
            ports.empty() ? std::string_view{} : ports[ports.size() == 1 ? 0 : i];
        if (!port.empty()) {
            PGASIO_TRY(p, port_value(raw, port));
            h.port = p;
        }
        out.push_back(std::move(h));
    }
    return out;
}

result<config, config_error> resolve(raw_options& raw, const environment& env) {
    fill_from_environment(raw, env);
    config cfg;
    const home_files home{home_directory(env)};
    PGASIO_TRY(hosts, resolve_hosts(raw));
    cfg.hosts = std::move(hosts);
    if (auto ok = resolve_session(raw, home, cfg); !ok) return ok.error();
    if (auto ok = resolve_security(raw, home, cfg); !ok) return ok.error();
    if (auto ok = resolve_network(raw, cfg); !ok) return ok.error();
    if (auto ok = resolve_extensions(raw, cfg); !ok) return ok.error();
    return cfg;
}

#undef PGASIO_TRY

} // namespace pgasio::detail
