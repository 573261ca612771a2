// Codecs for the character types: text, varchar, bpchar, name, unknown, and "char".
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/detail/text.hpp>
#include <pgasio/protocol/types/view_traits.hpp>

#include <string>
#include <string_view>

namespace pgasio::protocol::types {

namespace detail {

/// The server types whose values are plain character strings, identical in text and binary.
constexpr bool is_string_type(oid t) noexcept {
    return t == oids::text || t == oids::varchar || t == oids::bpchar || t == oids::name ||
           t == oids::unknown;
}

/// The shared part of the string codecs: text and binary forms are the same bytes.
template <class S>
struct string_codec {
    /// Sent as text: the server casts it to varchar, bpchar or name where a parameter needs that.
    static constexpr oid type_oid = oids::text;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::text_array;
    /// json and jsonb are not accepted: decode them with the json codec (json.hpp).
    static constexpr bool accepts(oid t) noexcept { return is_string_type(t); }
    /// Errors: embedded_nul (PostgreSQL strings cannot hold a NUL byte).
    static boost::system::error_code encode_binary(write_buffer& out, const S& v) {
        if (auto ec = check_no_nul(v)) return ec;
        out.put_string(v);
        return {};
    }
    /// Errors: embedded_nul.
    static boost::system::error_code encode_text(std::string& out, const S& v) {
        if (auto ec = check_no_nul(v)) return ec;
        out += v;
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t, S& out) {
        return decode_text({reinterpret_cast<const char*>(in.data()), in.size()}, t, out);
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, S& out) {
        if (!accepts(t)) return client_errc::type_mismatch;
        out = S(in);
        return {};
    }
};

} // namespace detail

/// `std::string` <-> text (and, on decoding, varchar, bpchar, name and unknown). The bytes are
/// the server's client_encoding (UTF-8 unless configured otherwise); bpchar keeps its padding.
template <>
struct codec<std::string> : detail::string_codec<std::string> {};

/// `std::string_view` <-> text, like std::string but decoding into a view of the value bytes: it
/// is valid only as long as those bytes (the result buffer) are.
template <>
struct codec<std::string_view> : detail::string_codec<std::string_view> {};

/// std::string_view decodes into a view of its input.
template <>
struct is_view<std::string_view> : std::true_type {};

namespace detail {
/// Parses the text form of "char": "" (the zero byte), one character, or a backslash and three
/// octal digits (how the server writes bytes with the high bit set). Errors: invalid_text_value.
boost::system::error_code parse_char(std::string_view in, char& out) noexcept;
/// Appends the text form of "char" as the server writes it.
void append_char(std::string& out, char c);
} // namespace detail

/// `char` <-> "char" (oid 18), the single-byte internal type of the catalogs (not char(n), which
/// is bpchar and decodes into strings). Binary is the byte itself; text is the character, the
/// empty string for the zero byte, and "\ooo" for bytes with the high bit set.
template <>
struct codec<char> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::char_;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::char_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::char_; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const char& v) {
        out.put_u8(static_cast<std::uint8_t>(v));
        return {};
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   char& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        if (in.size() != 1) return client_errc::invalid_binary_length;
        out = static_cast<char>(in[0]);
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const char& v) {
        detail::append_char(out, v);
        return {};
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, char& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        return detail::parse_char(in, out);
    }
};

} // namespace pgasio::protocol::types
