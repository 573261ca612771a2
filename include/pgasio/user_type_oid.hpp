// The OID of a user-defined type, for codecs of your own.
#pragma once

#include <pgasio/detail/user_type_codec.hpp>

#include <pgasio/protocol/format_code.hpp>

#include <typeindex>

namespace pgasio {

/// Inside a protocol::types::codec<T> of your own for a type whose OID is not fixed (an
/// extension's type, say `citext`): the OID of the type registered for T
/// (type_registry::register_type<T>("citext")) in the registry of the connection whose value is
/// being decoded or encoded, or 0 when T was not registered or its type not loaded. Valid only
/// while a codec runs (outside, no registry is current: 0).
///
/// @code
/// template <> struct pgasio::protocol::types::codec<my_citext> {
///     static constexpr oid type_oid = 0;   // the server resolves it from the query
///     static constexpr oid array_oid = 0;
///     static bool accepts(oid t) noexcept { return t != 0 && t ==
///     pgasio::user_type_oid<my_citext>(); } static oid runtime_type_oid() noexcept { return
///     pgasio::user_type_oid<my_citext>(); }
///     // decode_binary, decode_text, encode_binary, encode_text as for any codec
/// };
/// @endcode
template <class T>
protocol::oid user_type_oid() noexcept {
    return detail::registered_oid(typeid(T));
}

} // namespace pgasio
