#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/framer.hpp>
#include <pgasio/protocol/response_machine.hpp>

#include "../../fuzz/fuzz_response.hpp"
#include "support/bytes.hpp"
#include "support/seed_corpus.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace std::literals;
using namespace pgasio::protocol;
using pgasio::fuzz::response_scripts;
using pgasio::test::framed;
using pgasio::test::to_bytes;

namespace {

using kind = response_event_kind;
namespace scripts = pgasio::fuzz::scripts;

// Streams are written as strings of tokens: a backend message type byte stands for that message
// with a valid body (below), and two actions of the client: '>' ends a COPY FROM STDIN with
// CopyDone, '<' with CopyFail (response_machine::end_copy_in).
std::string message(char token) {
    switch (token) {
    case 't':
        return framed('t', "\0\x01\0\0\0\x17"sv); // one int4 parameter
    case 'T':
        return framed('T', "\0\0"sv); // no columns
    case 'D':
        return framed('D', "\0\x01\0\0\0\x01x"sv); // one value
    case 'C':
        return framed('C', "SELECT 1\0"sv);
    case 'E':
        return framed('E', "SERROR\0VERROR\0C42601\0Mno\0\0"sv);
    case 'N':
        return framed('N', "SNOTICE\0VNOTICE\0C00000\0Mhi\0\0"sv);
    case 'A':
        return framed('A', "\0\0\0\x2a"
                           "chan\0payload\0"sv);
    case 'S':
        return framed('S', "TimeZone\0UTC\0"sv);
    case 'G':
    case 'H':
    case 'W':
        return framed(token, "\0\0\x01\0\0"sv); // text, one column
    case 'd':
        return framed('d', "1\tx\n"sv);
    case 'Z':
        return framed('Z', "I"sv);
    case 'R':
        return framed('R', "\0\0\0\0"sv); // AuthenticationOk
    case 'K':
        return framed('K', "\0\0\0\x01\0\0\0\x02"sv);
    case 'v':
        return framed('v', "\0\0\0\0\0\0\0\0"sv);
    default:
        return framed(token, ""sv); // 1 2 3 n I s c
    }
}

// Every backend message type, each with a valid body.
constexpr std::string_view all_types = "R K 2 3 C d c G H W D I E v n N A t S 1 s Z T";
bool is_async(char c) {
    return c == 'N' || c == 'A' || c == 'S';
}

struct seen {
    kind k;
    std::size_t index;
    bool operator==(const seen&) const = default;
};

// Drives a machine through a token stream the way the engine would. Stops at the first refusal.
struct driver {
    response_machine m;
    std::vector<seen> events;
    boost::system::error_code ec;

    explicit driver(std::span<const request_step> script)
        : m(script) {}

