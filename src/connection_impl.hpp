// The state behind a pgasio::connection.
#pragma once

#include "cancel_on_executor.hpp"
#include "request.hpp"
#include "statement_cache.hpp"
#include "transport.hpp"

#include <pgasio/config.hpp>
#include <pgasio/detail/result_builder.hpp>
#include <pgasio/notification.hpp>
#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/framer.hpp>
#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/write_buffer.hpp>
#include <pgasio/type_registry.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pgasio::detail {

/// A non-owning reference to the function that encodes a request's messages (no allocation, as
/// std::function would need on the hot path). It returns an error and says why in `why`.
class encoder_ref {
public:
    template <class F>
    encoder_ref(F& f) noexcept // NOLINT: implicit on purpose, from a lambda at the call site
        : ctx_(&f)
        , fn_([](void* ctx, protocol::write_buffer& out, std::string& why) -> error_code {
            return (*static_cast<F*>(ctx))(out, why);
        }) {}
    error_code operator()(protocol::write_buffer& out, std::string& why) const {
        return fn_(ctx_, out, why);
    }

private:
    void* ctx_;
    error_code (*fn_)(void*, protocol::write_buffer&, std::string&);
};

struct stream_state;
struct commit_answer;

/// A new session id, unique in the process (never 0).
std::uint64_t next_session_id() noexcept;

/// What an error of `reader` (a stream that can no longer be read) means: a message over
/// max_message_size says its size, the limit and how to raise it; any other is
/// "<malformed>: <the error's text>".
std::string stream_error_message(error_code ec, const protocol::framer& reader,
                                 std::string_view malformed);

/// Owned by the connection through a shared_ptr, so that an operation in flight keeps it alive
/// after the connection object itself is gone.
class connection_impl : public std::enable_shared_from_this<connection_impl> {
public:
    explicit connection_impl(const asio::any_io_executor& ex)
        : executor(ex)
        , completion_executor(std::nothrow, ex)
        , io(ex)
        , write_done(ex)
        , deadline_timer_(ex)
        , read_pause_timer_(ex) {
        set_types(nullptr);
    }

    /// Makes the connection read and write user-defined types with `t` (a new registry when
    /// null): the results it builds from now on carry it (column::types).
    void set_types(std::shared_ptr<type_registry> t) {
        types = t ? std::move(t) : std::make_shared<type_registry>();
        builder_.set_types(types);
    }

    /// Opens the session (see connection::async_connect).
    asio::awaitable<error_code> connect(config cfg, diagnostics& diag);
    /// Sends Terminate and closes.
    asio::awaitable<error_code> close();

    // The engine: every operation after connect goes through here. Requests are encoded into
    // `writer` as they arrive and written back to back: one write for all that are ready
    // (those queued while the previous write was in flight, or while the read loop handed out
    // a batch of answers), and answered in order at each ReadyForQuery by the one read loop
    // that runs while the connection is open.
    //
    // Invariants, kept by the functions below and nowhere else:
    // - `queue` holds every request not yet answered, in the order of their bytes on the wire;
    //   its last `unwritten` entries have not been handed to the socket yet.
    // - `writer` is the send log: the bytes of every queued request (queued_begin..queued_end,
    //   in queue order), of which [0, written_) went to the socket. A request's bytes stay
    //   until it is answered, so one the server never ran can be sent again.
    // - A CancelRequest only ever goes out for the request at the head of the queue (the one
    //   the server is working on), and writes wait while it is in flight.

