#!/usr/bin/env python3
"""Generates the Unicode tables of pgasio's SASLprep (protocol/src/saslprep_tables.inc) and the
reference digest its unit test compares against (tests/unit/saslprep_nfkc_reference.inc).

Run from the repository root: python3 tools/unicode/gen_saslprep_tables.py
The output is generated, never hand-edited: change this script and run it again.

Data sources, both from Python's standard library (no download):
- stringprep (RFC 3454 tables, Unicode 3.2): the SASLprep (RFC 4013) mapping, prohibited-output,
  unassigned and bidirectional tables, the same tables PostgreSQL's src/common/saslprep.c uses.
- unicodedata (the interpreter's Unicode version): NFKC normalisation data.

Why the NFKC tables can be small: PostgreSQL checks for prohibited and unassigned (in Unicode 3.2)
code points on the mapped input, and falls back to the raw password when it finds one. So NFKC only
ever runs on code points assigned in Unicode 3.2 that are neither prohibited nor mapped; the tables
cover exactly those ("candidates"). By Unicode's normalisation stability policy the NFKC of such
strings is the same in every later Unicode version, so the result matches any PostgreSQL release.
"""

import hashlib
import stringprep as sp
import struct
import sys
import unicodedata as ud
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLES = ROOT / "protocol/src/saslprep_tables.inc"
REFERENCE = ROOT / "tests/unit/saslprep_nfkc_reference.inc"

MAX_CP = 0x110000
HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3


def prohibited(ch):
    return any(t(ch) for t in (sp.in_table_c12, sp.in_table_c21, sp.in_table_c22, sp.in_table_c3,
                               sp.in_table_c4, sp.in_table_c5, sp.in_table_c6, sp.in_table_c7,
                               sp.in_table_c8, sp.in_table_c9))


def ranges(pred):
    out = []
    for c in range(MAX_CP):
        if 0xD800 <= c <= 0xDFFF or not pred(chr(c)):
            continue
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def candidate(c):
    if 0xD800 <= c <= 0xDFFF:
        return False
    ch = chr(c)
    return not (sp.in_table_a1(ch) or prohibited(ch) or sp.in_table_b1(ch))


def emit_array(out, name, ctype, values, per_line=12):
    out.append(f"inline constexpr {ctype} {name}[] = {{")
    for i in range(0, len(values), per_line):
        out.append("    " + ", ".join(hex(v) for v in values[i:i + per_line]) + ",")
    out.append("};")
    out.append("")


