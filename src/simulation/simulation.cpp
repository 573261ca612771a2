// Recording sessions to a JSON fixture and serving them from it (pgasio/simulation.hpp).
//
// A session is kept as its startup answers plus a list of exchanges. An exchange is what the
// client sends up to a Sync or a Query (and the COPY data it sends while that exchange's COPY
// FROM STDIN runs), with every answer up to its ReadyForQuery. Each answer remembers how many
// of its exchange's messages the client had sent when it arrived ("after"): in a replay it is
// released once those, and every earlier exchange, have been sent. That keeps a replay true to
// the protocol whatever the timing: pipelined requests get their answers as soon as they are
// sent, and a COPY's CommandComplete waits for its CopyDone. An answer that came after the
// client had sent a CancelRequest also remembers how many it had sent ("after_cancels"): in a
// replay it waits for as many, so that a request stopped by a timeout or a cancellation ends
// there as it did when it was recorded (a query_timeout, not the server's 57014 at once).
#include <pgasio/simulation.hpp>

#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/detail/base64.hpp>
#include <pgasio/protocol/detail/big_endian.hpp>
#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/framer.hpp>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>

namespace pgasio::simulation {
namespace {

namespace json = boost::json;
using protocol::detail::byte_reader;

// One message: its type byte and its body (after the length field).
struct message {
    char type = 0;
    std::vector<std::byte> body;
    std::size_t after = 0;         // an answer: how many of its exchange's messages came before it
    std::size_t after_cancels = 0; // an answer: how many cancels the client had sent before it
};

struct exchange {
    std::vector<message> sent;
    std::vector<message> received;
};

bool is_copy_message(char type) noexcept {
    return type == 'd' || type == 'c' || type == 'f';
}

// The frontend messages pgasio sends, and the backend messages it understands.
constexpr std::pair<char, std::string_view> frontend_names[] = {
    {'Q', "Query"},    {'P', "Parse"},    {'B', "Bind"},     {'E', "Execute"},
    {'D', "Describe"}, {'C', "Close"},    {'S', "Sync"},     {'H', "Flush"},
    {'d', "CopyData"}, {'c', "CopyDone"}, {'f', "CopyFail"}, {'X', "Terminate"},
};
constexpr std::pair<char, std::string_view> backend_names[] = {
    {'R', "Authentication"},
    {'K', "BackendKeyData"},
    {'2', "BindComplete"},
    {'3', "CloseComplete"},
    {'C', "CommandComplete"},
    {'d', "CopyData"},
    {'c', "CopyDone"},
    {'G', "CopyInResponse"},
    {'H', "CopyOutResponse"},
    {'W', "CopyBothResponse"},
    {'D', "DataRow"},
    {'I', "EmptyQueryResponse"},
    {'E', "ErrorResponse"},
    {'v', "NegotiateProtocolVersion"},
    {'n', "NoData"},
    {'N', "NoticeResponse"},
    {'A', "NotificationResponse"},
    {'t', "ParameterDescription"},
    {'S', "ParameterStatus"},
    {'1', "ParseComplete"},
    {'s', "PortalSuspended"},
    {'Z', "ReadyForQuery"},
    {'T', "RowDescription"},
};

template <std::size_t N>
std::string type_name(const std::pair<char, std::string_view> (&names)[N], char type) {
    for (const auto& [c, name] : names)
        if (c == type) return std::string(name);
    return fmt::format("message '{}'", type);
}

template <std::size_t N>
std::optional<char> type_of(const std::pair<char, std::string_view> (&names)[N],
                            std::string_view name) {
    for (const auto& [c, n] : names)
        if (n == name) return c;
    return std::nullopt;
}

std::string_view as_text(std::span<const std::byte> b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// The length of the well-formed UTF-8 sequence at the start of `s` (0: none is).
std::size_t utf8_sequence(std::string_view s) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char lead = byte(0);
    if (lead < 0x80) return 1;
    std::size_t n = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        n = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        n = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F; // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        n = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (s.size() < n || byte(1) < low || byte(1) > high) return 0;
    for (std::size_t i = 2; i < n; ++i)
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    return n;
}

// A value as a human reads it: in quotes, with what does not print (control characters, bytes
// that are not UTF-8) escaped, so that a fixture is always valid JSON.
std::string quoted(std::string_view s) {
    std::string out = "\"";
    while (!s.empty()) {
        const char c = s.front();
        const std::size_t n = utf8_sequence(s);
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\')
            out += {'\\', c};
        else if (n == 0 || u < 0x20 || u == 0x7F)
            out += fmt::format("\\x{:02x}", u);
        else
            out += s.substr(0, n);
        s.remove_prefix(n == 0 ? 1 : n);
    }
    return out + "\"";
}

// True when `s` is text a person can read: UTF-8 without control characters.
bool printable(std::string_view s) noexcept {
    while (!s.empty()) {
        const std::size_t n = utf8_sequence(s);
        const auto u = static_cast<unsigned char>(s.front());
        if (n == 0 || u < 0x20 || u == 0x7F) return false;
        s.remove_prefix(n);
    }
    return true;
}

std::string hex(std::span<const std::byte> b) {
    std::string out = "0x";
    for (const std::byte x : b)
        out += fmt::format("{:02x}", static_cast<unsigned>(x));
    return out;
}

// What a frontend message says, in a line (the SQL, the parameters...): the fixture's "text",
// and what a mismatch reports. Never the body of an authentication message (not recorded).
std::string describe_frontend(const message& m) {
    byte_reader r(m.body);
    std::string out;
    switch (m.type) {
    case 'Q':
        out = quoted(r.cstring());
        break;
    case 'P': {
        const auto name = r.cstring();
        const auto sql = r.cstring();
        const auto types = r.u16();
        out = (name.empty() ? "" : "statement " + quoted(name) + " ") + quoted(sql);
        if (types > 0) out += fmt::format(" ({} parameter type{})", types, types == 1 ? "" : "s");
        break;
    }
    case 'B': {
        const auto portal = r.cstring();
        const auto statement = r.cstring();
        std::vector<std::int16_t> formats(r.u16());
        for (auto& f : formats)
            f = r.i16();
        const auto n = r.u16();
        out = (portal.empty() ? "" : "portal " + quoted(portal) + " ") +
              (statement.empty() ? "unnamed statement" : "statement " + quoted(statement)) +
              ", parameters (";
        for (std::uint16_t i = 0; i < n && !r.error(); ++i) {
            const auto len = r.i32();
            const bool binary = !formats.empty() && formats[formats.size() == 1 ? 0 : i] == 1;
            if (i > 0) out += ", ";
            const auto value =
                len < 0 ? std::span<const std::byte>() : r.bytes(static_cast<std::size_t>(len));
            // As a row's values are shown: a binary value that reads as text (a text
            // parameter) as text, the others (numbers, booleans) in hexadecimal.
            if (len < 0)
                out += "NULL";
            else if (binary && !printable(as_text(value)))
                out += hex(value);
            else
                out += quoted(as_text(value));
        }
        out += ")";
        break;
    }
    case 'E': {
        const auto portal = r.cstring();
        const auto max_rows = r.i32();
        out = portal.empty() ? "unnamed portal" : "portal " + quoted(portal);
        if (max_rows > 0) out += fmt::format(", {} rows at most", max_rows);
        break;
    }
    case 'D':
    case 'C': {
        const auto kind = r.u8();
        const auto name = r.cstring();
        out = std::string(kind == 'S' ? "statement " : "portal ") + quoted(name);
        break;
    }
    case 'd':
        out = fmt::format("{} bytes: {}", m.body.size(), quoted(as_text(m.body)));
        break;
    case 'f':
        out = quoted(r.cstring());
        break;
    default:
        break;
    }
    return out;
}

// What a backend message says, in a line. `binary`: which columns of the latest
// RowDescription are in binary (their values are shown in hexadecimal unless they read as
// text); updated by one.
std::string describe_backend(const message& m, std::vector<bool>& binary) {
    using namespace protocol;
    switch (m.type) {
    case 'T':
        if (auto d = decode_row_description(m.body)) {
            std::vector<std::string> names;
            binary.clear();
            for (const auto& c : *d) {
                names.push_back(quoted(c.name));
                binary.push_back(c.format == format_code::binary);
            }
            return fmt::format("columns {}", fmt::join(names, ", "));
        }
        break;
    case 'D':
        if (auto d = decode_data_row(m.body)) {
            std::vector<std::string> values;
            for (const auto& v : *d) {
                const bool bin = values.size() < binary.size() && binary[values.size()];
                // A binary value that reads as text (text, varchar, json...) is shown as text.
                values.push_back(!v                               ? std::string("NULL")
                                 : bin && !printable(as_text(*v)) ? hex(*v)
                                                                  : quoted(as_text(*v)));
            }
            return fmt::format("{}", fmt::join(values, ", "));
        }
        break;
    case 'C':
        if (auto d = decode_command_complete(m.body)) return quoted(d->tag);
        break;
    case 'E':
    case 'N':
        if (auto d = decode_error_fields(m.body))
            return fmt::format("{} {} {}", d->find('S').value_or(""), d->find('C').value_or(""),
                               quoted(d->find('M').value_or("")));
        break;
    case 'S':
        if (auto d = decode_parameter_status(m.body))
            return fmt::format("{} = {}", d->name, quoted(d->value));
        break;
    case 'Z':
        if (auto d = decode_ready_for_query(m.body))
            return fmt::format("transaction status '{}'", static_cast<char>(*d));
        break;
    case 'K':
        if (auto d = decode_backend_key_data(m.body))
            return fmt::format("process {}", d->process_id);
        break;
    case 'A':
        if (auto d = decode_notification(m.body))
            return fmt::format("channel {} payload {}", quoted(d->channel), quoted(d->payload));
        break;
    case 'd':
        return fmt::format("{} bytes: {}", m.body.size(), quoted(as_text(m.body)));
    default:
        break;
    }
    return {};
}

std::string frontend_line(const message& m) {
    const auto text = describe_frontend(m);
    return type_name(frontend_names, m.type) + (text.empty() ? "" : " " + text);
}

json::object message_json(const message& m, bool frontend, std::optional<std::size_t> after,
                          std::vector<bool>& binary) {
    json::object o;
    o["type"] = frontend ? type_name(frontend_names, m.type) : type_name(backend_names, m.type);
    const auto text = frontend ? describe_frontend(m) : describe_backend(m, binary);
    if (!text.empty()) o["text"] = text;
    if (after) o["after"] = *after;
    if (m.after_cancels != 0) o["after_cancels"] = m.after_cancels;
    o["data"] = protocol::detail::base64_encode(m.body);
    return o;
}

// Writes `v` indented, each message (an object of scalars) on a line of its own: a fixture is
// read by people as much as by replay().
void write_pretty(std::string& out, const json::value& v, int depth) {
    const auto leaf = [](const json::value& x) {
        if (x.is_array()) return x.as_array().empty();
        if (!x.is_object()) return true;
        return std::all_of(x.as_object().begin(), x.as_object().end(),
                           [](const auto& kv) { return kv.value().is_primitive(); });
    };
    if (leaf(v)) {
        out += json::serialize(v);
        return;
    }
    const std::string indent(std::size_t(depth + 1) * 2, ' ');
    if (v.is_object()) {
        out += "{\n";
        bool first = true;
        for (const auto& kv : v.as_object()) {
            if (!first) out += ",\n";
            first = false;
            out += indent + json::serialize(json::string(kv.key())) + ": ";
            write_pretty(out, kv.value(), depth + 1);
        }
        out += "\n" + std::string(std::size_t(depth) * 2, ' ') + "}";
    } else {
        out += "[\n";
        bool first = true;
        for (const auto& x : v.as_array()) {
            if (!first) out += ",\n";
            first = false;
            out += indent;
            write_pretty(out, x, depth + 1);
        }
        out += "\n" + std::string(std::size_t(depth) * 2, ' ') + "]";
    }
}

// The startup message's parameters (after its length and protocol version).
std::vector<std::pair<std::string, std::string>> startup_parameters(std::span<const std::byte> b) {
    byte_reader r(b);
    r.i32(); // length
    r.i32(); // protocol version
    std::vector<std::pair<std::string, std::string>> out;
    while (!r.error() && r.remaining() > 1) {
        std::string key(r.cstring());
        std::string value(r.cstring());
        out.emplace_back(std::move(key), std::move(value));
    }
    return out;
}

std::string parameter(const std::vector<std::pair<std::string, std::string>>& ps,
                      std::string_view key) {
    for (const auto& [k, v] : ps)
        if (k == key) return v;
    return {};
}

// Cuts the client's stream into messages: the startup message (no type byte) first, then
// type + length + body. Returns false when `buf` holds no whole message yet.
bool next_frontend(std::vector<std::byte>& buf, bool startup, message& m, bool& bad) {
    const std::size_t header = startup ? 4 : 5;
    if (buf.size() < header) return false;
    const auto length = protocol::detail::load_big<std::uint32_t>(buf.data() + header - 4);
    if (length < 4 || length > 0x7FFFFFFFu) {
        bad = true;
        return false;
    }
    const std::size_t total = header - 4 + length;
    if (buf.size() < total) return false;
    m.type = startup ? char{0} : static_cast<char>(buf[0]);
    m.body.assign(buf.begin() + static_cast<std::ptrdiff_t>(startup ? 0 : 5),
                  buf.begin() + static_cast<std::ptrdiff_t>(total));
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(total));
    return true;
}

void append_wire(std::vector<std::byte>& out, const message& m) {
    out.push_back(static_cast<std::byte>(m.type));
    std::byte len[4];
    protocol::detail::store_big(len, static_cast<std::uint32_t>(m.body.size() + 4));
    out.insert(out.end(), std::begin(len), std::end(len));
    out.insert(out.end(), m.body.begin(), m.body.end());
}

std::string host_name(const host_spec& h) {
    if (h.is_unix_socket()) return h.unix_socket_path();
    return h.host.empty() ? h.hostaddr : h.host;
}

// One recorded session, as the fixture holds it.
struct session_data {
    std::string host;
    std::uint16_t port = 0;
    std::string user;
    std::string database;
    std::vector<message> startup; // the answers after authentication, to ReadyForQuery
    std::vector<exchange> exchanges;
};

} // namespace

