#include "config_raw.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>

namespace pgasio::detail {

std::optional<key> find_key(std::string_view name) {
    for (std::size_t i = 0; i < key_count; ++i)
        if (keywords[i].name == name) return static_cast<key>(i);
    return std::nullopt;
}

config_error make_error(config_errc code, std::string message) {
    return config_error{make_error_code(code), std::move(message)};
}

void wipe(std::string& s) noexcept {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
    s.clear();
}

raw_options::~raw_options() {
    for (key k : {key::password, key::sslpassword})
        if (values[index(k)]) wipe(*values[index(k)]);
}

std::string origin_of(const raw_options& raw, key k) {
    if (raw.origin[index(k)].empty()) return {};
    return fmt::format(" (from {})", raw.origin[index(k)]);
}

config_error bad_value(const raw_options& raw, key k, std::string_view value,
                       std::string_view expected) {
    std::string message =
        is_secret(k) || raw.hidden[index(k)]
            ? fmt::format("invalid {} value{}", name_of(k), origin_of(raw, k))
            : fmt::format("invalid {} value '{}'{}", name_of(k), value, origin_of(raw, k));
    if (!expected.empty()) message += fmt::format(" (expected {})", expected);
    return make_error(config_errc::invalid_value, std::move(message));
}

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

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [&](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i != 0) out += ',';
        out += parts[i];
    }
    return out;
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

} // namespace pgasio::detail
