// fmt formatting of rows and values.
#pragma once

#include <pgasio/column.hpp>
#include <pgasio/row_view.hpp>
#include <pgasio/value.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>

/// Rows print like SQL literals: `(1, 'alice', NULL, true, '2024-02-29')`.
///
/// - NULL prints NULL; booleans true/false; integers, oid, floating point and numeric bare;
/// - every other built-in type prints its PostgreSQL text form in single quotes (a quote inside
///   doubled, as SQL does): text, dates and times, uuid, json, inet, bytea ('\x0102'), arrays
///   ('{1,2,NULL}'), ...
/// - a value of a type pgasio does not know prints its text quoted when it arrived as text, and
///   its bytes in hex ('\x...') when it arrived in binary; so does a value that fails to decode.
///
/// A pgasio::value prints as the server prints its value (what `SELECT x::text` returns, with the
/// session's defaults: DateStyle ISO, IntervalStyle postgres, timestamptz and timetz in UTC as
/// with TimeZone UTC, money as with lc_monetary C: `$1,234.56`), without quotes: `42`, `it's`,
/// `[0:1][1:2]={{1,2},{3,4}}`, `[1,5)`; NULL prints NULL. A value that cannot be written (an
/// alternative that cannot be of its type) prints `<unencodable>`.
///
/// Formatting decodes binary values through the codecs, so it allocates: it is for logs and
/// debugging, not for hot paths.
namespace pgasio::detail {

/// Appends the printable form of one value of column `col` (raw bytes, nullopt for NULL).
void append_field(std::string& out, const column& col,
                  std::optional<std::span<const std::byte>> raw);

/// Appends the printable form of a pgasio::value: its text as the server writes it.
void append_value(std::string& out, const value& v);

} // namespace pgasio::detail

/// Formats a row_view as `(v1, v2, ...)` (see pgasio/format.hpp); string format specs (width,
/// alignment) apply to the whole.
template <>
struct fmt::formatter<pgasio::row_view> : fmt::formatter<fmt::string_view> {
    template <class FormatContext>
    auto format(const pgasio::row_view& row, FormatContext& ctx) const {
        std::string s = "(";
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (i != 0) s += ", ";
            pgasio::detail::append_field(s, row.columns()[i], row.raw(i));
        }
        s += ')';
        return fmt::formatter<fmt::string_view>::format(fmt::string_view(s), ctx);
    }
};

/// Formats a pgasio::value as the server prints its value (see pgasio/format.hpp); string format
/// specs (width, alignment) apply to the whole.
template <>
struct fmt::formatter<pgasio::value> : fmt::formatter<fmt::string_view> {
    template <class FormatContext>
    auto format(const pgasio::value& v, FormatContext& ctx) const {
        std::string s;
        pgasio::detail::append_value(s, v);
        return fmt::formatter<fmt::string_view>::format(fmt::string_view(s), ctx);
    }
};
