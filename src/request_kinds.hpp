// The kinds of request the query operations make: each is a consumer of its answers (what they
// build, and how its caller is answered), for the engine's request interface (request.hpp).
#pragma once

#include "observe.hpp"
#include "request.hpp"
#include "statement_cache.hpp"

#include <pgasio/notification.hpp>
#include <pgasio/query_exec_mode.hpp>
#include <pgasio/result.hpp>
#include <pgasio/statement.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>

#include <deque>
#include <optional>
#include <vector>

namespace pgasio::detail {

using result_handler = asio::any_completion_handler<void(error_code, result)>;
using results_handler = asio::any_completion_handler<void(error_code, std::vector<result>)>;
using statement_handler = asio::any_completion_handler<void(error_code, statement)>;
using void_handler = asio::any_completion_handler<void(error_code)>;

/// A request of kind R for the caller of `handler` (made with `args`), with the caller's
/// settings and cancellation.
template <class R, class Handler, class... Args>
std::unique_ptr<R> make_request(const op_settings& op, Handler&& handler, Args&&... args) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto r = std::make_unique<R>(std::forward<Args>(args)..., std::forward<Handler>(handler));
    r->slot = slot;
    r->diag = op.diag;
    r->timeout = op.timeout;
    r->section = op.section;
    r->on_connection_executor = op.on_connection_executor;
    r->unobserved = op.unobserved;
    return r;
}

/// What every kind that builds results does with an answer `m`: the columns (from a
/// RowDescription, or from the prepared statement whose BindComplete came) and the command tag.
/// `statement_cols` are the columns of the prepared statement being executed (null: a
/// RowDescription says). A kind that wants no rows calls it too: the engine builds the rows of
/// whatever statement runs, and needs their columns to check them.
error_code build_result(const protocol::message_view& m, result_builder& rows,
                        const column_list& statement_cols);

/// An extended query whose rows make one result (connection::async_query and its kin).
class result_request : public request {
public:
    explicit result_request(result_handler h)
        : handler_(std::move(h)) {}
    result_request() = default;

    /// The columns of the prepared statement it executes: its rows follow BindComplete
    /// undescribed (null: a RowDescription will say).
    column_list statement_columns;

    // A plain query sent through the statement cache (see connection::queue_query).

    /// How it is sent (a plain query: with_exec_mode, or the connection's default).
    query_exec_mode mode = query_exec_mode::cache_statement;
    /// Every column of its rows is asked for in text (pgasio::with_text_results).
    bool text_results = false;
    /// The cache's entry for its statement (null: not cached); what its answers teach goes
    /// there: the statement exists on the server, its description.
    std::shared_ptr<cached_statement> cached;
    /// The statements the cache evicted whose Close it carries: pending again if it is dropped
    /// before it was sent.
    std::vector<std::string> carried_closes;
    /// It prepares the cached statement (Close and Parse of its name), and ParseComplete came.
    bool sends_parse = false;
    bool parse_done = false;
    /// It runs again already (prepared afresh after the server lost its statement): never twice.
    bool rerun = false;
    /// Where its Bind is among its messages: a re-run sends the same one.
    std::size_t bind_at = 0;
    std::size_t bind_size = 0;
    /// The number of result format codes that end its Bind.
    std::size_t result_format_count = 1;
    /// The loaded user-defined types its parameters are sent as (used_types_scope).
    std::vector<protocol::oid> user_parameter_types;

    /// Its observation, when the connection has an observer: from its start to its answer.
    std::optional<observation> observed;

    error_code on_answer(const protocol::message_view& m, result_builder& rows) override;
    void on_success(result_builder& rows) override;
    void answer(error_code ec, const connection_impl& c, call how) override;
    bool on_failure(connection_impl& c, std::span<const std::byte> sent,
                    protocol::write_buffer& again) override;
    void on_dropped(connection_impl& c) override;
    std::shared_ptr<cached_statement> prepares() const override;
    bool binds_prepared(const cached_statement& s) const noexcept override;

private:
    result_handler handler_;
    result rows_;
    bool completed_ = false; // simple_protocol: its statement completed
};

