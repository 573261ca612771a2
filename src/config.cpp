#include <pgasio/config.hpp>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>

namespace pgasio {
namespace {

using boost::system::result;

// The parameters pgasio knows, in the order to_string() writes them.
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
};
constexpr std::size_t key_count = static_cast<std::size_t>(key::default_query_exec_mode) + 1;

struct keyword {
    std::string_view name;
    std::string_view env; // the libpq environment variable, or empty
};

constexpr std::array<keyword, key_count> keywords{{
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

std::optional<key> find_key(std::string_view name) {
    for (std::size_t i = 0; i < key_count; ++i)
        if (keywords[i].name == name) return static_cast<key>(i);
    return std::nullopt;
}

config_error make_error(config_errc code, std::string message) {
    return config_error{make_error_code(code), std::move(message)};
}

// Overwrites a string's bytes before it is freed (it may have held a password).
void wipe(std::string& s) noexcept {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
    s.clear();
}

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
    ~raw_options() {
        for (key k : {key::password, key::sslpassword})
            if (values[index(k)]) wipe(*values[index(k)]);
    }

    const std::optional<std::string>& operator[](key k) const { return values[index(k)]; }
    // The value, treating an empty one as absent (libpq's "empty means the default").
    std::optional<std::string_view> get(key k) const {
        const auto& v = values[index(k)];
        if (!v || v->empty()) return std::nullopt;
        return std::string_view(*v);
    }
};

// " (from PGSSLMODE)" when the value came from the environment.
std::string origin_of(const raw_options& raw, key k) {
    if (raw.origin[index(k)].empty()) return {};
    return fmt::format(" (from {})", raw.origin[index(k)]);
}

// "invalid sslmode value 'x' (expected ...)": names the parameter and the value, except a secret's.
config_error bad_value(const raw_options& raw, key k, std::string_view value,
                       std::string_view expected) {
    std::string message =
        is_secret(k) || raw.hidden[index(k)]
            ? fmt::format("invalid {} value{}", name_of(k), origin_of(raw, k))
            : fmt::format("invalid {} value '{}'{}", name_of(k), value, origin_of(raw, k));
    if (!expected.empty()) message += fmt::format(" (expected {})", expected);
    return make_error(config_errc::invalid_value, std::move(message));
}

// Stores one parameter given in a connection string, a URI's query or the builder.
std::optional<config_error> set_raw(raw_options& raw, std::string_view name, std::string value) {
    auto k = find_key(name);
    if (!k) {
        if (name == "service")
            return make_error(config_errc::unsupported_parameter,
                              "the service parameter is not supported: pgasio reads no service "
                              "file; put the settings in the connection string");
        std::string message = fmt::format("unknown connection parameter '{}'", name);
        wipe(value);
        return make_error(config_errc::unknown_parameter, std::move(message));
    }
    if (value.find('\0') != std::string::npos) {
        wipe(value);
        return make_error(config_errc::invalid_value,
                          fmt::format("{} value contains a NUL byte", name));
    }
    auto& slot = raw.values[index(*k)];
    if (slot && is_secret(*k)) wipe(*slot);
    slot = std::move(value);
    raw.origin[index(*k)] = {};
    raw.hidden[index(*k)] = false;
    return std::nullopt;
}

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// libpq's key/value syntax (conninfo_parse): `key = value` pairs separated by whitespace; a
// value is single-quoted (\' and \\ escape) or runs to the next whitespace (a backslash escapes
// the next character). As in libpq, whitespace after '=' is skipped, so `host= port=5` sets host
// to "port=5": an empty value must be written ''.
std::optional<config_error> parse_keywords(std::string_view s, raw_options& raw) {
    std::size_t pos = 0;
    // Set after an unquoted secret, whose value might have been cut at a space: the next word
    // would then be a piece of the password, which a message must not quote.
    bool after_unquoted_secret = false;
    while (true) {
        while (pos < s.size() && is_space(s[pos]))
            ++pos;
        if (pos == s.size()) return std::nullopt;
        std::size_t name_start = pos;
        while (pos < s.size() && !is_space(s[pos]) && s[pos] != '=')
            ++pos;
        std::string_view name = s.substr(name_start, pos - name_start);
        while (pos < s.size() && is_space(s[pos]))
            ++pos;
        if (pos == s.size() || s[pos] != '=') {
            if (after_unquoted_secret)
                return make_error(config_errc::invalid_syntax,
                                  "missing '=' after a word that follows the password in the "
                                  "connection string (quote a password that contains spaces)");
            return make_error(config_errc::invalid_syntax,
                              fmt::format("missing '=' after '{}' in the connection string", name));
        }
        if (name.empty())
            return make_error(config_errc::invalid_syntax,
                              "missing parameter name before '=' in the connection string");
        ++pos;
        while (pos < s.size() && is_space(s[pos]))
            ++pos;

        // Reserved up front so that the value (maybe a password) is never reallocated, which
        // would leave an unwiped copy behind.
        std::string value;
        value.reserve(s.size() - pos);
        bool quoted = pos < s.size() && s[pos] == '\'';
        if (quoted) {
            ++pos;
            bool closed = false;
            while (pos < s.size()) {
                char c = s[pos++];
                if (c == '\\' && pos < s.size()) {
                    value.push_back(s[pos++]);
                } else if (c == '\'') {
                    closed = true;
                    break;
                } else {
                    value.push_back(c);
                }
            }
            if (!closed) {
                wipe(value);
                return make_error(config_errc::invalid_syntax,
                                  fmt::format("unterminated quoted value of '{}' in the connection "
                                              "string",
                                              name));
            }
        } else {
            while (pos < s.size() && !is_space(s[pos])) {
                char c = s[pos++];
                if (c == '\\' && pos < s.size()) c = s[pos++];
                value.push_back(c);
            }
        }
        auto k = find_key(name);
        if (!k && after_unquoted_secret) {
            wipe(value);
            return make_error(config_errc::unknown_parameter,
                              "unknown connection parameter after the password (quote a password "
                              "that contains spaces)");
        }
        after_unquoted_secret = !quoted && k && is_secret(*k);
        if (auto err = set_raw(raw, name, std::move(value))) return err;
    }
}

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decodes `in`; nullopt on a '%' without two hex digits after it, or on %00 (which would
// cut the value short where the protocol NUL-terminates it).
std::optional<std::string> percent_decode(std::string_view in) {
    std::string out;
    out.reserve(in.size()); // never reallocated: the text may be a password
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        int hi = i + 1 < in.size() ? hex_digit(in[i + 1]) : -1;
        int lo = i + 2 < in.size() ? hex_digit(in[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            wipe(out);
            return std::nullopt;
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

config_error bad_encoding(std::string_view what) {
    return make_error(config_errc::invalid_percent_encoding,
                      fmt::format("invalid percent-encoding in {} of the URI (a '%' must be "
                                  "followed by two hex digits, and %00 is not allowed)",
                                  what));
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i != 0) out += ',';
        out += parts[i];
    }
    return out;
}

// Said when a URI's host part is not quoted because it may begin inside the password.
constexpr std::string_view uri_hint =
    " (percent-encode any '/', '?' or '@' in the user name and password)";

// libpq's URI syntax:
// postgresql://[user[:password]@][host][:port][,...][/dbname][?key=value[&...]]
std::optional<config_error> parse_uri(std::string_view rest, raw_options& raw) {
    std::size_t authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view after =
        authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    // An '@' past the host list most likely ends user information that holds an unencoded '/'
    // or '?': the "host list" then starts inside the password, so no message may quote it.
    bool may_quote = after.find('@') == std::string_view::npos;
    auto show = [&](std::string_view text) {
        return may_quote ? fmt::format(" '{}'", text) : std::string(uri_hint);
    };

    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        std::size_t colon = userinfo.find(':');
        auto user = percent_decode(userinfo.substr(0, colon));
        if (!user) return bad_encoding("the user name");
        if (!user->empty()) set_raw(raw, "user", std::move(*user));
        if (colon != std::string_view::npos) {
            auto password = percent_decode(userinfo.substr(colon + 1));
            if (!password) return bad_encoding("the password");
            if (auto err = set_raw(raw, "password", std::move(*password))) return err;
        }
    }

    if (!authority.empty()) {
        std::vector<std::string> hosts;
        std::vector<std::string> ports;
        bool any_port = false;
        std::size_t pos = 0;
        while (true) {
            std::string_view host_text;
            if (pos < authority.size() && authority[pos] == '[') {
                std::size_t close = authority.find(']', pos);
                if (close == std::string_view::npos)
                    return make_error(config_errc::invalid_uri,
                                      fmt::format("unterminated IPv6 address{} in the URI "
                                                  "(missing ']')",
                                                  show(authority.substr(pos))));
                host_text = authority.substr(pos + 1, close - pos - 1);
                if (host_text.empty())
                    return make_error(config_errc::invalid_uri,
                                      "empty IPv6 address '[]' in the URI");
                pos = close + 1;
                if (pos < authority.size() && authority[pos] != ':' && authority[pos] != ',')
                    return make_error(config_errc::invalid_uri,
                                      fmt::format("unexpected text{} after the IPv6 address in "
                                                  "the URI",
                                                  show(authority.substr(pos))));
            } else {
                std::size_t end = std::min(authority.find_first_of(":,", pos), authority.size());
                host_text = authority.substr(pos, end - pos);
                pos = end;
            }
            std::string_view port_text;
            if (pos < authority.size() && authority[pos] == ':') {
                std::size_t end = std::min(authority.find(',', pos), authority.size());
                port_text = authority.substr(pos + 1, end - pos - 1);
                any_port = true;
                pos = end;
            }
            auto host = percent_decode(host_text);
            if (!host) return bad_encoding(fmt::format("the host{}", show(host_text)));
            auto port = percent_decode(port_text);
            if (!port) return bad_encoding(fmt::format("the port{}", show(port_text)));
            hosts.push_back(std::move(*host));
            ports.push_back(std::move(*port));
            if (pos >= authority.size()) break;
            ++pos; // the ','; a trailing one adds an empty host, which means the default
        }
        std::string host_list = join(hosts);
        if (!host_list.empty()) {
            set_raw(raw, "host", std::move(host_list));
            raw.hidden[index(key::host)] = !may_quote;
        }
        if (any_port) {
            set_raw(raw, "port", join(ports));
            raw.hidden[index(key::port)] = !may_quote;
        }
    }

    std::string_view query;
    if (!after.empty() && after.front() == '/') {
        std::size_t q = after.find('?');
        auto dbname = percent_decode(after.substr(1, q == std::string_view::npos ? q : q - 1));
        if (!dbname) return bad_encoding("the database name");
        if (!dbname->empty()) set_raw(raw, "dbname", std::move(*dbname));
        if (q != std::string_view::npos) query = after.substr(q + 1);
    } else if (!after.empty()) {
        query = after.substr(1);
    }

    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view param = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (param.empty()) continue;
        std::size_t eq = param.find('=');
        if (eq == std::string_view::npos)
            return make_error(config_errc::invalid_uri,
                              fmt::format("missing '=' in the URI query parameter{}", show(param)));
        if (param.find('=', eq + 1) != std::string_view::npos)
            return make_error(config_errc::invalid_uri,
                              fmt::format("extra '=' in the URI query parameter{} (percent-encode "
                                          "it as %3D)",
                                          show(param.substr(0, eq))));
        auto name = percent_decode(param.substr(0, eq));
        if (!name) return bad_encoding("a query parameter name");
        auto value = percent_decode(param.substr(eq + 1));
        if (!value)
            return bad_encoding(fmt::format("the value of the query parameter '{}'", *name));
        if (*name == "ssl") {
            // JDBC's spelling, accepted by libpq in URIs.
            if (*value != "true")
                return make_error(config_errc::invalid_value,
                                  fmt::format("invalid ssl value '{}' in the URI (only ssl=true is "
                                              "accepted, meaning sslmode=require)",
                                              *value));
            set_raw(raw, "sslmode", "require");
            continue;
        }
        if (auto err = set_raw(raw, *name, std::move(*value))) return err;
    }
    return std::nullopt;
}

std::optional<config_error> parse_conninfo(std::string_view conninfo, raw_options& raw) {
    for (std::string_view prefix : {"postgresql://", "postgres://"})
        if (conninfo.starts_with(prefix)) return parse_uri(conninfo.substr(prefix.size()), raw);
    return parse_keywords(conninfo, raw);
}

// ---- conversions of the string values ----

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

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
std::optional<E> find_enum(const std::array<std::pair<std::string_view, E>, N>& table,
                           std::string_view text) {
    for (const auto& [name, value] : table)
        if (name == text) return value;
    return std::nullopt;
}

template <typename E, std::size_t N>
std::string_view find_name(const std::array<std::pair<std::string_view, E>, N>& table, E v) {
    for (const auto& [name, value] : table)
        if (value == v) return name;
    return "?";
}

// "a, b or c"
template <typename E, std::size_t N>
std::string expected_names(const std::array<std::pair<std::string_view, E>, N>& table) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (i != 0) out += i + 1 == N ? " or " : ", ";
        out += table[i].first;
    }
    return out;
}

