// How the configuration's values are spelled in connection strings: the names of enumerated
// values and the units of durations and sizes. The resolver reads them, printing writes them.
#pragma once

#include <pgasio/config.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pgasio::detail {

template <typename E, std::size_t N>
using name_table = std::array<std::pair<std::string_view, E>, N>;

template <typename E, std::size_t N>
std::optional<E> find_enum(const name_table<E, N>& table, std::string_view text) {
    for (const auto& [name, value] : table)
        if (name == text) return value;
    return std::nullopt;
}

template <typename E, std::size_t N>
std::string_view find_name(const name_table<E, N>& table, E v) {
    for (const auto& [name, value] : table)
        if (value == v) return name;
    return "?";
}

// "a, b or c"
template <typename E, std::size_t N>
std::string expected_names(const name_table<E, N>& table) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (i != 0) out += i + 1 == N ? " or " : ", ";
        out += table[i].first;
    }
    return out;
}

inline constexpr name_table<ssl_mode, 6> ssl_modes{{
    {"disable", ssl_mode::disable},
    {"allow", ssl_mode::allow},
    {"prefer", ssl_mode::prefer},
    {"require", ssl_mode::require},
    {"verify-ca", ssl_mode::verify_ca},
    {"verify-full", ssl_mode::verify_full},
}};
inline constexpr name_table<ssl_negotiation, 2> ssl_negotiations{{
    {"postgres", ssl_negotiation::postgres},
    {"direct", ssl_negotiation::direct},
}};
inline constexpr name_table<channel_binding_mode, 3> channel_bindings{{
    {"disable", channel_binding_mode::disable},
    {"prefer", channel_binding_mode::prefer},
    {"require", channel_binding_mode::require},
}};
inline constexpr name_table<session_attrs, 6> session_attrs_names{{
    {"any", session_attrs::any},
    {"read-write", session_attrs::read_write},
    {"read-only", session_attrs::read_only},
    {"primary", session_attrs::primary},
    {"standby", session_attrs::standby},
    {"prefer-standby", session_attrs::prefer_standby},
}};
inline constexpr name_table<load_balance_mode, 2> load_balance_modes{{
    {"disable", load_balance_mode::disable},
    {"random", load_balance_mode::random},
}};
inline constexpr name_table<auth_method, 6> auth_methods{{
    {"none", auth_method::none},
    {"password", auth_method::password},
    {"md5", auth_method::md5},
    {"scram-sha-256", auth_method::scram_sha_256},
    {"gss", auth_method::gss},
    {"sspi", auth_method::sspi},
}};
inline constexpr name_table<protocol::protocol_version, 3> protocol_versions{{
    {"3.0", protocol::protocol_version::v3_0},
    {"3.2", protocol::protocol_version::v3_2},
    {"latest", protocol::protocol_version::v3_2},
}};
inline constexpr name_table<query_exec_mode, 4> exec_modes{{
    {"cache_statement", query_exec_mode::cache_statement},
    {"cache_describe", query_exec_mode::cache_describe},
    {"describe_exec", query_exec_mode::describe_exec},
    {"simple_protocol", query_exec_mode::simple_protocol},
}};

// Unit suffixes and their multipliers: milliseconds for durations (but pause_units), bytes for
// sizes.
inline constexpr name_table<long long, 5> time_units{
    {{"ms", 1}, {"s", 1000}, {"min", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};
// Microseconds for pipeline_read_pause.
inline constexpr name_table<long long, 3> pause_units{{{"us", 1}, {"ms", 1000}, {"s", 1'000'000}}};
inline constexpr long long max_read_pause_us = 1'000'000;
inline constexpr name_table<long long, 4> size_units{
    {{"B", 1}, {"kB", 1024}, {"MB", 1024 * 1024}, {"GB", 1024 * 1024 * 1024}}};
inline constexpr long long max_message_size_limit = std::numeric_limits<std::int32_t>::max();
inline constexpr long long min_message_size_limit = 8 * 1024;

} // namespace pgasio::detail
