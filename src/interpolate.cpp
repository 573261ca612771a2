// Query parameters written into the SQL text: a lexer that finds the placeholders as the server
// would, and the typed literals that replace them.
#include "interpolate.hpp"

#include "text_form.hpp"

#include <pgasio/detail/placeholders.hpp>
#include <pgasio/detail/user_type_codec.hpp>
#include <pgasio/sql.hpp>
#include <pgasio/type_registry.hpp>

#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/oids.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace pgasio::detail {

namespace {

namespace oids = protocol::oids;
using protocol::client_errc;

// Characters that start and continue an identifier (the server's ident_start and ident_cont):
// every byte of a multi-byte UTF-8 character counts as a letter. A '$' inside an identifier
// (`a$1`) belongs to it; so do digits.
bool is_ident_start(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}
bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
bool is_ident_cont(char c) noexcept {
    return is_ident_start(c) || is_digit(c) || c == '$';
}
// A dollar quote's tag continues as an identifier does, but without '$'.
bool is_tag_cont(char c) noexcept {
    return is_ident_start(c) || is_digit(c);
}

// The end of a quoted string or identifier whose body starts at `at` and ends at `quote`: the
// position after the closing quote, or npos when the SQL ends first. A doubled quote stands for
// itself; with `backslash`, a backslash escapes the character after it (E'...', or '...' when
// standard_conforming_strings is off).
std::size_t skip_quoted(std::string_view sql, std::size_t at, char quote, bool backslash) {
    while (at < sql.size()) {
        const char c = sql[at];
        if (backslash && c == '\\') {
            at += 2;
        } else if (c == quote) {
            if (at + 1 < sql.size() && sql[at + 1] == quote)
                at += 2;
            else
                return at + 1;
        } else {
            ++at;
        }
    }
    return std::string_view::npos;
}

// Where an E string that ended at `at` goes on, as the server reads it: after white space that
// holds a newline (and maybe -- comments), a quote continues the same string, still with
// backslash escapes ('a' newline 'b' is 'ab'). The position after that quote, or npos when the
// string ends at `at`.
std::size_t continuation(std::string_view sql, std::size_t at) {
    bool newline = false;
    while (at < sql.size()) {
        const char c = sql[at];
        if (c == '\n' || c == '\r') {
            newline = true;
            ++at;
        } else if (c == ' ' || c == '\t' || c == '\f' || (newline && c == '\v')) {
            ++at;
        } else if (c == '-' && at + 1 < sql.size() && sql[at + 1] == '-') {
            at = sql.find_first_of("\r\n", at);
            if (at == std::string_view::npos) return at;
        } else {
            break;
        }
    }
    return newline && at < sql.size() && sql[at] == '\'' ? at + 1 : std::string_view::npos;
}

// The end of an E string whose body starts at `at`, with its continuations; npos when the SQL
// ends first.
std::size_t skip_escape_string(std::string_view sql, std::size_t at) {
    for (;;) {
        const std::size_t end = skip_quoted(sql, at, '\'', true);
        if (end == std::string_view::npos) return end;
        at = continuation(sql, end);
        if (at == std::string_view::npos) return end;
    }
}

// The end of a block comment whose body starts at `at` (after its "/*"): block comments nest,
// as the server reads them. npos when the SQL ends first.
std::size_t skip_block_comment(std::string_view sql, std::size_t at) {
    int depth = 1;
    while (at + 1 < sql.size()) {
        if (sql[at] == '/' && sql[at + 1] == '*') {
            ++depth;
            at += 2;
        } else if (sql[at] == '*' && sql[at + 1] == '/') {
            at += 2;
            if (--depth == 0) return at;
        } else {
            ++at;
        }
    }
    return std::string_view::npos;
}

// The name of type `t` in a cast, or empty for a type without a built-in name. Arrays are
// written element[] (int4[]). "char" (the one-byte catalog type) and "bit" are quoted: bare,
// the grammar reads them as char(1) and bit(1).
std::string sql_type_name(protocol::oid t) {
    const protocol::oid element = oids::element_type(t);
    const std::string_view name = oids::type_name(element != 0 ? element : t);
    if (name.empty()) {
        // A type the current registry loaded (an array of one is named "_name" in pg_type).
        const auto u = loaded_type(t);
        return u ? quote_identifier(u->schema) + "." + quote_identifier(u->name) : std::string();
    }
    std::string s;
    if (name == "char" || name == "bit")
        s = fmt::format("\"{}\"", name);
    else
        s = name;
    if (element != 0) s += "[]";
    return s;
}

// Appends `text` as a string literal that reads the same whatever standard_conforming_strings
// is: quotes doubled, and when it holds a backslash, an E'' literal with backslashes doubled
// (in a plain '' literal a backslash would be an escape with the setting off).
void append_literal(std::string& out, std::string_view text) {
    const bool escape = text.find('\\') != std::string_view::npos;
    if (escape) out += 'E';
    out += '\'';
    for (const char c : text) {
        if (c == '\'' || (escape && c == '\\')) out += c;
        out += c;
    }
    out += '\'';
}

// Appends parameter `index` (0-based) as a parenthesised literal (see interpolate_params):
// `raw` is its binary form, or its text when `is_text`.
error_code append_param(std::string& out, std::size_t index, protocol::oid type,
                        std::optional<std::span<const std::byte>> raw, bool is_text,
                        std::string& why) {
    // Type 0, and unknown (705), are left for the server to infer, as in a Parse.
    const bool typed = type != 0 && type != oids::unknown;
    std::string name;
    if (typed) {
        name = sql_type_name(type);
        if (name.empty()) {
            why = fmt::format("parameter ${} has type {}, which pgasio cannot name in SQL: it "
                              "cannot be written into a simple query",
                              index + 1, describe_type(type));
            return client_errc::type_mismatch;
        }
    }
    out += '(';
    if (!raw) {
        out += "NULL";
    } else {
        std::string text;
        if (is_text)
            text.assign(reinterpret_cast<const char*>(raw->data()), raw->size());
        else if (!known_binary_text(type, *raw, text)) {
            why = fmt::format("parameter ${} has type {}, which pgasio has no text form for: it "
                              "cannot be written into a simple query",
                              index + 1, describe_type(type));
            return client_errc::type_mismatch;
        }
        append_literal(out, text);
    }
    if (typed) {
        out += "::";
        out += name;
    }
    out += ')';
    return {};
}

// Lexes `sql` as the server does and calls `placeholder(start, end, n)` for each placeholder
// $n, in order (sql[start, end) is its text; n stops growing past `cap`, so that it cannot
// overflow), until one returns an error, which it returns. `unterminated` is set when the SQL
// ends inside a string, identifier or comment: the placeholders after that point cannot be known
// (and the server will reject the query anyway). `plain_backslash`: a backslash escapes in '...'
// (standard_conforming_strings off).
template <class OnPlaceholder>
error_code scan_placeholders(std::string_view sql, bool plain_backslash, std::size_t cap,
                             bool& unterminated, OnPlaceholder placeholder) {
    std::size_t at = 0;
    const auto skip_to = [&](std::size_t end) {
        if (end == std::string_view::npos) {
            unterminated = true;
            at = sql.size();
        } else {
            at = end;
        }
    };
    while (at < sql.size()) {
        const char c = sql[at];
        const char next = at + 1 < sql.size() ? sql[at + 1] : '\0';
        if (c == '\'') {
            skip_to(skip_quoted(sql, at + 1, '\'', plain_backslash));
        } else if (c == '"') {
            skip_to(skip_quoted(sql, at + 1, '"', false));
        } else if (c == '-' && next == '-') {
            const std::size_t eol = sql.find_first_of("\r\n", at + 2);
            at = eol == std::string_view::npos ? sql.size() : eol + 1;
        } else if (c == '/' && next == '*') {
            skip_to(skip_block_comment(sql, at + 2));
        } else if (is_ident_start(c)) {
            // A whole identifier or keyword, so that a '$' inside it is not taken for a
            // placeholder. E'...' (one letter, then a quote) is a string with backslash escapes;
            // U&'...', B'...', X'...', N'...' are plain strings, found at their quote.
            const std::size_t start = at;
            while (at < sql.size() && is_ident_cont(sql[at]))
                ++at;
            if (at - start == 1 && (c == 'E' || c == 'e') && at < sql.size() && sql[at] == '\'')
                skip_to(skip_escape_string(sql, at + 1));
        } else if (c == '$' && is_digit(next)) {
            // A placeholder: every digit belongs to it ($10 is parameter 10).
            const std::size_t start = at;
            std::size_t n = 0;
            for (++at; at < sql.size() && is_digit(sql[at]); ++at)
                n = std::min(n * 10 + static_cast<std::size_t>(sql[at] - '0'), cap);
            if (auto ec = placeholder(start, at, n)) return ec;
        } else if (c == '$' && (next == '$' || is_ident_start(next))) {
            // A dollar quote $tag$ ... $tag$ when a '$' ends the tag; else a lone '$'.
            std::size_t tag_end = at + 1;
            while (tag_end < sql.size() && is_tag_cont(sql[tag_end]))
                ++tag_end;
            if (tag_end < sql.size() && sql[tag_end] == '$') {
                const std::string_view tag = sql.substr(at, tag_end + 1 - at);
                const std::size_t close = sql.find(tag, tag_end + 1);
                skip_to(close == std::string_view::npos ? close : close + tag.size());
            } else {
                at = tag_end;
            }
        } else {
            ++at;
        }
    }
    return {};
}

// Refuses the placeholder `text` ($0, or $n past the `count` parameters given), which no
// parameter fills.
error_code refuse_placeholder(std::string_view text, std::size_t count, std::string& why) {
    why = fmt::format("the query's placeholder {} has no parameter ({} given)", text, count);
    return client_errc::parameter_count_mismatch;
}

} // namespace

