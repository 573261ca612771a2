// The range wire formats: binary flags and framing, text syntax.
#include <pgasio/protocol/types/detail/range_format.hpp>
#include <pgasio/protocol/types/detail/text.hpp>

namespace pgasio::protocol::types::detail {
namespace {

using namespace range_flags;

constexpr std::uint8_t known_flags =
    empty | lower_inclusive | upper_inclusive | lower_infinite | upper_infinite;

bool needs_quotes(std::string_view s) noexcept {
    if (s.empty()) return true;
    for (char c : s)
        if (c == '"' || c == '\\' || c == '(' || c == ')' || c == '[' || c == ']' || c == ',' ||
            is_space(c))
            return true;
    return false;
}

void append_bound(std::string& out, const std::optional<std::string>& b) {
    if (!b) return;
    if (!needs_quotes(*b)) {
        out += *b;
        return;
    }
    // The server's range_bound_escape doubles quotes and backslashes inside the quotes.
    out += '"';
    for (char c : *b) {
        if (c == '"' || c == '\\') out += c;
        out += c;
    }
    out += '"';
}

// One bound of a text range, up to (not including) the ',', ')' or ']' after it.
boost::system::error_code parse_bound(std::string_view s, std::size_t& i,
                                      std::optional<std::string>& out) {
    const auto ends_bound = [](char c) { return c == ',' || c == ')' || c == ']'; };
    if (i < s.size() && ends_bound(s[i])) {
        out.reset(); // nothing at all: unbounded
        return {};
    }
    std::string v;
    bool in_quotes = false;
    while (true) {
        if (i >= s.size()) return client_errc::invalid_text_value;
        const char c = s[i];
        if (!in_quotes && ends_bound(c)) break;
        ++i;
        if (c == '\\') {
            if (i >= s.size()) return client_errc::invalid_text_value;
            v += s[i++];
        } else if (c == '"') {
            if (!in_quotes) {
                in_quotes = true;
            } else if (i < s.size() && s[i] == '"') {
                v += '"'; // a doubled quote inside quotes
                ++i;
            } else {
                in_quotes = false;
            }
        } else {
            v += c;
        }
    }
    out = std::move(v);
    return {};
}

} // namespace

boost::system::error_code read_range(std::span<const std::byte> in, binary_range& out) noexcept {
    protocol::detail::byte_reader r(in);
    const std::uint8_t flags = r.u8();
    if (r.error() || (flags & ~known_flags) != 0) return client_errc::invalid_range;
    out = binary_range{};
    if (flags & empty) {
        if (flags != empty || !r.empty()) return client_errc::invalid_range;
        out.empty = true;
        return {};
    }
    // The server never marks an infinite bound inclusive (range_serialize clears the flag).
    if ((flags & lower_infinite) && (flags & lower_inclusive)) return client_errc::invalid_range;
    if ((flags & upper_infinite) && (flags & upper_inclusive)) return client_errc::invalid_range;
    out.lower_inclusive = (flags & lower_inclusive) != 0;
    out.upper_inclusive = (flags & upper_inclusive) != 0;
    for (auto [infinite, bound] : {std::pair{(flags & lower_infinite) != 0, &out.lower},
                                   std::pair{(flags & upper_infinite) != 0, &out.upper}}) {
        if (infinite) continue;
        const std::int32_t length = r.i32();
        if (r.error() || length < 0) return client_errc::invalid_range;
        *bound = r.bytes(static_cast<std::size_t>(length));
        if (r.error()) return client_errc::invalid_range;
    }
    if (!r.empty()) return client_errc::invalid_range;
    return {};
}

boost::system::error_code range_flags_of(bool is_empty, bool has_lower, bool lower_inc,
                                         bool has_upper, bool upper_inc,
                                         std::uint8_t& flags) noexcept {
    if (is_empty) {
        if (has_lower || has_upper || lower_inc || upper_inc) return client_errc::invalid_range;
        flags = empty;
        return {};
    }
    if ((!has_lower && lower_inc) || (!has_upper && upper_inc)) return client_errc::invalid_range;
    flags = static_cast<std::uint8_t>(
        (lower_inc ? lower_inclusive : 0) | (upper_inc ? upper_inclusive : 0) |
        (has_lower ? 0 : lower_infinite) | (has_upper ? 0 : upper_infinite));
    return {};
}

boost::system::error_code parse_text_range(std::string_view in, text_range& out) {
    out = text_range{};
    const std::string_view s = trim_space(in);
    if (iequals(s, "empty")) {
        out.empty = true;
        return {};
    }
    std::size_t i = 0;
    if (s.empty() || (s[0] != '[' && s[0] != '(')) return client_errc::invalid_text_value;
    out.lower_inclusive = s[i++] == '[';
    if (auto ec = parse_bound(s, i, out.lower)) return ec;
    if (i >= s.size() || s[i] != ',') return client_errc::invalid_text_value;
    ++i;
    if (auto ec = parse_bound(s, i, out.upper)) return ec;
    if (i >= s.size() || (s[i] != ')' && s[i] != ']')) return client_errc::invalid_text_value;
    out.upper_inclusive = s[i++] == ']';
    if (i != s.size()) return client_errc::invalid_text_value;
    // "[,5]": the server quietly makes an unbounded side exclusive; so do we, since the text
    // cannot mean anything else.
    if (!out.lower) out.lower_inclusive = false;
    if (!out.upper) out.upper_inclusive = false;
    return {};
}

void append_text_range(std::string& out, const text_range& r) {
    if (r.empty) {
        out += "empty";
        return;
    }
    out += r.lower_inclusive ? '[' : '(';
    append_bound(out, r.lower);
    out += ',';
    append_bound(out, r.upper);
    out += r.upper_inclusive ? ']' : ')';
}

} // namespace pgasio::protocol::types::detail
