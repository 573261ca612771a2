// The pgasio command-line tool: `pgasio <command> [options] args...`.
#include "command.hpp"

#include <fmt/core.h>

#include <array>
#include <exception>
#include <string>
#include <vector>

namespace pgasio::cli {

std::span<const command> commands() {
    static const std::array<command, 5> all{{
        {"query", "run one SQL statement and print its rows (table, --csv, --json)", query_command},
        {"copy-in", "copy a CSV (or text) file into a table, with progress", copy_in_command},
        {"copy-out", "copy a table out to a file or stdout, with progress", copy_out_command},
        {"trace", "run a statement and print every protocol message, decoded, with timings",
         trace_command},
        {"health", "probe a primary and its replicas: roles, latency, replication lag",
         health_command},
    }};
    return all;
}

namespace {

void usage(std::FILE* to) {
    fmt::print(to, "usage: pgasio <command> [options] URL ...\n\ncommands:\n");
    for (const command& c : commands())
        fmt::print(to, "  {:<10} {}\n", c.name, c.summary);
    fmt::print(to,
               "\nURL is a libpq connection string or URI; what it leaves out comes from the PG*\n"
               "environment variables and ~/.pgpass, as with psql.\n"
               "`pgasio <command> --help` describes a command.\n");
}

} // namespace
} // namespace pgasio::cli

int main(int argc, char** argv) {
    using namespace pgasio::cli;
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        usage(args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    for (const command& c : commands()) {
        if (c.name != args[0]) continue;
        try {
            return c.run(std::span(args).subspan(1));
        } catch (const std::exception& e) {
            fmt::print(stderr, "pgasio {}: {}\n", c.name, e.what());
            return 1;
        }
    }
    fmt::print(stderr, "pgasio: unknown command '{}'\n\n", args[0]);
    usage(stderr);
    return 2;
}
