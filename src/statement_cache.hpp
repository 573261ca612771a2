// The per-connection cache of prepared statements and result descriptions behind plain queries
// (query_exec_mode::cache_statement and cache_describe).
#pragma once

#include <pgasio/column.hpp>
#include <pgasio/protocol/format_code.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pgasio::detail {

/// The first `hex_digits` hex digits (at most 64) of the SHA-256 of `text`; empty when OpenSSL
/// fails to compute it.
std::string statement_digest(std::string_view text, std::size_t hex_digits);

/// What the cache knows of one statement text with its parameter types. Shared with the
/// requests that use it: one that is forgotten (evicted, invalidated) stays valid for the
/// requests already sent with it.
struct cached_statement {
    /// The parameter types and the SQL text, as one string (see statement_cache::key_of).
    std::string key;
    /// The server-side name in cache_statement mode: "pgasio_" and 32 hex digits of the SHA-256
    /// of `key`. The same text and types always get the same name, so a name can never mean two
    /// statements: not on this connection, not on another session a pooler hands it. Empty if
    /// OpenSSL could not hash it: the statement then runs unnamed.
    std::string name;
    /// A Parse under `name` was sent and did not fail (as far as is known yet): later uses send
    /// Bind only. False again when the Parse failed: the next use prepares it once more.
    bool prepared = false;
    /// `columns` is the result's description (from a Describe of the portal): later uses send
    /// no Describe.
    bool described = false;
    /// The result's columns, in the formats later executions bind them in (see
    /// choose_result_formats); null for a statement that returns no rows.
    column_list columns;
    /// The result format codes of those executions' Bind (empty: every column binary).
    std::vector<protocol::format_code> result_formats;
    /// Still in the cache (false once evicted or invalidated).
    bool cached = true;

    /// The SQL text (the part of `key` after the parameter types).
    std::string_view sql() const noexcept;
    /// The parameter types (the part of `key` before the text).
    std::vector<protocol::oid> parameter_types() const;
    /// Appends Close and Parse of the statement under `name`. Close first: the name may still
    /// be prepared (a changed plan's 0A000, a Parse whose answer was lost, another request's
    /// preparation, a session a pooler handed over); closing a name the server lacks is no
    /// error. An error when the text cannot be sent (protocol::encode_parse).
    boost::system::error_code encode_prepare(protocol::write_buffer& out) const;
};

/// An LRU cache of cached_statement, at most `capacity` entries. Evicting a prepared statement
/// queues its name for a Close, which the request that evicted it carries (or the next request
/// through the cache: see pending_closes): never a round trip of its own.
///
/// Runs on the connection's executor only.
class statement_cache {
public:
    explicit statement_cache(std::size_t capacity = 0)
        : capacity_(capacity) {}

    /// The number of entries it keeps (0: none, the cache is off).
    std::size_t capacity() const noexcept { return capacity_; }
    /// The number of entries now.
    std::size_t size() const noexcept { return lru_.size(); }
    /// Sets the capacity, evicting what no longer fits.
    void set_capacity(std::size_t capacity);

    /// The entry of `sql` with `types`, made the most recently used; null if there is none.
    std::shared_ptr<cached_statement> find(std::string_view sql,
                                           std::span<const protocol::oid> types);
    /// A new entry for `sql` with `types` (neither prepared nor described), the most recently
    /// used, evicting the least recently used beyond the capacity. Only after a find() that
    /// found none, and never for a statement that runs alone (detail::runs_alone: COPY, BEGIN):
    /// a statement found here is taken not to, without its first word being read again.
    std::shared_ptr<cached_statement> insert(std::string_view sql,
                                             std::span<const protocol::oid> types);
    /// Forgets `entry` (a later use of its text makes a new one); when `close` and it may be
    /// prepared on the server, its name is queued for a Close.
    void forget(cached_statement& entry, bool close);
    /// Forgets every entry without closing any: the server has none left (DISCARD ALL,
    /// DEALLOCATE ALL, a new session).
    void clear() noexcept;

    /// The names of the statements to close, in order (a request sends Close for each, before
    /// its own messages: Close of a name the server does not have is not an error).
    std::span<const std::string> pending_closes() const noexcept { return closes_; }
    /// The pending closes were sent.
    void closes_sent() noexcept { closes_.clear(); }
    /// Closes that were taken by a request dropped before it was sent: pending again, but for
    /// a name an entry has again (whose request closes it before preparing it anyway).
    void close_later(const std::vector<std::string>& names);

    /// The server-side name of the statement `key` (see cached_statement::name); empty when the
    /// digest fails.
    static std::string name_of(std::string_view key);

private:
    /// Builds the key of `sql` with `types` into scratch_: the types' count and OIDs, then the
    /// text (so that no two pairs share a key, whatever bytes the text holds).
    std::string_view key_of(std::string_view sql, std::span<const protocol::oid> types);
    void evict_beyond(std::size_t n);

    std::size_t capacity_;
    std::list<std::shared_ptr<cached_statement>> lru_; // most recently used first
    // Views into the keys of the entries in lru_.
    std::unordered_map<std::string_view, std::list<std::shared_ptr<cached_statement>>::iterator>
        index_;
    std::vector<std::string> closes_;
    std::string scratch_; // the key being looked up, kept to reuse its buffer
};

} // namespace pgasio::detail
