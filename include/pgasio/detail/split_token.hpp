// Telling a trailing completion token apart from query parameters.
#pragma once

#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgasio {
class value;
namespace detail {

template <class T>
struct is_parameter_wrapper : std::false_type {};
template <class T>
struct is_parameter_wrapper<std::optional<T>> : std::true_type {};
template <class T>
struct is_parameter_wrapper<std::span<const T>> : std::true_type {};
template <class T>
struct is_parameter_wrapper<std::vector<T>> : std::true_type {};

/// True for what can be a query parameter: a type with a codec, a string literal or C string,
/// std::optional, std::nullopt, a span or vector (arrays, or a list of pgasio::value). Anything
/// else in last position is taken for a completion token.
template <class T, class D = std::remove_cvref_t<T>>
concept parameter = requires {
    sizeof(protocol::types::codec<D>);
}
|| is_parameter_wrapper<D>::value || std::is_same_v<D, std::nullopt_t> ||
    std::is_same_v<D, value> || std::is_same_v<std::decay_t<T>, const char*> ||
    std::is_same_v<std::decay_t<T>, char*>;

/// True when the last of Args is not a parameter (and so is the completion token).
template <class... Args>
constexpr bool last_is_token() {
    if constexpr (sizeof...(Args) == 0)
        return false;
    else
        return !parameter<std::tuple_element_t<sizeof...(Args) - 1, std::tuple<Args...>>>;
}

/// Calls `f(token, params...)`: the token is the last argument unless that is a parameter, in
/// which case it is a default_token and every argument is a parameter. Lets `async_query(sql,
/// 1, "x")` and `async_query(sql, 1, "x", asio::as_tuple(asio::deferred))` both work.
template <class F, class... Args>
decltype(auto) split_token(F&& f, Args&&... args) {
    if constexpr (last_is_token<Args...>()) {
        auto all = std::forward_as_tuple(std::forward<Args>(args)...);
        return [&]<std::size_t... I>(std::index_sequence<I...>)->decltype(auto) {
            return f(std::get<sizeof...(Args) - 1>(all), std::get<I>(all)...);
        }
        (std::make_index_sequence<sizeof...(Args) - 1>{});
    } else {
        default_token token;
        return f(token, std::forward<Args>(args)...);
    }
}

} // namespace detail
} // namespace pgasio
