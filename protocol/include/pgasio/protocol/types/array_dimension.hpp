// One dimension of an array value.
#pragma once

#include <cstdint>

namespace pgasio::protocol {

/// One dimension of an array: its number of elements and the index of its first element.
/// PostgreSQL arrays start at 1 unless written otherwise ("[0:2]={a,b,c}").
struct array_dimension {
    /// The number of elements along this dimension.
    std::int32_t length = 0;
    /// The index of its first element.
    std::int32_t lower_bound = 1;
    /// Whether both designate the same element.
    friend bool operator==(const array_dimension&, const array_dimension&) = default;
};

} // namespace pgasio::protocol
