#include <pgasio/format.hpp>
#include <pgasio/value.hpp>

#include "text_form.hpp"
#include "type_dispatch.hpp"

#include <pgasio/detail/current_types.hpp>
#include <pgasio/type_registry.hpp>

#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/detail/array_format.hpp>
#include <pgasio/protocol/types/detail/value_length.hpp>
#include <pgasio/protocol/types/runtime_types.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace pgasio {

namespace {

namespace oids = protocol::oids;
namespace array_format = protocol::types::detail;
using protocol::client_errc;
using error_code = boost::system::error_code;

template <class T>
using codec = protocol::types::codec<T>;

template <class T>
constexpr bool is_basic_timestamp_v =
    std::is_same_v<T, protocol::timestamp> || std::is_same_v<T, protocol::timestamptz>;

// The std::chrono time points that hold timestamps (local_time and sys_time in microseconds).
template <class T>
constexpr bool is_chrono_timestamp_v = false;
template <class Clock>
constexpr bool is_chrono_timestamp_v<std::chrono::time_point<Clock, std::chrono::microseconds>> =
    true;

// True when values of type `t` are held as the alternative T (so T's codec writes them):
// timestamps are also held as basic_timestamp, past std::chrono's end.
template <class T>
bool is_held_as(protocol::oid t) {
    if constexpr (is_basic_timestamp_v<T>) return t == codec<T>::type_oid;
    bool same = false;
    detail::with_cpp_type(t, [&]<class U>() { same = std::is_same_v<T, U>; });
    return same;
}

// A value of type `t` that `decode` reads into a T, or, for a timestamp the std::chrono T cannot
// hold (after 294247 AD), into basic_timestamp, which holds every one the server has.
template <class T, class Decode>
error_code decode_as(protocol::oid t, value& out, Decode decode) {
    T v{};
    error_code ec = decode(v);
    if (!ec) {
        out = value::of_type(t, std::move(v));
        return {};
    }
    if constexpr (is_chrono_timestamp_v<T>) {
        if (ec == client_errc::value_out_of_range) {
            protocol::basic_timestamp<typename T::clock> whole;
            if (!(ec = decode(whole))) out = value::of_type(t, whole);
        }
    }
    return ec;
}

// The same time, as a basic_timestamp: a timestamp's alternatives compare by it.
template <class T>
std::optional<std::int64_t> timestamp_count(const T& v) {
    if constexpr (is_basic_timestamp_v<T>)
        return v.microseconds_since_2000;
    else if constexpr (is_chrono_timestamp_v<T>)
        return protocol::basic_timestamp<typename T::clock>::from_chrono(v).microseconds_since_2000;
    else
        return std::nullopt;
}

// The type the binary form of an array of type `t` labels its elements with, which array_recv
// requires: a built-in array's element type, or the element type of a loaded array type (a
// domain, for an array of a domain); 0 for other types.
protocol::oid array_element_label(protocol::oid t) {
    const protocol::oid e = oids::element_type(t);
    return e != 0 ? e : protocol::types::runtime_array_element(t);
}

// The type of the elements of an array of type `t` when they have a codec, else 0: the arrays
// that a value_array holds. The elements of an array of a domain are of the domain's base type,
// as the server sends a value of a domain (runtime_types.hpp).
protocol::oid array_element_type(protocol::oid t) {
    const protocol::oid e = protocol::types::runtime_base_type(array_element_label(t));
    return e != 0 && detail::with_cpp_type(e, []<class>() {}) ? e : 0;
}

// The character between the elements of an array of `element` in text (box: ';').
char delimiter_of(protocol::oid element) {
    char d = ',';
    detail::with_cpp_type(element, [&]<class T>() { d = array_format::array_delimiter<T>(); });
    return d;
}

// Checks that `a` can be an array of type `t`: a built-in array type whose element type has a
// codec, a shape its elements fill, and elements of that type (or NULL). Sets `element` and
// `has_null`.
error_code check_array(protocol::oid t, const value_array& a, protocol::oid& element,
                       bool& has_null) {
    element = array_element_type(t);
    // An array type defined at run time (of a domain) that no registry current here knows,
    // as when a value read in a query is printed: its elements say their type.
    if (element == 0 && t >= detail::first_user_oid && !a.elements.empty() &&
        detail::with_cpp_type(a.elements.front().type_oid(), []<class>() {}))
        element = a.elements.front().type_oid();
    if (element == 0) return client_errc::type_mismatch;
    if (auto ec = array_format::check_array_shape(a.dims, a.elements.size())) return ec;
    has_null = false;
    for (const value& e : a.elements) {
        if (e.is_null())
            has_null = true;
        else if (e.type_oid() != element)
            return client_errc::type_mismatch;
    }
    return {};
}

error_code encode_array_binary(protocol::write_buffer& out, protocol::oid t, const value_array& a) {
    protocol::oid element = 0;
    bool has_null = false;
    if (auto ec = check_array(t, a, element, has_null)) return ec;
    // The header names the element type exactly (varchar, not text; the domain of an array of
    // a domain): the server's array_recv refuses elements of another type than the array's.
    const protocol::oid label = array_element_label(t);
    if (label == 0) return client_errc::type_mismatch;
    const std::size_t start = out.size();
    array_format::write_array_header(out, a.dims, has_null, label, a.elements.size());
    for (const value& e : a.elements) {
        if (e.is_null()) {
            out.put_i32(-1);
            continue;
        }
        const std::size_t at = array_format::begin_value_length(out);
        auto ec = e.encode_binary(out);
        if (!ec) ec = array_format::end_value_length(out, at);
        if (ec) {
            out.truncate(start);
            return ec;
        }
    }
    return {};
}

// Appends money as the server writes it with lc_monetary C (and en_US): `-$1,234.56`.
void append_money_as_server(std::string& out, protocol::money m) {
    const bool negative = m.cents < 0;
    const std::uint64_t magnitude =
        negative ? 0 - static_cast<std::uint64_t>(m.cents) : static_cast<std::uint64_t>(m.cents);
    const std::string units = std::to_string(magnitude / 100);
    if (negative) out += '-';
    out += '$';
    for (std::size_t i = 0; i < units.size(); ++i) {
        if (i != 0 && (units.size() - i) % 3 == 0) out += ',';
        out += units[i];
    }
    out += '.';
    out += static_cast<char>('0' + magnitude % 100 / 10);
    out += static_cast<char>('0' + magnitude % 10);
}

// The text form of `v`; `as_server` writes money as the server prints it rather than as the
// plain number its codec sends.
error_code append_text(std::string& out, const value& v, bool as_server);

error_code encode_array_text(std::string& out, protocol::oid t, const value_array& a,
                             bool as_server) {
    protocol::oid element = 0;
    bool has_null = false;
    if (auto ec = check_array(t, a, element, has_null)) return ec;
    std::vector<std::optional<std::string>> texts(a.elements.size());
    for (std::size_t i = 0; i < a.elements.size(); ++i) {
        if (a.elements[i].is_null()) continue;
        texts[i].emplace();
        if (auto ec = append_text(*texts[i], a.elements[i], as_server)) return ec;
    }
    array_format::append_text_array(out, a.dims, texts, delimiter_of(element));
    return {};
}

error_code append_text(std::string& out, const value& v, bool as_server) {
    const protocol::oid t = v.type_oid();
    return std::visit(
        [&]<class T>(const T& x) -> error_code {
            if constexpr (std::is_same_v<T, std::monostate>) {
                return {};
            } else if constexpr (std::is_same_v<T, other_type_text>) {
                out += x.text;
                return {};
            } else if constexpr (std::is_same_v<T, value_array>) {
                return encode_array_text(out, t, x, as_server);
            } else {
                if (!is_held_as<T>(t)) return client_errc::type_mismatch;
                if constexpr (std::is_same_v<T, protocol::money>) {
                    if (as_server) {
                        append_money_as_server(out, x);
                        return {};
                    }
                }
                return codec<T>::encode_text(out, x);
            }
        },
        v.get());
}

} // namespace