    /// True when the calling thread runs the connection's executor (initiations elsewhere are
    /// posted to it).
    bool on_executor() const noexcept;
    /// The connection has just been handed to a caller that will use it alone (a pool's next
    /// lease) while what is unwritten (the last transaction's COMMIT) waits for the read
    /// loop's batch to end: the writes wait for that caller's first request (a transaction's
    /// BEGIN goes with it), so that one write carries both, or a few executor passes at most
    /// (the caller may send nothing). On the executor.
    void hold_writes_for_next_section();
    /// Queues `r`, whose messages `encode` appends, from any thread: on the executor at once,
    /// elsewhere encoded here and queued on the executor. Called from the initiating function,
    /// on the caller's thread: it gives `r` its id and connects the caller's cancellation slot
    /// to it there (see request::slot).
    void submit(std::unique_ptr<request> r, encoder_ref encode);
    /// A new id for a request or a waiter, unique on the connection; from any thread.
    std::uint64_t next_request_id() noexcept {
        return request_counter_.fetch_add(1, std::memory_order_relaxed) + 1;
    }
    /// Connects `slot`, a caller's cancellation slot, to `f(*this, type)`, run on the executor
    /// (see cancel_on_executor; called in the initiating function, on the caller's thread). `f`
    /// runs even after the operation completed, if the caller emitted before its handler ran: it
    /// finds what it cancels by id.
    template <class F>
    void on_cancellation(asio::cancellation_slot slot, F f) {
        cancel_on_executor(slot, weak_from_this(), executor,
                           [f](const std::shared_ptr<connection_impl>& c,
                               asio::cancellation_type type) { f(*c, type); });
    }
    /// Queues `r` (on the executor); answers the caller (never inline) when the connection is
    /// closed or encoding fails (nothing is sent then).
    void enqueue(std::unique_ptr<request> r, encoder_ref encode);
    /// Answers `r`, which has nothing to send, from any thread, never inline: with the error
    /// any request would get now (a closed connection, an ended lease), else with success.
    void answer_empty(std::unique_ptr<request> r);
    /// Asks, from any thread, for an exclusive section for `handler` (acquire_section, on the
    /// executor), its caller's cancellation `slot` connected here, on the caller's thread, to
    /// take it out of the line. `handler` may carry that slot only if it also has the caller's
    /// executor, where deliver clears the slot; one that runs on the connection's executor
    /// carries none (only the caller's thread may touch its slot).
    void request_section(asio::cancellation_slot slot,
                         asio::any_completion_handler<void(error_code, std::uint64_t)> handler);
    /// Grants an exclusive section (its id) to `handler` as soon as no other is held and the
    /// requests queued before it were taken (never inline). `id` (next_request_id) is the
    /// waiter's, to which its initiation connected its cancellation (cancel_acquire).
    void acquire_section(asio::any_completion_handler<void(error_code, std::uint64_t)> handler,
                         std::uint64_t id);
    /// The waiter `id` for a section was cancelled: it leaves the line, answered with
    /// operation_aborted.
    void cancel_acquire(std::uint64_t id);
    /// The caller of request `id` cancelled it (`type`), unless it was answered already.
    void cancel_for_caller(std::uint64_t id, asio::cancellation_type type);
    /// Refuses the requests of section `id` from now on (client_errc::lease_ended): the first
    /// half of its release, which may run inside one of the engine's own completions. False
    /// when `id` is not the active section: it has ended (a section is active from its grant),
    /// and there is nothing left to release.
    bool refuse_section(std::uint64_t id) noexcept;
    /// True when section `id` is not the active one: it has ended (a transaction's, as its
    /// COMMIT was queued), and releasing it has nothing left to do.
    bool section_ended(std::uint64_t id) const noexcept { return id != active_section_; }
    /// Ends section `id` once its requests are answered, rolling back a transaction block it
    /// left open first; then the requests held meanwhile are queued.
    void release_section(std::uint64_t id);
    /// The BEGIN of a transaction's exclusive section (connection::async_begin).
    struct section_begin {
        enum class state : std::uint8_t {
            none,     ///< the section is no transaction's (or not the active one)
            deferred, ///< not sent yet: the section has sent nothing
            sent,     ///< sent, with the section's first request or just before it
            failed,   ///< refused by the server: the section's requests fail with its error
        };
        state at = state::none;
        std::string sql; ///< BEGIN with the transaction's modes
        error_code ec;   ///< failed: the server's error
        diagnostics diag;

