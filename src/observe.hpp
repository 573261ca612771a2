// How an operation reports to its observer (pgasio/observer.hpp): an observation made when the
// operation starts, kept in its request (or its operation's state) and ended once, where its
// caller is answered. Nothing is wrapped around the caller's handler, and an operation whose
// connection has no observer pays one test of a null pointer.
#pragma once

#include <pgasio/batch_results.hpp>
#include <pgasio/config.hpp>
#include <pgasio/observer.hpp>
#include <pgasio/params.hpp>
#include <pgasio/result.hpp>
#include <pgasio/statement.hpp>

#include <boost/asio/error.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgasio::detail {

/// What a command tag says of the rows a statement changed or copied: none for the other
/// statements (SELECT's count is of the rows returned).
std::optional<std::uint64_t> rows_affected_of(const result& r);

/// Where an operation's named parameters (pgasio::named) come from: a connection::param_source's
/// `named` and `ctx` (no function: none).
struct named_params_source {
    void (*collect)(const void* ctx, std::vector<named_value>& out) = nullptr;
    const void* ctx = nullptr;
};

/// The named parameters of an observed operation: their text, and the views its observer gets,
/// which point into this object (held by pointer, so it never moves).
struct observed_parameters {
    std::vector<named_value> values;
    std::vector<named_parameter> views;
};

/// The named parameters `src` collects (its `collect` set).
std::unique_ptr<const observed_parameters> collect_parameters(named_params_source src);

/// The named parameters of `src`, or null when there is none: the test is inline, as most
/// operations have none and are observed on every call.
inline std::unique_ptr<const observed_parameters> observe_parameters(named_params_source src) {
    if (!src.collect) return nullptr;
    return collect_parameters(src);
}

/// The SQL text of an observation and what keeps it alive (a prepared statement, a statement
/// cache entry, or a copy): the text an operation already owns is pointed at, not copied.
struct observed_text {
    observed_text() = default;
    /// No text (an operation without SQL).
    observed_text(std::nullptr_t) noexcept {}
    /// `sql`, which `keeper` keeps alive.
    observed_text(std::shared_ptr<const void> keeper, std::string_view sql) noexcept
        : owner(std::move(keeper))
        , text(sql) {}

    std::shared_ptr<const void> owner;
    std::string_view text;
};

/// One operation reported to an observer: operation_start when made, operation_end when
/// finish() is called or, if it never is, when destroyed (as operation_aborted: the caller
/// was never answered).
class observation {
public:
    observation() = default;
    /// `cfg` (its observer set; the database and server reported from it) stays alive with the
    /// observation.
    /// `start`: when it started (a moment ago, for an operation that turned out to be one only
    /// once it succeeded).
    /// `sql`: its SQL text, kept alive as long as the observation (null: none).
    /// `parameters`: its named parameters (null: none).
    observation(std::shared_ptr<const config> cfg, operation_kind kind, observed_text sql,
                std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(),
                std::unique_ptr<const observed_parameters> parameters = nullptr)
        : cfg_(std::move(cfg))
        , sql_owner_(std::move(sql.owner))
        , parameters_(std::move(parameters))
        , start_(start) {
        info_.kind = kind;
        info_.database = cfg_->dbname;
        if (!cfg_->hosts.empty()) {
            const auto& h = cfg_->hosts.front();
            info_.server_address = h.host.empty() ? std::string_view(h.hostaddr) : h.host;
            info_.server_port = h.port;
        }
        info_.unsanitized_sql = sql.text;
        if (parameters_) info_.parameters = parameters_->views;
        context_ = cfg_->observer->operation_start(info_);
    }
    // The views of info_ point into what cfg_, sql_owner_ and parameters_ hold on the heap,
    // which a move does not move.
    observation(observation&& other) noexcept
        : cfg_(std::move(other.cfg_))
        , sql_owner_(std::move(other.sql_owner_))
        , parameters_(std::move(other.parameters_))
        , info_(other.info_)
        , start_(other.start_)
        , context_(other.context_) {}
    observation& operator=(observation&&) = delete;
    ~observation() {
        if (cfg_) {
            operation_result r;
            r.ec = boost::asio::error::operation_aborted;
            finish(r);
        }
    }

    /// Reports the end, now (`r.duration` is filled in here); later calls do nothing. Not
    /// inline: the paths that answer an operation stay as small when nothing observes it.
    void finish(operation_result& r) noexcept;
    /// Reports the end, at `end` (see connection_impl::answered_at).
    void finish(operation_result& r, std::chrono::steady_clock::time_point end) noexcept;

private:
    std::shared_ptr<const config> cfg_; // null: ended
    std::shared_ptr<const void> sql_owner_;
    std::unique_ptr<const observed_parameters> parameters_;
    // Made once: operation_start and operation_end report the same.
    operation_info info_;
    std::chrono::steady_clock::time_point start_;
    void* context_ = nullptr;
};

/// What an operation's answer says of its rows (and, for a batch, of its first failure).
inline void tally(operation_result& r, const result& rows) {
    r.rows_returned = rows.size();
    r.rows_affected = rows_affected_of(rows);
}
inline void tally(operation_result& r, const std::vector<result>& all) {
    for (const auto& rows : all) {
        r.rows_returned += rows.size();
        if (auto n = rows_affected_of(rows)) r.rows_affected = r.rows_affected.value_or(0) + *n;
    }
}
// A batch answers with success when its statements ran, whether or not they succeeded: the
// observer is told of the first failure, as an error counter would expect.
inline void tally(operation_result& r, const batch_results& all) {
    for (const auto& s : all) {
        if (!s.ok() && !r.ec) r.ec = s.error;
        if (!s.ok()) continue;
        r.rows_returned += s.rows.size();
        if (auto n = rows_affected_of(s.rows)) r.rows_affected = r.rows_affected.value_or(0) + *n;
    }
}

/// Ends `o`, when the operation is observed, with `ec` and what `answer` (its caller's answer,
/// if any) says of its rows, at the moment `conn.answered_at()` says (the connection that
/// answered it: see connection_impl::answered_at), which is asked only when `o` is set.
template <class Connection, class... Answer>
void finish_observation(std::optional<observation>& o, const Connection& conn,
                        boost::system::error_code ec, const Answer&... answer) {
    if (!o) return;
    operation_result r;
    r.ec = ec;
    (tally(r, answer), ...);
    o->finish(r, conn.answered_at());
}

/// True when an operation of the session opened with `cfg` is observed: the session has an
/// observer, and the operation is not `unobserved` (op_settings::unobserved).
inline bool observed(const std::shared_ptr<const config>& cfg, bool unobserved = false) noexcept {
    return !unobserved && cfg && cfg->observer;
}

/// The SQL text of an operation, for an observation: a prepared statement's own (no copy), a
/// copy of `sql`, or none (null) when `sql` is empty.
inline observed_text observed_sql(std::string_view sql, const statement* stmt = nullptr) {
    if (stmt && stmt->valid()) return {stmt->data(), stmt->data()->sql};
    if (sql.empty()) return nullptr;
    auto copy = std::make_shared<const std::string>(sql);
    const std::string_view text = *copy;
    return {std::move(copy), text};
}

} // namespace pgasio::detail
