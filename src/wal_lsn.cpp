#include <pgasio/wal_lsn.hpp>

#include <fmt/format.h>

#include <charconv>
#include <ostream>

namespace pgasio {
namespace {

// One half: 1 to 8 hex digits, all of `text` (from_chars alone would accept a '-' or a prefix).
std::optional<std::uint32_t> parse_half(std::string_view text) noexcept {
    if (text.empty() || text.size() > 8) return std::nullopt;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return std::nullopt;
    std::uint32_t v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v, 16);
    return v;
}

} // namespace

std::optional<wal_lsn> wal_lsn::parse(std::string_view text) noexcept {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto high = parse_half(text.substr(0, slash));
    const auto low = parse_half(text.substr(slash + 1));
    if (!high || !low) return std::nullopt;
    return wal_lsn((std::uint64_t{*high} << 32) | *low);
}

std::string wal_lsn::to_string() const {
    return fmt::format("{:X}/{:X}", offset_ >> 32, offset_ & 0xFFFF'FFFFu);
}

std::ostream& operator<<(std::ostream& os, wal_lsn lsn) {
    return os << lsn.to_string();
}

} // namespace pgasio
