#include "progress.hpp"
#include "session.hpp"

#include <fmt/core.h>

#include <cmath>

namespace pgasio::cli {
namespace {

std::string human_bytes(double b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) {
        b /= 1024;
        ++u;
    }
    return u == 0 ? fmt::format("{:.0f} {}", b, units[u]) : fmt::format("{:.1f} {}", b, units[u]);
}

std::string duration(double seconds) {
    const auto s = static_cast<long>(std::lround(seconds));
    return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                     : fmt::format("{}:{:02}", s / 60, s % 60);
}

} // namespace

progress::progress(std::FILE* to, std::string what, std::optional<std::uint64_t> total_bytes,
                   std::optional<std::uint64_t> total_rows)
    : to_(to)
    , what_(std::move(what))
    , terminal_(is_terminal(to))
    , total_bytes_(total_bytes)
    , total_rows_(total_rows) {}

void progress::add(std::uint64_t bytes, std::uint64_t rows) {
    bytes_ += bytes;
    rows_ += rows;
    const auto now = std::chrono::steady_clock::now();
    // A terminal is redrawn 10 times a second; a log gets a line every 5 seconds.
    if (now - last_ < (terminal_ ? std::chrono::milliseconds(100) : std::chrono::seconds(5)))
        return;
    last_ = now;
    report(false);
}

void progress::finish(std::optional<std::uint64_t> rows) {
    if (rows) rows_ = *rows;
    report(true);
}

void progress::report(bool final) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(bytes_) / elapsed : 0;
    std::string line = fmt::format("{}: {} rows, {}, {}/s", what_, rows_,
                                   human_bytes(static_cast<double>(bytes_)), human_bytes(rate));
    if (final) {
        line += fmt::format(", {} elapsed", duration(elapsed));
    } else {
        // The fraction done, by bytes when the size is known, else by the estimated rows.
        double done = -1;
        if (total_bytes_ && *total_bytes_ > 0)
            done = static_cast<double>(bytes_) / static_cast<double>(*total_bytes_);
        else if (total_rows_ && *total_rows_ > 0)
            done = static_cast<double>(rows_) / static_cast<double>(*total_rows_);
        if (done > 0 && done <= 1)
            line +=
                fmt::format(", {:.0f}%, ETA {}", done * 100, duration(elapsed / done - elapsed));
    }
    if (terminal_)
        fmt::print(to_, "\r\033[K{}{}", line, final ? "\n" : "");
    else
        fmt::print(to_, "{}\n", line);
    std::fflush(to_);
}

} // namespace pgasio::cli
