// Fuzzes every type decoder, binary and text. The first byte selects the decoder (fuzz_types.hpp),
// the rest is the value. Decoding must never crash; a value that decodes must re-encode, and
// decoding that again must give the same value (the round-trip property).
#include "fuzz_types.hpp"

#include <pgasio/protocol/types/array.hpp>
#include <pgasio/protocol/types/bit_string.hpp>
#include <pgasio/protocol/types/boolean.hpp>
#include <pgasio/protocol/types/bytea.hpp>
#include <pgasio/protocol/types/floating.hpp>
#include <pgasio/protocol/types/geometric.hpp>
#include <pgasio/protocol/types/integral.hpp>
#include <pgasio/protocol/types/json.hpp>
#include <pgasio/protocol/types/jsonpath.hpp>
#include <pgasio/protocol/types/money.hpp>
#include <pgasio/protocol/types/multirange.hpp>
#include <pgasio/protocol/types/network.hpp>
#include <pgasio/protocol/types/range.hpp>
#include <pgasio/protocol/types/string.hpp>
#include <pgasio/protocol/types/system_types.hpp>
#include <pgasio/protocol/types/text_search.hpp>
#include <pgasio/protocol/types/transaction_ids.hpp>
#include <pgasio/protocol/types/uuid.hpp>
#include <pgasio/protocol/types/xml.hpp>

#include <cmath>
#include <cstdlib>
#include <string>
#include <type_traits>

