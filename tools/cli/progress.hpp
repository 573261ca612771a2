// The progress of a copy: rows, bytes, rate and ETA, redrawn in place on a terminal, as plain
// lines (one every few seconds, and one at the end) otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace pgasio::cli {

class progress {
public:
    /// Reports to `to` about copying `what`; `total_bytes` or `total_rows`, when known, give
    /// the ETA.
    progress(std::FILE* to, std::string what, std::optional<std::uint64_t> total_bytes,
             std::optional<std::uint64_t> total_rows);

    /// Counts a chunk of `bytes` holding `rows` rows, and reports when it is time to.
    void add(std::uint64_t bytes, std::uint64_t rows);
    /// Reports the final figures (`rows`: the server's count, when there is one).
    void finish(std::optional<std::uint64_t> rows = std::nullopt);

private:
    void report(bool final);

    std::FILE* to_;
    std::string what_;
    bool terminal_;
    std::optional<std::uint64_t> total_bytes_;
    std::optional<std::uint64_t> total_rows_;
    std::uint64_t bytes_ = 0;
    std::uint64_t rows_ = 0;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_ = start_;
};

} // namespace pgasio::cli