constexpr std::array<std::pair<std::string_view, ssl_mode>, 6> ssl_modes{{
    {"disable", ssl_mode::disable},
    {"allow", ssl_mode::allow},
    {"prefer", ssl_mode::prefer},
    {"require", ssl_mode::require},
    {"verify-ca", ssl_mode::verify_ca},
    {"verify-full", ssl_mode::verify_full},
}};
constexpr std::array<std::pair<std::string_view, ssl_negotiation>, 2> ssl_negotiations{{
    {"postgres", ssl_negotiation::postgres},
    {"direct", ssl_negotiation::direct},
}};
constexpr std::array<std::pair<std::string_view, channel_binding_mode>, 3> channel_bindings{{
    {"disable", channel_binding_mode::disable},
    {"prefer", channel_binding_mode::prefer},
    {"require", channel_binding_mode::require},
}};
constexpr std::array<std::pair<std::string_view, session_attrs>, 6> session_attrs_names{{
    {"any", session_attrs::any},
    {"read-write", session_attrs::read_write},
    {"read-only", session_attrs::read_only},
    {"primary", session_attrs::primary},
    {"standby", session_attrs::standby},
    {"prefer-standby", session_attrs::prefer_standby},
}};
constexpr std::array<std::pair<std::string_view, load_balance_mode>, 2> load_balance_modes{{
    {"disable", load_balance_mode::disable},
    {"random", load_balance_mode::random},
}};
constexpr std::array<std::pair<std::string_view, auth_method>, 6> auth_methods{{
    {"none", auth_method::none},
    {"password", auth_method::password},
    {"md5", auth_method::md5},
    {"scram-sha-256", auth_method::scram_sha_256},
    {"gss", auth_method::gss},
    {"sspi", auth_method::sspi},
}};
constexpr std::array<std::pair<std::string_view, protocol::protocol_version>, 3> protocol_versions{{
    {"3.0", protocol::protocol_version::v3_0},
    {"3.2", protocol::protocol_version::v3_2},
    {"latest", protocol::protocol_version::v3_2},
}};
constexpr std::array<std::pair<std::string_view, query_exec_mode>, 4> exec_modes{{
    {"cache_statement", query_exec_mode::cache_statement},
    {"cache_describe", query_exec_mode::cache_describe},
    {"describe_exec", query_exec_mode::describe_exec},
    {"simple_protocol", query_exec_mode::simple_protocol},
}};

