// pgasio::listener against the real primary: notifications, a terminated session (one gap,
// then notifications again, none twice), an unreachable server, close and misuse.
#include <pgasio/cluster.hpp>
#include <pgasio/connection.hpp>
#include <pgasio/listener.hpp>

#include "support/closing_servers.hpp"
#include "support/connect.hpp"
#include "support/race.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <unistd.h>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pgasio::test::run;
using pgasio::test::sleep_for;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::deferred);

// A name no other test run uses at the same time.
std::string unique(const char* what) {
    return std::string(what) + "_" + std::to_string(::getpid()) + "_" +
           std::to_string(std::random_device{}() % 100000);
}

} // namespace

TEST_CASE("listener: a terminated session gives one gap, then notifications again, none twice",
          "[listener]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        const std::string channel = unique("listener_channel");
        const std::string app = unique("listener_app");
        pgasio::listener events(
            ex, pgasio::test::test_config("sslmode=disable application_name=" + app));
        co_await events.async_listen(channel);
        auto sender = co_await pgasio::test::connect_primary();
        auto notify = [&](int n) {
            return sender.async_execute("SELECT pg_notify($1, $2)", channel, std::to_string(n));
        };
        // What the listener gave, in order: payloads, and -1 for a gap.
        std::vector<int> seen;
        auto next = [&]() -> asio::awaitable<void> {
            auto e = co_await events.async_receive();
            if (e.what == pgasio::listener_event::kind::gap) {
                CHECK(e.lost_by); // why the session was lost
                seen.push_back(-1);
            } else {
                CHECK(e.note.channel == channel);
                seen.push_back(std::stoi(e.note.payload));
            }
        };
        for (int n = 1; n <= 5; ++n)
            co_await notify(n);
        for (int n = 1; n <= 5; ++n)
            co_await next();
        CHECK(seen == std::vector<int>{1, 2, 3, 4, 5});

        // The listener's backend goes; what is sent now may be missed.
        auto killed = co_await sender.async_query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1",
            app);
        CHECK(killed[0].get<std::int64_t>(0) == 1);
        for (int n = 6; n <= 8; ++n)
            co_await notify(n);
        // Until the gap: at most what the old session still got (none of it twice).
        while (seen.back() != -1)
            co_await next();
        // The gap comes once the new session listens: what is sent now arrives.
        for (int n = 9; n <= 12; ++n)
            co_await notify(n);
        while (seen.back() != 12)
            co_await next();

        INFO("events: " << [&] {
            std::string s;
            for (int v : seen)
                s += std::to_string(v) + " ";
            return s;
        }());
        CHECK(std::count(seen.begin(), seen.end(), -1) == 1);
        std::vector<int> payloads;
        for (int v : seen)
            if (v != -1) payloads.push_back(v);
        // In order and none twice; everything sent before the kill and after the gap arrived.
        CHECK(std::is_sorted(payloads.begin(), payloads.end()));
        CHECK(std::adjacent_find(payloads.begin(), payloads.end()) == payloads.end());
        for (int n : {1, 2, 3, 4, 5, 9, 10, 11, 12})
            CHECK(std::count(payloads.begin(), payloads.end(), n) == 1);
        const auto gap_at = std::find(seen.begin(), seen.end(), -1) - seen.begin();
        CHECK(std::find(seen.begin(), seen.end(), 9) - seen.begin() > gap_at);

        // Unlistened: nothing more arrives on that channel (a notification on another one,
        // listened to now, comes instead).
        const std::string other = unique("listener_other");
        co_await events.async_unlisten(channel);
        co_await events.async_listen(other);
        co_await notify(13);
        co_await sender.async_execute("SELECT pg_notify($1, 'other')", other);
        auto e = co_await events.async_receive();
        CHECK(e.note.channel == other);
        co_await events.async_close();
        co_await sender.async_close();
    });
}

TEST_CASE("listener: an unreachable server: listen fails, receive keeps trying until cancelled",
          "[listener]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // A loopback port where nothing listens.
        auto cfg = pgasio::config::parse("host=127.0.0.1 port=1 user=nobody dbname=none "
                                         "sslmode=disable connect_timeout=2")
                       .value();
        pgasio::listener events(ex, cfg);
        auto [listen_ec] = co_await events.async_listen("nowhere", nothrow);
        CHECK(listen_ec);

        asio::cancellation_signal stop;
        bool done = false;
        pgasio::error_code receive_ec;
        events.async_receive(asio::bind_cancellation_slot(
            stop.slot(), [&](pgasio::error_code ec, pgasio::listener_event) {
                receive_ec = ec;
                done = true;
            }));
        // It retries with backoff meanwhile, and is still waiting.
        co_await sleep_for(700ms);
        CHECK_FALSE(done);
        // Another receive while one waits is refused.
        auto [second_ec, second] = co_await events.async_receive(nothrow);
        CHECK(second_ec == asio::error::in_progress);
        stop.emit(asio::cancellation_type::terminal);
        const bool stopped = co_await pgasio::test::eventually([&] { return done; }, 3s);
        REQUIRE(stopped);
        CHECK(receive_ec == asio::error::operation_aborted);
    });
}

