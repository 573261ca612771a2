#include <pgasio/query_as.hpp>

#include <pgasio/protocol/oids.hpp>

#include <fmt/format.h>

#include <string>

namespace pgasio::detail {

namespace {

std::string column_names(std::span<const column> cols) {
    std::string names;
    for (const column& c : cols)
        names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", c.name);
    return names.empty() ? std::string("none") : names;
}

[[noreturn]] void throw_mismatch(std::string message) {
    diagnostics diag;
    diag.message = std::move(message);
    throw error(protocol::client_errc::type_mismatch, std::move(diag));
}

} // namespace

void throw_missing_column(std::span<const column> cols, std::string_view member,
                          std::string_view type) {
    throw_mismatch(fmt::format("no column \"{}\" for member {} of {} (the columns: {})", member,
                               member, type, column_names(cols)));
}

void throw_column_count(std::span<const column> cols, std::size_t fields, std::string_view type) {
    throw_mismatch(fmt::format("{} takes {} column{} by position, but the result has {} ({})", type,
                               fields, fields == 1 ? "" : "s", cols.size(), column_names(cols)));
}

void throw_member_mismatch(std::span<const column> cols, std::size_t index, std::string_view member,
                           std::string_view type, std::string_view cpp_type) {
    const column& c = cols[index];
    const std::string_view type_name = protocol::oids::type_name(c.type_oid);
    const std::string target = member.empty() ? fmt::format("field {} of {}", index, type)
                                              : fmt::format("member {} of {}", member, type);
    throw_mismatch(fmt::format("column {} \"{}\" has type {} (oid {}), which does not convert to "
                               "{} ({})",
                               index, c.name, type_name.empty() ? "unknown" : type_name, c.type_oid,
                               cpp_type, target));
}

} // namespace pgasio::detail
