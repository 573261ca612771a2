// Fuzzes a whole pgasio::connection against a server that says anything: after a valid startup,
// the input becomes the server's byte stream while requests of every kind are queued. Every
// request must complete exactly once, the io_context must drain (the fake server closes the
// socket at the end of the input, so nothing may wait for more), and nothing may crash or leak.
//
// The input is structure-aware so that byte-level mutations make message-level ones:
//   byte 0   which requests to queue (bit i: kind i below; 0 queues all of them)
//   byte 1   bits 0-1: the query exec mode; bit 2: flush after every message
//   then ops, one tag byte each:
//     0x00-0xBF  a valid canned message (tag modulo their number)
//     0xC0-0xDF  1 to 32 raw bytes, taken from the input
//     0xE0-0xE7  the canned message named by the next byte, split after 1 to 8 bytes (the two
//                parts reach the client separately)
//     0xE8-0xEF  the canned message named by the next byte, cut after 1 to 8 bytes
//     0xF0-0xFE  send what is gathered and let the client read it
//     0xFF       the rest of the input, raw
// So changing a tag changes a message, removing one removes a message, and crossing inputs over
// reorders exchanges; raw bytes still reach every corner of the framer.
//
// Its corpus (fuzz/corpus/fuzz_connection) started from one valid exchange per request kind and
// exec mode, and all kinds in a row, checked to succeed against the client; it keeps a first
// find too (a statement text with two COPYs, copy_test.cpp).
//
// With PGASIO_FUZZ_TRACE set, prints the client's message types and the server's chunks to
// stderr (for writing seeds).
#include <pgasio/batch.hpp>
#include <pgasio/config.hpp>
#include <pgasio/connection.hpp>
#include <pgasio/copy.hpp>
#include <pgasio/result.hpp>
#include <pgasio/row_stream.hpp>
#include <pgasio/statement.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using namespace std::literals;

