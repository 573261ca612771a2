#include <pgasio/protocol/diagnostics.hpp>
#include <pgasio/protocol/sqlstate_category.hpp>

#include <charconv>

namespace pgasio::protocol {
namespace {

std::optional<std::uint32_t> parse_position(std::string_view s) noexcept {
    std::uint32_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

} // namespace

diagnostics diagnostics::from_fields(error_fields_view fields) {
    diagnostics d;
    for (const auto f : fields) {
        switch (f.code) {
        case 'S':
            d.severity = f.value;
            break;
        case 'V':
            d.severity_nonlocalized = f.value;
            break;
        case 'C':
            d.sqlstate = f.value;
            break;
        case 'M':
            d.message = f.value;
            break;
        case 'D':
            d.detail = f.value;
            break;
        case 'H':
            d.hint = f.value;
            break;
        case 'P':
            d.position = parse_position(f.value);
            break;
        case 'p':
            d.internal_position = parse_position(f.value);
            break;
        case 'q':
            d.internal_query = f.value;
            break;
        case 'W':
            d.where = f.value;
            break;
        case 's':
            d.schema_name = f.value;
            break;
        case 't':
            d.table_name = f.value;
            break;
        case 'c':
            d.column_name = f.value;
            break;
        case 'd':
            d.data_type_name = f.value;
            break;
        case 'n':
            d.constraint_name = f.value;
            break;
        case 'F':
            d.source_file = f.value;
            break;
        case 'L':
            d.source_line = f.value;
            break;
        case 'R':
            d.source_routine = f.value;
            break;
        default:
            break; // "frontends should silently ignore fields of unrecognized type"
        }
    }
    return d;
}

boost::system::error_code diagnostics::code() const noexcept {
    return make_sqlstate_error(sqlstate);
}

bool diagnostics::is_fatal() const noexcept {
    const std::string& s = severity_nonlocalized.empty() ? severity : severity_nonlocalized;
    return s == "FATAL" || s == "PANIC";
}

std::string diagnostics::to_string() const {
    std::string out = severity_nonlocalized.empty() ? severity : severity_nonlocalized;
    if (out.empty()) out = "ERROR";
    if (!sqlstate.empty()) out += ' ' + sqlstate;
    out += ": " + message;
    if (!detail.empty()) out += "\nDETAIL: " + detail;
    if (!hint.empty()) out += "\nHINT: " + hint;
    if (!where.empty()) out += "\nWHERE: " + where;
    return out;
}

} // namespace pgasio::protocol
