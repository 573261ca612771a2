// The part of an example's main() that is not the example: the arguments checked, the example's
// coroutine run on an io_context, an exception turned into a message and exit code 1.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <fmt/core.h>

#include <exception>
#include <string_view>

// Runs the coroutine `start(argv)` makes when there are as many arguments as `usage` names
// (words separated by spaces); the exit code for main().
template <class Start>
int run_example(int argc, char** argv, std::string_view usage, Start start) {
    int expected = 1;
    for (char c : usage)
        expected += c == ' ' ? 1 : 0;
    if (argc != expected + 1) {
        fmt::print(stderr, "usage: {} {}\n", argv[0], usage);
        return 2;
    }
    boost::asio::io_context ctx;
    std::exception_ptr failure;
    boost::asio::co_spawn(ctx, start(argv), [&](const std::exception_ptr& e) { failure = e; });
    ctx.run();
    if (!failure) return 0;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        fmt::print(stderr, "failed: {}\n", e.what());
    }
    return 1;
}
