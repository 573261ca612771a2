// W4-text, W4-bin and W4-out (copy_workloads.hpp) with libpq, the baseline: PQputCopyData of
// ~64 KiB chunks and PQputCopyEnd for the COPYs in, PQgetCopyData and a hand-written binary COPY
// parser for the COPY out. Connecting, creating and truncating the table happen before the timed
// region; every COPY is checked (its command tag and the totals), and a failed check exits
// non-zero saying why.
// Usage: copy_libpq CONNINFO WORKLOAD
//   WORKLOAD: w4-text, w4-bin, w4-out (which fills the table first, untimed, when it does not
//   hold W4's rows)
#include "copy_workloads.hpp"
#include "libpq_session.hpp"
#include "report.hpp"

#include <endian.h>
#include <libpq-fe.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace bench = pgasio::bench;
using bench::check_failed;
using bench::fail;
using bench::libpq_failed;

namespace {

// The server's totals of the table (text results, parsed).
bench::w4_totals table_totals(const bench::libpq_session& s) {
    PGresult* r = s.exec(bench::w4_totals_sql, PGRES_TUPLES_OK);
    bench::w4_totals t;
    // sum() of no rows is NULL, which reads as "" and parses as 0.
    t.rows = std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10);
    t.sum_a = std::strtoll(PQgetvalue(r, 0, 1), nullptr, 10);
    t.b_lengths = std::strtoll(PQgetvalue(r, 0, 2), nullptr, 10);
    t.sum_c = std::strtod(PQgetvalue(r, 0, 3), nullptr);
    PQclear(r);
    return t;
}

// Reads the result that ends a COPY: checks it succeeded and that its command tag says `rows`
// rows were copied.
void end_copy(PGconn* conn, std::int64_t rows) {
    PGresult* r = PQgetResult(conn);
    const std::string tag = PQcmdStatus(r);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    const std::string msg = PQresultErrorMessage(r);
    PQclear(r);
    while ((r = PQgetResult(conn)) != nullptr)
        PQclear(r);
    if (!ok) fail("COPY failed: " + msg);
    if (tag != "COPY " + std::to_string(rows)) check_failed("COPY ended with " + tag);
}

// Gathers a COPY's data into chunks of about w4_chunk_bytes, each sent with one PQputCopyData
// (the connection is blocking: PQputCopyData waits for the socket when libpq's buffer is full).
class copy_sender {
public:
    explicit copy_sender(PGconn* conn)
        : conn_(conn)
        , buf_(bench::w4_chunk_bytes) {}

    // Room for `n` more bytes (n at most w4_chunk_bytes) at the end of the chunk, sending the
    // chunk first when they would not fit; used() then says where the bytes written end.
    char* room(std::size_t n) {
        if (size_ + n > buf_.size()) flush();
        return buf_.data() + size_;
    }
    void used(const char* end) { size_ = static_cast<std::size_t>(end - buf_.data()); }

    // Sends what is left and CopyDone; checks the command tag says every row was copied.
    void finish(std::int64_t rows) {
        flush();
        if (PQputCopyEnd(conn_, nullptr) != 1) libpq_failed(conn_, "PQputCopyEnd");
        end_copy(conn_, rows);
    }

private:
    void flush() {
        if (size_ == 0) return;
        if (PQputCopyData(conn_, buf_.data(), static_cast<int>(size_)) != 1)
            libpq_failed(conn_, "PQputCopyData");
        size_ = 0;
    }

    PGconn* conn_;
    std::vector<char> buf_;
    std::size_t size_ = 0;
};

void start_copy_in(const bench::libpq_session& s, const char* sql) {
    PQclear(s.exec(sql, PGRES_COPY_IN));
}

// Copies W4's rows in as text lines.
void copy_in_text(const bench::libpq_session& s) {
    start_copy_in(s, bench::w4_copy_in_text_sql);
    copy_sender out(s.conn);
    for (std::int64_t i = 1; i <= bench::w4_rows; ++i) {
        char* p = out.room(bench::w4_text_line_max);
        out.used(p + bench::w4_text_line(i, p));
    }
    out.finish(bench::w4_rows);
}