        /// Back to none. Only a failed BEGIN sets the diagnostics, whose many strings cost a
        /// good part of a small transaction to reset every time.
        void reset() noexcept {
            if (at == state::failed || !diag.message.empty()) diag = diagnostics{};
            at = state::none;
            sql.clear();
            ec = {};
        }
    };
    /// Makes the active section `id` a transaction whose BEGIN is `sql`, sent with the
    /// section's first request instead of in a round trip of its own: in front of its messages,
    /// under its Sync, when it is an extended query; as a simple Query just before it, written
    /// alone, when it is one itself. Until then the session is in no transaction block (and a
    /// section that sends nothing never opens one). When the server refuses BEGIN, the request
    /// that carried it (or the one behind it) fails with BEGIN's error, and so does every later
    /// request of the section: nothing of it runs outside the transaction.
    void defer_begin(std::uint64_t id, std::string sql);
    /// The BEGIN of section `id` (state none when `id` is not the active section).
    const section_begin& begin_of(std::uint64_t id) const noexcept;
    /// Gives a stream's waiting reader what is there (its next part, or its end).
    void serve_stream(stream_state& st);
    /// The reader of a stream or a COPY stopped it: request `id` is cancelled like a request
    /// whose caller gave up (answered at once, stopped on the server, its answers drained).
    /// `type`: the caller's cancellation type (partial and total spare a request already sent).
    void stop_request(std::uint64_t id,
                      asio::cancellation_type type = asio::cancellation_type::terminal);
    /// The reader of a stream or a COPY out gave it up: as stop_request, except inside a
    /// transaction block, where the statement runs to its end, its answers drained.
    void stop_reading(std::uint64_t id);
    /// Sends `bytes` (the CopyData, CopyDone or CopyFail of the COPY FROM STDIN that the request
    /// at the head of the queue runs) ahead of every request not yet written.
    void send_copy(std::span<const std::byte> bytes);
    /// The client ended the head request's COPY FROM STDIN: CopyDone, or CopyFail (`failed`).
    void end_copy_in(bool failed) noexcept { machine_.end_copy_in(failed); }
    /// Calls `h` once the socket has taken every byte handed to it so far (at once when it has):
    /// the backpressure of a COPY's writer. Fails with the connection's error if it closes.
    void when_written(asio::any_completion_handler<void(error_code)> h);
    /// The transaction status of the latest ReadyForQuery.
    protocol::transaction_status transaction_status() const noexcept { return tx_status_; }
    /// Stops reading from the socket until resume_reading(): a consumer's reader lags (the
    /// server is then held back by TCP).
    void pause_reading() noexcept { paused_ = true; }
    /// Reads again after a consumer's reader caught up.
    void resume_reading();
    /// Starts the read loop (after a successful connect).
    void start_reading();
    /// What destroying the connection's handle does to it: the socket is closed, and the
    /// requests fail with operation_aborted. On the executor.
    void abandon_socket();
    /// Fails every request and closes: the stream can no longer be trusted (or is gone).
    void fail_all(error_code ec, const diagnostics& diag);
    /// The one shutdown path (fatal errors, close, destruction): `open` goes false, every waiter
    /// (queued requests, the notification waiter) is answered with `ec` and `diag`, and the
    /// session's buffers and state are dropped. The socket is left to the caller.
    void shut_down(error_code ec, const diagnostics& diag);
    /// Forgets everything of an earlier session before a new one starts.
    void reset_session();
    /// A name for the next statement prepared from `sql` by connection::async_prepare.
    std::string next_statement_name(std::string_view sql);
    /// True when a request of `section` queued now goes to the send log at once (on the
    /// executor, not parked behind another's lease): only its messages may rely on the statement
    /// cache, as a parked request's are encoded long before they run.
    bool writes_now(std::uint64_t section) const noexcept {
        return on_executor() && open && (active_section_ == 0 || section == active_section_);
    }

    asio::any_io_executor executor;
    /// `executor` as handlers' associated executors are compared: a handler whose executor
    /// this is gets called directly, as everything here already runs on it.
    asio::any_completion_executor completion_executor;
    transport io;
    std::shared_ptr<asio::ssl::context> tls_context; // outlives the TLS stream in `io`
    protocol::framer reader;
    protocol::write_buffer writer;

