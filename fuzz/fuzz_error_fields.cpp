// Fuzzes the ErrorResponse/NoticeResponse field decoder and the diagnostics built from it.
#include <pgasio/protocol/diagnostics.hpp>

#include <cstdint>
#include <cstdlib>

using namespace pgasio::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto fields = decode_error_fields({reinterpret_cast<const std::byte*>(data), size});
    if (!fields) return 0;
    const auto d = diagnostics::from_fields(*fields);
    // Every field the view yields must be inside the input.
    for (auto f : *fields) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(f.value.data());
        if (p < data || p + f.value.size() > data + size) std::abort();
    }
    (void)d.code().message();
    (void)d.to_string();
    return 0;
}