    bool feed(char token) {
        if (token == '>' || token == '<') {
            m.end_copy_in(token == '<');
            return true;
        }
        static std::vector<std::byte> storage;
        const auto bytes = to_bytes(message(token));
        storage.assign(bytes.begin() + 5, bytes.end());
        auto ev = m.on_message({static_cast<backend_message_type>(token), storage});
        if (!ev) {
            ec = ev.error();
            return false;
        }
        events.push_back({ev->kind, ev->index});
        return true;
    }
    bool feed_all(std::string_view tokens) {
        for (char c : tokens)
            if (!feed(c)) return false;
        return true;
    }
};

// The stream as bytes, and after which message (0-based) each client action happens.
struct wire {
    std::string bytes;
    std::multimap<std::size_t, char> actions;
};
wire to_wire(std::string_view tokens) {
    wire w;
    std::size_t messages = 0;
    for (char c : tokens) {
        if (c == '>' || c == '<')
            w.actions.emplace(messages - 1, c);
        else {
            w.bytes += message(c);
            ++messages;
        }
    }
    return w;
}

// Feeds the stream through a framer cut at `cuts` (byte offsets), collecting the events.
std::vector<seen> run_framed(std::span<const request_step> script, const wire& w,
                             const std::vector<std::size_t>& cuts, boost::system::error_code& ec) {
    framer f;
    response_machine m(script);
    std::vector<seen> out;
    std::size_t message_no = 0, from = 0;
    auto bounds = cuts;
    bounds.push_back(w.bytes.size());
    for (std::size_t to : bounds) {
        auto space = f.prepare(to - from + 1);
        std::memcpy(space.data(), w.bytes.data() + from, to - from);
        f.commit(to - from);
        from = to;
        for (;;) {
            auto msg = f.next();
            REQUIRE(msg.has_value());
            if (!*msg) break;
            auto ev = m.on_message(**msg);
            if (!ev) {
                ec = ev.error();
                return out;
            }
            out.push_back({ev->kind, ev->index});
            auto [a, b] = w.actions.equal_range(message_no++);
            for (; a != b; ++a)
                m.end_copy_in(a->second == '<');
        }
    }
    if (!m.done()) ec = client_errc::truncated_message; // the test's own marker: not finished
    return out;
}

std::size_t script_id(std::span<const request_step> script) {
    for (std::size_t i = 0; i < response_scripts.size(); ++i)
        if (response_scripts[i].data() == script.data() &&
            response_scripts[i].size() == script.size())
            return i;
    FAIL("script not in fuzz/fuzz_response.hpp");
    return 0;
}

// Checks a golden stream: the events, in every chunking of its bytes; records it as a seed.
void check_golden(std::span<const request_step> script, std::string_view tokens,
                  const std::vector<seen>& expected) {
    INFO("stream " << tokens);
    driver d(script);
    REQUIRE(d.feed_all(tokens));
    CHECK(d.events == expected);
    CHECK(d.m.done());

    const auto w = to_wire(tokens);
    // fuzz_response: script, then mode (7-byte chunks; CopyFail when the stream ends a copy so).
    const bool fails_copy = tokens.find('<') != std::string_view::npos;
    std::string seed(1, static_cast<char>(script_id(script)));
    seed += static_cast<char>(
        6 | (fails_copy ? pgasio::fuzz::copy_fail_bit : 0) |
        (tokens.find("GE") != std::string_view::npos ? pgasio::fuzz::end_after_error_bit : 0));
    pgasio::test::record_seed("fuzz_response", to_bytes(seed + w.bytes));

    boost::system::error_code ec;
    CHECK(run_framed(script, w, {}, ec) == expected);
    CHECK(!ec);
    std::vector<std::size_t> every;
    for (std::size_t cut = 1; cut < w.bytes.size(); ++cut) {
        every.push_back(cut);
        const auto got = run_framed(script, w, {cut}, ec);
        if (got != expected || ec) FAIL_CHECK("split at " << cut);
    }
    CHECK(run_framed(script, w, every, ec) == expected); // one byte at a time
    CHECK(!ec);
}

seen ev(kind k, std::size_t i) {
    return {k, i};
}

} // namespace

TEST_CASE("response_machine: query with a portal description", "[response_machine]") {
    check_golden(scripts::query, "12TDDCZ",
                 {ev(kind::parse_complete, 0), ev(kind::bind_complete, 0),
                  ev(kind::row_description, 0), ev(kind::data_row, 0), ev(kind::data_row, 0),
                  ev(kind::command_complete, 0), ev(kind::ready_for_query, 1)});
    check_golden(scripts::query, "12nCZ",
                 {ev(kind::parse_complete, 0), ev(kind::bind_complete, 0), ev(kind::no_data, 0),
                  ev(kind::command_complete, 0), ev(kind::ready_for_query, 1)});
}

TEST_CASE("response_machine: prepared statement execution", "[response_machine]") {
    check_golden(scripts::prepared, "2DCZ",
                 {ev(kind::bind_complete, 0), ev(kind::data_row, 0), ev(kind::command_complete, 0),
                  ev(kind::ready_for_query, 1)});
    check_golden(
        scripts::prepared, "2IZ",
        {ev(kind::bind_complete, 0), ev(kind::empty_query, 0), ev(kind::ready_for_query, 1)});
    check_golden(scripts::prepared, "2EZ",
                 {ev(kind::bind_complete, 0), ev(kind::error, 0), ev(kind::ready_for_query, 1)});
}

TEST_CASE("response_machine: prepare and close", "[response_machine]") {
    check_golden(scripts::prepare, "1tTZ",
                 {ev(kind::parse_complete, 0), ev(kind::parameter_description, 0),
                  ev(kind::row_description, 0), ev(kind::ready_for_query, 0)});
    check_golden(scripts::prepare, "1tnZ",
                 {ev(kind::parse_complete, 0), ev(kind::parameter_description, 0),
                  ev(kind::no_data, 0), ev(kind::ready_for_query, 0)});
    check_golden(scripts::prepare, "EZ", {ev(kind::error, 0), ev(kind::ready_for_query, 0)});
    check_golden(scripts::close_, "3Z",
                 {ev(kind::close_complete, 0), ev(kind::ready_for_query, 0)});
    check_golden(scripts::full, "1tT2TDC3Z",
                 {ev(kind::parse_complete, 0), ev(kind::parameter_description, 0),
                  ev(kind::row_description, 0), ev(kind::bind_complete, 0),
                  ev(kind::row_description, 0), ev(kind::data_row, 0),
                  ev(kind::command_complete, 0), ev(kind::close_complete, 1),
                  ev(kind::ready_for_query, 1)});
}

