// The SQL sanitizer of logs and traces: a small lexer that follows PostgreSQL's (scan.l) closely
// enough to find every literal, and errs towards hiding text when the input is malformed.
#include <pgasio/detail/leading_keyword.hpp>
#include <pgasio/sanitize_sql.hpp>

namespace pgasio {
namespace {

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
// PostgreSQL takes every byte of a multibyte character as an identifier character.
bool is_ident_start(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}
bool is_ident_char(char c) noexcept {
    return is_ident_start(c) || is_digit(c) || c == '$';
}
bool is_one_of_ci(std::string_view word, std::string_view letters) noexcept {
    if (word.size() != 1) return false;
    const char c =
        word[0] >= 'A' && word[0] <= 'Z' ? static_cast<char>(word[0] - 'A' + 'a') : word[0];
    return letters.find(c) != std::string_view::npos;
}

class sanitizer {
public:
    explicit sanitizer(std::string_view sql)
        : sql_(sql) {}

    std::string run() {
        while (i_ < sql_.size()) {
            const char c = sql_[i_];
            if (is_space(c)) {
                ++i_;
                space();
            } else if (starts("--")) {
                while (i_ < sql_.size() && sql_[i_] != '\n')
                    ++i_;
                space();
            } else if (starts("/*")) {
                if (!block_comment()) break;
                space();
            } else if (c == '\'') {
                if (!string_literal(false)) return finish_hidden();
            } else if (c == '"') {
                if (!quoted_identifier()) return finish_hidden();
            } else if (c == '$') {
                if (!dollar()) return finish_hidden();
            } else if (is_digit(c) ||
                       (c == '.' && i_ + 1 < sql_.size() && is_digit(sql_[i_ + 1]))) {
                number();
            } else if (is_ident_start(c)) {
                if (!word()) return finish_hidden();
            } else {
                emit(std::string_view(&sql_[i_], 1));
                if (c == ';') setting_ = setting::none; // a statement of its own follows
                if (c == '=' && setting_ == setting::named) setting_ = setting::value;
                ++i_;
            }
        }
        return std::move(out_);
    }

private:
    bool starts(std::string_view s) const noexcept { return sql_.substr(i_).starts_with(s); }

    // White space and comments separate tokens: one space, written before the next token.
    void space() noexcept { pending_space_ = !out_.empty(); }
    void emit(std::string_view token) {
        if (pending_space_) out_ += ' ';
        pending_space_ = false;
        out_ += token;
    }
    // The rest of the text cannot be told apart safely (an unterminated literal): hidden.
    std::string finish_hidden() {
        emit("?");
        return std::move(out_);
    }

    // Nested, as PostgreSQL's. False when it does not end.
    bool block_comment() noexcept {
        int depth = 0;
        while (i_ < sql_.size()) {
            if (starts("/*")) {
                ++depth;
                i_ += 2;
            } else if (starts("*/")) {
                i_ += 2;
                if (--depth == 0) return true;
            } else {
                ++i_;
            }
        }
        return false;
    }

    // A '...' literal at i_ ('' is a quote inside it; with `backslashes`, E'...', \x escapes the
    // next character too). Consecutive literals separated by white space with a newline are one
    // literal to the server; here they simply become one `?` each. False when it does not end.
    bool string_literal(bool backslashes) {
        ++i_;
        while (i_ < sql_.size()) {
            const char c = sql_[i_];
            if (backslashes && c == '\\') {
                i_ += 2;
            } else if (c == '\'') {
                if (i_ + 1 < sql_.size() && sql_[i_ + 1] == '\'') {
                    i_ += 2;
                } else {
                    ++i_;
                    emit("?");
                    return true;
                }
            } else {
                ++i_;
            }
        }
        return false;
    }

    // "..." ("" inside): an identifier, kept as written (but a setting's value: `?`). False when
    // it does not end.
    bool quoted_identifier() {
        const std::size_t begin = i_++;
        while (i_ < sql_.size()) {
            if (sql_[i_] == '"') {
                if (i_ + 1 < sql_.size() && sql_[i_ + 1] == '"') {
                    i_ += 2;
                    continue;
                }
                ++i_;
                emit(setting_ == setting::value ? std::string_view("?")
                                                : sql_.substr(begin, i_ - begin));
                return true;
            }
            ++i_;
        }
        return false;
    }

