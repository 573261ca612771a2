// Text form of money (the C locale's conventions).
#include <pgasio/protocol/types/detail/text.hpp>
#include <pgasio/protocol/types/money.hpp>
#include <pgasio/protocol/types/transaction_ids.hpp>

#include <cstdint>
#include <limits>

namespace pgasio::protocol::types::detail {

boost::system::error_code parse_money(std::string_view in, money& out) noexcept {
    in = trim_space(in);
    bool negative = false;
    // cash_out writes the sign before the currency symbol: `-$1.00`; cash_in also reads
    // `$-1.00` and `($1.00)`.
    if (in.size() >= 2 && in.front() == '(' && in.back() == ')') {
        negative = true;
        in = trim_space(in.substr(1, in.size() - 2));
    }
    auto take_sign = [&] {
        if (!in.empty() && (in.front() == '-' || in.front() == '+')) {
            negative = negative != (in.front() == '-');
            in.remove_prefix(1);
        }
    };
    take_sign();
    if (!in.empty() && in.front() == '$') in = trim_space(in.substr(1));
    take_sign();
    // The magnitude in cents, accumulated as unsigned so that -9223372036854775808 fits.
    constexpr std::uint64_t limit = std::uint64_t{1} << 63;
    std::uint64_t cents = 0;
    bool digits = false;
    int fraction = -1; // digits after the point so far, -1 before it
    for (char c : in) {
        if (c >= '0' && c <= '9') {
            if (fraction >= 2) return client_errc::invalid_text_value;
            if (cents > (limit - static_cast<unsigned>(c - '0')) / 10)
                return client_errc::value_out_of_range;
            cents = cents * 10 + static_cast<unsigned>(c - '0');
            digits = true;
            if (fraction >= 0) ++fraction;
        } else if (c == ',' && fraction < 0) {
            continue;
        } else if (c == '.' && fraction < 0) {
            fraction = 0;
        } else {
            return client_errc::invalid_text_value;
        }
    }
    if (!digits) return client_errc::invalid_text_value;
    for (int i = fraction < 0 ? 0 : fraction; i < 2; ++i) {
        if (cents > limit / 10) return client_errc::value_out_of_range;
        cents *= 10;
    }
    if (!negative && cents == limit) return client_errc::value_out_of_range;
    out.cents = negative ? static_cast<std::int64_t>(0 - cents) : static_cast<std::int64_t>(cents);
    return {};
}

void append_money(std::string& out, money v) {
    const bool negative = v.cents < 0;
    const std::uint64_t magnitude =
        negative ? 0 - static_cast<std::uint64_t>(v.cents) : static_cast<std::uint64_t>(v.cents);
    if (negative) out += '-';
    append_unsigned(out, magnitude / 100);
    out += '.';
    out += static_cast<char>('0' + magnitude % 100 / 10);
    out += static_cast<char>('0' + magnitude % 10);
}

} // namespace pgasio::protocol::types::detail
