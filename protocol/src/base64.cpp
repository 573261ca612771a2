#include <pgasio/protocol/detail/base64.hpp>

#include <array>
#include <cstdint>

namespace pgasio::protocol::detail {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Value of each character, or -1 for a character outside the alphabet (padding included).
constexpr std::array<std::int8_t, 256> decode_table = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
}();

char digit(std::uint32_t v) {
    return alphabet[v & 0x3F];
}

} // namespace

void base64_encode(std::span<const std::byte> bytes, std::string& out) {
    out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto v = std::to_integer<std::uint32_t>(bytes[i]) << 16 |
                       std::to_integer<std::uint32_t>(bytes[i + 1]) << 8 |
                       std::to_integer<std::uint32_t>(bytes[i + 2]);
        out += {digit(v >> 18), digit(v >> 12), digit(v >> 6), digit(v)};
    }
    if (bytes.size() - i == 1) {
        const auto v = std::to_integer<std::uint32_t>(bytes[i]) << 16;
        out += {digit(v >> 18), digit(v >> 12), '=', '='};
    } else if (bytes.size() - i == 2) {
        const auto v = std::to_integer<std::uint32_t>(bytes[i]) << 16 |
                       std::to_integer<std::uint32_t>(bytes[i + 1]) << 8;
        out += {digit(v >> 18), digit(v >> 12), digit(v >> 6), '='};
    }
}

std::string base64_encode(std::span<const std::byte> bytes) {
    std::string out;
    base64_encode(bytes, out);
    return out;
}

std::optional<std::vector<std::byte>> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') ++padding;
    if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
    std::vector<std::byte> out;
    out.reserve(text.size() / 4 * 3);
    const std::size_t data_chars = text.size() - padding;
    std::uint32_t acc = 0;
    for (std::size_t i = 0; i < data_chars; ++i) {
        const std::int8_t v = decode_table[static_cast<unsigned char>(text[i])];
        if (v < 0) return std::nullopt; // includes a '=' before the final padding
        acc = acc << 6 | static_cast<std::uint32_t>(v);
        if (i % 4 == 3) {
            out.push_back(static_cast<std::byte>(acc >> 16));
            out.push_back(static_cast<std::byte>(acc >> 8));
            out.push_back(static_cast<std::byte>(acc));
            acc = 0;
        }
    }
    // The last group: 2 characters carry one byte (4 spare bits), 3 carry two (2 spare bits).
    // Non-zero spare bits would make a second spelling of the same bytes: refuse them.
    if (padding == 2) {
        if (acc & 0x0F) return std::nullopt;
        out.push_back(static_cast<std::byte>(acc >> 4));
    } else if (padding == 1) {
        if (acc & 0x03) return std::nullopt;
        out.push_back(static_cast<std::byte>(acc >> 10));
        out.push_back(static_cast<std::byte>(acc >> 2));
    }
    return out;
}

} // namespace pgasio::protocol::detail
