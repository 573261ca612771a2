// logging_observer against the real primary: what its records say of parameters, and of the
// operations that are no plain query (COPY, batches, row streams).
#include <pgasio/batch.hpp>
#include <pgasio/connection.hpp>
#include <pgasio/copy.hpp>
#include <pgasio/logging_observer.hpp>
#include <pgasio/named_param.hpp>

#include "support/connect.hpp"
#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using pgasio::test::run;

namespace {

// Keeps every record as one line: the message, then `name=value` per field.
class capture_sink final : public pgasio::log_sink {
public:
    void write(const pgasio::log_record& r) noexcept override {
        std::string line(r.message);
        for (const auto& f : r.fields) {
            line += ' ';
            line += f.name;
            line += '=';
            line += f.value;
        }
        std::lock_guard lock(mutex_);
        lines_.push_back(std::move(line));
    }
    std::vector<std::string> lines() {
        std::lock_guard lock(mutex_);
        return lines_;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> lines_;
};

// The lines that contain `text`.
std::vector<std::string> containing(const std::vector<std::string>& lines,
                                    const std::string& text) {
    std::vector<std::string> out;
    for (const auto& l : lines)
        if (l.find(text) != std::string::npos) out.push_back(l);
    return out;
}

// The lines, one per line, for a failure's message.
std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + '\n';
    return out;
}

// A configuration whose every operation is logged to `sink` with `options`.
pgasio::config logged_config(const std::shared_ptr<capture_sink>& sink,
                             pgasio::logging_options options) {
    options.operations = pgasio::log_level::info;
    options.min_level = pgasio::log_level::debug;
    auto cfg = pgasio::test::test_config();
    cfg.observer = std::make_shared<pgasio::logging_observer>(sink, std::move(options));
    return cfg;
}

} // namespace

TEST_CASE("logging: a parameter's value is written only when its name is opted in for") {
    auto sink = std::make_shared<capture_sink>();
    pgasio::logging_options options;
    options.logged_parameters = {"user_id", "note"};
    const auto cfg = logged_config(sink, options);
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        co_await conn.async_connect(cfg);
        auto r = co_await conn.async_query(
            "SELECT $1::int4 AS id, $2::text AS secret, $3::text AS unnamed, $4::text AS note",
            pgasio::named("user_id", 4242), pgasio::named("api_key", "opaque-named-secret"),
            "opaque-unnamed-secret", pgasio::named("note", std::optional<std::string>{}));
        // Sent as the values alone.
        CHECK(r[0].get<std::int32_t>("id") == 4242);
        CHECK(r[0].get<std::string>("secret") == "opaque-named-secret");
        CHECK_FALSE(r[0].try_get<std::string>("note").has_value());
        // A row stream's parameters too.
        auto stream =
            conn.query_stream("SELECT generate_series(1, $1::int4)", pgasio::named("user_id", 77));
        while (!(co_await stream.async_next()).empty()) {
        }
        co_await conn.async_close();
    });
    const auto lines = sink->lines();
    INFO(joined(lines));
    const auto query = containing(lines, "param.user_id=4242");
    REQUIRE(query.size() == 1);
    CHECK(query[0].find("param.note=NULL") != std::string::npos);
    CHECK(query[0].find("api_key") == std::string::npos); // not opted in: not even its name
    CHECK(containing(lines, "param.user_id=77").size() == 1);
    CHECK(containing(lines, "opaque-named-secret").empty());
    CHECK(containing(lines, "opaque-unnamed-secret").empty());
}

TEST_CASE("logging: with no name opted in, no parameter value is written") {
    auto sink = std::make_shared<capture_sink>();
    const auto cfg = logged_config(sink, {});
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        co_await conn.async_connect(cfg);
        co_await conn.async_query("SELECT $1::text", pgasio::named("user_id", "opaque-value-1"));
        co_await conn.async_close();
    });
    const auto lines = sink->lines();
    CHECK(containing(lines, "sql=SELECT $1::text").size() == 1);
    CHECK(containing(lines, "opaque-value-1").empty());
    CHECK(containing(lines, "param.").empty());
}

TEST_CASE("logging: COPY, batches and row streams each have a record of their own kind") {
    auto sink = std::make_shared<capture_sink>();
    const auto cfg = logged_config(sink, {});
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        co_await conn.async_connect(cfg);
        co_await conn.async_execute("CREATE TEMPORARY TABLE logged_copy (n int)");
        auto in = co_await conn.async_copy_in("COPY logged_copy FROM STDIN");
        co_await in.async_write(std::string_view("1\n2\n3\n"));
        co_await in.async_finish();
        pgasio::batch b(pgasio::batch_mode::independent);
        REQUIRE_FALSE(b.add("SELECT n FROM logged_copy"));
        REQUIRE_FALSE(b.add("SELECT 1 / $1::int4", 0));
        co_await conn.async_execute_batch(std::move(b));
        auto stream = conn.query_stream("SELECT n FROM logged_copy WHERE n > $1::int4", 1);
        while (!(co_await stream.async_next()).empty()) {
        }
        co_await conn.async_close();
    });
    const auto lines = sink->lines();
    INFO(joined(lines));
    const auto copies = containing(lines, "operation=copy");
    REQUIRE(copies.size() == 1);
    CHECK(copies[0].find("affected=3") != std::string::npos);
    CHECK(copies[0].find("sql=COPY logged_copy FROM STDIN") != std::string::npos);
    // The batch failed in its second statement: its record says so.
    const auto batches = containing(lines, "operation=batch");
    REQUIRE(batches.size() == 1);
    CHECK(batches[0].rfind("batch failed", 0) == 0);
    CHECK(batches[0].find("rows=3") != std::string::npos);
    CHECK(batches[0].find("sqlstate=22012") != std::string::npos);
    const auto streams = containing(lines, "sql=SELECT n FROM logged_copy WHERE n > $1::int4");
    REQUIRE(streams.size() == 1);
    CHECK(streams[0].rfind("query ", 0) == 0);
    CHECK(streams[0].find("rows=2") != std::string::npos);
}
