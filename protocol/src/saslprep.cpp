#include <pgasio/protocol/auth/saslprep.hpp>
#include <pgasio/protocol/detail/saslprep.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <utility>

namespace pgasio::protocol::detail {
namespace {

#include "saslprep_tables.inc"

using table = std::span<const std::uint32_t>;

// Index of the last record (of `width` values, sorted by their first value) whose first value
// is <= c, or npos when there is none.
constexpr std::size_t npos = static_cast<std::size_t>(-1);
std::size_t last_at_or_below(table t, std::size_t width, std::uint32_t c) noexcept {
    std::size_t lo = 0, hi = t.size() / width; // answer in [lo - 1, hi - 1]
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (t[mid * width] <= c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? npos : lo - 1;
}

bool in_ranges(table pairs, std::uint32_t c) noexcept {
    const std::size_t i = last_at_or_below(pairs, 2, c);
    return i != npos && c <= pairs[2 * i + 1];
}

// Hangul syllables decompose and compose by arithmetic (Unicode §3.12).
constexpr std::uint32_t s_base = 0xAC00, l_base = 0x1100, v_base = 0x1161, t_base = 0x11A7;
constexpr std::uint32_t l_count = 19, v_count = 21, t_count = 28;
constexpr std::uint32_t n_count = v_count * t_count, s_count = l_count * n_count;

// Composition table indexes sorted by composite, for decomposing primary composites.
constexpr std::size_t composition_count = std::size(composition_triples) / 3;
static_assert(composition_count <= 0xFFFF, "indexes are 16-bit");
constexpr auto compositions_by_composite = [] {
    std::array<std::uint16_t, composition_count> index{};
    for (std::size_t i = 0; i < composition_count; ++i)
        index[i] = static_cast<std::uint16_t>(i);
    std::sort(index.begin(), index.end(), [](std::uint16_t a, std::uint16_t b) {
        return composition_triples[3 * a + 2] < composition_triples[3 * b + 2];
    });
    return index;
}();

// Appends the full compatibility decomposition of `c` to `out`. The tables hold one level of
// decomposition, so this recurses (a few levels at most: decompositions never cycle).
void decompose(std::uint32_t c, std::u32string& out) {
    if (c >= s_base && c < s_base + s_count) {
        const std::uint32_t s = c - s_base;
        out += static_cast<char32_t>(l_base + s / n_count);
        out += static_cast<char32_t>(v_base + s % n_count / t_count);
        if (s % t_count != 0) out += static_cast<char32_t>(t_base + s % t_count);
        return;
    }
    const auto by_composite = std::lower_bound(
        compositions_by_composite.begin(), compositions_by_composite.end(), c,
        [](std::uint16_t i, std::uint32_t v) { return composition_triples[3 * i + 2] < v; });
    if (by_composite != compositions_by_composite.end() &&
        composition_triples[3 * *by_composite + 2] == c) {
        decompose(composition_triples[3 * *by_composite], out);
        decompose(composition_triples[3 * *by_composite + 1], out);
        return;
    }
    if (const std::size_t r = last_at_or_below(single_decomposition_runs, 3, c);
        r != npos && c - single_decomposition_runs[3 * r] < single_decomposition_runs[3 * r + 1]) {
        decompose(single_decomposition_runs[3 * r + 2] + (c - single_decomposition_runs[3 * r]),
                  out);
        return;
    }
    if (const std::size_t s = last_at_or_below(single_decompositions, 2, c);
        s != npos && single_decompositions[2 * s] == c) {
        decompose(single_decompositions[2 * s + 1], out);
        return;
    }
    if (const std::size_t m = last_at_or_below(multi_decomposition_index, 2, c);
        m != npos && multi_decomposition_index[2 * m] == c) {
        for (std::uint32_t k = multi_decomposition_index[2 * m + 1];
             k < multi_decomposition_index[2 * m + 3]; ++k)
            decompose(multi_decomposition_data[k], out);
        return;
    }
    out += static_cast<char32_t>(c);
}

// The primary composite of `a` + `b`, or 0 when they do not compose.
std::uint32_t compose(std::uint32_t a, std::uint32_t b) noexcept {
    if (a >= l_base && a < l_base + l_count && b >= v_base && b < v_base + v_count)
        return s_base + ((a - l_base) * v_count + (b - v_base)) * t_count;
    if (a >= s_base && a < s_base + s_count && (a - s_base) % t_count == 0 && b > t_base &&
        b < t_base + t_count)
        return a + (b - t_base);
    std::size_t lo = 0, hi = composition_count;
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        const std::uint32_t first = composition_triples[3 * mid];
        const std::uint32_t second = composition_triples[3 * mid + 1];
        if (first == a && second == b) return composition_triples[3 * mid + 2];
        if (first < a || (first == a && second < b))
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

// A u32string that wipes its buffer when it goes away: it holds password characters.
struct wiped_u32string {
    std::u32string value;
    wiped_u32string() = default;
    wiped_u32string(const wiped_u32string&) = delete;
    wiped_u32string& operator=(const wiped_u32string&) = delete;
    ~wiped_u32string() { OPENSSL_cleanse(value.data(), value.capacity() * sizeof(char32_t)); }
};

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF), as PostgreSQL's
// pg_utf8_islegal. False on any invalid sequence.
bool utf8_decode(std::string_view in, std::u32string& out) {
    out.reserve(in.size());
    std::size_t i = 0;
    while (i < in.size()) {
        const auto b0 = static_cast<unsigned char>(in[i]);
        std::size_t len = 0;
        std::uint32_t c = 0, min = 0;
        if (b0 < 0x80) {
            len = 1;
            c = b0;
        } else if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2;
            c = b0 & 0x1Fu;
            min = 0x80;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3;
            c = b0 & 0x0Fu;
            min = 0x800;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4;
            c = b0 & 0x07u;
            min = 0x10000;
        } else {
            return false;
        }
        if (in.size() - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(in[i + k]);
            if ((b & 0xC0) != 0x80) return false;
            c = c << 6 | (b & 0x3Fu);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
        out += static_cast<char32_t>(c);
        i += len;
    }
    return true;
}

void utf8_encode(char32_t cp, std::string& out) {
    const auto c = static_cast<std::uint32_t>(cp);
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | c >> 6);
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | c >> 12);
        out += static_cast<char>(0x80 | (c >> 6 & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | c >> 18);
        out += static_cast<char>(0x80 | (c >> 12 & 0x3F));
        out += static_cast<char>(0x80 | (c >> 6 & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

} // namespace

bool is_non_ascii_space(char32_t c) noexcept {
    return in_ranges(non_ascii_space_ranges, c);
}
bool is_mapped_to_nothing(char32_t c) noexcept {
    return in_ranges(mapped_to_nothing_ranges, c);
}
bool is_prohibited(char32_t c) noexcept {
    return in_ranges(prohibited_ranges, c);
}
bool is_unassigned(char32_t c) noexcept {
    return in_ranges(unassigned_ranges, c);
}
bool is_rand_al_cat(char32_t c) noexcept {
    return in_ranges(rand_al_cat_ranges, c);
}
bool is_l_cat(char32_t c) noexcept {
    return in_ranges(l_cat_ranges, c);
}

std::uint8_t combining_class(char32_t c) noexcept {
    const std::size_t i = last_at_or_below(combining_class_ranges, 3, c);
    if (i == npos || c > combining_class_ranges[3 * i + 1]) return 0;
    return static_cast<std::uint8_t>(combining_class_ranges[3 * i + 2]);
}

void nfkc(std::u32string& text) {
    wiped_u32string decomposed;
    decomposed.value.reserve(text.size() * max_decomposition_length);
    for (char32_t c : text)
        decompose(c, decomposed.value);
    std::u32string& s = decomposed.value;

    // Canonical ordering: a stable sort by combining class of each run of non-starters.
    for (std::size_t i = 1; i < s.size(); ++i) {
        const std::uint8_t cc = combining_class(s[i]);
        if (cc == 0) continue;
        for (std::size_t j = i; j > 0; --j) {
            const std::uint8_t prev = combining_class(s[j - 1]);
            if (prev == 0 || prev <= cc) break;
            std::swap(s[j - 1], s[j]);
        }
    }

    // Canonical composition (UAX #15 §1.3): each character joins the last starter unless a
    // character of the same or higher class (or a starter) stands between them.
    if (!s.empty()) {
        // `starter` is npos while the string has not had a starter yet (it began with marks).
        std::size_t starter = combining_class(s[0]) == 0 ? 0 : npos, out = 1;
        int last_class = combining_class(s[0]);
        for (std::size_t i = 1; i < s.size(); ++i) {
            const char32_t c = s[i];
            const int cc = combining_class(c);
            if (starter != npos && (last_class == 0 || last_class < cc)) {
                if (const std::uint32_t composite = compose(s[starter], c); composite != 0) {
                    s[starter] = static_cast<char32_t>(composite);
                    continue;
                }
            }
            if (cc == 0) starter = out;
            last_class = cc;
            s[out++] = c;
        }
        s.resize(out);
    }
    OPENSSL_cleanse(text.data(), text.capacity() * sizeof(char32_t));
    text.assign(s);
}

saslprep_status pg_saslprep(std::string_view input, std::string& output) {
    // ASCII needs no preparation: PostgreSQL returns it as is, control characters included.
    if (std::all_of(input.begin(), input.end(),
                    [](char ch) { return static_cast<unsigned char>(ch) < 0x80; })) {
        output.assign(input);
        return saslprep_status::success;
    }
    wiped_u32string chars;
    if (!utf8_decode(input, chars.value)) return saslprep_status::invalid_utf8;

    // 1) Map: non-ASCII spaces to U+0020, "commonly mapped to nothing" removed.
    std::u32string& mapped = chars.value;
    std::size_t n = 0;
    for (char32_t c : mapped) {
        if (is_non_ascii_space(c))
            mapped[n++] = U' ';
        else if (!is_mapped_to_nothing(c))
            mapped[n++] = c;
    }
    mapped.resize(n);
    if (mapped.empty()) return saslprep_status::prohibited; // no empty password

    // 3) Prohibit and 4) bidi. PostgreSQL runs both on the mapped string, before normalising
    // (step 2); doing the same keeps our salted password equal to the server's.
    for (char32_t c : mapped)
        if (is_prohibited(c) || is_unassigned(c)) return saslprep_status::prohibited;
    if (std::any_of(mapped.begin(), mapped.end(), is_rand_al_cat)) {
        if (std::any_of(mapped.begin(), mapped.end(), is_l_cat)) return saslprep_status::prohibited;
        if (!is_rand_al_cat(mapped.front()) || !is_rand_al_cat(mapped.back()))
            return saslprep_status::prohibited;
    }

    // 2) Normalise (NFKC), then back to UTF-8.
    nfkc(mapped);
    std::string result;
    result.reserve(mapped.size() * 4);
    for (char32_t c : mapped)
        utf8_encode(c, result);
    OPENSSL_cleanse(output.data(), output.size());
    output = std::move(result);
    return saslprep_status::success;
}

} // namespace pgasio::protocol::detail

namespace pgasio::protocol {

std::string saslprep(std::string_view password) {
    std::string out;
    if (detail::pg_saslprep(password, out) != detail::saslprep_status::success)
        out.assign(password);
    return out;
}

} // namespace pgasio::protocol