template <typename E, std::size_t N>
result<E, config_error> enum_value(const raw_options& raw, key k, std::string_view v,
                                   const std::array<std::pair<std::string_view, E>, N>& table) {
    if (auto e = find_enum(table, v)) return *e;
    return bad_value(raw, k, v, expected_names(table));
}

result<auth_method_set, config_error> require_auth_value(const raw_options& raw,
                                                         std::string_view v) {
    auto allowed = auth_method_set::none_allowed();
    auto listed = auth_method_set::none_allowed();
    std::optional<bool> negated;
    while (true) {
        std::size_t comma = v.find(',');
        std::string_view item = v.substr(0, comma);
        bool neg = item.starts_with('!');
        if (neg) item.remove_prefix(1);
        if (negated && *negated != neg)
            return make_error(config_errc::invalid_value,
                              fmt::format("require_auth cannot mix negated ('!') and plain "
                                          "methods{}",
                                          origin_of(raw, key::require_auth)));
        negated = neg;
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
    if (!*negated) return listed;
    allowed = auth_method_set::all();
    for (const auto& entry : auth_methods)
        if (listed.contains(entry.second)) allowed.erase(entry.second);
    return allowed;
}

// A number with an optional unit suffix; `units` maps suffixes to multipliers.
template <std::size_t N>
std::optional<long long>
with_unit(std::string_view text, const std::array<std::pair<std::string_view, long long>, N>& units,
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

constexpr std::array<std::pair<std::string_view, long long>, 5> time_units{
    {{"ms", 1}, {"s", 1000}, {"min", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};
constexpr std::array<std::pair<std::string_view, long long>, 4> size_units{
    {{"B", 1}, {"kB", 1024}, {"MB", 1024 * 1024}, {"GB", 1024 * 1024 * 1024}}};
constexpr long long max_message_size_limit = std::numeric_limits<std::int32_t>::max();
constexpr long long min_message_size_limit = 8 * 1024;

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

std::vector<std::string_view> split_list(std::string_view s) {
    std::vector<std::string_view> out;
    while (true) {
        std::size_t comma = s.find(',');
        out.push_back(s.substr(0, comma));
        if (comma == std::string_view::npos) return out;
        s.remove_prefix(comma + 1);
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
    auto equal_ci = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() &&
               std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   auto lower = [](char c) {
                       return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
                   };
                   return lower(x) == lower(y);
               });
    };
    return equal_ci(v, "UTF8") || equal_ci(v, "UTF-8") || equal_ci(v, "UNICODE");
}

#define PGASIO_TRY(var, expr)                                                                      \
    auto var##_result = (expr);                                                                    \
    if (!var##_result) return var##_result.error();                                                \
    auto var = *var##_result

// Turns the raw strings (after the environment has filled the gaps) into a config.
result<config, config_error> resolve(raw_options& raw, const environment& env) {
    for (std::size_t i = 0; i < key_count; ++i) {
        if (raw.values[i] || keywords[i].env.empty()) continue;
        if (auto v = env(keywords[i].env)) {
            raw.values[i] = std::move(*v);
            raw.origin[i] = keywords[i].env;
        }
    }
    config cfg;
    auto home = home_directory(env);
    auto in_home = [&](std::string_view file) {
        return home ? fmt::format("{}/{}", *home, file) : std::string{};
    };

    // Hosts: libpq's list matching (connectOptions2).
    {
        auto host_list = raw.get(key::host);
        auto addr_list = raw.get(key::hostaddr);
        auto port_list = raw.get(key::port);
        std::vector<std::string_view> hosts =
            host_list ? split_list(*host_list) : std::vector<std::string_view>{};
        std::vector<std::string_view> addrs =
            addr_list ? split_list(*addr_list) : std::vector<std::string_view>{};
        if (!hosts.empty() && !addrs.empty() && hosts.size() != addrs.size())
            return make_error(config_errc::list_length_mismatch,
                              fmt::format("could not match {} host names to {} hostaddr values",
                                          hosts.size(), addrs.size()));
        std::size_t n = std::max<std::size_t>({hosts.size(), addrs.size(), 1});
        std::vector<std::string_view> ports =
            port_list ? split_list(*port_list) : std::vector<std::string_view>{};
        if (ports.size() > 1 && ports.size() != n)
            return make_error(
                config_errc::list_length_mismatch,
                fmt::format("could not match {} port numbers to {} hosts", ports.size(), n));
        cfg.hosts.clear();
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
            cfg.hosts.push_back(std::move(h));
        }
    }

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
    cfg.passfile =
        raw.get(key::passfile) ? std::string(*raw.get(key::passfile)) : in_home(".pgpass");
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

    if (auto v = raw.get(key::sslrootcert))
        cfg.sslrootcert = *v;
    else
        cfg.sslrootcert = in_home(".postgresql/root.crt");
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
    cfg.sslcert = raw.get(key::sslcert) ? std::string(*raw.get(key::sslcert))
                                        : in_home(".postgresql/postgresql.crt");
    cfg.sslkey = raw.get(key::sslkey) ? std::string(*raw.get(key::sslkey))
                                      : in_home(".postgresql/postgresql.key");
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
    return cfg;
}

#undef PGASIO_TRY

bool is_numeric_address(const std::string& text) {
    in6_addr buffer{};
    return inet_pton(AF_INET, text.c_str(), &buffer) == 1 ||
           inet_pton(AF_INET6, text.c_str(), &buffer) == 1;
}

// The largest unit that divides the duration exactly: "30s", "10min", "1500ms".
std::string format_duration(std::chrono::milliseconds d) {
    long long ms = d.count();
    if (ms == 0) return "0";
    for (auto it = time_units.rbegin(); it != time_units.rend(); ++it)
        if (ms % it->second == 0) return fmt::format("{}{}", ms / it->second, it->first);
    return fmt::format("{}ms", ms);
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

} // namespace

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
    raw_options raw;
    if (auto err = parse_conninfo(conninfo, raw)) return *err;
    auto cfg = resolve(raw, env);
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

result<void, config_error> config::validate() const {
    auto fail = [](config_errc code, std::string message) -> result<void, config_error> {
        return make_error(code, std::move(message));
    };
    if (hosts.empty()) return fail(config_errc::invalid_value, "no host given");
    for (const auto& h : hosts) {
        if (h.host.empty() && h.hostaddr.empty())
            return fail(config_errc::invalid_value, "a host entry has neither host nor hostaddr");
        if (h.port == 0) return fail(config_errc::invalid_value, "port 0 out of range (1-65535)");
        if (!h.hostaddr.empty() && !is_numeric_address(h.hostaddr))
            return fail(config_errc::invalid_value,
                        fmt::format("hostaddr '{}' is not a numeric IP address", h.hostaddr));
    }
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
                           std::pair{"leak_threshold", pool.leak_threshold}})
        if (d.count() < 0)
            return fail(config_errc::invalid_value, fmt::format("{} is negative", name));
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
                       "health_check_interval={} max_connecting={} leak_threshold={} "
                       "reset_query='{}' thread_safe={}",
                       o.min_connections, o.max_connections, format_duration(o.query_timeout),
                       format_duration(o.acquire_timeout), format_duration(o.idle_timeout),
                       format_duration(o.max_lifetime), format_duration(o.health_check_interval),
                       o.max_connecting, format_duration(o.leak_threshold), o.reset_query,
                       o.thread_safe);
}

std::ostream& operator<<(std::ostream& os, const pool_options& options) {
    return os << to_string(options);
}

std::string_view to_string(query_exec_mode v) noexcept {
    return find_name(exec_modes, v);
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

std::string fmt::formatter<pgasio::config>::describe(const pgasio::config& cfg) {
    std::string s = cfg.to_string();
    if (!cfg.password.empty()) s += fmt::format(" password={}", pgasio::redacted_text);
    if (!cfg.sslpassword.empty()) s += fmt::format(" sslpassword={}", pgasio::redacted_text);
    s += fmt::format(" (pool: {})", cfg.pool);
    return s;
}
