// How an operation reports to its observer (pgasio/observer.hpp): an observation made when the
// operation starts, ended once; and a completion handler that ends it when the caller is
// answered, so that the engine itself knows nothing of observers.
#pragma once

#include <pgasio/batch_results.hpp>
#include <pgasio/config.hpp>
#include <pgasio/observer.hpp>
#include <pgasio/params.hpp>
#include <pgasio/result.hpp>
#include <pgasio/statement.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/error.hpp>

#include <chrono>
#include <memory>
#include <string>
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

/// The named parameters of `src`, or null when there is none.
inline std::unique_ptr<const observed_parameters> observe_parameters(named_params_source src) {
    if (!src.collect) return nullptr;
    auto p = std::make_unique<observed_parameters>();
    src.collect(src.ctx, p->values);
    p->views.reserve(p->values.size());
    for (const auto& v : p->values)
        p->views.push_back(
            {v.name, v.text ? std::string_view(*v.text) : std::string_view(), !v.text.has_value()});
    return p;
}

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
    observation(std::shared_ptr<const config> cfg, operation_kind kind,
                std::shared_ptr<const std::string> sql,
                std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(),
                std::unique_ptr<const observed_parameters> parameters = nullptr)
        : cfg_(std::move(cfg))
        , sql_(std::move(sql))
        , parameters_(std::move(parameters))
        , kind_(kind)
        , start_(start) {
        context_ = cfg_->observer->operation_start(info());
    }
    observation(observation&& other) noexcept
        : cfg_(std::move(other.cfg_))
        , sql_(std::move(other.sql_))
        , parameters_(std::move(other.parameters_))
        , kind_(other.kind_)
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

    /// Reports the end (`r.duration` is filled in here); later calls do nothing.
    void finish(operation_result& r) noexcept {
        if (!cfg_) return;
        r.duration = std::chrono::steady_clock::now() - start_;
        cfg_->observer->operation_end(info(), r, context_);
        cfg_.reset();
    }

    operation_info info() const noexcept {
        operation_info op;
        op.kind = kind_;
        op.database = cfg_->dbname;
        if (!cfg_->hosts.empty()) {
            const auto& h = cfg_->hosts.front();
            op.server_address = h.host.empty() ? std::string_view(h.hostaddr) : h.host;
            op.server_port = h.port;
        }
        if (sql_) op.unsanitized_sql = *sql_;
        if (parameters_) op.parameters = parameters_->views;
        return op;
    }

private:
    std::shared_ptr<const config> cfg_; // null: ended
    std::shared_ptr<const std::string> sql_;
    std::unique_ptr<const observed_parameters> parameters_;
    operation_kind kind_ = operation_kind::query;
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
template <class T>
void tally(operation_result&, const T&) {}

template <class Signature>
class observed_handler;

/// A completion handler that ends its observation, then answers the caller's handler (whose
/// executor, allocator and cancellation slot are its own).
template <class... Args>
class observed_handler<void(boost::system::error_code, Args...)> {
public:
    using inner_type =
        boost::asio::any_completion_handler<void(boost::system::error_code, Args...)>;

    observed_handler(inner_type h, observation o)
        : inner_(std::move(h))
        , observation_(std::move(o)) {}

    void operator()(boost::system::error_code ec, Args... args) {
        operation_result r;
        r.ec = ec;
        (tally(r, args), ...);
        observation_.finish(r);
        std::move(inner_)(ec, std::move(args)...);
    }

    const inner_type& inner() const noexcept { return inner_; }

private:
    inner_type inner_;
    observation observation_;
};

/// True when the operations of the session opened with `cfg` are observed.
inline bool observed(const std::shared_ptr<const config>& cfg) noexcept {
    return cfg && cfg->observer;
}

/// The SQL text of an operation, for an observation: a prepared statement's own (no copy), a
/// copy of `sql`, or none (null) when `sql` is empty.
inline std::shared_ptr<const std::string> observed_sql(std::string_view sql,
                                                       const statement* stmt = nullptr) {
    if (stmt && stmt->valid()) return {stmt->data(), &stmt->data()->sql};
    if (sql.empty()) return nullptr; // a batch: no text
    return std::make_shared<const std::string>(sql);
}

/// `handler`, observed as an operation of `kind` on `sql` (or on the prepared `stmt`'s text),
/// with the named parameters of `named`, when the connection whose session was opened with
/// `cfg` has an observer; otherwise `handler` itself, for the cost of a test. (Returned, never
/// assigned: Boost 1.81's any_completion_handler move assignment wraps the handler into itself
/// without end.)
template <class Signature>
boost::asio::any_completion_handler<Signature>
observe(const std::shared_ptr<const config>& cfg, operation_kind kind, std::string_view sql,
        const statement* stmt, boost::asio::any_completion_handler<Signature> handler,
        named_params_source named = {}) {
    if (!observed(cfg)) return handler;
    return boost::asio::any_completion_handler<Signature>(observed_handler<Signature>(
        std::move(handler),
        observation(cfg, kind, observed_sql(sql, stmt), std::chrono::steady_clock::now(),
                    observe_parameters(named))));
}

} // namespace pgasio::detail

/// The caller's associated executor, allocator and cancellation slot are the observed handler's.
template <template <typename, typename> class Associator, class Signature, class DefaultCandidate>
struct boost::asio::associator<Associator, pgasio::detail::observed_handler<Signature>,
                               DefaultCandidate> {
    using inner_type = typename pgasio::detail::observed_handler<Signature>::inner_type;
    using type = typename Associator<inner_type, DefaultCandidate>::type;

    static type get(const pgasio::detail::observed_handler<Signature>& h) noexcept {
        return Associator<inner_type, DefaultCandidate>::get(h.inner());
    }
    static auto get(const pgasio::detail::observed_handler<Signature>& h,
                    const DefaultCandidate& c) noexcept
        -> decltype(Associator<inner_type, DefaultCandidate>::get(h.inner(), c)) {
        return Associator<inner_type, DefaultCandidate>::get(h.inner(), c);
    }
};
