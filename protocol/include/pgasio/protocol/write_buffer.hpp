// The growable byte buffer every encoder appends to.
#pragma once

#include <pgasio/protocol/detail/big_endian.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

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
    write_buffer() = default;
    /// A copy of `other`'s bytes.
    write_buffer(const write_buffer& other) { put_bytes(other.data()); }
    /// Takes over `other`'s bytes; the source is left empty.
    write_buffer(write_buffer&& other) noexcept
        : bytes_(std::move(other.bytes_))
        , size_(std::exchange(other.size_, 0))
        , capacity_(std::exchange(other.capacity_, 0)) {}
    /// Takes over `other`'s bytes.
    write_buffer& operator=(write_buffer other) noexcept {
        swap(other);
        return *this;
    }

    /// The bytes appended since the last clear().
    std::span<const std::byte> data() const noexcept { return {bytes_.get(), size_}; }
    /// The number of elements.
    std::size_t size() const noexcept { return size_; }
    /// True when nothing was written.
    bool empty() const noexcept { return size_ == 0; }
    /// Forgets the contents but keeps the allocation.
    void clear() noexcept { size_ = 0; }
    /// Drops everything after the first `n` bytes (used to undo a message that failed to encode).
    void truncate(std::size_t n) noexcept {
        if (n < size_) size_ = n;
    }
    /// Removes the bytes [first, last) (a queued message that will not be sent after all).
    void erase(std::size_t first, std::size_t last) noexcept {
        std::memmove(bytes_.get() + first, bytes_.get() + last, size_ - last);
        size_ -= last - first;
    }
    /// Inserts `b` before the byte at `at` (a message sent again, ahead of those not yet sent).
    /// `b` must not point into this buffer.
    void insert(std::size_t at, std::span<const std::byte> b) {
        const std::size_t tail = size_ - at;
        extend(b.size());
        std::memmove(bytes_.get() + at + b.size(), bytes_.get() + at, tail);
        if (!b.empty()) std::memcpy(bytes_.get() + at, b.data(), b.size());
    }
    /// Exchanges contents with `other` (the engine swaps the queue it fills and the one being
    /// written, so neither reallocates).
    void swap(write_buffer& other) noexcept {
        std::swap(bytes_, other.bytes_);
        std::swap(size_, other.size_);
        std::swap(capacity_, other.capacity_);
    }
    /// Makes room for `n` bytes in all, so that appends up to that size do not allocate.
    void reserve(std::size_t n) {
        if (n > capacity_) reallocate(n);
    }

    /// Appends one byte.
    void put_u8(std::uint8_t v) { *extend(1) = static_cast<std::byte>(v); }
    /// Appends one byte.
    void put_byte(std::byte v) { *extend(1) = v; }
    /// Appends `v` in big-endian order.
    void put_i16(std::int16_t v) { put_u16(static_cast<std::uint16_t>(v)); }
    /// Appends `v` in big-endian order.
    void put_u16(std::uint16_t v) { detail::store_big(extend(sizeof v), v); }
    /// Appends `v` in big-endian order.
    void put_i32(std::int32_t v) { put_u32(static_cast<std::uint32_t>(v)); }
    /// Appends `v` in big-endian order.
    void put_u32(std::uint32_t v) { detail::store_big(extend(sizeof v), v); }
    /// Appends `v` in big-endian order.
    void put_i64(std::int64_t v) { put_u64(static_cast<std::uint64_t>(v)); }
    /// Appends `v` in big-endian order.
    void put_u64(std::uint64_t v) { detail::store_big(extend(sizeof v), v); }
    /// Appends the bytes `b`.
    void put_bytes(std::span<const std::byte> b) {
        if (!b.empty()) std::memcpy(extend(b.size()), b.data(), b.size());
    }
    /// Appends the characters of `s` without a terminator.
    void put_string(std::string_view s) { put_bytes(std::as_bytes(std::span(s))); }
    /// Appends `s` and a NUL byte. The caller checks that `s` holds no NUL (see encoders).
    void put_cstring(std::string_view s) {
        std::byte* p = extend(s.size() + 1);
        if (!s.empty()) std::memcpy(p, s.data(), s.size());
        p[s.size()] = std::byte{0};
    }

    /// Appends a 4-byte placeholder for a length and returns its offset, for `end_length`.
    std::size_t begin_length() {
        const std::size_t at = size_;
        extend(4);
        return at;
    }
    /// Writes, at the placeholder made by `begin_length`, the number of bytes from it to the end
    /// (the placeholder included, as PostgreSQL's message lengths count themselves).
    void end_length(std::size_t at) noexcept {
        patch_i32(at, static_cast<std::int32_t>(size_ - at));
    }
    /// Overwrites 4 bytes at `at` with `v` in network byte order.
    void patch_i32(std::size_t at, std::int32_t v) noexcept {
        detail::store_big(bytes_.get() + at, static_cast<std::uint32_t>(v));
    }

private:
    // Room for `n` more bytes, counted as written; the caller fills them. Encoding a message is
    // a run of small appends: each is a capacity check and a store, not a vector insert.
    std::byte* extend(std::size_t n) {
        if (capacity_ - size_ < n)
            reallocate(std::max({size_ + n, 2 * capacity_, initial_capacity}));
        std::byte* p = bytes_.get() + size_;
        size_ += n;
        return p;
    }
    void reallocate(std::size_t capacity) {
        auto bigger = std::make_unique_for_overwrite<std::byte[]>(capacity);
        if (size_ != 0) std::memcpy(bigger.get(), bytes_.get(), size_);
        bytes_ = std::move(bigger);
        capacity_ = capacity;
    }

    static constexpr std::size_t initial_capacity = 256;

    std::unique_ptr<std::byte[]> bytes_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

} // namespace pgasio::protocol
