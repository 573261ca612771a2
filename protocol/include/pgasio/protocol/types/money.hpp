// money: an amount in the smallest unit of lc_monetary's currency.
#pragma once

#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

#include <compare>
#include <cstdint>

namespace pgasio::protocol {

/// A money value: a signed 64-bit count of the smallest unit of the currency, which is what
/// the server stores and sends in binary (-$1,234.56 is -123456 under an lc_monetary with two
/// fractional digits, as C and en_US have). How many units make one, and the text form, depend
/// on the server's lc_monetary: pgasio's text form assumes two fractional digits, `.` and `,`
/// and `$` (the C locale), and writes a plain number (`-1234.56`), which the server reads in
/// that locale.
struct money {
    /// The amount in the smallest unit (cents).
    std::int64_t cents = 0;
    /// By amount.
    friend auto operator<=>(const money&, const money&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

namespace detail {
/// Parses money's text form as the server writes it in the C locale: `$1,234.56`, `-$0.07`, a
/// sign before or after the `$`, parentheses for a negative amount, thousands separators, and
/// two fractional digits (none or one also read). Errors: invalid_text_value,
/// value_out_of_range.
boost::system::error_code parse_money(std::string_view in, money& out) noexcept;
/// Appends `v` as a plain number with two fractional digits (`-1234.56`).
void append_money(std::string& out, money v);
} // namespace detail

/// `pgasio::protocol::money` <-> money. Binary is the 8-byte count of cents; text as
/// detail::parse_money and append_money say (the C locale's conventions).
template <>
struct codec<money> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::money;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::money_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::money; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const money& v) {
        out.put_i64(v.cents);
        return {};
    }
    /// Decodes the binary form of a value of server type `t`. Errors: type_mismatch,
    /// invalid_binary_length.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   money& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        if (in.size() != 8) return client_errc::invalid_binary_length;
        out.cents = protocol::detail::byte_reader(in).i64();
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const money& v) {
        detail::append_money(out, v);
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, money& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        return detail::parse_money(in, out);
    }
};

} // namespace pgasio::protocol::types
