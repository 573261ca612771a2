// The integration suite's no-leak check, on unless PGASIO_TEST_LEAK_CHECK=0. Every
// operation of every connection, pool and cluster the tests make is reported to a default
// observer that renders it as the library would for users: a log record of a logging_observer
// at the most verbose level, and the span name and attributes of span_attributes.hpp. Each
// operation's rendering is checked at once against what must never appear in it:
// - every password of the test setup (the user:password of $PGASIO_PG_DIR/env's URLs);
// - every literal of the operation's own SQL ('...' strings and $$/$tag$ strings, found here
//   by a naive scan independent of sanitize_sql) of 4 characters or more, but for a literal whose
//   text also appears in that SQL outside the literal (an identifier it names, say) or in the
//   rendering of the same operation with a bare SELECT for SQL (the database name, a fixed word).
// - the value of every named parameter (pgasio::named) of 4 characters or more: the observer
//   opts in for no name, so none may be written. Unnamed parameters never reach an observer.
// Numbers are not checked (durations and ports are numbers too). A test process
// that saw a leak prints it and exits with status 1 after its tests ran.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include "support/pg_env.hpp"

#include <pgasio/logging_observer.hpp>
#include <pgasio/span_attributes.hpp>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

namespace {

// What the records of the operation being reported on this thread say, as text.
thread_local std::string rendered;

class render_sink final : public pgasio::log_sink {
public:
    void write(const pgasio::log_record& r) noexcept override {
        rendered += r.message;
        for (const auto& f : r.fields) {
            rendered += ' ';
            rendered += f.name;
            rendered += '=';
            rendered += f.value;
        }
        rendered += '\n';
    }
};

void render(const std::vector<pgasio::span_attribute>& attributes) {
    for (const auto& a : attributes) {
        rendered += ' ';
        rendered += a.key;
        rendered += '=';
        if (const auto* s = std::get_if<std::string>(&a.value))
            rendered += *s;
        else
            rendered += std::to_string(std::get<std::int64_t>(a.value));
    }
    rendered += '\n';
}

// The literals of `sql`, naively: the text between a quote and the next one, and between a
// $tag$ and the next same tag.
std::vector<std::string> literals_of(std::string_view sql) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < sql.size()) {
        if (sql[i] == '\'') {
            const auto end = sql.find('\'', i + 1);
            if (end == std::string_view::npos) {
                out.emplace_back(sql.substr(i + 1));
                break;
            }
            out.emplace_back(sql.substr(i + 1, end - i - 1));
            i = end + 1;
        } else if (sql[i] == '$' && i + 1 < sql.size() &&
                   !std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
            const auto tag_end = sql.find('$', i + 1);
            if (tag_end == std::string_view::npos) break;
            const auto tag = sql.substr(i, tag_end - i + 1);
            if (tag.find_first_of(" \t\n'") != std::string_view::npos) {
                ++i;
                continue;
            }
            const auto end = sql.find(tag, tag_end + 1);
            if (end == std::string_view::npos) break;
            out.emplace_back(sql.substr(tag_end + 1, end - tag_end - 1));
            i = end + tag.size();
        } else {
            ++i;
        }
    }
    return out;
}

// True when `needle` occurs in `sql` other than as the literal it was taken from.
bool occurs_outside_literal(std::string_view sql, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = sql.find(needle); at != std::string_view::npos; at = sql.find(needle, at + 1))
        ++count;
    return count > 1;
}

class leak_observer final : public pgasio::observer {
public:
    explicit leak_observer(std::vector<std::string> passwords)
        : passwords_(std::move(passwords))
        , logging_(std::make_shared<render_sink>(), verbose()) {}

    void* operation_start(const pgasio::operation_info& op) noexcept override {
        try {
            check(op, [&](const pgasio::operation_info& o) {
                rendered += pgasio::span_name(o);
                render(pgasio::span_start_attributes(o));
            });
        } catch (...) {
        }
        return nullptr;
    }

    void operation_end(const pgasio::operation_info& op, const pgasio::operation_result& r,
                       void* context) noexcept override {
        try {
            check(op, [&](const pgasio::operation_info& o) {
                logging_.operation_end(o, r, context);
                render(pgasio::span_end_attributes(r));
            });
            std::lock_guard lock(mutex_);
            ++operations_;
        } catch (...) {
        }
    }