/// What a row_stream and its request share (on the connection's executor only).
struct stream_state {
    std::weak_ptr<connection_impl> conn;
    asio::any_io_executor executor;
    std::uint64_t request_id = 0;
    std::deque<result> parts; ///< handed out by the engine, not yet taken by async_next
    result end;               ///< the part after the last: no rows, the command tag
    bool finished = false;    ///< the request is over: `ec` says how (parts may remain)
    error_code ec;
    diagnostics diag; ///< the request's diagnostics
    std::optional<result_handler> waiter;
    diagnostics* waiter_diag = nullptr;
    /// Released with the stream and its request: a pool's count of the connection's load.
    std::shared_ptr<void> pool_claim;

    /// Gives the waiting reader (if any) its next part, or the end, or its error.
    void hand_out(const connection_impl& c, call how);
};

/// An extended query whose rows go to a row_stream in parts of row_stream::part_bytes, the
/// reads pausing while two parts wait for the reader.
class stream_request : public result_request {
public:
    explicit stream_request(std::shared_ptr<stream_state> st);

    void on_rows(connection_impl& c, result_builder& rows, bool batch_end) override;
    void on_success(result_builder& rows) override;
    void answer(error_code ec, const connection_impl& c, call how) override;
    void abandon(connection_impl& c) override;
    void on_identified() override;

private:
    std::shared_ptr<stream_state> stream_;
    std::uint64_t rows_ = 0; ///< rows handed to the stream so far
};

/// A simple query: one result per statement of its text.
class results_request : public request {
public:
    explicit results_request(results_handler h)
        : handler_(std::move(h)) {}

    error_code on_answer(const protocol::message_view& m, result_builder& rows) override;
    void answer(error_code ec, const connection_impl& c, call how) override;
    void restart() override;

    /// Its observation, when the connection has an observer: from its start to its answer.
    std::optional<observation> observed;

private:
    results_handler handler_;
    std::vector<result> results_;
};

/// Parse and Describe of a named statement: a statement handle, no rows.
class prepare_request : public request {
public:
    prepare_request(std::shared_ptr<statement_data> st, statement_handler h)
        : statement_(std::move(st))
        , handler_(std::move(h)) {}

    error_code on_answer(const protocol::message_view& m, result_builder& rows) override;
    void answer(error_code ec, const connection_impl& c, call how) override;
    void restart() override;

    /// Its observation, when the connection has an observer: from its start to its answer.
    std::optional<observation> observed;

private:
    std::shared_ptr<statement_data> statement_;
    statement_handler handler_;
};

/// A command whose caller only wants to know that it succeeded (Close, LISTEN, ...); without a
/// handler, one of the engine's own (internal).
class command_request : public request {
public:
    explicit command_request(void_handler h = {})
        : handler_(std::move(h)) {}

    error_code on_answer(const protocol::message_view& m, result_builder& rows) override;
    void answer(error_code ec, const connection_impl& c, call how) override;

private:
    void_handler handler_;
};

/// A cached statement prepared by the engine itself (Close, Parse and Sync of its name), in
/// the place of a request that was to prepare it and was dropped before it was sent, for the
/// requests behind that only bind it (connection_impl::prepare_in_place_of). Internal: nobody
/// hears of its failure. So unless its Parse completes, the cache no longer takes the
/// statement as prepared once it is gone, whatever became of it (refused in a failed
/// transaction block, dropped with a failed BEGIN's section, its session lost): the next use
/// prepares the statement.
class statement_prepare_request : public request {
public:
    /// Takes `s` as prepared from now on.
    explicit statement_prepare_request(std::shared_ptr<cached_statement> s);
    ~statement_prepare_request() override;

    /// Appends its messages to `out`: an error if the statement's text cannot be encoded.
    error_code encode(protocol::write_buffer& out) const;

    error_code on_answer(const protocol::message_view& m, result_builder& rows) override;
    void answer(error_code ec, const connection_impl& c, call how) override;

private:
    std::shared_ptr<cached_statement> statement_;
    bool parsed_ = false;
};

