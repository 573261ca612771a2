#include "result_formats.hpp"

#include "text_form.hpp"

#include <pgasio/type_registry.hpp>

#include <algorithm>
#include <memory>

namespace pgasio::detail {

protocol::format_code result_format_for(protocol::oid t) noexcept {
    return decodes_binary(t) ? protocol::format_code::binary : protocol::format_code::text;
}

namespace {

// Whether the codecs of user-defined types read values of `t` in binary: loaded enums,
// composites and hstore, and arrays of them, or of domains over a type read in binary (the
// server sends a domain's values as its base type's, but labels the elements of an array of a
// domain with the domain).
bool user_type_binary(const type_registry& types, protocol::oid t) {
    auto u = types.find(t);
    if (u && u->kind == user_type_kind::array) {
        const protocol::oid element = types.base_type(u->element_oid);
        if (decodes_binary(element)) return true;
        u = types.find(element);
    }
    if (!u) return false;
    return u->kind == user_type_kind::enumeration || u->kind == user_type_kind::composite ||
           (u->kind == user_type_kind::base && u->name == "hstore");
}

} // namespace

std::vector<protocol::format_code> choose_result_formats(std::vector<column>& cols) {
    for (auto& col : cols) {
        col.format = result_format_for(col.type_oid);
        if (col.format == protocol::format_code::text && col.types &&
            user_type_binary(*col.types, col.type_oid))
            col.format = protocol::format_code::binary;
    }
    std::vector<protocol::format_code> codes;
    const bool any_text = std::any_of(cols.begin(), cols.end(), [](const column& c) {
        return c.format == protocol::format_code::text;
    });
    if (!any_text) return codes;
    codes.reserve(cols.size());
    for (const auto& col : cols)
        codes.push_back(col.format);
    return codes;
}

column_list all_text_columns(const column_list& cols) {
    if (!cols) return cols;
    auto text = std::make_shared<std::vector<column>>(*cols);
    for (auto& col : *text)
        col.format = protocol::format_code::text;
    return text;
}

} // namespace pgasio::detail
