// Fuzzes the numeric and date/time decoders, binary and text. The first byte selects the decoder
// (even: binary, odd: text; see the table below), the rest is the value. Decoders must never
// crash; whatever decodes must encode again, in both formats, and decode back to an equal value.
#include <pgasio/protocol/types/date_time.hpp>
#include <pgasio/protocol/types/numeric.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace {

using namespace pgasio::protocol;
using namespace pgasio::protocol::types;

// Equality that also requires numeric's display scale to survive.
template <class T>
bool same(const T& a, const T& b) {
    return a == b;
}
template <>
bool same(const numeric& a, const numeric& b) {
    return a == b && a.to_string() == b.to_string();
}

template <class T>
void round_trip_binary(const T& v) {
    write_buffer buf;
    if (codec<T>::encode_binary(buf, v)) std::abort();
    T back{};
    if (codec<T>::decode_binary(buf.data(), codec<T>::type_oid, back)) std::abort();
    if (!same(v, back)) std::abort();
}

template <class T>
void round_trip_text(const T& v) {
    std::string text;
    if (codec<T>::encode_text(text, v)) std::abort();
    T back{};
    if (codec<T>::decode_text(text, codec<T>::type_oid, back)) std::abort();
    if (!same(v, back)) std::abort();
}

// Conversions that must agree with the value: an integral numeric converts to std::int64_t and
// back unchanged; a full-range timestamp that std::chrono holds converts there and back unchanged.
template <class T>
void check_conversions(const T&) {}
template <>
void check_conversions(const numeric& v) {
    static_cast<void>(v.to_double());
    if (auto i = v.to_int64())
        if (!(numeric::from_int64(*i) == v)) std::abort();
}
template <class Clock>
void check_conversions(const basic_timestamp<Clock>& v) {
    if (auto tp = v.to_chrono())
        if (basic_timestamp<Clock>::from_chrono(*tp) != v) std::abort();
}

template <class T>
void run(bool text, std::span<const std::byte> in) {
    T v{};
    const auto ec =
        text ? codec<T>::decode_text({reinterpret_cast<const char*>(in.data()), in.size()},
                                     codec<T>::type_oid, v)
             : codec<T>::decode_binary(in, codec<T>::type_oid, v);
    if (ec) return;
    round_trip_binary(v);
    round_trip_text(v);
    check_conversions(v);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
    const bool text = (data[0] & 1) != 0;
    switch ((data[0] >> 1) % 10) {
    case 0:
        run<numeric>(text, in);
        break;
    case 1:
        run<std::chrono::sys_days>(text, in);
        break;
    case 2:
        run<std::chrono::year_month_day>(text, in);
        break;
    case 3:
        run<std::chrono::local_time<std::chrono::microseconds>>(text, in);
        break;
    case 4:
        run<std::chrono::sys_time<std::chrono::microseconds>>(text, in);
        break;
    case 5:
        run<time_of_day>(text, in);
        break;
    case 6:
        run<time_of_day_tz>(text, in);
        break;
    case 7:
        run<interval>(text, in);
        break;
    case 8:
        run<timestamp>(text, in);
        break;
    case 9:
        run<timestamptz>(text, in);
        break;
    }
    return 0;
}
