#include <pgasio/protocol/types/detail/text.hpp>

#include <charconv>
#include <cmath>
#include <system_error>

namespace pgasio::protocol::types::detail {
namespace {

// std::from_chars takes no '+': drop one, but only in front of a digit or a letter, so that
// "+-1" or "++1" stay invalid.
std::string_view strip_plus(std::string_view s) noexcept {
    if (s.size() > 1 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
    return s;
}

template <class F>
boost::system::error_code parse_float_impl(std::string_view in, F& out) noexcept {
    const std::string_view s = strip_plus(trim_space(in));
    if (s.empty()) return client_errc::invalid_text_value;
    // from_chars also takes "nan(chars)", which the server never writes and never reads.
    if (s.find('(') != std::string_view::npos) return client_errc::invalid_text_value;
    F v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) return client_errc::value_out_of_range;
    if (ec != std::errc{} || end != s.data() + s.size()) return client_errc::invalid_text_value;
    out = v;
    return {};
}

template <class F>
void append_float_impl(std::string& out, F v) {
    if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v < 0 ? "-Infinity" : "Infinity";
    } else {
        char buf[64];
        const auto res = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, res.ptr);
    }
}

} // namespace

boost::system::error_code parse_integer(std::string_view in, std::int64_t min, std::int64_t max,
                                        std::int64_t& out) noexcept {
    const std::string_view s = strip_plus(trim_space(in));
    if (s.empty()) return client_errc::invalid_text_value;
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) return client_errc::value_out_of_range;
    if (ec != std::errc{} || end != s.data() + s.size()) return client_errc::invalid_text_value;
    if (v < min || v > max) return client_errc::value_out_of_range;
    out = v;
    return {};
}

void append_integer(std::string& out, std::int64_t v) {
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
}

boost::system::error_code parse_float(std::string_view in, float& out) noexcept {
    return parse_float_impl(in, out);
}
boost::system::error_code parse_float(std::string_view in, double& out) noexcept {
    return parse_float_impl(in, out);
}
void append_float(std::string& out, float v) {
    append_float_impl(out, v);
}
void append_float(std::string& out, double v) {
    append_float_impl(out, v);
}

} // namespace pgasio::protocol::types::detail