TEST_CASE("response_machine: a batch of three with one Sync", "[response_machine]") {
    check_golden(scripts::batch3, "2DC2C2DDCZ",
                 {ev(kind::bind_complete, 0), ev(kind::data_row, 0), ev(kind::command_complete, 0),
                  ev(kind::bind_complete, 1), ev(kind::command_complete, 1),
                  ev(kind::bind_complete, 2), ev(kind::data_row, 2), ev(kind::data_row, 2),
                  ev(kind::command_complete, 2), ev(kind::ready_for_query, 3)});
}

TEST_CASE("response_machine: an error skips the batch up to its Sync", "[response_machine]") {
    // The second Execute fails: the third Bind and Execute get no answer at all.
    check_golden(scripts::batch3, "2DC2DEZ",
                 {ev(kind::bind_complete, 0), ev(kind::data_row, 0), ev(kind::command_complete, 0),
                  ev(kind::bind_complete, 1), ev(kind::data_row, 1), ev(kind::error, 1),
                  ev(kind::ready_for_query, 3)});
    // An answer to a skipped step is refused.
    driver d(scripts::batch3);
    REQUIRE(d.feed_all("2C2E"));
    CHECK_FALSE(d.feed('2'));
    CHECK(d.ec == client_errc::unexpected_message);
    CHECK(d.feed('Z'));
    CHECK(d.m.done());
}

TEST_CASE("response_machine: two Sync segments each end in ReadyForQuery", "[response_machine]") {
    // The first segment fails; the second, after its own Sync, runs normally.
    check_golden(scripts::two_segments, "2EZ2DCZ",
                 {ev(kind::bind_complete, 0), ev(kind::error, 0), ev(kind::ready_for_query, 1),
                  ev(kind::bind_complete, 1), ev(kind::data_row, 1), ev(kind::command_complete, 1),
                  ev(kind::ready_for_query, 2)});
    // A Sync that fails on commit (deferred constraint): ErrorResponse before its ReadyForQuery.
    check_golden(scripts::two_segments, "2CEZ2CZ",
                 {ev(kind::bind_complete, 0), ev(kind::command_complete, 0), ev(kind::error, 1),
                  ev(kind::ready_for_query, 1), ev(kind::bind_complete, 1),
                  ev(kind::command_complete, 1), ev(kind::ready_for_query, 2)});
}

TEST_CASE("response_machine: simple query with several statements", "[response_machine]") {
    // SELECT x; <empty>; a failing statement; the rest is not run.
    check_golden(scripts::simple, "TDCIEZ",
                 {ev(kind::row_description, 0), ev(kind::data_row, 0),
                  ev(kind::command_complete, 0), ev(kind::empty_query, 1), ev(kind::error, 2),
                  ev(kind::ready_for_query, 3)});
    check_golden(scripts::simple, "CTCIZ",
                 {ev(kind::command_complete, 0), ev(kind::row_description, 1),
                  ev(kind::command_complete, 1), ev(kind::empty_query, 2),
                  ev(kind::ready_for_query, 3)});
    check_golden(scripts::two_simple, "CZEZ",
                 {ev(kind::command_complete, 0), ev(kind::ready_for_query, 1), ev(kind::error, 1),
                  ev(kind::ready_for_query, 2)});
    check_golden(scripts::mixed, "12CZTDCZ",
                 {ev(kind::parse_complete, 0), ev(kind::bind_complete, 0),
                  ev(kind::command_complete, 0), ev(kind::ready_for_query, 1),
                  ev(kind::row_description, 1), ev(kind::data_row, 1),
                  ev(kind::command_complete, 1), ev(kind::ready_for_query, 2)});
}

