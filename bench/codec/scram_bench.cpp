// Cost of the client's SCRAM-SHA-256 computation and of SASLprep.
#include <pgasio/protocol/auth/saslprep.hpp>
#include <pgasio/protocol/auth/scram_client.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <utility>

namespace {

// One whole client exchange with RFC 7677's messages: PBKDF2 with 4096 iterations (PostgreSQL's
// default), the keys, the proof and the server signature check.
void scram_sha_256_exchange_4096(benchmark::State& state) {
    constexpr std::string_view server_first =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    constexpr std::string_view server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    for (auto _ : state) {
        pgasio::protocol::scram_client_options options;
        options.nonce = "rOprNGfwEbeRWgbNEkqO";
        options.username = "user";
        pgasio::protocol::scram_client scram("pencil", std::move(options));
        benchmark::DoNotOptimize(scram.client_first_message());
        benchmark::DoNotOptimize(scram.handle_server_first(server_first));
        if (scram.handle_server_final(server_final)) state.SkipWithError("exchange failed");
    }
}
BENCHMARK(scram_sha_256_exchange_4096)->Unit(benchmark::kMillisecond);

void saslprep_ascii(benchmark::State& state) {
    const std::string password = "correct horse battery staple";
    for (auto _ : state)
        benchmark::DoNotOptimize(pgasio::protocol::saslprep(password));
}
BENCHMARK(saslprep_ascii);

// Non-ASCII: mapping, checks, NFKC (decomposition, reordering, composition).
void saslprep_non_ascii(benchmark::State& state) {
    const std::string password = "P\xc3\xa4ssw\xc3\xb6rd \xef\xac\x81 \xe2\x85\xa8 \xea\xb0\x81";
    for (auto _ : state)
        benchmark::DoNotOptimize(pgasio::protocol::saslprep(password));
}
BENCHMARK(saslprep_non_ascii);

} // namespace
