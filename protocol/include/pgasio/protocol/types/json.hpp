// The json and jsonb wrappers and their codecs.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/detail/text.hpp>

#include <string>

namespace pgasio::protocol {

/// A JSON document as text. pgasio neither parses nor validates it (the server does): use your
/// JSON library on `text`. Decodes from json and jsonb columns; sent as json (type_oid 114), whose
/// binary form is the plain text. The server converts json to jsonb on assignment (INSERT and
/// UPDATE of a jsonb column take it), but not for operators and functions: `doc @> $1` on jsonb
/// needs the `jsonb` wrapper below.
///
/// @code
/// json doc{R"({"a": 1})"};
/// write_buffer out;
/// types::codec<json>::encode_binary(out, doc);  // the text itself
/// @endcode
struct json {
    /// The document's text.
    std::string text{};
    /// Whether both designate the same element.
    friend bool operator==(const json&, const json&) = default;
};

/// A JSON document sent as jsonb (binary: version byte 1 and the text). Decodes like `json`; the
/// only difference is the parameter type, which matters where the server does not cast json
/// (jsonb operators and functions).
struct jsonb {
    /// The document's text.
    std::string text{};
    /// Whether both designate the same element.
    friend bool operator==(const jsonb&, const jsonb&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

namespace detail {

/// The version byte that starts jsonb's binary form; the only version there is so far.
inline constexpr std::uint8_t jsonb_version = 1;

/// Decodes a json or jsonb value into its text. json's binary form is the text itself; jsonb's is
/// a version byte (1) and the text. Errors: type_mismatch, invalid_binary_length (an empty
/// jsonb), unsupported_version (another version byte).
inline boost::system::error_code decode_json_binary(std::span<const std::byte> in, oid t,
                                                    std::string& out) {
    if (t == oids::jsonb) {
        if (in.empty()) return client_errc::invalid_binary_length;
        if (in[0] != std::byte{jsonb_version}) return client_errc::unsupported_version;
        in = in.subspan(1);
    } else if (t != oids::json) {
        return client_errc::type_mismatch;
    }
    out.assign(reinterpret_cast<const char*>(in.data()), in.size());
    return {};
}

/// The codec of a JSON wrapper J sent as type `Type`: json and jsonb text are the document.
template <class J, oid Type, oid ArrayType>
struct json_codec {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = Type;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = ArrayType;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::json || t == oids::jsonb; }
    /// Errors: embedded_nul.
    static boost::system::error_code encode_binary(write_buffer& out, const J& v) {
        if (auto ec = check_no_nul(v.text)) return ec;
        if constexpr (Type == oids::jsonb) out.put_u8(jsonb_version);
        out.put_string(v.text);
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t, J& out) {
        return decode_json_binary(in, t, out.text);
    }
    /// Errors: embedded_nul.
    static boost::system::error_code encode_text(std::string& out, const J& v) {
        if (auto ec = check_no_nul(v.text)) return ec;
        out += v.text;
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, J& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        out.text.assign(in);
        return {};
    }
};

} // namespace detail

/// `pgasio::protocol::json` <-> json, and decodes jsonb too. Sent as json (binary: the text),
/// which the server casts to jsonb wherever a jsonb is expected.
template <>
struct codec<json> : detail::json_codec<json, oids::json, oids::json_array> {};

/// `pgasio::protocol::jsonb` <-> jsonb, and decodes json too. Sent as jsonb (binary: version
/// byte 1 and the text).
template <>
struct codec<jsonb> : detail::json_codec<jsonb, oids::jsonb, oids::jsonb_array> {};

} // namespace pgasio::protocol::types
