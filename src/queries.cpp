// The query operations of pgasio::connection: each builds a request and hands it to the engine.
#include "connection_impl.hpp"
#include "interpolate.hpp"
#include "observe.hpp"
#include "request_kinds.hpp"
#include "result_formats.hpp"
#include "used_types.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/detail/leading_keyword.hpp>
#include <pgasio/detail/placeholders.hpp>
#include <pgasio/detail/post_to.hpp>
#include <pgasio/sql.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

namespace pgasio {
namespace {

using detail::make_request;

// Observes `r` from now (its connection has an observer): the same reading of the clock starts
// its deadline (connection_impl::watch).
template <class Request>
void observe(Request& r, const detail::connection_impl& impl, operation_kind kind,
             detail::observed_text sql,
             std::unique_ptr<const detail::observed_parameters> parameters = nullptr) {
    r.started = std::chrono::steady_clock::now();
    r.observed.emplace(impl.session_config, kind, std::move(sql), r.started, std::move(parameters));
}

} // namespace

const type_registry* connection::types_of(detail::connection_impl* impl) noexcept {
    return impl->types.get();
}

connection::executor_type connection::executor_of(detail::connection_impl* impl) noexcept {
    return impl->executor;
}

// Queues `r`, an extended query of `sql` (or of the prepared `stmt`) with `params`, sent as
// its mode says (see query_exec_mode): a prepared statement or a statement the cache has
// prepared gets Bind, Execute, Sync; one not yet prepared Close and Parse of its name first; an
// unnamed statement Parse first. Describe follows Bind unless the description is known.
void connection::queue_query(detail::connection_impl* impl,
                             std::unique_ptr<detail::result_request> r, std::string_view sql,
                             const statement* stmt, const param_source& params) {
    if (stmt && stmt->valid()) {
        r->statement_columns = stmt->data()->columns;
        r->prepared_in = stmt->data()->session;
    }
    // The cache serves only a request whose messages go to the wire now, in order with what
    // the cache has seen sent (see connection_impl::writes_now); statements that run alone
    // (COPY, BEGIN) are not kept, so one it holds need not be read for its first word again.
    const bool cache_mode =
        r->mode == query_exec_mode::cache_statement || r->mode == query_exec_mode::cache_describe;
    auto& cache = impl->statements;
    const bool cacheable =
        !stmt && cache_mode && cache.capacity() != 0 && impl->writes_now(r->section);
    std::shared_ptr<detail::cached_statement> entry;
    if (cacheable) entry = cache.find(sql, params.types);
    // A prepared statement knows from its preparation.
    r->alone = stmt    ? stmt->valid() && stmt->data()->runs_alone
               : entry ? false
                       : detail::runs_alone(sql);
    bool inserted = false;
    if (cacheable && !entry && !r->alone) {
        entry = cache.insert(sql, params.types);
        inserted = true;
    }
    const bool named = entry && r->mode == query_exec_mode::cache_statement && !entry->name.empty();
    const bool parse_named = named && !entry->prepared;
    const bool describe = !stmt && !(entry && entry->described);
    const std::string_view statement_name = stmt    ? std::string_view(stmt->name())
                                            : named ? std::string_view(entry->name)
                                                    : std::string_view();
    const auto closes = entry ? cache.pending_closes() : std::span<const std::string>();
    // Observed: its text is the prepared statement's or the cache entry's, not a copy.
    if (detail::observed(impl->session_config, r->unobserved))
        observe(*r, *impl, operation_kind::query,
                entry ? detail::observed_text(entry, entry->sql())
                      : detail::observed_sql(sql, stmt),
                detail::observe_parameters({params.named, params.ctx}));

    using step = protocol::request_step;
    for (std::size_t i = 0; i < closes.size(); ++i)
        r->push_step(step::close);
    if (parse_named) r->push_step(step::close);
    if (!stmt && !(named && !parse_named)) r->push_step(step::parse);
    r->push_step(step::bind);
    if (describe) r->push_step(step::describe_portal);
    r->push_step(step::execute);
    r->push_step(step::sync);

    // Parameters that do not fit the placeholders are refused (see check_parameter_count); a
    // statement the cache already holds was checked when it went in (its key holds the
    // parameters' types, so their count).
    const bool check_count = !stmt && !(entry && !inserted);

    // The request is handed over with submit(), which calls this: it stays reachable here.
    detail::result_request* req = r.get();
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
        const std::size_t begin = out.size();
        if (check_count) {
            if (auto ec =
                    detail::check_parameter_count(sql, params.count, impl->backslash_escapes, why))
                return ec;
        }
        if (stmt) {
            if (!stmt->valid()) {
                why = "the statement handle is empty (not from async_prepare)";
                return client_errc::statement_not_prepared;
            }
            if (params.count != stmt->parameter_types().size()) {
                why = "statement " + stmt->name() + " expects " +
                      std::to_string(stmt->parameter_types().size()) + " parameters, got " +
                      std::to_string(params.count);
                return client_errc::parameter_count_mismatch;
            }
        }
        // Statements the cache evicted: closed here, where no round trip is added.
        for (const auto& name : closes)
            protocol::encode_close(out, protocol::target_kind::statement, name);
        // Close before Parse: a name is that of one statement text only, but the server may
        // hold it already (a Parse whose answer was lost, or the session a pooler handed over).
        if (parse_named) protocol::encode_close(out, protocol::target_kind::statement, entry->name);
        if (!stmt && !(named && !parse_named)) {
            if (auto ec = protocol::encode_parse(out, statement_name, sql, params.types)) {
                why = "the query cannot be sent: " + ec.message();
                return ec;
            }
        }
        // Result formats (docs/types.md, "Any column as text"): where the columns are known
        // before the Bind (a prepared statement, a description the cache holds), binary for
        // the types pgasio decodes in binary and text for the others; where they are not (the
        // Describe comes in the same round trip), binary; text for all with_text_results.
        std::span<const protocol::format_code> formats = detail::all_binary;
        if (stmt)
            formats = detail::bind_formats(stmt->data()->result_formats);
        else if (!describe)
            formats = detail::bind_formats(entry->result_formats);
        if (req->text_results) formats = detail::all_text;
        req->result_format_count = formats.size();
        req->bind_at = out.size() - begin;
        protocol::bind_writer bind(out, "", statement_name, detail::all_binary, params.count);
        // What a codec of a user-defined type said about a parameter it could not encode.
        std::string encode_detail;
        {
            // The codecs of user-defined types find their OIDs and layouts here; the types they
            // send are noted, for a refusal that says one changed (result_request::answer).
            const detail::type_scope scope(impl->types.get());
            const detail::used_types_scope used(req->user_parameter_types);
            params.write(params.ctx, bind);
            encode_detail = detail::take_decode_detail();
        }
        if (auto ec = bind.finish(formats)) {
            why = "a parameter cannot be sent: " + ec.message();
            if (!encode_detail.empty()) why += " (" + encode_detail + ")";
            return ec;
        }
        req->bind_size = out.size() - begin - req->bind_at;
        if (describe) protocol::encode_describe(out, protocol::target_kind::portal, "");
        protocol::encode_execute(out, "", 0);
        protocol::encode_sync(out);
        // Sent: what the cache expects of the server from now on.
        if (entry) {
            req->carried_closes.assign(closes.begin(), closes.end());
            cache.closes_sent();
            if (parse_named) entry->prepared = true;
            req->cached = entry;
            req->sends_parse = parse_named;
            if (!describe) {
                req->statement_columns = entry->columns;
                // Unnamed, nothing on the server checks that its columns are still these.
                req->columns_from_cache = !named;
            }
            inserted = false;
        }
        if (req->text_results)
            req->statement_columns = detail::all_text_columns(req->statement_columns);
        return {};
    };
    impl->submit(std::move(r), encode);
    // Not sent (the parameters failed to encode): the entry it made is no use.
    if (inserted) cache.forget(*entry, false);
}