void put_be16(char*& p, std::uint16_t v) {
    v = htobe16(v);
    std::memcpy(p, &v, 2);
    p += 2;
}
void put_be32(char*& p, std::uint32_t v) {
    v = htobe32(v);
    std::memcpy(p, &v, 4);
    p += 4;
}
void put_be64(char*& p, std::uint64_t v) {
    v = htobe64(v);
    std::memcpy(p, &v, 8);
    p += 8;
}

// Binary COPY's header: the signature, flags (no OIDs) and an empty header extension.
constexpr std::string_view binary_signature{"PGCOPY\n\377\r\n\0", 11};
constexpr std::size_t binary_header_bytes = binary_signature.size() + 4 + 4;
// One W4 row in binary COPY: the field count, then each field's length and value.
constexpr std::size_t binary_row_bytes =
    2 + (4 + 8) + (4 + static_cast<std::size_t>(bench::w4_b_length)) + (4 + 8);

// Copies W4's rows in binary COPY format, built by hand.
void copy_in_binary(const bench::libpq_session& s) {
    start_copy_in(s, bench::w4_copy_in_binary_sql);
    copy_sender out(s.conn);
    char* p = out.room(binary_header_bytes);
    std::memcpy(p, binary_signature.data(), binary_signature.size());
    p += binary_signature.size();
    put_be32(p, 0);
    put_be32(p, 0);
    out.used(p);
    for (std::int64_t i = 1; i <= bench::w4_rows; ++i) {
        p = out.room(binary_row_bytes);
        put_be16(p, 3);
        put_be32(p, 8);
        put_be64(p, static_cast<std::uint64_t>(i));
        put_be32(p, static_cast<std::uint32_t>(bench::w4_b_length));
        bench::w4_b_of(i, p); // its NUL lands where the next length goes
        p += bench::w4_b_length;
        put_be32(p, 8);
        put_be64(p, std::bit_cast<std::uint64_t>(bench::w4_c_of(i)));
        out.used(p);
    }
    p = out.room(2);
    put_be16(p, 0xffff); // the trailer: a field count of -1
    out.used(p);
    out.finish(bench::w4_rows);
}

// A binary COPY's data as it arrives, decoded tuple by tuple into W4's totals: the header is
// checked, every value is turned into a native value (int8, the text's length, float8). A tuple
// may be split across chunks; the unfinished end of a chunk waits in `pending_`.
class binary_copy_parser {
public:
    void feed(std::string_view chunk) {
        if (pending_.empty()) {
            chunk.remove_prefix(parse(chunk));
            pending_.assign(chunk);
        } else {
            pending_.append(chunk);
            pending_.erase(0, parse(pending_));
        }
    }

