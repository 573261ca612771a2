// A connection leased from a pool for exclusive use, given back when the handle goes.
#pragma once

#include <pgasio/connection.hpp>

#include <memory>
#include <utility>

namespace pgasio {

class pool;
namespace detail {
class pool_impl;
struct pool_slot;
template <class Handler>
void hand_lease(Handler& handler, const std::shared_ptr<pool_impl>& pool,
                std::shared_ptr<pool_slot> slot, connection& conn);
} // namespace detail

/// Exclusive use of one of a pool's connections, from pool::async_acquire (or try_acquire): no
/// shared request of the pool goes to it until it is given back. Use it for what needs the session
/// to itself: transactions (async_begin, pgasio::async_transaction), COPY, LISTEN, session settings
/// (SET), temporary tables used across statements.
///
/// Giving it back (release(), destruction, move-assignment) returns the connection to the pool,
/// which makes it ready for the next user first: a transaction left open is rolled back, and
/// the pool's reset_query (pool_options), if any, runs; a connection that was closed or broke
/// is dropped and replaced instead. Prepared statements and the statement cache stay with the
/// connection, unless the reset drops them (DISCARD ALL); so does a LISTEN, unless the reset ends
/// it (DISCARD ALL, UNLISTEN *). A connection whose last lease was pool::async_transaction's
/// may come with that transaction's COMMIT still unanswered (given back as it was queued): the
/// new lease's first requests are written behind it, and run after it on the server; should
/// the connection be lost meanwhile, they fail with it.
///
/// The handle keeps the pool's state alive: it may outlive the pool object (the connection is
/// then closed when it comes back). The connection must not be moved out, nor used after the
/// handle is given back. A pooled_connection is used from one thread at a time, as a connection
/// is.
///
/// @code
/// auto conn = co_await pool.async_acquire();
/// co_await conn->async_execute("SET search_path TO reporting");
/// auto rows = co_await conn->async_query("SELECT * FROM monthly_totals");
/// // conn goes back to the pool at the end of the scope
/// @endcode
class pooled_connection {
public:
    /// An empty handle (valid() is false).
    pooled_connection() noexcept = default;
    /// Takes `other`'s connection; `other` becomes empty.
    pooled_connection(pooled_connection&& other) noexcept
        : pool_(std::move(other.pool_))
        , slot_(std::move(other.slot_))
        , conn_(std::exchange(other.conn_, nullptr)) {}
    /// Gives back the connection held (if any), then takes `other`'s.
    pooled_connection& operator=(pooled_connection&& other) noexcept {
        if (this != &other) {
            release();
            pool_ = std::move(other.pool_);
            slot_ = std::move(other.slot_);
            conn_ = std::exchange(other.conn_, nullptr);
        }
        return *this;
    }
    pooled_connection(const pooled_connection&) = delete;
    pooled_connection& operator=(const pooled_connection&) = delete;
    /// Gives the connection back (see release()).
    ~pooled_connection() { release(); }

    /// True from the acquire until the connection is given back.
    bool valid() const noexcept { return conn_ != nullptr; }
    /// The leased connection (requires valid()).
    connection& get() const noexcept { return *conn_; }
    /// The leased connection (requires valid()).
    connection& operator*() const noexcept { return *conn_; }
    /// The leased connection (requires valid()).
    connection* operator->() const noexcept { return conn_; }

    /// Gives the connection back to the pool now (see the class comment); the handle becomes
    /// empty. Does not wait for the reset. Does nothing on an empty handle.
    void release() noexcept;

private:
    friend class pool; // pool::try_acquire
    template <class Handler>
    friend void detail::hand_lease(Handler& handler, const std::shared_ptr<detail::pool_impl>& pool,
                                   std::shared_ptr<detail::pool_slot> slot, connection& conn);
    pooled_connection(std::shared_ptr<detail::pool_impl> pool,
                      std::shared_ptr<detail::pool_slot> slot, connection& conn) noexcept
        : pool_(std::move(pool))
        , slot_(std::move(slot))
        , conn_(&conn) {}

    std::shared_ptr<detail::pool_impl> pool_;
    std::shared_ptr<detail::pool_slot> slot_;
    connection* conn_ = nullptr;
};

} // namespace pgasio
