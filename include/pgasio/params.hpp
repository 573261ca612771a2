// Query parameters: C++ values encoded in binary into a Bind message.
#pragma once

#include <pgasio/detail/param_traits.hpp>
#include <pgasio/value.hpp>

#include <pgasio/protocol/frontend.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

// clang-format off
/// Parameters are typed C++ values, sent in binary with the type OID of their codec:
///
/// | C++ parameter                          | sent as                                        |
/// |----------------------------------------|------------------------------------------------|
/// | T with a protocol::types::codec<T>     | codec<T>::type_oid, codec<T>::encode_binary    |
/// | const char*, char arrays (literals)    | text (a null pointer is NULL)                  |
/// | std::optional<T>                       | NULL or T, typed as T                          |
/// | std::nullopt                           | NULL of type 0 (the server infers the type)    |
/// | std::vector<T>, std::span<const T>     | a one-dimensional array of T (std::optional<T> elements for NULLs) |
/// | std::span<const std::byte>             | bytea                                          |
/// | pgasio::value                          | its alternative's type, chosen at run time     |
/// | pgasio::named(name, v)                 | as v; observers see its name and text          |
///
/// A type without a codec fails to compile with a static_assert that names it.
///
/// Dynamic parameter lists: ONE argument of type std::vector<pgasio::value> or
/// std::span<const pgasio::value> means "these are the parameters" (not one array parameter):
/// `write_params(bind, values)` writes values.size() parameters.
// clang-format on
namespace pgasio::detail {

/// True when the pack is a single std::vector<value> / std::span<const value>: a dynamic list.
template <class... Params>
inline constexpr bool is_value_list_v = false;
template <class P>
inline constexpr bool is_value_list_v<P> =
    std::is_same_v<std::decay_t<P>, std::vector<value>> ||
    std::is_same_v<std::decay_t<P>, std::span<const value>> ||
    std::is_same_v<std::decay_t<P>, std::span<value>>;

/// True when every parameter's type OID is known at compile time (no pgasio::value, no dynamic
/// list), so param_types<Params...>() can be used.
template <class... Params>
inline constexpr bool has_static_param_types_v = [] {
    // A dynamic list has no param_traits: do not instantiate them.
    if constexpr (is_value_list_v<Params...>)
        return false;
    else
        return (param_traits_of<Params>::static_type && ...);
}();

/// The parameter types of a Parse for parameters of these C++ types. Only for types known at
/// compile time (see has_static_param_types_v; otherwise use param_types_of(params...)).
///
/// @code
/// auto oids = param_types<std::int32_t, const char*, std::optional<double>>();  // {23, 25, 701}
/// @endcode
template <class... Params>
constexpr std::array<protocol::oid, sizeof...(Params)> param_types() {
    static_assert(has_static_param_types_v<Params...>,
                  "pgasio: pgasio::value parameters have their type chosen at run time: use "
                  "param_types_of(params...)");
    return {param_traits_of<Params>::type_oid...};
}

/// The parameter types of a dynamic parameter list: each value's type_oid() (0 for NULL).
inline std::vector<protocol::oid> param_types(std::span<const value> params) {
    std::vector<protocol::oid> oids;
    oids.reserve(params.size());
    for (const value& v : params)
        oids.push_back(v.type_oid());
    return oids;
}

/// The parameter types of these parameters, for any parameter types: std::array for a fixed
/// list, std::vector<oid> for a dynamic list (one std::vector<value> / std::span<const value>).
template <class... Params>
auto param_types_of(const Params&... params) {
    if constexpr (is_value_list_v<Params...>)
        return param_types(std::span<const value>(params...));
    else
        return std::array<protocol::oid, sizeof...(Params)>{
            param_traits_of<Params>::oid_of(params)...};
}

/// The number of parameters these arguments make (values.size() for a dynamic list).
template <class... Params>
std::size_t param_count(const Params&... params) noexcept {
    if constexpr (is_value_list_v<Params...>)
        return std::span<const value>(params...).size();
    else
        return sizeof...(Params);
}

/// True when one of the parameters is a pgasio::named one.
template <class... Params>
inline constexpr bool has_named_params_v = (is_named_param_v<std::decay_t<Params>> || ...);

/// A named parameter as an observer gets it: its name, and the text form of its value (none
/// for NULL).
struct named_value {
    std::string_view name;
    std::optional<std::string> text;
};

/// Appends the named parameters among `params` to `out`, in order.
template <class... Params>
void named_values(std::vector<named_value>& out, const Params&... params) {
    if constexpr (has_named_params_v<Params...>) {
        auto one = [&]<class P>(const P& p) {
            if constexpr (is_named_param_v<P>) {
                named_value& v = out.emplace_back();
                v.name = p.name;
                std::string text;
                if (param_traits<P>::text(p, text)) v.text = std::move(text);
            }
        };
        (one(params), ...);
    }
}

/// Writes a dynamic parameter list: every value in binary (in text for a value holding
/// other_type_text), NULLs as NULL.
inline void write_params(protocol::field_writer& out, std::span<const value> params) {
    for (const value& v : params)
        param_traits<value>::write(out, v);
}

/// Writes each parameter in binary into `out`: a Bind (whose parameter formats must say binary;
/// a pgasio::value holding other_type_text goes in text, and the Bind then lists each
/// parameter's format) or a binary COPY row. A single std::vector<value> / std::span<const value>
/// is a dynamic list (see above). Encoding errors are kept by the writer and returned by its
/// finish().
template <class... Params>
void write_params(protocol::field_writer& out, const Params&... params) {
    if constexpr (is_value_list_v<Params...>)
        write_params(out, std::span<const value>(params...));
    else
        (param_traits_of<Params>::write(out, params), ...);
}

} // namespace pgasio::detail