TEST_CASE("listener: the pauses between its attempts to reconnect are jittered, not the bare "
          "doubling",
          "[listener]") {
    // Several listeners, each with its own server that fails every attempt, give enough pauses
    // that one whose draws all fell near the top is no failure.
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        constexpr std::size_t listeners = 8;
        constexpr std::size_t gaps = 3; // the pauses of 50-100, 100-200 and 200-400 ms
        pgasio::test::closing_servers servers(ex, listeners);
        std::vector<std::unique_ptr<pgasio::listener>> all;
        std::vector<asio::cancellation_signal> stops(listeners);
        std::size_t stopped = 0;
        for (std::size_t i = 0; i < listeners; ++i) {
            auto cfg =
                pgasio::config::parse("host=127.0.0.1 user=nobody dbname=none sslmode=disable "
                                      "connect_timeout=2 port=" +
                                      std::to_string(servers.port(i)))
                    .value();
            all.push_back(std::make_unique<pgasio::listener>(ex, cfg));
            // A receive keeps trying to connect until it is cancelled.
            all.back()->async_receive(asio::bind_cancellation_slot(
                stops[i].slot(), [&](pgasio::error_code, pgasio::listener_event) { ++stopped; }));
        }
        const bool attempted = co_await servers.async_wait_for_attempts(gaps, 5s);
        for (auto& stop : stops)
            stop.emit(asio::cancellation_type::terminal);
        const bool all_stopped =
            co_await pgasio::test::eventually([&] { return stopped == listeners; }, 3s);
        servers.close();
        REQUIRE(attempted);
        REQUIRE(all_stopped);
        servers.check_jittered_backoff(gaps, "listener");
    });
}

TEST_CASE("listener: async_close answers a waiting receive, later operations fail", "[listener]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::listener events(ex, pgasio::test::test_config());
        co_await events.async_listen(unique("listener_closed"));
        bool done = false;
        pgasio::error_code receive_ec;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto [ec, ev] = co_await events.async_receive(nothrow);
                receive_ec = ec;
                done = true;
            },
            asio::detached);
        co_await sleep_for(100ms);
        co_await events.async_close();
        const bool answered = co_await pgasio::test::eventually([&] { return done; }, 3s);
        REQUIRE(answered);
        CHECK(receive_ec == pgasio::client_errc::not_connected);
        auto [ec] = co_await events.async_listen("after", nothrow);
        CHECK(ec == pgasio::client_errc::not_connected);
    });
}

TEST_CASE("listener: on a cluster's configuration it listens on the member that accepts writes",
          "[listener]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // Listed the wrong way round: the replica as the host, the primary as a replica. LISTEN
        // on the replica would fail ("cannot execute LISTEN during recovery").
        auto cfg = pgasio::test::user_config("SCRAM", "REPLICA");
        const auto primary = pgasio::test::test_config();
        cfg.replicas = primary.hosts;
        const std::string channel = unique("listener_cluster");
        pgasio::listener events(ex, cfg);
        co_await events.async_listen(channel);
        auto sender = co_await pgasio::test::connect_primary();
        co_await sender.async_execute("SELECT pg_notify($1, 'on the primary')", channel);
        auto e = co_await events.async_receive();
        CHECK(e.what == pgasio::listener_event::kind::notification);
        CHECK(e.note.payload == "on the primary");
        co_await events.async_close();
        co_await sender.async_close();
    });
}

TEST_CASE("listener: made from a cluster, it listens on the member that accepts writes",
          "[listener]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // The replica listed first, as above.
        auto cfg = pgasio::test::user_config("SCRAM", "REPLICA");
        cfg.replicas = pgasio::test::test_config().hosts;
        pgasio::cluster db(ex, cfg);
        co_await db.async_refresh(); // the writes then go to the primary
        const std::string channel = unique("listener_on_cluster");
        pgasio::listener events(db);
        co_await events.async_listen(channel);
        co_await db.async_execute("SELECT pg_notify($1, 'through the cluster')", channel);
        auto e = co_await events.async_receive();
        CHECK(e.what == pgasio::listener_event::kind::notification);
        CHECK(e.note.payload == "through the cluster");
        co_await events.async_close();
        co_await db.async_close();
    });
}

TEST_CASE("listener: a session lost while nobody waited gives the gap too", "[listener]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        const std::string channel = unique("listener_idle");
        const std::string app = unique("listener_idle_app");
        pgasio::listener events(
            ex, pgasio::test::test_config("sslmode=disable application_name=" + app));
        co_await events.async_listen(channel);
        auto admin = co_await pgasio::test::connect_primary();
        co_await admin.async_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            app);
        // The session ends before anyone asks for the next event.
        co_await sleep_for(500ms);
        auto gap = co_await events.async_receive();
        CHECK(gap.what == pgasio::listener_event::kind::gap);
        co_await admin.async_execute("SELECT pg_notify($1, 'after')", channel);
        auto e = co_await events.async_receive();
        CHECK(e.note.payload == "after");
        co_await events.async_close();
        co_await admin.async_close();
    });
}