// Queues `r`, `sql` with `params` written into it as literals, as one simple Query message
// (query_exec_mode::simple_protocol): rows arrive in text.
void connection::queue_simple_query(detail::connection_impl* impl,
                                    std::unique_ptr<detail::result_request> r, std::string_view sql,
                                    const param_source& params) {
    if (detail::observed(impl->session_config, r->unobserved))
        observe(*r, *impl, operation_kind::query, detail::observed_sql(sql),
                detail::observe_parameters({params.named, params.ctx}));
    r->alone = detail::runs_alone(sql);
    r->set_script({protocol::request_step::simple_query});
    const auto plain = impl->backslash_escapes ? detail::plain_string_backslash::escape
                                               : detail::plain_string_backslash::literal;
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
        // The codecs of user-defined types, and the names of their types in the SQL, come
        // from the connection's registry.
        const detail::type_scope scope(impl->types.get());
        detail::param_values values(params.count);
        params.write(params.ctx, values);
        if (auto ec = values.finish(why)) {
            why = "a parameter cannot be sent: " + why;
            return ec;
        }
        std::string text;
        if (auto ec = detail::interpolate_params(sql, params.types, values, plain, text, why))
            return ec;
        if (auto ec = protocol::encode_query(out, text)) {
            why = "the query cannot be sent: " + ec.message();
            return ec;
        }
        return {};
    };
    impl->submit(std::move(r), encode);
}

