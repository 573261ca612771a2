// Text for values and types where no server is asked: values through their codecs, types by name.
#include "text_form.hpp"

#include "type_dispatch.hpp"

#include <pgasio/detail/current_types.hpp>
#include <pgasio/detail/decode_field.hpp>
#include <pgasio/detail/user_type_codec.hpp>
#include <pgasio/hstore.hpp>
#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/detail/array_format.hpp>
#include <pgasio/type_registry.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace pgasio::detail {

namespace {

namespace oids = protocol::oids;
namespace array_format = protocol::types::detail;

// The text form of the value through codec<T>, or false when it does not decode.
template <class T>
bool text_of(const column& col, std::span<const std::byte> raw, std::string& text) {
    T v{};
    if (decode_field(col, std::optional(raw), v)) return false;
    return !protocol::types::codec<T>::encode_text(text, v);
}

} // namespace

namespace {

// The loaded user-defined type of `col`, or null.
std::shared_ptr<const user_type> user_type_of(const column& col) {
    return col.types ? col.types->find(col.type_oid) : nullptr;
}

// The text form of a binary value of a loaded user-defined type: an enum's label, hstore's
// pairs, a record's fields (each through known_text); false for other types.
bool user_type_text(const column& col, const user_type& u, std::span<const std::byte> raw,
                    std::string& text) {
    const type_scope scope(col.types.get());
    switch (u.kind) {
    case user_type_kind::enumeration:
        text.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
        return true;
    case user_type_kind::base: {
        if (u.name != "hstore") return false;
        hstore h;
        if (decode_hstore(raw, h)) return false;
        encode_hstore_text(text, h);
        return true;
    }
    case user_type_kind::composite: {
        std::vector<record_field> fields;
        if (read_record(raw, fields)) return false;
        std::vector<std::optional<std::string>> texts(fields.size());
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (!fields[i].value) continue;
            column field = col;
            field.type_oid = col.types->base_type(fields[i].type_oid);
            if (!known_text(field, *fields[i].value, texts[i].emplace())) return false;
        }
        append_record_text(text, texts);
        return true;
    }
    default:
        return false;
    }
}

// The text form of a binary array of a loaded user-defined type `element` (an enum, a
// composite), each element through known_text; false when one does not read.
bool user_array_text(const column& col, protocol::oid element, std::span<const std::byte> raw,
                     std::string& text) {
    protocol::detail::byte_reader r(raw);
    array_format::binary_array_header h;
    if (array_format::read_array_header(r, h) || h.element_type != element) return false;
    column element_col = col;
    element_col.type_oid = element;
    std::vector<std::optional<std::string>> texts(h.count);
    for (auto& t : texts) {
        std::optional<std::span<const std::byte>> bytes;
        if (array_format::read_array_element(r, bytes)) return false;
        if (bytes && !known_text(element_col, *bytes, t.emplace())) return false;
    }
    if (!r.empty()) return false;
    array_format::append_text_array(text, h.dims, texts, ',');
    return true;
}

} // namespace

bool column_is_text(const column& col) noexcept {
    if (col.format == protocol::format_code::text) return true;
    const auto u = user_type_of(col);
    return u && u->kind == user_type_kind::enumeration;
}

bool known_text(const column& col, std::span<const std::byte> raw, std::string& text) {
    text.clear();
    bool ok = false;
    if (with_cpp_type(col.type_oid, [&]<class T>() { ok = text_of<T>(col, raw, text); })) return ok;
    const auto u = col.format == protocol::format_code::binary ? user_type_of(col) : nullptr;
    if (u && u->kind != user_type_kind::array) return user_type_text(col, *u, raw, text);
    // An array of any shape (dimensions, lower bounds, NULL elements) keeps its shape in text.
    // An array of a domain is one of the domain's base type (runtime_types.hpp).
    const protocol::oid element =
        u ? col.types->base_type(u->element_oid) : oids::element_type(col.type_oid);
    if (element == 0) return false;
    if (with_cpp_type(element,
                      [&]<class T>() { ok = text_of<protocol::array<T>>(col, raw, text); }))
        return ok;
    return u && user_array_text(col, element, raw, text);
}

bool known_binary_text(protocol::oid t, std::span<const std::byte> raw, std::string& text) {
    column col;
    col.type_oid = t;
    col.format = protocol::format_code::binary;
    // A view of the registry, which outlives the call (its connection is at work).
    col.types =
        std::shared_ptr<const type_registry>(std::shared_ptr<const void>(), current_types());
    return known_text(col, raw, text);
}

bool decodes_binary(protocol::oid t) noexcept {
    constexpr auto nothing = []<class T>() {};
    if (with_cpp_type(t, nothing)) return true;
    const protocol::oid element = oids::element_type(t);
    return element != 0 && with_cpp_type(element, nothing);
}

std::string describe_type(protocol::oid t) {
    const std::string_view name = protocol::oids::type_name(t);
    if (name.empty()) return fmt::format("oid {}", t);
    return fmt::format("{} (oid {})", name, t);
}

} // namespace pgasio::detail
