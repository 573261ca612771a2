#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/types/numeric.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <system_error>

namespace pgasio::protocol {
namespace {

// Sign words of the binary form (NUMERIC_POS, NUMERIC_NEG, NUMERIC_NAN, NUMERIC_PINF,
// NUMERIC_NINF).
constexpr std::uint16_t sign_pos = 0x0000;
constexpr std::uint16_t sign_neg = 0x4000;
constexpr std::uint16_t sign_nan = 0xC000;
constexpr std::uint16_t sign_pinf = 0xD000;
constexpr std::uint16_t sign_ninf = 0xF000;

constexpr int nbase = 10000;
constexpr int dec_digits = 4; // decimal digits per base-10000 digit
constexpr int pow10[dec_digits + 1] = {1, 10, 100, 1000, 10000};

boost::system::error_code err(client_errc e) noexcept {
    return make_error_code(e);
}

// Floor division and modulo by 4, for the decimal exponents of digits below the point.
constexpr std::int64_t floor_div4(std::int64_t e) noexcept {
    return e >= 0 ? e / dec_digits : -((-e + dec_digits - 1) / dec_digits);
}
constexpr int floor_mod4(std::int64_t e) noexcept {
    return static_cast<int>(e - floor_div4(e) * dec_digits);
}

// The characters isspace() accepts in the "C" locale, which is what numeric_in skips.
constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

} // namespace
} // namespace pgasio::protocol

namespace pgasio::protocol::detail {

// Brings parts into the invariant form, as numeric_recv's trunc_var followed by make_result do:
// digits below dscale are cut (not rounded), then zero digits at both ends are dropped.
struct numeric_builder {
    static boost::system::result<numeric> make(bool negative, std::int64_t weight, int dscale,
                                               std::vector<std::int16_t> digits) {
        const std::int64_t frac_groups = (dscale + dec_digits - 1) / dec_digits;
        // Digit i has power weight - i; keep those with power >= -frac_groups.
        const std::int64_t keep = std::clamp<std::int64_t>(
            weight + frac_groups + 1, 0, static_cast<std::int64_t>(digits.size()));
        digits.resize(static_cast<std::size_t>(keep));
        if (!digits.empty() && weight - (keep - 1) == -frac_groups && dscale % dec_digits != 0) {
            // The last group is only partly displayed: clear its hidden decimal places.
            const int hidden = pow10[dec_digits - dscale % dec_digits];
            digits.back() = static_cast<std::int16_t>(digits.back() - digits.back() % hidden);
        }
        while (!digits.empty() && digits.back() == 0)
            digits.pop_back();
        const auto first =
            std::find_if(digits.begin(), digits.end(), [](auto d) { return d != 0; });
        weight -= first - digits.begin();
        digits.erase(digits.begin(), first);
        numeric n;
        if (digits.empty()) {
            weight = 0;
            negative = false;
        }
        if (weight > numeric::max_weight || weight < numeric::min_weight)
            return err(client_errc::value_out_of_range);
        n.negative_ = negative;
        n.weight_ = static_cast<std::int16_t>(weight);
        n.dscale_ = static_cast<std::uint16_t>(dscale);
        n.digits_ = std::move(digits);
        return n;
    }

    static numeric special(numeric::kind_type k) {
        numeric n;
        n.kind_ = k;
        n.negative_ = k == numeric::kind_type::negative_infinity;
        return n;
    }
};

} // namespace pgasio::protocol::detail