TEST_CASE("response_machine: COPY TO STDOUT", "[response_machine]") {
    check_golden(scripts::copy, "12HddcCZ",
                 {ev(kind::parse_complete, 0), ev(kind::bind_complete, 0), ev(kind::copy_out, 0),
                  ev(kind::copy_data, 0), ev(kind::copy_data, 0), ev(kind::copy_done, 0),
                  ev(kind::command_complete, 0), ev(kind::ready_for_query, 1)});
    check_golden(scripts::copy, "12HdEZ",
                 {ev(kind::parse_complete, 0), ev(kind::bind_complete, 0), ev(kind::copy_out, 0),
                  ev(kind::copy_data, 0), ev(kind::error, 0), ev(kind::ready_for_query, 1)});
    check_golden(scripts::simple, "HdcCTCZ",
                 {ev(kind::copy_out, 0), ev(kind::copy_data, 0), ev(kind::copy_done, 0),
                  ev(kind::command_complete, 0), ev(kind::row_description, 1),
                  ev(kind::command_complete, 1), ev(kind::ready_for_query, 2)});
}

TEST_CASE("response_machine: COPY FROM STDIN, extended", "[response_machine]") {
    // Success: CopyDone + Sync; the script's Sync was consumed by the copy.
    check_golden(scripts::copy, "12G>CZ",
                 {ev(kind::parse_complete, 0), ev(kind::bind_complete, 0), ev(kind::copy_in, 0),
                  ev(kind::command_complete, 0), ev(kind::ready_for_query, 1)});
    // CopyFail + Sync.
    check_golden(scripts::copy, "12G<EZ",
                 {ev(kind::parse_complete, 0), ev(kind::bind_complete, 0), ev(kind::copy_in, 0),
                  ev(kind::error, 0), ev(kind::ready_for_query, 1)});
    // The server fails the copy (bad data) before the client ends it: ReadyForQuery only after.
    check_golden(scripts::copy, "12GE<Z",
                 {ev(kind::parse_complete, 0), ev(kind::bind_complete, 0), ev(kind::copy_in, 0),
                  ev(kind::error, 0), ev(kind::ready_for_query, 1)});

    driver d(scripts::copy);
    REQUIRE(d.feed_all("12G"));
    CHECK(d.m.in_copy_in());
    CHECK(d.m.copy_in_needs_sync());
    CHECK_FALSE(d.feed('C')); // the client has not ended the copy
    REQUIRE(d.feed('E'));
    CHECK(d.m.in_copy_in()); // still owes the Sync the server skips to
    CHECK_FALSE(d.feed('Z'));
    d.m.end_copy_in(true);
    CHECK_FALSE(d.m.in_copy_in());
    CHECK(d.feed('Z'));
    CHECK(d.m.done());

    // A CopyInResponse with an answered step after it cannot be followed.
    driver batch(scripts::batch3);
    REQUIRE(batch.feed('2'));
    CHECK_FALSE(batch.feed('G'));
    CHECK(batch.ec == client_errc::unexpected_message);
}

TEST_CASE("response_machine: COPY FROM STDIN, simple query", "[response_machine]") {
    check_golden(scripts::simple, "G>CTDCZ",
                 {ev(kind::copy_in, 0), ev(kind::command_complete, 0), ev(kind::row_description, 1),
                  ev(kind::data_row, 1), ev(kind::command_complete, 1),
                  ev(kind::ready_for_query, 2)});
    check_golden(scripts::simple, "G<EZ",
                 {ev(kind::copy_in, 0), ev(kind::error, 0), ev(kind::ready_for_query, 1)});
    check_golden(scripts::simple, "GEZ",
                 {ev(kind::copy_in, 0), ev(kind::error, 0), ev(kind::ready_for_query, 1)});

    driver d(scripts::simple);
    REQUIRE(d.feed('G'));
    CHECK(d.m.in_copy_in());
    CHECK_FALSE(d.m.copy_in_needs_sync());
    REQUIRE(d.feed('E'));
    CHECK_FALSE(d.m.in_copy_in()); // the server ended the copy and says ReadyForQuery by itself
    CHECK(d.feed('Z'));
    CHECK(d.m.done());
}

TEST_CASE("response_machine: portal suspended without Sync", "[response_machine]") {
    check_golden(scripts::no_sync, "2DDs",
                 {ev(kind::bind_complete, 0), ev(kind::data_row, 0), ev(kind::data_row, 0),
                  ev(kind::portal_suspended, 0)});
    check_golden(scripts::no_sync, "2E", {ev(kind::bind_complete, 0), ev(kind::error, 0)});
}