    // Leaks seen so far, and how many operations were checked.
    std::vector<std::string> leaks() {
        std::lock_guard lock(mutex_);
        return leaks_;
    }
    std::size_t operations() {
        std::lock_guard lock(mutex_);
        return operations_;
    }

private:
    static pgasio::logging_options verbose() {
        pgasio::logging_options o;
        o.operations = pgasio::log_level::trace;
        o.failures = pgasio::log_level::error;
        o.min_level = pgasio::log_level::trace;
        o.slow_query_threshold = std::chrono::milliseconds(1);
        return o;
    }

    // Renders `op` with `render_op`, and checks the text against the passwords and the literals
    // of its SQL. A literal that shows up just as well when the operation has no SQL at all (the
    // database's name, a word of a record's fixed text) is not taken from the SQL: not checked.
    template <class Render>
    void check(const pgasio::operation_info& op, Render render_op) {
        // The same operation with an SQL text that holds nothing of the application's, and no
        // parameters: its rendering has every fixed word an SQL text brings (db.query.text, say).
        pgasio::operation_info without_sql = op;
        if (!op.unsanitized_sql.empty()) without_sql.unsanitized_sql = "SELECT";
        without_sql.parameters = {};
        rendered.clear();
        render_op(without_sql);
        const std::string baseline = rendered;
        rendered.clear();
        render_op(op);
        std::vector<std::string> forbidden = passwords_;
        for (auto& literal : literals_of(op.unsanitized_sql))
            if (literal.size() >= 4 && !occurs_outside_literal(op.unsanitized_sql, literal) &&
                baseline.find(literal) == std::string::npos)
                forbidden.push_back(std::move(literal));
        for (const auto& p : op.parameters)
            if (p.text.size() >= 4 && baseline.find(p.text) == std::string::npos)
                forbidden.emplace_back(p.text);
        for (const auto& f : forbidden) {
            if (rendered.find(f) == std::string::npos) continue;
            std::lock_guard lock(mutex_);
            leaks_.push_back("\"" + f + "\" in: " + rendered);
        }
    }

    std::vector<std::string> passwords_;
    pgasio::logging_observer logging_;
    std::mutex mutex_;
    std::vector<std::string> leaks_;
    std::size_t operations_ = 0;
};

// The passwords in the setup's URLs (postgresql://user:password@host...).
std::vector<std::string> setup_passwords() {
    std::vector<std::string> out;
    for (const auto& [name, value] : pgasio::test::pg_settings()) {
        const auto scheme = value.find("://");
        if (scheme == std::string::npos) continue;
        const auto at = value.find('@', scheme);
        const auto colon = value.find(':', scheme + 3);
        if (at == std::string::npos || colon == std::string::npos || colon > at) continue;
        out.push_back(value.substr(colon + 1, at - colon - 1));
    }
    return out;
}

std::shared_ptr<leak_observer> installed;

struct leak_check_listener : Catch::TestEventListenerBase {
    using TestEventListenerBase::TestEventListenerBase;

    void testRunStarting(const Catch::TestRunInfo&) override {
        const char* on = std::getenv("PGASIO_TEST_LEAK_CHECK");
        if (on && std::string_view(on) == "0") return;
        installed = std::make_shared<leak_observer>(setup_passwords());
        pgasio::set_default_observer(installed);
    }

    void testRunEnded(const Catch::TestRunStats&) override {
        if (!installed) return;
        pgasio::set_default_observer(nullptr);
        const auto leaks = installed->leaks();
        if (leaks.empty()) return;
        std::fprintf(stderr,
                     "no-leak check: %zu secrets shown in the log records and spans of %zu "
                     "operations:\n",
                     leaks.size(), installed->operations());
        for (const auto& l : leaks)
            std::fprintf(stderr, "  %s", l.c_str());
        std::fflush(stderr);
        // The run fails once Catch has reported it (a listener cannot fail it itself).
        std::atexit([] { std::_Exit(1); });
    }
};

} // namespace

CATCH_REGISTER_LISTENER(leak_check_listener)
