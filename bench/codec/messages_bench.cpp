// Cost of the codec's hot path: framing and decoding one DataRow into native values, and
// encoding one Bind with three parameters.
#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/framer.hpp>
#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/date_time.hpp>
#include <pgasio/protocol/types/floating.hpp>
#include <pgasio/protocol/types/integral.hpp>
#include <pgasio/protocol/types/string.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <string_view>
#include <vector>

namespace {

namespace types = pgasio::protocol::types;
namespace oids = pgasio::protocol::oids;
using pgasio::protocol::write_buffer;
using namespace std::literals;

// A DataRow of (int4 42, text "abcdefghij", float8 1.5, timestamptz 2024-02-29 13:45:01.123456
// UTC), framed, as the server sends it.
std::vector<std::byte> data_row_message() {
    const std::string_view bytes = "D\0\0\0\x34\0\x04"
                                   "\0\0\0\x04\0\0\0\x2a"
                                   "\0\0\0\x0a"
                                   "abcdefghij"
                                   "\0\0\0\x08\x3f\xf8\0\0\0\0\0\0"
                                   "\0\0\0\x08\x00\x02\xb5\x84\x3c\x0b\x93\x80"sv;
    const auto* p = reinterpret_cast<const std::byte*>(bytes.data());
    return {p, p + bytes.size()};
}

void frame_and_decode_data_row(benchmark::State& state) {
    const auto message = data_row_message();
    pgasio::protocol::framer f;
    for (auto _ : state) {
        auto space = f.prepare(message.size());
        std::memcpy(space.data(), message.data(), message.size());
        f.commit(message.size());
        const auto m = f.next();
        const auto row = pgasio::protocol::decode_data_row((*m)->body);
        auto it = row->begin();
        std::int32_t i = 0;
        std::string_view s;
        double d = 0;
        std::chrono::sys_time<std::chrono::microseconds> t;
        (void)types::codec<std::int32_t>::decode_binary(**it++, oids::int4, i);
        (void)types::codec<std::string_view>::decode_binary(**it++, oids::text, s);
        (void)types::codec<double>::decode_binary(**it++, oids::float8, d);
        (void)types::codec<decltype(t)>::decode_binary(**it, oids::timestamptz, t);
        benchmark::DoNotOptimize(i);
        benchmark::DoNotOptimize(s);
        benchmark::DoNotOptimize(d);
        benchmark::DoNotOptimize(t);
    }
}
BENCHMARK(frame_and_decode_data_row);

void encode_bind_three_parameters(benchmark::State& state) {
    write_buffer out;
    constexpr pgasio::protocol::format_code binary[] = {pgasio::protocol::format_code::binary};
    const std::string_view name = "alice";
    for (auto _ : state) {
        out.clear();
        pgasio::protocol::bind_writer bind(out, "", "pgasio_s1", binary, 3);
        bind.value(
            [](write_buffer& b) { return types::codec<std::int32_t>::encode_binary(b, 42); });
        bind.value([&](write_buffer& b) {
            return types::codec<std::string_view>::encode_binary(b, name);
        });
        bind.value([](write_buffer& b) { return types::codec<double>::encode_binary(b, 1.5); });
        benchmark::DoNotOptimize(bind.finish(binary));
        benchmark::DoNotOptimize(out.data().data());
    }
}
BENCHMARK(encode_bind_three_parameters);

} // namespace
