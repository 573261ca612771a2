// Text for values and types where no server is asked: values through their codecs, types by name.
#include "text_form.hpp"

#include "type_dispatch.hpp"

#include <pgasio/detail/decode_field.hpp>
#include <pgasio/protocol/oids.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>

namespace pgasio::detail {

namespace {

namespace oids = protocol::oids;

// The text form of the value through codec<T>, or false when it does not decode.
template <class T>
bool text_of(const column& col, std::span<const std::byte> raw, std::string& text) {
    T v{};
    if (decode_field(col, std::optional(raw), v)) return false;
    return !protocol::types::codec<T>::encode_text(text, v);
}

} // namespace

bool known_text(const column& col, std::span<const std::byte> raw, std::string& text) {
    text.clear();
    bool ok = false;
    if (with_cpp_type(col.type_oid, [&]<class T>() { ok = text_of<T>(col, raw, text); })) return ok;
    // An array of any shape (dimensions, lower bounds, NULL elements) keeps its shape in text.
    const protocol::oid element = oids::element_type(col.type_oid);
    if (element == 0) return false;
    with_cpp_type(element, [&]<class T>() { ok = text_of<protocol::array<T>>(col, raw, text); });
    return ok;
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