// ---------------------------------------------------------------------------------------------
// Recording

namespace {
struct session_log;
} // namespace

namespace {
// What a recording and its sessions share (the sessions must not own the recording's list of
// them: that would be a cycle).
struct recording_sync {
    std::mutex mutex;   // sessions of a thread-safe pool record from several threads
    bool dirty = false; // recorded since the last save
};
} // namespace

struct recording::state {
    std::shared_ptr<recording_sync> sync = std::make_shared<recording_sync>();
    std::vector<std::shared_ptr<session_log>> sessions;
};

namespace {

struct session_log : wire_session {
    explicit session_log(std::shared_ptr<recording_sync> s)
        : shared(std::move(s))
        , mutex(shared->mutex)
        , dirty(shared->dirty) {}

    error_code sent(std::span<const std::byte> bytes, std::string&) override {
        std::lock_guard lock(mutex);
        front.insert(front.end(), bytes.begin(), bytes.end());
        message m;
        bool bad = false;
        while (!broken && next_frontend(front, !startup_seen, m, bad)) {
            if (!startup_seen) {
                startup_seen = true;
                const auto ps = startup_parameters(m.body);
                data.user = parameter(ps, "user");
                data.database = parameter(ps, "database");
                continue;
            }
            // The authentication exchange (PasswordMessage, SASL) is never kept, nor Terminate.
            if (m.type == 'p' || m.type == 'X') continue;
            const char type = m.type;
            const std::size_t k = is_copy_message(type) ? answered : next_request;
            if (data.exchanges.size() <= k) data.exchanges.resize(k + 1);
            data.exchanges[k].sent.push_back(std::move(m));
            if (type == 'S' || type == 'Q') ++next_request;
            dirty = true;
        }
        broken = broken || bad;
        return {};
    }

