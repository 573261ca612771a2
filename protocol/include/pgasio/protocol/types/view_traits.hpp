// Which codecs decode into views of the value bytes.
#pragma once

#include <type_traits>

namespace pgasio::protocol::types {

/// True when `codec<T>` decodes into a view of its input (`std::string_view`,
/// `std::span<const std::byte>`) rather than into an owning value. Containers whose text form must
/// be unescaped first (arrays) cannot hand out such views: their text decoders refuse these element
/// types with type_mismatch, and their binary decoders produce views into the container's own
/// bytes. Specialise it for a user codec that decodes into a view.
template <class T>
struct is_view : std::false_type {};

/// Shorthand for is_view<T>::value.
template <class T>
inline constexpr bool is_view_v = is_view<T>::value;

} // namespace pgasio::protocol::types
