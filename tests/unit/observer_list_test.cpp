// observer_list: each observer gets every call, in order, with its own context back.
#include <pgasio/observer_list.hpp>
#include <pgasio/pool_stats.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// Writes what it is told into a log shared by the observers of a test.
struct recording_observer : pgasio::observer {
    recording_observer(std::string who, std::vector<std::string>& into)
        : name(std::move(who))
        , log(into) {}
    void* operation_start(const pgasio::operation_info&) noexcept override {
        log.push_back(name + " start");
        return this;
    }
    void operation_end(const pgasio::operation_info&, const pgasio::operation_result&,
                       void* context) noexcept override {
        log.push_back(name + (context == this ? " end, own context" : " end, other context"));
    }
    void routed(pgasio::server_role target) noexcept override {
        log.push_back(name + " routed " + std::string(pgasio::to_string(target)));
    }
    void pool_state(std::string_view pool, const pgasio::pool_stats& stats) noexcept override {
        log.push_back(name + " pool " + std::string(pool) + " open " + std::to_string(stats.open));
    }
    std::string name;
    std::vector<std::string>& log;
};

} // namespace

TEST_CASE("observer_list: every observer is told everything, in order, with its own context") {
    std::vector<std::string> log;
    pgasio::observer_list list({std::make_shared<recording_observer>("a", log), nullptr,
                                std::make_shared<recording_observer>("b", log)});
    pgasio::operation_info op;
    void* context = list.operation_start(op);
    list.operation_end(op, {}, context);
    list.routed(pgasio::server_role::standby);
    pgasio::pool_stats stats;
    stats.open = 3;
    list.pool_state("orders", stats);
    CHECK(log == std::vector<std::string>{"a start", "b start", "a end, own context",
                                          "b end, own context", "a routed standby",
                                          "b routed standby", "a pool orders open 3",
                                          "b pool orders open 3"});
}
