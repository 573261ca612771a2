// Packing of five-character SQLSTATE codes into error_code values.
#pragma once

#include <string_view>

namespace pgasio::protocol::detail {

/// Packs a SQLSTATE (five characters from 0-9 and A-Z) into an int, base 36, so that every code,
/// including ones a newer server invents, has a distinct error_code value. Returns 0 for a string
/// that is not a well-formed SQLSTATE: "00000" (successful_completion) also packs to 0, and is
/// never an error.
constexpr int pack_sqlstate(std::string_view code) noexcept {
    if (code.size() != 5) return 0;
    int v = 0;
    for (char c : code) {
        int digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'A' && c <= 'Z')
            digit = c - 'A' + 10;
        else
            return 0;
        v = v * 36 + digit;
    }
    return v;
}

/// The inverse of pack_sqlstate: writes the five characters of `v` into `out`.
constexpr void unpack_sqlstate(int v, char (&out)[5]) noexcept {
    for (int i = 4; i >= 0; --i) {
        const int digit = v % 36;
        out[i] = static_cast<char>(digit < 10 ? '0' + digit : 'A' + digit - 10);
        v /= 36;
    }
}

} // namespace pgasio::protocol::detail
