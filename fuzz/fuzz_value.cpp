// Fuzzes pgasio::value's decoder, which dispatches over type OIDs: the first byte says binary
// (even) or text (odd), the next two are the type OID (big-endian: every built-in type's OID is
// below 65536), the rest is the value. Decoding must never crash; a value that decodes must
// re-encode, and decoding that again must give the same value (compared through the text form,
// in which NaN equals NaN).
#include <pgasio/value.hpp>

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace {

using pgasio::value;
using pgasio::protocol::client_errc;
using codec = pgasio::protocol::types::codec<value>;

std::string text_of(const value& v) {
    std::string out;
    if (v.encode_text(out)) std::abort(); // whatever decoded has a text form
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const bool text = (data[0] & 1) != 0;
    const auto type = static_cast<pgasio::protocol::oid>(data[1] << 8 | data[2]);
    const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data) + 3, size - 3);
    value v;
    if (text) {
        const std::string_view s(reinterpret_cast<const char*>(in.data()), in.size());
        if (codec::decode_text(s, type, v)) return 0;
        std::string out;
        if (auto ec = v.encode_text(out)) {
            // A decoded string may hold a NUL byte, which cannot be sent back.
            if (ec != client_errc::embedded_nul) std::abort();
            return 0;
        }
        value again;
        if (codec::decode_text(out, v.type_oid(), again) || text_of(again) != out) std::abort();
    } else {
        if (codec::decode_binary(in, type, v)) return 0;
        pgasio::protocol::write_buffer out;
        if (auto ec = v.encode_binary(out)) {
            // A string with a NUL byte; an empty int2vector, oidvector or tsquery, which the
            // server sends but cannot receive (also as array elements).
            if (ec != client_errc::embedded_nul && ec != client_errc::value_out_of_range)
                std::abort();
            return 0;
        }
        value again;
        if (codec::decode_binary(out.data(), v.type_oid(), again)) std::abort();
        if (again.type_oid() != v.type_oid()) std::abort();
        std::string a;
        std::string b;
        const auto ea = v.encode_text(a);
        const auto eb = again.encode_text(b);
        if (ea != eb || a != b) std::abort();
    }
    return 0;
}
