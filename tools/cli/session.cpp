#include "session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/core.h>

#include <exception>
#include <iostream>
#include <stdexcept>
#include <unistd.h>

namespace pgasio::cli {

std::variant<po::variables_map, int>
parse_args(std::span<const std::string> args, po::options_description options,
           const po::positional_options_description& positional, std::string_view usage) {
    options.add_options()("help,h", "show this help");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(std::vector<std::string>(args.begin(), args.end()))
                      .options(options)
                      .positional(positional)
                      .run(),
                  vm);
        if (vm.count("help") != 0) {
            fmt::print("{}\n\n", usage);
            std::cout << options << '\n';
            return 0;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        fmt::print(stderr, "{}\n{}\n(--help for more)\n", e.what(), usage);
        return 2;
    }
    return vm;
}

config parse_url(const std::string& url) {
    auto cfg = config::parse(url);
    if (!cfg) throw std::runtime_error(cfg.error().message);
    return std::move(*cfg);
}

int run(const std::function<boost::asio::awaitable<int>()>& fn, std::string_view sql) {
    boost::asio::io_context ctx;
    int status = 1;
    std::exception_ptr failure;
    boost::asio::co_spawn(ctx, fn(), [&](std::exception_ptr e, int s) {
        failure = std::move(e);
        status = s;
    });
    ctx.run();
    if (!failure) return status;
    try {
        std::rethrow_exception(failure);
    } catch (const pgasio::error& e) {
        print_error(stderr, e, sql);
    }
    return 1;
}

namespace {

// The number of characters (UTF-8 code points) in `s`.
std::size_t characters(std::string_view s) {
    std::size_t n = 0;
    for (const char c : s)
        n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

// Prints the line of `sql` holding the 1-based character `position`, with a caret under it.
void print_position(std::FILE* to, std::string_view sql, std::uint32_t position) {
    std::size_t line_start = 0;
    std::size_t line_no = 1;
    std::size_t seen = 0; // characters before line_start
    for (;;) {
        const std::size_t end = sql.find('\n', line_start);
        const std::string_view line =
            sql.substr(line_start, end == std::string_view::npos ? end : end - line_start);
        const std::size_t count = characters(line);
        if (position <= seen + count + 1 || end == std::string_view::npos) {
            const std::string prefix = fmt::format("LINE {}: ", line_no);
            fmt::print(to, "{}{}\n{:>{}}\n", prefix, line, "^",
                       characters(prefix) + (position - seen));
            return;
        }
        seen += count + 1;
        line_start = end + 1;
        ++line_no;
    }
}

} // namespace

void print_error(std::FILE* to, const pgasio::error& e, std::string_view sql) {
    const diagnostics& d = e.diag();
    if (d.sqlstate.empty()) {
        fmt::print(to, "error: {}\n", e.what());
        return;
    }
    fmt::print(to, "{}:  {} {}\n", d.severity.empty() ? "ERROR" : d.severity, d.sqlstate,
               d.message);
    if (!d.detail.empty()) fmt::print(to, "DETAIL:  {}\n", d.detail);
    if (!d.hint.empty()) fmt::print(to, "HINT:  {}\n", d.hint);
    if (d.position && !sql.empty()) print_position(to, sql, *d.position);
}

bool is_terminal(std::FILE* f) {
    return ::isatty(::fileno(f)) != 0;
}

} // namespace pgasio::cli