    void received(std::span<const std::byte> bytes) override {
        std::lock_guard lock(mutex);
        auto space = back.prepare(bytes.size());
        std::copy(bytes.begin(), bytes.end(), space.begin());
        back.commit(bytes.size());
        for (;;) {
            auto next = back.next();
            if (!next || !*next) break; // a stream the engine itself will refuse
            message m{static_cast<char>((*next)->type),
                      {(*next)->body.begin(), (*next)->body.end()}};
            if (!started) {
                // Authentication requests are not kept (SASL's carry the server's proof); the
                // cancel key is blanked (it would let a reader of the file cancel queries).
                if (m.type == 'R') continue;
                if (m.type == 'K' && m.body.size() > 4)
                    std::fill(m.body.begin() + 4, m.body.end(), std::byte{0});
                started = m.type == 'Z';
                data.startup.push_back(std::move(m));
                dirty = true;
                continue;
            }
            if (data.exchanges.size() <= answered) data.exchanges.resize(answered + 1);
            auto& ex = data.exchanges[answered];
            m.after = ex.sent.size();
            m.after_cancels = cancels;
            const bool ready = m.type == 'Z';
            ex.received.push_back(std::move(m));
            if (ready) ++answered;
            dirty = true;
        }
    }

    std::size_t answer(std::span<std::byte>) override { return 0; }

