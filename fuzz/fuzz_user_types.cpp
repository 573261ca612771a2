// Fuzzes the decoders of user-defined types: enums, composites (records, binary and text) and
// hstore. The first byte selects the decoder (see the table below), the rest is the value.
// Decoders must never crash; whatever decodes must encode again and decode back to an equal
// value.
#include <pgasio/composite.hpp>
#include <pgasio/described_enum.hpp>
#include <pgasio/detail/current_types.hpp>
#include <pgasio/hstore.hpp>
#include <pgasio/type_registry.hpp>

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/integral.hpp>
#include <pgasio/protocol/types/string.hpp>

#include <boost/describe/class.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>

namespace {

using namespace pgasio::protocol;
using namespace pgasio::protocol::types;
namespace oids = pgasio::protocol::oids;

enum class fuzz_mood { sad, happy };
BOOST_DESCRIBE_ENUM(fuzz_mood, sad, happy)

struct fuzz_point {
    std::int32_t x = 0;
    std::optional<std::string> label;
    friend bool operator==(const fuzz_point&, const fuzz_point&) = default;
};
BOOST_DESCRIBE_STRUCT(fuzz_point, (), (x, label))

using fuzz_row = std::tuple<std::int32_t, std::optional<std::string>>;

constexpr oid mood_oid = 16400;
constexpr oid point_oid = 16410;
constexpr oid hstore_oid = 16420;

// The types as a database would describe them; fuzz_point's attributes in another order than
// its members.
const pgasio::type_registry& registry() {
    static const auto r = [] {
        auto types = std::make_unique<pgasio::type_registry>();
        pgasio::user_type mood;
        mood.schema = "public";
        mood.oid = mood_oid;
        mood.name = "fuzz_mood";
        mood.kind = pgasio::user_type_kind::enumeration;
        types->add(mood);
        pgasio::user_type point;
        point.schema = "public";
        point.oid = point_oid;
        point.name = "fuzz_point";
        point.kind = pgasio::user_type_kind::composite;
        point.attributes = {{"label", oids::text}, {"x", oids::int4}};
        types->add(point);
        types->register_type<fuzz_point>("public.fuzz_point");
        pgasio::user_type hs;
        hs.schema = "public";
        hs.oid = hstore_oid;
        hs.name = "hstore";
        hs.kind = pgasio::user_type_kind::base;
        types->add(hs, std::vector<std::string>{"hstore"});
        return types;
    }();
    return *r;
}

template <class T>
void round_trip(const T& v, oid t) {
    write_buffer buf;
    if (auto ec = codec<T>::encode_binary(buf, v)) {
        // A decoded string may hold a NUL byte, which cannot be sent back (as in fuzz_types).
        if (ec != client_errc::embedded_nul) std::abort();
        return;
    }
    T back{};
    if (codec<T>::decode_binary(buf.data(), t, back)) std::abort();
    if (!(back == v)) std::abort();
    std::string text;
    // A string holding a NUL byte has no text form: nothing to compare then.
    if (codec<T>::encode_text(text, v)) return;
    T from_text{};
    if (codec<T>::decode_text(text, t, from_text)) std::abort();
    if (!(from_text == v)) std::abort();
}

template <class T>
void run(bool text, std::span<const std::byte> in, oid t) {
    T v{};
    const auto ec =
        text ? codec<T>::decode_text({reinterpret_cast<const char*>(in.data()), in.size()}, t, v)
             : codec<T>::decode_binary(in, t, v);
    if (ec) return;
    round_trip(v, t);
}

} // namespace

template <>
inline constexpr bool pgasio::is_composite_v<fuzz_point> = true;
template <>
inline constexpr bool pgasio::is_composite_v<fuzz_row> = true;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
    const pgasio::detail::type_scope scope(&registry());
    switch (data[0] % 7) {
    case 0:
        run<fuzz_mood>(false, in, mood_oid);
        break;
    case 1:
        run<pgasio::hstore>(false, in, hstore_oid);
        break;
    case 2:
        run<fuzz_point>(false, in, point_oid);
        break;
    case 3:
        run<fuzz_row>(false, in, oids::record);
        break;
    case 4:
        run<pgasio::hstore>(true, in, hstore_oid);
        break;
    case 5:
        run<fuzz_row>(true, in, oids::record);
        break;
    case 6:
        run<fuzz_point>(true, in, point_oid);
        break;
    }
    return 0;
}
