// The multirange wire formats (the server's utils/adt/multirangetypes.c): binary framing and the
// text syntax around the ranges.
#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/types/detail/text.hpp>
#include <pgasio/protocol/types/multirange.hpp>

namespace pgasio::protocol::types::detail {

boost::system::error_code read_multirange(std::span<const std::byte> in,
                                          std::vector<std::span<const std::byte>>& out) {
    out.clear();
    protocol::detail::byte_reader r(in);
    const std::int32_t count = r.i32();
    // Every range takes at least its 4-byte length.
    if (r.error() || count < 0 || static_cast<std::size_t>(count) > r.remaining() / 4)
        return client_errc::invalid_binary_length;
    out.reserve(static_cast<std::size_t>(count));
    for (std::int32_t i = 0; i < count; ++i) {
        const std::int32_t length = r.i32();
        if (r.error() || length < 0) return client_errc::invalid_binary_length;
        out.push_back(r.bytes(static_cast<std::size_t>(length)));
        if (r.error()) return client_errc::invalid_binary_length;
    }
    if (!r.empty()) return client_errc::invalid_binary_length;
    return {};
}

boost::system::error_code split_text_multirange(std::string_view in,
                                                std::vector<std::string_view>& out) {
    out.clear();
    const std::string_view s = trim_space(in);
    if (s.size() < 2 || s.front() != '{' || s.back() != '}') return client_errc::invalid_text_value;
    std::size_t i = 1;
    const std::size_t end = s.size() - 1; // the '}'
    const auto skip_space = [&] {
        while (i < end && is_space(s[i]))
            ++i;
    };
    skip_space();
    if (i == end) return {}; // "{}"
    while (true) {
        skip_space();
        if (i < end && (s[i] == '[' || s[i] == '(')) {
            // To the ']' or ')' that is neither quoted nor escaped.
            const std::size_t start = i++;
            bool quoted = false;
            while (true) {
                if (i >= end) return client_errc::invalid_text_value;
                const char c = s[i++];
                if (c == '\\') {
                    if (i >= end) return client_errc::invalid_text_value;
                    ++i;
                } else if (c == '"') {
                    quoted = !quoted; // a doubled quote inside quotes toggles twice
                } else if (!quoted && (c == ']' || c == ')')) {
                    break;
                }
            }
            out.push_back(s.substr(start, i - start));
        } else if (end - i >= 5 && iequals(s.substr(i, 5), "empty")) {
            i += 5; // an empty range adds nothing
        } else {
            return client_errc::invalid_text_value;
        }
        skip_space();
        if (i == end) return {};
        if (s[i] != ',') return client_errc::invalid_text_value;
        ++i;
    }
}

} // namespace pgasio::protocol::types::detail
