#include "waiter_line.hpp"

#include <catch2/catch.hpp>

#include <memory>

using pgasio::detail::pool_waiter;
using pgasio::detail::waiter_line;

namespace {

// A waiter that is never served: the line only keeps and counts it.
struct idle_waiter final : pool_waiter {
    explicit idle_waiter(bool for_lease)
        : pool_waiter(for_lease, {}, BOOST_CURRENT_LOCATION) {}
    void serve(const std::shared_ptr<pgasio::detail::pool_impl>&,
               std::shared_ptr<pgasio::detail::pool_slot>, pgasio::connection&) override {}
    void fail(const boost::asio::any_io_executor&, pgasio::error_code,
              const std::string&) override {}
    boost::asio::cancellation_slot cancellation_slot() const noexcept override { return {}; }
};

std::unique_ptr<pool_waiter> lease_waiter() {
    return std::make_unique<idle_waiter>(true);
}
std::unique_ptr<pool_waiter> shared_waiter() {
    return std::make_unique<idle_waiter>(false);
}

} // namespace

TEST_CASE("waiter_line: counts the waiters for a lease as they come and go, by every way") {
    waiter_line line;
    line.push_back(lease_waiter());
    line.push_back(shared_waiter());
    line.push_front(lease_waiter());
    line.push_back(shared_waiter());
    line.push_back(lease_waiter());
    CHECK(line.size() == 5);
    CHECK(line.exclusive() == 3);
    CHECK(line.shared() == 2);
    CHECK(line.front().exclusive);
    CHECK(line.back().exclusive);

    auto first = line.take_front(); // the lease waiter put at the head
    CHECK(first->exclusive);
    CHECK(line.exclusive() == 2);
    CHECK(line.shared() == 2);

    // Now: lease, shared, shared, lease. Taken from the middle: the second shared one.
    auto it = line.begin();
    ++it;
    ++it;
    auto middle = line.take(it);
    CHECK_FALSE(middle->exclusive);
    REQUIRE(it != line.end());
    CHECK((*it)->exclusive); // `it` moved on to the one after it
    CHECK(line.exclusive() == 2);
    CHECK(line.shared() == 1);

    auto all = line.take_all();
    CHECK(all.size() == 3);
    CHECK(line.empty());
    CHECK(line.exclusive() == 0);
    CHECK(line.shared() == 0);
    line.push_back(shared_waiter());
    CHECK(line.exclusive() == 0);
    CHECK(line.shared() == 1);
}
