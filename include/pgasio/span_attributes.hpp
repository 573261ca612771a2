// OpenTelemetry's database span attributes for an operation, for binding observer's start and
// end callbacks to a tracer.
#pragma once

#include <pgasio/observer.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pgasio {

/// One attribute of a span: an OpenTelemetry semantic-convention name and its value.
struct span_attribute {
    std::string_view key;                          ///< e.g. "db.query.text"
    std::variant<std::string, std::int64_t> value; ///< text, or an integer (ports, row counts)
};

/// The span name OpenTelemetry's database conventions give `op`: its db.operation.name
/// ("SELECT"), or the operation kind ("connect", "transaction") when it has no SQL.
std::string span_name(const operation_info& op);

/// The attributes of `op` known at its start: `db.system.name` (postgresql), `db.namespace`,
/// `db.operation.name`, `db.query.text` (sanitize_sql of the text: no literals),
/// `server.address`, `server.port` (each only when known).
std::vector<span_attribute> span_start_attributes(const operation_info& op);

/// The attributes of its end: `db.response.returned_rows`, and for a failure
/// `db.response.status_code` (the SQLSTATE of a server error) and `error.type` (the SQLSTATE, or
/// error_type() of another error).
std::vector<span_attribute> span_end_attributes(const operation_result& result);

} // namespace pgasio
