// Telling a trailing completion token apart from query parameters.
#pragma once

#include <pgasio/named_param.hpp>
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
template <class T>
struct is_parameter_wrapper<named_param<T>> : std::true_type {};

/// True for what can be a query parameter: a type with a codec, a string literal or C string,
/// std::optional, std::nullopt, a span or vector (arrays, or a list of pgasio::value), a
/// pgasio::named parameter. Anything else in last position is taken for a completion token, and
/// must look like one.
template <class T, class D = std::remove_cvref_t<T>>
concept parameter = requires {
    sizeof(protocol::types::codec<D>);
}
|| is_parameter_wrapper<D>::value || std::is_same_v<D, std::nullopt_t> ||
    std::is_same_v<D, value> || std::is_same_v<std::decay_t<T>, const char*> ||
    std::is_same_v<std::decay_t<T>, char*>;

/// Something that can be a completion token: a function or function pointer, a class with a call
/// operator (a handler), or a class that Asio's async_result is specialised for (deferred,
/// use_awaitable, as_tuple, yield_context, pgasio's own adapters...). async_result's primary
/// template derives from completion_handler_async_result, which treats the token as a handler;
/// that is the one place this relies on Asio's detail namespace. A final class is given the
/// benefit of the doubt (its call operator cannot be probed).
struct call_operator_probe {
    void operator()();
};
template <class T>
struct call_operator_probe_of : T, call_operator_probe {};
template <class T>
concept has_call_operator = !requires {
    &call_operator_probe_of<T>::operator();
};
template <class T>
concept has_async_result =
    !std::is_base_of_v<boost::asio::detail::completion_handler_async_result<T, void()>,
                       boost::asio::async_result<T, void()>>;
template <class T, class D = std::remove_cvref_t<T>>
concept completion_token_like = std::is_function_v<std::remove_pointer_t<D>> ||
    (std::is_class_v<D> && (std::is_final_v<D> || has_call_operator<D> || has_async_result<D>));

/// Instantiated for a last argument that is neither a parameter nor a completion token, so that
/// the compiler reports one error that names its type, instead of failing deep inside Asio.
template <class T>
struct neither_parameter_nor_token {
    static_assert(!std::is_same_v<T, T>,
                  "pgasio: the last argument is neither a query parameter (T has no "
                  "protocol::types::codec<T>: see pgasio/protocol/types/types.hpp for the "
                  "supported types, or specialise codec<T>) nor a completion token; the "
                  "compiler names T below");
    static void report() {}
};

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
        using token_type = std::tuple_element_t<sizeof...(Args) - 1, std::tuple<Args...>>;
        if constexpr (!completion_token_like<token_type>) {
            neither_parameter_nor_token<std::remove_cvref_t<token_type>>::report();
        } else {
            auto all = std::forward_as_tuple(std::forward<Args>(args)...);
            return [&]<std::size_t... I>(std::index_sequence<I...>)->decltype(auto) {
                return f(std::get<sizeof...(Args) - 1>(all), std::get<I>(all)...);
            }
            (std::make_index_sequence<sizeof...(Args) - 1>{});
        }
    } else {
        default_token token;
        return f(token, std::forward<Args>(args)...);
    }
}

} // namespace detail
} // namespace pgasio
