// The consumers of the query operations' answers (request_kinds.hpp) and the defaults of the
// request interface.
#include "request_kinds.hpp"

#include "connection_impl.hpp"
#include "result_formats.hpp"

#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/frontend.hpp>
#include <pgasio/row_stream.hpp>

namespace pgasio::detail {
namespace {
using t = protocol::backend_message_type;
} // namespace

error_code build_result(const protocol::message_view& m, result_builder& rows,
                        const column_list& statement_cols) {
    switch (m.type) {
    case t::bind_complete:
        if (statement_cols) rows.set_columns(statement_cols);
        return {};
    case t::row_description: {
        const auto rd = protocol::decode_row_description(m.body);
        if (!rd) return rd.error();
        rows.set_columns(make_columns(*rd, rows.types()));
        return {};
    }
    case t::command_complete: {
        const auto cc = protocol::decode_command_complete(m.body);
        if (!cc) return cc.error();
        rows.set_command_tag(cc->tag);
        return {};
    }
    default:
        return {}; // nothing to build (NoData, CloseComplete, ParseComplete, ...)
    }
}

void request::begin(result_builder&) {}
void request::on_rows(connection_impl&, result_builder&, bool) {}
bool request::on_copy_in(connection_impl&, const protocol::message_view&) {
    return false;
}
bool request::on_copy_out(connection_impl&, const protocol::message_view&) {
    return false;
}
void request::on_copy_data(connection_impl&, std::span<const std::byte>) {}
void request::on_success(result_builder&) {}
void request::restart() {}
void request::abandon(connection_impl&) {}
void request::on_dropped(connection_impl&) {}
bool request::on_failure(connection_impl&, std::span<const std::byte>, protocol::write_buffer&) {
    return false;
}
void request::on_identified() {}
std::shared_ptr<cached_statement> request::prepares() const {
    return nullptr;
}
bool request::binds_prepared(const cached_statement&) const noexcept {
    return false;
}

error_code result_request::on_answer(const protocol::message_view& m, result_builder& rows) {
    if (mode == query_exec_mode::simple_protocol) {
        // One statement makes one result: a second one's answers are not mixed into it.
        if (completed_) {
            if (!server_error) {
                server_error = client_errc::several_statements;
                server_diag = std::make_unique<diagnostics>();
                server_diag->message = "the query held more than one statement; they ran, and "
                                       "their results were dropped (use async_simple_query)";
            }
            return {};
        }
        if (m.type == t::command_complete || m.type == t::empty_query_response) {
            completed_ = true;
            partly_done = true; // it ran: never sent a second time
        }
    }
    if (auto ec = build_result(m, rows, statement_columns)) return ec;
    if (!cached) return {};
    switch (m.type) {
    case t::parse_complete:
        parse_done = true;
        return {};
    case t::row_description: {
        // The answer to its Describe of the portal, in the formats it bound (binary, or text
        // with with_text_results); later executions bind each column in the format of its
        // type (text where pgasio has no binary codec).
        auto cols = std::make_shared<std::vector<column>>(*rows.columns());
        cached->result_formats = choose_result_formats(*cols);
        cached->columns = std::move(cols);
        cached->described = true;
        return {};
    }
    case t::no_data:
        cached->columns = nullptr;
        cached->result_formats.clear();
        cached->described = true;
        return {};
    default:
        return {};
    }
}

void result_request::on_dropped(connection_impl& c) {
    // Its Parse never went out: the next use prepares the statement.
    if (cached && sends_parse) cached->prepared = false;
    // Nor did the Close of the statements the cache evicted: the next request carries them.
    if (!carried_closes.empty()) c.statements.close_later(carried_closes);
}

std::shared_ptr<cached_statement> result_request::prepares() const {
    return sends_parse ? cached : nullptr;
}

bool result_request::binds_prepared(const cached_statement& s) const noexcept {
    // Only a named statement is bound without a Parse (cache_describe parses every time).
    return cached.get() == &s && !sends_parse && mode == query_exec_mode::cache_statement;
}

bool result_request::on_failure(connection_impl& c, std::span<const std::byte> sent,
                                protocol::write_buffer& again) {
    if (!cached) return false;
    // Its Parse failed, or never ran: the next use prepares the statement again.
    if (sends_parse && !parse_done) cached->prepared = false;
    // 26000: the server does not have the statement (DISCARD ALL, DEALLOCATE, a pooler that
    // moved the session to another server). 0A000 on a statement it did not parse itself:
    // "cached plan must not change result type", a table it reads was altered; the server
    // keeps the statement, which must be closed. A row that did not match a cached
    // description: the description is stale.
    // XX000 "cache lookup failed for type" with parameters of user-defined types: the
    // statement's parameter type was dropped since it was prepared (and perhaps made again:
    // answer() marks the types for reloading). The server keeps the statement, which can never
    // run again: it is closed and forgotten, and the next use prepares it afresh.
    if (server_error == sqlstate::internal_error && !user_parameter_types.empty()) {
        c.statements.forget(*cached, true);
        return false;
    }
    // Only for a Bind of a named statement this request did not prepare: any other 26000 or
    // 0A000 is the statement's own (an EXECUTE in its text, a feature it uses, a function's
    // RAISE), and running it again would repeat what it did outside its transaction. A stale
    // plan is told by the routine that reports it, which unlike the message is not translated.
    // (Named: in cache_statement mode, under the entry's name; cache_describe parses unnamed.)
    const bool binds_named =
        mode == query_exec_mode::cache_statement && !cached->name.empty() && !sends_parse;
    const bool lost = binds_named && server_error == sqlstate::invalid_sql_statement_name;
    const bool changed = binds_named && server_error == sqlstate::feature_not_supported &&
                         server_diag && server_diag->source_routine == "RevalidateCachedQuery";
    const bool stale = server_error == client_errc::description_changed;
    if (!lost && !changed && !stale) return false;
    auto& cache = c.statements;
    cache.forget(*cached, changed);
    // Run again, prepared afresh: only where the failure undid everything it did, i.e. outside
    // a transaction block (its implicit transaction rolled back) and before any of its rows
    // reached a reader. A stale description is found while rows arrive: the statement ran.
    if (stale || rerun || abandoned || partly_done || cached->name.empty() ||
        c.transaction_status() != protocol::transaction_status::idle)
        return false;
    auto entry = cache.find(cached->sql(), cached->parameter_types());
    if (!entry) entry = cache.insert(cached->sql(), cached->parameter_types());
    if (entry->name.empty()) return false;
    if (entry->encode_prepare(again)) return false;
    // The same Bind. Where the columns changed (0A000), not its result formats: codes chosen
    // per column followed the old description (a count the new columns may not even match), so
    // one code for all goes instead, and the Describe below says what comes.
    const std::size_t bind = again.size();
    if (changed && result_format_count > 1) {
        const std::size_t formats_at = bind_size - 2 - 2 * result_format_count;
        const auto bind_body = sent.subspan(bind_at + 5, formats_at - 5);
        again.put_byte(sent[bind_at]);
        again.put_i32(static_cast<std::int32_t>(4 + bind_body.size() + 4));
        again.put_bytes(bind_body);
        again.put_i16(1);
        again.put_i16(static_cast<std::int16_t>(protocol::format_code::binary));
        result_format_count = 1;
    } else {
        again.put_bytes(sent.subspan(bind_at, bind_size));
    }
    protocol::encode_describe(again, protocol::target_kind::portal, "");
    protocol::encode_execute(again, "", 0);
    protocol::encode_sync(again);
    using step = protocol::request_step;
    long_script = {step::close,           step::parse,   step::bind,
                   step::describe_portal, step::execute, step::sync};
    entry->prepared = true;
    cached = std::move(entry);
    sends_parse = true;
    parse_done = false;
    rerun = true;
    bind_at = bind;
    bind_size = again.size() - bind;
    statement_columns = nullptr;
    columns_from_cache = false;
    return true;
}

void result_request::on_success(result_builder& rows) {
    rows_ = rows.finish();
}

void result_request::answer(error_code ec, const connection_impl& c, call how) {
    // A type of the parameters changed since it was loaded: record_recv and array_recv refuse
    // a value whose fields or elements are labelled with other types than the server's
    // (42804); a type dropped (and made again, with a new OID) fails the catalog lookup of the
    // OID it was sent or prepared with (XX000, "cache lookup failed for type"). Marked, the next
    // async_load_types loads them again.
    const bool type_refused =
        server_error == sqlstate::datatype_mismatch || server_error == sqlstate::internal_error;
    if (!user_parameter_types.empty() && type_refused && c.types)
        for (const protocol::oid t : user_parameter_types)
            c.types->mark_changed(t);
    result rows = ec ? result{} : std::move(rows_);
    finish_observation(observed, c, ec, rows);
    // The hot path: known at initiation to run here, so no need to ask the erased handler for
    // its executor (which costs an allocation).
    if (how == call::direct && on_connection_executor)
        return std::move(handler_)(ec, std::move(rows));
    c.deliver(handler_, how, ec, std::move(rows));
}

void stream_state::hand_out(const connection_impl& c, call how) {
    if (!waiter || (parts.empty() && !finished)) return;
    auto h = std::move(*waiter);
    waiter.reset();
    if (!parts.empty()) {
        result part = std::move(parts.front());
        parts.pop_front();
        return c.deliver(h, how, error_code{}, std::move(part));
    }
    if (ec && waiter_diag) *waiter_diag = diag;
    c.deliver(h, how, ec, ec ? result{} : end);
}

stream_request::stream_request(std::shared_ptr<stream_state> st)
    : stream_(std::move(st)) {
    diag = &stream_->diag;
    flush_at = row_stream::part_bytes;
    timeout = std::chrono::milliseconds(0); // a stream lasts as long as its reader takes
}

void stream_request::on_identified() {
    stream_->request_id = id;
}

void stream_request::on_rows(connection_impl& c, result_builder& rows, bool batch_end) {
    // At the end of a batch from the socket, a waiting reader gets the rows so far, not only
    // once a whole part has come: a slow query's rows are not held back.
    if (batch_end && (!stream_->waiter || rows.rows() == 0)) return;
    rows_ += rows.rows();
    stream_->parts.push_back(rows.take_rows());
    partly_done = true; // its reader has rows: it can no longer be sent again
    stream_->hand_out(c, call::direct);
    // Two parts waiting: stop reading until the reader takes one (TCP holds the server back).
    if (stream_->parts.size() >= 2) c.pause_reading();
}

void stream_request::on_success(result_builder& rows) {
    // The last rows, then the end: the same columns, no rows, the command tag.
    column_list columns = rows.columns();
    result last = rows.finish();
    rows.set_columns(std::move(columns));
    rows.set_command_tag(last.command_tag());
    stream_->end = rows.finish();
    rows_ += last.size();
    if (!last.empty()) stream_->parts.push_back(std::move(last));
}

void stream_request::answer(error_code ec, const connection_impl& c, call how) {
    if (observed) {
        operation_result r;
        r.ec = ec;
        r.rows_returned = rows_;
        if (!ec) r.rows_affected = rows_affected_of(stream_->end);
        observed->finish(r, c.answered_at());
    }
    // The stream ends: its reader gets the parts still buffered, then this.
    stream_->finished = true;
    stream_->ec = ec;
    stream_->hand_out(c, how);
}

void stream_request::abandon(connection_impl& c) {
    // Its parts are not wanted any more, and what the server sent must be drained.
    stream_->parts.clear();
    c.resume_reading();
}

error_code results_request::on_answer(const protocol::message_view& m, result_builder& rows) {
    if (auto ec = build_result(m, rows, nullptr)) return ec;
    if (m.type == t::command_complete) {
        results_.push_back(rows.finish());
        // A statement has run: the request can no longer be repeated.
        partly_done = true;
    }
    return {};
}

void results_request::answer(error_code ec, const connection_impl& c, call how) {
    auto results = ec ? std::vector<result>{} : std::move(results_);
    finish_observation(observed, c, ec, results);
    c.deliver(handler_, how, ec, std::move(results));
}

void results_request::restart() {
    results_.clear();
}

error_code prepare_request::on_answer(const protocol::message_view& m, result_builder& rows) {
    switch (m.type) {
    case t::parse_complete:
        // A named statement exists from here on, whatever happens to the rest of the request.
        partly_done = true;
        return {};
    case t::parameter_description: {
        const auto pd = protocol::decode_parameter_description(m.body);
        if (!pd) return pd.error();
        for (std::size_t i = 0; i < pd->size(); ++i)
            statement_->parameter_types.push_back((*pd)[i]);
        return {};
    }
    case t::row_description: {
        const auto rd = protocol::decode_row_description(m.body);
        if (!rd) return rd.error();
        // Describe of a statement cannot know the result formats yet (it says text): they are
        // pgasio's to choose, binary for the types it decodes in binary, text for the others.
        auto cols = std::make_shared<std::vector<column>>(*make_columns(*rd, rows.types()));
        statement_->result_formats = choose_result_formats(*cols);
        statement_->columns = std::move(cols);
        return {};
    }
    default:
        return {};
    }
}

void prepare_request::answer(error_code ec, const connection_impl& c, call how) {
    statement st;
    if (!ec) {
        statement_->session = c.session_id;
        st = statement(std::shared_ptr<const statement_data>(std::move(statement_)));
    }
    finish_observation(observed, c, ec);
    c.deliver(handler_, how, ec, std::move(st));
}

void prepare_request::restart() {
    statement_->parameter_types.clear();
    statement_->columns.reset();
    statement_->result_formats.clear();
}

error_code command_request::on_answer(const protocol::message_view&, result_builder&) {
    return {};
}

void command_request::answer(error_code ec, const connection_impl& c, call how) {
    if (handler_) c.deliver(handler_, how, ec);
}

statement_prepare_request::statement_prepare_request(std::shared_ptr<cached_statement> s)
    : statement_(std::move(s)) {
    internal = true;
    timeout = std::chrono::milliseconds(0); // the requests behind it have their callers'
    set_script({protocol::request_step::close, protocol::request_step::parse,
                protocol::request_step::sync});
    statement_->prepared = true;
}

statement_prepare_request::~statement_prepare_request() {
    if (!parsed_) statement_->prepared = false;
}

error_code statement_prepare_request::encode(protocol::write_buffer& out) const {
    if (auto ec = statement_->encode_prepare(out)) return ec;
    protocol::encode_sync(out);
    return {};
}

error_code statement_prepare_request::on_answer(const protocol::message_view& m, result_builder&) {
    if (m.type == t::parse_complete) parsed_ = true;
    return {};
}

void statement_prepare_request::answer(error_code, const connection_impl&, call) {
    // Internal: never called.
}

namespace {

// The messages of a COMMIT statement's Close and Parse, as `how` needs them. Preparing, Close
// first: a name may be prepared already (a Parse whose answer was lost, a session a pooler
// handed over); closing a name the server lacks is no error.
void encode_commit_parse(protocol::write_buffer& out, commit_statements how, std::string_view name,
                         std::string_view sql) {
    if (how == commit_statements::prepare)
        protocol::encode_close(out, protocol::target_kind::statement, name);
    if (how != commit_statements::prepared) protocol::encode_parse(out, name, sql, {});
}

void push_commit_parse_steps(request& r, commit_statements how) {
    if (how == commit_statements::prepare) r.push_step(protocol::request_step::close);
    if (how != commit_statements::prepared) r.push_step(protocol::request_step::parse);
}

} // namespace

commit_part::commit_part(commit_statements how, std::shared_ptr<commit_answer> answer)
    : answer_(std::move(answer))
    , how_(how) {
    // Once written, it may have run: never sent a second time (for the id query: it would run
    // after the COMMIT).
    partly_done = true;
    ends_transaction = true;
}

void commit_part::note(const protocol::message_view& m) noexcept {
    if (m.type == t::parse_complete) parsed_ = true;
}

bool commit_part::on_failure(connection_impl& c, std::span<const std::byte>,
                             protocol::write_buffer&) {
    // Its Parse failed or never ran, or the server lost the statement: the next COMMIT
    // prepares both statements again.
    if (how_ == commit_statements::prepare && !parsed_) c.commit_statements_prepared = false;
    return false;
}

void commit_part::on_dropped(connection_impl& c) {
    // The statement it was to prepare was not: the next COMMIT prepares both.
    if (how_ == commit_statements::prepare) c.commit_statements_prepared = false;
}

commit_xid_request::commit_xid_request(commit_statements how, column_list xid_columns,
                                       std::shared_ptr<commit_answer> answer)
    : commit_part(how, std::move(answer))
    , xid_columns_(how == commit_statements::prepared ? std::move(xid_columns) : nullptr) {
    timeout = std::chrono::milliseconds(0); // the COMMIT behind it has the caller's
    using step = protocol::request_step;
    push_commit_parse_steps(*this, how_);
    push_step(step::bind);
    if (!xid_columns_) push_step(step::describe_portal);
    push_step(step::execute);
    push_step(step::sync);
}

void commit_xid_request::encode(protocol::write_buffer& out) const {
    static constexpr protocol::format_code binary[] = {protocol::format_code::binary};
    // The id as an int8, which resolving an in-doubt COMMIT takes (ids stay below 2^63).
    static constexpr std::string_view xid_sql =
        "SELECT pg_current_xact_id_if_assigned()::text::int8";
    const std::string_view name = how_ == commit_statements::unnamed ? "" : commit_xid_name;
    encode_commit_parse(out, how_, name, xid_sql);
    protocol::bind_writer(out, "", name, binary, 0).finish(binary);
    if (!xid_columns_) protocol::encode_describe(out, protocol::target_kind::portal, "");
    protocol::encode_execute(out, "", 0);
    protocol::encode_sync(out);
}

error_code commit_xid_request::on_answer(const protocol::message_view& m, result_builder& rows) {
    note(m);
    // The columns come from its Describe, or (prepared) are the ones learnt before.
    if (auto ec = build_result(m, rows, xid_columns_)) return ec;
    if (m.type == t::row_description && how_ != commit_statements::unnamed)
        answer_->xid_columns = rows.columns();
    if (m.type != t::command_complete) return {};
    const result r = rows.finish();
    answer_->xid_answered = true;
    if (r.size() == 1) answer_->xid = r[0].get<std::optional<std::int64_t>>(0);
    return {};
}

void commit_xid_request::answer(error_code ec, const connection_impl&, call) {
    // Nobody waits for it: its caller is the COMMIT's, answered with what it left in answer_.
    answer_->xid_refused = ec.category() == sqlstate_category() && !is_fatal(ec);
}

commit_request::commit_request(commit_statements how, std::shared_ptr<commit_answer> answer,
                               commit_handler h)
    : commit_part(how, std::move(answer))
    , handler_(std::move(h)) {
    push_commit_parse_steps(*this, how_);
    push_step(protocol::request_step::bind);
    push_step(protocol::request_step::execute);
    push_step(protocol::request_step::sync);
}

void commit_request::encode(protocol::write_buffer& out) const {
    static constexpr protocol::format_code binary[] = {protocol::format_code::binary};
    const std::string_view name = how_ == commit_statements::unnamed ? "" : commit_name;
    encode_commit_parse(out, how_, name, "COMMIT");
    protocol::bind_writer(out, "", name, binary, 0).finish(binary);
    protocol::encode_execute(out, "", 0);
    protocol::encode_sync(out);
}

error_code commit_request::on_answer(const protocol::message_view& m, result_builder& rows) {
    note(m);
    if (auto ec = build_result(m, rows, nullptr)) return ec;
    if (m.type == t::command_complete)
        answer_->rolled_back = rows.finish().command_tag() == "ROLLBACK";
    return {};
}

void commit_request::on_dropped(connection_impl& c) {
    answer_->unsent = true;
    commit_part::on_dropped(c);
}

void commit_request::answer(error_code ec, const connection_impl& c, call how) {
    c.deliver(handler_, how, ec, *answer_);
}

} // namespace pgasio::detail
