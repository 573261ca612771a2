// Transactions: BEGIN with its modes (sent with the first statement), COMMIT and the outcome of
// one whose answer was lost, ROLLBACK, savepoints, and the pauses between async_transaction's
// runs.
#include "connection_impl.hpp"
#include "observe.hpp"
#include "request_kinds.hpp"
#include "spawn.hpp"

#include <pgasio/sql.hpp>
#include <pgasio/transaction.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <optional>
#include <random>
#include <tuple>
#include <vector>

namespace pgasio {
namespace detail {

/// What a transaction and its savepoints share: the savepoints still active, oldest first.
struct transaction_state {
    struct entry {
        std::uint64_t id;
        std::string name;
    };
    std::vector<entry> savepoints;
    std::uint64_t savepoint_counter = 0;
    bool ended = false;
    /// Begun READ ONLY: it cannot write (but to temporary tables, which a lost connection takes
    /// along), so its COMMIT needs no transaction id to be resolved.
    bool read_only = false;
    /// Its report to the observer of its connection, from BEGIN on (empty: not observed, or
    /// reported already).
    std::optional<observation> observed;
    /// Its id, as the COMMIT request learnt it (see transaction::id).
    std::optional<std::uint64_t> xid;

    /// Reports how it ended, once.
    void report(transaction_outcome outcome, error_code ec) noexcept {
        if (!observed) return;
        operation_result r;
        r.ec = ec;
        r.outcome = outcome;
        observed->finish(r);
        observed.reset();
    }

