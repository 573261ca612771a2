// How each C++ parameter type is sent: its type OID and its binary encoding.
#pragma once

#include <pgasio/named_param.hpp>
#include <pgasio/value.hpp>

#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/types/types.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pgasio::detail {

template <class T>
inline constexpr bool always_false_v = false;

/// `param_traits<T>` (T decayed) provides `static_type` (true when the OID is known at compile
/// time, then `type_oid`), `oid_of(v)`, `write(w, v)`, which appends the value to a Bind's
/// parameters or a binary COPY row (both are protocol::field_writer), and `text(v, out)`, which
/// appends its text form for an observer (pgasio::named) and returns false for NULL. The primary
/// template covers every type with a codec.
template <class T>
struct param_traits {
    static_assert(always_false_v<T>,
                  "pgasio: this C++ type cannot be a query parameter: it has no "
                  "protocol::types::codec<T> (see pgasio/protocol/types/types.hpp for the "
                  "supported types, or specialise codec<T>); the compiler names T below");
};

/// True when protocol::types::codec<T> is defined.
template <class T>
concept has_param_codec = requires {
    protocol::types::codec<T>::type_oid;
};

template <class T>
requires has_param_codec<T>
struct param_traits<T> {
    using codec = protocol::types::codec<T>;
    static constexpr bool static_type = true;
    static constexpr protocol::oid type_oid = codec::type_oid;
    static protocol::oid oid_of(const T&) noexcept {
        // A user-defined type registered and loaded (pgasio/type_registry.hpp) is sent with
        // its OID, from the current registry; else as type_oid (0: the server infers it).
        if constexpr (requires { codec::runtime_type_oid(); })
            if (const protocol::oid t = codec::runtime_type_oid()) return t;
        return type_oid;
    }
    static void write(protocol::field_writer& w, const T& v) {
        w.value([&](protocol::write_buffer& out) { return codec::encode_binary(out, v); });
    }
    static bool text(const T& v, std::string& out) {
        // A value the codec cannot print cannot be sent either: its query fails on its own.
        if (codec::encode_text(out, v)) out = "(invalid)";
        return true;
    }
};

/// Signed integers without a codec of their own (`long long`, where std::int64_t is `long`): as
/// the fixed-width integer of their size.
template <class T>
requires(!has_param_codec<T> && std::is_integral_v<T> && std::is_signed_v<T> &&
         !std::is_same_v<T, char> &&
         (sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8)) struct param_traits<T> {
    using fixed =
        std::conditional_t<sizeof(T) == 2, std::int16_t,
                           std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>>;
    static constexpr bool static_type = true;
    static constexpr protocol::oid type_oid = param_traits<fixed>::type_oid;
    static protocol::oid oid_of(T) noexcept { return type_oid; }
    static void write(protocol::field_writer& w, T v) {
        param_traits<fixed>::write(w, static_cast<fixed>(v));
    }
    static bool text(T v, std::string& out) {
        return param_traits<fixed>::text(static_cast<fixed>(v), out);
    }
};

/// std::nullopt: NULL of no particular type (OID 0): the server infers the type from the query.
template <>
struct param_traits<std::nullopt_t> {
    static constexpr bool static_type = true;
    static constexpr protocol::oid type_oid = 0;
    static protocol::oid oid_of(std::nullopt_t) noexcept { return 0; }
    static void write(protocol::field_writer& w, std::nullopt_t) { w.null_value(); }
    static bool text(std::nullopt_t, std::string&) { return false; }
};

/// std::optional<T>: NULL or T, typed as T either way.
template <class T>
struct param_traits<std::optional<T>> {
    using inner = param_traits<T>;
    static constexpr bool static_type = inner::static_type;
    static constexpr protocol::oid type_oid = [] {
        if constexpr (inner::static_type)
            return inner::type_oid;
        else
            return protocol::oid{0};
    }();
    static protocol::oid oid_of(const std::optional<T>& v) noexcept {
        if constexpr (inner::static_type)
            return type_oid;
        else
            return v ? inner::oid_of(*v) : protocol::oid{0};
    }
    static void write(protocol::field_writer& w, const std::optional<T>& v) {
        if (v)
            inner::write(w, *v);
        else
            w.null_value();
    }
    static bool text(const std::optional<T>& v, std::string& out) {
        return v && inner::text(*v, out);
    }
};