namespace {

using namespace pgasio::protocol;
using pgasio::fuzz::fuzz_type;

// The geometric types, whose coordinates are doubles.
template <class T>
constexpr bool is_geometric_v =
    std::is_same_v<T, point> || std::is_same_v<T, line> || std::is_same_v<T, lseg> ||
    std::is_same_v<T, box> || std::is_same_v<T, path> || std::is_same_v<T, polygon> ||
    std::is_same_v<T, circle>;

// Floats compare by value, except that NaN equals NaN (text keeps no NaN payload); so do the
// coordinates of geometric values, compared through their text (exact digits, "NaN" for any NaN).
template <class T>
bool same(const T& a, const T& b) {
    if constexpr (std::is_floating_point_v<T>) {
        return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
    } else if constexpr (is_geometric_v<T>) {
        std::string ta, tb;
        return !types::codec<T>::encode_text(ta, a) && !types::codec<T>::encode_text(tb, b) &&
               ta == tb;
    } else {
        return a == b;
    }
}

// The text form of a tsquery does not keep how the operands of one associative operator group:
// as on the server, a & (b & c) prints as a & b & c, which reads back grouped the other way. What
// must hold is that the value read back prints the same text.
template <class T>
bool same_after_text(const T& v, const T& again, const std::string& text) {
    if constexpr (std::is_same_v<T, tsquery>) {
        std::string again_text;
        return !types::codec<T>::encode_text(again_text, again) && again_text == text;
    } else {
        return same(v, again);
    }
}

// Values that decode but have no binary form: an empty int2vector, oidvector or tsquery (the
// server sends one, but cannot receive it).
template <class T>
bool binary_encode_may_fail(const T& v, boost::system::error_code ec) {
    if constexpr (std::is_same_v<T, int2vector> || std::is_same_v<T, oidvector>)
        return ec == client_errc::value_out_of_range && v.values.empty();
    else if constexpr (std::is_same_v<T, tsquery>)
        return ec == client_errc::value_out_of_range && v.items.empty();
    else
        return false;
}

template <class T>
void round_trip(std::span<const std::byte> in, oid t, bool text) {
    using c = types::codec<T>;
    T v{};
    if (text) {
        const std::string_view s(reinterpret_cast<const char*>(in.data()), in.size());
        if (c::decode_text(s, t, v)) return;
        std::string out;
        if (auto ec = c::encode_text(out, v)) {
            // A decoded string may hold a NUL byte, which cannot be sent back.
            if (ec != client_errc::embedded_nul) std::abort();
            return;
        }
        T again{};
        if (c::decode_text(out, c::type_oid, again) || !same_after_text(v, again, out))
            std::abort();
    } else {
        if (c::decode_binary(in, t, v)) return;
        write_buffer out;
        if (auto ec = c::encode_binary(out, v)) {
            if (ec != client_errc::embedded_nul && !binary_encode_may_fail(v, ec)) std::abort();
            return;
        }
        T again{};
        if (c::decode_binary(out.data(), c::type_oid, again) || !same(v, again)) std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto type =
        static_cast<fuzz_type>((data[0] / 2) % static_cast<unsigned>(fuzz_type::count));
    const bool text = (data[0] & 1) != 0;
    const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
    switch (type) {
    case fuzz_type::bool_:
        round_trip<bool>(in, oids::bool_, text);
        break;
    case fuzz_type::int2:
        round_trip<std::int16_t>(in, oids::int2, text);
        break;
    case fuzz_type::int4:
        round_trip<std::int32_t>(in, oids::int4, text);
        break;
    case fuzz_type::int8:
        round_trip<std::int64_t>(in, oids::int8, text);
        break;
    case fuzz_type::oid:
        round_trip<std::uint32_t>(in, oids::oid_, text);
        break;
    case fuzz_type::float4:
        round_trip<float>(in, oids::float4, text);
        break;
    case fuzz_type::float8:
        round_trip<double>(in, oids::float8, text);
        break;
    case fuzz_type::text:
        round_trip<std::string>(in, oids::text, text);
        break;
    case fuzz_type::char_:
        round_trip<char>(in, oids::char_, text);
        break;
    case fuzz_type::bytea:
        round_trip<std::vector<std::byte>>(in, oids::bytea, text);
        break;
    case fuzz_type::uuid:
        round_trip<uuid>(in, oids::uuid, text);
        break;
    case fuzz_type::json:
        round_trip<json>(in, oids::json, text);
        break;
    case fuzz_type::jsonb:
        round_trip<json>(in, oids::jsonb, text);
        break;
    case fuzz_type::inet:
        round_trip<inet>(in, oids::inet, text);
        break;
    case fuzz_type::cidr:
        round_trip<cidr>(in, oids::cidr, text);
        break;
    case fuzz_type::macaddr:
        round_trip<macaddr>(in, oids::macaddr, text);
        break;
    case fuzz_type::macaddr8:
        round_trip<macaddr8>(in, oids::macaddr8, text);
        break;
    case fuzz_type::int4_vector:
        round_trip<std::vector<std::int32_t>>(in, oids::int4_array, text);
        break;
    case fuzz_type::text_vector:
        round_trip<std::vector<std::string>>(in, oids::text_array, text);
        break;
    case fuzz_type::nullable_int4_vector:
        round_trip<std::vector<std::optional<std::int32_t>>>(in, oids::int4_array, text);
        break;
    case fuzz_type::int4_array:
        round_trip<array<std::int32_t>>(in, oids::int4_array, text);
        break;
    case fuzz_type::text_array:
        round_trip<array<std::string>>(in, oids::text_array, text);
        break;
    case fuzz_type::int4range:
        round_trip<range<std::int32_t>>(in, oids::int4range, text);
        break;
    case fuzz_type::int8range:
        round_trip<range<std::int64_t>>(in, oids::int8range, text);
        break;
    case fuzz_type::xid:
        round_trip<xid>(in, oids::xid, text);
        break;
    case fuzz_type::xid8:
        round_trip<xid8>(in, oids::xid8, text);
        break;
    case fuzz_type::cid:
        round_trip<cid>(in, oids::cid, text);
        break;
    case fuzz_type::regclass:
        round_trip<std::uint32_t>(in, oids::regclass, text);
        break;
    case fuzz_type::money:
        round_trip<money>(in, oids::money, text);
        break;
    case fuzz_type::varbit:
        round_trip<bit_string>(in, oids::varbit, text);
        break;
    case fuzz_type::bit:
        round_trip<bit_string>(in, oids::bit, text);
        break;
    case fuzz_type::point:
        round_trip<point>(in, oids::point, text);
        break;
    case fuzz_type::line:
        round_trip<line>(in, oids::line, text);
        break;
    case fuzz_type::lseg:
        round_trip<lseg>(in, oids::lseg, text);
        break;
    case fuzz_type::box:
        round_trip<box>(in, oids::box, text);
        break;
    case fuzz_type::path:
        round_trip<path>(in, oids::path, text);
        break;
    case fuzz_type::polygon:
        round_trip<polygon>(in, oids::polygon, text);
        break;
    case fuzz_type::circle:
        round_trip<circle>(in, oids::circle, text);
        break;
    case fuzz_type::tid:
        round_trip<tid>(in, oids::tid, text);
        break;
    case fuzz_type::int2vector:
        round_trip<int2vector>(in, oids::int2vector, text);
        break;
    case fuzz_type::oidvector:
        round_trip<oidvector>(in, oids::oidvector, text);
        break;
    case fuzz_type::pg_snapshot:
        round_trip<pg_snapshot>(in, oids::pg_snapshot, text);
        break;
    case fuzz_type::int4multirange:
        round_trip<multirange<std::int32_t>>(in, oids::int4multirange, text);
        break;
    case fuzz_type::int8multirange:
        round_trip<multirange<std::int64_t>>(in, oids::int8multirange, text);
        break;
    case fuzz_type::jsonpath:
        round_trip<jsonpath>(in, oids::jsonpath, text);
        break;
    case fuzz_type::xml:
        round_trip<xml>(in, oids::xml, text);
        break;
    case fuzz_type::tsvector:
        round_trip<tsvector>(in, oids::tsvector, text);
        break;
    case fuzz_type::tsquery:
        round_trip<tsquery>(in, oids::tsquery, text);
        break;
    case fuzz_type::count:
        break;
    }
    return 0;
}