namespace {

constexpr auto awaitable_tuple = asio::as_tuple(asio::use_awaitable);

std::string framed(char type, std::string_view body) {
    std::string out(1, type);
    const auto len = static_cast<std::uint32_t>(body.size() + 4);
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>(len >> shift);
    return out += body;
}

// What a server sends, valid one by one, for the requests below to be answered in any order.
const std::vector<std::string>& canned() {
    static const std::vector<std::string> messages = {
        framed('1', ""),                 // ParseComplete
        framed('2', ""),                 // BindComplete
        framed('3', ""),                 // CloseComplete
        framed('n', ""),                 // NoData
        framed('t', "\0\0"sv),           // ParameterDescription: none
        framed('t', "\0\1\0\0\0\x17"sv), // ParameterDescription: int4
        framed('T', "\0\1x\0\0\0\0\0\0\0\0\0\0\x17\0\4\xff\xff\xff\xff\0\0"sv), // x int4 text
        framed('T', "\0\1x\0\0\0\0\0\0\0\0\0\0\x17\0\4\xff\xff\xff\xff\0\1"sv), // x int4 binary
        framed('T', "\0\2a\0\0\0\0\0\0\0\0\0\0\x17\0\4\xff\xff\xff\xff\0\0"
                    "b\0\0\0\0\0\0\0\0\0\0\x19\xff\xff\xff\xff\xff\xff\0\0"sv), // int4, text
        framed('D', "\0\1\0\0\0\0011"sv),                                       // 1 (text)
        framed('D', "\0\1\0\0\0\4\0\0\0\1"sv),                                  // 1 (binary)
        framed('D', "\0\2\0\0\0\0012\0\0\0\3abc"sv),                            // 2, abc
        framed('D', "\0\1\xff\xff\xff\xff"sv),                                  // NULL
        framed('C', "SELECT 1\0"sv),
        framed('C', "INSERT 0 1\0"sv),
        framed('C', "COPY 1\0"sv),
        framed('I', ""), // EmptyQueryResponse
        framed('Z', "I"),
        framed('Z', "T"),
        framed('Z', "E"),
        framed('E', "SERROR\0VERROR\0C42P01\0Mrelation \"t\" does not exist\0\0"sv),
        framed('E', "SFATAL\0VFATAL\0C57P01\0Mterminating connection\0\0"sv),
        framed('E', "SERROR\0VERROR\0C26000\0Mprepared statement does not exist\0\0"sv),
        framed('E', "SERROR\0VERROR\0C0A000\0Mcached plan must not change result type\0\0"sv),
        framed('E', "SERROR\0VERROR\0C57014\0Mcanceling statement\0\0"sv),
        framed('N', "SWARNING\0VWARNING\0C01000\0Mwatch out\0\0"sv),
        framed('A', "\0\0\0\1chan\0payload\0"sv), // NotificationResponse
        framed('S', "TimeZone\0UTC\0"sv),         // ParameterStatus
        framed('G', "\0\0\1\0\0"sv),              // CopyInResponse, text, 1 column
        framed('H', "\0\0\1\0\0"sv),              // CopyOutResponse, text, 1 column
        framed('W', "\0\0\1\0\0"sv),              // CopyBothResponse
        framed('d', "1\n"),                       // CopyData
        framed('c', ""),                          // CopyDone
        framed('s', ""),                          // PortalSuspended
        framed('K', "\0\0\0\1\0\0\0\2"sv),        // BackendKeyData (out of place)
        framed('R', "\0\0\0\0"sv),                // AuthenticationOk (out of place)
    };
    return messages;
}

// The canned startup: trust authentication, the parameters pgasio reads, ready.
const std::string& startup_reply() {
    static const std::string reply =
        framed('R', "\0\0\0\0"sv) + framed('S', "server_version\00015.4\0"sv) +
        framed('S', "client_encoding\0UTF8\0"sv) + framed('S', "DateStyle\0ISO, MDY\0"sv) +
        framed('S', "integer_datetimes\0on\0"sv) +
        framed('S', "standard_conforming_strings\0on\0"sv) + framed('K', "\0\0\0\x2a\0\0\0\x07"sv) +
        framed('Z', "I");
    return reply;
}

bool tracing() {
    static const bool on = std::getenv("PGASIO_FUZZ_TRACE") != nullptr;
    return on;
}

// The server's stream decoded from the ops: chunks, each to reach the client on its own.
std::vector<std::string> play_list(const std::uint8_t* data, std::size_t size, bool flush_each) {
    const auto& messages = canned();
    std::vector<std::string> chunks(1);
    auto flush = [&] {
        if (!chunks.back().empty()) chunks.emplace_back();
    };
    std::size_t i = 0;
    while (i < size) {
        const std::uint8_t tag = data[i++];
        if (tag < 0xc0) {
            chunks.back() += messages[tag % messages.size()];
            if (flush_each) flush();
        } else if (tag < 0xe0) {
            const std::size_t n = std::min<std::size_t>(tag - 0xc0u + 1u, size - i);
            chunks.back().append(reinterpret_cast<const char*>(data + i), n);
            i += n;
        } else if (tag < 0xf0) {
            if (i == size) break;
            const std::string& m = messages[data[i++] % messages.size()];
            const std::size_t at = std::min<std::size_t>((tag & 7u) + 1u, m.size());
            chunks.back() += m.substr(0, at);
            if (tag < 0xe8) {
                flush();
                chunks.back() += m.substr(at);
            }
            if (flush_each) flush();
        } else if (tag < 0xff) {
            flush();
        } else {
            chunks.back().append(reinterpret_cast<const char*>(data + i), size - i);
            i = size;
        }
    }
    if (chunks.back().empty()) chunks.pop_back();
    return chunks;
}

// The client's side is read and dropped (traced when asked), so that it never blocks writing.
asio::awaitable<void> drain(local::socket& sock) {
    std::array<char, 4096> buf;
    std::string pending;
    for (;;) {
        auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), awaitable_tuple);
        if (ec) co_return;
        if (!tracing()) continue;
        pending.append(buf.data(), n);
        while (pending.size() >= 5) {
            const auto* p = reinterpret_cast<const unsigned char*>(pending.data()) + 1;
            const std::size_t len = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                                    (std::size_t{p[2]} << 8) | p[3];
            if (pending.size() < len + 1) break;
            std::fprintf(stderr, "client: %c\n", pending[0]);
            pending.erase(0, len + 1);
        }
    }
}

