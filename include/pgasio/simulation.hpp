// Recording sessions to a fixture file, and replaying them with no server (pgasio::simulation).
#pragma once

#include <pgasio/wire_simulation.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio::simulation {

/// A fixture file that cannot be read or makes no sense: what() names the file and the entry
/// that is wrong (`fixture.json: sessions[0].exchanges[2].sent[1]: "data" is not base64`).
class fixture_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Records every session opened with a configuration that carries it (config::simulation) to a
/// JSON fixture: per session, its host, user and database, the server's startup parameters, and
/// every request's messages and their answers, message by message, the SQL and values readable
/// and the bytes exact. The authentication exchange is never written (nor the cancel key): a
/// fixture holds no password. SQL text and parameters are written as sent, so a statement that
/// carries a secret itself (ALTER ROLE ... PASSWORD) should not be recorded.
///
/// The file is written by save(), and by the destructor if anything was recorded since. Record
/// against a server, then replay the file anywhere (replay()).
/// \code
/// auto rec = pgasio::simulation::record("tests/fixtures/users.json");
/// auto cfg = pgasio::config::builder(url).simulation(rec).build();
/// // ... run the program against the server ...
/// rec->save();
/// \endcode
class recording final : public wire_simulation {
public:
    /// Records to the file `path` (written by save()).
    explicit recording(std::string path);
    /// Saves what was recorded since the last save() (an error is ignored here: call save()).
    ~recording() override;
    recording(const recording&) = delete;
    recording& operator=(const recording&) = delete;

    /// False: sessions go to the server.
    bool replays() const noexcept override { return false; }
    /// Starts recording a session to `host`.
    std::shared_ptr<wire_session> open_session(const host_spec& host, const config& cfg,
                                               std::string& why) override;

    /// Writes every session recorded so far (an exchange still in flight as far as it went).
    /// Throws fixture_error when the file cannot be written.
    void save();
    /// The fixture's text, as save() writes it.
    std::string to_json() const;

    struct state; ///< the sessions recorded (internal)

private:
    std::string path_;
    // Shared with the sessions being recorded, which may outlive this object.
    std::shared_ptr<state> state_;
};

/// Records to `path`: a recording to set as config::simulation (config_builder::simulation).
std::shared_ptr<recording> record(std::string path);

/// Serves sessions from the fixture file `path`, with no server: a session opened to a host
/// and port is served from the next session recorded for them, through the same engine as a
/// real one. Each request the client sends must be the one recorded (its messages byte for
/// byte, in the recorded order); the answers are released as the requests they answer arrive,
/// so a pipelined or sequential client both replay. A request that differs fails the session
/// with client_errc::replay_mismatch, whose diagnostics name the first difference (and both
/// statements when they differ): `replay: session 1 (127.0.0.1 port 5432), exchange 2, message 3
/// differs: recorded Bind statement "pgasio_16f9...", parameters (0x00000003), sent Bind
/// statement "pgasio_16f9...", parameters (0x00000004)`.
///
/// Throws fixture_error when the file cannot be read or is not a fixture.
/// \code
/// auto cfg = pgasio::config::builder("postgresql://app@localhost/shop")
///                .simulation(pgasio::simulation::replay("tests/fixtures/users.json"))
///                .build();
/// \endcode
std::shared_ptr<wire_simulation> replay(const std::string& path);

/// replay() from the fixture's text; throws fixture_error (naming `name`) when it is not one.
std::shared_ptr<wire_simulation> replay_text(std::string_view json,
                                             const std::string& name = "fixture");

} // namespace pgasio::simulation
