// Fuzzes the per-request response state machine: the first byte picks a script, the second the
// chunking and how a COPY FROM STDIN is ended, the rest is the server's byte stream. Whatever the
// bytes, the machine must answer with events or a clean error, never crash, never move backwards
// and never change state on an error.
#include "fuzz_response.hpp"

#include <pgasio/protocol/framer.hpp>
#include <pgasio/protocol/response_machine.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace pgasio::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const auto script =
        pgasio::fuzz::response_scripts[data[0] % pgasio::fuzz::response_scripts.size()];
    const std::uint8_t mode = data[1];
    const std::size_t chunk = 1 + (mode & 0x3F);
    const bool fail_copy = mode & pgasio::fuzz::copy_fail_bit;
    const bool end_after_error = mode & pgasio::fuzz::end_after_error_bit;
    data += 2;
    size -= 2;

    framer f(1 << 16);
    response_machine m(script);
    for (std::size_t at = 0; at < size; at += chunk) {
        const std::size_t n = std::min(chunk, size - at);
        auto space = f.prepare(n);
        std::memcpy(space.data(), data + at, n);
        f.commit(n);
        for (;;) {
            auto msg = f.next();
            if (!msg) return 0; // the stream is broken: a real connection closes here
            if (!*msg) break;
            const bool was_done = m.done();
            const auto index = m.index();
            const bool copying = m.in_copy_in();
            auto ev = m.on_message(**msg);
            if (!ev) {
                // An error leaves the machine as it was.
                if (m.done() != was_done || m.index() != index || m.in_copy_in() != copying)
                    std::abort();
                return 0;
            }
            if (ev->index != index || m.index() < index) std::abort();
            if (ev->body.data() != (*msg)->body.data()) std::abort();
            if (ev->kind == response_event_kind::ready_for_query && m.transaction_status() != 'I' &&
                m.transaction_status() != 'T' && m.transaction_status() != 'E')
                std::abort();
            if (m.in_copy_in() &&
                (ev->kind == response_event_kind::copy_in ? !end_after_error
                                                          : ev->kind == response_event_kind::error))
                m.end_copy_in(fail_copy);
        }
    }
    return 0;
}
