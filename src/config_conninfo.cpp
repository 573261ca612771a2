// The connection string's two syntaxes, libpq's key=value strings and postgresql:// URIs, read
// into raw_options (strings only: the resolver gives them their meaning).
#include "config_raw.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pgasio::detail {
namespace {

// One value of a key=value string from `pos` on (which it advances past the value), or the
// message for an unterminated quote, which names the value as `what`. Reserved up front so that
// the value (maybe a password) is never reallocated, which would leave an unwiped copy behind.
std::optional<config_error> read_value(std::string_view s, std::size_t& pos, std::string_view what,
                                       std::string& value, bool& quoted) {
    value.reserve(s.size() - pos);
    quoted = pos < s.size() && s[pos] == '\'';
    if (!quoted) {
        while (pos < s.size() && !is_space(s[pos])) {
            char c = s[pos++];
            if (c == '\\' && pos < s.size()) c = s[pos++];
            value.push_back(c);
        }
        return std::nullopt;
    }
    ++pos;
    while (pos < s.size()) {
        char c = s[pos++];
        if (c == '\\' && pos < s.size()) {
            value.push_back(s[pos++]);
        } else if (c == '\'') {
            return std::nullopt;
        } else {
            value.push_back(c);
        }
    }
    wipe(value);
    return make_error(
        config_errc::invalid_syntax,
        fmt::format("unterminated quoted value of {} in the connection string", what));
}

void skip_spaces(std::string_view s, std::size_t& pos) {
    while (pos < s.size() && is_space(s[pos]))
        ++pos;
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
        skip_spaces(s, pos);
        if (pos == s.size()) return std::nullopt;
        std::size_t name_start = pos;
        while (pos < s.size() && !is_space(s[pos]) && s[pos] != '=')
            ++pos;
        std::string_view name = s.substr(name_start, pos - name_start);
        skip_spaces(s, pos);
        if (pos == s.size() || s[pos] != '=') {
            if (after_unquoted_secret)
                return make_error(config_errc::invalid_syntax,
                                  "missing '=' after a word that follows the password in the "
                                  "connection string (quote a password that contains spaces)");
            // A mistyped URI ("postgres:/bob:pw@h", "psql://...") lands here whole, its user
            // information with it: such a word is not quoted.
            if (name.find_first_of(":/@") != std::string_view::npos)
                return make_error(config_errc::invalid_syntax,
                                  "missing '=' after a word of the connection string that looks "
                                  "like a URI (not quoted: it may hold a password); a URI begins "
                                  "with postgresql:// or postgres://");
            return make_error(config_errc::invalid_syntax,
                              fmt::format("missing '=' after '{}' in the connection string", name));
        }
        if (name.empty())
            return make_error(config_errc::invalid_syntax,
                              "missing parameter name before '=' in the connection string");
        ++pos;
        skip_spaces(s, pos);

        std::string value;
        bool quoted = false;
        if (auto err = read_value(s, pos,
                                  after_unquoted_secret ? std::string("a word after the password")
                                                        : fmt::format("'{}'", name),
                                  value, quoted))
            return err;
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

// How a URI's messages show its text. An '@' past the host list most likely ends user
// information that holds an unencoded '/' or '?': the "host list" then starts inside the
// password, so no message may quote it, nor anything after it.
struct uri_quoting {
    bool may_quote;
    std::string operator()(std::string_view text) const {
        return may_quote ? fmt::format(" '{}'", text) : std::string(uri_hint);
    }
};

// `user[:password]`, percent-decoded.
std::optional<config_error> parse_userinfo(std::string_view userinfo, raw_options& raw) {
    std::size_t colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user) return bad_encoding("the user name");
    if (!user->empty()) set_raw(raw, "user", std::move(*user));
    if (colon == std::string_view::npos) return std::nullopt;
    auto password = percent_decode(userinfo.substr(colon + 1));
    if (!password) return bad_encoding("the password");
    return set_raw(raw, "password", std::move(*password));
}

// The host of one entry of a URI's host list from `pos` on (which it advances past the host):
// a name, or an IPv6 address in brackets.
std::optional<config_error> read_uri_host(std::string_view authority, std::size_t& pos,
                                          const uri_quoting& show, std::string_view& host_text) {
    if (pos >= authority.size() || authority[pos] != '[') {
        std::size_t end = std::min(authority.find_first_of(":,", pos), authority.size());
        host_text = authority.substr(pos, end - pos);
        pos = end;
        return std::nullopt;
    }
    std::size_t close = authority.find(']', pos);
    if (close == std::string_view::npos)
        return make_error(config_errc::invalid_uri,
                          fmt::format("unterminated IPv6 address{} in the URI (missing ']')",
                                      show(authority.substr(pos))));
    host_text = authority.substr(pos + 1, close - pos - 1);
    if (host_text.empty())
        return make_error(config_errc::invalid_uri, "empty IPv6 address '[]' in the URI");
    pos = close + 1;
    if (pos < authority.size() && authority[pos] != ':' && authority[pos] != ',')
        return make_error(config_errc::invalid_uri,
                          fmt::format("unexpected text{} after the IPv6 address in the URI",
                                      show(authority.substr(pos))));
    return std::nullopt;
}

// `host[:port][,host[:port]...]` into the host and port parameters.
std::optional<config_error> parse_host_list(std::string_view authority, const uri_quoting& show,
                                            raw_options& raw) {
    std::vector<std::string> hosts;
    std::vector<std::string> ports;
    bool any_port = false;
    std::size_t pos = 0;
    while (true) {
        std::string_view host_text;
        if (auto err = read_uri_host(authority, pos, show, host_text)) return err;
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
        raw.hidden[index(key::host)] = !show.may_quote;
    }
    if (any_port) {
        set_raw(raw, "port", join(ports));
        raw.hidden[index(key::port)] = !show.may_quote;
    }
    return std::nullopt;
}

// One `key=value` of a URI's query.
std::optional<config_error> parse_query_parameter(std::string_view param, const uri_quoting& show,
                                                  raw_options& raw) {
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
    if (!value) return bad_encoding(fmt::format("the value of the query parameter '{}'", *name));
    if (*name == "ssl") {
        // JDBC's spelling, accepted by libpq in URIs.
        if (*value != "true")
            return make_error(config_errc::invalid_value,
                              fmt::format("invalid ssl value '{}' in the URI (only ssl=true is "
                                          "accepted, meaning sslmode=require)",
                                          *value));
        set_raw(raw, "sslmode", "require");
        return std::nullopt;
    }
    return set_raw(raw, *name, std::move(*value));
}

// `[/dbname][?key=value[&...]]`: what follows the host list.
std::optional<config_error> parse_path_and_query(std::string_view after, const uri_quoting& show,
                                                 raw_options& raw) {
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
        if (auto err = parse_query_parameter(param, show, raw)) return err;
    }
    return std::nullopt;
}

