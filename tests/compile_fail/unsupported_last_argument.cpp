// Must not compile: a last argument that is neither a query parameter nor a completion token.
// The test (tests/CMakeLists.txt) expects pgasio's own error, naming each type, rather than a
// failure deep inside Asio's async_initiate.
#include <pgasio/connection.hpp>

#include <cstdint>

struct unsupported {
    int x;
};

boost::asio::awaitable<void> misuse(pgasio::connection& conn) {
    co_await conn.async_query("SELECT $1", unsupported{1});
    co_await conn.async_query("SELECT $1", std::uint64_t{1});
}
