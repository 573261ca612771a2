// connection::async_execute_batch: the requests of a batch and how their answers become one
// outcome per statement.
#include "connection_impl.hpp"
#include "observe.hpp"
#include "request_kinds.hpp"

#include <pgasio/batch.hpp>
#include <pgasio/batch_results.hpp>
#include <pgasio/connection.hpp>

#include <boost/asio/post.hpp>

namespace pgasio {
namespace detail {
namespace {

using batch_handler = asio::any_completion_handler<void(error_code, batch_results)>;

// What the requests of one batch share: an all_or_nothing batch is one request (one Sync), an
// independent one a request per statement, answered together once the last is.
struct batch_state {
    // Constructed with the handler: Boost 1.81's any_completion_handler recurses without end
    // when move-assigned.
    explicit batch_state(batch_handler h) noexcept
        : handler(std::move(h)) {}

    std::vector<statement_outcome> outcomes; // every statement skipped until answered
    std::size_t pending = 0;                 // requests not answered yet
    error_code stopped;                      // the first error that was no statement's own
    diagnostics why;                         // the engine's explanation of a failure
    diagnostics* caller_diag = nullptr;
    batch_handler handler;
    /// Its observation, when the connection has an observer: from its start to its answer.
    std::optional<observation> observed;
    // An independent batch: the ids of its requests (0 once answered), which the caller's
    // cancellation stops while they run.
    std::vector<std::uint64_t> ids;
};

// The statements [first, first + count) of a batch, ending with one Sync.
class batch_request : public request {
public:
    batch_request(std::shared_ptr<batch_state> state, std::shared_ptr<const batch> source,
                  std::size_t first, std::size_t count)
        : state_(std::move(state))
        , source_(std::move(source))
        , first_(first)
        , count_(count) {
        diag = &state_->why;
    }

    error_code on_answer(const protocol::message_view& m, result_builder& rows) override {
        static const column_list none;
        const column_list& cols = done_ < count_ ? source_->columns()[first_ + done_] : none;
        if (auto ec = build_result(m, rows, cols)) return ec;
        // One outcome per statement, an empty query's included (none once the caller was
        // answered: what comes then is only drained).
        using t = protocol::backend_message_type;
        if ((m.type == t::command_complete || m.type == t::empty_query_response) &&
            done_ < count_) {
            if (state_) {
                auto& out = state_->outcomes[first_ + done_];
                out.status = statement_status::succeeded;
                out.rows = rows.finish();
            }
            ++done_;
        }
        return {};
    }

    void on_identified() override {
        if (!state_->ids.empty()) state_->ids[first_] = id;
    }

    void restart() override {
        for (std::size_t i = 0; i < done_; ++i)
            state_->outcomes[first_ + i] = statement_outcome{};
        done_ = 0;
    }

