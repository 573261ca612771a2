// Building SQL text safely when parameters cannot be used (identifiers, LISTEN channels...).
#pragma once

#include <pgasio/error.hpp>

#include <span>
#include <string>
#include <string_view>

namespace pgasio {

/// Checks that `name` can be used as an unquoted identifier: 1 to 63 characters (PostgreSQL's
/// NAMEDATALEN - 1), a letter or '_' first, then letters, digits or '_' (ASCII), and not a
/// reserved key word (SELECT, TABLE, USER... compared case-insensitively). Returns
/// boost::system::errc::invalid_argument when it cannot, with `why` (when given) saying which
/// rule it breaks. Use it to accept names from configuration; quote_identifier() accepts anything.
error_code validate_identifier(std::string_view name, std::string* why = nullptr);

/// `name` as a quoted SQL identifier: wrapped in double quotes, embedded double quotes doubled,
/// so any string names exactly that object (case kept). e.g. `my "table"` -> `"my ""table"""`.
/// A NUL byte cannot be part of an identifier; the server refuses the statement that carries it.
std::string quote_identifier(std::string_view name);

/// The one entry point for SQL text that is trusted as it is: it does nothing but mark, in the
/// code that calls it, that `sql` was written by the program (never built from user input).
/// Every other way of adding values to SQL should be a parameter or quote_*().
inline std::string_view trusted_sql(std::string_view sql) noexcept {
    return sql;
}

/// `text` as a quoted SQL string literal: single quotes doubled, and the E'' form with doubled
/// backslashes when it holds a backslash, so the literal means `text` whatever
/// standard_conforming_strings says. Prefer query parameters: they need no quoting at all.
std::string quote_literal(std::string_view text);

namespace detail {
/// Checks a name that goes into SQL quoted (quote_identifier): 1 to 63 bytes (the server would
/// truncate a longer one) and no NUL byte. Returns boost::system::errc::invalid_argument when
/// it is not, with `why` saying what is wrong and naming it as the `what` name.
error_code check_quoted_name(std::string_view what, std::string_view name, std::string& why);

/// The INSERT ... SELECT * FROM unnest($1, ...) statement of a table and its columns, every
/// name quoted; an error (`why` says which name and what is wrong) for a name
/// check_quoted_name refuses. `table` may be qualified by its schema ("schema.table").
error_code unnest_insert_sql(std::string_view table, std::span<const std::string_view> columns,
                             std::string& sql, std::string& why);
} // namespace detail

} // namespace pgasio