param_values::param_values(std::size_t count)
    : field_writer(bytes, count) {}

error_code param_values::finish(std::string& why) {
    values_.clear();
    if (!ec_ && written_ != expected_) {
        ec_ = client_errc::parameter_count_mismatch;
        why = fmt::format("{} values were written for {} parameters", written_, expected_);
        return ec_;
    }
    if (ec_ == client_errc::parameter_count_mismatch) {
        // written_ stopped counting at the first value too many.
        why = fmt::format("more values were written than the {} parameters announced", expected_);
        return ec_;
    }
    if (ec_) {
        // Writing stops at the first error: the last value counted is the one that failed.
        why = fmt::format("parameter ${} cannot be encoded: {}", written_, ec_.message());
        return ec_;
    }
    // The values as field_writer lays them out: an int32 length (-1 for NULL), then the bytes.
    protocol::detail::byte_reader r(bytes.data());
    values_.reserve(expected_);
    for (std::size_t i = 0; i < expected_; ++i) {
        const std::int32_t length = r.i32();
        const std::size_t at = bytes.size() - r.remaining();
        if (length > 0) r.bytes(static_cast<std::size_t>(length));
        values_.push_back(slot{at, length});
    }
    return {};
}

bool param_values::is_text(std::size_t i) const noexcept {
    return std::find(text_values_.begin(), text_values_.end(), i) != text_values_.end();
}