    /// Atomic: a pool asks (connection::is_open) from any thread.
    std::atomic<bool> open{false};
    /// The connection object is gone: a connect still running must not leave a session open.
    bool orphaned = false;
    bool channel_binding = false;
    /// Identifies the session (unique in the process): statements prepared in it carry it.
    std::uint64_t session_id = 0;
    host_spec connected_host;
    /// The configuration that opened the session, narrowed to the host that accepted it: what a
    /// second connection to the same server uses (to learn the outcome of a COMMIT whose answer
    /// was lost with the connection).
    std::shared_ptr<const config> session_config;
    /// The user-defined types it knows (connection::types); never null.
    std::shared_ptr<type_registry> types;
    std::map<std::string, std::string, std::less<>> parameters;
    /// The server reads a backslash in a plain '...' string as an escape
    /// (standard_conforming_strings off): how the simple query protocol's parameter
    /// interpolation lexes the caller's SQL. Atomic: a query may be encoded on another thread.
    std::atomic<bool> backslash_escapes{false};
    /// Updates what is derived from `parameters` (the server reported a setting).
    void parameters_changed() noexcept;
    std::int32_t process_id = 0;
    std::vector<std::byte> secret_key;
    protocol::protocol_version version = protocol::protocol_version::v3_0;

    protocol::write_buffer sending; // the rest of a write the socket did not take at once
    bool write_in_progress = false;
    asio::steady_timer write_done; // woken (cancelled) when a write completes, for close()
    std::chrono::milliseconds query_timeout{0};
    /// The configuration's pipeline_read_pause and pipeline_read_pause_depth (see read_more).
    std::chrono::microseconds read_pause{0};
    std::size_t read_pause_depth = 0;
    /// How plain queries are sent (the configuration's default_query_exec_mode), and the
    /// prepared statements and descriptions they keep (statement_cache_capacity).
    query_exec_mode exec_mode = query_exec_mode::cache_statement;
    statement_cache statements;
    /// The statements a transaction's COMMIT runs (see commit_xid_request) are prepared in this
    /// session under names of their own: COMMIT then sends only Bind and Execute for them, and
    /// the server parses and plans neither again. False in a new session, and whenever the
    /// server may have dropped them (DEALLOCATE, DISCARD ALL, a 26000 from any request).
    bool commit_statements_prepared = false;
    /// What the COMMIT that prepares those statements learns, while its requests are not all
    /// answered: until then a COMMIT does not count on them and prepares them itself (in a
    /// failed transaction the server refuses the id query's Parse).
    std::weak_ptr<const commit_answer> commit_preparing;
    /// The columns of the transaction id query's result, once a Describe said them: later
    /// COMMITs send no Describe.
    column_list commit_xid_columns;
    /// How long a CancelRequest may take before the session is given up.
    std::chrono::milliseconds cancel_timeout{std::chrono::seconds(10)};
    std::function<void(const diagnostics&)> notice_handler;
    std::deque<notification> notifications;
    std::optional<asio::any_completion_handler<void(error_code, notification)>> notification_waiter;
    std::uint64_t notification_waiter_id = 0; // finds a cancelled waiter
    /// Calls `h` with `args` on its own executor (see detail::deliver).
    template <class Handler, class... Args>
    void deliver(Handler& h, call how, Args&&... args) const {
        detail::deliver(h, executor, completion_executor, how, std::forward<Args>(args)...);
    }
    /// When the answers being handled came, for their observations (operation_result::duration).
    /// While the read loop hands out what one read brought, a single reading of the clock serves
    /// them all. It is taken when the first observed answer asks, before that answer's caller
    /// runs (an observation ends first), so after each of them came (the callers of unobserved
    /// answers before it may have run: that only makes it later). Anywhere else, now. Requests
    /// cancelled or timed out (or the connection closed by its user) are ended outside the
    /// hand-out, as their cancellations and timers are posted; those failed inside it with the
    /// connection (a malformed or fatal message, a block left open on a shared connection) end
    /// at the reading, the message that failed them having come with the read; one refused
    /// inside it started after the reading, and observation::finish then reads the clock
    /// itself. A reading costs about as much as the rest of an observation's own bookkeeping,
    /// and one read brings the answers of several requests on a busy connection.
    std::chrono::steady_clock::time_point answered_at() const noexcept;
    /// Answers the notification waiter (if any) with `ec` and `n`, through its executor.
    void answer_notification_waiter(error_code ec, notification n);

