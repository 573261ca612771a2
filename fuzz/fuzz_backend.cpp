// Fuzzes the framer and every backend message decoder: arbitrary bytes, fed in arbitrary chunks,
// must give messages or a clean error, never a crash or an out-of-bounds read. Views that decode
// are walked completely, since their iterators trust the decoder's validation.
#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/diagnostics.hpp>
#include <pgasio/protocol/framer.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace pgasio::protocol;

namespace {

struct walker {
    std::size_t sink = 0;
    void operator()(const authentication_view& a) {
        for (auto m : a.sasl_mechanisms)
            sink += m.size();
        sink += a.sasl_data.size();
    }
    void operator()(const row_description_view& r) {
        std::size_t n = 0;
        for (auto c : r) {
            sink += c.name.size() + c.type_oid;
            ++n;
        }
        if (n != r.size()) std::abort();
    }
    void operator()(const data_row_view& r) {
        std::size_t n = 0;
        for (auto v : r) {
            sink += v ? v->size() : 1;
            ++n;
        }
        if (n != r.size()) std::abort();
    }
    void operator()(const parameter_description_view& p) {
        for (std::size_t i = 0; i < p.size(); ++i)
            sink += p[i];
    }
    void operator()(const command_complete_view& c) {
        sink += c.command().size() + c.rows().value_or(0);
    }
    void operator()(const error_response& e) {
        sink += diagnostics::from_fields(e.fields).to_string().size();
    }
    void operator()(const notice_response& e) {
        sink += diagnostics::from_fields(e.fields).to_string().size();
    }
    void operator()(const copy_in_response& c) { walk(c.response); }
    void operator()(const copy_out_response& c) { walk(c.response); }
    void operator()(const copy_both_response& c) { walk(c.response); }
    void walk(const copy_response_view& c) {
        for (std::size_t i = 0; i < c.column_count; ++i)
            sink += static_cast<std::size_t>(c.column_format(i));
    }
    template <class T>
    void operator()(const T&) {}
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The first byte picks the chunk size, so the fuzzer explores split headers and bodies.
    if (size == 0) return 0;
    const std::size_t chunk = 1 + data[0] % 64;
    ++data;
    --size;
    framer f(1 << 16);
    walker w;
    for (std::size_t at = 0; at < size; at += chunk) {
        const std::size_t n = std::min(chunk, size - at);
        auto space = f.prepare(n);
        std::memcpy(space.data(), data + at, n);
        f.commit(n);
        for (;;) {
            auto m = f.next();
            if (!m) return 0; // the stream is broken: a real connection closes here
            if (!*m) break;
            if (auto decoded = decode_backend_message(**m)) std::visit(w, *decoded);
        }
    }
    return 0;
}
