#include <pgasio/detail/pod_buffer.hpp>

#include <cstdlib>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace pgasio::detail {

namespace {

// Below this, malloc serves the block (it is cheap and keeps small results compact).
constexpr std::size_t map_threshold = std::size_t{1} << 20;

} // namespace

void grow_raw_storage(raw_storage& s, std::size_t used, std::size_t bytes) {
    if (bytes <= s.bytes) return;
#if defined(__linux__)
    if (bytes >= map_threshold) {
        constexpr std::size_t page = 4096;
        bytes = (bytes + page - 1) / page * page;
        if (s.mapped) {
            // The kernel moves the pages (no copy of the bytes) when it cannot grow in place.
            void* p = ::mremap(s.data, s.bytes, bytes, MREMAP_MAYMOVE);
            if (p == MAP_FAILED) throw std::bad_alloc();
            s.data = p;
        } else {
            void* p =
                ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) throw std::bad_alloc();
            if (used != 0) std::memcpy(p, s.data, used);
            std::free(s.data);
            s.data = p;
            s.mapped = true;
        }
        s.bytes = bytes;
        return;
    }
#endif
    (void)used; // realloc keeps the whole old block
    void* p = std::realloc(s.data, bytes);
    if (p == nullptr) throw std::bad_alloc();
    s.data = p;
    s.bytes = bytes;
}

void free_raw_storage(raw_storage& s) noexcept {
#if defined(__linux__)
    if (s.mapped) {
        ::munmap(s.data, s.bytes);
        s = {};
        return;
    }
#endif
    std::free(s.data);
    s = {};
}

} // namespace pgasio::detail
