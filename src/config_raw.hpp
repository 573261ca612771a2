// The connection parameters as strings, between the connection string (or the builder, or the
// environment) that gives them and the resolver that turns them into a config. Shared by the
// conninfo parser (config_conninfo.cpp), the resolver (config_resolve.cpp) and the builder.
#pragma once

#include <pgasio/config.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio::detail {

// The parameters pgasio knows, in the order config::to_string() writes them.
enum class key : std::size_t {
    host,
    hostaddr,
    port,
    user,
    dbname,
    password,
    passfile,
    options,
    application_name,
    fallback_application_name,
    connect_timeout,
    client_encoding,
    sslmode,
    sslnegotiation,
    sslrootcert,
    sslcert,
    sslkey,
    sslpassword,
    sslsni,
    channel_binding,
    require_auth,
    gssencmode,
    target_session_attrs,
    load_balance_hosts,
    keepalives,
    keepalives_idle,
    keepalives_interval,
    keepalives_count,
    statement_timeout,
    max_message_size,
    max_protocol_version,
    statement_cache_capacity,
    default_query_exec_mode,
    pipeline_read_pause,
    pipeline_read_pause_depth,
};
inline constexpr std::size_t key_count =
    static_cast<std::size_t>(key::pipeline_read_pause_depth) + 1;

struct keyword {
    std::string_view name;
    std::string_view env; // the libpq environment variable, or empty
};

inline constexpr std::array<keyword, key_count> keywords{{
    {"host", "PGHOST"},
    {"hostaddr", "PGHOSTADDR"},
    {"port", "PGPORT"},
    {"user", "PGUSER"},
    {"dbname", "PGDATABASE"},
    {"password", "PGPASSWORD"},
    {"passfile", "PGPASSFILE"},
    {"options", "PGOPTIONS"},
    {"application_name", "PGAPPNAME"},
    {"fallback_application_name", ""},
    {"connect_timeout", "PGCONNECT_TIMEOUT"},
    {"client_encoding", "PGCLIENTENCODING"},
    {"sslmode", "PGSSLMODE"},
    {"sslnegotiation", "PGSSLNEGOTIATION"},
    {"sslrootcert", "PGSSLROOTCERT"},
    {"sslcert", "PGSSLCERT"},
    {"sslkey", "PGSSLKEY"},
    {"sslpassword", ""},
    {"sslsni", "PGSSLSNI"},
    {"channel_binding", "PGCHANNELBINDING"},
    {"require_auth", "PGREQUIREAUTH"},
    {"gssencmode", "PGGSSENCMODE"},
    {"target_session_attrs", "PGTARGETSESSIONATTRS"},
    {"load_balance_hosts", "PGLOADBALANCEHOSTS"},
    {"keepalives", ""},
    {"keepalives_idle", ""},
    {"keepalives_interval", ""},
    {"keepalives_count", ""},
    {"statement_timeout", ""},
    {"max_message_size", ""},
    {"max_protocol_version", "PGMAXPROTOCOLVERSION"},
    {"statement_cache_capacity", ""},
    {"default_query_exec_mode", ""},
    {"pipeline_read_pause", ""},
    {"pipeline_read_pause_depth", ""},
}};

constexpr std::size_t index(key k) noexcept {
    return static_cast<std::size_t>(k);
}
constexpr std::string_view name_of(key k) noexcept {
    return keywords[index(k)].name;
}
constexpr bool is_secret(key k) noexcept {
    return k == key::password || k == key::sslpassword;
}

std::optional<key> find_key(std::string_view name);

config_error make_error(config_errc code, std::string message);

// Overwrites a string's bytes before it is freed (it may have held a password).
void wipe(std::string& s) noexcept;

// The parameters as strings, as given (connection string, builder) or found in the environment.
struct raw_options {
    std::array<std::optional<std::string>, key_count> values;
    // Where a value came from, for messages: empty for the connection string, else the variable.
    std::array<std::string_view, key_count> origin{};
    // Values that messages must not quote: those of host and port taken from a URI whose
    // user information may have been cut short (see parse_uri).
    std::array<bool, key_count> hidden{};

    raw_options() = default;
    raw_options(const raw_options&) = delete;
    raw_options& operator=(const raw_options&) = delete;
    ~raw_options();

    const std::optional<std::string>& operator[](key k) const { return values[index(k)]; }
    // The value, treating an empty one as absent (libpq's "empty means the default").
    std::optional<std::string_view> get(key k) const {
        const auto& v = values[index(k)];
        if (!v || v->empty()) return std::nullopt;
        return std::string_view(*v);
    }
};

// " (from PGSSLMODE)" when the value came from the environment.
std::string origin_of(const raw_options& raw, key k);

// "invalid sslmode value 'x' (expected ...)": names the parameter and the value, except a secret's.
config_error bad_value(const raw_options& raw, key k, std::string_view value,
                       std::string_view expected);

// Stores one parameter given in a connection string, a URI's query or the builder.
std::optional<config_error> set_raw(raw_options& raw, std::string_view name, std::string value);

bool is_space(char c) noexcept;
// Whether `a` and `b` are equal but for the case of ASCII letters.
bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept;
std::string_view trim(std::string_view s);
// "a,b,c" from the parts.
std::string join(const std::vector<std::string>& parts);
// The parts of a comma-separated list ("" is one empty part).
std::vector<std::string_view> split_list(std::string_view s);

// Said when a URI's host part is not quoted because it may begin inside the password.
inline constexpr std::string_view uri_hint =
    " (percent-encode any '/', '?' or '@' in the user name and password)";

// The length of the postgresql:// or postgres:// that begins `conninfo` (in any case, after
// white space), 0 when it is no URI (config_conninfo.cpp).
std::size_t uri_prefix_length(std::string_view conninfo) noexcept;

// Parses a key=value string or a postgresql:// URI into `raw` (config_conninfo.cpp).
std::optional<config_error> parse_conninfo(std::string_view conninfo, raw_options& raw);

// Turns the raw strings into a config, the environment filling the gaps (config_resolve.cpp).
boost::system::result<config, config_error> resolve(raw_options& raw, const environment& env);

// The host list that the host, hostaddr and port parameters of `raw` give, matched as libpq
// does (config_resolve.cpp).
boost::system::result<std::vector<host_spec>, config_error> resolve_hosts(const raw_options& raw);

} // namespace pgasio::detail