namespace pgasio::protocol {
using detail::numeric_builder;

numeric numeric::nan() {
    return numeric_builder::special(kind_type::nan);
}
numeric numeric::positive_infinity() {
    return numeric_builder::special(kind_type::positive_infinity);
}
numeric numeric::negative_infinity() {
    return numeric_builder::special(kind_type::negative_infinity);
}

numeric numeric::from_int64(std::int64_t v) {
    // The magnitude as unsigned, so that INT64_MIN does not overflow.
    std::uint64_t mag = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    std::vector<std::int16_t> groups;
    while (mag != 0) {
        groups.push_back(static_cast<std::int16_t>(mag % nbase));
        mag /= nbase;
    }
    std::reverse(groups.begin(), groups.end());
    const auto weight = static_cast<std::int64_t>(groups.size()) - 1;
    // At most 5 groups: always within the limits.
    return numeric_builder::make(v < 0, weight, 0, std::move(groups)).value();
}

boost::system::result<numeric> numeric::from_parts(bool negative, int weight, int dscale,
                                                   std::span<const std::int16_t> digits) {
    if (dscale < 0 || dscale > max_dscale) return err(client_errc::invalid_numeric);
    for (const auto d : digits)
        if (d < 0 || d >= nbase) return err(client_errc::invalid_numeric);
    return numeric_builder::make(negative, weight, dscale, {digits.begin(), digits.end()});
}

boost::system::result<numeric> numeric::from_string(std::string_view text) {
    std::size_t p = 0;
    const auto at = [&](std::size_t i) { return i < text.size() ? text[i] : '\0'; };
    while (is_space(at(p)))
        ++p;

    // The spellings numeric_in (and float8in) accept for the special values, in its order.
    struct special_word {
        std::string_view word;
        kind_type kind;
    };
    static constexpr special_word specials[] = {
        {"nan", kind_type::nan},
        {"infinity", kind_type::positive_infinity},
        {"+infinity", kind_type::positive_infinity},
        {"-infinity", kind_type::negative_infinity},
        {"inf", kind_type::positive_infinity},
        {"+inf", kind_type::positive_infinity},
        {"-inf", kind_type::negative_infinity},
    };
    for (const auto& s : specials) {
        if (!starts_with_nocase(text.substr(p), s.word)) continue;
        p += s.word.size();
        while (is_space(at(p)))
            ++p;
        if (p != text.size()) return err(client_errc::invalid_text_value);
        return numeric_builder::special(s.kind);
    }

    bool negative = false;
    if (at(p) == '+') {
        ++p;
    } else if (at(p) == '-') {
        negative = true;
        ++p;
    }
    bool have_dp = false;
    if (at(p) == '.') {
        have_dp = true;
        ++p;
    }
    if (!is_digit(at(p))) return err(client_errc::invalid_text_value);

    // The decimal digits, and how many came before / after the point.
    std::string decimals;
    std::int64_t int_digits = 0;
    std::int64_t frac_digits = 0;
    for (;; ++p) {
        const char c = at(p);
        if (is_digit(c)) {
            decimals.push_back(c);
            ++(have_dp ? frac_digits : int_digits);
        } else if (c == '.' && !have_dp) {
            have_dp = true;
        } else {
            break;
        }
    }
    if (at(p) == '.') return err(client_errc::invalid_text_value);

    std::int64_t exponent = 0;
    if (at(p) == 'e' || at(p) == 'E') {
        ++p;
        // numeric_in reads the exponent with strtol: white space and a sign may precede it.
        while (is_space(at(p)))
            ++p;
        bool exp_negative = false;
        if (at(p) == '+' || at(p) == '-') exp_negative = text[p++] == '-';
        if (!is_digit(at(p))) return err(client_errc::invalid_text_value);
        // numeric_in refuses |exponent| >= INT_MAX / 2; saturate above that while reading.
        constexpr std::int64_t exp_limit = std::numeric_limits<int>::max() / 2;
        for (; is_digit(at(p)); ++p)
            exponent = std::min<std::int64_t>(exponent * 10 + (text[p] - '0'), exp_limit);
        if (exponent >= exp_limit) return err(client_errc::value_out_of_range);
        if (exp_negative) exponent = -exponent;
    }
    while (is_space(at(p)))
        ++p;
    if (p != text.size()) return err(client_errc::invalid_text_value);

    const std::int64_t dscale = std::max<std::int64_t>(0, frac_digits - exponent);
    if (dscale > max_dscale) return err(client_errc::value_out_of_range);

    // Decimal exponents of the first and last non-zero decimal digit.
    const auto first_nz = decimals.find_first_not_of('0');
    if (first_nz == std::string::npos)
        return numeric_builder::make(false, 0, static_cast<int>(dscale), {});
    const auto last_nz = decimals.find_last_not_of('0');
    const std::int64_t top = int_digits - 1 + exponent; // exponent of decimals[0]
    const std::int64_t e_first = top - static_cast<std::int64_t>(first_nz);
    const std::int64_t e_last = top - static_cast<std::int64_t>(last_nz);
    const std::int64_t weight = floor_div4(e_first);
    // Checked before allocating: the group count is then bounded by the limits.
    if (weight > max_weight) return err(client_errc::value_out_of_range);
    std::vector<std::int16_t> groups(static_cast<std::size_t>(weight - floor_div4(e_last) + 1));
    for (auto i = first_nz; i <= last_nz; ++i) {
        const std::int64_t e = top - static_cast<std::int64_t>(i);
        auto& g = groups[static_cast<std::size_t>(weight - floor_div4(e))];
        g = static_cast<std::int16_t>(g + (decimals[i] - '0') * pow10[floor_mod4(e)]);
    }
    return numeric_builder::make(negative, weight, static_cast<int>(dscale), std::move(groups));
}

std::string numeric::to_string() const {
    switch (kind_) {
    case kind_type::nan:
        return "NaN";
    case kind_type::positive_infinity:
        return "Infinity";
    case kind_type::negative_infinity:
        return "-Infinity";
    case kind_type::finite:
        break;
    }
    // The digit of power w (zero outside the stored digits).
    const auto digit_at = [&](int w) -> int {
        const int i = weight_ - w;
        return i >= 0 && i < static_cast<int>(digits_.size()) ? digits_[static_cast<std::size_t>(i)]
                                                              : 0;
    };
    std::string s;
    if (negative_) s.push_back('-');
    if (weight_ < 0) {
        s.push_back('0');
    } else {
        s += std::to_string(digit_at(weight_));
        for (int w = weight_ - 1; w >= 0; --w) {
            const int d = digit_at(w);
            for (int k = dec_digits - 1; k >= 0; --k)
                s.push_back(static_cast<char>('0' + d / pow10[k] % 10));
        }
    }
    if (dscale_ > 0) {
        s.push_back('.');
        int left = dscale_;
        for (int w = -1; left > 0; --w) {
            const int d = digit_at(w);
            for (int k = dec_digits - 1; k >= 0 && left > 0; --k, --left)
                s.push_back(static_cast<char>('0' + d / pow10[k] % 10));
        }
    }
    return s;
}

boost::system::result<std::int64_t> numeric::to_int64() const {
    if (kind_ != kind_type::finite) return err(client_errc::value_out_of_range);
    if (digits_.empty()) return std::int64_t{0};
    // Digits are normalised: any digit past power 0 is a non-zero fraction.
    if (weight_ < 0 || static_cast<int>(digits_.size()) > weight_ + 1)
        return err(client_errc::value_out_of_range);
    std::uint64_t mag = 0;
    constexpr auto umax = std::numeric_limits<std::uint64_t>::max();
    for (int w = weight_, i = 0; w >= 0; --w, ++i) {
        const auto d = static_cast<std::uint64_t>(
            i < static_cast<int>(digits_.size()) ? digits_[static_cast<std::size_t>(i)] : 0);
        if (mag > (umax - d) / nbase) return err(client_errc::value_out_of_range);
        mag = mag * nbase + d;
    }
    constexpr auto max_pos = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (negative_) {
        if (mag > max_pos + 1) return err(client_errc::value_out_of_range);
        // -mag computed in unsigned arithmetic, then reinterpreted (INT64_MIN included).
        return static_cast<std::int64_t>(0 - mag);
    }
    if (mag > max_pos) return err(client_errc::value_out_of_range);
    return static_cast<std::int64_t>(mag);
}

double numeric::to_double() const {
    switch (kind_) {
    case kind_type::nan:
        return std::numeric_limits<double>::quiet_NaN();
    case kind_type::positive_infinity:
        return std::numeric_limits<double>::infinity();
    case kind_type::negative_infinity:
        return -std::numeric_limits<double>::infinity();
    case kind_type::finite:
        break;
    }
    // from_chars rounds correctly whatever the number of digits, and ignores the locale.
    const std::string s = to_string();
    double v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec == std::errc::result_out_of_range) {
        v = weight_ >= 0 ? std::numeric_limits<double>::infinity() : 0.0;
        if (negative_) v = -v;
    }
    return v;
}

