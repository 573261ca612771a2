// Fuzzes the startup and authentication flow: a hostile server's message stream, whatever its
// order or content, must end in ready or in a clean error, never a crash.
#include <pgasio/protocol/framer.hpp>
#include <pgasio/protocol/startup_exchange.hpp>

#include <cstdint>
#include <cstring>

using namespace pgasio::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0; // a settings byte and at least one byte from the server
    // The first byte picks the client's settings.
    const std::uint8_t flags = data[0];
    startup_options o;
    o.parameters = {{"user", "alice"}, {"database", "db"}};
    if (flags & 1) o.password = "pencil";
    o.version = (flags & 2) ? protocol_version::v3_2 : protocol_version::v3_0;
    o.channel_binding = static_cast<channel_binding_policy>((flags >> 2) % 3);
    if (flags & 16) o.tls_server_end_point.assign(32, std::byte{0x5a});
    if (flags & 32) o.allowed = static_cast<unsigned>(auth_method::scram_sha_256);
    // Keep PBKDF2 cheap so the fuzzer explores the flow, not the hash.
    o.max_scram_iterations = 64;

    startup_exchange ex(std::move(o));
    write_buffer out;
    if (ex.start(out)) return 0;
    framer f(1 << 16);
    auto space = f.prepare(size - 1);
    std::memcpy(space.data(), data + 1, size - 1);
    f.commit(size - 1);
    for (;;) {
        auto m = f.next();
        if (!m || !*m) return 0;
        out.clear();
        auto status = ex.on_message(**m, out);
        if (!status || *status == startup_exchange::status::ready) return 0;
    }
}
