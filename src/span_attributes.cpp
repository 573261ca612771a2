// OpenTelemetry's database semantic-convention attributes of pgasio's operations.
#include <pgasio/sanitize_sql.hpp>
#include <pgasio/span_attributes.hpp>

namespace pgasio {

std::string span_name(const operation_info& op) {
    auto name = sql_operation_name(op.unsanitized_sql);
    if (name.empty()) name = std::string(to_string(op.kind));
    return name;
}

std::vector<span_attribute> span_start_attributes(const operation_info& op) {
    std::vector<span_attribute> a;
    a.reserve(7);
    a.push_back({"db.system.name", std::string("postgresql")});
    if (!op.database.empty()) a.push_back({"db.namespace", std::string(op.database)});
    if (!op.unsanitized_sql.empty()) {
        if (auto name = sql_operation_name(op.unsanitized_sql); !name.empty())
            a.push_back({"db.operation.name", std::move(name)});
        a.push_back({"db.query.text", sanitize_sql(op.unsanitized_sql)});
    }
    if (!op.server_address.empty()) a.push_back({"server.address", std::string(op.server_address)});
    if (op.server_port != 0) a.push_back({"server.port", std::int64_t{op.server_port}});
    return a;
}

std::vector<span_attribute> span_end_attributes(const operation_result& result) {
    std::vector<span_attribute> a;
    a.push_back({"db.response.returned_rows", static_cast<std::int64_t>(result.rows_returned)});
    if (result.ec) {
        auto sqlstate = sqlstate_of(result.ec);
        if (!sqlstate.empty()) {
            a.push_back({"db.response.status_code", sqlstate});
            a.push_back({"error.type", std::move(sqlstate)});
        } else {
            a.push_back({"error.type", error_type(result.ec)});
        }
    }
    return a;
}

} // namespace pgasio
