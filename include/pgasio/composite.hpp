// PostgreSQL composite types as C++ structs (by attribute name, Boost.Describe), tuples and
// aggregates (by position).
#pragma once

#include <pgasio/detail/cpp_type_name.hpp>
#include <pgasio/detail/user_type_codec.hpp>
#include <pgasio/type_registry.hpp>

#include <pgasio/protocol/types/array.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/detail/value_length.hpp>
#include <pgasio/protocol/types/view_traits.hpp>

#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeindex>
#include <utility>
#include <vector>

namespace pgasio {

/// Set to true for a C++ type that stands for a PostgreSQL composite type (a row value):
///
/// - a struct described with BOOST_DESCRIBE_STRUCT: each public member is the attribute of its
///   name (the order does not matter; every attribute must have a member and every member an
///   attribute);
/// - a `std::tuple`, or another aggregate (through Boost.PFR): the attributes by position.
///
/// Opting in keeps such types what they are elsewhere (a described struct or a tuple is a whole
/// row for async_query_as; once a composite, it is the value of one column).
///
/// Members are any type with a codec, std::optional for NULL attributes, other composites
/// (nested), std::vector of either (arrays of composites). The composite type must be loaded
/// (connection::async_load_types) to be read; anonymous records (`ROW(1, 'a')`) read into tuples
/// and aggregates. Parameters need the type's layout: register the C++ type with its composite
/// type (type_registry::register_type) and load it; tuples and aggregates not registered are
/// sent with their members' own types, which must then be the attributes' types exactly.
///
/// @code
/// struct address { std::string street; std::optional<std::int32_t> zip; };
/// BOOST_DESCRIBE_STRUCT(address, (), (street, zip))
/// template <> inline constexpr bool pgasio::is_composite_v<address> = true;
///
/// conn.types()->register_type<address>("address");
/// co_await conn.async_load_types();
/// auto rows = co_await conn.async_query("SELECT $1::address", address{"Main St", 1});
/// address a = rows[0].get<address>(0);
/// @endcode
template <class T>
inline constexpr bool is_composite_v = false;

namespace detail {

/// A type made a composite with is_composite_v.
template <class T>
concept composite_type = is_composite_v<T>;

template <class T>
struct is_std_tuple : std::false_type {};
template <class... Ts>
struct is_std_tuple<std::tuple<Ts...>> : std::true_type {};

/// How a composite's members meet the attributes: by name (described) or by position.
template <class T>
inline constexpr bool by_name_v = boost::describe::has_describe_members<T>::value;

template <class T>
using composite_members = boost::describe::describe_members<T, boost::describe::mod_public |
                                                                   boost::describe::mod_inherited>;

/// The number of members of composite T.
template <class T>
constexpr std::size_t member_count() noexcept {
    if constexpr (by_name_v<T>)
        return boost::mp11::mp_size<composite_members<T>>::value;
    else if constexpr (is_std_tuple<T>::value)
        return std::tuple_size_v<T>;
    else
        return boost::pfr::tuple_size_v<T>;
}

/// Calls f(index, name, member) for each member of `v` (name: null for positional types).
template <class T, class F>
void for_each_member(T& v, F&& f) {
    using U = std::remove_const_t<T>;
    if constexpr (by_name_v<U>) {
        std::size_t i = 0;
        boost::mp11::mp_for_each<composite_members<U>>(
            [&](auto d) { f(i++, static_cast<const char*>(d.name), v.*d.pointer); });
    } else if constexpr (is_std_tuple<U>::value) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (f(I, static_cast<const char*>(nullptr), std::get<I>(v)), ...);
        }
        (std::make_index_sequence<std::tuple_size_v<U>>());
    } else {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (f(I, static_cast<const char*>(nullptr), boost::pfr::get<I>(v)), ...);
        }
        (std::make_index_sequence<boost::pfr::tuple_size_v<U>>());
    }
}

template <class F>
struct attribute_value {
    using type = F;
    static constexpr bool nullable = false;
};
template <class F>
struct attribute_value<std::optional<F>> {
    using type = F;
    static constexpr bool nullable = true;
};

/// Decodes the binary attribute value `raw` of type `t` into `out` (std::optional for NULL).
template <class F>
boost::system::error_code
decode_attribute(protocol::oid t, const std::optional<std::span<const std::byte>>& raw, F& out) {
    using V = typename attribute_value<F>::type;
    using codec = protocol::types::codec<V>;
    if (!raw) {
        if constexpr (attribute_value<F>::nullable) {
            out.reset();
            return {};
        } else {
            return protocol::client_errc::unexpected_null;
        }
    }
    // A domain's values are its base type's (record_send labels them with the domain).
    t = resolve_domain(t);
    if (!codec::accepts(t)) return protocol::client_errc::type_mismatch;
    if constexpr (attribute_value<F>::nullable) {
        V v{};
        if (auto ec = codec::decode_binary(*raw, t, v)) return ec;
        out = std::move(v);
        return {};
    } else {
        return codec::decode_binary(*raw, t, out);
    }
}

