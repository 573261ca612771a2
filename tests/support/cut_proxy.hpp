// A TCP proxy in front of a PostgreSQL server that misbehaves as a network or a dying server
// would: it cuts a session (at its COMMIT, at a message boundary, after so many bytes), stalls
// it, delays it or corrupts a byte of it, for tests of what a client reports then.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace pgasio::test {

/// Listens on 127.0.0.1 (an ephemeral port) and forwards every session to the server, message
/// by message (it reads the messages' headers: sessions must not use TLS, sslmode=disable).
///
/// Built with a `cut`, it cuts the first session whose COMMIT passes, as `when` says, and
/// forwards every other session, earlier or later, untouched; with `refuse_after_cut`, later
/// sessions are closed at once instead (the server out of reach). With after_commit, the first
/// `commits_to_pass` COMMITs are answered untouched (a session's later COMMIT is cut).
///
/// Built without one, it forwards untouched until a fault is set on the latest session (the
/// last one accepted): faults count messages and bytes from the moment they are set, in one
/// direction. Cutting closes both sockets of the session; the proxy goes on accepting others.
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

    /// The way a message goes.
    enum class direction { to_server, to_client };

    /// A proxy that forwards untouched until told otherwise (the fault setters below).
    cut_proxy(boost::asio::any_io_executor ex, const std::string& server_host,
              unsigned short server_port);
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
    /// How many sessions it accepted.
    std::size_t sessions() const;

    /// Cuts the latest session now.
    void cut_now();
    /// The latest session forwards `n` more whole messages `d`, and is cut when the next one
    /// reaches the proxy: the peer sees the connection end at that message boundary.
    void cut_after_messages(direction d, std::size_t n);
    /// The latest session forwards `n` more bytes `d`, and is cut there, within a message or
    /// at its end.
    void cut_after_bytes(direction d, std::size_t n);
    /// The latest session holds its next message `d` of type `type` ('\0': of any type) but
    /// the first `skip` of them, and all after it that way, until release() (or until the
    /// session ends).
    void stall_at(direction d, char type = '\0', std::size_t skip = 0);
    /// The latest session holds the messages `d` that follow its next message of type `type`
    /// ('\0': of any type), until release() (or until the session ends).
    void stall_after(direction d, char type = '\0');
    /// Forwards what stall_at and stall_after hold.
    void release();
    /// True while the latest session holds messages (stall_at, stall_after).
    bool stalled() const;
    /// Sessions accepted from now on (a CancelRequest's, say) are forwarded untouched and never
    /// become the latest: the fault setters keep acting on the session that is the latest now.
    void keep_latest();
    /// The latest session inverts the bits of the byte `offset` bytes ahead `d`.
    void corrupt_byte(direction d, std::size_t offset);
    /// The latest session holds every message `d` for `each` before forwarding it.
    void delay(direction d, std::chrono::milliseconds each);
    /// How many whole messages the latest session forwarded `d` (its startup message included).
    std::size_t messages(direction d) const;
    /// The types of the whole messages the latest session forwarded `d`, in order ('\0' for
    /// the startup message).
    std::string message_types(direction d) const;
    /// True once the latest session ended (cut, or closed by either end).
    bool closed() const;

private:
    struct state;
    std::shared_ptr<state> state_;
};

/// A proxy that forwards untouched until told otherwise (the fault setters) to tools/pg's
/// primary (PGASIO_TEST_HOST, PGASIO_TEST_PRIMARY_PORT).
cut_proxy primary_proxy(boost::asio::any_io_executor ex);

} // namespace pgasio::test
