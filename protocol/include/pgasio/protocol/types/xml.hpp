// The xml wrapper and its codec.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/detail/text.hpp>

#include <string>

namespace pgasio::protocol {

/// An XML value (a document or a content fragment) as text. pgasio does not parse it: the server
/// checks it on input (and needs to be built with libxml for that). Binary and text forms are
/// both the text in the client encoding (pgasio's connections use UTF8); the server may rewrite
/// an XML declaration's encoding on output.
struct xml {
    /// The XML text.
    std::string text{};
    /// Whether both have the same text.
    friend bool operator==(const xml&, const xml&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

/// `pgasio::protocol::xml` <-> xml: the text, in both forms (xml_send writes the text in the
/// client encoding). Errors: type_mismatch, embedded_nul (encoding a text with a NUL byte).
template <>
struct codec<xml> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::xml;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::xml_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::xml; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const xml& v) {
        if (auto ec = detail::check_no_nul(v.text)) return ec;
        out.put_string(v.text);
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t, xml& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        out.text.assign(reinterpret_cast<const char*>(in.data()), in.size());
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const xml& v) {
        if (auto ec = detail::check_no_nul(v.text)) return ec;
        out += v.text;
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, xml& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        out.text.assign(in);
        return {};
    }
};

} // namespace pgasio::protocol::types