/// Decodes the text attribute value `text` (nullopt for NULL), of type `t` (0: its codec's own),
/// into `out`.
template <class F>
boost::system::error_code decode_attribute_text(protocol::oid t,
                                                const std::optional<std::string>& text, F& out) {
    using V = typename attribute_value<F>::type;
    using codec = protocol::types::codec<V>;
    if (!text) {
        if constexpr (attribute_value<F>::nullable) {
            out.reset();
            return {};
        } else {
            return protocol::client_errc::unexpected_null;
        }
    }
    // Views cannot point into the unquoted temporaries.
    if constexpr (protocol::types::is_view_v<V>) {
        return protocol::client_errc::type_mismatch;
    } else {
        t = t != 0 ? resolve_domain(t) : protocol::types::detail::array_element_type<V>();
        if (t == 0) return protocol::client_errc::unknown_type;
        if (!codec::accepts(t)) return protocol::client_errc::type_mismatch;
        if constexpr (attribute_value<F>::nullable) {
            V v{};
            if (auto ec = codec::decode_text(*text, t, v)) return ec;
            out = std::move(v);
            return {};
        } else {
            return codec::decode_text(*text, t, out);
        }
    }
}

/// Matches the members of composite T to `count` attributes of `layout` (null: an anonymous or
/// unknown record, by position only), calling `one(attribute index, member)` for each member
/// until one fails.
template <class T, class One>
boost::system::error_code match_members(T& v, protocol::oid t, std::size_t count,
                                        const user_type* layout, One&& one) {
    using U = std::remove_const_t<T>;
    constexpr std::size_t n = member_count<U>();
    if (count != n) return field_count_mismatch(t, count, n, cpp_type_name<U>());
    boost::system::error_code ec;
    for_each_member(v, [&](std::size_t i, const char* name, auto& member) {
        if (ec) return;
        std::size_t at = i;
        if constexpr (by_name_v<U>) {
            at = attribute_index(*layout, name, cpp_type_name<U>());
            if (at == static_cast<std::size_t>(-1)) {
                ec = protocol::client_errc::type_mismatch;
                return;
            }
        }
        ec = one(at, member);
    });
    return ec;
}

} // namespace detail

} // namespace pgasio

namespace pgasio::protocol::types {

/// The codec of a composite type (pgasio::is_composite_v): record_send / record_recv in binary,
/// `(a,"b c",)` in text. Errors: the attribute's codec's, type_mismatch for a member whose type
/// does not read its attribute (or an attribute count that differs from the member count),
/// unknown_type for a type not loaded, type_changed for a value that no longer has the loaded
/// layout (the detail names the type; load it again).
template <class T>
requires pgasio::detail::composite_type<T>
struct codec<T> {
    /// Known only at run time: a parameter is sent as runtime_type_oid() once its type is
    /// loaded, else as 0, which the server resolves from the query.
    static constexpr oid type_oid = 0;
    /// Known only at run time (element_of_array).
    static constexpr oid array_oid = 0;
    /// A loaded composite type (the one registered for T, when T was registered); an anonymous
    /// record (`record`) for types matched by position.
    static bool accepts(oid t) noexcept {
        return pgasio::detail::accepts_composite(t, typeid(T), !pgasio::detail::by_name_v<T>);
    }
    /// The OID of the type registered for T, or 0.
    static oid runtime_type_oid() noexcept { return pgasio::detail::registered_oid(typeid(T)); }
    /// The element type of the loaded array type `t`, or 0.
    static oid element_of_array(oid t) noexcept { return pgasio::detail::loaded_element_of(t); }

    /// Decodes record_send's form: the members take the fields (by name or by position).
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t, T& out) {
        std::vector<pgasio::detail::record_field> fields;
        if (auto ec = pgasio::detail::read_record(in, fields)) return ec;
        boost::system::error_code ec;
        const auto layout = pgasio::detail::record_layout(t, fields.size(), fields, ec);
        if (ec) return ec;
        if constexpr (pgasio::detail::by_name_v<T>)
            if (!layout) return client_errc::unknown_type;
        return pgasio::detail::match_members(out, t, fields.size(), layout.get(),
                                             [&](std::size_t i, auto& member) {
                                                 return pgasio::detail::decode_attribute(
                                                     fields[i].type_oid, fields[i].value, member);
                                             });
    }
    /// Decodes record_out's form: the attribute types come from the loaded layout (an anonymous
    /// record's from the members' codecs).
    static boost::system::error_code decode_text(std::string_view in, oid t, T& out) {
        std::vector<std::optional<std::string>> fields;
        if (auto ec = pgasio::detail::read_record_text(in, fields)) return ec;
        boost::system::error_code ec;
        const auto layout = pgasio::detail::record_layout(t, fields.size(), {}, ec);
        if (ec) return ec;
        if constexpr (pgasio::detail::by_name_v<T>)
            if (!layout) return client_errc::unknown_type;
        return pgasio::detail::match_members(
            out, t, fields.size(), layout.get(), [&](std::size_t i, auto& member) {
                const oid attr = layout ? layout->attributes[i].type_oid : 0;
                return pgasio::detail::decode_attribute_text(attr, fields[i], member);
            });
    }

