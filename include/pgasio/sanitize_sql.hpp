// SQL text that can be shown in logs and traces: no values in it.
#pragma once

#include <string>
#include <string_view>

namespace pgasio {

/// `sql` with every value taken out, for logs and traces (OpenTelemetry's db.query.text): string
/// literals ('...', E'...' with its backslash escapes, U&'...', B'...', X'...'), dollar-quoted
/// strings ($$...$$, $tag$...$tag$) and numbers each become `?`; comments (`-- ...` and nested
/// `/* ... */`) are left out; runs of white space become one space. Identifiers, quoted ones
/// ("...") included, key words, operators and parameter placeholders ($1) are kept, but for the
/// value of a run-time setting (after the `=` or TO of SET, or of ALTER ROLE/DATABASE/SYSTEM ...
/// SET), which becomes `?` whatever it is written as: a secret is often set as a bare word
/// (`SET my.api_key = hunter2`).
///
/// Conservative where the text is malformed: an unterminated literal, quoted identifier or
/// comment swallows the rest of the text (one `?`), so nothing of it can leak.
///
/// \code
/// assert(pgasio::sanitize_sql("SELECT * FROM t WHERE name = 'bob' AND id > 42 -- hi") ==
///        "SELECT * FROM t WHERE name = ? AND id > ?");
/// \endcode
std::string sanitize_sql(std::string_view sql);

/// The first key word of `sql` in upper case ("SELECT", "INSERT"), comments and white space
/// skipped: OpenTelemetry's db.operation.name. Empty when the text does not start with a word.
std::string sql_operation_name(std::string_view sql);

} // namespace pgasio
