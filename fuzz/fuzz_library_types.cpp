// Fuzzes the decoders of the types the library defines outside the sans-io codec: pg_lsn
// (pgasio::wal_lsn) and json/jsonb into boost::json::value. The first byte selects the decoder
// (bit 0: text, bits 1-2: the type, see the switch below), the rest is the value. Decoding must
// never crash; a value that decodes must re-encode, in both formats, and decode back (to an equal
// value, but for JSON's numbers: see exact_v).
#include <pgasio/json.hpp>
#include <pgasio/wal_lsn.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace {

using namespace pgasio::protocol;
using namespace pgasio::protocol::types;

// Whether a value read back must equal the one written. Not for JSON: Boost.JSON 1.81 neither
// writes nor reads every double exactly (its number parsing is not correctly rounded), so a
// number may move by its last digits; a document must still be written and read back.
template <class T>
constexpr bool exact_v = !std::is_same_v<T, boost::json::value>;

// Encodes `v` as its codec's own type (a boost::json::value is sent as jsonb, whatever it was
// read from) and decodes it back as that type.
template <class T>
void round_trip(const T& v) {
    constexpr oid t = codec<T>::type_oid;
    write_buffer buf;
    if (codec<T>::encode_binary(buf, v)) std::abort();
    T back{};
    if (codec<T>::decode_binary(buf.data(), t, back)) std::abort();
    if (exact_v<T> && !(back == v)) std::abort();
    std::string text;
    if (codec<T>::encode_text(text, v)) std::abort();
    back = T{};
    if (codec<T>::decode_text(text, t, back)) std::abort();
    if (exact_v<T> && !(back == v)) std::abort();
}

template <class T>
void run(bool text, oid t, std::span<const std::byte> in) {
    T v{};
    const auto ec =
        text ? codec<T>::decode_text({reinterpret_cast<const char*>(in.data()), in.size()}, t, v)
             : codec<T>::decode_binary(in, t, v);
    if (!ec) round_trip(v);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
    const bool text = (data[0] & 1) != 0;
    switch ((data[0] >> 1) % 3) {
    case 0:
        run<pgasio::wal_lsn>(text, oids::pg_lsn, in);
        break;
    case 1:
        run<boost::json::value>(text, oids::json, in);
        break;
    case 2:
        run<boost::json::value>(text, oids::jsonb, in);
        break;
    }
    return 0;
}
