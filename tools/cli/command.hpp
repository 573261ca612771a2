// One subcommand of the pgasio program: its name, a line of help, and what it runs.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace pgasio::cli {

/// A subcommand: `pgasio <name> args...`. `run` gets the arguments after the name and returns
/// the process's exit status (0 success, 1 the database said no, 2 bad usage); it prints its own
/// `--help`.
struct command {
    std::string_view name;
    std::string_view summary;
    std::function<int(std::span<const std::string> args)> run;
};

/// The subcommands, in the order `pgasio --help` lists them. Adding one is adding its entry.
std::span<const command> commands();

int query_command(std::span<const std::string> args);
int copy_in_command(std::span<const std::string> args);
int copy_out_command(std::span<const std::string> args);
int trace_command(std::span<const std::string> args);
int health_command(std::span<const std::string> args);

} // namespace pgasio::cli