    void answer(error_code ec, const connection_impl& c, call how) override {
        batch_state& st = *state_;
        if (!st.ids.empty()) st.ids[first_] = 0;
        if (ec && ec == server_error && !is_fatal(ec)) {
            // The statement the server failed; in an all_or_nothing batch it skipped the rest.
            // With every statement done, the commit at the Sync failed (a deferred constraint,
            // a serialization failure): the last statement's, which did not commit (nor, in an
            // all_or_nothing batch, did the others).
            auto& out = st.outcomes[first_ + (done_ < count_ ? done_ : count_ - 1)];
            out.status = statement_status::failed;
            out.error = ec;
            out.rows = result{};
            out.diag = std::make_shared<const diagnostics>(std::move(st.why));
            st.why = diagnostics{};
        } else if (ec) {
            // (A FATAL error the server sent before it closed is the connection's, not the
            // statement's: it stops the batch.)
            // Stopped before the server answered these: they may or may not have run.
            for (std::size_t i = done_; i < count_; ++i) {
                auto& out = st.outcomes[first_ + i];
                out.status = statement_status::failed;
                out.error = ec;
            }
            if (!st.stopped) {
                st.stopped = ec;
                if (st.caller_diag) *st.caller_diag = st.why;
            }
        }
        // The request may be destroyed by the handler: keep the state alive through the call.
        auto keep = std::move(state_);
        if (--keep->pending != 0) return;
        batch_results results(std::move(keep->outcomes));
        finish_observation(keep->observed, c, keep->stopped, results);
        c.deliver(keep->handler, how, keep->stopped, std::move(results));
    }

private:
    std::shared_ptr<batch_state> state_;  // null once its caller was answered
    std::shared_ptr<const batch> source_; // the columns of its statements
    std::size_t first_;
    std::size_t count_;
    std::size_t done_ = 0; // statements answered
};

} // namespace
} // namespace detail

error_code batch::refuse(error_code ec, std::string_view why) {
    if (!refused_) {
        refused_ = ec;
        refusal_ =
            "statement " + std::to_string(size() + 1) + " of the batch could not be added (" +
            (why.empty() ? ec.message() : std::string(why)) + "): none of the batch was sent";
    }
    return ec;
}

void connection::start_batch(detail::connection_impl* impl, batch_handler handler,
                             const detail::op_settings& op, batch b) {
    using step = protocol::request_step;
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    auto st = std::make_shared<detail::batch_state>(std::move(handler));
    if (detail::observed(impl->session_config, op.unobserved))
        st->observed.emplace(impl->session_config, operation_kind::batch, nullptr);
    st->outcomes.resize(b.size());
    st->caller_diag = op.diag;
    const auto owned = std::make_shared<const batch>(std::move(b));
    auto make = [&](std::size_t first, std::size_t count) {
        auto r = std::make_unique<detail::batch_request>(st, owned, first, count);
        r->timeout = op.timeout;
        r->section = op.section;
        r->prepared_in = owned->session();
        return r;
    };
    const auto& entries = owned->entries();
    if (owned->refused()) {
        // A statement the caller meant to run is missing: the rest must not run without it.
        st->pending = 1;
        auto encode = [&](protocol::write_buffer&, std::string& why) -> error_code {
            why = owned->refusal();
            return owned->refused();
        };
        impl->submit(make(0, owned->size()), encode);
        return;
    }
    if (owned->empty()) {
        // Nothing to send, but the connection (or the lease) must still be there to send it.
        st->pending = 1;
        impl->answer_empty(make(0, 0));
        return;
    }
    if (owned->mode() == batch_mode::all_or_nothing) {
        st->pending = 1;
        auto r = make(0, owned->size());
        r->slot = slot;
        r->alone = owned->runs_alone();
        for (const auto& e : entries) {
            if (e.described)
                r->long_script.insert(r->long_script.end(), {step::parse, step::bind,
                                                             step::describe_portal, step::execute});
            else
                r->long_script.insert(r->long_script.end(), {step::bind, step::execute});
        }
        r->long_script.push_back(step::sync);
        auto encode = [&](protocol::write_buffer& out, std::string&) -> error_code {
            out.put_bytes(owned->bytes().data());
            protocol::encode_sync(out);
            return {};
        };
        impl->submit(std::move(r), encode);
        return;
    }
    // Independent: a request per statement, each with its own Sync; the caller's cancellation
    // stops those still running.
    st->pending = owned->size();
    st->ids.assign(owned->size(), 0);
    // Each is cancelled as a request of its own would be with this type (partial and total:
    // only those not sent yet).
    impl->on_cancellation(
        slot, [weak = std::weak_ptr<detail::batch_state>(st)](detail::connection_impl& c,
                                                              boost::asio::cancellation_type type) {
            auto s = weak.lock();
            if (!s) return;
            for (const auto id : std::vector<std::uint64_t>(s->ids))
                if (id != 0) c.stop_request(id, type);
        });
    std::size_t begin = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto r = make(i, 1);
        r->alone = entries[i].runs_alone;
        r->operation = st.get();
        if (entries[i].described)
            r->set_script(
                {step::parse, step::bind, step::describe_portal, step::execute, step::sync});
        else
            r->set_script({step::bind, step::execute, step::sync});
        const std::size_t end = entries[i].bytes_end;
        auto encode = [&](protocol::write_buffer& out, std::string&) -> error_code {
            out.put_bytes(owned->bytes().data().subspan(begin, end - begin));
            protocol::encode_sync(out);
            return {};
        };
        impl->submit(std::move(r), encode);
        begin = end;
    }
}

} // namespace pgasio
