// The query operations of pgasio::connection: each builds a request and hands it to the engine.
#include "connection_impl.hpp"
#include "request_kinds.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/detail/leading_keyword.hpp>
#include <pgasio/sql.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

namespace pgasio {
namespace {

using detail::make_request;
using protocol::format_code;

// Results are asked for in binary, every column (one format code applies to all).
constexpr format_code all_binary[] = {format_code::binary};

} // namespace

connection::executor_type connection::executor_of(detail::connection_impl* impl) noexcept {
    return impl->executor;
}

// Queues `r`, an extended query of `sql` (or of the prepared `stmt`) with `params`: Parse,
// Bind, Describe, Execute, Sync (Bind, Execute, Sync for a prepared statement).
void connection::queue_query(detail::connection_impl* impl,
                             std::unique_ptr<detail::result_request> r, std::string_view sql,
                             const statement* stmt, const param_source& params) {
    if (stmt && stmt->valid()) {
        r->statement_columns = stmt->data()->columns;
        r->prepared_in = stmt->data()->session;
    }
    // A prepared statement knows from its preparation.
    r->alone = stmt ? stmt->valid() && stmt->data()->runs_alone : detail::runs_alone(sql);
    using step = protocol::request_step;
    if (stmt)
        r->set_script({step::bind, step::execute, step::sync});
    else
        r->set_script({step::parse, step::bind, step::describe_portal, step::execute, step::sync});
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
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
        } else if (auto ec = protocol::encode_parse(out, "", sql, params.types)) {
            why = "the query cannot be sent: " + ec.message();
            return ec;
        }
        protocol::bind_writer bind(out, "", stmt ? std::string_view(stmt->name()) : "", all_binary,
                                   params.count);
        params.write(params.ctx, bind);
        if (auto ec = bind.finish(all_binary)) {
            why = "a parameter cannot be sent: " + ec.message();
            return ec;
        }
        // Describe the portal only for an unnamed statement: a prepared one knows its columns.
        if (!stmt) protocol::encode_describe(out, protocol::target_kind::portal, "");
        protocol::encode_execute(out, "", 0);
        protocol::encode_sync(out);
        return {};
    };
    impl->submit(std::move(r), encode);
}

void connection::start_query(detail::connection_impl* impl, result_handler handler,
                             const detail::op_settings& op, std::string_view sql,
                             const statement* stmt, const param_source& params) {
    auto r = make_request<detail::result_request>(op, std::move(handler));
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
    queue_query(impl, std::move(r), sql, stmt, params);
    return row_stream(std::move(state));
}

void connection::start_simple(detail::connection_impl* impl, results_handler handler,
                              const detail::op_settings& op, std::string_view sql) {
    auto r = make_request<detail::results_request>(op, std::move(handler));
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
    st->name = impl->next_statement_name();
    st->sql = std::string(sql);
    st->runs_alone = detail::runs_alone(sql);
    const std::string name = st->name;
    auto r = make_request<detail::prepare_request>(op, std::move(handler), std::move(st));
    r->set_script({protocol::request_step::parse, protocol::request_step::describe_statement,
                   protocol::request_step::sync});
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
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

void connection::start_receive_notification(detail::connection_impl* impl,
                                            notification_handler handler) {
    if (!impl->on_executor()) {
        boost::asio::post(impl->executor,
                          [self = impl->shared_from_this(), h = std::move(handler)]() mutable {
                              start_receive_notification(self.get(), std::move(h));
                          });
        return;
    }
    // Never completes inside the initiating function: answers go through the handler's
    // executor with post.
    auto ex = boost::asio::get_associated_executor(handler, impl->executor);
    auto complete = [&](error_code ec, notification n) {
        boost::asio::post(impl->executor,
                          boost::asio::bind_executor(
                              ex, [h = std::move(handler), ec, n = std::move(n)]() mutable {
                                  std::move(h)(ec, std::move(n));
                              }));
    };
    if (!impl->notifications.empty()) {
        auto n = std::move(impl->notifications.front());
        impl->notifications.pop_front();
        return complete({}, std::move(n));
    }
    if (!impl->open) return complete(client_errc::not_connected, {});
    if (impl->notification_waiter) return complete(boost::asio::error::in_progress, {});
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
        slot.assign([weak = impl->weak_from_this()](boost::asio::cancellation_type) {
            auto self = weak.lock();
            if (!self) return;
            boost::asio::post(self->executor, [weak] {
                if (auto s = weak.lock())
                    s->answer_notification_waiter(boost::asio::error::operation_aborted, {});
            });
        });
        impl->notification_slot = slot;
    }
    impl->notification_waiter.emplace(std::move(handler));
}

void connection::start_acquire(detail::connection_impl* impl, section_handler handler) {
    if (!impl->on_executor()) {
        boost::asio::post(impl->executor,
                          [self = impl->shared_from_this(), h = std::move(handler)]() mutable {
                              self->acquire_section(std::move(h));
                          });
        return;
    }
    impl->acquire_section(std::move(handler));
}

void connection::release_section(const std::shared_ptr<detail::connection_impl>& impl,
                                 std::uint64_t section) noexcept {
    if (!impl) return;
    // What the lease and its cursors start from here on is refused at once; the rest is posted:
    // a lease may be destroyed on any thread, or inside one of its own completions.
    if (impl->on_executor()) impl->refuse_section(section);
    boost::asio::post(impl->executor, [impl, section] { impl->release_section(section); });
}

void connection::set_notice_handler(std::function<void(const diagnostics&)> handler) {
    impl_->notice_handler = std::move(handler);
}

void connection::set_query_timeout(std::chrono::milliseconds timeout) {
    impl_->query_timeout = timeout;
}

} // namespace pgasio
