// Fuzzes the binary COPY decoder: the data in pieces, as a reader gets it, for a few column
// counts. Every tuple it returns must lie inside the data and decode as a DataRow body.
#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/copy_binary.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace pgasio::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // The first byte chooses the column count, the second the size of the pieces.
    const std::size_t columns = data[0] % 5;
    const std::size_t piece = 1 + data[1] % 64;
    const auto* bytes = reinterpret_cast<const std::byte*>(data + 2);
    size -= 2;
    binary_copy_decoder dec(columns);
    std::vector<std::byte> pending;
    for (std::size_t at = 0; at < size; at += piece) {
        pending.insert(pending.end(), bytes + at, bytes + std::min(size, at + piece));
        std::size_t used = 0;
        for (;;) {
            const auto step = dec.next(std::span<const std::byte>(pending).subspan(used));
            if (!step) {
                (void)dec.reason();
                return 0;
            }
            if (step->consumed > pending.size() - used) std::abort();
            if (step->what == binary_copy_decoder::row) {
                if (step->tuple.data() < pending.data() ||
                    step->tuple.data() + step->tuple.size() > pending.data() + pending.size())
                    std::abort();
                const auto row = decode_data_row(step->tuple);
                if (!row || row->size() != columns) std::abort();
            }
            used += step->consumed;
            if (step->what != binary_copy_decoder::row) break;
        }
        pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(used));
    }
    (void)dec.finish(pending.size());
    (void)dec.reason();
    return 0;
}
