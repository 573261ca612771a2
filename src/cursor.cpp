// Server-side cursors: opening one in a lease, fetching from it, closing it. Two consumers of
// their own (the open and the fetch) plug into the engine's request interface.
#include "connection_impl.hpp"
#include "request_kinds.hpp"
#include "result_formats.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/cursor.hpp>
#include <pgasio/protocol/backend.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <climits>
#include <utility>

namespace pgasio {
namespace detail {

/// What a cursor's handle and its requests share (on the connection's executor only, but for
/// the handle's reads of `exhausted` and `name` between operations).
struct cursor_state {
    std::shared_ptr<connection_impl> conn;
    std::uint64_t section = 0; ///< the lease it runs in
    std::string name;
    cursor_options options;
    column_list columns; ///< a portal's, from the open's Describe (declared: each FETCH's)
    bool exhausted = false;
    bool closed = false;
};

namespace {

using t = protocol::backend_message_type;

std::atomic<std::uint64_t> cursor_counter{0};

// Opens the cursor: a portal bound (and described) or a DECLARE run. Answers with the handle.
class cursor_open_request : public request {
public:
    using handler_type = asio::any_completion_handler<void(error_code, cursor)>;
    cursor_open_request(std::shared_ptr<cursor_state> st, handler_type h)
        : state_(std::move(st))
        , handler_(std::move(h)) {}

    error_code on_answer(const protocol::message_view& m, result_builder& rows) override {
        if (m.type != t::row_description || state_->options.form != cursor_options::kind::portal)
            return {};
        const auto rd = protocol::decode_row_description(m.body);
        if (!rd) return rd.error();
        state_->columns = make_columns(*rd, rows.types());
        return {};
    }

    void answer(error_code ec, const connection_impl& c, call how) override {
        // Outside a transaction block the Sync that ended the open also closed the portal.
        if (!ec && state_->options.form == cursor_options::kind::portal &&
            c.transaction_status() == protocol::transaction_status::idle) {
            ec = client_errc::cursor_needs_transaction;
            if (diag) {
                *diag = diagnostics{};
                diag->message = ec.message();
            }
        }
        if (ec) state_->closed = true; // nothing of it stays open
        c.deliver(handler_, how, ec, ec ? cursor{} : cursor(state_));
    }

private:
    std::shared_ptr<cursor_state> state_;
    handler_type handler_;
};

// Closes the cursor. Failed, it may not have reached the server (the lease ended, a timeout or
// a cancellation before it was sent): the cursor counts as open again, so that the handle's
// destructor closes it (a WITH HOLD cursor would otherwise stay open for the rest of the
// session). Closing one the server closed already is no error.
class cursor_close_request : public command_request {
public:
    cursor_close_request(std::shared_ptr<cursor_state> st, void_handler h)
        : command_request(std::move(h))
        , state_(std::move(st)) {}

    void answer(error_code ec, const connection_impl& c, call how) override {
        if (ec && ec != client_errc::cursor_closed) state_->closed = false;
        command_request::answer(ec, c, how);
    }

private:
    std::shared_ptr<cursor_state> state_;
};

// Fetches the next rows: an Execute of the portal with a row limit, or a FETCH FORWARD.
class cursor_fetch_request : public result_request {
public:
    cursor_fetch_request(std::shared_ptr<cursor_state> st, result_handler h)
        : result_request(std::move(h))
        , state_(std::move(st)) {}

    void begin(result_builder& rows) override {
        // A portal's rows come undescribed: its columns are known from the open.
        if (state_->options.form == cursor_options::kind::portal) rows.set_columns(state_->columns);
    }

