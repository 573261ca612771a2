#include <pgasio/detail/pod_buffer.hpp>

#include <algorithm>
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
            s.resident = used;
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
    s.resident = bytes; // malloc's business
}

void make_raw_storage_resident(raw_storage& s, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    if (s.mapped) {
        // 1 MiB at a time: 256 pages in one call instead of 256 faults, without making the
        // whole doubled capacity resident.
        constexpr std::size_t page = 4096;
        constexpr std::size_t step = std::size_t{1} << 20;
        const std::size_t begin = s.resident / page * page;
        const std::size_t end = std::min(s.bytes, (bytes + step + page - 1) / page * page);
        // Only advice: where it is refused, pages fault in one by one as before.
        (void)::madvise(static_cast<std::byte*>(s.data) + begin, end - begin, MADV_POPULATE_WRITE);
        s.resident = end;
        return;
    }
#endif
    s.resident = std::max(s.resident, bytes);
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
