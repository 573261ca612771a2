// What every command shares: its arguments, the connection settings, running a coroutine, and
// showing the server's errors as psql does.
#pragma once

#include <pgasio/config.hpp>
#include <pgasio/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/program_options.hpp>

#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace pgasio::cli {

namespace po = boost::program_options;

/// Parses a command's arguments: `options` (to which --help is added) and the positional
/// arguments `positional` names. Returns the values, or the exit status when there is nothing
/// more to do: 0 after printing --help (`usage`, then the options), 2 after a usage error.
std::variant<po::variables_map, int>
parse_args(std::span<const std::string> args, po::options_description options,
           const po::positional_options_description& positional, std::string_view usage);

/// The configuration for `url`, completed from the PG* variables (as config::parse does).
/// Throws std::runtime_error with the parser's message.
config parse_url(const std::string& url);

/// Runs `fn` on an io_context of its own and returns its exit status; a pgasio::error it throws
/// is printed (print_error with `sql`) and gives 1.
int run(const std::function<boost::asio::awaitable<int>()>& fn, std::string_view sql = {});

/// Prints an error as psql does: `ERROR:  <SQLSTATE> <message>`, DETAIL, HINT, and, when the
/// server gave a position in `sql`, the line it is in with a caret under it.
void print_error(std::FILE* to, const pgasio::error& e, std::string_view sql);

/// True when `f` is a terminal.
bool is_terminal(std::FILE* f);

} // namespace pgasio::cli