    error_code on_answer(const protocol::message_view& m, result_builder& rows) override {
        if (auto ec = result_request::on_answer(m, rows)) return ec;
        if (m.type != t::command_complete) return {}; // PortalSuspended: rows remain
        if (state_->options.form == cursor_options::kind::portal) {
            // The portal ran to completion (a PortalSuspended would have said otherwise).
            state_->exhausted = true;
            return {};
        }
        // "FETCH n": fewer rows than asked for means the end.
        const auto cc = protocol::decode_command_complete(m.body);
        if (!cc) return cc.error();
        const std::string_view tag = cc->tag;
        std::uint64_t n = 0;
        const auto space = tag.rfind(' ');
        if (space != std::string_view::npos)
            std::from_chars(tag.data() + space + 1, tag.data() + tag.size(), n);
        if (n < state_->options.fetch_size) state_->exhausted = true;
        return {};
    }

private:
    std::shared_ptr<cursor_state> state_;
};

// The settings of a cursor's request: the caller's, in the cursor's lease.
template <class R>
void apply(R& r, const detail::op_settings& op, const cursor_state& st) {
    r.diag = op.diag;
    r.timeout = op.timeout;
    r.section = st.section;
}

// Close of the cursor's portal (a declared cursor is a portal too), then Sync. Closing a
// portal that is gone is no error.
void encode_close(protocol::write_buffer& out, const cursor_state& st) {
    protocol::encode_close(out, protocol::target_kind::portal, st.name);
    protocol::encode_sync(out);
}

// Answers an operation on an empty handle, which has no connection to go through.
template <class Handler, class... Args>
void refuse_empty(Handler& h, diagnostics* diag, Args... args) {
    if (diag) {
        *diag = diagnostics{};
        diag->message = "the cursor is empty (default-constructed or moved from)";
    }
    deliver_detached(h, error_code(client_errc::cursor_closed), std::move(args)...);
}

} // namespace
} // namespace detail

void connection::start_open_cursor(detail::connection_impl* impl, cursor_handler handler,
                                   const detail::op_settings& op, std::string_view sql,
                                   const cursor_options& options, const param_source& params) {
    auto st = std::make_shared<detail::cursor_state>();
    st->conn = impl->shared_from_this();
    st->section = op.section;
    st->name = "pgasio_c" + std::to_string(++detail::cursor_counter);
    st->options = options;
    // Execute's row limit is an int32, and 0 would mean "all rows".
    st->options.fetch_size = std::clamp<std::uint32_t>(options.fetch_size, 1, INT32_MAX);
    const bool portal = options.form == cursor_options::kind::portal;
    std::string text;
    if (!portal)
        text = "DECLARE " + st->name + " NO SCROLL CURSOR " +
               (options.with_hold ? "WITH HOLD " : "") + "FOR " + std::string(sql);
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    auto r = std::make_unique<detail::cursor_open_request>(st, std::move(handler));
    r->slot = slot;
    detail::apply(*r, op, *st);
    using step = protocol::request_step;
    if (portal)
        r->set_script({step::parse, step::bind, step::describe_portal, step::sync});
    else
        r->set_script({step::parse, step::bind, step::execute, step::sync});
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
        if (auto ec = protocol::encode_parse(out, "", portal ? sql : std::string_view(text),
                                             params.types)) {
            why = "the query cannot be sent: " + ec.message();
            return ec;
        }
        // A portal's rows are asked for in binary; a declared cursor's come from its FETCHes.
        protocol::bind_writer bind(out, portal ? std::string_view(st->name) : "", "",
                                   detail::all_binary, params.count);
        {
            // The codecs of user-defined types find their OIDs and layouts here.
            const detail::type_scope scope(impl->types.get());
            params.write(params.ctx, bind);
        }
        if (auto ec = bind.finish(detail::all_binary)) {
            why = "a parameter cannot be sent: " + ec.message();
            return ec;
        }
        if (portal)
            protocol::encode_describe(out, protocol::target_kind::portal, st->name);
        else
            protocol::encode_execute(out, "", 0);
        protocol::encode_sync(out);
        return {};
    };
    impl->submit(std::move(r), encode);
}

bool cursor::exhausted() const noexcept {
    return state_ && state_->exhausted;
}

const std::string& cursor::name() const noexcept {
    static const std::string none;
    return state_ ? state_->name : none;
}

void cursor::start_fetch(const std::shared_ptr<detail::cursor_state>& state, result_handler handler,
                         const detail::op_settings& op) {
    if (!state) return detail::refuse_empty(handler, op.diag, result{});
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    auto r = std::make_unique<detail::cursor_fetch_request>(state, std::move(handler));
    r->slot = slot;
    detail::apply(*r, op, *state);
    const bool portal = state->options.form == cursor_options::kind::portal;
    using step = protocol::request_step;
    if (portal)
        r->set_script({step::execute, step::sync});
    else
        r->set_script({step::parse, step::bind, step::describe_portal, step::execute, step::sync});
    const std::string text = portal ? std::string()
                                    : "FETCH FORWARD " + std::to_string(state->options.fetch_size) +
                                          " FROM " + state->name;
    const bool closed = state->closed;
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
        if (closed) {
            why = "the cursor " + state->name + " was closed";
            return client_errc::cursor_closed;
        }
        if (portal) {
            protocol::encode_execute(out, state->name,
                                     static_cast<std::int32_t>(state->options.fetch_size));
        } else {
            // Rows in binary, as every result pgasio asks for.
            if (auto ec = protocol::encode_parse(out, "", text, {})) return ec;
            protocol::bind_writer bind(out, "", "", detail::all_binary, 0);
            if (auto ec = bind.finish(detail::all_binary)) return ec;
            protocol::encode_describe(out, protocol::target_kind::portal, "");
            protocol::encode_execute(out, "", 0);
        }
        protocol::encode_sync(out);
        return {};
    };
    state->conn->submit(std::move(r), encode);
}

void cursor::start_close(const std::shared_ptr<detail::cursor_state>& state, void_handler handler,
                         const detail::op_settings& op) {
    if (!state) return detail::refuse_empty(handler, op.diag);
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    const bool closed = std::exchange(state->closed, true);
    auto r = std::make_unique<detail::cursor_close_request>(state, std::move(handler));
    r->slot = slot;
    detail::apply(*r, op, *state);
    r->set_script({protocol::request_step::close, protocol::request_step::sync});
    auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
        if (closed) {
            why = "the cursor " + state->name + " was closed already";
            return client_errc::cursor_closed;
        }
        detail::encode_close(out, *state);
        return {};
    };
    state->conn->submit(std::move(r), encode);
}

void cursor::close_in_background() noexcept {
    if (!state_ || std::exchange(state_->closed, true)) return;
    // Nobody waits for it. Not in the lease, which may be gone: a request of no lease waits
    // for the lease to end, and then closes a WITH HOLD cursor that would otherwise stay open
    // for the rest of the session (closing a portal its transaction already ended is no error).
    auto r = std::make_unique<detail::command_request>();
    r->internal = true;
    // No deadline: nobody would hear of it, and a Close that waits for a lease past the
    // connection's query_timeout would be dropped before it is sent.
    r->timeout = std::chrono::milliseconds(0);
    r->set_script({protocol::request_step::close, protocol::request_step::sync});
    auto encode = [this](protocol::write_buffer& out, std::string&) -> error_code {
        detail::encode_close(out, *state_);
        return {};
    };
    state_->conn->submit(std::move(r), encode);
}

} // namespace pgasio