    void cancel_sent() override {
        std::lock_guard lock(mutex);
        ++cancels;
    }

    std::shared_ptr<recording_sync> shared;
    std::mutex& mutex;
    bool& dirty;
    session_data data;
    std::vector<std::byte> front;
    protocol::framer back;
    bool startup_seen = false;
    bool started = false; // the startup's ReadyForQuery arrived
    bool broken = false;
    std::size_t next_request = 0; // the exchange the next request opens
    std::size_t answered = 0;     // the exchange the server answers
    std::size_t cancels = 0;      // CancelRequests sent so far
};

} // namespace

recording::recording(std::string path)
    : path_(std::move(path))
    , state_(std::make_shared<state>()) {}

recording::~recording() {
    try {
        bool dirty = false;
        {
            std::lock_guard lock(state_->sync->mutex);
            dirty = state_->sync->dirty;
        }
        if (dirty) save();
    } catch (...) { // NOLINT(bugprone-empty-catch): documented: save() reports errors
    }
}

std::shared_ptr<wire_session> recording::open_session(const host_spec& host, const config&,
                                                      std::string&) {
    std::lock_guard lock(state_->sync->mutex);
    auto s = std::make_shared<session_log>(state_->sync);
    s->data.host = host_name(host);
    s->data.port = host.port;
    state_->sessions.push_back(s);
    state_->sync->dirty = true;
    return s;
}