bool operator==(const value_array& a, const value_array& b) {
    return a.dims == b.dims && a.elements == b.elements;
}

value::value() noexcept = default;
value::value(const value& other) = default;
value::value(value&& other) noexcept = default;
value& value::operator=(const value& other) = default;
value& value::operator=(value&& other) noexcept = default;
value::~value() = default;

bool operator==(const value& a, const value& b) {
    if (a.oid_ != b.oid_) return false;
    if (a.v_.index() == b.v_.index()) return a.v_ == b.v_;
    // The one type held by two alternatives: a timestamp in std::chrono or past its end.
    const auto ta = std::visit([](const auto& x) { return timestamp_count(x); }, a.v_);
    const auto tb = std::visit([](const auto& x) { return timestamp_count(x); }, b.v_);
    return ta && tb && *ta == *tb;
}

error_code value::encode_binary(protocol::write_buffer& out) const {
    return std::visit(
        [&]<class T>(const T& v) -> error_code {
            if constexpr (std::is_same_v<T, std::monostate>)
                return {};
            else if constexpr (std::is_same_v<T, other_type_text>)
                // Only the text is known: the binary form of a type without a codec is not.
                return client_errc::type_mismatch;
            else if constexpr (std::is_same_v<T, value_array>)
                return encode_array_binary(out, oid_, v);
            else {
                if (!is_held_as<T>(oid_)) return client_errc::type_mismatch;
                return codec<T>::encode_binary(out, v);
            }
        },
        v_);
}

