#include <pgasio/sql.hpp>

#include <algorithm>
#include <array>
#include <cctype>

#include <boost/system/errc.hpp>

namespace pgasio {
namespace {

constexpr std::string_view reserved_words[] = {
#include "reserved_words.inc"
};

bool is_reserved(std::string_view name) {
    std::string lower(name);
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return std::binary_search(std::begin(reserved_words), std::end(reserved_words), lower);
}

// A name of letters, digits and '_' (not starting with a digit), at most 63 characters (longer
// ones the server would truncate): safe unquoted unless reserved, and always safe quoted.
error_code plain_name(std::string_view name, std::string* why) {
    auto refuse = [&](std::string reason) -> error_code {
        if (why) *why = std::move(reason);
        return make_error_code(boost::system::errc::invalid_argument);
    };
    if (name.empty()) return refuse("an identifier cannot be empty");
    if (name.size() > 63) return refuse("an identifier has at most 63 characters");
    auto letter = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    };
    if (!letter(name[0])) return refuse("an identifier starts with a letter or '_'");
    for (char c : name)
        if (!letter(c) && !(c >= '0' && c <= '9'))
            return refuse("an identifier holds only letters, digits and '_'");
    return {};
}

} // namespace

error_code validate_identifier(std::string_view name, std::string* why) {
    if (auto ec = plain_name(name, why)) return ec;
    if (is_reserved(name)) {
        if (why) {
            // Built by appending: GCC 12 warns (-Wrestrict, wrongly) on the operator+ chain.
            why->assign(1, '"');
            why->append(name).append("\" is a reserved key word");
        }
        return make_error_code(boost::system::errc::invalid_argument);
    }
    return {};
}

std::string quote_identifier(std::string_view name) {
    std::string out;
    out.reserve(name.size() + 2);
    out += '"';
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string quote_literal(std::string_view text) {
    const bool backslash = text.find('\\') != std::string_view::npos;
    std::string out;
    out.reserve(text.size() + 3);
    if (backslash) out += 'E';
    out += '\'';
    for (char c : text) {
        if (c == '\'' || (backslash && c == '\\')) out += c;
        out += c;
    }
    out += '\'';
    return out;
}

namespace detail {

error_code check_quoted_name(std::string_view what, std::string_view name, std::string& why) {
    auto refuse = [&](std::string reason) -> error_code {
        why = std::move(reason);
        return make_error_code(boost::system::errc::invalid_argument);
    };
    if (name.empty()) return refuse("the " + std::string(what) + " name is empty");
    if (name.find('\0') != std::string_view::npos)
        return refuse("the " + std::string(what) + " name holds a NUL byte");
    // Bytes, not characters: the server's limit is NAMEDATALEN - 1 bytes.
    if (name.size() > 63)
        return refuse("the " + std::string(what) + " name \"" + std::string(name) +
                      "\" is longer than 63 bytes (the server would truncate it)");
    return {};
}

error_code unnest_insert_sql(std::string_view table, std::span<const std::string_view> columns,
                             std::string& sql, std::string& why) {
    auto check = [&](std::string_view name, std::string_view what) -> error_code {
        if (auto ec = check_quoted_name(what, name, why)) {
            why = "async_insert_unnest: " + why;
            return ec;
        }
        return {};
    };
    // "schema.table": the first dot separates the two (every name is quoted, so none is split
    // again or read as SQL).
    const auto dot = table.find('.');
    sql = "INSERT INTO ";
    if (dot != std::string_view::npos) {
        if (auto ec = check(table.substr(0, dot), "schema")) return ec;
        sql += quote_identifier(table.substr(0, dot)) + '.';
        table = table.substr(dot + 1);
    }
    if (auto ec = check(table, "table")) return ec;
    sql += quote_identifier(table) + " (";
    if (columns.empty()) {
        why = "async_insert_unnest: no columns were named";
        return client_errc::parameter_count_mismatch;
    }
    std::string params;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (auto ec = check(columns[i], "column")) return ec;
        if (i != 0) {
            sql += ", ";
            params += ", ";
        }
        sql += quote_identifier(columns[i]);
        params += '$' + std::to_string(i + 1);
    }
    sql += ") SELECT * FROM unnest(" + params + ')';
    return {};
}

} // namespace detail
} // namespace pgasio
