#include <pgasio/format.hpp>

#include "text_form.hpp"

#include <pgasio/protocol/oids.hpp>

#include <string_view>
#include <type_traits>

namespace pgasio::detail {

namespace {

namespace oids = protocol::oids;

// Types printed without quotes.
bool is_bare(protocol::oid t) noexcept {
    return t == oids::int2 || t == oids::int4 || t == oids::int8 || t == oids::oid_ ||
           t == oids::float4 || t == oids::float8 || t == oids::numeric;
}

void append_quoted(std::string& out, std::string_view text) {
    out += '\'';
    for (char c : text) {
        if (c == '\'') out += '\'';
        out += c;
    }
    out += '\'';
}

void append_hex(std::string& out, std::span<const std::byte> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    out += "'\\x";
    for (std::byte b : bytes) {
        const auto u = std::to_integer<unsigned>(b);
        out += digits[u >> 4];
        out += digits[u & 0xf];
    }
    out += '\'';
}

} // namespace

void append_field(std::string& out, const column& col,
                  std::optional<std::span<const std::byte>> raw) {
    if (!raw) {
        out += "NULL";
        return;
    }
    std::string text;
    if (known_text(col, *raw, text)) {
        if (col.type_oid == oids::bool_)
            out += text == "t" ? "true" : "false";
        else if (is_bare(col.type_oid))
            out += text;
        else
            append_quoted(out, text);
    } else if (col.format == protocol::format_code::text) {
        append_quoted(out,
                      std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()));
    } else {
        append_hex(out, *raw);
    }
}

} // namespace pgasio::detail
