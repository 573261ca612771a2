// A TCP proxy in front of a PostgreSQL server that cuts a session at its COMMIT, as a crash or a
// network failure would, for tests of what a client reports when a COMMIT's answer is lost.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>

namespace pgasio::test {

/// Listens on 127.0.0.1 (an ephemeral port) and forwards every session to the server, message
/// by message, until the first COMMIT of any session passes; that session is then cut (both of
/// its sockets closed) as `when` says, and every other session, earlier or later, is forwarded
/// untouched; with `refuse_after_cut`, later sessions are closed at once instead (the server
/// out of reach). With after_commit, the first `commits_to_pass` COMMITs are answered untouched
/// (a session's later COMMIT is cut). Sessions must not use TLS (the proxy reads the messages).
class cut_proxy {
public:
    enum class cut {
        /// COMMIT reaches the server, which commits; its answer (CommandComplete "COMMIT") is
        /// dropped and the session cut: committed, but the client cannot know.
        after_commit,
        /// The extended-protocol COMMIT (a Parse of "COMMIT") and what follows it never reach
        /// the server; once every Execute sent before it is answered, the session is cut: the
        /// server rolls the transaction back when it sees the connection gone.
        before_commit,
    };

    cut_proxy(boost::asio::any_io_executor ex, const std::string& server_host,
              unsigned short server_port, cut when, bool refuse_after_cut = false,
              int commits_to_pass = 0);
    ~cut_proxy();
    cut_proxy(const cut_proxy&) = delete;
    cut_proxy& operator=(const cut_proxy&) = delete;

    /// The port it listens on.
    unsigned short port() const;
    /// True once a session was cut.
    bool has_cut() const;

private:
    struct state;
    std::shared_ptr<state> state_;
};

} // namespace pgasio::test
