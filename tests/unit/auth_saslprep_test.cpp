#include <pgasio/protocol/auth/saslprep.hpp>
#include <pgasio/protocol/detail/saslprep.hpp>

#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

#include "saslprep_nfkc_reference.inc"

} // namespace

using namespace std::literals;
using pgasio::protocol::saslprep;
using pgasio::protocol::detail::pg_saslprep;
using pgasio::protocol::detail::saslprep_status;
namespace detail = pgasio::protocol::detail;

namespace {

saslprep_status status_of(std::string_view in) {
    std::string out;
    return pg_saslprep(in, out);
}

} // namespace

TEST_CASE("SASLprep: the examples of RFC 4013 section 3") {
    CHECK(saslprep("I\xc2\xad"
                   "X") == "IX");            // SOFT HYPHEN mapped to nothing
    CHECK(saslprep("user") == "user");       // no transformation
    CHECK(saslprep("USER") == "USER");       // case preserved
    CHECK(saslprep("\xc2\xaa") == "a");      // U+00AA: NFKC to "a"
    CHECK(saslprep("\xe2\x85\xa8") == "IX"); // U+2168 ROMAN NUMERAL NINE: NFKC to "IX"
    CHECK(saslprep("\x07") == "\x07");       // prohibited, so the raw password is used
    CHECK(saslprep("\xd8\xa7"
                   "1") == "\xd8\xa7"
                           "1"); // U+0627 U+0031: bidi violation, raw

    std::string out;
    CHECK(pg_saslprep("I\xc2\xad"
                      "X",
                      out) == saslprep_status::success);
    CHECK(out == "IX");
    CHECK(status_of("\xd8\xa7"
                    "1") == saslprep_status::prohibited);
}

TEST_CASE("SASLprep: ASCII is used as is, control characters included (PostgreSQL's fast path)") {
    std::string out;
    CHECK(pg_saslprep("\x07pass\x7f word\x1b", out) == saslprep_status::success);
    CHECK(out == "\x07pass\x7f word\x1b");
    CHECK(pg_saslprep("", out) == saslprep_status::success);
    CHECK(out.empty());
}

