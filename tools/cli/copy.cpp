// pgasio copy-in URL table file / pgasio copy-out URL table [file]: COPY between a table and a
// file, with the progress on stderr.
#include "command.hpp"
#include "progress.hpp"
#include "session.hpp"

#include <pgasio/connection.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <sys/stat.h>
#include <system_error>

namespace pgasio::cli {
namespace {

namespace asio = boost::asio;

struct file_closer {
    void operator()(std::FILE* f) const {
        if (f != stdin && f != stdout) std::fclose(f);
    }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

file_ptr open_file(const std::string& path, const char* mode, std::FILE* dash) {
    if (path == "-") return file_ptr(dash);
    file_ptr f(std::fopen(path.c_str(), mode));
    if (!f)
        throw std::runtime_error(
            fmt::format("{}: {}", path, std::generic_category().message(errno)));
    return f;
}

std::uint64_t lines_in(std::span<const char> data) {
    return static_cast<std::uint64_t>(std::count(data.begin(), data.end(), '\n'));
}

// The COPY statement's options for --format and --header.
std::string copy_options(const po::variables_map& vm) {
    const std::string format = vm["format"].as<std::string>();
    if (format != "csv" && format != "text" && format != "binary")
        throw std::runtime_error("--format must be csv, text or binary");
    return fmt::format("(FORMAT {}{})", format, vm.count("header") ? ", HEADER" : "");
}

po::options_description copy_option_descriptions(bool with_file_required) {
    po::options_description options("options");
    options.add_options()("format", po::value<std::string>()->default_value("csv"),
                          "csv, text or binary (COPY's formats)")(
        "header", "the first line is (copy-in) / gets (copy-out) the column names; csv only")(
        "url", po::value<std::string>()->required(), "connection string or URI")(
        "table", po::value<std::string>()->required(),
        "the table, optionally schema-qualified, optionally with a column list: \"t(a, b)\"");
    if (with_file_required)
        options.add_options()("file", po::value<std::string>()->required(),
                              "the file to read, - for stdin");
    else
        options.add_options()("file", po::value<std::string>()->default_value("-"),
                              "the file to write, - (the default) for stdout");
    return options;
}

asio::awaitable<int> copy_in(config cfg, std::string sql, std::string path) {
    file_ptr in = open_file(path, "rb", stdin);
    std::optional<std::uint64_t> size;
    struct stat st {};
    if (::fstat(::fileno(in.get()), &st) == 0 && S_ISREG(st.st_mode))
        size = static_cast<std::uint64_t>(st.st_size);
    connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    auto writer = co_await conn.async_copy_in(sql);
    progress shown(stderr, "copy-in", size, std::nullopt);
    std::array<char, 64 * 1024> chunk;
    for (std::size_t n; (n = std::fread(chunk.data(), 1, chunk.size(), in.get())) > 0;) {
        co_await writer.async_write(std::string_view(chunk.data(), n));
        shown.add(n, lines_in(std::span(chunk.data(), n)));
    }
    if (std::ferror(in.get())) {
        co_await writer.async_abort("the input file could not be read");
        throw std::runtime_error(fmt::format("{}: read error", path));
    }
    const std::uint64_t rows = co_await writer.async_finish();
    shown.finish(rows);
    co_await conn.async_close();
    co_return 0;
}

asio::awaitable<int> copy_out(config cfg, std::string table, std::string sql, std::string path) {
    file_ptr out = open_file(path, "wb", stdout);
    connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    // The planner's estimate of the rows, for the ETA: none when the table was never analysed,
    // or when `table` is a query or a name to_regclass cannot read.
    std::optional<std::uint64_t> estimate;
    const auto [ec, guess] = co_await conn.async_query(
        "SELECT c.reltuples::int8 FROM pg_class c WHERE c.oid = to_regclass($1)",
        table.substr(0, table.find('(')), asio::as_tuple(asio::deferred));
    if (!ec && !guess.empty() && !guess[0].is_null(0) && guess[0].get<std::int64_t>(0) > 0)
        estimate = static_cast<std::uint64_t>(guess[0].get<std::int64_t>(0));
    auto reader = co_await conn.async_copy_out(sql);
    progress shown(stderr, "copy-out", std::nullopt, estimate);
    for (;;) {
        const std::string chunk = co_await reader.async_read();
        if (chunk.empty()) break;
        if (std::fwrite(chunk.data(), 1, chunk.size(), out.get()) != chunk.size())
            throw std::runtime_error(
                fmt::format("{}: {}", path, std::generic_category().message(errno)));
        shown.add(chunk.size(), lines_in(std::span(chunk.data(), chunk.size())));
    }
    if (std::fflush(out.get()) != 0)
        throw std::runtime_error(
            fmt::format("{}: {}", path, std::generic_category().message(errno)));
    shown.finish(reader.rows());
    co_await conn.async_close();
    co_return 0;
}

} // namespace

int copy_in_command(std::span<const std::string> args) {
    po::positional_options_description positional;
    positional.add("url", 1).add("table", 1).add("file", 1);
    auto parsed = parse_args(args, copy_option_descriptions(true), positional,
                             "usage: pgasio copy-in [--format csv|text|binary] [--header] URL "
                             "table file\nCopies the file into the table (COPY ... FROM STDIN); "
                             "all or nothing. Progress goes to stderr.");
    if (const int* status = std::get_if<int>(&parsed)) return *status;
    const auto& vm = std::get<po::variables_map>(parsed);
    const std::string sql =
        fmt::format("COPY {} FROM STDIN {}", vm["table"].as<std::string>(), copy_options(vm));
    return run(
        [&]() {
            return copy_in(parse_url(vm["url"].as<std::string>()), sql,
                           vm["file"].as<std::string>());
        },
        sql);
}

int copy_out_command(std::span<const std::string> args) {
    po::positional_options_description positional;
    positional.add("url", 1).add("table", 1).add("file", 1);
    auto parsed = parse_args(args, copy_option_descriptions(false), positional,
                             "usage: pgasio copy-out [--format csv|text|binary] [--header] URL "
                             "table [file]\nCopies the table out (COPY ... TO STDOUT) into the "
                             "file, or stdout. Progress goes to stderr.");
    if (const int* status = std::get_if<int>(&parsed)) return *status;
    const auto& vm = std::get<po::variables_map>(parsed);
    const std::string table = vm["table"].as<std::string>();
    const std::string sql = fmt::format("COPY {} TO STDOUT {}", table, copy_options(vm));
    return run(
        [&]() {
            return copy_out(parse_url(vm["url"].as<std::string>()), table, sql,
                            vm["file"].as<std::string>());
        },
        sql);
}

} // namespace pgasio::cli
