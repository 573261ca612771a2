// What the documentation's code fragments and declarations are compiled with
// (cmake/doc_snippets.cmake): pgasio's and Asio's headers, and the few application names that
// the examples use without defining them.
#pragma once

#include <pgasio/cluster.hpp>
#include <pgasio/composite.hpp>
#include <pgasio/connection.hpp>
#include <pgasio/described_enum.hpp>
#include <pgasio/format.hpp>
#include <pgasio/hstore.hpp>
#include <pgasio/insert_unnest.hpp>
#include <pgasio/json.hpp>
#include <pgasio/pool.hpp>
#include <pgasio/transaction.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <fmt/core.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

/// An application's row type.
struct user {
    std::int32_t id;
    std::string name;
};
BOOST_DESCRIBE_STRUCT(user, (), (id, name))

/// Whatever the application does with a value.
void use(const auto&...) {}

/// The application's users, to insert.
std::vector<std::tuple<std::int64_t, std::string>> load_users();

/// The application's items, to copy in: (id, name).
extern const std::vector<std::tuple<std::int64_t, std::string>> items;

/// A day the application reports on.
extern const std::chrono::sys_days day;

/// A statement the application prepared, with its parameters.
extern const pgasio::statement update_balance;
extern const std::int64_t account_id;
extern const std::int64_t amount;
