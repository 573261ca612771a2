#include <pgasio/sql.hpp>

#include <algorithm>
#include <array>
#include <cctype>

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

} // namespace

error_code validate_identifier(std::string_view name, std::string* why) {
    auto refuse = [&](std::string reason) -> error_code {
        if (why) *why = std::move(reason);
        return client_errc::invalid_field_value;
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
    if (is_reserved(name)) {
        // Built by appending: GCC 12 warns (-Wrestrict, wrongly) on the operator+ chain here.
        std::string reason(1, '"');
        reason.append(name).append("\" is a reserved key word");
        return refuse(std::move(reason));
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

} // namespace pgasio
