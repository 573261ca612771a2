// PostgreSQL's arbitrary-precision decimal type `numeric`, and its codec.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio::protocol::detail {
struct numeric_builder;
} // namespace pgasio::protocol::detail

namespace pgasio::protocol {

/// An exact decimal number with PostgreSQL's `numeric` semantics and limits.
///
/// The value is kept as PostgreSQL keeps it: a sign, base-10000 digits (each 0..9999, most
/// significant first) with the `weight` (power of 10000) of the first digit, and a display scale
/// `dscale` (the number of decimal digits printed after the point, so 1.50 stays "1.50" even
/// though it equals 1.5). Besides finite values there are NaN and +/-Infinity.
///
/// Invariants (kept by every factory): digits carry no leading or trailing zero digits, no digit
/// lies beyond `dscale`, zero has no digits, weight 0 and a positive sign; -32768 <= weight <=
/// 32767 and dscale <= 16383 (PostgreSQL's storage limits: values below 10^131072 in magnitude,
/// at most 16383 digits after the point). Special values have no digits, weight 0, dscale 0.
///
/// @code
/// auto n = numeric::from_string("12345.678").value();
/// n.weight();      // 1
/// n.digits();      // {1, 2345, 6780}
/// n.to_string();   // "12345.678"
/// @endcode
class numeric {
public:
    /// Which kind of value a numeric holds.
    enum class kind_type : std::uint8_t {
        finite,            ///< an ordinary number
        nan,               ///< NaN (PostgreSQL's NaN equals itself)
        positive_infinity, ///< Infinity (numeric has it since PostgreSQL 14)
        negative_infinity, ///< -Infinity (numeric has it since PostgreSQL 14)
    };

    /// Largest weight (power of 10000 of the first digit) PostgreSQL can store.
    static constexpr int max_weight = 32767;
    /// Smallest weight PostgreSQL can store.
    static constexpr int min_weight = -32768;
    /// Largest display scale PostgreSQL can store (NUMERIC_DSCALE_MASK).
    static constexpr int max_dscale = 0x3FFF;

    /// Zero with display scale 0 ("0").
    numeric() = default;

    /// The value NaN.
    static numeric nan();
    /// The value Infinity.
    static numeric positive_infinity();
    /// The value -Infinity.
    static numeric negative_infinity();

    /// The integer `v`, exactly (display scale 0).
    static numeric from_int64(std::int64_t v);

    /// Builds a finite value from PostgreSQL's parts, as numeric_recv does: digits (base 10000,
    /// most significant first) of which the first has power `weight`, displayed with `dscale`
    /// decimals. Digits beyond `dscale` are truncated away and leading/trailing zero digits
    /// removed, so the result satisfies the invariants.
    /// Errors: invalid_numeric if a digit is outside 0..9999 or dscale outside 0..16383;
    /// value_out_of_range if the normalised weight exceeds PostgreSQL's limits.
    static boost::system::result<numeric> from_parts(bool negative, int weight, int dscale,
                                                     std::span<const std::int16_t> digits);

    /// Parses text as PostgreSQL 15's numeric_in does: optional leading and trailing white space,
    /// optional sign, decimal digits with at most one '.', optional exponent (e/E, sign, digits),
    /// or case-insensitively "NaN", "Infinity", "+Infinity", "-Infinity", "inf", "+inf", "-inf".
    /// The display scale is the number of digits after the point minus the exponent (at least 0):
    /// "1.50" has dscale 2, "1.5e1" dscale 0. (PostgreSQL 16's additions, digit separators "1_000"
    /// and "0x" / "0o" / "0b" integers, are refused, as PostgreSQL 15 does.)
    /// Errors: invalid_text_value for bad syntax; value_out_of_range when the value or its scale
    /// exceed PostgreSQL's limits (10^131072 and above, more than 16383 digits after the point).
    static boost::system::result<numeric> from_string(std::string_view text);

    /// The text PostgreSQL prints for this value: no exponent, exactly `dscale` digits after the
    /// point, "-" for negatives, "NaN", "Infinity", "-Infinity".
    std::string to_string() const;

    /// The value as an integer. Errors: value_out_of_range if it is not integral (1.5), does not
    /// fit in std::int64_t, or is NaN or infinite. Trailing zero decimals are fine: 2.00 gives 2.
    boost::system::result<std::int64_t> to_int64() const;

    /// The double nearest to the value (ties to even); +/-infinity beyond double's range,
    /// (signed) zero below it; a quiet NaN for NaN; +/-infinity for the infinities.
    double to_double() const;

    /// Finite, NaN, or an infinity.
    kind_type kind() const noexcept { return kind_; }
    /// True for a finite number.
    bool is_finite() const noexcept { return kind_ == kind_type::finite; }
    /// True for NaN.
    bool is_nan() const noexcept { return kind_ == kind_type::nan; }
    /// True for negative finite values and for -Infinity (never for zero).
    bool is_negative() const noexcept { return negative_; }
    /// Power of 10000 of the first digit (0 for zero and special values).
    int weight() const noexcept { return weight_; }
    /// Number of decimal digits displayed after the point.
    int dscale() const noexcept { return dscale_; }
    /// The base-10000 digits, most significant first, without leading or trailing zeros.
    std::span<const std::int16_t> digits() const noexcept { return digits_; }

    /// Compares values exactly, as PostgreSQL's `=` does: the display scale does not matter
    /// (1.50 == 1.5) and NaN equals NaN. Compare to_string() to also compare the scale.
    friend bool operator==(const numeric& a, const numeric& b) noexcept;

private:
    friend struct detail::numeric_builder;

    kind_type kind_ = kind_type::finite;
    bool negative_ = false;
    std::int16_t weight_ = 0;
    std::uint16_t dscale_ = 0;
    std::vector<std::int16_t> digits_;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

/// numeric <-> PostgreSQL `numeric`, binary and text.
///
/// Binary form (numeric_send): ndigits int16, weight int16, sign uint16 (0x0000 positive,
/// 0x4000 negative, 0xC000 NaN, 0xD000 +Infinity, 0xF000 -Infinity), dscale uint16, then ndigits
/// int16 digits. Decoding checks every field before using it: invalid_binary_length if fewer than
/// 8 header bytes or not exactly 2 * ndigits bytes follow (ndigits is read unsigned, as
/// numeric_recv does); invalid_numeric for a sign outside the five values, a dscale above 0x3FFF,
/// a digit outside 0..9999, or digits on NaN/Infinity. Any weight is accepted and, as numeric_recv
/// does, digits hidden by dscale are truncated away; NaN's and Infinity's weight and dscale are
/// ignored. Encoding writes the normalised form byte for byte as numeric_send does (which gives
/// the infinities a dscale of 32, an artefact of their on-disk header).
/// Text form: numeric::from_string / numeric::to_string.
template <>
struct codec<numeric> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::numeric;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::numeric_array;
    /// Whether values of server type `t` decode into this type.
    static bool accepts(oid t) noexcept { return t == oids::numeric; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const numeric& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   numeric& out);
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const numeric& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, numeric& out);
};

} // namespace pgasio::protocol::types
