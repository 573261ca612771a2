// The decoders of fuzz_types, named: the first byte of an input selects one (see fuzz_selector).
// Shared with the unit tests, which record their golden values as seeds.
#pragma once

#include <cstdint>

namespace pgasio::fuzz {

/// The C++ type (and server type) a fuzz_types input is decoded as.
enum class fuzz_type : std::uint8_t {
    bool_,
    int2,
    int4,
    int8,
    oid,
    float4,
    float8,
    text,
    char_,
    bytea,
    uuid,
    json,
    jsonb,
    inet,
    cidr,
    macaddr,
    macaddr8,
    int4_vector,          ///< std::vector<std::int32_t> from int4[]
    text_vector,          ///< std::vector<std::string> from text[]
    nullable_int4_vector, ///< std::vector<std::optional<std::int32_t>> from int4[]
    int4_array,           ///< array<std::int32_t> from int4[], any shape
    text_array,           ///< array<std::string> from text[], any shape
    int4range,
    int8range,
    xid,
    xid8,
    cid,
    regclass, ///< std::uint32_t from regclass (every OID alias type reads as the oid)
    money,
    varbit, ///< bit_string from varbit
    bit,    ///< bit_string from bit
    point,
    line,
    lseg,
    box,
    path,
    polygon,
    circle,
    tid,
    int2vector,
    oidvector,
    pg_snapshot,
    int4multirange,
    int8multirange,
    jsonpath,
    xml,
    tsvector,
    tsquery,
    count
};

/// The selector byte of a fuzz_types input: the type, and whether the value is in text form.
constexpr std::uint8_t fuzz_selector(fuzz_type t, bool text) noexcept {
    return static_cast<std::uint8_t>(static_cast<unsigned>(t) * 2 + (text ? 1 : 0));
}

} // namespace pgasio::fuzz