// libpq's URI syntax, after the scheme:
// [user[:password]@][host][:port][,...][/dbname][?key=value[&...]]
std::optional<config_error> parse_uri(std::string_view rest, raw_options& raw) {
    std::size_t authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view after =
        authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    const uri_quoting show{after.find('@') == std::string_view::npos};

    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        if (auto err = parse_userinfo(authority.substr(0, at), raw)) return err;
        authority = authority.substr(at + 1);
    }
    if (!authority.empty())
        if (auto err = parse_host_list(authority, show, raw)) return err;
    return parse_path_and_query(after, show, raw);
}

} // namespace

std::size_t uri_prefix_length(std::string_view conninfo) noexcept {
    // A URI's scheme is case-insensitive (RFC 3986), and white space before it, as a key=value
    // string may have, is no reason to read it as one (whose message would quote the URI).
    std::size_t start = 0;
    skip_spaces(conninfo, start);
    for (std::string_view scheme : {"postgresql://", "postgres://"})
        if (equal_ignoring_case(conninfo.substr(start, scheme.size()), scheme))
            return start + scheme.size();
    return 0;
}

std::optional<config_error> parse_conninfo(std::string_view conninfo, raw_options& raw) {
    if (const auto n = uri_prefix_length(conninfo)) return parse_uri(conninfo.substr(n), raw);
    return parse_keywords(conninfo, raw);
}

} // namespace pgasio::detail