    // Checks the data ended with the trailer and nothing after it.
    const bench::w4_totals& totals() const {
        if (!ended_ || !pending_.empty())
            check_failed("the binary COPY did not end with its trailer");
        return totals_;
    }

private:
    // Decodes every whole part of `data`; returns the bytes consumed.
    std::size_t parse(std::string_view data) {
        std::size_t at = 0;
        if (!header_seen_) {
            if (data.size() < binary_header_bytes) return 0;
            if (data.substr(0, binary_signature.size()) != binary_signature ||
                be32(data.data() + binary_signature.size()) != 0 ||
                be32(data.data() + binary_signature.size() + 4) != 0)
                check_failed("an unexpected binary COPY header");
            at = binary_header_bytes;
            header_seen_ = true;
        }
        while (!ended_ && data.size() - at >= 2) {
            const auto fields = static_cast<std::int16_t>(be16(data.data() + at));
            if (fields == -1) {
                ended_ = true;
                at += 2;
                break;
            }
            if (fields != 3) check_failed("a tuple of " + std::to_string(fields) + " fields");
            std::size_t end = at + 2;
            std::string_view values[3];
            for (auto& value : values) {
                if (data.size() - end < 4) return at; // the tuple is not whole yet
                const auto length = static_cast<std::int32_t>(be32(data.data() + end));
                end += 4;
                if (length < 0) check_failed("a NULL in row " + std::to_string(totals_.rows + 1));
                if (data.size() - end < static_cast<std::size_t>(length)) return at;
                value = data.substr(end, static_cast<std::size_t>(length));
                end += value.size();
            }
            if (values[0].size() != 8 || values[2].size() != 8)
                check_failed("unexpected value lengths in row " + std::to_string(totals_.rows + 1));
            ++totals_.rows;
            totals_.sum_a += static_cast<std::int64_t>(be64(values[0].data()));
            totals_.b_lengths += static_cast<std::int64_t>(values[1].size());
            totals_.sum_c += std::bit_cast<double>(be64(values[2].data()));
            at = end;
        }
        if (ended_ && at != data.size()) check_failed("data after the binary COPY's trailer");
        return at;
    }

    static std::uint16_t be16(const char* p) {
        std::uint16_t v;
        std::memcpy(&v, p, 2);
        return be16toh(v);
    }
    static std::uint32_t be32(const char* p) {
        std::uint32_t v;
        std::memcpy(&v, p, 4);
        return be32toh(v);
    }
    static std::uint64_t be64(const char* p) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        return be64toh(v);
    }

    std::string pending_;
    bool header_seen_ = false;
    bool ended_ = false;
    bench::w4_totals totals_;
};

// Copies W4's rows into the emptied table with `copy`, then checks the server's totals; the
// table is created and emptied before the timed region.
void copy_in(const char* conninfo, const char* name, void (*copy)(const bench::libpq_session&)) {
    const bench::libpq_session s(conninfo);
    s.command(bench::w4_create_sql);
    s.command(bench::w4_truncate_sql);
    bench::timed_region region;
    copy(s);
    if (!bench::check_w4(table_totals(s))) check_failed("W4 totals (see above)");
    region.report("libpq", name, bench::w4_rows);
}

void w4_text(const char* conninfo, const char* name) {
    copy_in(conninfo, name, copy_in_text);
}

void w4_bin(const char* conninfo, const char* name) {
    copy_in(conninfo, name, copy_in_binary);
}

void w4_out(const char* conninfo, const char* name) {
    const bench::libpq_session s(conninfo);
    s.command(bench::w4_create_sql);
    if (table_totals(s).rows != bench::w4_rows) {
        s.command(bench::w4_truncate_sql);
        copy_in_text(s);
    }
    bench::timed_region region;
    PQclear(s.exec(bench::w4_copy_out_binary_sql, PGRES_COPY_OUT));
    binary_copy_parser parser;
    for (;;) {
        char* data = nullptr;
        const int n = PQgetCopyData(s.conn, &data, 0);
        if (n == -1) break; // the end of the data
        if (n < 0) libpq_failed(s.conn, "PQgetCopyData");
        parser.feed(std::string_view(data, static_cast<std::size_t>(n)));
        PQfreemem(data);
    }
    end_copy(s.conn, bench::w4_rows);
    if (!bench::check_w4(parser.totals())) check_failed("W4-out totals (see above)");
    region.report("libpq", name, bench::w4_rows);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CONNINFO WORKLOAD\n", argv[0]);
        return 2;
    }
    const std::string_view workload = argv[2];
    bench::libpq_workload run;
    if (workload == "w4-text") run = w4_text;
    if (workload == "w4-bin") run = w4_bin;
    if (workload == "w4-out") run = w4_out;
    if (!run) {
        std::fprintf(stderr, "%s: unknown workload %s\n", argv[0], argv[2]);
        return 2;
    }
    return bench::run_libpq_workload(run, argv[1], argv[2]);
}
