// Fuzzes the SCRAM client with server-chosen messages, and the base64 and SASLprep it relies on.
// Input: "<server-first>\0<server-final>" (no NUL: everything is the server-first-message).
// The nonce and user name are RFC 7677's, so the unit tests' recorded exchanges run to the end.
#include <pgasio/protocol/auth/saslprep.hpp>
#include <pgasio/protocol/auth/scram_client.hpp>
#include <pgasio/protocol/detail/base64.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace proto = pgasio::protocol;
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    // Canonical base64 has exactly one spelling: whatever decodes must re-encode to the input.
    if (const auto decoded = proto::detail::base64_decode(input))
        if (proto::detail::base64_encode(*decoded) != input) std::abort();

    // Never fails, and never empties a password: the mapping can only remove characters of a
    // non-ASCII string, whose emptiness means the raw (non-empty) bytes are used.
    if (proto::saslprep(input).empty() != input.empty()) std::abort();

    const std::size_t nul = input.find('\0');
    const std::string_view server_first = input.substr(0, nul);
    const std::string_view server_final =
        nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1);

    proto::scram_client_options options;
    options.nonce = "rOprNGfwEbeRWgbNEkqO";
    options.username = "user";
    // PostgreSQL's default count: enough for the recorded exchanges, cheap enough to fuzz.
    options.max_iterations = 4096;
    proto::scram_client scram("pencil", options);
    if (!scram.client_first_message()) std::abort();
    const auto client_final = scram.handle_server_first(server_first);
    if (!client_final) {
        if (scram.complete()) std::abort();
        return 0;
    }
    const auto ec = scram.handle_server_final(server_final);
    if (scram.complete() == static_cast<bool>(ec)) std::abort();
    return 0;
}
