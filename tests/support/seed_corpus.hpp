// Lets unit tests hand their golden bytes to the fuzzers as seed inputs.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace pgasio::test {

/// Saves `bytes` as a seed input of the fuzz target `target` (a folder under
/// $PGASIO_SEED_CORPUS_DIR, named after fuzz/<target>.cpp). Does nothing when the variable is
/// unset.
void record_seed(std::string_view target, std::span<const std::byte> bytes);

} // namespace pgasio::test
