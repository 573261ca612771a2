// Binary and text forms of bit and bit varying.
#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/types/bit_string.hpp>

#include <climits>

namespace pgasio::protocol::types {
namespace {

std::size_t bytes_for(std::uint64_t bits) noexcept {
    return static_cast<std::size_t>((bits + 7) / 8);
}

// Clears the bits of the last byte past `length` (they are not part of the value).
void clear_padding(bit_string& v) noexcept {
    if (v.length % 8 != 0 && !v.bytes.empty())
        v.bytes.back() &= static_cast<std::uint8_t>(0xFFu << (8 - v.length % 8));
}

} // namespace

boost::system::error_code codec<bit_string>::encode_binary(write_buffer& out, const bit_string& v) {
    if (v.bytes.size() != bytes_for(v.length)) return client_errc::invalid_binary_length;
    if (v.length > static_cast<std::uint32_t>(INT32_MAX)) return client_errc::value_out_of_range;
    out.put_i32(static_cast<std::int32_t>(v.length));
    for (std::size_t i = 0; i < v.bytes.size(); ++i) {
        std::uint8_t b = v.bytes[i];
        // The server requires the padding bits to be zero.
        if (i + 1 == v.bytes.size() && v.length % 8 != 0)
            b &= static_cast<std::uint8_t>(0xFFu << (8 - v.length % 8));
        out.put_u8(b);
    }
    return {};
}

boost::system::error_code codec<bit_string>::decode_binary(std::span<const std::byte> in, oid t,
                                                           bit_string& out) {
    if (!accepts(t)) return client_errc::type_mismatch;
    if (in.size() < 4) return client_errc::invalid_binary_length;
    protocol::detail::byte_reader r(in);
    const std::int32_t length = r.i32();
    if (length < 0 || in.size() - 4 != bytes_for(static_cast<std::uint64_t>(length)))
        return client_errc::invalid_binary_length;
    out.length = static_cast<std::uint32_t>(length);
    out.bytes.resize(in.size() - 4);
    for (std::size_t i = 0; i < out.bytes.size(); ++i)
        out.bytes[i] = static_cast<std::uint8_t>(in[4 + i]);
    clear_padding(out);
    return {};
}

boost::system::error_code codec<bit_string>::encode_text(std::string& out, const bit_string& v) {
    if (v.bytes.size() != bytes_for(v.length)) return client_errc::invalid_binary_length;
    for (std::size_t i = 0; i < v.length; ++i)
        out += v.bit(i) ? '1' : '0';
    return {};
}

boost::system::error_code codec<bit_string>::decode_text(std::string_view in, oid t,
                                                         bit_string& out) {
    if (!accepts(t)) return client_errc::type_mismatch;
    if (in.size() > static_cast<std::size_t>(INT32_MAX)) return client_errc::value_out_of_range;
    out.length = static_cast<std::uint32_t>(in.size());
    out.bytes.assign(bytes_for(in.size()), 0);
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '1')
            out.bytes[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8));
        else if (in[i] != '0')
            return client_errc::invalid_text_value;
    }
    return {};
}

} // namespace pgasio::protocol::types