TEST_CASE("response_machine: asynchronous messages anywhere", "[response_machine]") {
    check_golden(scripts::query, "N1A2STNDDCSZA",
                 {ev(kind::notice, 0), ev(kind::parse_complete, 0), ev(kind::notification, 0),
                  ev(kind::bind_complete, 0), ev(kind::parameter_status, 0),
                  ev(kind::row_description, 0), ev(kind::notice, 0), ev(kind::data_row, 0),
                  ev(kind::data_row, 0), ev(kind::command_complete, 0),
                  ev(kind::parameter_status, 1), ev(kind::ready_for_query, 1),
                  ev(kind::notification, 1)});
}

TEST_CASE("response_machine: transaction status and reset", "[response_machine]") {
    response_machine m(scripts::prepared);
    CHECK(m.transaction_status() == '\0');
    const auto b = to_bytes(""sv);
    REQUIRE(m.on_message({backend_message_type::bind_complete, b}).has_value());
    REQUIRE(
        m.on_message({backend_message_type::command_complete, to_bytes("BEGIN\0"sv)}).has_value());
    const auto t = to_bytes("T"sv);
    REQUIRE(m.on_message({backend_message_type::ready_for_query, t}).has_value());
    CHECK(m.transaction_status() == 'T');
    CHECK(m.done());
    m.reset(scripts::prepared);
    CHECK_FALSE(m.done());
    CHECK(m.index() == 0);
    CHECK(response_machine().done());
}

TEST_CASE("response_machine: malformed bodies are refused", "[response_machine]") {
    driver d(scripts::query);
    const auto one = to_bytes("x"sv);
    CHECK(d.m.on_message({backend_message_type::parse_complete, one}).error() ==
          client_errc::invalid_message_length);
    REQUIRE(d.feed_all("12TC"));
    const auto bad = to_bytes("X"sv);
    CHECK(d.m.on_message({backend_message_type::ready_for_query, bad}).error() ==
          client_errc::invalid_field_value);
    CHECK(d.m.on_message({backend_message_type::ready_for_query, {}}).error() ==
          client_errc::truncated_message);
    CHECK_FALSE(d.m.done()); // an error leaves the machine as it was
    CHECK(d.feed('Z'));
}

TEST_CASE("response_machine: a FATAL error ends the request anywhere", "[response_machine]") {
    const auto fatal = to_bytes("SFATAL\0VFATAL\0C57P01\0Mterminating\0\0"sv);
    driver d(scripts::copy);
    REQUIRE(d.feed_all("12GE")); // waiting for the client's Sync: no ERROR could come
    CHECK_FALSE(d.feed('E'));
    auto ev = d.m.on_message({backend_message_type::error_response, fatal});
    REQUIRE(ev.has_value());
    CHECK(ev->kind == kind::error);
    CHECK(d.m.done());

    driver q(scripts::query);
    REQUIRE(q.feed_all("12TD"));
    REQUIRE(q.m.on_message({backend_message_type::error_response, fatal}).has_value());
    CHECK(q.m.done());
}

