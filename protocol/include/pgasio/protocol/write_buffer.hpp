// The growable byte buffer every encoder appends to.
#pragma once

#include <pgasio/protocol/detail/big_endian.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace pgasio::protocol {

/// A contiguous, growable buffer of bytes to send, in network byte order.
///
/// Encoders append whole messages; the engine writes `data()` in one go and then calls `clear()`,
/// which keeps the capacity so that a steady workload stops allocating. Views returned by `data()`
/// are invalidated by any append.
///
/// @code
/// write_buffer buf;
/// encode_sync(buf);                 // appends 'S' 00 00 00 04
/// socket.write(buf.data()); buf.clear();
/// @endcode
class write_buffer {
public:
    /// The bytes appended since the last clear().
    std::span<const std::byte> data() const noexcept { return bytes_; }
    std::size_t size() const noexcept { return bytes_.size(); }
    bool empty() const noexcept { return bytes_.empty(); }
    /// Forgets the contents but keeps the allocation.
    void clear() noexcept { bytes_.clear(); }
    /// Drops everything after the first `n` bytes (used to undo a message that failed to encode).
    void truncate(std::size_t n) noexcept {
        if (n < bytes_.size()) bytes_.resize(n);
    }
    /// Removes the bytes [first, last) (a queued message that will not be sent after all).
    void erase(std::size_t first, std::size_t last) noexcept {
        bytes_.erase(bytes_.begin() + static_cast<std::ptrdiff_t>(first),
                     bytes_.begin() + static_cast<std::ptrdiff_t>(last));
    }
    /// Exchanges contents with `other` (the engine swaps the queue it fills and the one being
    /// written, so neither reallocates).
    void swap(write_buffer& other) noexcept { bytes_.swap(other.bytes_); }
    void reserve(std::size_t n) { bytes_.reserve(n); }

    void put_u8(std::uint8_t v) { bytes_.push_back(static_cast<std::byte>(v)); }
    void put_byte(std::byte v) { bytes_.push_back(v); }
    void put_i16(std::int16_t v) { put_be(static_cast<std::uint16_t>(v)); }
    void put_u16(std::uint16_t v) { put_be(v); }
    void put_i32(std::int32_t v) { put_be(static_cast<std::uint32_t>(v)); }
    void put_u32(std::uint32_t v) { put_be(v); }
    void put_i64(std::int64_t v) { put_be(static_cast<std::uint64_t>(v)); }
    void put_u64(std::uint64_t v) { put_be(v); }
    void put_bytes(std::span<const std::byte> b) {
        bytes_.insert(bytes_.end(), b.begin(), b.end());
    }
    /// Appends the characters of `s` without a terminator.
    void put_string(std::string_view s) {
        const auto* p = reinterpret_cast<const std::byte*>(s.data());
        bytes_.insert(bytes_.end(), p, p + s.size());
    }
    /// Appends `s` and a NUL byte. The caller checks that `s` holds no NUL (see encoders).
    void put_cstring(std::string_view s) {
        put_string(s);
        put_u8(0);
    }

    /// Appends a 4-byte placeholder for a length and returns its offset, for `end_length`.
    std::size_t begin_length() {
        const std::size_t at = bytes_.size();
        bytes_.resize(at + 4);
        return at;
    }
    /// Writes, at the placeholder made by `begin_length`, the number of bytes from it to the end
    /// (the placeholder included, as PostgreSQL's message lengths count themselves).
    void end_length(std::size_t at) noexcept {
        patch_i32(at, static_cast<std::int32_t>(bytes_.size() - at));
    }
    /// Overwrites 4 bytes at `at` with `v` in network byte order.
    void patch_i32(std::size_t at, std::int32_t v) noexcept {
        detail::store_big(bytes_.data() + at, static_cast<std::uint32_t>(v));
    }

private:
    template <class U>
    void put_be(U v) {
        const std::size_t at = bytes_.size();
        bytes_.resize(at + sizeof(U));
        detail::store_big(bytes_.data() + at, v);
    }

    std::vector<std::byte> bytes_;
};

} // namespace pgasio::protocol
