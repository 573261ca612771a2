// json and jsonb as Boost.JSON values, and C++ types stored as JSON through Boost.JSON's
// conversions (value_from / value_to: described structs, containers, your tag_invoke overloads).
// A separate header, so that only the programs that include it need Boost.JSON: link them with
// Boost::json (find_package(Boost 1.81 COMPONENTS json)).
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <cmath>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace pgasio {

/// A value of the C++ type T held in a json or jsonb column as a JSON document: T converts to
/// and from JSON through Boost.JSON (`boost::json::value_from` and `value_to`), so T may be a
/// struct described with BOOST_DESCRIBE_STRUCT (an object of its members, by name), a standard
/// container, a std::map with string keys, a std::optional, or any type with Boost.JSON's
/// tag_invoke conversions. As a parameter it is sent as jsonb (binary: version byte 1 and the
/// text), which the server also assigns to a json column; it decodes from json and jsonb.
///
/// Errors when decoding: the document's parse error (boost::json::error, e.g. "syntax error"),
/// or value_to's when the document does not have T's shape (e.g. a member missing or of
/// another kind); a row_view get names the column with them.
///
/// @code
/// struct point3 { double x, y, z; };
/// BOOST_DESCRIBE_STRUCT(point3, (), (x, y, z))
///
/// co_await conn.async_execute("INSERT INTO shapes (at) VALUES ($1)",
///                             pgasio::json_of<point3>{{1, 2, 3}});   // {"x":1E0,"y":2E0,"z":3E0}
/// auto rows = co_await conn.async_query("SELECT at FROM shapes");
/// point3 p = rows[0].get<pgasio::json_of<point3>>(0).value;
/// @endcode
template <class T>
struct json_of {
    /// The value.
    T value{};
    /// Whether both hold equal values.
    friend bool operator==(const json_of&, const json_of&) = default;
};

} // namespace pgasio

namespace pgasio::protocol::types {

namespace detail {

/// True when every number in `v` is finite. JSON has no infinity: Boost.JSON reads a number
/// beyond a double's range (1e400) as one, and writes it as text that does not read back as the
/// same number, so such a value is refused both ways rather than changed.
inline bool all_finite(const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::double_:
        return std::isfinite(v.get_double());
    case boost::json::kind::array:
        for (const auto& e : v.get_array())
            if (!all_finite(e)) return false;
        return true;
    case boost::json::kind::object:
        for (const auto& kv : v.get_object())
            if (!all_finite(kv.value())) return false;
        return true;
    default:
        return true;
    }
}

/// Parses `text`, a json or jsonb document, into `out`. Errors: Boost.JSON's parse errors;
/// value_out_of_range for a number beyond a double's range.
inline boost::system::error_code parse_json(std::string_view text, boost::json::value& out) {
    boost::system::error_code ec;
    out = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
    if (!ec && !all_finite(out)) return client_errc::value_out_of_range;
    return ec;
}

/// Appends the binary form of `v` as jsonb: the version byte, then the document's text.
/// Errors: value_out_of_range for a number that is not finite (nothing is written).
inline boost::system::error_code put_jsonb(write_buffer& out, const boost::json::value& v) {
    if (!all_finite(v)) return client_errc::value_out_of_range;
    out.put_u8(jsonb_version);
    out.put_string(boost::json::serialize(v));
    return {};
}

/// Appends the text of `v`. Errors: value_out_of_range for a number that is not finite.
inline boost::system::error_code put_json_text(std::string& out, const boost::json::value& v) {
    if (!all_finite(v)) return client_errc::value_out_of_range;
    out += boost::json::serialize(v);
    return {};
}

/// Parses the binary form of a json or jsonb value (see decode_json_binary) into `out`.
inline boost::system::error_code parse_json_binary(std::span<const std::byte> in, oid t,
                                                   boost::json::value& out) {
    if (t == oids::jsonb) {
        if (in.empty()) return client_errc::invalid_binary_length;
        if (in[0] != std::byte{jsonb_version}) return client_errc::unsupported_version;
        in = in.subspan(1);
    } else if (t != oids::json) {
        return client_errc::type_mismatch;
    }
    return parse_json({reinterpret_cast<const char*>(in.data()), in.size()}, out);
}

} // namespace detail

/// `boost::json::value` <-> jsonb, and decodes json too: the document parsed (decoding) or
/// serialized (encoding). Sent as jsonb (binary: version byte 1 and the text), which the server
/// also assigns to json columns; jsonb stores the document normalised (keys sorted and unique,
/// insignificant whitespace dropped). Errors when decoding: Boost.JSON's parse errors, and
/// those of decode_json_binary.
template <>
struct codec<boost::json::value> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::jsonb;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::jsonb_array;
    /// Whether values of server type `t` decode into this type: json and jsonb.
    static constexpr bool accepts(oid t) noexcept { return t == oids::json || t == oids::jsonb; }
    /// Appends the jsonb binary form of `v`. Errors: value_out_of_range for a number that is not
    /// finite.
    static boost::system::error_code encode_binary(write_buffer& out, const boost::json::value& v) {
        return detail::put_jsonb(out, v);
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   boost::json::value& out) {
        return detail::parse_json_binary(in, t, out);
    }
    /// Appends the text form of `v` (its serialization). Errors: value_out_of_range for a number
    /// that is not finite.
    static boost::system::error_code encode_text(std::string& out, const boost::json::value& v) {
        return detail::put_json_text(out, v);
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t,
                                                 boost::json::value& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        return detail::parse_json(in, out);
    }
};

/// `pgasio::json_of<T>` <-> jsonb, and decodes json too: T converted to JSON by
/// `boost::json::value_from` and back by `boost::json::try_value_to`, sent and decoded as
/// codec<boost::json::value> does. Errors when decoding: those of codec<boost::json::value>,
/// and value_to's when the document does not have T's shape.
template <class T>
struct codec<pgasio::json_of<T>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::jsonb;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::jsonb_array;
    /// Whether values of server type `t` decode into this type: json and jsonb.
    static constexpr bool accepts(oid t) noexcept { return t == oids::json || t == oids::jsonb; }
    /// Appends the jsonb binary form of `v.value` converted to JSON. Throws what value_from of
    /// T throws.
    static boost::system::error_code encode_binary(write_buffer& out, const pgasio::json_of<T>& v) {
        return detail::put_jsonb(out, boost::json::value_from(v.value));
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   pgasio::json_of<T>& out) {
        boost::json::value doc;
        if (auto ec = detail::parse_json_binary(in, t, doc)) return ec;
        return convert(doc, out);
    }
    /// Appends the text form of `v.value` converted to JSON.
    static boost::system::error_code encode_text(std::string& out, const pgasio::json_of<T>& v) {
        return detail::put_json_text(out, boost::json::value_from(v.value));
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t,
                                                 pgasio::json_of<T>& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        boost::json::value doc;
        if (auto ec = detail::parse_json(in, doc)) return ec;
        return convert(doc, out);
    }

private:
    static boost::system::error_code convert(const boost::json::value& doc,
                                             pgasio::json_of<T>& out) {
        auto r = boost::json::try_value_to<T>(doc);
        if (!r) return r.error();
        out.value = std::move(*r);
        return {};
    }
};

} // namespace pgasio::protocol::types