    /// Appends record_recv's form for the composite type `target` (0: T's registered type, or
    /// the members' own types for a positional type that is not registered).
    static boost::system::error_code encode_record(write_buffer& out, const T& v, oid target) {
        std::shared_ptr<const pgasio::user_type> layout;
        if (target != 0) layout = pgasio::detail::loaded_type(target);
        if constexpr (pgasio::detail::by_name_v<T>)
            if (!layout)
                return pgasio::detail::composite_not_registered(pgasio::detail::cpp_type_name<T>());
        constexpr std::size_t n = pgasio::detail::member_count<T>();
        const std::size_t count = layout ? layout->attributes.size() : n;
        const std::size_t start = out.size();
        out.put_i32(static_cast<std::int32_t>(n));
        // The fields go in attribute order: matched members are written into their slots.
        std::vector<std::pair<std::size_t, std::size_t>> spans(n); // attribute -> bytes
        write_buffer scratch;
        auto ec = pgasio::detail::match_members(
            v, target, count, layout.get(), [&](std::size_t i, const auto& member) {
                using F = std::remove_cvref_t<decltype(member)>;
                using V = typename pgasio::detail::attribute_value<F>::type;
                const oid own = detail::array_element_type<V>();
                oid label = own;
                if (layout)
                    label = pgasio::detail::attribute_oid(
                        *layout, i, own,
                        codec<V>::accepts(
                            pgasio::detail::resolve_domain(layout->attributes[i].type_oid)));
                if (label == 0) return make_error_code(client_errc::type_mismatch);
                const std::size_t begin = scratch.size();
                scratch.put_u32(label);
                boost::system::error_code e;
                const V* value = nullptr;
                if constexpr (pgasio::detail::attribute_value<F>::nullable)
                    value = member ? &*member : nullptr;
                else
                    value = &member;
                if (!value) {
                    scratch.put_i32(-1);
                } else {
                    const std::size_t at = detail::begin_value_length(scratch);
                    if constexpr (pgasio::detail::composite_type<V>)
                        e = codec<V>::encode_record(scratch, *value, label);
                    else
                        e = codec<V>::encode_binary(scratch, *value);
                    if (!e) e = detail::end_value_length(scratch, at);
                }
                spans[i] = {begin, scratch.size()};
                return e;
            });
        if (ec) {
            out.truncate(start);
            return ec;
        }
        const auto bytes = scratch.data();
        for (const auto& [b, e] : spans)
            out.put_bytes(bytes.subspan(b, e - b));
        return {};
    }
    /// Appends record_recv's form (see encode_record).
    static boost::system::error_code encode_binary(write_buffer& out, const T& v) {
        return encode_record(out, v, runtime_type_oid());
    }
    /// Appends record_out's form: the members in attribute order, as encode_binary places them
    /// (a described struct's members may be declared in another order than the attributes).
    static boost::system::error_code encode_text(std::string& out, const T& v) {
        const oid target = runtime_type_oid();
        std::shared_ptr<const pgasio::user_type> layout;
        if (target != 0) layout = pgasio::detail::loaded_type(target);
        if constexpr (pgasio::detail::by_name_v<T>)
            if (!layout)
                return pgasio::detail::composite_not_registered(pgasio::detail::cpp_type_name<T>());
        const std::size_t count =
            layout ? layout->attributes.size() : pgasio::detail::member_count<T>();
        std::vector<std::optional<std::string>> fields(count);
        auto ec = pgasio::detail::match_members(
            v, target, count, layout.get(),
            [&](std::size_t i, const auto& member) -> boost::system::error_code {
                using F = std::remove_cvref_t<decltype(member)>;
                using V = typename pgasio::detail::attribute_value<F>::type;
                const V* value = nullptr;
                if constexpr (pgasio::detail::attribute_value<F>::nullable)
                    value = member ? &*member : nullptr;
                else
                    value = &member;
                if (!value) return {};
                fields[i].emplace();
                return codec<V>::encode_text(*fields[i], *value);
            });
        if (ec) return ec;
        pgasio::detail::append_record_text(out, fields);
        return {};
    }
};

} // namespace pgasio::protocol::types