    // $1 (a parameter: kept), $tag$...$tag$ or $$...$$ (a string: `?`), or a lone '$'. False
    // when a dollar-quoted string does not end.
    bool dollar() {
        const std::size_t begin = i_;
        std::size_t j = i_ + 1;
        if (j < sql_.size() && is_digit(sql_[j])) {
            while (j < sql_.size() && is_digit(sql_[j]))
                ++j;
            emit(sql_.substr(begin, j - begin));
            i_ = j;
            return true;
        }
        if (j < sql_.size() && is_ident_start(sql_[j])) {
            while (j < sql_.size() && (is_ident_start(sql_[j]) || is_digit(sql_[j])))
                ++j;
        }
        if (j >= sql_.size() || sql_[j] != '$') {
            emit("$");
            ++i_;
            return true;
        }
        const std::string_view tag = sql_.substr(begin, j + 1 - begin);
        const std::size_t end = sql_.find(tag, j + 1);
        if (end == std::string_view::npos) return false;
        i_ = end + tag.size();
        emit("?");
        return true;
    }

    // 42, 4.2, .5, 1e-3, 0x1F, 1_000: one `?`.
    void number() {
        while (i_ < sql_.size()) {
            const char c = sql_[i_];
            // An exponent's sign (1e-3), or the number's own characters.
            const bool exponent_sign = (c == '+' || c == '-') &&
                                       (sql_[i_ - 1] == 'e' || sql_[i_ - 1] == 'E') &&
                                       i_ + 1 < sql_.size() && is_digit(sql_[i_ + 1]);
            if (!exponent_sign && !is_ident_char(c) && c != '.') break;
            ++i_;
        }
        emit("?");
    }
    // A key word or identifier, kept; or the prefix of a literal: E'...', B'...', X'...',
    // N'...', U&'...' (also U&"..." identifiers). False when the literal does not end.
    bool word() {
        const std::size_t begin = i_;
        while (i_ < sql_.size() && is_ident_char(sql_[i_]))
            ++i_;
        const std::string_view w = sql_.substr(begin, i_ - begin);
        if (i_ < sql_.size() && sql_[i_] == '\'' && is_one_of_ci(w, "ebxn"))
            return string_literal(is_one_of_ci(w, "e"));
        if (is_one_of_ci(w, "u") && starts("&'")) {
            ++i_;
            return string_literal(false);
        }
        // A run-time setting's value, in SET and in ALTER ... SET (ALTER ROLE, DATABASE, SYSTEM,
        // FUNCTION), may be a secret written as a bare word (SET my.api_key = hunter2): `?`.
        if (setting_ == setting::value) {
            emit("?");
            return true;
        }
        const bool first = out_.empty() || out_.back() == ';';
        if (first) settable_ = detail::keyword_is(w, "set") || detail::keyword_is(w, "alter");
        if (settable_ && setting_ == setting::none && detail::keyword_is(w, "set"))
            setting_ = setting::named;
        else if (setting_ == setting::named && detail::keyword_is(w, "to"))
            setting_ = setting::value;
        emit(w);
        return true;
    }

    std::string_view sql_;
    std::size_t i_ = 0;
    std::string out_;
    bool pending_space_ = false;
    // Where a SET or ALTER statement is: past its SET (the setting's name comes), or past the
    // `=` or TO after it (the value, to the end of the statement).
    enum class setting { none, named, value };
    bool settable_ = false; // the statement starts with SET or ALTER
    setting setting_ = setting::none;
};

} // namespace

std::string sanitize_sql(std::string_view sql) {
    return sanitizer(sql).run();
}

std::string sql_operation_name(std::string_view sql) {
    std::string name(detail::leading_keyword(sql));
    for (auto& c : name)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return name;
}

} // namespace pgasio
