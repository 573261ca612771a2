// The int32 length in front of a value nested in another (array elements, range bounds).
#pragma once

#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <cstddef>
#include <cstdint>

namespace pgasio::protocol::types::detail {

/// Appends a 4-byte length placeholder for a value about to be encoded, for end_value_length.
inline std::size_t begin_value_length(write_buffer& out) {
    return out.begin_length();
}

/// Writes the length of the value encoded since begin_value_length (the placeholder not counted,
/// unlike message lengths). Errors: value_out_of_range (a value of 2 GiB or more).
inline boost::system::error_code end_value_length(write_buffer& out, std::size_t at) noexcept {
    const std::size_t n = out.size() - at - 4;
    if (n > 0x7fffffff) return client_errc::value_out_of_range;
    out.patch_i32(at, static_cast<std::int32_t>(n));
    return {};
}

} // namespace pgasio::protocol::types::detail
