// The process-wide default observer and the names observers give what they report.
#include "observe.hpp"

#include <pgasio/observer.hpp>
#include <pgasio/observer_list.hpp>
#include <pgasio/protocol/detail/sqlstate_code.hpp>
#include <pgasio/protocol/sqlstate_category.hpp>

#include <mutex>
#include <new>

namespace pgasio {
namespace {

std::mutex default_mutex;
std::shared_ptr<observer>& default_slot() {
    static std::shared_ptr<observer> slot;
    return slot;
}

} // namespace

std::string_view to_string(operation_kind kind) noexcept {
    switch (kind) {
    case operation_kind::connect:
        return "connect";
    case operation_kind::query:
        return "query";
    case operation_kind::simple_query:
        return "simple_query";
    case operation_kind::prepare:
        return "prepare";
    case operation_kind::transaction:
        return "transaction";
    case operation_kind::acquire:
        return "acquire";
    case operation_kind::copy:
        return "copy";
    case operation_kind::batch:
        return "batch";
    }
    return "unknown";
}

std::string_view to_string(transaction_outcome outcome) noexcept {
    switch (outcome) {
    case transaction_outcome::committed:
        return "committed";
    case transaction_outcome::rolled_back:
        return "rolled_back";
    case transaction_outcome::in_doubt:
        return "in_doubt";
    case transaction_outcome::failed:
        return "failed";
    }
    return "unknown";
}

void set_default_observer(std::shared_ptr<observer> o) {
    std::lock_guard lock(default_mutex);
    default_slot() = std::move(o);
}

std::shared_ptr<observer> default_observer() {
    std::lock_guard lock(default_mutex);
    return default_slot();
}

std::string sqlstate_of(boost::system::error_code ec) {
    if (!ec || ec.category() != protocol::sqlstate_category()) return {};
    char code[5];
    protocol::detail::unpack_sqlstate(ec.value(), code);
    return std::string(code, 5);
}

std::string error_type(boost::system::error_code ec) {
    if (!ec) return {};
    if (ec.category() == protocol::sqlstate_category())
        return std::string(protocol::sqlstate_class(sqlstate_of(ec)));
    return std::string(ec.category().name()) + ':' + std::to_string(ec.value());
}

} // namespace pgasio

namespace pgasio::detail {

void observation::finish(operation_result& r) noexcept {
    finish(r, std::chrono::steady_clock::now());
}

void observation::finish(operation_result& r, std::chrono::steady_clock::time_point end) noexcept {
    if (!cfg_) return;
    // An operation started after the reading `end` is (answered in the same pass of the read
    // loop without the server: refused, or failed with the connection) ends now.
    if (end < start_) end = std::chrono::steady_clock::now();
    r.duration = end - start_;
    cfg_->observer->operation_end(info_, r, context_);
    cfg_.reset();
}

std::unique_ptr<const observed_parameters> collect_parameters(named_params_source src) {
    auto p = std::make_unique<observed_parameters>();
    src.collect(src.ctx, p->values);
    p->views.reserve(p->values.size());
    for (const auto& v : p->values)
        p->views.push_back(
            {v.name, v.text ? std::string_view(*v.text) : std::string_view(), !v.text.has_value()});
    return p;
}

std::optional<std::uint64_t> rows_affected_of(const result& r) {
    const auto tag = r.command_tag();
    // Told apart by the first letter before any comparison: most tags are SELECT's, and an
    // observed query asks on every call.
    switch (tag.empty() ? '\0' : tag.front()) {
    case 'I':
    case 'U':
    case 'D':
    case 'M':
    case 'C':
        break;
    default:
        return std::nullopt;
    }
    const auto verb = tag.substr(0, tag.find(' '));
    if (verb == "INSERT" || verb == "UPDATE" || verb == "DELETE" || verb == "MERGE" ||
        verb == "COPY")
        return r.rows_affected();
    return std::nullopt;
}

} // namespace pgasio::detail

namespace pgasio {

observer_list::observer_list(std::vector<std::shared_ptr<observer>> observers)
    : observers_(std::move(observers)) {
    std::erase(observers_, nullptr);
}

// The context of an operation: the contexts of each observer, in order (null when none of
// them returned one, so that plain metrics and logs allocate nothing).
void* observer_list::operation_start(const operation_info& op) noexcept {
    void** contexts = nullptr;
    for (std::size_t i = 0; i < observers_.size(); ++i) {
        void* c = observers_[i]->operation_start(op);
        if (!c) continue;
        if (!contexts) {
            contexts = new (std::nothrow) void*[observers_.size()]();
            if (!contexts) return nullptr; // out of memory: the contexts are lost, not the query
        }
        contexts[i] = c;
    }
    return contexts;
}

void observer_list::operation_end(const operation_info& op, const operation_result& result,
                                  void* context) noexcept {
    std::unique_ptr<void*[]> contexts(static_cast<void**>(context));
    for (std::size_t i = 0; i < observers_.size(); ++i)
        observers_[i]->operation_end(op, result, contexts ? contexts[i] : nullptr);
}

void observer_list::routed(server_role target) noexcept {
    for (const auto& o : observers_)
        o->routed(target);
}

void observer_list::pool_state(std::string_view pool, const pool_stats& stats) noexcept {
    for (const auto& o : observers_)
        o->pool_state(pool, stats);
}

} // namespace pgasio
