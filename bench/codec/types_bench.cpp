// Type codecs: the per-value cost of decoding what a result row holds, binary and text.
#include <pgasio/json.hpp>
#include <pgasio/protocol/types/array.hpp>
#include <pgasio/protocol/types/date_time.hpp>
#include <pgasio/protocol/types/floating.hpp>
#include <pgasio/protocol/types/integral.hpp>
#include <pgasio/protocol/types/json.hpp>
#include <pgasio/protocol/types/numeric.hpp>
#include <pgasio/protocol/types/string.hpp>
#include <pgasio/protocol/types/uuid.hpp>

#include <boost/json/value.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <numeric>
#include <string_view>

namespace {

using namespace pgasio::protocol;

template <class T>
std::vector<std::byte> binary_of(const T& v) {
    write_buffer out;
    (void)types::codec<T>::encode_binary(out, v);
    return {out.data().begin(), out.data().end()};
}

void int4_binary(benchmark::State& state) {
    const auto bytes = binary_of(std::int32_t{123456});
    std::int32_t v = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(types::codec<std::int32_t>::decode_binary(bytes, oids::int4, v));
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(int4_binary);

void int8_text(benchmark::State& state) {
    std::int64_t v = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            types::codec<std::int64_t>::decode_text("-9223372036854775807", oids::int8, v));
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(int8_text);

void float8_text(benchmark::State& state) {
    double v = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            types::codec<double>::decode_text("0.30000000000000004", oids::float8, v));
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(float8_text);

void uuid_text(benchmark::State& state) {
    uuid v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            types::codec<uuid>::decode_text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", oids::uuid, v));
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(uuid_text);

// numeric, timestamps and JSON: the decoders on the hot paths of reports, event tables and
// document columns, each in the form the server sends it (binary) and as text.

void numeric_binary(benchmark::State& state) {
    const auto bytes = binary_of(numeric::from_string("-12345678.901234").value());
    numeric v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(types::codec<numeric>::decode_binary(bytes, oids::numeric, v));
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(numeric_binary);

void numeric_text(benchmark::State& state) {
    numeric v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            types::codec<numeric>::decode_text("-12345678.901234", oids::numeric, v));
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(numeric_text);

using timestamptz = std::chrono::sys_time<std::chrono::microseconds>;
using timestamp = std::chrono::local_time<std::chrono::microseconds>;

void timestamptz_binary(benchmark::State& state) {
    const auto bytes = binary_of(timestamptz(std::chrono::microseconds(1'709'214'301'123'456)));
    timestamptz v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            types::codec<timestamptz>::decode_binary(bytes, oids::timestamptz, v));
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(timestamptz_binary);

void timestamptz_text(benchmark::State& state) {
    timestamptz v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(types::codec<timestamptz>::decode_text(
            "2024-02-29 13:45:01.123456+00", oids::timestamptz, v));
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(timestamptz_text);

void timestamp_text(benchmark::State& state) {
    timestamp v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            types::codec<timestamp>::decode_text("2024-02-29 13:45:01.123456", oids::timestamp, v));
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(timestamp_text);

constexpr std::string_view document =
    R"({"id": 42, "name": "Alice", "tags": ["admin", "ops"], "active": true, "score": 9.5})";

// A jsonb column read as its text (the protocol's jsonb wrapper: no parsing).
void jsonb_binary_text(benchmark::State& state) {
    const auto bytes = binary_of(jsonb{std::string(document)});
    jsonb v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(types::codec<jsonb>::decode_binary(bytes, oids::jsonb, v));
        benchmark::DoNotOptimize(v.text.data());
    }
}
BENCHMARK(jsonb_binary_text);

// The same column parsed into a boost::json::value (pgasio/json.hpp).
void jsonb_binary_value(benchmark::State& state) {
    const auto bytes = binary_of(jsonb{std::string(document)});
    boost::json::value v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            types::codec<boost::json::value>::decode_binary(bytes, oids::jsonb, v));
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(jsonb_binary_value);

// An int4[] of N elements into a reused vector (after the first run, no allocation).
void int4_vector_binary(benchmark::State& state) {
    std::vector<std::int32_t> values(static_cast<std::size_t>(state.range(0)));
    std::iota(values.begin(), values.end(), 0);
    const auto bytes = binary_of(values);
    std::vector<std::int32_t> v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            types::codec<std::vector<std::int32_t>>::decode_binary(bytes, oids::int4_array, v));
        benchmark::DoNotOptimize(v.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(int4_vector_binary)->Arg(16)->Arg(1024);

void int4_vector_text(benchmark::State& state) {
    std::vector<std::int32_t> values(static_cast<std::size_t>(state.range(0)));
    std::iota(values.begin(), values.end(), 0);
    std::string text;
    (void)types::codec<std::vector<std::int32_t>>::encode_text(text, values);
    std::vector<std::int32_t> v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            types::codec<std::vector<std::int32_t>>::decode_text(text, oids::int4_array, v));
        benchmark::DoNotOptimize(v.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(int4_vector_text)->Arg(16)->Arg(1024);

void text_vector_binary(benchmark::State& state) {
    const std::vector<std::string> values(static_cast<std::size_t>(state.range(0)), "some text");
    const auto bytes = binary_of(values);
    std::vector<std::string_view> v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            types::codec<std::vector<std::string_view>>::decode_binary(bytes, oids::text_array, v));
        benchmark::DoNotOptimize(v.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(text_vector_binary)->Arg(16)->Arg(1024);

} // namespace