/// C strings (and string literals, which decay to them): text; a null pointer is NULL.
template <>
struct param_traits<const char*> {
    static constexpr bool static_type = true;
    static constexpr protocol::oid type_oid = param_traits<std::string_view>::type_oid;
    static protocol::oid oid_of(const char*) noexcept { return type_oid; }
    static void write(protocol::field_writer& w, const char* s) {
        if (s)
            param_traits<std::string_view>::write(w, std::string_view(s));
        else
            w.null_value();
    }
    static bool text(const char* s, std::string& out) {
        return s && param_traits<std::string_view>::text(std::string_view(s), out);
    }
};
template <>
struct param_traits<char*> : param_traits<const char*> {};

/// Writes `n` elements of type E, element i being `at(i)` (a const E&), as a one-dimensional
/// binary array of E (std::optional<T> elements: NULL when empty).
template <class E, class At>
boost::system::error_code encode_param_array(protocol::write_buffer& out, std::size_t n, At at) {
    if (n > 0x7fffffff) return protocol::client_errc::value_out_of_range;
    const protocol::array_dimension dim{static_cast<std::int32_t>(n), 1};
    using array_element = protocol::types::detail::array_element<E>;
    bool has_null = false;
    if constexpr (array_element::nullable)
        for (std::size_t i = 0; i < n && !has_null; ++i)
            has_null = !at(i);
    return protocol::types::detail::encode_binary_array<typename array_element::value_type>(
        out, std::span(&dim, n == 0 ? 0 : 1), n, has_null, [&](std::size_t i) {
            const E& e = at(i);
            if constexpr (array_element::nullable)
                return e ? &*e : nullptr;
            else
                return &e;
        });
}

/// std::span<const T> (any extent): a one-dimensional array of T, as std::vector<T>; a span of
/// bytes is bytea, as std::span<const std::byte>.
template <class T, std::size_t N>
struct param_traits<std::span<T, N>> {
    using element = std::remove_const_t<T>;
    static constexpr bool is_bytes = std::is_same_v<element, std::byte>;
    using codec = std::conditional_t<is_bytes, protocol::types::codec<std::span<const std::byte>>,
                                     protocol::types::codec<std::vector<element>>>;
    static constexpr bool static_type = true;
    static constexpr protocol::oid type_oid = codec::type_oid;
    static protocol::oid oid_of(std::span<T, N>) noexcept { return type_oid; }
    static void write(protocol::field_writer& w, std::span<T, N> v) {
        if constexpr (is_bytes)
            w.value([&](protocol::write_buffer& out) {
                return codec::encode_binary(out, std::span<const std::byte>(v));
            });
        else
            w.value([&](protocol::write_buffer& out) {
                return encode_param_array<element>(
                    out, v.size(), [&](std::size_t i) -> const element& { return v[i]; });
            });
    }
    static bool text(std::span<T, N> v, std::string& out) {
        boost::system::error_code ec;
        if constexpr (is_bytes)
            ec = codec::encode_text(out, std::span<const std::byte>(v));
        else
            ec = codec::encode_text(out, std::vector<element>(v.begin(), v.end()));
        if (ec) out = "(invalid)";
        return true;
    }
};

/// pgasio::value: its type is known only at run time.
template <>
struct param_traits<value> {
    static constexpr bool static_type = false;
    static protocol::oid oid_of(const value& v) noexcept { return v.type_oid(); }
    static void write(protocol::field_writer& w, const value& v) {
        if (v.is_null())
            w.null_value();
        else if (const auto* text = v.get_if<other_type_text>())
            // A type whose binary form pgasio does not know: the server reads its text.
            w.text_value(text->text);
        else
            w.value([&](protocol::write_buffer& out) { return v.encode_binary(out); });
    }
    static bool text(const value& v, std::string& out) {
        if (v.is_null()) return false;
        if (v.encode_text(out)) out = "(invalid)";
        return true;
    }
};

/// pgasio::named: sent as its value, whose text observers may show under its name.
template <class T>
struct param_traits<named_param<T>> {
    using inner = param_traits<std::decay_t<T>>;
    static constexpr bool static_type = inner::static_type;
    static constexpr protocol::oid type_oid = [] {
        if constexpr (inner::static_type)
            return inner::type_oid;
        else
            return protocol::oid{0};
    }();
    static protocol::oid oid_of(const named_param<T>& p) noexcept { return inner::oid_of(p.value); }
    static void write(protocol::field_writer& w, const named_param<T>& p) {
        inner::write(w, p.value);
    }
    static bool text(const named_param<T>& p, std::string& out) {
        return inner::text(p.value, out);
    }
};

/// True for pgasio::named parameters.
template <class T>
inline constexpr bool is_named_param_v = false;
template <class T>
inline constexpr bool is_named_param_v<named_param<T>> = true;

/// The traits of a parameter passed as `const P&` (arrays and functions decay to pointers).
template <class P>
using param_traits_of = param_traits<std::decay_t<P>>;

} // namespace pgasio::detail