TEST_CASE("listener: a channel added after the session was lost unnoticed keeps the others and "
          "owes the gap",
          "[listener]") {
    run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        const std::string channel = unique("listener_added");
        const std::string added = unique("listener_added_new");
        const std::string app = unique("listener_added_app");
        pgasio::listener events(
            ex, pgasio::test::test_config("sslmode=disable application_name=" + app));
        co_await events.async_listen(channel);
        auto admin = co_await pgasio::test::connect_primary();
        co_await admin.async_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            app);
        co_await sleep_for(500ms);
        // The next session is opened here, by async_listen: it must listen to both channels.
        co_await events.async_listen(added);
        co_await admin.async_execute("SELECT pg_notify($1, 'first')", channel);
        co_await admin.async_execute("SELECT pg_notify($1, 'second')", added);
        auto gap = co_await events.async_receive();
        CHECK(gap.what == pgasio::listener_event::kind::gap);
        // Bounded: were the first channel forgotten, its notification would never come.
        using namespace asio::experimental::awaitable_operators;
        asio::steady_timer limit(ex, 5s);
        auto first = co_await (events.async_receive(asio::use_awaitable) ||
                               limit.async_wait(asio::use_awaitable));
        REQUIRE(first.index() == 0);
        CHECK(std::get<0>(first).note.channel == channel);
        CHECK(std::get<0>(first).note.payload == "first");
        auto second = co_await events.async_receive();
        CHECK(second.note.channel == added);
        CHECK(second.note.payload == "second");
        co_await events.async_close();
        co_await admin.async_close();
    });
}

// The listener's state belongs to its executor, a strand of an io_context run by 4 threads here:
// destroying the handle on another thread (the test's) while LISTENs are in flight on the
// strand must end them there, not touch the state from the destroying thread. Each round opens
// the session, starts 20 LISTENs on the strand, and destroys the listener after a pause growing
// from none to about when their answers come. (The tsan preset runs it.)
TEST_CASE("listener: a listener destroyed on another thread than its strand's, its LISTENs end",
          "[listener]") {
    asio::io_context ctx(4);
    const auto strand = asio::make_strand(ctx);
    const std::string app = unique("listener_destroyed_app");
    constexpr int rounds = 12;
    constexpr int listens = 20;
    pgasio::test::race_tally tally;
    std::int64_t left = -1;
    {
        const pgasio::test::threads_running running(ctx, 4);
        for (int round = 0; round < rounds; ++round) {
            auto events = std::make_unique<pgasio::listener>(
                strand, pgasio::test::test_config("sslmode=disable application_name=" + app));
            events->async_listen(unique("listener_destroyed"), asio::use_future).get();
            std::atomic<int> done{0};
            std::promise<void> all_done;
            auto count = [&](pgasio::error_code ec) {
                if (!ec)
                    ++tally.answered;
                else if (ec == asio::error::operation_aborted ||
                         ec == pgasio::client_errc::connection_closed ||
                         ec == pgasio::client_errc::not_connected)
                    ++tally.cancelled;
                else
                    tally.fail("a LISTEN", ec);
                if (++done == listens) all_done.set_value();
            };
            // Started on the strand, so the handle is touched by no other thread before it goes.
            std::promise<void> started;
            asio::post(strand, [&] {
                for (int i = 0; i < listens; ++i)
                    events->async_listen(unique("listener_destroyed"), count);
                started.set_value();
            });
            started.get_future().get();
            std::this_thread::sleep_for(std::chrono::microseconds(round * 40));
            events.reset();
            REQUIRE(all_done.get_future().wait_for(30s) == std::future_status::ready);
        }
        // Every destroyed listener's session is gone from the server too. (Asked on a strand: a
        // connection's executor runs one handler at a time.)
        auto sessions_left = [&] {
            return asio::co_spawn(
                       asio::make_strand(ctx),
                       [&]() -> asio::awaitable<std::int64_t> {
                           auto admin = co_await pgasio::test::connect_primary();
                           const auto r = co_await admin.async_query_one(
                               "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                               app);
                           co_await admin.async_close();
                           co_return r[0].get<std::int64_t>(0);
                       },
                       asio::use_future)
                .get();
        };
        left = sessions_left();
        for (int i = 0; i < 50 && left != 0; ++i) {
            std::this_thread::sleep_for(100ms);
            left = sessions_left();
        }
    }
    INFO("listened " << tally.answered << ", ended " << tally.cancelled
                     << "; first wrong: " << tally.first_wrong());
    CHECK(tally.wrong == 0);
    CHECK(tally.answered + tally.cancelled == rounds * listens);
    CHECK(tally.answered > 0);
    CHECK(tally.cancelled > 0);
    CHECK(left == 0);
}