bool operator==(const numeric& a, const numeric& b) noexcept {
    if (a.kind_ != b.kind_) return false;
    if (a.kind_ != numeric::kind_type::finite) return true;
    return a.negative_ == b.negative_ && a.weight_ == b.weight_ && a.digits_ == b.digits_;
}

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

boost::system::error_code codec<numeric>::encode_binary(write_buffer& out, const numeric& v) {
    std::uint16_t sign = v.is_negative() ? sign_neg : sign_pos;
    auto dscale = static_cast<std::uint16_t>(v.dscale());
    // numeric_send takes a special value's scale from bits of its on-disk header: 0 for NaN, 32
    // for the infinities. numeric_recv ignores it; writing the same keeps the bytes identical.
    constexpr std::uint16_t infinity_dscale = 32;
    switch (v.kind()) {
    case numeric::kind_type::nan:
        sign = sign_nan;
        break;
    case numeric::kind_type::positive_infinity:
        sign = sign_pinf;
        dscale = infinity_dscale;
        break;
    case numeric::kind_type::negative_infinity:
        sign = sign_ninf;
        dscale = infinity_dscale;
        break;
    case numeric::kind_type::finite:
        break;
    }
    const auto digits = v.digits();
    out.put_u16(static_cast<std::uint16_t>(digits.size()));
    out.put_i16(static_cast<std::int16_t>(v.weight()));
    out.put_u16(sign);
    out.put_u16(dscale);
    for (const auto d : digits)
        out.put_i16(d);
    return {};
}