std::string recording::to_json() const {
    std::lock_guard lock(state_->sync->mutex);
    json::array sessions;
    for (const auto& s : state_->sessions) {
        if (!s->startup_seen) continue; // nothing was sent
        const auto& d = s->data;
        json::object o;
        o["host"] = d.host;
        o["port"] = d.port;
        o["user"] = d.user;
        o["database"] = d.database;
        o["authentication"] = "not recorded";
        std::vector<bool> binary; // the columns of the latest RowDescription in binary
        json::array startup;
        for (const auto& m : d.startup)
            startup.push_back(message_json(m, false, std::nullopt, binary));
        o["startup"] = std::move(startup);
        json::array exchanges;
        for (const auto& ex : d.exchanges) {
            json::array sent;
            json::array received;
            for (const auto& m : ex.sent)
                sent.push_back(message_json(m, true, std::nullopt, binary));
            for (const auto& m : ex.received)
                received.push_back(message_json(
                    m, false,
                    m.after < ex.sent.size() ? std::optional<std::size_t>(m.after) : std::nullopt,
                    binary));
            exchanges.push_back(
                json::object{{"sent", std::move(sent)}, {"received", std::move(received)}});
        }
        o["exchanges"] = std::move(exchanges);
        sessions.push_back(std::move(o));
    }
    json::object root;
    root["pgasio_recording"] = 1;
    root["sessions"] = std::move(sessions);
    std::string out;
    write_pretty(out, root, 0);
    return out + "\n";
}

void recording::save() {
    const std::string text = to_json();
    std::ofstream f(path_, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) throw fixture_error(path_ + ": cannot write the recording");
    std::lock_guard lock(state_->sync->mutex);
    state_->sync->dirty = false;
}

std::shared_ptr<recording> record(std::string path) {
    return std::make_shared<recording>(std::move(path));
}

// ---------------------------------------------------------------------------------------------
// Replay

namespace {

// Reads a fixture, naming the entry at fault in every error.
class fixture_reader {
public:
    explicit fixture_reader(std::string name)
        : name_(std::move(name)) {}

