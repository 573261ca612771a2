// The narrow interface through which a session's byte stream is recorded or replayed.
#pragma once

#include <pgasio/config.hpp>
#include <pgasio/error.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace pgasio {

/// One session's byte stream, as a recording or a replay sees it (config::simulation opens one
/// per session). Every call comes from the connection's executor, never two at once.
///
/// The stream starts with the startup message and ends when the connection closes: a TLS
/// session is observed inside its encryption (clear text), and the SSLRequest before it is not
/// seen. pgasio::simulation (pgasio/simulation.hpp) implements it; an application has no need to.
class wire_session {
public:
    virtual ~wire_session() = default;

    /// The client sends `bytes`: the next part of its stream, cut anywhere (not on message
    /// boundaries). A recording keeps them and returns no error. A replay checks them against
    /// the recording: on the first difference it returns client_errc::replay_mismatch with `why`
    /// naming it (and the connection closes, failing its requests with that message).
    virtual error_code sent(std::span<const std::byte> bytes, std::string& why) = 0;

    /// A recording: the server sent `bytes` (the next part of its stream, cut anywhere).
    virtual void received(std::span<const std::byte> bytes) = 0;

    /// A replay: copies into `out` the recorded answers that the bytes sent so far have made due,
    /// and returns how many bytes it copied; 0 when none is due (more is due only after the
    /// client sends more).
    virtual std::size_t answer(std::span<std::byte> out) = 0;

    /// The client sends a CancelRequest for this session (on a connection of its own, which no
    /// recording sees). A recording notes where, so that a replay holds the answers that came
    /// after it until its client cancels as often: a request stopped by its timeout ends the
    /// same way in both. Nothing by default.
    virtual void cancel_sent() {}
};

/// Records the sessions a configuration opens, or serves them with no server (set as
/// config::simulation). pgasio::simulation::record() and replay() (pgasio/simulation.hpp, in
/// the pgasio::simulation library) make the two kinds.
///
/// A recording is opened for each session once its transport is up (after TLS), and sees every
/// byte both ways; secrets (the authentication exchange) are the recording's to leave out. A
/// replay opens no socket, resolves no host name and skips TLS: the session is served from
/// what was recorded for the same host and port. CancelRequest is never replayed (it would need
/// a socket of its own): a replayed session treats a cancel as failed to send, and the request
/// ends as it ended when it was recorded; answers that came after a cancel wait for the
/// replayed client's (wire_session::cancel_sent).
class wire_simulation {
public:
    virtual ~wire_simulation() = default;

    /// True when sessions are served from a recording, with no server; false when they go to
    /// the server and are only observed.
    virtual bool replays() const noexcept = 0;

    /// A session opens to `host` for `cfg` (its user and dbname). Returns its stream, or null with
    /// `why` saying what is wrong (a replay with no session recorded for that host left).
    virtual std::shared_ptr<wire_session> open_session(const host_spec& host, const config& cfg,
                                                       std::string& why) = 0;
};

} // namespace pgasio
