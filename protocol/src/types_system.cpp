// Binary and text forms of tid, int2vector, oidvector and pg_snapshot (the server's tid.c,
// int.c, oid.c and xid8funcs.c).
#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/types/detail/array_format.hpp>
#include <pgasio/protocol/types/detail/text.hpp>
#include <pgasio/protocol/types/system_types.hpp>
#include <pgasio/protocol/types/transaction_ids.hpp>

#include <limits>

namespace pgasio::protocol::types::detail {
namespace {

using protocol::detail::byte_reader;
using error_code = boost::system::error_code;

// pg_snapshot's MAX_TXID: ids are int64 on the wire.
constexpr std::uint64_t max_txid = std::numeric_limits<std::int64_t>::max();

// ---- checks ----

error_code check(const tid&) noexcept {
    return {};
}
// int2vectorrecv and oidvectorrecv refuse the empty array an empty vector becomes, and the
// count is an int32.
template <class V>
error_code check_vector(const V& v) noexcept {
    if (v.values.empty() || v.values.size() > 0x7fffffff) return client_errc::value_out_of_range;
    return {};
}
error_code check(const int2vector& v) noexcept {
    return check_vector(v);
}
error_code check(const oidvector& v) noexcept {
    return check_vector(v);
}
// pg_snapshot_recv's rules (parse_snapshot's for text), minus the duplicates it drops.
error_code check(const pg_snapshot& v) noexcept {
    if (v.xmin == 0 || v.xmin > v.xmax || v.xmax > max_txid || v.xip.size() > 0x7fffffff)
        return client_errc::value_out_of_range;
    std::uint64_t last = 0;
    for (std::uint64_t x : v.xip) {
        if (x < v.xmin || x >= v.xmax || x < last) return client_errc::value_out_of_range;
        last = x;
    }
    return {};
}

// ---- binary ----

// The one-dimensional, 0-based arrays of int2vector and oidvector: Element is std::int16_t or
// std::uint32_t, sent as element type `element`.
template <class Element>
void write_vector(write_buffer& out, const std::vector<Element>& values, oid element) {
    const array_dimension dim{static_cast<std::int32_t>(values.size()), 0};
    write_array_header(out, std::span(&dim, 1), false, element, values.size());
    for (Element v : values) {
        out.put_i32(sizeof(Element));
        if constexpr (sizeof(Element) == 2)
            out.put_i16(v);
        else
            out.put_u32(v);
    }
}

template <class Element>
error_code read_vector(std::span<const std::byte> in, oid element, std::vector<Element>& out) {
    byte_reader r(in);
    binary_array_header h;
    if (auto ec = read_array_header(r, h)) return ec;
    // An empty one comes with one dimension of length 0 (read_array_header drops it).
    if (h.element_type != element) return client_errc::invalid_array;
    if (h.count != 0 && (h.dims.size() != 1 || h.dims[0].lower_bound != 0))
        return client_errc::invalid_array;
    out.clear();
    out.reserve(h.count);
    for (std::size_t i = 0; i < h.count; ++i) {
        std::optional<std::span<const std::byte>> bytes;
        if (auto ec = read_array_element(r, bytes)) return ec;
        if (!bytes) return client_errc::invalid_array; // no NULLs in a vector
        if (bytes->size() != sizeof(Element)) return client_errc::invalid_binary_length;
        byte_reader e(*bytes);
        if constexpr (sizeof(Element) == 2)
            out.push_back(e.i16());
        else
            out.push_back(e.u32());
    }
    if (!r.empty()) return client_errc::invalid_array;
    return {};
}

void write(write_buffer& out, const tid& v) {
    out.put_u32(v.block);
    out.put_u16(v.offset);
}
void write(write_buffer& out, const int2vector& v) {
    write_vector(out, v.values, oids::int2);
}
void write(write_buffer& out, const oidvector& v) {
    write_vector(out, v.values, oids::oid_);
}
void write(write_buffer& out, const pg_snapshot& v) {
    out.put_i32(static_cast<std::int32_t>(v.xip.size()));
    out.put_u64(v.xmin);
    out.put_u64(v.xmax);
    for (std::uint64_t x : v.xip)
        out.put_u64(x);
}

error_code read(std::span<const std::byte> in, tid& v) {
    if (in.size() != 6) return client_errc::invalid_binary_length;
    byte_reader r(in);
    v.block = r.u32();
    v.offset = r.u16();
    return {};
}
error_code read(std::span<const std::byte> in, int2vector& v) {
    return read_vector(in, oids::int2, v.values);
}
error_code read(std::span<const std::byte> in, oidvector& v) {
    return read_vector(in, oids::oid_, v.values);
}
error_code read(std::span<const std::byte> in, pg_snapshot& v) {
    byte_reader r(in);
    const std::int32_t n = r.i32();
    v.xmin = r.u64();
    v.xmax = r.u64();
    if (r.error() || n < 0 || r.remaining() / 8 != static_cast<std::size_t>(n) ||
        r.remaining() % 8 != 0)
        return client_errc::invalid_binary_length;
    v.xip.clear();
    v.xip.reserve(static_cast<std::size_t>(n));
    for (std::int32_t i = 0; i < n; ++i) {
        const std::uint64_t x = r.u64();
        // pg_snapshot_recv skips duplicates (the order is checked afterwards).
        if (v.xip.empty() || v.xip.back() != x) v.xip.push_back(x);
    }
    return {};
}

// ---- text ----

void format(std::string& out, const tid& v) {
    out += '(';
    append_unsigned(out, v.block);
    out += ',';
    append_unsigned(out, v.offset);
    out += ')';
}
void format(std::string& out, const int2vector& v) {
    for (std::size_t i = 0; i < v.values.size(); ++i) {
        if (i != 0) out += ' ';
        append_integer(out, v.values[i]);
    }
}
void format(std::string& out, const oidvector& v) {
    for (std::size_t i = 0; i < v.values.size(); ++i) {
        if (i != 0) out += ' ';
        append_unsigned(out, v.values[i]);
    }
}
void format(std::string& out, const pg_snapshot& v) {
    append_unsigned(out, v.xmin);
    out += ':';
    append_unsigned(out, v.xmax);
    out += ':';
    for (std::size_t i = 0; i < v.xip.size(); ++i) {
        if (i != 0) out += ',';
        append_unsigned(out, v.xip[i]);
    }
}

// tidin: "(block,offset)".
error_code parse(std::string_view in, tid& v) {
    const std::string_view s = trim_space(in);
    const std::size_t comma = s.find(',');
    if (s.size() < 2 || s.front() != '(' || s.back() != ')' || comma == std::string_view::npos)
        return client_errc::invalid_text_value;
    std::uint64_t block = 0, offset = 0;
    if (auto ec = parse_unsigned(s.substr(1, comma - 1), 0xffffffff, block)) return ec;
    if (auto ec = parse_unsigned(s.substr(comma + 1, s.size() - comma - 2), 0xffff, offset))
        return ec;
    v.block = static_cast<std::uint32_t>(block);
    v.offset = static_cast<std::uint16_t>(offset);
    return {};
}

// int2vectorin, oidvectorin: numbers separated by white space (none for an empty vector).
template <class Element, class ParseOne>
error_code parse_vector(std::string_view s, std::vector<Element>& out, ParseOne parse_one) {
    out.clear();
    std::size_t i = 0;
    while (true) {
        while (i < s.size() && is_space(s[i]))
            ++i;
        if (i == s.size()) return {};
        std::size_t end = i;
        while (end < s.size() && !is_space(s[end]))
            ++end;
        Element v{};
        if (auto ec = parse_one(s.substr(i, end - i), v)) return ec;
        out.push_back(v);
        i = end;
    }
}

error_code parse(std::string_view in, int2vector& v) {
    return parse_vector(
        in, v.values, [](std::string_view s, std::int16_t& out) { return parse_integer(s, out); });
}
error_code parse(std::string_view in, oidvector& v) {
    return parse_vector(in, v.values, [](std::string_view s, std::uint32_t& out) {
        std::uint64_t n = 0;
        if (auto ec = parse_unsigned(s, 0xffffffff, n)) return ec;
        out = static_cast<std::uint32_t>(n);
        return error_code{};
    });
}

// parse_snapshot: "xmin:xmax:" then the xips separated by commas; duplicates dropped.
error_code parse(std::string_view s, pg_snapshot& v) {
    const std::size_t c1 = s.find(':');
    const std::size_t c2 = c1 == std::string_view::npos ? c1 : s.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return client_errc::invalid_text_value;
    const auto number = [](std::string_view n, std::uint64_t& out) -> error_code {
        // Digits only: the server's strtou64 would also take white space and a sign.
        if (n.empty() || n.find_first_not_of("0123456789") != std::string_view::npos)
            return client_errc::invalid_text_value;
        return parse_unsigned(n, max_txid, out);
    };
    if (auto ec = number(s.substr(0, c1), v.xmin)) return ec;
    if (auto ec = number(s.substr(c1 + 1, c2 - c1 - 1), v.xmax)) return ec;
    v.xip.clear();
    std::string_view rest = s.substr(c2 + 1);
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        std::uint64_t x = 0;
        if (auto ec = number(rest.substr(0, comma), x)) return ec;
        if (v.xip.empty() || v.xip.back() != x) v.xip.push_back(x);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return {};
}

} // namespace

template <class T, oid Type, oid ArrayType>
error_code system_codec<T, Type, ArrayType>::encode_binary(write_buffer& out, const T& v) {
    if (auto ec = check(v)) return ec;
    write(out, v);
    return {};
}

template <class T, oid Type, oid ArrayType>
error_code system_codec<T, Type, ArrayType>::decode_binary(std::span<const std::byte> in, oid t,
                                                           T& out) {
    if (!accepts(t)) return client_errc::type_mismatch;
    if (auto ec = read(in, out)) return ec;
    if constexpr (std::is_same_v<T, pg_snapshot>) return check(out);
    return {};
}

template <class T, oid Type, oid ArrayType>
error_code system_codec<T, Type, ArrayType>::encode_text(std::string& out, const T& v) {
    // An empty int2vector or oidvector has a text form ("") though no binary one.
    if constexpr (std::is_same_v<T, tid> || std::is_same_v<T, pg_snapshot>)
        if (auto ec = check(v)) return ec;
    format(out, v);
    return {};
}

template <class T, oid Type, oid ArrayType>
error_code system_codec<T, Type, ArrayType>::decode_text(std::string_view in, oid t, T& out) {
    if (!accepts(t)) return client_errc::type_mismatch;
    if (auto ec = parse(in, out)) return ec;
    if constexpr (std::is_same_v<T, pg_snapshot>) return check(out);
    return {};
}

template struct system_codec<tid, oids::tid, oids::tid_array>;
template struct system_codec<int2vector, oids::int2vector, oids::int2vector_array>;
template struct system_codec<oidvector, oids::oidvector, oids::oidvector_array>;
template struct system_codec<pg_snapshot, oids::pg_snapshot, oids::pg_snapshot_array>;

} // namespace pgasio::protocol::types::detail
