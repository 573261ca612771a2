// The log sink to stderr, and the observer that writes operations to a log sink.
#include <pgasio/logging_observer.hpp>
#include <pgasio/sanitize_sql.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace pgasio {

std::string_view to_string(log_level level) noexcept {
    switch (level) {
    case log_level::trace:
        return "trace";
    case log_level::debug:
        return "debug";
    case log_level::info:
        return "info";
    case log_level::warning:
        return "warning";
    case log_level::error:
        return "error";
    }
    return "unknown";
}

void stderr_log_sink::write(const log_record& record) noexcept {
    if (record.level < min_level_) return;
    try {
        std::string line = fmt::format("pgasio {}: {}", to_string(record.level), record.message);
        for (const auto& f : record.fields) {
            // Quoted when it would not read as one word.
            if (f.value.empty() || f.value.find_first_of(" \"=") != std::string_view::npos)
                line += fmt::format(" {}=\"{}\"", f.name, f.value);
            else
                line += fmt::format(" {}={}", f.name, f.value);
        }
        line += '\n';
        static std::mutex one_line_at_a_time;
        std::lock_guard lock(one_line_at_a_time);
        std::fputs(line.c_str(), stderr);
    } catch (...) {
        // Out of memory: the record is lost, never the operation.
    }
}

logging_observer::logging_observer(std::shared_ptr<log_sink> sink, logging_options options)
    : sink_(std::move(sink))
    , options_(std::move(options)) {}

void logging_observer::operation_end(const operation_info& op, const operation_result& result,
                                     void*) noexcept {
    if (!sink_) return;
    const bool runs_sql = op.kind == operation_kind::query ||
                          op.kind == operation_kind::simple_query ||
                          op.kind == operation_kind::prepare || op.kind == operation_kind::copy ||
                          op.kind == operation_kind::batch;
    const bool slow = runs_sql && options_.slow_query_threshold.count() > 0 &&
                      result.duration >= options_.slow_query_threshold;
    log_level level = result.ec ? options_.failures : options_.operations;
    if (slow && level < log_level::warning) level = log_level::warning;
    if (level < options_.min_level) return;
    try {
        const std::string kind(to_string(op.kind));
        const std::string message = slow        ? std::string("slow query")
                                    : result.ec ? kind + " failed"
                                                : kind;
        const std::string duration = fmt::format(
            "{:.3f}", std::chrono::duration<double, std::milli>(result.duration).count());
        const std::string server = op.server_port
                                       ? fmt::format("{}:{}", op.server_address, op.server_port)
                                       : std::string(op.server_address);
        const std::string rows = std::to_string(result.rows_returned);
        const std::string affected =
            result.rows_affected ? std::to_string(*result.rows_affected) : std::string();
        const std::string sql = runs_sql ? sanitize_sql(op.unsanitized_sql) : std::string();
        const std::string type = error_type(result.ec);
        const std::string sqlstate = sqlstate_of(result.ec);
        // A client or system error's message is fixed text (never a value); a server error's
        // is the SQLSTATE and its condition name, not the server's message (which may quote
        // values).
        const std::string error = result.ec ? result.ec.message() : std::string();

        // The parameters opted in for by name: a field `param.<name>` each.
        std::vector<std::pair<std::string, std::string_view>> params;
        for (const auto& p : op.parameters)
            if (std::find(options_.logged_parameters.begin(), options_.logged_parameters.end(),
                          p.name) != options_.logged_parameters.end())
                params.emplace_back("param." + std::string(p.name),
                                    p.is_null ? std::string_view("NULL") : p.text);

        std::vector<log_field> fields;
        fields.reserve(11 + params.size());
        auto add = [&](std::string_view name, std::string_view value) {
            if (!value.empty()) fields.push_back({name, value});
        };
        add("operation", kind);
        add("database", op.database);
        add("server", server);
        add("duration_ms", duration);
        if (runs_sql) add("rows", rows);
        add("affected", affected);
        add("sql", sql);
        for (const auto& [name, value] : params)
            fields.push_back({name, value});
        if (op.kind == operation_kind::transaction) add("outcome", to_string(result.outcome));
        add("error_type", type);
        add("sqlstate", sqlstate);
        add("error", error);
        sink_->write({level, message, fields});
    } catch (...) {
        // Out of memory: the record is lost, never the operation.
    }
}

} // namespace pgasio
