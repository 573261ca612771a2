// The COPY workloads of ../shared/BENCHMARKS.md (W4-text, W4-bin, W4-out): the table, its rows
// and the checks both clients apply, so that pgasio and libpq do exactly the same work.
#pragma once

#include "workloads.hpp"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>

namespace pgasio::bench {

/// The table W4-text and W4-bin fill (truncated first) and W4-out reads.
inline constexpr const char* w4_create_sql =
    "CREATE UNLOGGED TABLE IF NOT EXISTS w4 (a int8, b text, c float8)";
inline constexpr const char* w4_truncate_sql = "TRUNCATE w4";
inline constexpr const char* w4_copy_in_text_sql = "COPY w4 (a, b, c) FROM STDIN";
inline constexpr const char* w4_copy_in_binary_sql = "COPY w4 (a, b, c) FROM STDIN (FORMAT binary)";
inline constexpr const char* w4_copy_out_binary_sql = "COPY w4 (a, b, c) TO STDOUT (FORMAT binary)";
/// What the server computes of the table after a COPY in, to check it.
inline constexpr const char* w4_totals_sql =
    "SELECT count(*), sum(a)::int8, sum(length(b))::int8, sum(c) FROM w4";

/// Rows copied: row i = (i, 'row-' + i zero-padded to 16 digits, i + 0.25), i = 1..w4_rows.
inline constexpr std::int64_t w4_rows = 1'000'000;
/// The length of every b: "row-" and 16 digits.
inline constexpr std::int64_t w4_b_length = 20;
/// Bytes gathered before one CopyData is sent (libpq's PQputCopyData chunks; pgasio's writer
/// uses its own chunk_bytes, the same size).
inline constexpr std::size_t w4_chunk_bytes = 64 * 1024;

/// b of row i: "row-" and i zero-padded to 16 digits, written to `out` (at least 21 bytes, with
/// its NUL); returns the length, w4_b_length.
inline int w4_b_of(std::int64_t i, char* out) {
    return std::snprintf(out, 21, "row-%016lld", static_cast<long long>(i));
}

/// c of row i.
constexpr double w4_c_of(std::int64_t i) {
    return static_cast<double>(i) + 0.25;
}

/// The longest text-format line of a W4 row (w4_text_line): a and c of up to 24 characters each,
/// b, two tabs and a newline.
inline constexpr std::size_t w4_text_line_max =
    24 + 1 + static_cast<std::size_t>(w4_b_length) + 1 + 24 + 1;

/// Row i as a line of COPY's text format ("a\tb\tc\n"), written to `out` (at least
/// w4_text_line_max bytes); returns its length. Both clients format their W4-text lines with it.
inline std::size_t w4_text_line(std::int64_t i, char* out) {
    char* p = std::to_chars(out, out + 24, i).ptr;
    *p++ = '\t';
    p += w4_b_of(i, p); // its NUL lands where the tab goes
    *p++ = '\t';
    p = std::to_chars(p, p + 24, w4_c_of(i)).ptr;
    *p++ = '\n';
    return static_cast<std::size_t>(p - out);
}

/// What was counted of the W4 rows (by the server after a COPY in, by the client after W4-out).
struct w4_totals {
    std::int64_t rows = 0;
    std::int64_t sum_a = 0;
    std::int64_t b_lengths = 0;
    double sum_c = 0;
};

/// Checks W4's totals; prints what is wrong and returns false when a check fails.
inline bool check_w4(const w4_totals& t, std::int64_t n = w4_rows) {
    bool ok = true;
    auto fail = [&](const char* what, double got, double want) {
        std::fprintf(stderr, "W4 check failed: %s is %.17g, expected %.17g\n", what, got, want);
        ok = false;
    };
    if (t.rows != n) fail("row count", static_cast<double>(t.rows), static_cast<double>(n));
    if (t.sum_a != sum_to(n))
        fail("sum of a", static_cast<double>(t.sum_a), static_cast<double>(sum_to(n)));
    if (t.b_lengths != w4_b_length * n)
        fail("sum of b lengths", static_cast<double>(t.b_lengths),
             static_cast<double>(w4_b_length * n));
    // Every c is a multiple of 0.25 and their sum stays below 2^52: the sum is exact.
    const double want_c = static_cast<double>(sum_to(n)) + 0.25 * static_cast<double>(n);
    if (t.sum_c != want_c) fail("sum of c", t.sum_c, want_c);
    return ok;
}

} // namespace pgasio::bench
