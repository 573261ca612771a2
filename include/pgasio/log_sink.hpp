// Where pgasio's log records go: a sink with levels and structured fields.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace pgasio {

/// How much a log record matters.
enum class log_level : std::uint8_t { trace, debug, info, warning, error };

/// "trace", "debug", "info", "warning" or "error".
std::string_view to_string(log_level level) noexcept;

/// One structured field of a log record: `sql`, `duration_ms`, `sqlstate`...
struct log_field {
    std::string_view name;  ///< what the value is (`sql`, `duration_ms`, ...)
    std::string_view value; ///< the value, as text
};

/// One log record. Its views live as long as the call to log_sink::write only.
struct log_record {
    log_level level = log_level::info; ///< how much it matters
    std::string_view message;          ///< what happened, fixed text ("query failed", "slow query")
    std::span<const log_field> fields; ///< the details, in a fixed order
};

/// Receives pgasio's log records (from a logging_observer): bind it to the application's
/// logger. pgasio writes no log of its own: without a sink, nothing is written anywhere.
///
/// What reaches a sink never holds a value of the application's: SQL is sanitized
/// (sanitize_sql), parameters are not passed on, and the server's error messages, which may
/// quote values, are left out (the SQLSTATE says what failed).
///
/// Called from the threads that run connections, possibly several at once: an implementation
/// must be thread-safe, quick, and must not throw.
class log_sink {
public:
    log_sink() = default;
    log_sink(const log_sink&) = delete;
    log_sink& operator=(const log_sink&) = delete;
    virtual ~log_sink() = default;

    /// Writes `record`.
    virtual void write(const log_record& record) noexcept = 0;
};

/// A log_sink that writes one line per record to stderr:
/// `pgasio warning: slow query sql="SELECT pg_sleep(?)" duration_ms=1002.4 ...`.
class stderr_log_sink final : public log_sink {
public:
    /// Records below `min_level` are left out.
    explicit stderr_log_sink(log_level min_level = log_level::info) noexcept
        : min_level_(min_level) {}

    void write(const log_record& record) noexcept override;

private:
    log_level min_level_;
};

} // namespace pgasio