namespace {

// An independent description of every correct answer, as a generator of token streams, bounded:
// up to `n` DataRow or CopyData in a row and up to `n` statements per simple query. The machine
// must accept exactly the prefixes of these streams. What may follow a prefix of the streams for
// n = 1 is read from the streams for n = 2, so that the bound itself never looks like a refusal.
using streams = std::vector<std::string>;

streams cat(const streams& a, const streams& b) {
    streams out;
    for (const auto& x : a)
        for (const auto& y : b)
            out.push_back(x + y);
    return out;
}
void append(streams& to, const streams& from) {
    to.insert(to.end(), from.begin(), from.end());
}

// "", "c", "cc", ... up to n repetitions of c.
streams repeats(char c, int n) {
    streams out;
    for (int i = 0; i <= n; ++i)
        out.push_back(std::string(static_cast<std::size_t>(i), c));
    return out;
}

streams answers(std::span<const request_step> script, std::size_t i, int n);

// After an error at step i: nothing until the next Sync's ReadyForQuery.
streams skip(std::span<const request_step> script, std::size_t i, int n) {
    while (i < script.size() && script[i] != request_step::sync)
        ++i;
    if (i == script.size()) return {""};
    return cat({"Z"}, answers(script, i + 1, n));
}

streams simple_query(bool copy_in_allowed, int n) {
    const auto rows = repeats('D', n), datas = repeats('d', n);
    streams ok = {"C", "I"}, err = {"E"};
    append(ok, cat(cat({"T"}, rows), {"C"}));
    append(err, cat(cat({"T"}, rows), {"E"}));
    append(ok, cat(cat({"H"}, datas), {"cC"}));
    append(err, cat(cat({"H"}, datas), {"E", "cE"}));
    if (copy_in_allowed) {
        append(ok, {"G>C"});
        append(err, {"GE", "G>E", "G<E"});
    }
    streams out, lead = {""};
    for (int statements = 0; statements < n; ++statements) {
        append(out, cat(cat(lead, err), {"Z"}));
        lead = cat(lead, ok);
        append(out, cat(lead, {"Z"}));
    }
    return out;
}

streams answers(std::span<const request_step> script, std::size_t i, int n) {
    if (i == script.size()) return {""};
    const auto rest = [&] { return answers(script, i + 1, n); };
    const auto fail = [&](const streams& prefixes) {
        return cat(prefixes, skip(script, i + 1, n));
    };
    streams out;
    auto one = [&](const streams& ok, const streams& err) {
        append(out, cat(ok, rest()));
        append(out, fail(err));
        return out;
    };
    switch (script[i]) {
    case request_step::parse:
        return one({"1"}, {"E"});
    case request_step::bind:
        return one({"2"}, {"E"});
    case request_step::close:
        return one({"3"}, {"E"});
    case request_step::describe_statement:
        return one({"tT", "tn"}, {"E", "tE"});
    case request_step::describe_portal:
        return one({"T", "n"}, {"E"});
    case request_step::sync:
        return cat({"Z", "EZ"}, rest()); // a Sync's commit can fail
    case request_step::simple_query:
        return cat(simple_query(i + 1 == script.size(), n), rest());
    case request_step::execute: {
        const auto rows = repeats('D', n), datas = repeats('d', n);
        streams ok = {"I", "s"}, err;
        append(ok, cat(rows, {"C", "s"}));
        append(err, cat(rows, {"E"}));
        append(ok, cat(cat({"H"}, datas), {"cC"}));
        append(err, cat(cat({"H"}, datas), {"E", "cE"}));
        one(ok, err);
        bool only_syncs = true;
        for (auto j = i + 1; j < script.size(); ++j)
            only_syncs = only_syncs && script[j] == request_step::sync;
        // COPY FROM STDIN consumes the script's Syncs; the client's own Sync answers at the end.
        if (only_syncs) append(out, {"G>CZ", "G>CEZ", "G>EZ", "G<EZ", "GE>Z", "GE<Z"});
        return out;
    }
    }
    return out;
}

} // namespace

TEST_CASE("response_machine: accepts exactly the correct answers to each script",
          "[response_machine]") {
    for (std::size_t id = 0; id < response_scripts.size(); ++id) {
        const auto script = response_scripts[id];
        INFO("script " << id);
        const auto all = answers(script, 0, 2);
        std::map<std::string, std::set<char>> next; // prefix -> the messages that may follow
        std::string rejected;
        for (const auto& s : all) {
            driver d(script);
            if ((!d.feed_all(s) || !d.m.done()) && rejected.empty()) rejected = s;
            for (std::size_t n = 0; n <= s.size(); ++n) {
                auto& allowed = next[s.substr(0, n)];
                if (n < s.size() && s[n] != '>' && s[n] != '<') allowed.insert(s[n]);
            }
        }
        std::set<std::string> prefixes;
        for (const auto& s : answers(script, 0, 1))
            for (std::size_t n = 0; n <= s.size(); ++n)
                prefixes.insert(s.substr(0, n));
        // Checked in bulk (a CHECK each would be slow): the first mismatch is reported.
        std::size_t refusals = 0;
        std::string mismatch;
        for (const auto& prefix : prefixes) {
            const auto& allowed = next[prefix];
            for (char c : all_types) {
                if (c == ' ') continue;
                driver d(script);
                REQUIRE(d.feed_all(prefix));
                const bool accepted = d.feed(c);
                const bool right = accepted ? (is_async(c) || allowed.count(c) > 0)
                                            : d.ec == client_errc::unexpected_message &&
                                                  !is_async(c) && allowed.count(c) == 0;
                if (!right && mismatch.empty())
                    mismatch = prefix + " then " + c + (accepted ? " accepted" : " refused");
                refusals += !accepted;
            }
        }
        CHECK(mismatch == "");
        CHECK(rejected == "");
        CHECK(refusals > 0);
    }
}