TEST_CASE("SASLprep: an ASCII control character in a non-ASCII password is prohibited") {
    CHECK(status_of("caf\xc3\xa9\x07") == saslprep_status::prohibited);
    CHECK(saslprep("caf\xc3\xa9\x07") == "caf\xc3\xa9\x07");
    CHECK(status_of("caf\xc3\xa9\x7f") == saslprep_status::prohibited);
    CHECK(saslprep("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("SASLprep: mapping") {
    // U+00A0 NO-BREAK SPACE and U+3000 IDEOGRAPHIC SPACE become U+0020.
    CHECK(saslprep("a\xc2\xa0"
                   "b\xe3\x80\x80"
                   "c") == "a b c");
    // U+200B ZERO WIDTH SPACE is in both C.1.2 and B.1: PostgreSQL maps it to a space first.
    CHECK(saslprep("a\xe2\x80\x8b"
                   "b\xc3\xa9") == "a b\xc3\xa9");
    // U+FEFF and variation selectors vanish.
    CHECK(saslprep("\xef\xbb\xbf"
                   "ab\xef\xb8\x8f\xc3\xa9") == "ab\xc3\xa9");
    // Only mapped-to-nothing characters: empty after mapping, so prohibited and raw.
    CHECK(status_of("\xc2\xad\xc2\xad") == saslprep_status::prohibited);
    CHECK(saslprep("\xc2\xad\xc2\xad") == "\xc2\xad\xc2\xad");
}

TEST_CASE("SASLprep: NFKC normalisation") {
    CHECK(saslprep("\xef\xac\x81") == "fi");             // U+FB01 LATIN SMALL LIGATURE FI
    CHECK(saslprep("e\xcc\x81") == "\xc3\xa9");          // e + U+0301 composes to U+00E9
    CHECK(saslprep("\xef\xbc\xa1\xef\xbd\x82") == "Ab"); // fullwidth letters
    CHECK(saslprep("\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8") == "\xea\xb0\x81"); // jamo to U+AC01
    CHECK(saslprep("\xea\xb0\x81") == "\xea\xb0\x81"); // a syllable stays composed
    // U+1E9B U+0323: compatibility decomposition, reordering, recomposition to U+1E69.
    CHECK(saslprep("\xe1\xba\x9b\xcc\xa3") == "\xe1\xb9\xa9");
    // a + U+0302 + U+0323: marks reordered by class, then composed to U+1EAD.
    CHECK(saslprep("a\xcc\x82\xcc\xa3") == "\xe1\xba\xad");
    // U+0344 decomposes to two marks and never recomposes (composition exclusion).
    CHECK(saslprep("\xcd\x84") == "\xcc\x88\xcc\x81");
    // A leading combining mark stays as it is.
    CHECK(saslprep("\xcc\x81"
                   "e") == "\xcc\x81"
                           "e");
}

TEST_CASE("SASLprep: prohibited and unassigned code points make PostgreSQL use the raw bytes") {
    for (std::string_view raw : {
             "\xee\x80\x80"sv,      // U+E000 private use
             "a\xe2\x80\xa8"sv,     // U+2028 LINE SEPARATOR
             "\xef\xbf\xbd\x00"sv,  // U+0000 (after a non-ASCII character)
             "a\xf3\xa0\x80\x81"sv, // U+E0001 LANGUAGE TAG
             "\xc8\xa1"sv,          // U+0221: unassigned in Unicode 3.2
             "\xf0\x9f\x98\x80"sv,  // U+1F600: unassigned in Unicode 3.2
             "\xc2\x80x"sv,         // U+0080 non-ASCII control
         }) {
        INFO(std::string(raw));
        CHECK(status_of(raw) == saslprep_status::prohibited);
        CHECK(saslprep(raw) == raw);
    }
}

TEST_CASE("SASLprep: the bidirectional rule") {
    // Right-to-left only, with a number in the middle: fine.
    CHECK(status_of("\xd8\xa7"
                    "1\xd8\xa8") == saslprep_status::success);
    // Right-to-left and a left-to-right letter: prohibited.
    CHECK(status_of("\xd7\x90"
                    "a\xd7\x90") == saslprep_status::prohibited);
    // Does not end with a right-to-left character: prohibited.
    CHECK(status_of("1\xd8\xa7") == saslprep_status::prohibited);
    // PostgreSQL checks the mapped string before NFKC: U+2135 ALEF SYMBOL is left-to-right,
    // although it normalises to U+05D0 HEBREW LETTER ALEF. So U+05D0 U+2135 is refused
    // (checking after NFKC would have accepted U+05D0 U+05D0)...
    CHECK(status_of("\xd7\x90\xe2\x84\xb5") == saslprep_status::prohibited);
    CHECK(saslprep("\xd7\x90\xe2\x84\xb5") == "\xd7\x90\xe2\x84\xb5");
    // ... while U+2135 alone is accepted and normalised.
    CHECK(saslprep("\xe2\x84\xb5") == "\xd7\x90");
}

TEST_CASE("SASLprep: invalid UTF-8 is used as raw bytes") {
    for (std::string_view raw : {
             "\xff"sv,             // never valid
             "a\xc3"sv,            // truncated sequence
             "\xc0\x80"sv,         // overlong NUL
             "\xe0\x80\xaf"sv,     // overlong '/'
             "\xed\xa0\x80"sv,     // UTF-16 surrogate
             "\xf4\x90\x80\x80"sv, // above U+10FFFF
             "\xc3\xa9\x80"sv,     // stray continuation byte
         }) {
        INFO(std::string(raw));
        CHECK(status_of(raw) == saslprep_status::invalid_utf8);
        CHECK(saslprep(raw) == raw);
    }
}

TEST_CASE("SASLprep tables agree with RFC 3454 at their edges") {
    CHECK(detail::is_non_ascii_space(0x00A0));
    CHECK_FALSE(detail::is_non_ascii_space(0x0020));
    CHECK(detail::is_mapped_to_nothing(0x00AD));
    CHECK(detail::is_mapped_to_nothing(0xFE0F));
    CHECK_FALSE(detail::is_mapped_to_nothing(0xFE10));
    CHECK(detail::is_prohibited(0x0000));
    CHECK(detail::is_prohibited(0x001F));
    CHECK_FALSE(detail::is_prohibited(0x0020));
    CHECK(detail::is_prohibited(0x10FFFF));
    CHECK(detail::is_unassigned(0x0221));
    CHECK_FALSE(detail::is_unassigned(0x0220));
    CHECK(detail::is_rand_al_cat(0x05D0));
    CHECK(detail::is_l_cat(0x0041));
    CHECK_FALSE(detail::is_l_cat(0x0031));
    CHECK(detail::combining_class(0x0301) == 230);
    CHECK(detail::combining_class(0x0323) == 220);
    CHECK(detail::combining_class(0x0041) == 0);
}

namespace {

void put_u32(EVP_MD_CTX* ctx, std::uint32_t v) {
    const unsigned char b[4] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
                                static_cast<unsigned char>(v >> 16),
                                static_cast<unsigned char>(v >> 24)};
    EVP_DigestUpdate(ctx, b, sizeof b);
}

bool is_candidate(std::uint32_t c) {
    return !(c >= 0xD800 && c <= 0xDFFF) && !detail::is_unassigned(c) &&
           !detail::is_prohibited(c) && !detail::is_mapped_to_nothing(c);
}

} // namespace

// The generator hashed Python's NFKC of every code point that pg_saslprep can normalise, alone,
// and of pseudo-random strings from code points that take part in normalisation; this computes
// the same hash with our NFKC. Any single difference changes it.
TEST_CASE("NFKC matches Python's unicodedata on its whole domain") {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    REQUIRE(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1);
    const auto record = [&](const std::u32string& in) {
        std::u32string out = in;
        detail::nfkc(out);
        for (char32_t c : in)
            put_u32(ctx.get(), c);
        put_u32(ctx.get(), 0xFFFFFFFE);
        for (char32_t c : out)
            put_u32(ctx.get(), c);
        put_u32(ctx.get(), 0xFFFFFFFF);
    };
    std::size_t candidates = 0;
    for (std::uint32_t c = 0; c < 0x110000; ++c) {
        if (!is_candidate(c)) continue;
        ++candidates;
        record(std::u32string(1, static_cast<char32_t>(c)));
    }
    CHECK(candidates == nfkc_reference_candidates);

    std::vector<char32_t> pool;
    for (const auto& [lo, hi] : nfkc_reference_pool_ranges)
        for (std::uint32_t c = lo; c <= hi; ++c)
            if (is_candidate(c)) pool.push_back(static_cast<char32_t>(c));
    CHECK(pool.size() == nfkc_reference_pool);
    std::uint32_t state = 1;
    const auto next = [&] { return state = state * 1664525u + 1013904223u; };
    for (std::size_t i = 0; i < nfkc_reference_strings; ++i) {
        const std::size_t length = 1 + (next() >> 8) % 6;
        std::u32string s;
        for (std::size_t k = 0; k < length; ++k)
            s += pool[(next() >> 8) % pool.size()];
        record(s);
    }

    unsigned char digest[32];
    unsigned int len = 0;
    REQUIRE(EVP_DigestFinal_ex(ctx.get(), digest, &len) == 1);
    std::string hex;
    for (unsigned char b : digest) {
        constexpr char digits[] = "0123456789abcdef";
        hex += digits[b >> 4];
        hex += digits[b & 0x0F];
    }
    CHECK(hex == nfkc_reference_sha256);
}
