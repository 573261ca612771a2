// Array codecs: std::vector<T> for one-dimensional arrays, pgasio::protocol::array<T> for any.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/array_dimension.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/detail/array_format.hpp>
#include <pgasio/protocol/types/runtime_types.hpp>
#include <pgasio/protocol/types/view_traits.hpp>

#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgasio::protocol {

/// An array of any shape: up to 6 dimensions, any lower bounds, NULL elements.
///
/// `elements` holds the elements in row-major order (the last index varies fastest); their number
/// is the product of the dimensions' lengths. An empty array has no dimensions (that is how the
/// server stores every array without elements, whatever its declared shape).
///
/// @code
/// array<std::int32_t> a{{{2, 1}, {3, 0}}, {1, 2, 3, 4, std::nullopt, 6}};
/// // [1:2][0:2]={{1,2,3},{4,NULL,6}}
/// @endcode
template <class T>
struct array {
    /// The dimensions, outermost first (none for an empty array).
    std::vector<array_dimension> dims{};
    /// The elements in row-major order; nullopt for NULL.
    std::vector<std::optional<T>> elements{};
    /// Whether both designate the same element.
    friend bool operator==(const array&, const array&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

namespace detail {

/// The element type of a vector used as an array: std::optional<U> elements may be NULL.
template <class T>
struct array_element {
    using value_type = T;
    static constexpr bool nullable = false;
};
template <class U>
struct array_element<std::optional<U>> {
    using value_type = U;
    static constexpr bool nullable = true;
};

/// The element type that codec<E> decodes in arrays of type `array_type`, or 0 when it does not
/// accept that array type: codec<E>'s own array type, or a built-in array of a type it accepts
/// (so std::vector<std::int64_t> reads int2[], int4[] and int8[]).
template <class E>
oid array_element_oid(oid array_type) noexcept {
    // A type whose OIDs are not fixed (a user-defined type: pgasio/type_registry.hpp) knows its
    // array types at run time.
    // An array of a domain is read as an array of the domain's base type (runtime_types.hpp).
    if constexpr (requires { codec<E>::element_of_array(array_type); }) {
        const oid e = runtime_base_type(codec<E>::element_of_array(array_type));
        return e != 0 && codec<E>::accepts(e) ? e : 0;
    } else {
        if (array_type == codec<E>::array_oid) return codec<E>::type_oid;
        oid e = oids::element_type(array_type);
        if (e == 0) e = runtime_base_type(runtime_array_element(array_type));
        return e != 0 && codec<E>::accepts(e) ? e : 0;
    }
}

/// The type codec<E> decodes the elements of a binary array as, whose header labels them
/// `labelled`: that type, or, for the elements of an array of a domain, which array_send labels
/// with the domain, the domain's base type; 0 when codec<E> reads neither.
template <class E>
oid array_element_decoded_as(oid labelled) noexcept {
    if (codec<E>::accepts(labelled)) return labelled;
    const oid base = runtime_base_type(labelled);
    return codec<E>::accepts(base) ? base : 0;
}

/// The element type written in the header of a binary array of E: codec<E>::type_oid, or, for
/// a type whose OID is known only at run time, codec<E>::runtime_type_oid() (array_recv
/// refuses elements of another type than the array's).
template <class E>
oid array_element_type() noexcept {
    if constexpr (requires { codec<E>::runtime_type_oid(); })
        return codec<E>::runtime_type_oid();
    else
        return codec<E>::type_oid;
}

/// The character between the elements of an array of E in text: codec<E>::array_delimiter when
/// the codec has one (box: ';'), else ','.
template <class E>
constexpr char array_delimiter() noexcept {
    if constexpr (requires { codec<E>::array_delimiter; })
        return codec<E>::array_delimiter;
    else
        return ',';
}

/// Decodes the binary form of an array whose elements decode with codec<E>, calling
/// `reserve(count)` once the element count is known to fit the bytes, then
/// `push(std::optional<E>)` for each element; a NULL element is refused (unexpected_null) unless
/// `nullable`. Views (is_view_v<E>) point into `in`.
template <class E, bool nullable, class Reserve, class Push>
boost::system::error_code
decode_binary_array(std::span<const std::byte> in, oid t, std::size_t max_dims,
                    std::vector<array_dimension>& dims, Reserve reserve, Push push) {
    if (array_element_oid<E>(t) == 0) return client_errc::type_mismatch;
    protocol::detail::byte_reader r(in);
    binary_array_header h;
    if (auto ec = read_array_header(r, h)) return ec;
    // The elements are decoded as the type the value says they are, which must be one the
    // element codec reads (an int4[] column whose value claims int8 elements is refused).
    const oid element_type = array_element_decoded_as<E>(h.element_type);
    if (element_type == 0) return client_errc::type_mismatch;
    if (h.dims.size() > max_dims) return client_errc::value_out_of_range;
    dims = std::move(h.dims);
    reserve(h.count);
    for (std::size_t i = 0; i < h.count; ++i) {
        std::optional<std::span<const std::byte>> bytes;
        if (auto ec = read_array_element(r, bytes)) return ec;
        if (!bytes) {
            if (!nullable) return client_errc::unexpected_null;
            push(std::optional<E>());
            continue;
        }
        E v{};
        if (auto ec = codec<E>::decode_binary(*bytes, element_type, v)) return ec;
        push(std::optional<E>(std::move(v)));
    }
    if (!r.empty()) return client_errc::invalid_array;
    return {};
}

/// Decodes the text form of an array whose elements decode with codec<E> (see
/// decode_binary_array). View element types cannot be decoded from text (type_mismatch): the
/// elements are unescaped into temporary strings.
template <class E, bool nullable, class Push>
boost::system::error_code decode_text_array(std::string_view in, oid t, std::size_t max_dims,
                                            std::vector<array_dimension>& dims, Push push) {
    const oid element_type = array_element_oid<E>(t);
    if (element_type == 0 || is_view_v<E>) return client_errc::type_mismatch;
    text_array a;
    if (auto ec = parse_text_array(in, a, array_delimiter<E>())) return ec;
    if (a.dims.size() > max_dims) return client_errc::value_out_of_range;
    dims = std::move(a.dims);
    for (auto& s : a.elements) {
        if (!s) {
            if (!nullable) return client_errc::unexpected_null;
            push(std::optional<E>());
            continue;
        }
        E v{};
        if (auto ec = codec<E>::decode_text(*s, element_type, v)) return ec;
        push(std::optional<E>(std::move(v)));
    }
    return {};
}

/// Appends the binary form of an array of `count` elements whose shape was checked;
/// `element(i)` returns a pointer (or an optional, for std::vector<bool>'s proxies) to element i,
/// empty for NULL. On error nothing is appended.
template <class E, class Element>
boost::system::error_code encode_binary_array(write_buffer& out,
                                              std::span<const array_dimension> dims,
                                              std::size_t count, bool has_null, Element element) {
    const std::size_t start = out.size();
    write_array_header(out, dims, has_null, array_element_type<E>(), count);
    for (std::size_t i = 0; i < count; ++i) {
        const auto v = element(i);
        if (!v) {
            out.put_i32(-1);
            continue;
        }
        const std::size_t at = begin_value_length(out);
        auto ec = codec<E>::encode_binary(out, *v);
        if (!ec) ec = end_value_length(out, at);
        if (ec) {
            out.truncate(start);
            return ec;
        }
    }
    return {};
}

/// Appends the text form of an array (see encode_binary_array).
template <class E, class Element>
boost::system::error_code encode_text_array(std::string& out, std::span<const array_dimension> dims,
                                            std::size_t count, Element element) {
    std::vector<std::optional<std::string>> texts(count);
    for (std::size_t i = 0; i < count; ++i) {
        const auto v = element(i);
        if (!v) continue;
        texts[i].emplace();
        if (auto ec = codec<E>::encode_text(*texts[i], *v)) return ec;
    }
    append_text_array(out, dims, texts, array_delimiter<E>());
    return {};
}

} // namespace detail

/// `std::vector<T>` <-> a one-dimensional array of T, where `codec<T>` exists
/// (T = `std::optional<U>` for arrays with NULL elements: `codec<U>` then decodes the others).
///
/// Decoding takes any lower bound and drops it (use pgasio::protocol::array to keep it); an empty
/// array gives an empty vector; a NULL element without std::optional is unexpected_null; an array
/// of more than one dimension is value_out_of_range. Accepted: the array type of every type
/// codec<T> accepts (std::vector<std::int64_t> reads int2[], int4[], int8[]). Encoding sends an
/// array of codec<T>::type_oid with lower bound 1. View elements (std::string_view) decode from
/// binary only and point into the value bytes.
template <class T>
struct codec<std::vector<T>> {
    /// The C++ type of the elements, without std::optional.
    using element_type = typename detail::array_element<T>::value_type;
    /// True when the elements are std::optional (NULL elements allowed).
    static constexpr bool nullable = detail::array_element<T>::nullable;

    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = codec<element_type>::array_oid;
    /// PostgreSQL has no arrays of arrays (they are more dimensions of the same array).
    static constexpr oid array_oid = 0;
    /// Whether values of server type `t` decode into this type.
    static bool accepts(oid t) noexcept { return detail::array_element_oid<element_type>(t) != 0; }
    /// For elements of a type known only at run time (a registered enum or composite): the
    /// array type of their type (runtime_types.hpp), 0 when it is not known.
    static oid runtime_type_oid() noexcept requires requires {
        codec<element_type>::runtime_type_oid();
    }
    { return runtime_array_of(codec<element_type>::runtime_type_oid()); }

    /// Errors: those of the element codec; value_out_of_range (more than 2^31-1 elements).
    static boost::system::error_code encode_binary(write_buffer& out, const std::vector<T>& v) {
        if (v.size() > 0x7fffffff) return client_errc::value_out_of_range;
        bool has_null = false;
        if constexpr (nullable)
            for (const auto& e : v)
                has_null = has_null || !e;
        const array_dimension dim{static_cast<std::int32_t>(v.size()), 1};
        return detail::encode_binary_array<element_type>(
            out, std::span(&dim, v.empty() ? 0 : 1), v.size(), has_null,
            [&](std::size_t i) { return element(v[i]); });
    }
    /// Errors: invalid_array (see read_array_header), type_mismatch, unexpected_null,
    /// value_out_of_range (several dimensions), and the element codec's.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   std::vector<T>& out) {
        out.clear();
        std::vector<array_dimension> dims;
        return detail::decode_binary_array<element_type, nullable>(
            in, t, 1, dims, [&](std::size_t n) { out.reserve(n); },
            [&](std::optional<element_type>&& e) { push(out, std::move(e)); });
    }
    /// Errors: as encode_binary.
    static boost::system::error_code encode_text(std::string& out, const std::vector<T>& v) {
        if (v.size() > 0x7fffffff) return client_errc::value_out_of_range;
        const array_dimension dim{static_cast<std::int32_t>(v.size()), 1};
        return detail::encode_text_array<element_type>(
            out, std::span(&dim, v.empty() ? 0 : 1), v.size(),
            [&](std::size_t i) { return element(v[i]); });
    }
    /// Errors: invalid_text_value, invalid_array (see parse_text_array), type_mismatch (also for
    /// view elements), unexpected_null, value_out_of_range, and the element codec's.
    static boost::system::error_code decode_text(std::string_view in, oid t, std::vector<T>& out) {
        out.clear();
        std::vector<array_dimension> dims;
        return detail::decode_text_array<element_type, nullable>(
            in, t, 1, dims, [&](std::optional<element_type>&& e) { push(out, std::move(e)); });
    }

private:
    static auto element(const T& e) noexcept {
        if constexpr (nullable)
            return e ? &*e : nullptr;
        else if constexpr (std::is_same_v<T, bool>)
            return std::optional<bool>(e); // std::vector<bool> hands out temporaries
        else
            return &e;
    }
    static void push(std::vector<T>& out, std::optional<element_type>&& e) {
        if constexpr (nullable)
            out.push_back(std::move(e));
        else
            out.push_back(std::move(*e)); // decode_*_array refused NULLs already
    }
};

/// `pgasio::protocol::array<T>` <-> an array of T of any shape (see array<T>). Accepts what
/// std::vector<T> accepts. Encoding checks the shape first (invalid_array: more than 6
/// dimensions, a negative length, bounds beyond int32, or an element count that is not the
/// product of the lengths) and sends an array without elements with no dimensions.
template <class T>
struct codec<array<T>> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = codec<T>::array_oid;
    /// PostgreSQL has no arrays of arrays.
    static constexpr oid array_oid = 0;
    /// Whether values of server type `t` decode into this type.
    static bool accepts(oid t) noexcept { return detail::array_element_oid<T>(t) != 0; }
    /// As codec<std::vector<T>>::runtime_type_oid.
    static oid runtime_type_oid() noexcept requires requires { codec<T>::runtime_type_oid(); }
    { return runtime_array_of(codec<T>::runtime_type_oid()); }

    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const array<T>& v) {
        if (auto ec = detail::check_array_shape(v.dims, v.elements.size())) return ec;
        bool has_null = false;
        for (const auto& e : v.elements)
            has_null = has_null || !e;
        return detail::encode_binary_array<T>(out, v.dims, v.elements.size(), has_null,
                                              [&](std::size_t i) { return element(v, i); });
    }
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   array<T>& out) {
        out.elements.clear();
        return detail::decode_binary_array<T, true>(
            in, t, detail::max_array_dimensions, out.dims,
            [&](std::size_t n) { out.elements.reserve(n); },
            [&](std::optional<T>&& e) { out.elements.push_back(std::move(e)); });
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const array<T>& v) {
        if (auto ec = detail::check_array_shape(v.dims, v.elements.size())) return ec;
        return detail::encode_text_array<T>(out, v.dims, v.elements.size(),
                                            [&](std::size_t i) { return element(v, i); });
    }
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, array<T>& out) {
        out.elements.clear();
        return detail::decode_text_array<T, true>(
            in, t, detail::max_array_dimensions, out.dims,
            [&](std::optional<T>&& e) { out.elements.push_back(std::move(e)); });
    }

private:
    static const T* element(const array<T>& v, std::size_t i) noexcept {
        return v.elements[i] ? &*v.elements[i] : nullptr;
    }
};

} // namespace pgasio::protocol::types
