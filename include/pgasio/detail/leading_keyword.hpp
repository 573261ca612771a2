// The first key word of an SQL text, for the few statements the engine must treat apart.
#pragma once

#include <cstddef>
#include <string_view>

namespace pgasio::detail {

/// The first word of `sql` after white space and comments (`-- ...` and nested `/* ... */`),
/// as written (compare it with keyword_is). Empty when the text starts with anything else (a
/// parenthesis, a quote) or holds nothing but comments.
///
/// Used to run COPY and transaction starts alone on the wire (see runs_alone).
constexpr std::string_view leading_keyword(std::string_view sql) noexcept {
    std::size_t i = 0;
    const std::size_t n = sql.size();
    while (i < n) {
        const char c = sql[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            ++i;
        } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
            while (i < n && sql[i] != '\n')
                ++i;
        } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
            // PostgreSQL's block comments nest.
            int depth = 1;
            i += 2;
            while (i < n && depth > 0) {
                if (sql[i] == '/' && i + 1 < n && sql[i + 1] == '*') {
                    ++depth;
                    i += 2;
                } else if (sql[i] == '*' && i + 1 < n && sql[i + 1] == '/') {
                    --depth;
                    i += 2;
                } else {
                    ++i;
                }
            }
        } else {
            break;
        }
    }
    const std::size_t start = i;
    while (i < n &&
           ((sql[i] >= 'a' && sql[i] <= 'z') || (sql[i] >= 'A' && sql[i] <= 'Z') || sql[i] == '_'))
        ++i;
    return sql.substr(start, i - start);
}

/// True when `word` is `keyword` (lower case ASCII) in any letter case.
constexpr bool keyword_is(std::string_view word, std::string_view keyword) noexcept {
    if (word.size() != keyword.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
        const char c =
            word[i] >= 'A' && word[i] <= 'Z' ? static_cast<char>(word[i] - 'A' + 'a') : word[i];
        if (c != keyword[i]) return false;
    }
    return true;
}

/// True when `sql` is a COPY statement.
constexpr bool is_copy(std::string_view sql) noexcept {
    return keyword_is(leading_keyword(sql), "copy");
}

/// True when the engine must write `sql` with nothing else in flight: COPY (another request's
/// message during COPY FROM STDIN ends the session) and BEGIN / START TRANSACTION (a
/// transaction block on a shared connection is refused before anything else joins it).
constexpr bool runs_alone(std::string_view sql) noexcept {
    const auto word = leading_keyword(sql);
    return keyword_is(word, "copy") || keyword_is(word, "begin") || keyword_is(word, "start");
}

} // namespace pgasio::detail
