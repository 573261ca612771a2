// A query parameter with a name, so that a log may show its value when the application opts in.
#pragma once

#include <string_view>
#include <utility>

namespace pgasio {

/// A query parameter with a name: sent exactly as `value` alone would be, it also reaches the
/// observers (operation_info::parameters) under `name`, with the text form of its value, so that
/// a logging_observer can write it when the application opted in for that name
/// (logging_options::logged_parameters). A parameter without a name never reaches an observer,
/// and no observer of pgasio's shows a named one it was not asked to.
///
/// `name` is a view: it must outlive the start of the operation (a string literal does). The
/// value is held by copy, as any parameter of a deferred operation is.
///
/// @code
/// pgasio::logging_options options;
/// options.logged_parameters = {"user_id"};
/// // ... the connection's config::observer is a logging_observer with these options
/// co_await conn.async_query("UPDATE users SET password_hash = $2 WHERE id = $1",
///                           pgasio::named("user_id", id), hash); // the log shows user_id only
/// @endcode
template <class T>
struct named_param {
    std::string_view name; ///< the name observers see it under
    T value;               ///< what is sent
};

/// `value` as a parameter named `name` (see named_param). String literals are kept as
/// `const char*`, views as views: a view must outlive the operation's start.
template <class T>
named_param<std::decay_t<T>> named(std::string_view name, T&& value) {
    return {name, std::forward<T>(value)};
}

} // namespace pgasio