/// What a transaction's COMMIT requests learnt, also when the connection was lost before their
/// end.
struct commit_answer {
    /// The transaction id arrived (before COMMIT ran on the server).
    bool xid_answered = false;
    /// The transaction id; none when the transaction wrote nothing (it had no id to commit).
    std::optional<std::int64_t> xid;
    /// The server refused the id query (not a FATAL error): the transaction had failed.
    bool xid_refused = false;
    /// The server answered COMMIT with ROLLBACK: the transaction had failed.
    bool rolled_back = false;
    /// Dropped before it was written (its timeout, a cancellation): the COMMIT never ran.
    bool unsent = false;
    /// The id query's columns, from the Describe of a request that prepared it (null
    /// otherwise): later COMMITs of the session send no Describe.
    column_list xid_columns;
};
using commit_handler = asio::any_completion_handler<void(error_code, commit_answer)>;

/// How a transaction's COMMIT requests name their statements.
enum class commit_statements {
    /// Unnamed: each COMMIT sends Parse for both statements (the server parses and plans them
    /// every time, but keeps nothing: the way for poolers that keep no prepared statements).
    unnamed,
    /// Named, prepared by these requests: Close and Parse of each name first.
    prepare,
    /// Named, already prepared in the session: Bind and Execute only.
    prepared,
};

/// The names of the two statements of a transaction's COMMIT, when prepared per session (see
/// commit_statements): fixed, like the statement cache's, so a name never means another text.
inline constexpr const char* commit_xid_name = "pgasio_commit_xid_1";
inline constexpr const char* commit_name = "pgasio_commit_1";

/// What the two requests of a COMMIT share: the statement they prepare once per session, which
/// the next COMMIT prepares again when their Parse failed or never went out, and the
/// commit_answer they fill in.
class commit_part : public request {
public:
    bool on_failure(connection_impl& c, std::span<const std::byte> sent,
                    protocol::write_buffer& again) override;
    void on_dropped(connection_impl& c) override;

protected:
    commit_part(commit_statements how, std::shared_ptr<commit_answer> answer);
    /// Notes a ParseComplete among its answers.
    void note(const protocol::message_view& m) noexcept;

    std::shared_ptr<commit_answer> answer_;
    commit_statements how_;

private:
    bool parsed_ = false;
};

/// The first of the two requests of a read-write transaction's COMMIT, written with the second
/// (commit_request) in one write: `SELECT pg_current_xact_id_if_assigned()` and a Sync of its
/// own. The Sync makes the server send the transaction id before it runs the COMMIT, so the id
/// is known whenever the COMMIT may have run, even when the connection is lost before its
/// answer: a second connection can then ask pg_xact_status about it. And should the id query
/// fail (a failed transaction refuses it), the Sync still lets the COMMIT run, which then rolls
/// back: the COMMIT always ends the transaction block (see request::ends_transaction). No
/// round trip is added: both requests go out and come back together.
///
/// The statement is the same at every COMMIT, so where named statements may be kept
/// (query_exec_mode::cache_statement) it is prepared once per session and then only bound and
/// executed: parsing and planning it at every COMMIT cost the server more than the rest of a
/// small transaction's overhead. Its answer goes to `answer`, which the COMMIT request reports.
class commit_xid_request : public commit_part {
public:
    /// `xid_columns`: the id query's columns when known (prepared only: no Describe is sent).
    commit_xid_request(commit_statements how, column_list xid_columns,
                       std::shared_ptr<commit_answer> answer);

    /// Appends its messages to `out`.
    void encode(protocol::write_buffer& out) const;

    error_code on_answer(const protocol::message_view& m, result_builder& rows) override;
    void answer(error_code ec, const connection_impl& c, call how) override;

private:
    column_list xid_columns_; // known: no Describe
};

/// The COMMIT of a pgasio::transaction (after its commit_xid_request, for a read-write one):
/// COMMIT and Sync, prepared once per session like the id query. Its handler gets `answer`,
/// with what the id query left there.
class commit_request : public commit_part {
public:
    commit_request(commit_statements how, std::shared_ptr<commit_answer> answer, commit_handler h);

    /// Appends its messages to `out`.
    void encode(protocol::write_buffer& out) const;

    error_code on_answer(const protocol::message_view& m, result_builder& rows) override;
    void answer(error_code ec, const connection_impl& c, call how) override;
    void on_dropped(connection_impl& c) override;

private:
    commit_handler handler_;
};

} // namespace pgasio::detail