void connection::start_query(detail::connection_impl* impl, result_handler handler,
                             const detail::op_settings& op, std::string_view sql,
                             const statement* stmt, const param_source& params) {
    auto r = make_request<detail::result_request>(op, std::move(handler));
    r->mode = op.exec_mode.value_or(impl->exec_mode);
    r->text_results = op.text_results;
    if (!stmt && r->mode == query_exec_mode::simple_protocol)
        return queue_simple_query(impl, std::move(r), sql, params);
    queue_query(impl, std::move(r), sql, stmt, params);
}

row_stream connection::start_stream(detail::connection_impl* impl, std::uint64_t section,
                                    std::string_view sql, const statement* stmt,
                                    const param_source& params) {
    auto state = std::make_shared<detail::stream_state>();
    state->conn = impl->weak_from_this();
    state->executor = impl->executor;
    auto r = std::make_unique<detail::stream_request>(state);
    r->section = section;
    r->mode = impl->exec_mode;
    if (!stmt && r->mode == query_exec_mode::simple_protocol)
        queue_simple_query(impl, std::move(r), sql, params);
    else
        queue_query(impl, std::move(r), sql, stmt, params);
    return row_stream(std::move(state));
}

void connection::start_simple(detail::connection_impl* impl, results_handler handler,
                              const detail::op_settings& op, std::string_view sql) {
    auto r = make_request<detail::results_request>(op, std::move(handler));
    if (detail::observed(impl->session_config, op.unobserved))
        observe(*r, *impl, operation_kind::simple_query, detail::observed_sql(sql));
    r->alone = true;
    r->set_script({protocol::request_step::simple_query});
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
        if (auto ec = protocol::encode_query(out, sql)) {
            why = "the query cannot be sent: " + ec.message();
            return ec;
        }
        return {};
    };
    impl->submit(std::move(r), encode);
}

void connection::start_prepare(detail::connection_impl* impl, statement_handler handler,
                               const detail::op_settings& op, std::string_view sql) {
    auto st = std::make_shared<detail::statement_data>();
    st->name = impl->next_statement_name(sql);
    st->sql = std::string(sql);
    st->runs_alone = detail::runs_alone(sql);
    const std::string name = st->name;
    const bool observed = detail::observed(impl->session_config, op.unobserved);
    // Observed, its text is the statement's own.
    auto text = observed ? detail::observed_text(st, st->sql) : nullptr;
    auto r = make_request<detail::prepare_request>(op, std::move(handler), std::move(st));
    if (observed) observe(*r, *impl, operation_kind::prepare, std::move(text));
    r->set_script({protocol::request_step::close, protocol::request_step::parse,
                   protocol::request_step::describe_statement, protocol::request_step::sync});
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
        // Close before Parse, as the cache does: the name is that of this text only, but the
        // server session may hold it already. Behind a pooler, a process forked from this one
        // (same counter) may have prepared the same text under it on the session handed over.
        protocol::encode_close(out, protocol::target_kind::statement, name);
        if (auto ec = protocol::encode_parse(out, name, sql, {})) {
            why = "the statement cannot be sent: " + ec.message();
            return ec;
        }
        protocol::encode_describe(out, protocol::target_kind::statement, name);
        protocol::encode_sync(out);
        return {};
    };
    impl->submit(std::move(r), encode);
}