    std::vector<entry>::iterator find(std::uint64_t id) {
        return std::find_if(savepoints.begin(), savepoints.end(),
                            [id](const entry& e) { return e.id == id; });
    }
};

std::chrono::milliseconds retry_delay(const retry_options& options, unsigned retry) {
    // Doubling from initial_backoff, capped (the shift bounded: no overflow on many retries).
    auto cap = std::max(options.max_backoff, std::chrono::milliseconds(0));
    auto base = std::max(options.initial_backoff, std::chrono::milliseconds(0));
    for (unsigned i = 1; i < retry && base < cap; ++i)
        base *= 2;
    base = std::min(base, cap);
    thread_local std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<std::int64_t> jitter(base.count() / 2, base.count());
    return std::chrono::milliseconds(jitter(rng));
}

} // namespace detail

namespace {

namespace asio = boost::asio;
using detail::connection_impl;
using detail::spawn;

// The caller stopped waiting for a request (its timeout, a cancellation): once sent, the request
// may still run on the server, or have run.
bool given_up(error_code ec) noexcept {
    return ec == client_errc::query_timeout || ec == asio::error::operation_aborted;
}

error_code fail(diagnostics* diag, error_code ec, std::string message) {
    if (diag) {
        *diag = diagnostics{};
        diag->message = std::move(message);
    }
    return ec;
}

// A COMMIT whose transaction was rolled back, saying why in `message`; what the diagnostics said
// before (the server's or the connection's error) becomes their DETAIL.
error_code rolled_back(diagnostics* diag, std::string message) {
    std::string why = diag ? diag->message : std::string();
    fail(diag, client_errc::transaction_rolled_back, std::move(message));
    if (diag) diag->detail = std::move(why);
    return client_errc::transaction_rolled_back;
}

std::string begin_statement(const transaction_options& o) {
    std::string sql = "BEGIN";
    const char* sep = " ";
    auto mode = [&](const char* m) {
        sql.append(sep).append(m);
        sep = ", ";
    };
    switch (o.isolation) {
    case isolation_level::server_default:
        break;
    case isolation_level::read_committed:
        mode("ISOLATION LEVEL READ COMMITTED");
        break;
    case isolation_level::repeatable_read:
        mode("ISOLATION LEVEL REPEATABLE READ");
        break;
    case isolation_level::serializable:
        mode("ISOLATION LEVEL SERIALIZABLE");
        break;
    }
    switch (o.access) {
    case access_mode::server_default:
        break;
    case access_mode::read_write:
        mode("READ WRITE");
        break;
    case access_mode::read_only:
        mode("READ ONLY");
        break;
    }
    if (o.deferrable) mode("DEFERRABLE");
    return sql;
}

// The server's word on transaction `xid`, whose COMMIT's answer was lost with its connection,
// from a second connection to the same server (`cfg`). Polls while the transaction is still in
// progress (its backend has not yet seen the connection go), for up to connect_timeout (10 s
// without one).
asio::awaitable<error_code> resolve_commit(asio::any_io_executor ex,
                                           std::shared_ptr<const config> cfg, std::int64_t xid,
                                           error_code lost, diagnostics* diag) {
    const auto xid_text = std::to_string(xid);
    const auto budget = cfg && cfg->connect_timeout.count() > 0
                            ? std::chrono::milliseconds(cfg->connect_timeout)
                            : std::chrono::milliseconds(std::chrono::seconds(10));
    const auto give_up = std::chrono::steady_clock::now() + budget;
    std::string last = "no configuration to reconnect with";
    while (cfg) {
        connection second(ex);
        diagnostics d;
        auto [ec] = co_await second.async_connect(*cfg, d, asio::as_tuple(asio::use_awaitable));
        if (!ec) {
            auto [qec, rows] = co_await second.async_query(
                "SELECT pg_xact_status($1::text::xid8)::text", xid_text,
                diagnostics_into(d, asio::as_tuple(asio::use_awaitable)));
            co_await second.async_close(asio::as_tuple(asio::use_awaitable));
            ec = qec;
            if (!ec && rows.size() == 1) {
                const auto status = rows[0].try_get<std::string_view>(0).value_or("");
                if (status == "committed") co_return error_code{};
                if (status == "aborted")
                    co_return fail(diag, client_errc::transaction_rolled_back,
                                   "the connection was lost during COMMIT (" + lost.message() +
                                       "), before the COMMIT took effect: the server rolled "
                                       "transaction " +
                                       xid_text + " back");
                last = status.empty() ? "the server no longer knows the transaction id"
                                      : "the transaction is still " + std::string(status);
            }
        }
        if (ec) last = format_error(ec, d);
        if (std::chrono::steady_clock::now() >= give_up) break;
        asio::steady_timer pause(ex, std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (diag) {
        *diag = diagnostics{};
        diag->message = "the connection was lost during COMMIT (" + lost.message() +
                        "), and whether transaction " + xid_text +
                        " committed could not be learnt: " + last;
        diag->detail = "transaction id " + xid_text;
        diag->hint = "SELECT pg_xact_status('" + xid_text +
                     "') on the server says committed, aborted or in progress; do not run the "
                     "transaction again before knowing";
    }
    co_return client_errc::commit_in_doubt;
}

// Sends the transaction's COMMIT requests (see detail::commit_xid_request) in its section, their
// statements prepared once per session where named statements may be kept; `handler` gets the
// answer, on the connection's executor (so it carries no cancellation slot: `slot`, the caller's,
// is connected to the COMMIT). `ask_xid`: the transaction id is asked first (a read-write
// transaction).
void send_commit(const std::shared_ptr<connection_impl>& impl, const detail::op_settings& op,
                 bool ask_xid, asio::cancellation_slot slot, detail::commit_handler handler) {
    using detail::commit_statements;
    // Named statements only where the cache's may be kept (its mode, a capacity that is not 0),
    // and only for requests written now, in order with what the flag has seen sent: the
    // transaction's section is the active one (a transaction that outlived its session's end
    // is refused, and must not mark the new session's statements prepared).
    using begin_state = detail::connection_impl::section_begin::state;
    const bool named = impl->exec_mode == query_exec_mode::cache_statement &&
                       impl->statements.capacity() != 0 && impl->writes_now(op.section) &&
                       impl->begin_of(op.section).at != begin_state::none;
    // A read-only transaction's COMMIT does not prepare them: it sends no id query.
    auto how = commit_statements::unnamed;
    if (named && impl->commit_statements_prepared && impl->commit_preparing.expired())
        how = commit_statements::prepared;
    else if (named && ask_xid)
        how = commit_statements::prepare;
    auto answer = std::make_shared<detail::commit_answer>();
    if (ask_xid) {
        auto x =
            std::make_unique<detail::commit_xid_request>(how, impl->commit_xid_columns, answer);
        x->section = op.section;
        x->unobserved = op.unobserved;
        auto encode = [&x = *x](protocol::write_buffer& out, std::string&) -> error_code {
            x.encode(out);
            return {};
        };
        impl->submit(std::move(x), encode);
    }
    if (how == commit_statements::prepare) impl->commit_preparing = answer;
    auto r = detail::make_request<detail::commit_request>(op, std::move(handler), how,
                                                          std::move(answer));
    r->slot = slot;
    auto encode = [&r = *r](protocol::write_buffer& out, std::string&) -> error_code {
        r.encode(out);
        return {};
    };
    impl->submit(std::move(r), encode);
    // Sent (or failed at once, the connection closed: a new session starts afresh).
    if (how == commit_statements::prepare) {
        impl->commit_statements_prepared = true;
        impl->commit_xid_columns = nullptr;
    }
}

// Sends `sql`, one transaction control statement (ROLLBACK, SAVEPOINT...), as a simple Query in
// the section of `op`: the server parses and runs it, and keeps nothing (no statement, no
// portal), which costs it less than Parse, Bind and Execute of the same text. Its answer is one
// CommandComplete, so it need not run alone. `ends_failed_block`: it runs in a failed
// transaction block (ROLLBACK, ROLLBACK TO SAVEPOINT; see request::ends_failed_block).
auto send_control(const std::shared_ptr<connection_impl>& impl, const detail::op_settings& op,
                  std::string sql, bool ends_failed_block = false) {
    auto token = asio::as_tuple(asio::use_awaitable);
    return asio::async_initiate<decltype(token), void(error_code)>(
        [impl, op, ends_failed_block](auto handler, const std::string& text) {
            auto r = detail::make_request<detail::command_request>(
                op, detail::void_handler(std::move(handler)));
            r->ends_failed_block = ends_failed_block;
            r->set_script({protocol::request_step::simple_query});
            auto encode = [&](protocol::write_buffer& out, std::string& why) -> error_code {
                if (auto ec = protocol::encode_query(out, text)) {
                    why = "the statement cannot be sent: " + ec.message();
                    return ec;
                }
                return {};
            };
            impl->submit(std::move(r), encode);
        },
        token, std::move(sql));
}

// How a COMMIT answered `ec` and `answer` (`ask_xid`: it asked for the transaction id) ended,
// when that is known without asking the server again; empty when the outcome must be learnt on
// a second connection (resolve_commit).
std::optional<error_code> commit_result(diagnostics* diag, bool ask_xid, error_code ec,
                                        const detail::commit_answer& answer) {
    if (!ec && !answer.rolled_back) return error_code{};
    // Never written, yet answered with a server error: its transaction's BEGIN's, refused by the
    // server (the transaction never began).
    if (answer.unsent && ec.category() == sqlstate_category() && !is_fatal(ec)) return ec;
    if (answer.xid_refused) {
        // The server refused the id query: the transaction had failed, and its COMMIT (run or
        // not, answered or not) could only roll it back.
        return rolled_back(diag, "the transaction had failed before COMMIT, and was rolled back");
    }
    if (!ec)
        return fail(diag, client_errc::transaction_rolled_back,
                    "COMMIT rolled the transaction back: it had failed before");
    // A server error on a live session: COMMIT itself failed, and was rolled back. A FATAL error
    // (57P01 admin_shutdown, 57P02 crash_shutdown...) ended the session instead, and may come
    // after the COMMIT ran: a backend terminated once the commit record is written, still
    // waiting to read the Sync behind the COMMIT, sends its buffered CommandComplete and then
    // the FATAL error. Such an error says nothing of the outcome once the COMMIT may have run:
    // it is learnt as for a lost connection.
    if (ec.category() == sqlstate_category() && !is_fatal(ec)) {
        if (answer.xid_answered || !ask_xid) return ec;
        // The transaction had failed: even reading its id was refused (25P02).
        return rolled_back(diag, "the transaction had failed before COMMIT, and was rolled back");
    }
    // The connection was lost, or the caller gave up on the answer. Never written: nothing
    // committed (the server rolls back a connection's open transaction).
    if (ec == client_errc::not_connected || ec == client_errc::lease_ended) return ec;
    if (answer.unsent) {
        // Dropped before it was written: the lease ends with the transaction still open, and
        // the engine rolls it back.
        return rolled_back(diag, "COMMIT was not sent (" + ec.message() +
                                     "): the transaction was rolled back");
    }
    if (!ask_xid) return ec; // read only: nothing written, nothing lost
    // The server ended the session before the transaction id, which it sends before it runs
    // the COMMIT (the Sync between them): the COMMIT never ran.
    if (ec.category() == sqlstate_category() && !answer.xid_answered) {
        return rolled_back(diag, "the server ended the session before COMMIT ran (" + ec.message() +
                                     "): the transaction was rolled back");
    }
    if (!answer.xid_answered) {
        // Given up by its caller, the COMMIT still runs on a live connection; lost with its
        // connection, it may have run. Without the id, nobody can ask which.
        if (given_up(ec))
            return fail(diag, client_errc::commit_in_doubt,
                        std::string(ec == client_errc::query_timeout ? "COMMIT timed out"
                                                                     : "COMMIT was cancelled") +
                            " before the transaction id arrived: the server may still commit "
                            "it, and whether it did cannot be learnt");
        return fail(diag, client_errc::commit_in_doubt,
                    "the connection was lost during COMMIT (" + ec.message() +
                        ") before the transaction id arrived: whether it committed cannot be "
                        "learnt");
    }
    if (!answer.xid) return ec; // it wrote nothing: nothing committed, nothing lost
    return std::nullopt;
}

// How a transaction whose COMMIT was answered `ec` (after resolving one in doubt) ended.
transaction_outcome commit_outcome(error_code ec) noexcept {
    if (!ec) return transaction_outcome::committed;
    if (ec == client_errc::commit_in_doubt) return transaction_outcome::in_doubt;
    // Refused by the server, or never written (the server rolls back what the lost connection
    // left open).
    if (ec == client_errc::transaction_rolled_back || ec.category() == sqlstate_category() ||
        ec == client_errc::not_connected || ec == client_errc::lease_ended)
        return transaction_outcome::rolled_back;
    return transaction_outcome::failed;
}

} // namespace

bool savepoint::active() const noexcept {
    return tx_ && !tx_->ended && tx_->find(id_) != tx_->savepoints.end();
}

transaction& transaction::operator=(transaction&& other) noexcept {
    if (this != &other) {
        finish();
        exclusive_lease::operator=(std::move(other));
        // Only the base part of `other` was moved from above.
        state_ = std::move(other.state_); // NOLINT(bugprone-use-after-move)
    }
    return *this;
}

std::optional<std::uint64_t> transaction::id() const noexcept {
    return state_ ? state_->xid : std::nullopt;
}

transaction::~transaction() {
    finish();
}

bool transaction::ends_unsent(bool commit, void_handler& handler, diagnostics* diag) {
    using state = detail::connection_impl::section_begin::state;
    const auto& begin = impl_->begin_of(section_);
    if (begin.at != state::deferred && begin.at != state::failed) return false;
    // Nothing of the transaction reached the server, or its BEGIN failed: there is nothing to
    // commit or roll back, and nothing is sent. COMMIT fails with BEGIN's error (the transaction
    // never began); ROLLBACK succeeds.
    error_code ec;
    if (begin.at == state::failed) {
        state_->report(transaction_outcome::failed, begin.ec);
        if (commit) {
            ec = begin.ec;
            if (diag) {
                *diag = begin.diag;
                diag->message =
                    "the transaction never began: its BEGIN failed: " + begin.diag.message;
            }
        }
    } else {
        state_->report(commit ? transaction_outcome::committed : transaction_outcome::rolled_back,
                       {});
    }
    auto impl = impl_;
    finish();
    impl->deliver(handler, detail::call::posted, ec);
    return true;
}

void transaction::finish() noexcept {
    // Dropped before COMMIT or ROLLBACK: the lease rolls it back (when its BEGIN went out).
    if (state_ && !state_->ended) {
        if (!valid()) {
            state_->report(transaction_outcome::rolled_back, {});
        } else {
            // Whether its BEGIN failed is the engine's state, read on the connection's executor:
            // a statement given up, still running there, may be bringing the BEGIN's answer.
            // Posted, it goes ahead of the release below, whose end of the section it must
            // precede.
            detail::on_executor_of(*impl_, [impl = impl_, section = section_, state = state_] {
                const auto& begin = impl->begin_of(section);
                if (begin.at == detail::connection_impl::section_begin::state::failed)
                    state->report(transaction_outcome::failed, begin.ec);
                else
                    state->report(transaction_outcome::rolled_back, {});
            });
        }
    }
    if (state_) state_->ended = true;
    // The lease rolls back a transaction block still open before anyone else's request.
    release();
}

void transaction::start_begin(connection& conn, begin_handler handler,
                              const detail::op_settings& op, const transaction_options& options) {
    // No round trip of its own: once the section is granted, its BEGIN waits for the
    // transaction's first request, and goes with it (connection_impl::defer_begin). A plain
    // completion rather than a coroutine: beginning is a small part of a small transaction.
    // The grant runs on the connection's executor, where the BEGIN is deferred: it carries no
    // slot of the caller's, which only the caller's thread may touch (the begin handler's
    // delivery clears it where that runs).
    auto impl = conn.impl_;
    auto slot = asio::get_associated_cancellation_slot(handler);
    impl->request_section(slot, [&conn, impl, op, h = std::move(handler),
                                 sql = begin_statement(options),
                                 read_only = options.access == access_mode::read_only](
                                    error_code ec, std::uint64_t section) mutable {
        if (ec) {
            fail(op.diag, ec, "the transaction could not begin: " + ec.message());
            return impl->deliver(h, detail::call::direct, ec, transaction{});
        }
        auto state = std::make_shared<detail::transaction_state>();
        state->read_only = read_only;
        if (detail::observed(impl->session_config, op.unobserved))
            state->observed.emplace(impl->session_config, operation_kind::transaction, nullptr);
        impl->defer_begin(section, std::move(sql));
        transaction tx(exclusive_lease(conn, impl, section), std::move(state));
        impl->deliver(h, detail::call::direct, error_code{}, std::move(tx));
    });
}

void transaction::start_commit(transaction& tx, void_handler handler,
                               const detail::op_settings& op) {
    if (!tx.valid()) {
        // Nothing to run: answered through the handler's executor, never inline.
        return detail::deliver_detached(
            handler, fail(op.diag, client_errc::lease_ended,
                          "the transaction has ended (committed or rolled back)"));
    }
    if (tx.ends_unsent(true, handler, op.diag)) return;
    auto impl = tx.impl_;
    detail::op_settings in_tx = op;
    in_tx.section = tx.section_;
    const bool ask_xid = !tx.state_->read_only;
    // A plain completion rather than a coroutine: committing is a good part of a small
    // transaction. Only a COMMIT whose answer was lost runs one, to learn its outcome.
    // Its completion runs on the connection's executor: it carries no slot of the caller's,
    // which only the caller's thread may touch (the handler's delivery clears it where that
    // runs); the COMMIT's request is given the slot itself.
    auto slot = asio::get_associated_cancellation_slot(handler);
    send_commit(impl, in_tx, ask_xid, slot,
                [&tx, impl, diag = op.diag, ask_xid,
                 h = std::move(handler)](error_code ec, detail::commit_answer answer) mutable {
                    // Reported once the outcome is known (finish() must not report it).
                    auto observed = std::exchange(tx.state_->observed, std::nullopt);
                    if (answer.xid) tx.state_->xid = static_cast<std::uint64_t>(*answer.xid);
                    // Later COMMITs of the session bind the prepared id query without
                    // asking for its description again.
                    if (answer.xid_columns && impl->commit_statements_prepared)
                        impl->commit_xid_columns = std::move(answer.xid_columns);
                    // Whatever happened, the transaction is over: the connection serves the
                    // others (after rolling back a block the COMMIT did not end). Its
                    // release is posted unless the section ended as the COMMIT was queued
                    // (on the executor), which leaves nothing to release.
                    const auto how = impl->on_executor() && impl->section_ended(tx.section_)
                                         ? detail::call::direct
                                         : detail::call::posted;
                    tx.finish();
                    auto done = [impl, how, observed = std::move(observed),
                                 h = std::move(h)](error_code outcome) mutable {
                        if (observed) {
                            operation_result r;
                            r.ec = outcome;
                            r.outcome = commit_outcome(outcome);
                            observed->finish(r);
                        }
                        // Posted when finish() posted the section's release, which
                        // then goes first, so that what the caller sends next finds the
                        // connection shared again (its statement cache usable), not parked
                        // behind the ending section. (Never inside the initiation: this
                        // runs as the COMMIT's answer comes, or once its outcome is known.)
                        impl->deliver(h, how, outcome);
                    };
                    if (const auto known = commit_result(diag, ask_xid, ec, answer))
                        return done(*known);
                    // The caller's cancellation was for the COMMIT; learning its outcome is
                    // bounded (and not cancelled with it).
                    detail::spawn_on(
                        impl->executor,
                        resolve_commit(impl->executor, impl->session_config, *answer.xid, ec, diag),
                        void_handler(std::move(done)), diag, [] {});
                });
    // The COMMIT ends the transaction block whatever its outcome: the section ends now, and the
    // connection's next caller is written right behind it instead of a round trip later
    // (connection_impl::maybe_end_section). The transaction's own later operations are refused.
    // On the executor at once, so that the next caller's first request and the COMMIT can
    // share a write; from elsewhere, posted after the COMMIT's requests.
    if (impl->on_executor())
        impl->release_section(tx.section_);
    else
        connection::release_section(impl, tx.section_);
}

void transaction::start_rollback(transaction& tx, void_handler handler,
                                 const detail::op_settings& op) {
    if (!tx.valid()) {
        return detail::deliver_detached(handler, error_code{});
    }
    if (tx.ends_unsent(false, handler, op.diag)) return;
    spawn(
        tx.impl_,
        [&tx, op]() -> asio::awaitable<error_code> {
            detail::op_settings in_tx = op;
            in_tx.section = tx.section_;
            auto [ec] = co_await send_control(tx.impl_, in_tx, "ROLLBACK", true);
            const auto& begin = tx.impl_->begin_of(tx.section_);
            if (ec && begin.at == connection_impl::section_begin::state::failed) {
                // The server refused the BEGIN the ROLLBACK waited behind: the transaction
                // never began, and there was nothing to roll back (as ends_unsent says).
                tx.state_->report(transaction_outcome::failed, begin.ec);
                tx.finish();
                if (op.diag) *op.diag = diagnostics{};
                co_return error_code{};
            }
            tx.state_->report(transaction_outcome::rolled_back, ec);
            tx.finish();
            co_return ec;
        },
        std::move(handler), op.diag);
}

void transaction::start_savepoint(transaction& tx, savepoint_handler handler,
                                  const detail::op_settings& op, const std::string& name) {
    if (!tx.valid()) {
        return detail::deliver_detached(
            handler,
            fail(op.diag, client_errc::lease_ended,
                 "the transaction has ended (committed or rolled back)"),
            savepoint{});
    }
    spawn(
        tx.impl_,
        [&tx, op, name]() -> asio::awaitable<std::tuple<error_code, savepoint>> {
            auto& st = *tx.state_;
            const std::uint64_t id = ++st.savepoint_counter;
            std::string actual = name.empty() ? "pgasio_sp_" + std::to_string(id) : name;
            std::string why;
            if (actual.size() > 63)
                why = "a savepoint name has at most 63 bytes (the server would cut it)";
            else if (actual.find('\0') != std::string::npos)
                why = "a savepoint name cannot hold a NUL byte";
            else if (std::any_of(st.savepoints.begin(), st.savepoints.end(),
                                 [&](const auto& e) { return e.name == actual; }))
                why = "savepoint \"" + actual + "\" is still active in this transaction";
            if (!why.empty())
                co_return std::tuple{fail(op.diag, client_errc::invalid_savepoint_name, why),
                                     savepoint{}};
            detail::op_settings in_tx = op;
            in_tx.section = tx.section_;
            auto [ec] =
                co_await send_control(tx.impl_, in_tx, "SAVEPOINT " + quote_identifier(actual));
            if (ec) co_return std::tuple{ec, savepoint{}};
            st.savepoints.push_back({id, actual});
            co_return std::tuple{error_code{}, savepoint(tx.state_, std::move(actual), id)};
        },
        std::move(handler), op.diag);
}

void transaction::start_end_savepoint(transaction& tx, void_handler handler,
                                      const detail::op_settings& op, const savepoint& sp,
                                      bool rollback) {
    if (sp.tx_ != tx.state_ || !sp.active() || !tx.valid()) {
        const error_code ec =
            fail(op.diag, client_errc::savepoint_ended,
                 sp.tx_ && sp.tx_ != tx.state_
                     ? "the savepoint belongs to another transaction"
                     : "the savepoint \"" + sp.name() +
                           "\" was released, rolled back past, or its transaction "
                           "ended");
        return detail::deliver_detached(handler, ec);
    }
    spawn(
        tx.impl_,
        [&tx, op, id = sp.id_, name = sp.name_, rollback]() -> asio::awaitable<error_code> {
            const std::string sql = (rollback ? "ROLLBACK TO SAVEPOINT " : "RELEASE SAVEPOINT ") +
                                    quote_identifier(name);
            detail::op_settings in_tx = op;
            in_tx.section = tx.section_;
            auto [ec] = co_await send_control(tx.impl_, in_tx, sql, rollback);
            // Refused by the server, it changed nothing. Timed out or cancelled, it may have
            // run, or may be running: the savepoints it would end are ended here too, so that
            // nothing is sent to one that may be gone (which would abort the transaction).
            if (ec && !given_up(ec)) co_return ec;
            // The server ended the savepoints made after it (and, released, itself).
            auto& list = tx.state_->savepoints;
            auto it = tx.state_->find(id);
            if (it != list.end()) list.erase(rollback ? it + 1 : it, list.end());
            co_return ec;
        },
        std::move(handler), op.diag);
}

} // namespace pgasio