def main():
    candidates = [c for c in range(MAX_CP) if candidate(c)]
    cand_set = set(candidates)

    # Canonical compositions (primary composites, Hangul excepted): the pairs NFC recomposes.
    # Decomposing a composite goes through the same table (looked up by composite).
    pairs = {}
    for c in range(MAX_CP):
        d = ud.decomposition(chr(c))
        if d and not d.startswith("<"):
            parts = [int(x, 16) for x in d.split()]
            if len(parts) == 2 and ud.normalize("NFC", chr(parts[0]) + chr(parts[1])) == chr(c):
                pairs[c] = parts

    # One-level decompositions (canonical or compatibility, as UnicodeData lists them) of every
    # code point NFKC can meet: the candidates and, recursively, what they decompose to. The C++
    # side expands them recursively.
    reachable, stack, other = set(), list(candidates), {}
    while stack:
        c = stack.pop()
        if c in reachable:
            continue
        reachable.add(c)
        d = ud.decomposition(chr(c))
        if not d or HANGUL_FIRST <= c <= HANGUL_LAST:
            continue
        parts = [int(x, 16) for x in d.split() if not x.startswith("<")]
        if c not in pairs:
            other[c] = parts
        stack += parts
    singles = sorted((c, d[0]) for c, d in other.items() if len(d) == 1)
    runs = []  # [first, count, first_target]: consecutive code points mapping to consecutive ones
    for c, t in singles:
        if runs and runs[-1][0] + runs[-1][1] == c and runs[-1][2] + runs[-1][1] == t:
            runs[-1][1] += 1
        else:
            runs.append([c, 1, t])
    lone = [(r[0], r[2]) for r in runs if r[1] == 1]
    runs = [r for r in runs if r[1] > 1]
    multi = sorted((c, d) for c, d in other.items() if len(d) > 1)
    multi_index, multi_data = [], []
    for c, d in multi:
        multi_index += [c, len(multi_data)]
        multi_data += d
    multi_index += [MAX_CP, len(multi_data)]  # sentinel: the last entry's end

    ccc = []  # [first, last, class]
    for c in sorted(reachable):
        k = ud.combining(chr(c))
        if not k:
            continue
        if ccc and ccc[-1][1] == c - 1 and ccc[-1][2] == k:
            ccc[-1][1] = c
        else:
            ccc.append([c, c, k])

    triples = []
    for c, (first, second) in sorted(pairs.items(), key=lambda kv: kv[1]):
        if first in reachable and second in reachable:
            if ud.ucd_3_2_0.category(chr(c)) == "Cn":
                sys.exit(f"composite U+{c:04X} postdates Unicode 3.2: stability assumption broken")
            triples += [first, second, c]

    out = [
        "// Generated by tools/unicode/gen_saslprep_tables.py from Python's stringprep (RFC 3454,",
        f"// Unicode 3.2) and unicodedata (Unicode {ud.unidata_version}). Do not edit: run the script.",
        "// Included by protocol/src/saslprep.cpp only.",
        "",
    ]
    stringprep_tables = [
        ("non_ascii_space_ranges", sp.in_table_c12),
        ("mapped_to_nothing_ranges", sp.in_table_b1),
        ("prohibited_ranges", prohibited),
        ("unassigned_ranges", sp.in_table_a1),
        ("rand_al_cat_ranges", sp.in_table_d1),
        ("l_cat_ranges", sp.in_table_d2),
    ]
    for name, pred in stringprep_tables:
        out.append(f"// RFC 3454 table for {name}: pairs of first, last code point.")
        emit_array(out, name, "std::uint32_t", [v for r in ranges(pred) for v in r])
    longest = max(len(ud.normalize("NFKD", chr(c))) for c in candidates)
    out.append("// The longest full decomposition of one code point (buffers reserve it: no reallocation")
    out.append("// leaves an unwiped copy of a password behind).")
    out.append(f"inline constexpr std::size_t max_decomposition_length = {longest};")
    out.append("")
    out.append("// Canonical combining classes: triples of first, last code point, class.")
    emit_array(out, "combining_class_ranges", "std::uint32_t", [v for r in ccc for v in r])
    out.append("// Canonical compositions (also the canonical decompositions of their composites):")
    out.append("// triples of first, second, composite, sorted by first then second.")
    emit_array(out, "composition_triples", "std::uint32_t", triples)
    out.append("// Other one-level decompositions to one code point, as runs: triples of first code point,")
    out.append("// count, first target (first + i maps to target + i)...")
    emit_array(out, "single_decomposition_runs", "std::uint32_t", [v for r in runs for v in r])
    out.append("// ... and the isolated ones: pairs of code point, target.")
    emit_array(out, "single_decompositions", "std::uint32_t", [v for p in lone for v in p])
    out.append("// Other one-level decompositions to several code points: pairs of code point, offset into")
    out.append("// multi_decomposition_data; the next pair's offset ends it (a sentinel pair closes).")
    emit_array(out, "multi_decomposition_index", "std::uint32_t", multi_index)
    emit_array(out, "multi_decomposition_data", "std::uint32_t", multi_data)
    TABLES.write_text("\n".join(out))

    # Reference digest for the unit test: NFKC, per Python, of (a) every candidate alone and
    # (b) pseudo-random strings from a pool of code points that take part in normalisation.
    pool_ranges = [(0x41, 0x5A), (0x61, 0x7A), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x4FF),
                   (0x900, 0x97F), (0xE00, 0xFFF), (0x1100, 0x11FF), (0x1E00, 0x1FFF),
                   (0x2000, 0x24FF), (0x3000, 0x30FF), (0x3131, 0x318E), (0x3200, 0x33FF),
                   (0xAC00, 0xAC40), (0xFB00, 0xFB4F), (0xFE30, 0xFFEF), (0x1D100, 0x1D1FF),
                   (0x1D400, 0x1D7FF)]
    pool = [c for lo, hi in pool_ranges for c in range(lo, hi + 1) if c in cand_set]
    h = hashlib.sha256()

    def record(inp):
        out_cps = [ord(x) for x in ud.normalize("NFKC", "".join(chr(c) for c in inp))]
        h.update(b"".join(struct.pack("<I", c) for c in inp) + struct.pack("<I", 0xFFFFFFFE) +
                 b"".join(struct.pack("<I", c) for c in out_cps) + struct.pack("<I", 0xFFFFFFFF))

    for c in candidates:
        record([c])
    state = 1
    strings = 20000
    for _ in range(strings):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        length = 1 + (state >> 8) % 6
        s = []
        for _ in range(length):
            state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
            s.append(pool[(state >> 8) % len(pool)])
        record(s)
    ref = [
        "// Generated by tools/unicode/gen_saslprep_tables.py. Do not edit: run the script.",
        f"// NFKC per Python's unicodedata (Unicode {ud.unidata_version}); see the script for what is hashed.",
        f"inline constexpr std::size_t nfkc_reference_candidates = {len(candidates)};",
        f"inline constexpr std::size_t nfkc_reference_pool = {len(pool)};",
        f"inline constexpr std::size_t nfkc_reference_strings = {strings};",
        f'inline constexpr const char* nfkc_reference_sha256 = "{h.hexdigest()}";',
        "inline constexpr std::pair<std::uint32_t, std::uint32_t> nfkc_reference_pool_ranges[] = {",
    ]
    ref += [f"    {{{hex(lo)}, {hex(hi)}}}," for lo, hi in pool_ranges]
    ref += ["};", ""]
    REFERENCE.write_text("\n".join(ref))


if __name__ == "__main__":
    main()