// The fake server: the canned startup, then (once the requests are queued) the chunks, each
// followed by a few turns of the io_context so that the client reads it alone; then it closes.
asio::awaitable<void> serve(local::acceptor& acceptor, local::socket& sock, asio::steady_timer& go,
                            std::vector<std::string> chunks) {
    auto [accept_ec] = co_await acceptor.async_accept(sock, awaitable_tuple);
    acceptor.close(); // a second connection (a CancelRequest) is refused
    if (accept_ec) co_return;
    std::array<unsigned char, 4> len_bytes;
    auto [ec1, n1] = co_await asio::async_read(sock, asio::buffer(len_bytes), awaitable_tuple);
    if (ec1) co_return;
    std::string body((std::size_t{len_bytes[0]} << 24 | std::size_t{len_bytes[1]} << 16 |
                      std::size_t{len_bytes[2]} << 8 | len_bytes[3]) -
                         4,
                     '\0');
    auto [ec2, n2] = co_await asio::async_read(sock, asio::buffer(body), awaitable_tuple);
    if (ec2) co_return;
    auto [ec3, n3] =
        co_await asio::async_write(sock, asio::buffer(startup_reply()), awaitable_tuple);
    if (ec3) co_return;
    asio::co_spawn(sock.get_executor(), drain(sock), asio::detached);
    co_await go.async_wait(awaitable_tuple);
    for (const auto& chunk : chunks) {
        if (tracing()) std::fprintf(stderr, "server: %zu bytes\n", chunk.size());
        auto [ec, n] = co_await asio::async_write(sock, asio::buffer(chunk), awaitable_tuple);
        if (ec) break;
        for (int turn = 0; turn < 4; ++turn)
            co_await asio::post(sock.get_executor(), asio::use_awaitable);
    }
    sock.close();
}

// The requests, one per kind; each reports its completion by counting it.
constexpr int kinds = 8;
using counts = std::array<int, kinds>;

void completed(counts& done, int kind, pgasio::error_code ec) {
    if (tracing()) std::fprintf(stderr, "request kind %d: %s\n", kind, ec.message().c_str());
    if (++done[static_cast<std::size_t>(kind)] != 1) {
        std::fprintf(stderr, "request kind %d completed twice\n", kind);
        std::abort();
    }
}

// Reads every value of every row as text and as an integer, as an application might.
void touch(const pgasio::result& r) {
    for (auto row : r)
        for (std::size_t i = 0; i < row.size(); ++i) {
            std::optional<std::string> text;
            std::optional<std::int64_t> number;
            (void)row.get(i, text);
            (void)row.get(i, number);
        }
}

// The multi-step requests return the first error they met.
asio::awaitable<pgasio::error_code> prepared(pgasio::connection& conn) {
    auto [ec, stmt] = co_await conn.async_prepare("SELECT $1::int4", awaitable_tuple);
    if (ec) co_return ec;
    auto [ec2, r] = co_await conn.async_query(stmt, 1, awaitable_tuple);
    touch(r);
    co_return ec2;
}

asio::awaitable<pgasio::error_code> streamed(pgasio::connection& conn) {
    auto rows = conn.query_stream("SELECT g FROM generate_series(1, $1::int4) g", 3);
    for (;;) {
        auto [ec, part] = co_await rows.async_next(awaitable_tuple);
        if (ec || part.empty()) co_return ec;
        touch(part);
    }
}

asio::awaitable<pgasio::error_code> copied_in(pgasio::connection& conn) {
    auto [ec, writer] = co_await conn.async_copy_in("COPY t FROM STDIN", awaitable_tuple);
    if (ec) co_return ec;
    auto [ec2] = co_await writer.async_write("1\n"sv, awaitable_tuple);
    if (ec2) co_return ec2;
    auto [ec3, rows] = co_await writer.async_finish(awaitable_tuple);
    co_return ec3;
}

asio::awaitable<pgasio::error_code> copied_out(pgasio::connection& conn) {
    auto [ec, reader] = co_await conn.async_copy_out("COPY t TO STDOUT", awaitable_tuple);
    if (ec) co_return ec;
    for (;;) {
        auto [ec2, chunk] = co_await reader.async_read(awaitable_tuple);
        if (ec2 || chunk.empty()) co_return ec2;
    }
}

