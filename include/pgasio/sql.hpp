// Building SQL text safely when parameters cannot be used (identifiers, LISTEN channels...).
#pragma once

#include <string>
#include <string_view>

namespace pgasio {

/// `name` as a quoted SQL identifier: wrapped in double quotes, embedded double quotes doubled,
/// so any string names exactly that object (case kept). e.g. `my "table"` -> `"my ""table"""`.
/// A NUL byte cannot be part of an identifier; the server refuses the statement that carries it.
std::string quote_identifier(std::string_view name);

/// `text` as a quoted SQL string literal: single quotes doubled, and the E'' form with doubled
/// backslashes when it holds a backslash, so the literal means `text` whatever
/// standard_conforming_strings says. Prefer query parameters: they need no quoting at all.
std::string quote_literal(std::string_view text);

} // namespace pgasio
