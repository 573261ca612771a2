#include "support/seed_corpus.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace pgasio::test {

void record_seed(std::string_view target, std::span<const std::byte> bytes) {
    const char* root = std::getenv("PGASIO_SEED_CORPUS_DIR");
    if (!root || !*root) return;
    // Named by content (FNV-1a) so that a test run twice writes each seed once.
    std::uint64_t h = 14695981039346656037ull;
    for (std::byte b : bytes)
        h = (h ^ static_cast<std::uint8_t>(b)) * 1099511628211ull;
    char name[17];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
    const auto dir = std::filesystem::path(root) / std::string(target);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
}

} // namespace pgasio::test