    std::vector<session_data> read(std::string_view text) {
        json::error_code ec;
        json::value root = json::parse(text, ec);
        if (ec) fail("", "not JSON: " + ec.message());
        const auto& o = object(root, "");
        const auto* version = o.if_contains("pgasio_recording");
        if (!version || !version->is_int64() || version->as_int64() != 1)
            fail("", "not a pgasio recording (\"pgasio_recording\": 1 missing)");
        std::vector<session_data> out;
        const auto& sessions = array(o, "sessions", "");
        for (std::size_t i = 0; i < sessions.size(); ++i)
            out.push_back(session(sessions[i], fmt::format("sessions[{}]", i)));
        return out;
    }

private:
    [[noreturn]] void fail(const std::string& where, const std::string& what) const {
        throw fixture_error(name_ + ": " + (where.empty() ? "" : where + ": ") + what);
    }
    const json::object& object(const json::value& v, const std::string& where) const {
        if (!v.is_object()) fail(where, "not an object");
        return v.as_object();
    }
    const json::array& array(const json::object& o, std::string_view key,
                             const std::string& where) const {
        const auto* v = o.if_contains(key);
        if (!v || !v->is_array()) fail(where, fmt::format("no \"{}\" array", key));
        return v->as_array();
    }
    std::string string(const json::object& o, std::string_view key,
                       const std::string& where) const {
        const auto* v = o.if_contains(key);
        if (!v || !v->is_string()) fail(where, fmt::format("no \"{}\" string", key));
        return std::string(v->as_string());
    }
    std::int64_t integer(const json::object& o, std::string_view key, std::int64_t max,
                         const std::string& where) const {
        const auto* v = o.if_contains(key);
        if (!v || !v->is_int64() || v->as_int64() < 0 || v->as_int64() > max)
            fail(where, fmt::format("\"{}\" is not a number from 0 to {}", key, max));
        return v->as_int64();
    }

    template <std::size_t N>
    message msg(const json::value& v, const std::pair<char, std::string_view> (&names)[N],
                const std::string& where) const {
        const auto& o = object(v, where);
        const auto name = string(o, "type", where);
        const auto type = type_of(names, name);
        if (!type) fail(where, "unknown message type " + quoted(name));
        auto body = protocol::detail::base64_decode(string(o, "data", where));
        if (!body) fail(where, "\"data\" is not base64");
        if (body->size() > 0x7FFFFFFBu) fail(where, "\"data\" is too long");
        return message{*type, std::move(*body), 0};
    }

    session_data session(const json::value& v, const std::string& where) const {
        const auto& o = object(v, where);
        session_data d;
        d.host = string(o, "host", where);
        d.port = static_cast<std::uint16_t>(integer(o, "port", 65535, where));
        d.user = string(o, "user", where);
        d.database = string(o, "database", where);
        const auto& startup = array(o, "startup", where);
        for (std::size_t i = 0; i < startup.size(); ++i)
            d.startup.push_back(
                msg(startup[i], backend_names, fmt::format("{}.startup[{}]", where, i)));
        const auto& exchanges = array(o, "exchanges", where);
        std::size_t cancels_before = 0; // the session's cancels never decrease
        for (std::size_t k = 0; k < exchanges.size(); ++k) {
            const auto at = fmt::format("{}.exchanges[{}]", where, k);
            const auto& e = object(exchanges[k], at);
            exchange ex;
            const auto& sent = array(e, "sent", at);
            for (std::size_t i = 0; i < sent.size(); ++i) {
                ex.sent.push_back(msg(sent[i], frontend_names, fmt::format("{}.sent[{}]", at, i)));
                if (ex.sent.back().type == 'X')
                    fail(fmt::format("{}.sent[{}]", at, i), "Terminate is never recorded");
            }
            // Requests first, then the COPY data sent while the exchange's COPY runs.
            const auto copy = std::find_if(ex.sent.begin(), ex.sent.end(), [](const message& m) {
                return is_copy_message(m.type);
            });
            if (std::any_of(copy, ex.sent.end(),
                            [](const message& m) { return !is_copy_message(m.type); }))
                fail(at, "a request after COPY data in the same exchange");
            const auto& received = array(e, "received", at);
            for (std::size_t i = 0; i < received.size(); ++i) {
                const auto mat = fmt::format("{}.received[{}]", at, i);
                auto m = msg(received[i], backend_names, mat);
                const auto& mo = received[i].as_object();
                m.after = mo.contains("after")
                              ? static_cast<std::size_t>(integer(
                                    mo, "after", static_cast<std::int64_t>(ex.sent.size()), mat))
                              : ex.sent.size();
                if (!ex.received.empty() && m.after < ex.received.back().after)
                    fail(mat, "\"after\" smaller than the previous answer's");
                // No session sends more cancels than it has requests; the bound only keeps the
                // count sane.
                if (mo.contains("after_cancels"))
                    m.after_cancels = static_cast<std::size_t>(
                        integer(mo, "after_cancels", std::int64_t{1} << 40, mat));
                if (cancels_before > m.after_cancels)
                    fail(mat, "\"after_cancels\" smaller than the previous answer's");
                cancels_before = m.after_cancels;
                ex.received.push_back(std::move(m));
            }
            d.exchanges.push_back(std::move(ex));
        }
        return d;
    }

