// An observer that writes what connections, pools and transactions did to a log_sink.
#pragma once

#include <pgasio/log_sink.hpp>
#include <pgasio/observer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace pgasio {

/// What a logging_observer writes.
struct logging_options {
    /// The level of the record of every operation that succeeded ("query", "connect", ...).
    log_level operations = log_level::debug;
    /// The level of the record of an operation that failed.
    log_level failures = log_level::warning;
    /// A query (or prepare, COPY, batch) taking at least this long is written at warning level as a
    /// "slow query", whatever `operations` says. Zero: no slow-query log.
    std::chrono::milliseconds slow_query_threshold{0};
    /// Records below this level are not even made (their SQL is not sanitized).
    log_level min_level = log_level::info;
    /// The names of the parameters whose values may be written: parameters given one of these
    /// names with pgasio::named. Each is written as a field whose name is "param." and its own
    /// (param.user_id for user_id), with the text NULL for NULL. Every other parameter's value is
    /// never written. Empty: none.
    std::vector<std::string> logged_parameters;
};

/// An observer (set it in config::observer) that writes a record to a log_sink at the end of
/// each operation: its kind as the message ("query", "query failed", "slow query"), and the
/// fields `operation`, `database`, `server`, `duration_ms`, `rows` (rows returned), `affected`,
/// `sql` (sanitize_sql of the text: no literal reaches the log), `outcome` (transactions),
/// and for a failure `error_type` and `sqlstate` (or the client error's message, which never
/// holds values). A parameter's value is written only when it was given a name the options list
/// (logging_options::logged_parameters, pgasio::named); no other parameter is.
///
/// \code
/// auto sink = std::make_shared<pgasio::stderr_log_sink>(pgasio::log_level::warning);
/// pgasio::logging_options opts;
/// opts.slow_query_threshold = std::chrono::milliseconds(200);
/// opts.logged_parameters = {"user_id"}; // pgasio::named("user_id", id) shows its value
/// cfg.observer = std::make_shared<pgasio::logging_observer>(sink, opts);
/// \endcode
class logging_observer final : public observer {
public:
    /// Writes to `sink` (null: nowhere).
    explicit logging_observer(std::shared_ptr<log_sink> sink, logging_options options = {});

    void operation_end(const operation_info& op, const operation_result& result,
                       void* context) noexcept override;

private:
    std::shared_ptr<log_sink> sink_;
    logging_options options_;
};

} // namespace pgasio
