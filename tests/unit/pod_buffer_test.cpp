#include <pgasio/detail/pod_buffer.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <numeric>
#include <vector>

using pgasio::detail::pod_buffer;

namespace {

// 0, 1, 2, ... as 32-bit values, the shape of a result's offsets.
std::vector<std::uint32_t> iota(std::size_t n) {
    std::vector<std::uint32_t> v(n);
    std::iota(v.begin(), v.end(), 0u);
    return v;
}

bool holds(const pod_buffer<std::uint32_t>& b, std::size_t n) {
    if (b.size() != n) return false;
    for (std::size_t i = 0; i < n; ++i)
        if (b.data()[i] != i) return false;
    return true;
}

} // namespace

TEST_CASE("pod_buffer keeps its elements while growing past the mapped-storage threshold") {
    // 3 MiB of elements: malloc storage first, then an mmap'd block grown by mremap.
    const auto values = iota(3 * 1024 * 1024 / sizeof(std::uint32_t));
    pod_buffer<std::uint32_t> b;
    CHECK(b.empty());
    for (std::size_t i = 0; i < values.size(); i += 1000)
        b.append(values.data() + i, std::min<std::size_t>(1000, values.size() - i));
    CHECK(holds(b, values.size()));
    CHECK(b.capacity() >= b.size());
}

TEST_CASE("pod_buffer copies, moves and takes in elements written in place") {
    const auto values = iota(600'000); // 2.4 MB: mapped storage
    pod_buffer<std::uint32_t> big;
    big.append(values.data(), values.size());
    pod_buffer<std::uint32_t> small;
    small.push_back(0);
    small.push_back(1);

    pod_buffer<std::uint32_t> copy = big;
    CHECK(holds(copy, values.size()));
    CHECK(copy.data() != big.data());

    pod_buffer<std::uint32_t> moved = std::move(copy);
    CHECK(holds(moved, values.size()));
    CHECK(copy.empty()); // NOLINT: a moved-from buffer is empty

    moved = small;
    CHECK(holds(moved, 2));
    small = std::move(big);
    CHECK(holds(small, values.size()));

    // Elements written in place past the end count once taken in.
    const auto n = static_cast<std::uint32_t>(small.size());
    small.reserve_more(2);
    small.data()[n] = n;
    small.data()[n + 1] = n + 1;
    CHECK(holds(small, n));
    small.append_written(2);
    CHECK(holds(small, n + 2));
}