    std::string name_;
};

// Serves one recorded session.
class replay_session : public wire_session {
public:
    replay_session(std::shared_ptr<const session_data> data, std::size_t number)
        : data_(std::move(data))
        , number_(number)
        , main_(data_->exchanges.size(), 0)
        , copy_(data_->exchanges.size(), 0)
        , requests_(data_->exchanges.size(), 0) {
        for (std::size_t k = 0; k < data_->exchanges.size(); ++k) {
            const auto& sent = data_->exchanges[k].sent;
            requests_[k] = static_cast<std::size_t>(
                std::find_if(sent.begin(), sent.end(),
                             [](const message& m) { return is_copy_message(m.type); }) -
                sent.begin());
        }
    }

    error_code sent(std::span<const std::byte> bytes, std::string& why) override {
        front_.insert(front_.end(), bytes.begin(), bytes.end());
        message m;
        bool bad = false;
        while (next_frontend(front_, !started_, m, bad)) {
            if (auto ec = take(m, why)) return ec;
        }
        if (bad) {
            why = where() + ": the client sent a message with an invalid length";
            return client_errc::replay_mismatch;
        }
        release();
        return {};
    }

    void received(std::span<const std::byte>) override {}

    void cancel_sent() override {
        ++cancels_;
        release();
    }

    std::size_t answer(std::span<std::byte> out) override {
        const std::size_t n = std::min(out.size(), due_.size() - due_begin_);
        std::copy_n(due_.begin() + static_cast<std::ptrdiff_t>(due_begin_), n, out.begin());
        due_begin_ += n;
        if (due_begin_ == due_.size()) {
            due_.clear();
            due_begin_ = 0;
        }
        return n;
    }

private:
    std::string where() const {
        return fmt::format("replay: session {} ({} port {})", number_ + 1, data_->host,
                           data_->port);
    }

    error_code take(const message& m, std::string& why) {
        if (!started_) {
            started_ = true;
            const auto ps = startup_parameters(m.body);
            const auto user = parameter(ps, "user");
            const auto database = parameter(ps, "database");
            if (user != data_->user || database != data_->database) {
                why = fmt::format("{}: recorded for user {} on database {}, the client logs in "
                                  "as user {} on database {}",
                                  where(), quoted(data_->user), quoted(data_->database),
                                  quoted(user), quoted(database));
                return client_errc::replay_mismatch;
            }
            // No authentication: AuthenticationOk, then what the server said after it.
            append_wire(due_,
                        message{'R', {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}}});
            for (const auto& s : data_->startup)
                append_wire(due_, s);
            return {};
        }
        if (m.type == 'X') return {}; // Terminate: the session may end anywhere
        const auto& exs = data_->exchanges;
        // COPY data belongs to the exchange being answered; a request, to the next one not
        // fully sent.
        std::size_t k = 0;
        std::size_t i = 0;
        if (is_copy_message(m.type)) {
            k = answering_;
            if (k < exs.size()) i = requests_[k] + copy_[k];
            if (k >= exs.size() || i >= exs[k].sent.size()) return extra(m, why);
        } else {
            while (sending_ < exs.size() && main_[sending_] == requests_[sending_])
                ++sending_;
            if (sending_ == exs.size()) return extra(m, why);
            k = sending_;
            i = main_[k];
        }
        const auto& recorded = exs[k].sent[i];
        if (recorded.type != m.type || recorded.body != m.body) {
            why = fmt::format("{}, exchange {}, message {} differs: recorded {}, sent {}{}",
                              where(), k + 1, i + 1, frontend_line(recorded), frontend_line(m),
                              statements(exs[k], m));
            return client_errc::replay_mismatch;
        }
        if (is_copy_message(m.type))
            ++copy_[k];
        else
            ++main_[k];
        return {};
    }

    static bool is_statement(const message& x) noexcept { return x.type == 'P' || x.type == 'Q'; }

    // The statement of the request `m` is part of: `m`, or one later in the request (its rest
    // is still buffered, as a request goes out in one write).
    std::optional<message> statement_sent(const message& m) const {
        if (is_statement(m)) return m;
        std::vector<std::byte> rest = front_;
        message next;
        bool bad = false;
        while (next_frontend(rest, false, next, bad) && next.type != 'S')
            if (is_statement(next)) return next;
        return std::nullopt;
    }

