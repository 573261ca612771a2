// Text for values and types where no server is asked: values through their codecs, types by name.
#include "text_form.hpp"

#include <pgasio/detail/decode_field.hpp>
#include <pgasio/detail/user_type_codec.hpp>
#include <pgasio/hstore.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/type_registry.hpp>
#include <pgasio/wal_lsn.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>

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
    case oids::regproc:
    case oids::regprocedure:
    case oids::regoper:
    case oids::regoperator:
    case oids::regclass:
    case oids::regtype:
    case oids::regconfig:
    case oids::regdictionary:
    case oids::regnamespace:
    case oids::regrole:
    case oids::regcollation:
        f.template operator()<std::uint32_t>();
        return true;
    case oids::xid:
        f.template operator()<protocol::xid>();
        return true;
    case oids::xid8:
        f.template operator()<protocol::xid8>();
        return true;
    case oids::cid:
        f.template operator()<protocol::cid>();
        return true;
    case oids::money:
        f.template operator()<protocol::money>();
        return true;
    case oids::bit:
    case oids::varbit:
        f.template operator()<protocol::bit_string>();
        return true;
    case oids::pg_lsn:
        f.template operator()<wal_lsn>();
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
    case oids::int4range:
        f.template operator()<protocol::range<std::int32_t>>();
        return true;
    case oids::int8range:
        f.template operator()<protocol::range<std::int64_t>>();
        return true;
    case oids::numrange:
        f.template operator()<protocol::range<protocol::numeric>>();
        return true;
    case oids::daterange:
        f.template operator()<protocol::range<sys_days>>();
        return true;
    case oids::tsrange:
        f.template operator()<protocol::range<local_time<microseconds>>>();
        return true;
    case oids::tstzrange:
        f.template operator()<protocol::range<sys_time<microseconds>>>();
        return true;
    case oids::int4multirange:
        f.template operator()<protocol::multirange<std::int32_t>>();
        return true;
    case oids::int8multirange:
        f.template operator()<protocol::multirange<std::int64_t>>();
        return true;
    case oids::nummultirange:
        f.template operator()<protocol::multirange<protocol::numeric>>();
        return true;
    case oids::datemultirange:
        f.template operator()<protocol::multirange<sys_days>>();
        return true;
    case oids::tsmultirange:
        f.template operator()<protocol::multirange<local_time<microseconds>>>();
        return true;
    case oids::tstzmultirange:
        f.template operator()<protocol::multirange<sys_time<microseconds>>>();
        return true;
    case oids::point:
        f.template operator()<protocol::point>();
        return true;
    case oids::line:
        f.template operator()<protocol::line>();
        return true;
    case oids::lseg:
        f.template operator()<protocol::lseg>();
        return true;
    case oids::box:
        f.template operator()<protocol::box>();
        return true;
    case oids::path:
        f.template operator()<protocol::path>();
        return true;
    case oids::polygon:
        f.template operator()<protocol::polygon>();
        return true;
    case oids::circle:
        f.template operator()<protocol::circle>();
        return true;
    case oids::tid:
        f.template operator()<protocol::tid>();
        return true;
    case oids::int2vector:
        f.template operator()<protocol::int2vector>();
        return true;
    case oids::oidvector:
        f.template operator()<protocol::oidvector>();
        return true;
    case oids::pg_snapshot:
    case oids::txid_snapshot:
        f.template operator()<protocol::pg_snapshot>();
        return true;
    case oids::jsonpath:
        f.template operator()<protocol::jsonpath>();
        return true;
    case oids::xml:
        f.template operator()<protocol::xml>();
        return true;
    case oids::tsvector:
        f.template operator()<protocol::tsvector>();
        return true;
    case oids::tsquery:
        f.template operator()<protocol::tsquery>();
        return true;
    default:
        return false;
    }
}

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
    if (col.format == protocol::format_code::binary)
        if (const auto u = user_type_of(col)) return user_type_text(col, *u, raw, text);
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
