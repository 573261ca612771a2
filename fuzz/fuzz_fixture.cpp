// Fuzzes the fixture reader of pgasio::simulation: any text must become a replay or a
// fixture_error naming what is wrong, never a crash.
#include <pgasio/simulation.hpp>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        pgasio::simulation::replay_text(
            std::string_view(reinterpret_cast<const char*>(data), size));
    } catch (const pgasio::simulation::fixture_error&) {
    }
    return 0;
}
