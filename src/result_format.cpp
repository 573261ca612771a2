#include <pgasio/format.hpp>

#include <pgasio/detail/decode_field.hpp>
#include <pgasio/protocol/oids.hpp>

#include <string_view>
#include <type_traits>

namespace pgasio::detail {

namespace {

namespace oids = protocol::oids;

// Calls f.template operator()<T>() with the C++ type that holds values of `t`, and returns true;
// false for a type without one here.
template <class F>
bool with_cpp_type(protocol::oid t, F&& f) {
    using namespace std::chrono;
    switch (t) {
    case oids::bool_:
        f.template operator()<bool>();
        return true;
    case oids::int2:
        f.template operator()<std::int16_t>();
        return true;
    case oids::int4:
        f.template operator()<std::int32_t>();
        return true;
    case oids::int8:
        f.template operator()<std::int64_t>();
        return true;
    case oids::oid_:
        f.template operator()<std::uint32_t>();
        return true;
    case oids::float4:
        f.template operator()<float>();
        return true;
    case oids::float8:
        f.template operator()<double>();
        return true;
    case oids::numeric:
        f.template operator()<protocol::numeric>();
        return true;
    case oids::text:
    case oids::varchar:
    case oids::bpchar:
    case oids::name:
    case oids::unknown:
        f.template operator()<std::string>();
        return true;
    case oids::char_:
        f.template operator()<char>();
        return true;
    case oids::bytea:
        f.template operator()<std::vector<std::byte>>();
        return true;
    case oids::uuid:
        f.template operator()<protocol::uuid>();
        return true;
    case oids::json:
        f.template operator()<protocol::json>();
        return true;
    case oids::jsonb:
        f.template operator()<protocol::jsonb>();
        return true;
    case oids::inet:
        f.template operator()<protocol::inet>();
        return true;
    case oids::cidr:
        f.template operator()<protocol::cidr>();
        return true;
    case oids::macaddr:
        f.template operator()<protocol::macaddr>();
        return true;
    case oids::macaddr8:
        f.template operator()<protocol::macaddr8>();
        return true;
    case oids::date:
        f.template operator()<sys_days>();
        return true;
    case oids::timestamp:
        f.template operator()<local_time<microseconds>>();
        return true;
    case oids::timestamptz:
        f.template operator()<sys_time<microseconds>>();
        return true;
    case oids::time:
        f.template operator()<protocol::time_of_day>();
        return true;
    case oids::timetz:
        f.template operator()<protocol::time_of_day_tz>();
        return true;
    case oids::interval:
        f.template operator()<protocol::interval>();
        return true;
    default:
        return false;
    }
}

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

// The text form of the value through codec<T>, or false when it does not decode.
template <class T>
bool text_of(const column& col, std::span<const std::byte> raw, std::string& text) {
    T v{};
    if (decode_field(col, std::optional(raw), v)) return false;
    return !protocol::types::codec<T>::encode_text(text, v);
}

// The text form of a known type or array of one; false for an unknown type or a bad value.
bool known_text(const column& col, std::span<const std::byte> raw, std::string& text) {
    bool ok = false;
    if (with_cpp_type(col.type_oid, [&]<class T>() { ok = text_of<T>(col, raw, text); })) return ok;
    const protocol::oid element = oids::element_type(col.type_oid);
    if (element == 0) return false;
    with_cpp_type(element,
                  [&]<class T>() { ok = text_of<std::vector<std::optional<T>>>(col, raw, text); });
    return ok;
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

void append_value(std::string& out, const value& v) {
    if (v.is_null()) {
        out += "NULL";
        return;
    }
    std::string text;
    if (v.encode_text(text)) {
        out += "<unencodable>";
        return;
    }
    const protocol::oid t = v.type_oid();
    if (t == oids::bool_)
        out += text == "t" ? "true" : "false";
    else if (is_bare(t))
        out += text;
    else
        append_quoted(out, text);
}

} // namespace pgasio::detail
