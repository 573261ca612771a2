// bit and bit varying: strings of bits.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pgasio::protocol {

/// A string of bits (bit(n) and bit varying): `length` bits, stored from the first bit in the
/// most significant bit of `bytes[0]`, as the server stores them; the bits of the last byte past
/// `length` are zero. Text `10110` is length 5, bytes {0b1011'0000}.
struct bit_string {
    /// The number of bits.
    std::uint32_t length = 0;
    /// The bits, eight to a byte, first bit most significant; (length + 7) / 8 bytes.
    std::vector<std::uint8_t> bytes;

    /// Bit `i` (0 is the first, the leftmost in text). `i` must be below `length`.
    bool bit(std::size_t i) const noexcept {
        return ((static_cast<unsigned>(bytes[i / 8]) >> (7 - i % 8)) & 1u) != 0;
    }
    /// Whether both hold the same bits.
    friend bool operator==(const bit_string&, const bit_string&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

/// `pgasio::protocol::bit_string` <-> bit varying, and decodes bit too. Binary is the length
/// (int4) and the bytes; text is one `0` or `1` per bit. Sent as varbit, which the server
/// assigns to bit(n) columns of the same length (`$1::bit(5)` casts).
template <>
struct codec<bit_string> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::varbit;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::varbit_array;
    /// Whether values of server type `t` decode into this type: bit and varbit.
    static constexpr bool accepts(oid t) noexcept { return t == oids::bit || t == oids::varbit; }
    /// Appends the binary form of `v`. Errors: invalid_binary_length (`bytes` is not
    /// (length + 7) / 8 long), value_out_of_range (a length above int4's range).
    static boost::system::error_code encode_binary(write_buffer& out, const bit_string& v);
    /// Decodes the binary form of a value of server type `t`. Errors: type_mismatch,
    /// invalid_binary_length (a negative length, or bytes that do not match it). The padding bits
    /// of the last byte are cleared.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   bit_string& out);
    /// Appends the text form of `v`. Errors: invalid_binary_length (see encode_binary).
    static boost::system::error_code encode_text(std::string& out, const bit_string& v);
    /// Decodes the text form of a value of server type `t`. Errors: type_mismatch,
    /// invalid_text_value (a character other than 0 and 1).
    static boost::system::error_code decode_text(std::string_view in, oid t, bit_string& out);
};

} // namespace pgasio::protocol::types
