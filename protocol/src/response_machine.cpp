#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/response_machine.hpp>

#include <algorithm>

namespace pgasio::protocol {

namespace {

using t = backend_message_type;
using kind = response_event_kind;

// FATAL and PANIC errors end the session: the server closes the connection right after, whatever
// it was doing (pg_terminate_backend, a fast shutdown, a crash of another backend), so such an
// error may arrive where no answer to the script could.
bool is_fatal(std::span<const std::byte> body) noexcept {
    auto fields = decode_error_fields(body);
    if (!fields) return false; // the consumer reports the malformed body when it decodes it
    // 'V' is never localised (since 9.6); 'S' is, so it is only the fallback.
    auto severity = fields->find('V');
    if (!severity) severity = fields->find('S');
    return severity && (*severity == "FATAL" || *severity == "PANIC");
}

} // namespace

response_machine::response_machine(std::span<const request_step> script) noexcept {
    reset(script);
}

void response_machine::reset(std::span<const request_step> script) noexcept {
    script_ = script;
    pos_ = 0;
    index_ = 0;
    extended_copy_ = false;
    transaction_status_ = '\0';
    enter_step();
}

bool response_machine::simple() const noexcept {
    return pos_ < script_.size() && script_[pos_] == request_step::simple_query;
}

void response_machine::enter_step() noexcept {
    if (pos_ >= script_.size()) {
        phase_ = phase::done;
        return;
    }
    switch (script_[pos_]) {
    case request_step::sync:
        phase_ = phase::sync_ready;
        break;
    case request_step::simple_query:
        phase_ = phase::first_statement;
        break;
    default:
        phase_ = phase::step;
        break;
    }
}

void response_machine::finish_execute() noexcept {
    ++index_;
    ++pos_;
    enter_step();
}

void response_machine::end_statement() noexcept {
    ++index_;
    phase_ = phase::next_statement;
}

void response_machine::skip_to_sync() noexcept {
    // After an error the server discards every extended-query message until Sync ("error
    // recovery"), so those steps get no answer at all. Their Executes still count, so that the
    // index stays the script's Execute number.
    while (pos_ < script_.size() && script_[pos_] != request_step::sync) {
        if (script_[pos_] == request_step::execute) ++index_;
        ++pos_;
    }
    // Only ReadyForQuery: the transaction is already aborted, so the Sync cannot fail again. A
    // script without a later Sync is over: the server now skips until a Sync that some later
    // request sends.
    phase_ = pos_ < script_.size() ? phase::ready : phase::done;
}

void response_machine::end_copy_in(bool failed) noexcept {
    if (phase_ == phase::copy_in)
        phase_ = failed ? phase::copy_in_fail : phase::copy_in_done;
    else if (phase_ == phase::copy_in_failed)
        // The server already reported the error and skips to the Sync just sent; it drops the
        // CopyDone or CopyFail before it.
        phase_ = phase::ready;
}

boost::system::result<response_event>
response_machine::on_other_message(const message_view& m) noexcept {
    // Events carry the index from before the message moved the machine on.
    const std::size_t at = index_;
    auto event = [&](kind k) { return response_event{k, at, m.body}; };
    auto unexpected = [] {
        return boost::system::result<response_event>(
            boost::system::error_code(client_errc::unexpected_message));
    };

    // Asynchronous messages: the server sends them whenever something happens (a NOTIFY, a SET
    // or a parameter change, a warning), independent of what it is answering.
    switch (m.type) {
    case t::notice_response:
        return event(kind::notice);
    case t::notification_response:
        return event(kind::notification);
    case t::parameter_status:
        return event(kind::parameter_status);
    default:
        break;
    }
    if (phase_ == phase::done) return unexpected();

    const bool extended = !simple();

    // Messages without a body are checked before they change anything.
    switch (m.type) {
    case t::parse_complete:
    case t::bind_complete:
    case t::close_complete:
    case t::no_data:
    case t::empty_query_response:
    case t::portal_suspended:
    case t::copy_done:
        if (auto ec = decode_empty(m.body)) return ec;
        break;
    default:
        break;
    }

    if (m.type == t::error_response) {
        switch (phase_) {
        case phase::step:
        case phase::describe_rows:
        case phase::rows:
        case phase::first_statement:
        case phase::next_statement:
        case phase::copy_out:
        case phase::copy_out_done:
            if (extended) {
                skip_to_sync();
            } else {
                // A simple query's error ends its statements: the rest of the query string is
                // not run, ReadyForQuery follows.
                ++index_;
                phase_ = phase::ready;
            }
            break;
        case phase::copy_in:
            ++index_; // the COPY's Execute or statement is over
            // Extended: the server skips to a Sync, and the script's were consumed by the copy;
            // the one sent with CopyDone/CopyFail ends the skip. Simple: ReadyForQuery follows.
            phase_ = extended_copy_ ? phase::copy_in_failed : phase::ready;
            break;
        case phase::copy_in_done:
        case phase::copy_in_fail:
            ++index_;
            // Extended: the client's own Sync answers (pos_ is past the script). Simple: the
            // query's remaining statements are not run.
            phase_ = phase::ready;
            break;
        case phase::sync_ready:
            // Sync commits an implicit transaction, which can fail (deferred constraints); the
            // error then precedes the Sync's ReadyForQuery. No skipping: it was the Sync itself.
            phase_ = phase::ready;
            break;
        default:
            if (!is_fatal(m.body)) return unexpected();
            phase_ = phase::done;
            return event(kind::error);
        }
        if (is_fatal(m.body)) phase_ = phase::done; // the connection is closing: nothing follows
        return event(kind::error);
    }

    switch (phase_) {
    case phase::step:
        switch (script_[pos_]) {
        case request_step::parse:
            if (m.type != t::parse_complete) return unexpected();
            ++pos_;
            enter_step();
            return event(kind::parse_complete);
        case request_step::bind:
            if (m.type != t::bind_complete) return unexpected();
            ++pos_;
            enter_step();
            return event(kind::bind_complete);
        case request_step::close:
            if (m.type != t::close_complete) return unexpected();
            ++pos_;
            enter_step();
            return event(kind::close_complete);
        case request_step::describe_statement:
            if (m.type != t::parameter_description) return unexpected();
            phase_ = phase::describe_rows;
            return event(kind::parameter_description);
        case request_step::describe_portal:
            break; // shared with describe_rows below
        case request_step::execute:
            switch (m.type) {
            case t::data_row:
                phase_ = phase::rows;
                return event(kind::data_row);
            case t::command_complete:
                finish_execute();
                return event(kind::command_complete);
            case t::empty_query_response:
                // Only before any row: an empty query string has none.
                finish_execute();
                return event(kind::empty_query);
            case t::portal_suspended:
                // Not seen in practice (a row limit stops after at least one row, and 0 means
                // no limit), but nothing is lost by accepting it: the Execute is answered.
                finish_execute();
                return event(kind::portal_suspended);
            case t::copy_out_response:
                phase_ = phase::copy_out;
                return event(kind::copy_out);
            case t::copy_in_response:
                // The server reads what the client sent after the Execute while in copy-in
                // mode: Syncs are ignored there (so they are consumed here), anything else
                // fails the COPY and the answers after that could not be told apart.
                if (!std::all_of(script_.begin() + static_cast<std::ptrdiff_t>(pos_) + 1,
                                 script_.end(),
                                 [](request_step s) { return s == request_step::sync; }))
                    return unexpected();
                extended_copy_ = true;
                pos_ = script_.size();
                phase_ = phase::copy_in;
                return event(kind::copy_in);
            default:
                return unexpected();
            }
        default: // sync and simple_query have phases of their own
            return unexpected();
        }
        [[fallthrough]];
    case phase::describe_rows:
        if (m.type == t::row_description) {
            ++pos_;
            enter_step();
            return event(kind::row_description);
        }
        if (m.type == t::no_data) {
            ++pos_;
            enter_step();
            return event(kind::no_data);
        }
        return unexpected();

    case phase::rows:
        // DataRow is handled inline (on_message).
        if (m.type == t::command_complete) {
            if (extended)
                finish_execute();
            else
                end_statement();
            return event(kind::command_complete);
        }
        if (m.type == t::portal_suspended && extended) {
            // The Execute's row limit was reached: the portal stays open for another Execute.
            finish_execute();
            return event(kind::portal_suspended);
        }
        return unexpected();

    case phase::next_statement:
        if (m.type == t::ready_for_query) break; // below, with the other ReadyForQuery
        [[fallthrough]];
    case phase::first_statement:
        // No ReadyForQuery before a first statement's answer: a query string without any
        // statement gets EmptyQueryResponse.
        switch (m.type) {
        case t::row_description:
            phase_ = phase::rows;
            return event(kind::row_description);
        case t::command_complete:
            end_statement();
            return event(kind::command_complete);
        case t::empty_query_response:
            end_statement();
            return event(kind::empty_query);
        case t::copy_out_response:
            phase_ = phase::copy_out;
            return event(kind::copy_out);
        case t::copy_in_response:
            // A later step would reach the server during copy-in and fail the COPY (see above).
            if (pos_ + 1 != script_.size()) return unexpected();
            extended_copy_ = false;
            phase_ = phase::copy_in;
            return event(kind::copy_in);
        default:
            return unexpected();
        }

    case phase::copy_out:
        if (m.type == t::copy_data) return event(kind::copy_data);
        if (m.type == t::copy_done) {
            phase_ = phase::copy_out_done;
            return event(kind::copy_done);
        }
        return unexpected();

    case phase::copy_out_done:
    case phase::copy_in_done:
        if (m.type != t::command_complete) return unexpected();
        if (phase_ == phase::copy_in_done && extended_copy_) {
            // The script's Syncs were consumed by the copy: the client's own Sync answers, and
            // may fail like any Sync.
            ++index_;
            phase_ = phase::sync_ready;
        } else if (extended) {
            finish_execute();
        } else {
            end_statement();
        }
        return event(kind::command_complete);

    case phase::sync_ready:
    case phase::ready:
        if (m.type == t::ready_for_query) break;
        return unexpected();

    default: // copy_in, copy_in_fail, copy_in_failed: only ErrorResponse (handled above)
        return unexpected();
    }

    // ReadyForQuery: the end of a Sync's segment, of a simple query, or of the client's own Sync
    // after a COPY FROM STDIN (pos_ past the script).
    auto status = decode_ready_for_query(m.body);
    if (!status) return status.error();
    transaction_status_ = static_cast<char>(*status);
    const auto ev = event(kind::ready_for_query);
    if (pos_ < script_.size()) {
        ++pos_;
        enter_step();
    } else {
        phase_ = phase::done;
    }
    return ev;
}

} // namespace pgasio::protocol
