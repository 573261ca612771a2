#include <pgasio/params.hpp>

#include <pgasio/protocol/copy_binary.hpp>
#include <pgasio/protocol/error.hpp>

#include "support/bytes.hpp"
#include "support/seed_corpus.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace std::literals;
using namespace pgasio;
using pgasio::test::to_bytes;
using pgasio::test::to_string;
using protocol::binary_copy_decoder;
using protocol::client_errc;

namespace {

constexpr std::string_view header = "PGCOPY\n\xff\r\n\0"
                                    "\0\0\0\0"
                                    "\0\0\0\0"sv;
// Two rows of (int4, text): (1, "ab") and (NULL, ""), then the trailer.
constexpr std::string_view rows = "\0\x02"
                                  "\0\0\0\x04\0\0\0\x01"
                                  "\0\0\0\x02"
                                  "ab"
                                  "\0\x02"
                                  "\xff\xff\xff\xff"
                                  "\0\0\0\0"
                                  "\xff\xff"sv;

// Decodes `data` handed over in pieces of `piece` bytes, as a reader keeps what a piece leaves
// unconsumed; returns the tuples, or the error with the decoder's reason.
struct decoded {
    std::vector<std::string> tuples;
    boost::system::error_code ec;
    std::string reason;
};
decoded decode(std::string_view data, std::size_t columns, std::size_t piece) {
    decoded out;
    binary_copy_decoder dec(columns);
    std::string pending;
    for (std::size_t at = 0; at < data.size(); at += piece) {
        pending += data.substr(at, piece);
        const auto bytes = to_bytes(pending);
        std::size_t used = 0;
        for (;;) {
            auto step = dec.next(std::span(bytes).subspan(used));
            if (!step) {
                out.ec = step.error();
                out.reason = dec.reason();
                return out;
            }
            used += step->consumed;
            if (step->what != binary_copy_decoder::row) break;
            out.tuples.push_back(to_string(step->tuple));
        }
        pending.erase(0, used);
    }
    out.ec = dec.finish(pending.size());
    out.reason = dec.reason();
    return out;
}

} // namespace

TEST_CASE("copy binary codec: rows encoded with the parameters' encoders") {
    protocol::write_buffer buf;
    protocol::encode_binary_copy_header(buf);
    protocol::binary_copy_row_writer first(buf, 2);
    detail::write_params(first, std::int32_t{1}, "ab");
    REQUIRE(!first.finish());
    protocol::binary_copy_row_writer second(buf, 2);
    detail::write_params(second, std::optional<std::int32_t>(), std::string());
    REQUIRE(!second.finish());
    protocol::encode_binary_copy_trailer(buf);
    CHECK(to_string(buf.data()) == std::string(header) + std::string(rows));

    SECTION("a row with too few or too many values is removed whole") {
        const std::size_t before = buf.size();
        protocol::binary_copy_row_writer short_row(buf, 2);
        detail::write_params(short_row, std::int32_t{1});
        CHECK(short_row.finish() == client_errc::parameter_count_mismatch);
        CHECK(buf.size() == before);
        protocol::binary_copy_row_writer long_row(buf, 1);
        detail::write_params(long_row, std::int32_t{1}, std::int32_t{2});
        CHECK(long_row.finish() == client_errc::parameter_count_mismatch);
        CHECK(buf.size() == before);
    }
    SECTION("an encoder's error removes the row") {
        const std::size_t before = buf.size();
        protocol::binary_copy_row_writer row(buf, 1);
        // A jsonb text holding a NUL cannot be sent (the server refuses it).
        detail::write_params(row, protocol::jsonb{"a\0b"s});
        CHECK(row.finish() == client_errc::embedded_nul);
        CHECK(buf.size() == before);
    }
    SECTION("a value of a type known only by its text has no binary field: the row is removed") {
        const std::size_t before = buf.size();
        protocol::binary_copy_row_writer row(buf, 2);
        const pgasio::value mood = pgasio::value::of_type(16400, pgasio::other_type_text{"ok"});
        detail::write_params(row, std::int32_t{1}, mood);
        CHECK(row.finish() == client_errc::type_mismatch);
        CHECK(buf.size() == before);
    }
}

TEST_CASE("copy binary codec: tuples split out, whatever the pieces the data comes in") {
    const std::string data = std::string(header) + std::string(rows);
    // The fuzz target's first two bytes choose the column count (2) and the piece size (8).
    pgasio::test::record_seed("fuzz_copy_binary", to_bytes("\x02\x07"s + data));
    for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{7}, data.size()}) {
        INFO("pieces of " << piece);
        const decoded d = decode(data, 2, piece);
        REQUIRE(!d.ec);
        REQUIRE(d.tuples.size() == 2);
        CHECK(d.tuples[0] == std::string(rows.substr(0, 16)));
        CHECK(d.tuples[1] == std::string(rows.substr(16, 10)));
    }
    // A header extension is skipped; compatible flags (bits 17-31) are ignored.
    const std::string extended = "PGCOPY\n\xff\r\n\0"
                                 "\x80\0\0\0"
                                 "\0\0\0\x03xyz"s +
                                 std::string(rows);
    const decoded d = decode(extended, 2, 5);
    CHECK(!d.ec);
    CHECK(d.tuples.size() == 2);
}

TEST_CASE("copy binary codec: malformed data fails with a reason, never reads past the end") {
    const std::string good = std::string(header) + std::string(rows);
    auto fails = [](const std::string& data, std::size_t columns, std::string_view why) {
        INFO(why);
        for (std::size_t piece : {std::size_t{1}, std::size_t{3}, data.size() + 1}) {
            const decoded d = decode(data, columns, piece);
            CHECK(d.ec == client_errc::invalid_copy_data);
            CHECK(d.reason.find(why) != std::string::npos);
        }
    };
    fails("PGCOPX" + good.substr(6), 2, "signature");
    fails("COPY 1\n", 2, "signature");
    // OIDs included (bit 16), and an unknown incompatible flag (bit 0).
    fails(good.substr(0, 11) + "\0\x01\0\0"s + good.substr(15), 2, "flags 65536");
    fails(good.substr(0, 11) + "\0\0\0\x01"s + good.substr(15), 2, "flags 1");
    fails(good.substr(0, 15) + "\xff\xff\xff\xff"s + good.substr(19), 2, "negative extension");
    fails(good, 3, "row 1 of the binary COPY data has 2 fields, where 3 columns");
    // A field length below -1, in row 2.
    std::string bad_length = good;
    bad_length[19 + 16 + 2 + 3] = '\xfe';
    fails(bad_length, 2, "row 2 of the binary COPY data has a field of length -2");
    // Truncated: inside a field, inside the header, and no trailer.
    fails(good.substr(0, 19 + 15), 2, "ends inside row 1");
    fails(good.substr(0, 12), 2, "ends inside its header");
    fails(good.substr(0, good.size() - 2), 2, "without its trailer");
    fails("", 2, "ends before its header");
    fails(good + "x", 2, "1 bytes follow the binary COPY trailer");
}
