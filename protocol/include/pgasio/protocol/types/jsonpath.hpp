// The jsonpath wrapper and its codec.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/detail/text.hpp>

#include <cstdint>
#include <string>

namespace pgasio::protocol {

/// An SQL/JSON path expression (jsonpath) as text, e.g. `$.items[*] ? (@.price > 10)`. pgasio
/// does not parse it (the server does, and sends back its own normalised spelling:
/// `$.a` comes back as `$."a"`).
///
/// @code
/// auto rows = co_await conn.async_query("SELECT jsonb_path_query($1, $2)",
///                                       pgasio::jsonb{R"({"a": [1, 2]})"},
///                                       pgasio::jsonpath{"$.a[*]"});
/// @endcode
struct jsonpath {
    /// The expression's text.
    std::string text{};
    /// Whether both have the same text.
    friend bool operator==(const jsonpath&, const jsonpath&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

/// `pgasio::protocol::jsonpath` <-> jsonpath. Binary is a version byte (1) and the text, as
/// jsonpath_send writes it; text is the expression.
///
/// Errors: type_mismatch, invalid_binary_length (no version byte), unsupported_version (another
/// version byte), embedded_nul (encoding a text with a NUL byte).
template <>
struct codec<jsonpath> {
    /// The version byte that starts the binary form; the only version there is so far.
    static constexpr std::uint8_t version = 1;
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::jsonpath;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::jsonpath_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::jsonpath; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const jsonpath& v) {
        if (auto ec = detail::check_no_nul(v.text)) return ec;
        out.put_u8(version);
        out.put_string(v.text);
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   jsonpath& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        if (in.empty()) return client_errc::invalid_binary_length;
        if (in[0] != std::byte{version}) return client_errc::unsupported_version;
        out.text.assign(reinterpret_cast<const char*>(in.data()) + 1, in.size() - 1);
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const jsonpath& v) {
        if (auto ec = detail::check_no_nul(v.text)) return ec;
        out += v.text;
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, jsonpath& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        out.text.assign(in);
        return {};
    }
};

} // namespace pgasio::protocol::types
