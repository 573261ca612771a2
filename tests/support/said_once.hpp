// Whether an error's text makes each of its points once.
#pragma once

#include <pgasio/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace pgasio::test {

/// How many times `part` stands in what format_error(ec, diag) shows, as a pgasio::error's
/// what() does: a point made twice (the code's text and an explanation that says it again) shows
/// up as 2.
inline std::size_t times_said(const error_code& ec, const diagnostics& diag,
                              std::string_view part) {
    const std::string text = format_error(ec, diag);
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
        ++n;
    return n;
}

} // namespace pgasio::test
