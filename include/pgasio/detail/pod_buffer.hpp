// A growable array of trivially copyable elements whose large storage grows without copying.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

namespace pgasio::detail {

/// Raw storage for pod_buffer. Small blocks come from malloc; from 1 MiB on (on Linux), a block
/// is an anonymous mapping of its own that the kernel grows in place or moves (mremap): growing
/// a large result never copies its bytes nor touches fresh pages for a copy, which is what
/// doubling a std::vector costs.
struct raw_storage {
    void* data = nullptr;
    std::size_t bytes = 0;    ///< capacity in bytes
    bool mapped = false;      ///< a mapping of its own rather than a malloc block
    std::size_t resident = 0; ///< bytes from the start known to be backed by memory
};

/// Grows `s` to at least `bytes` bytes, keeping the first `used` bytes. Throws std::bad_alloc.
void grow_raw_storage(raw_storage& s, std::size_t used, std::size_t bytes);
/// Makes the first `bytes` bytes of `s` (and, for a mapping, a step beyond) resident in one
/// call rather than one page fault per page.
void make_raw_storage_resident(raw_storage& s, std::size_t bytes) noexcept;
/// Frees `s` (leaves it empty).
void free_raw_storage(raw_storage& s) noexcept;

/// A vector for trivially copyable T (bytes, offsets) that grows by doubling, where a
/// large buffer is moved by the kernel rather than copied. Only what the result buffers need:
/// append, view.
template <class T>
class pod_buffer {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    pod_buffer() = default;
    pod_buffer(const pod_buffer& other) { append(other.data(), other.size()); }
    pod_buffer(pod_buffer&& other) noexcept
        : storage_(std::exchange(other.storage_, {}))
        , size_(std::exchange(other.size_, 0)) {}
    pod_buffer& operator=(const pod_buffer& other) {
        if (this != &other) *this = pod_buffer(other);
        return *this;
    }
    pod_buffer& operator=(pod_buffer&& other) noexcept {
        std::swap(storage_, other.storage_);
        std::swap(size_, other.size_);
        return *this;
    }
    // Results are moved along the completion path several times: an emptied buffer is released
    // without a call.
    ~pod_buffer() {
        if (storage_.data) free_raw_storage(storage_);
    }

    T* data() noexcept { return static_cast<T*>(storage_.data); }
    const T* data() const noexcept { return static_cast<const T*>(storage_.data); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::size_t capacity() const noexcept { return storage_.bytes / sizeof(T); }
    operator std::span<const T>() const noexcept { return {data(), size_}; }
    /// Forgets the elements but keeps the storage.
    void clear() noexcept { size_ = 0; }

    /// Makes room for `n` more elements (at least doubling), so that that many appends cannot
    /// allocate. Throws std::bad_alloc.
    void reserve_more(std::size_t n) {
        if (capacity() - size_ < n) {
            const std::size_t want = std::max({size_ + n, 2 * capacity(), 64 / sizeof(T)});
            grow_raw_storage(storage_, size_ * sizeof(T), want * sizeof(T));
        }
        if ((size_ + n) * sizeof(T) > storage_.resident)
            make_raw_storage_resident(storage_, (size_ + n) * sizeof(T));
    }
    /// Takes in the next `n` elements, which the caller has written at data() + size() (room
    /// must have been made with reserve_more).
    void append_written(std::size_t n) noexcept { size_ += n; }
    void push_back(T v) {
        reserve_more(1);
        data()[size_++] = v;
    }
    void append(const T* p, std::size_t n) {
        reserve_more(n);
        if (n != 0) std::memcpy(data() + size_, p, n * sizeof(T));
        size_ += n;
    }

private:
    raw_storage storage_;
    std::size_t size_ = 0;
};

} // namespace pgasio::detail
