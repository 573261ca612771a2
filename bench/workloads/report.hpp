// The one line every workload program prints, read by tools/bench.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdio>

namespace pgasio::bench {

/// Wall time and client CPU (user + system time of this process, getrusage) over a timed region.
class timed_region {
public:
    timed_region()
        : wall_(std::chrono::steady_clock::now())
        , cpu_(cpu_seconds()) {}

    /// Prints `client=<c> workload=<w> ops=<n> wall_s=<s> cpu_s=<s>` for tools/bench; with
    /// `with_maxrss`, also ` maxrss_kb=<k>` at the end: the process's peak resident set size
    /// (getrusage ru_maxrss), for workloads whose memory is a figure (a whole result in memory).
    void report(const char* client, const char* workload, long ops,
                bool with_maxrss = false) const {
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
        std::printf("client=%s workload=%s ops=%ld wall_s=%.6f cpu_s=%.6f", client, workload, ops,
                    wall, cpu_seconds() - cpu_);
        if (with_maxrss) {
            rusage u{};
            getrusage(RUSAGE_SELF, &u);
            std::printf(" maxrss_kb=%ld", u.ru_maxrss);
        }
        std::printf("\n");
    }

private:
    static double cpu_seconds() {
        rusage u{};
        getrusage(RUSAGE_SELF, &u);
        auto s = [](timeval t) {
            return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
        };
        return s(u.ru_utime) + s(u.ru_stime);
    }

    std::chrono::steady_clock::time_point wall_;
    double cpu_;
};

} // namespace pgasio::bench