error_code value::encode_text(std::string& out) const {
    return append_text(out, *this, false);
}

namespace detail {

void append_value(std::string& out, const value& v) {
    if (v.is_null()) {
        out += "NULL";
        return;
    }
    const std::size_t start = out.size();
    if (append_text(out, v, true)) {
        out.resize(start);
        out += "<unencodable>";
    }
}

} // namespace detail

} // namespace pgasio

namespace pgasio::protocol::types {

namespace {

// A value of a type outside the built-in ones that arrived in binary: its text, when the
// registry of the connection decoding it has loaded the type (an enum, a composite, hstore);
// otherwise type_mismatch, as its binary form cannot be read.
error_code decode_user_type_binary(std::span<const std::byte> in, oid t, value& out) {
    const type_registry* types = pgasio::detail::current_types();
    if (!types || !types->find(t)) return client_errc::type_mismatch;
    std::string text;
    if (!pgasio::detail::known_binary_text(t, in, text)) return client_errc::type_mismatch;
    out = value::of_type(t, other_type_text{std::move(text)});
    return {};
}

} // namespace

error_code codec<value>::decode_binary(std::span<const std::byte> in, oid t, value& out) {
    error_code ec;
    if (pgasio::detail::with_cpp_type(t, [&]<class T>() {
            ec = decode_as<T>(t, out, [&](auto& v) {
                return codec<std::decay_t<decltype(v)>>::decode_binary(in, t, v);
            });
        }))
        return ec;
    const oid element = array_element_type(t);
    if (element == 0) return decode_user_type_binary(in, t, out);
    protocol::detail::byte_reader r(in);
    array_format::binary_array_header h;
    if ((ec = array_format::read_array_header(r, h))) return ec;
    if (h.element_type != array_element_label(t)) return client_errc::type_mismatch;
    value_array a;
    a.dims = std::move(h.dims);
    a.elements.reserve(h.count); // read_array_header checked that the bytes can hold them
    for (std::size_t i = 0; i < h.count; ++i) {
        std::optional<std::span<const std::byte>> bytes;
        if ((ec = array_format::read_array_element(r, bytes))) return ec;
        value& e = a.elements.emplace_back();
        if (!bytes)
            e = value::of_type(element, std::monostate{});
        else if ((ec = decode_binary(*bytes, element, e)))
            return ec;
    }
    if (!r.empty()) return client_errc::invalid_array;
    out = value::of_type(t, std::move(a));
    return {};
}

error_code codec<value>::decode_text(std::string_view in, oid t, value& out) {
    error_code ec;
    if (pgasio::detail::with_cpp_type(t, [&]<class T>() {
            ec = decode_as<T>(t, out, [&](auto& v) {
                return codec<std::decay_t<decltype(v)>>::decode_text(in, t, v);
            });
        })) {
        // The OID alias types (regclass, ...) write a name in text, which only the catalog
        // turns into the oid their binary form is: the name is kept as it is.
        if (ec == client_errc::invalid_text_value && detail::is_oid_alias(t)) {
            out = value::of_type(t, other_type_text{std::string(in)});
            return {};
        }
        return ec;
    }
    const oid element = array_element_type(t);
    if (element == 0) {
        // A type without a codec: its text is all there is to keep.
        out = value::of_type(t, other_type_text{std::string(in)});
        return {};
    }
    array_format::text_array parsed;
    if ((ec = array_format::parse_text_array(in, parsed, delimiter_of(element)))) return ec;
    value_array a;
    a.dims = std::move(parsed.dims);
    a.elements.reserve(parsed.elements.size());
    for (const auto& s : parsed.elements) {
        value& e = a.elements.emplace_back();
        if (!s)
            e = value::of_type(element, std::monostate{});
        else if ((ec = decode_text(*s, element, e)))
            return ec;
    }
    out = value::of_type(t, std::move(a));
    return {};
}

error_code codec<value>::decode_null(oid t, value& out) noexcept {
    out = value::of_type(t, std::monostate{});
    return {};
}

} // namespace pgasio::protocol::types