void connection::start_close_statement(detail::connection_impl* impl, handler_type handler,
                                       const detail::op_settings& op, const statement& stmt) {
    auto r = make_request<detail::command_request>(op, std::move(handler));
    if (stmt.valid()) r->prepared_in = stmt.data()->session;
    r->set_script({protocol::request_step::close, protocol::request_step::sync});
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
        if (!stmt.valid()) {
            why = "the statement handle is empty (not from async_prepare)";
            return client_errc::statement_not_prepared;
        }
        protocol::encode_close(out, protocol::target_kind::statement, stmt.name());
        protocol::encode_sync(out);
        return {};
    };
    impl->submit(std::move(r), encode);
}

void connection::start_listen(detail::connection_impl* impl, handler_type handler,
                              const detail::op_settings& op, std::string_view command,
                              std::string_view channel) {
    auto r = make_request<detail::command_request>(op, std::move(handler));
    r->alone = true; // a simple query
    r->set_script({protocol::request_step::simple_query});
    const std::string sql = std::string(command) + quote_identifier(channel);
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
        if (auto ec = protocol::encode_query(out, sql)) {
            why = "the channel name cannot be sent: " + ec.message();
            return ec;
        }
        return {};
    };
    impl->submit(std::move(r), encode);
}

namespace {

// The executor's part of async_receive_notification, for the waiter `id`.
void wait_for_notification(
    detail::connection_impl& impl,
    boost::asio::any_completion_handler<void(error_code, notification)> handler, std::uint64_t id) {
    // Never completes inside the initiating function: answers are posted.
    auto complete = [&](error_code ec, notification n) {
        impl.deliver(handler, detail::call::posted, ec, std::move(n));
    };
    if (!impl.notifications.empty()) {
        auto n = std::move(impl.notifications.front());
        impl.notifications.pop_front();
        return complete({}, std::move(n));
    }
    if (!impl.open) return complete(client_errc::not_connected, {});
    if (impl.notification_waiter) return complete(boost::asio::error::in_progress, {});
    impl.notification_waiter.emplace(std::move(handler));
    impl.notification_waiter_id = id;
}

} // namespace

void connection::start_receive_notification(detail::connection_impl* impl,
                                            notification_handler handler) {
    const auto id = impl->next_request_id();
    impl->on_cancellation(boost::asio::get_associated_cancellation_slot(handler),
                          [id](detail::connection_impl& c, boost::asio::cancellation_type) {
                              if (c.notification_waiter && c.notification_waiter_id == id)
                                  c.answer_notification_waiter(
                                      boost::asio::error::operation_aborted, {});
                          });
    if (impl->on_executor()) return wait_for_notification(*impl, std::move(handler), id);
    boost::asio::post(impl->executor,
                      [self = impl->shared_from_this(), h = std::move(handler), id]() mutable {
                          wait_for_notification(*self, std::move(h), id);
                      });
}

void detail::connection_impl::request_section(
    asio::cancellation_slot slot,
    asio::any_completion_handler<void(error_code, std::uint64_t)> handler) {
    const auto id = next_request_id();
    on_cancellation(slot,
                    [id](connection_impl& c, asio::cancellation_type) { c.cancel_acquire(id); });
    if (on_executor()) return acquire_section(std::move(handler), id);
    boost::asio::post(executor, [self = shared_from_this(), h = std::move(handler), id]() mutable {
        self->acquire_section(std::move(h), id);
    });
}

void connection::start_acquire(detail::connection_impl* impl, section_handler handler) {
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    impl->request_section(slot, std::move(handler));
}

void connection::release_section(const std::shared_ptr<detail::connection_impl>& impl,
                                 std::uint64_t section) noexcept {
    if (!impl) return;
    // What the lease and its cursors start from here on is refused at once; the rest is posted:
    // a lease may be destroyed on any thread, or inside one of its own completions. A section
    // that has ended (a transaction's, as its COMMIT was queued) needs nothing more.
    if (impl->on_executor() && !impl->refuse_section(section)) return;
    detail::post_to(impl->executor, [impl, section] { impl->release_section(section); });
}

void connection::set_notice_handler(std::function<void(const diagnostics&)> handler) {
    impl_->notice_handler = std::move(handler);
}

void connection::set_query_timeout(std::chrono::milliseconds timeout) {
    impl_->query_timeout = timeout;
}

} // namespace pgasio