    // Where CancelRequest goes: the address the session was opened to.
    std::optional<asio::ip::tcp::endpoint> peer_tcp;
    std::string peer_unix;

private:
    /// Hands out the buffered messages, writes what they queued, and reads more (the read loop).
    void read_more();
    /// How long the read loop waits before its next read: zero but while it is caught up with
    /// a busy server (see engine.cpp).
    std::chrono::microseconds read_pause_now();
    /// Reads from the socket; on_read takes the bytes.
    void read_socket();
    /// A read completed with `n` bytes (or failed, or found the stream closed).
    void on_read(error_code ec, std::size_t n);
    /// Handles every whole message buffered, with `answering_` set meanwhile.
    void handle_buffered();
    void handle(const protocol::message_view& m);
    /// Checks that `m` can be an answer to `r` (the head of the queue) at this point; an error
    /// means the stream can no longer be trusted.
    error_code check(request& r, const protocol::message_view& m);
    /// Adds a DataRow to `r`'s result (or checks and drops it when `r` no longer wants rows).
    void handle_data_row(request& r, std::span<const std::byte> body);
    /// The server asked `r` for COPY data it does not have: refuse the COPY so that the session
    /// and every request around it come through unharmed.
    void refuse_copy_in(request& r);
    /// Fails everything: the server sent a message that does not decode (`what` names it).
    void malformed_message(error_code ec, const char* what);
    void finish_front();
    void start_write();
    /// Answers every when_written waiter with `ec`.
    void answer_written_waiters(error_code ec);
    /// Writes `bytes`: at once what the socket takes, the rest asynchronously from a copy.
    void write_bytes(std::span<const std::byte> bytes);
    /// The caller gave up on the request `id` (cancellation of `type`, or its timeout).
    void cancel(std::uint64_t id, error_code reason, asio::cancellation_type type);
    /// Sends a CancelRequest for the head of the queue when it wants one and none is in flight.
    void maybe_send_cancel();
    asio::awaitable<void> send_cancel_request();
    /// `r` failed with 57014 query_canceled: counts a cancel as used, and decides whether `r`
    /// was stopped by a cancel meant for another request (and is to be sent again).
    void take_cancel(request& r);
    /// True when `r`, just taken from the head of the queue, belongs to an operation of several
    /// requests (request::operation) a later one of which has been written: sending `r` again
    /// would change their order.
    bool sent_after_it_in_its_operation(const request& r) const;
    /// Queues `r` again, its bytes ahead of every request not yet written.
    void resend(std::unique_ptr<request> r);
    /// Queues `r` once more with the messages `bytes`, ahead of every request not yet written.
    void send_again(std::unique_ptr<request> r, std::span<const std::byte> bytes);
    /// Clears the statement cache if `m`, a CommandComplete, ends a command that deallocated
    /// every prepared statement (DISCARD ALL, DEALLOCATE ALL).
    void forget_statements_dropped_by(const protocol::message_view& m);
    /// Removes the bytes of answered requests from the front of the send log.
    void trim_log();
    /// Hands the timeout of `r` to cancel(), and gives it its id if it has none (a request of
    /// the engine's own).
    void watch(request& r);
    /// Sets the connection's one deadline timer for `at`.
    void arm_deadline(std::chrono::steady_clock::time_point at);
    /// Answers `r` (posted) and returns true when the connection cannot take a request now:
    /// closed, the lease it was made on ended, or its transaction's BEGIN failed.
    bool refuse(std::unique_ptr<request>& r);
    /// Cancels the requests past their deadline and sets the timer for the next one.
    void on_deadline();
    /// Queues `r`, whose bytes are already encoded (or whose encoding failed with `ec`, `why`).
    void enqueue_encoded(std::unique_ptr<request> r, const protocol::write_buffer& bytes,
                         error_code ec, const std::string& why);
    /// Puts `r`, whose messages are `bytes`, ahead of every request not yet written.
    void queue_next(std::unique_ptr<request> r, std::span<const std::byte> bytes);
    /// Puts `r`, whose messages are `bytes`, at `index` of the queue (not yet written) and its
    /// bytes at `at` of the send log, where the request at `index` began.
    void insert_unwritten(std::size_t index, std::size_t at, std::unique_ptr<request> r,
                          std::span<const std::byte> bytes);
    /// A ROLLBACK of the engine's own, for a transaction block nobody may keep open.
    void roll_back(std::uint64_t section);
    /// Takes the unwritten request at `index` of the queue out of it and its bytes out of the
    /// send log, as if it had never been asked for.
    std::unique_ptr<request> take_unwritten(std::size_t index);
    /// `dropped`, taken out before it was sent, was to prepare its cached statement, and
    /// requests queued behind it that only bind the statement were encoded counting on that
    /// Parse: a request of the engine's own prepares it, just before the first of them. (With
    /// none, the next use prepares it: result_request::on_dropped.)
    void prepare_in_place_of(request& dropped);
    /// Appends the deferred BEGIN that goes in front of a request's own messages.
    void encode_begin(protocol::write_buffer& out) const;
    /// The section's BEGIN as a request of its own (a simple Query, written alone: what is
    /// behind it waits for its answer), not yet queued.
    std::unique_ptr<request> begin_alone() const;
    /// Queues the deferred BEGIN as a request of its own, ahead of a simple query.
    void send_begin_alone();
    /// `r` carried the section's BEGIN, which the server refused (or was that BEGIN, sent
    /// alone): answers it and the section's requests behind it with BEGIN's error.
    void begin_failed(std::unique_ptr<request> r);
    /// Answers `r`, a request of a section whose BEGIN failed, with that error.
    void refuse_after_failed_begin(std::unique_ptr<request> r, call how);
    /// Counts `r` in (n > 0), or out of (n < 0), the active section's queued requests.
    void count_in_section(const request& r, int n) noexcept;
    /// Ends the active section if it was released and nothing of it is left in the queue but
    /// its COMMIT.
    void maybe_end_section();
    /// Makes the section `waiter` waits for the active one and answers it.
    void grant_section(asio::any_completion_handler<void(error_code, std::uint64_t)> waiter);

