#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/framer.hpp>

#include "support/bytes.hpp"
#include "support/seed_corpus.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

using namespace std::literals;
using namespace pgasio::protocol;
using pgasio::test::to_bytes;
using pgasio::test::to_string;

namespace {

// A stream of three messages: ParseComplete, ReadyForQuery(I), CommandComplete("SELECT 1").
const auto stream = to_bytes("1\0\0\0\x04"
                             "Z\0\0\0\x05I"
                             "C\0\0\0\x0dSELECT 1\0"sv);

struct frame {
    char type;
    std::string body;
    bool operator==(const frame&) const = default;
};

// Feeds `bytes` to a framer `chunk` bytes at a time and collects every message.
std::vector<frame> feed(std::span<const std::byte> bytes, std::size_t chunk,
                        boost::system::error_code& ec,
                        std::size_t max = framer::default_max_message_size) {
    framer f(max);
    std::vector<frame> out;
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
        const auto n = std::min(chunk, bytes.size() - at);
        auto space = f.prepare(n);
        std::memcpy(space.data(), bytes.data() + at, n);
        f.commit(n);
        for (;;) {
            auto m = f.next();
            if (!m) {
                ec = m.error();
                return out;
            }
            if (!*m) break;
            out.push_back({static_cast<char>((*m)->type), to_string((*m)->body)});
        }
    }
    return out;
}

} // namespace

TEST_CASE("framer: whole messages come out whatever the chunking") {
    auto seed = to_bytes("\x03"sv); // fuzz_backend's first byte picks the chunk size
    seed.insert(seed.end(), stream.begin(), stream.end());
    pgasio::test::record_seed("fuzz_backend", seed);
    const std::vector<frame> expected{{'1', ""}, {'Z', "I"}, {'C', "SELECT 1\0"s}};
    for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5},
                              std::size_t{7}, stream.size()}) {
        INFO("chunk size " << chunk);
        boost::system::error_code ec;
        CHECK(feed(stream, chunk, ec) == expected);
        CHECK(!ec);
    }
}

TEST_CASE("framer: needs more bytes for a partial header or body") {
    framer f;
    auto space = f.prepare(3);
    std::memcpy(space.data(), "Z\0\0", 3);
    f.commit(3);
    auto m = f.next();
    REQUIRE(m.has_value());
    CHECK(!*m);
    space = f.prepare(2);
    std::memcpy(space.data(), "\0\x05", 2);
    f.commit(2);
    m = f.next();
    REQUIRE(m.has_value());
    CHECK(!*m); // header complete, body byte missing
    CHECK(f.buffered() == 5);
}

TEST_CASE("framer: malformed headers are errors, and the framer stays failed") {
    boost::system::error_code ec;
    SECTION("unknown type byte, seen before the length arrives") {
        feed(to_bytes("Q"sv), 1, ec);
        CHECK(ec == client_errc::unknown_message_type);
    }
    SECTION("length below 4") {
        feed(to_bytes("Z\0\0\0\x03"sv), 1, ec);
        CHECK(ec == client_errc::invalid_message_length);
    }
    SECTION("negative length") {
        feed(to_bytes("D\xff\xff\xff\xff"sv), 5, ec);
        CHECK(ec == client_errc::invalid_message_length);
    }
    SECTION("longer than the maximum: refused from the header, body never awaited") {
        const auto msgs = feed(to_bytes("D\0\0\x01\x05"sv), 5, ec, 256);
        CHECK(msgs.empty());
        CHECK(ec == client_errc::message_too_large);
    }
    SECTION("exactly the maximum is accepted") {
        std::string body(256, 'x');
        auto bytes = to_bytes("d\0\0\x01\x04"sv);
        auto more = to_bytes(body);
        bytes.insert(bytes.end(), more.begin(), more.end());
        const auto msgs = feed(bytes, 100, ec, 256);
        CHECK(!ec);
        REQUIRE(msgs.size() == 1);
        CHECK(msgs[0].body == body);
    }
    SECTION("after an error, next() keeps failing") {
        framer f;
        auto space = f.prepare(1);
        space[0] = std::byte{'!'};
        f.commit(1);
        CHECK(f.next().error() == client_errc::unknown_message_type);
        CHECK(f.next().error() == client_errc::unknown_message_type);
    }
}

TEST_CASE("framer: a huge announced length allocates nothing before the bytes arrive") {
    framer f; // default maximum: 1 GiB
    auto space = f.prepare(5);
    std::memcpy(space.data(), "D\x3f\xff\xff\xff", 5);
    f.commit(5);
    auto m = f.next();
    REQUIRE(m.has_value());
    CHECK(!*m);
    // The next prepare() asks only for what the caller wants to read, not for the 1 GiB body.
    CHECK(f.prepare(16).size() == 16);
}

TEST_CASE("framer: take_byte reads the unframed answer to SSLRequest") {
    framer f;
    auto space = f.prepare(6);
    std::memcpy(space.data(), "NZ\0\0\0\x05", 6);
    f.commit(6);
    CHECK(f.take_byte() == std::byte{'N'});
    CHECK(f.buffered() == 5);
    framer empty;
    CHECK(!empty.take_byte());
}

TEST_CASE("framer: the buffer is reused once messages are consumed") {
    framer f;
    for (int i = 0; i < 1000; ++i) {
        auto space = f.prepare(5);
        REQUIRE(space.size() >= 5);
        std::memcpy(space.data(), "1\0\0\0\x04", 5);
        f.commit(5);
        auto m = f.next();
        REQUIRE(m.has_value());
        REQUIRE(*m);
        CHECK((*m)->type == backend_message_type::parse_complete);
    }
    // Compaction keeps the buffer at one message plus one read, not 1000 messages.
    CHECK(f.prepare(5).size() <= 10);
}

TEST_CASE("framer: the buffer of one large message is given back once it is consumed") {
    framer f;
    // One 8 MiB CopyData message, then the framer is asked for room as a read loop would.
    constexpr std::size_t body = 8u << 20;
    auto space = f.prepare(5 + body);
    space[0] = std::byte{'d'};
    const auto length = static_cast<std::uint32_t>(4 + body);
    for (int i = 0; i < 4; ++i)
        space[static_cast<std::size_t>(1 + i)] = static_cast<std::byte>(length >> (24 - 8 * i));
    f.commit(5 + body);
    auto m = f.next();
    REQUIRE(m.has_value());
    REQUIRE(m->has_value());
    CHECK((*m)->body.size() == body);
    CHECK(f.capacity() >= 5 + body);
    f.prepare(64 * 1024);
    CHECK(f.capacity() < (1u << 20));
}
