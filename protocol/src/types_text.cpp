#include <pgasio/protocol/types/detail/text.hpp>

#include <algorithm>
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

// The server's float4out/float8out (extra_float_digits > 0, the default): the shortest digits
// that read back exactly, in fixed notation when the decimal exponent is in [-4, max_exponent)
// (6 for float4, 15 for float8: FLT_DIG and DBL_DIG), else in exponent notation ("1e+16",
// "1.5e-05"). std::to_chars without a format picks whichever is shorter instead, which writes
// 100000 as "1e+05" and 0.0001 as "1e-04" where the server writes "100000" and "0.0001".
template <class F>
void append_float_impl(std::string& out, F v) {
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v < 0 ? "-Infinity" : "Infinity";
        return;
    }
    constexpr int max_exponent = sizeof(F) == 4 ? 6 : 15;
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    // The exponent follows the 'e' of the scientific form (zero is "0e+00").
    const char* e = std::find(buf, res.ptr, 'e');
    int exponent = 0;
    std::from_chars(e + (e[1] == '+' ? 2 : 1), res.ptr, exponent);
    if (exponent >= -4 && exponent < max_exponent)
        res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    out.append(buf, res.ptr);
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