    std::atomic<std::uint64_t> request_counter_{0};
    std::size_t unwritten_ = 0; // requests at the back of `queue` not yet handed to the socket
    std::size_t written_ = 0;   // bytes of `writer` handed to the socket
    std::size_t alone_unwritten_ = 0; // unwritten requests that must go alone
    std::deque<std::unique_ptr<request>> queue_;
    // Bytes that go out before any request not yet written, whatever holds those back
    // (CopyFail + Sync refusing a COPY).
    protocol::write_buffer urgent_;
    // A request after which nothing is written until its ReadyForQuery (one that runs alone, or
    // one whose COPY is being refused).
    request* barrier_ = nullptr;
    // A CancelRequest is on its way: later writes wait until the server has closed the cancel
    // connection, i.e. has signalled the backend. Each cancel sent increments the generation.
    bool cancel_in_flight_ = false;
    std::uint64_t cancel_generation_ = 0;
    std::uint64_t cancel_target_ = 0; // the id of the request the latest cancel was sent for
    // How many 57014 errors the cancels sent may still cause (see take_cancel).
    std::size_t unexplained_cancels_ = 0;
    // Exclusive sections. While one is active, requests of no section or another one wait in
    // `parked_` (encoded), in arrival order with the sections waiting their turn.
    struct parked {
        parked() = default;
        parked(parked&&) noexcept = default;
        // Boost 1.81's any_completion_handler::operator=(any_completion_handler&&) builds a
        // new handler from its argument as an lvalue, which the converting constructor wraps
        // in itself without end (a stack overflow): the waiter is swapped instead. The deque
        // move-assigns entries when one is erased from its middle.
        parked& operator=(parked&& other) noexcept {
            r = std::move(other.r);
            bytes = std::move(other.bytes);
            ec = other.ec;
            why = std::move(other.why);
            waiter.swap(other.waiter);
            waiter_id = other.waiter_id;
            return *this;
        }

