// Integers in network byte order (PostgreSQL's wire order), loaded from and stored to raw bytes.
#pragma once

#include <boost/endian/conversion.hpp>

#include <cstddef>
#include <cstring>
#include <type_traits>

namespace pgasio::protocol::detail {

/// The unsigned integer `U` stored big-endian at `p` (unaligned). The caller has checked that
/// `sizeof(U)` bytes are there. One load and a byte swap: every decoder's hot path goes through
/// here, so this is not a loop over the bytes.
template <class U>
U load_big(const std::byte* p) noexcept {
    static_assert(std::is_unsigned_v<U>);
    U v;
    std::memcpy(&v, p, sizeof v);
    return boost::endian::big_to_native(v);
}

/// Stores the unsigned integer `v` big-endian at `p` (unaligned), which has room for it.
template <class U>
void store_big(std::byte* p, U v) noexcept {
    static_assert(std::is_unsigned_v<U>);
    v = boost::endian::native_to_big(v);
    std::memcpy(p, &v, sizeof v);
}

} // namespace pgasio::protocol::detail