boost::system::error_code codec<numeric>::decode_binary(std::span<const std::byte> in, oid t,
                                                        numeric& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    protocol::detail::byte_reader r(in);
    const std::uint16_t ndigits = r.u16();
    const std::int16_t weight = r.i16();
    const std::uint16_t sign = r.u16();
    const std::uint16_t dscale = r.u16();
    // The announced digit count is checked against the bytes present before anything is sized.
    if (r.error() || r.remaining() != std::size_t{ndigits} * 2)
        return err(client_errc::invalid_binary_length);
    if (dscale > numeric::max_dscale) return err(client_errc::invalid_numeric);
    switch (sign) {
    case sign_pos:
    case sign_neg:
        break;
    case sign_nan:
    case sign_pinf:
    case sign_ninf:
        // numeric_send writes special values without digits; anything else is not PostgreSQL's.
        if (ndigits != 0) return err(client_errc::invalid_numeric);
        out = sign == sign_nan    ? numeric::nan()
              : sign == sign_pinf ? numeric::positive_infinity()
                                  : numeric::negative_infinity();
        return {};
    default:
        return err(client_errc::invalid_numeric);
    }
    std::vector<std::int16_t> digits(ndigits);
    for (auto& d : digits)
        d = r.i16();
    auto n = numeric::from_parts(sign == sign_neg, weight, dscale, digits);
    if (!n) return n.error();
    out = std::move(*n);
    return {};
}

boost::system::error_code codec<numeric>::encode_text(std::string& out, const numeric& v) {
    out += v.to_string();
    return {};
}

boost::system::error_code codec<numeric>::decode_text(std::string_view in, oid t, numeric& out) {
    if (!accepts(t)) return err(client_errc::type_mismatch);
    auto n = numeric::from_string(in);
    if (!n) return n.error();
    out = std::move(*n);
    return {};
}

} // namespace pgasio::protocol::types