void queue_requests(pgasio::connection& conn, unsigned mask, counts& done) {
    const auto ex = conn.get_executor();
    auto coroutine_done = [&done](int kind) {
        return [&done, kind](std::exception_ptr e, pgasio::error_code ec) {
            if (e) std::rethrow_exception(e);
            completed(done, kind, ec);
        };
    };
    auto wants = [mask](int kind) { return (mask >> kind) & 1u; };
    if (wants(0))
        conn.async_query("SELECT $1::int4", 7, [&done](pgasio::error_code ec, pgasio::result r) {
            touch(r);
            completed(done, 0, ec);
        });
    if (wants(1))
        conn.async_execute(
            "INSERT INTO t VALUES ($1)", "x"sv,
            [&done](pgasio::error_code ec, std::uint64_t) { completed(done, 1, ec); });
    if (wants(2))
        conn.async_simple_query("SELECT 1; SELECT 2",
                                [&done](pgasio::error_code ec, std::vector<pgasio::result> rs) {
                                    for (const auto& r : rs)
                                        touch(r);
                                    completed(done, 2, ec);
                                });
    if (wants(3)) asio::co_spawn(ex, prepared(conn), coroutine_done(3));
    if (wants(4)) asio::co_spawn(ex, streamed(conn), coroutine_done(4));
    if (wants(5)) {
        pgasio::batch b;
        (void)b.add("SELECT 1");
        (void)b.add("SELECT $1::int4", 2);
        conn.async_execute_batch(
            std::move(b),
            [&done](pgasio::error_code ec, pgasio::batch_results) { completed(done, 5, ec); });
    }
    if (wants(6)) asio::co_spawn(ex, copied_in(conn), coroutine_done(6));
    if (wants(7)) asio::co_spawn(ex, copied_out(conn), coroutine_done(7));
}

struct setup {
    std::filesystem::path dir;
    std::array<pgasio::config, 4> configs;

    setup() {
        char tmpl[] = "/tmp/pgasio-fuzz-XXXXXX";
        if (!::mkdtemp(tmpl)) std::abort();
        dir = tmpl;
        const char* modes[] = {"cache_statement", "cache_describe", "describe_exec",
                               "simple_protocol"};
        for (std::size_t i = 0; i < configs.size(); ++i) {
            auto cfg = pgasio::config::parse(
                "host=" + dir.string() +
                    " port=5432 user=fuzz dbname=fuzz sslmode=disable default_query_exec_mode=" +
                    modes[i],
                [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
            if (!cfg) std::abort();
            configs[i] = *cfg;
        }
    }
    ~setup() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::string socket_path() const { return (dir / ".s.PGSQL.5432").string(); }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const setup s;
    if (size < 2) return -1;
    unsigned mask = data[0];
    if (mask == 0) mask = 0xff;
    const auto& cfg = s.configs[data[1] & 3u];
    auto chunks = play_list(data + 2, size - 2, (data[1] & 4u) != 0);

    asio::io_context ctx;
    const std::string path = s.socket_path();
    ::unlink(path.c_str());
    local::acceptor acceptor(ctx, local::endpoint(path));
    local::socket server_side(ctx);
    asio::steady_timer go(ctx, asio::steady_timer::time_point::max());
    asio::co_spawn(ctx, serve(acceptor, server_side, go, std::move(chunks)),
                   [](std::exception_ptr e) {
                       if (e) std::rethrow_exception(e);
                   });

    counts done{};
    pgasio::connection conn(ctx);
    conn.set_notice_handler([](const pgasio::diagnostics& d) { (void)d.message.size(); });
    conn.async_connect(cfg, [&](pgasio::error_code ec) {
        if (ec) {
            std::fprintf(stderr, "the canned startup failed: %s\n", ec.message().c_str());
            std::abort();
        }
        queue_requests(conn, mask, done);
        go.cancel();
    });
    ctx.run_for(10s);
    if (!ctx.stopped()) {
        std::fprintf(stderr, "the io_context did not drain in 10 s; the server had closed\n");
        std::abort();
    }
    for (int kind = 0; kind < kinds; ++kind)
        if (((mask >> kind) & 1u) && done[static_cast<std::size_t>(kind)] != 1) {
            std::fprintf(stderr, "request kind %d never completed\n", kind);
            std::abort();
        }
    return 0;
}