    // When the statements of the recorded request and of the one sent differ, both: the
    // first difference may be a message that only follows from the SQL (a Close of a
    // statement named after it).
    std::string statements(const exchange& recorded, const message& m) const {
        const auto rec = std::find_if(recorded.sent.begin(), recorded.sent.end(), is_statement);
        const auto sent = statement_sent(m);
        if (rec == recorded.sent.end() || !sent ||
            (rec->type == sent->type && rec->body == sent->body))
            return {};
        return fmt::format(" (the statement recorded: {}; sent: {})", frontend_line(*rec),
                           frontend_line(*sent));
    }

    error_code extra(const message& m, std::string& why) const {
        const auto sent = statement_sent(m);
        why = fmt::format("{}: the client sent {} after the last request recorded{}", where(),
                          frontend_line(m),
                          sent && !is_statement(m) ? " (of " + frontend_line(*sent) + ")" : "");
        return client_errc::replay_mismatch;
    }

    bool sent_all(std::size_t k) const {
        return main_[k] == requests_[k] &&
               copy_[k] == data_->exchanges[k].sent.size() - requests_[k];
    }

    // Makes due every recorded answer whose requests have all been sent.
    void release() {
        const auto& exs = data_->exchanges;
        while (answering_ < exs.size()) {
            const auto& ex = exs[answering_];
            if (answer_index_ == ex.received.size()) {
                // Answered in full: the next exchange, once this one was sent in full too.
                if (!sent_all(answering_)) return;
                ++answering_;
                answer_index_ = 0;
                continue;
            }
            const auto& m = ex.received[answer_index_];
            const std::size_t requests = std::min(m.after, requests_[answering_]);
            const std::size_t copies = m.after - requests;
            if (main_[answering_] < requests || copy_[answering_] < copies) return;
            if (cancels_ < m.after_cancels) return; // it answers a cancel not sent yet
            append_wire(due_, m);
            ++answer_index_;
        }
    }

    std::shared_ptr<const session_data> data_;
    std::size_t number_;
    std::vector<std::size_t> main_;     // per exchange: requests sent
    std::vector<std::size_t> copy_;     // per exchange: COPY messages sent
    std::vector<std::size_t> requests_; // per exchange: how many of its messages are requests
    std::size_t sending_ = 0;           // the exchange the next request belongs to
    std::size_t answering_ = 0;         // the exchange whose answers are released
    std::size_t answer_index_ = 0;      // its next answer
    std::size_t cancels_ = 0;           // CancelRequests the client sent
    bool started_ = false;
    std::vector<std::byte> front_;
    std::vector<std::byte> due_;
    std::size_t due_begin_ = 0;
};

class replayer final : public wire_simulation {
public:
    explicit replayer(std::vector<session_data> sessions) {
        for (auto& s : sessions)
            sessions_.push_back(std::make_shared<const session_data>(std::move(s)));
        used_.assign(sessions_.size(), false);
    }

    bool replays() const noexcept override { return true; }

    std::shared_ptr<wire_session> open_session(const host_spec& host, const config&,
                                               std::string& why) override {
        std::lock_guard lock(mutex_);
        const auto name = host_name(host);
        for (std::size_t i = 0; i < sessions_.size(); ++i) {
            if (used_[i] || sessions_[i]->host != name || sessions_[i]->port != host.port) continue;
            used_[i] = true;
            return std::make_shared<replay_session>(sessions_[i], i);
        }
        why = fmt::format("replay: no session recorded for {} port {} is left (the recording has "
                          "{} session{})",
                          quoted(name), host.port, sessions_.size(),
                          sessions_.size() == 1 ? "" : "s");
        return nullptr;
    }

private:
    std::mutex mutex_; // a thread-safe pool opens sessions from several threads
    std::vector<std::shared_ptr<const session_data>> sessions_;
    std::vector<bool> used_;
};

} // namespace

std::shared_ptr<wire_simulation> replay_text(std::string_view json, const std::string& name) {
    return std::make_shared<replayer>(fixture_reader(name).read(json));
}

std::shared_ptr<wire_simulation> replay(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw fixture_error(path + ": cannot be read");
    std::ostringstream text;
    text << f.rdbuf();
    return replay_text(text.str(), path);
}

} // namespace pgasio::simulation