std::optional<std::span<const std::byte>> param_values::operator[](std::size_t i) const noexcept {
    const slot s = values_[i];
    if (s.length < 0) return std::nullopt;
    return bytes.data().subspan(s.at, static_cast<std::size_t>(s.length));
}

error_code interpolate_params(std::string_view sql, std::span<const protocol::oid> types,
                              const param_values& values, plain_string_backslash plain_strings,
                              std::string& out, std::string& why) {
    out.clear();
    if (types.size() != values.size()) {
        why = fmt::format("{} parameter types for {} values", types.size(), values.size());
        return client_errc::parameter_count_mismatch;
    }
    out.reserve(sql.size() + 16 * values.size());
    std::vector<bool> used(values.size());
    std::size_t copied = 0; // sql[copied, start of the next placeholder) is still to be copied
    bool unterminated = false;
    const auto each = [&](std::size_t start, std::size_t end, std::size_t n) -> error_code {
        if (n == 0 || n > values.size())
            return refuse_placeholder(sql.substr(start, end - start), values.size(), why);
        out.append(sql.substr(copied, start - copied));
        copied = end;
        used[n - 1] = true;
        return append_param(out, n - 1, types[n - 1], values[n - 1], values.is_text(n - 1), why);
    };
    if (auto ec = scan_placeholders(sql, plain_strings == plain_string_backslash::escape,
                                    values.size() + 1, unterminated, each))
        return ec;
    out.append(sql.substr(copied));
    if (!unterminated) {
        const auto unused = std::find(used.begin(), used.end(), false);
        if (unused != used.end()) {
            why = fmt::format("parameter ${0} is not used: the query has no placeholder ${0}",
                              unused - used.begin() + 1);
            return client_errc::parameter_count_mismatch;
        }
    }
    return {};
}

error_code check_parameter_count(std::string_view sql, std::size_t count, bool backslash_escapes,
                                 std::string& why) {
    std::size_t highest = 0;
    bool unterminated = false;
    // Capped past the count: all that matters is whether it reaches or passes it.
    const auto each = [&](std::size_t start, std::size_t end, std::size_t n) -> error_code {
        if (n == 0 || n > count)
            return refuse_placeholder(sql.substr(start, end - start), count, why);
        highest = std::max(highest, n);
        return {};
    };
    if (auto ec = scan_placeholders(sql, backslash_escapes, count + 1, unterminated, each))
        return ec;
    if (unterminated || highest >= count) return {};
    if (highest == 0)
        why = fmt::format("{} parameter{} given, but the query has no placeholder", count,
                          count == 1 ? " was" : "s were");
    else
        why = fmt::format("parameter ${} is not used: the query's placeholders end at ${}",
                          highest + 1, highest);
    return client_errc::parameter_count_mismatch;
}

} // namespace pgasio::detail
