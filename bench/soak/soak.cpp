// The soak (tools/soak): connections x coroutines running mixed requests for a while, with
// random timeouts and cancellations and the connections' backends terminated now and then.
// Prints, per interval, the throughput, the p50/p99 latency of the requests answered, the
// resident set size and the errors by kind. Exits non-zero when a result is wrong, when a
// caller got an error it did not cause (a timeout it set, a cancellation it made, a backend
// the soak terminated), or when the resident set grows beyond a bound after the warm-up.
//
//   pgasio_soak '<conninfo>' [seconds=60] [connections=4] [coroutines=16] [kill_every_ms=2000]
//
// The conninfo's user must be allowed to terminate its own sessions (any role may).
#include <pgasio/connection.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

constexpr auto nothrow = asio::as_tuple(asio::deferred);

// The resident set size of this process, in KiB (/proc/self/statm's second field, in pages).
long rss_kib() {
    std::ifstream in("/proc/self/statm");
    long size = 0, resident = 0;
    in >> size >> resident;
    return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

asio::awaitable<void> pause(clock_type::duration d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

struct settings {
    std::string conninfo;
    int seconds = 60;
    int connections = 4;
    int coroutines = 16;
    int kill_every_ms = 2000;
};

// One connection and what the soak knows of it.
struct session {
    explicit session(asio::any_io_executor ex)
        : conn(ex) {}
    pgasio::connection conn;
    bool reconnecting = false;
    // The session's number (counted up at each connect), and the last one whose backend the
    // soak terminated: an error that ends a session is the soak's own doing in that session.
    std::uint64_t generation = 0;
    std::uint64_t killed_generation = 0;
};

// What the whole run saw; `interval_*` is reset at each report.
struct tally {
    std::uint64_t ops = 0;
    std::uint64_t interval_ops = 0;
    std::vector<double> interval_latency_us;
    std::map<std::string, std::uint64_t> errors; // by kind, the expected ones included
    std::vector<std::string> failures;           // wrong results, errors not caused
    void fail(std::string what) {
        if (failures.size() < 20) std::fprintf(stderr, "soak: FAILURE: %s\n", what.c_str());
        failures.push_back(std::move(what));
    }
};

std::string kind_of(const pgasio::error_code& ec) {
    if (ec.category() == pgasio::sqlstate_category()) return ec.message();
    return ec.message().substr(0, 60);
}

class soak {
public:
    soak(asio::any_io_executor ex, settings s, pgasio::config cfg)
        : ex_(ex)
        , settings_(std::move(s))
        , cfg_(std::move(cfg))
        , rng_(std::random_device{}()) {}

    asio::awaitable<int> run() {
        for (int c = 0; c < settings_.connections; ++c) {
            sessions_.push_back(std::make_unique<session>(ex_));
            co_await sessions_.back()->conn.async_connect(cfg_);
            sessions_.back()->generation = 1;
        }
        admin_ = std::make_unique<pgasio::connection>(ex_);
        co_await admin_->async_connect(cfg_);
        co_await sessions_[0]->conn.async_execute(
            "CREATE TABLE IF NOT EXISTS soak_rows (id int8 PRIMARY KEY, v int8)");
        co_await sessions_[0]->conn.async_execute("TRUNCATE soak_rows");

        const auto start = clock_type::now();
        stop_at_ = start + std::chrono::seconds(settings_.seconds);
        for (auto& s : sessions_)
            for (int k = 0; k < settings_.coroutines; ++k) {
                ++running_;
                asio::co_spawn(ex_, worker(*s), asio::detached);
            }
        if (settings_.kill_every_ms > 0) asio::co_spawn(ex_, killer(), asio::detached);

        // Reports, once a second for short runs, every ten seconds for long ones; the resident
        // set after the first fifth of the run (at least 5 s) is the baseline of the bound.
        const auto every = settings_.seconds > 120 ? 10s : 1s;
        const auto warm_at =
            start + std::max<clock_type::duration>(5s, std::chrono::seconds(settings_.seconds / 5));
        long baseline_kib = 0, peak_kib = 0;
        std::printf("%8s %10s %10s %10s %10s  %s\n", "t_s", "ops/s", "p50_us", "p99_us", "rss_kib",
                    "errors (all so far)");
        auto last = start;
        while (running_ > 0) {
            co_await pause(every);
            const auto now = clock_type::now();
            const double span = std::chrono::duration<double>(now - last).count();
            last = now;
            auto& lat = tally_.interval_latency_us;
            auto pct = [&](double p) {
                if (lat.empty()) return 0.0;
                const auto at = static_cast<std::size_t>(p * static_cast<double>(lat.size() - 1));
                std::nth_element(lat.begin(), lat.begin() + static_cast<std::ptrdiff_t>(at),
                                 lat.end());
                return lat[at];
            };
            const double p50 = pct(0.5), p99 = pct(0.99);
            const long rss = rss_kib();
            if (baseline_kib == 0 && now >= warm_at) baseline_kib = rss;
            if (baseline_kib != 0) peak_kib = std::max(peak_kib, rss);
            std::string errors;
            for (const auto& [kind, n] : tally_.errors)
                errors += fmt::format("{}{}={}", errors.empty() ? "" : ", ", kind, n);
            std::printf("%8.1f %10.0f %10.0f %10.0f %10ld  %s\n",
                        std::chrono::duration<double>(now - start).count(),
                        static_cast<double>(tally_.interval_ops) / span, p50, p99, rss,
                        errors.c_str());
            std::fflush(stdout);
            tally_.interval_ops = 0;
            lat.clear();
        }

        // Every acknowledged row of the transactions is there.
        pgasio::connection check(ex_);
        co_await connect_until_open(check);
        auto r = co_await check.async_query("SELECT count(*) FROM soak_rows");
        const auto present = r[0].get<std::int64_t>(0);
        if (present < committed_rows_)
            tally_.fail(fmt::format("{} rows committed, {} present", committed_rows_, present));
        co_await check.async_close();
        if (admin_->is_open()) co_await admin_->async_close();
        for (auto& s : sessions_)
            if (s->conn.is_open()) co_await s->conn.async_close();

        // The bound: a leak of a few bytes per request shows over a long run; the allocator's
        // own variation stays well below it.
        const long bound_kib = std::max<long>(16 * 1024, baseline_kib / 4);
        std::printf("soak: %llu requests in %d s, %zu failures, %llu backends terminated, rss "
                    "baseline %ld KiB, peak %ld KiB (bound +%ld KiB)\n",
                    static_cast<unsigned long long>(tally_.ops), settings_.seconds,
                    tally_.failures.size(), static_cast<unsigned long long>(kills_), baseline_kib,
                    peak_kib, bound_kib);
        if (sanitized)
            std::printf("soak: built with AddressSanitizer, whose quarantine holds freed memory: "
                        "the resident set bound is not checked\n");
        else if (baseline_kib != 0 && peak_kib - baseline_kib > bound_kib)
            tally_.fail(fmt::format("the resident set grew by {} KiB after the warm-up",
                                    peak_kib - baseline_kib));
        co_return tally_.failures.empty() ? 0 : 1;
    }

private:
    asio::awaitable<void> connect_until_open(pgasio::connection& conn) {
        for (int attempt = 0; attempt < 600; ++attempt) {
            auto [ec] = co_await conn.async_connect(cfg_, nothrow);
            if (!ec) co_return;
            co_await pause(100ms);
        }
        throw std::runtime_error("could not connect again within a minute");
    }

    // Reopens `s` once its backend was terminated; the other coroutines on it wait meanwhile.
    asio::awaitable<bool> ensure_open(session& s) {
        if (s.conn.is_open()) co_return true;
        if (s.reconnecting) {
            co_await pause(5ms);
            co_return false;
        }
        s.reconnecting = true;
        co_await connect_until_open(s.conn);
        ++s.generation;
        s.reconnecting = false;
        co_return true;
    }

    // An error the caller of the request caused (`cancelled`: it timed it out or cancelled
    // it), or the soak did (it terminated the backend of the session the request ran in: the
    // request fails, or its COMMIT's outcome is learnt as rolled back or in doubt)?
    void account(const pgasio::error_code& ec, bool cancelled, const session& s,
                 std::uint64_t generation, const char* what) {
        ++tally_.errors[kind_of(ec)];
        const bool ours = (cancelled && (ec == pgasio::client_errc::query_timeout ||
                                         ec == boost::asio::error::operation_aborted)) ||
                          (s.killed_generation == generation &&
                           (pgasio::is_fatal(ec) || ec == pgasio::client_errc::commit_in_doubt ||
                            ec == pgasio::client_errc::transaction_rolled_back));
        if (!ours)
            tally_.fail(
                fmt::format("{}: an error the caller did not cause: {}", what, ec.message()));
    }

    void answered(clock_type::time_point began) {
        ++tally_.ops;
        ++tally_.interval_ops;
        tally_.interval_latency_us.push_back(
            std::chrono::duration<double, std::micro>(clock_type::now() - began).count());
    }

    asio::awaitable<void> worker(session& s) {
        std::mt19937 rng(static_cast<unsigned>(rng_()));
        while (clock_type::now() < stop_at_) {
            const bool open = co_await ensure_open(s);
            if (!open) continue;
            const std::uint64_t generation = s.generation;
            const auto began = clock_type::now();
            const auto pick = static_cast<unsigned>(rng() % 100);
            if (pick < 55) {
                // A point query.
                const auto x = static_cast<std::int32_t>(rng() % 1'000'000);
                auto [ec, r] = co_await s.conn.async_query("SELECT $1::int4 + 1", x, nothrow);
                if (ec)
                    account(ec, false, s, generation, "point query");
                else if (r.size() != 1 || r[0].get<std::int32_t>(0) != x + 1)
                    tally_.fail("point query: a wrong answer");
                else
                    answered(began);
            } else if (pick < 70) {
                // A few hundred rows.
                const auto n = static_cast<std::int32_t>(1 + rng() % 300);
                auto [ec, r] = co_await s.conn.async_query(
                    "SELECT g FROM generate_series(1, $1::int4) g", n, nothrow);
                std::int64_t sum = 0;
                if (!ec)
                    for (auto row : r)
                        sum += row.get<std::int32_t>(0);
                if (ec)
                    account(ec, false, s, generation, "rows");
                else if (static_cast<std::int32_t>(r.size()) != n ||
                         sum != std::int64_t{n} * (n + 1) / 2)
                    tally_.fail("rows: a wrong answer");
                else
                    answered(began);
            } else if (pick < 82) {
                // A statement of 0 to 9 ms with a timeout of 1 to 15 ms.
                const auto x = static_cast<std::int32_t>(rng() % 1'000'000);
                const double sleep = static_cast<double>(rng() % 10) / 1000.0;
                const auto timeout = std::chrono::milliseconds(1 + rng() % 15);
                auto [ec, r] =
                    co_await s.conn.async_query("SELECT $1::int4 FROM pg_sleep($2::float8)", x,
                                                sleep, pgasio::with_timeout(timeout, nothrow));
                if (ec)
                    account(ec, true, s, generation, "timed query");
                else if (r.size() != 1 || r[0].get<std::int32_t>(0) != x)
                    tally_.fail("timed query: a wrong answer");
                else
                    answered(began);
            } else if (pick < 92) {
                // Cancelled by the caller after 0 to 9 ms.
                const auto x = static_cast<std::int32_t>(rng() % 1'000'000);
                const double sleep = static_cast<double>(rng() % 10) / 1000.0;
                auto signal = std::make_shared<asio::cancellation_signal>();
                auto timer = std::make_shared<asio::steady_timer>(
                    ex_, std::chrono::milliseconds(rng() % 10));
                timer->async_wait([signal](pgasio::error_code e) {
                    if (!e) signal->emit(asio::cancellation_type::terminal);
                });
                auto [ec, r] = co_await s.conn.async_query(
                    "SELECT $1::int4 FROM pg_sleep($2::float8)", x, sleep,
                    asio::bind_cancellation_slot(signal->slot(),
                                                 asio::as_tuple(asio::use_awaitable)));
                timer->cancel();
                if (ec)
                    account(ec, true, s, generation, "cancelled query");
                else if (r.size() != 1 || r[0].get<std::int32_t>(0) != x)
                    tally_.fail("cancelled query: a wrong answer");
                else
                    answered(began);
            } else {
                // A transaction: two rows, read back, committed.
                const std::int64_t id = ++next_row_;
                ++next_row_;
                auto [bec, tx] = co_await s.conn.async_begin({}, nothrow);
                pgasio::error_code ec = bec;
                if (!ec)
                    std::tie(ec, std::ignore) = co_await tx.async_execute(
                        "INSERT INTO soak_rows VALUES ($1, 1), ($1 + 1, 2)", id, nothrow);
                pgasio::result r;
                if (!ec)
                    std::tie(ec, r) = co_await tx.async_query(
                        "SELECT sum(v)::int8 FROM soak_rows WHERE id IN ($1, $1 + 1)", id, nothrow);
                if (!ec && r[0].get<std::int64_t>(0) != 3)
                    tally_.fail("transaction: its own rows read back wrong");
                if (!ec) std::tie(ec) = co_await tx.async_commit(nothrow);
                if (ec) {
                    account(ec, false, s, generation, "transaction");
                } else {
                    committed_rows_ += 2;
                    answered(began);
                }
            }
        }
        --running_;
    }

    // Terminates a random open connection's backend every kill_every_ms.
    asio::awaitable<void> killer() {
        while (clock_type::now() < stop_at_) {
            co_await pause(std::chrono::milliseconds(settings_.kill_every_ms));
            auto& s = *sessions_[rng_() % sessions_.size()];
            if (!s.conn.is_open() || clock_type::now() >= stop_at_) continue;
            s.killed_generation = s.generation; // before: errors may come before the answer
            auto [ec, r] = co_await admin_->async_query("SELECT pg_terminate_backend($1)",
                                                        s.conn.backend_pid(), nothrow);
            if (ec) tally_.fail("the killer's own query failed: " + ec.message());
            ++kills_;
        }
    }

    asio::any_io_executor ex_;
    settings settings_;
    pgasio::config cfg_;
    std::mt19937 rng_;
    std::vector<std::unique_ptr<session>> sessions_;
    std::unique_ptr<pgasio::connection> admin_;
    clock_type::time_point stop_at_;
    int running_ = 0;
    std::int64_t next_row_ = 0;
    std::int64_t committed_rows_ = 0;
    std::uint64_t kills_ = 0;
    tally tally_;
};

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: pgasio_soak '<conninfo>' [seconds=60] [connections=4] "
                             "[coroutines=16] [kill_every_ms=2000]\n");
        return 2;
    }
    settings s;
    s.conninfo = argv[1];
    if (argc > 2) s.seconds = std::stoi(argv[2]);
    if (argc > 3) s.connections = std::stoi(argv[3]);
    if (argc > 4) s.coroutines = std::stoi(argv[4]);
    if (argc > 5) s.kill_every_ms = std::stoi(argv[5]);
    auto cfg = pgasio::config::parse(s.conninfo);
    if (!cfg) {
        std::fprintf(stderr, "soak: %s\n", cfg.error().message.c_str());
        return 2;
    }
    try {
        asio::io_context ctx(1);
        soak run(ctx.get_executor(), s, *cfg);
        auto done = asio::co_spawn(ctx, run.run(), asio::use_future);
        ctx.run();
        return done.get();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "soak: %s\n", e.what());
        return 1;
    }
}