        std::unique_ptr<request> r; // null for a section waiting its turn
        protocol::write_buffer bytes;
        error_code ec;
        std::string why;
        asio::any_completion_handler<void(error_code, std::uint64_t)> waiter;
        std::uint64_t waiter_id = 0; // finds a cancelled waiter
    };
    std::deque<parked> parked_;
    std::uint64_t active_section_ = 0;
    std::uint64_t section_counter_ = 0;
    std::size_t section_queued_ = 0; // requests of the active section not answered yet
    std::size_t section_ending_ = 0; // of those, its COMMIT's (request::ends_transaction)
    bool section_released_ = false;
    // Writes wait for the next executor pass (see maybe_end_section), or for the next
    // section's first request (see hold_writes_for_next_section).
    bool write_held_ = false;
    // Executor passes left before a hold for the next holder ends anyway (0: no such hold),
    // and which hold it is.
    std::uint8_t section_hold_passes_ = 0;
    std::uint64_t section_hold_serial_ = 0;
    // The BEGIN of the active section, when it is a transaction's.
    section_begin begin_;
    // The transaction status of the latest ReadyForQuery.
    protocol::transaction_status tx_status_ = protocol::transaction_status::idle;
    // Fires at the earliest deadline of the queued requests (timer_at_; max when not set).
    asio::steady_timer deadline_timer_;
    std::chrono::steady_clock::time_point timer_at_ = std::chrono::steady_clock::time_point::max();
    // Waiting for the socket to take what it was given (when_written).
    std::vector<asio::any_completion_handler<void(error_code)>> written_waiters_;
    // A stream's reader lags: no read is outstanding until resume_reading().
    bool paused_ = false;
    // True while the read loop hands a batch of messages to their requests: requests queued
    // meanwhile are written together once the batch is through.
    bool answering_ = false;
    // The reading answered_at gives while answering_ (unset: not taken yet).
    mutable std::chrono::steady_clock::time_point answers_came_{};
    // The last read took all the socket held: the answers so far are caught up with.
    bool caught_up_ = false;
    // The last message read was a row or COPY data: the server is sending an answer's data.
    bool mid_answer_ = false;
    // Bytes read since read_pause_now last looked, and when that was: how fast data comes.
    std::size_t read_since_pause_check_ = 0;
    std::chrono::steady_clock::time_point pause_checked_at_{};
    // Holds the next read back while a busy server's answers come in (see read_more).
    asio::steady_timer read_pause_timer_;
    // Follows the answers of the request at the head of the queue (whose id is machine_for_)
    // against what it sent.
    protocol::response_machine machine_;
    std::uint64_t machine_for_ = 0;
    // Builds the results of the request at the front of the queue (the only one the server is
    // answering), in buffers kept from one result to the next.
    result_builder builder_;
    diagnostics fatal_diag_;    // a FATAL ErrorResponse outside any request (admin shutdown...)
    std::string closed_reason_; // why the engine closed the connection (empty: it did not)
    error_code fatal_ec_;
};

/// Runs `f` on the connection's executor: at once when already there, else posted (`f` keeps
/// alive what it needs).
template <class F>
void on_executor_of(connection_impl& c, F&& f) {
    if (c.on_executor()) return f();
    post_to(c.executor, std::forward<F>(f));
}

} // namespace pgasio::detail
