// Bounds-checked big-endian reading of a message body, with a sticky error.
#pragma once

#include <pgasio/protocol/detail/big_endian.hpp>
#include <pgasio/protocol/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace pgasio::protocol::detail {

/// Reads fields from a byte span front to back. A read past the end (or a string without its NUL)
/// records the first error and yields zero / empty from then on, so a decoder reads every field
/// unconditionally and checks `error()` once at the end. Nothing here can read out of bounds.
class byte_reader {
public:
    explicit byte_reader(std::span<const std::byte> bytes) noexcept
        : rest_(bytes) {}

    std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(be<std::uint8_t>()); }
    std::int16_t i16() noexcept { return static_cast<std::int16_t>(be<std::uint16_t>()); }
    std::uint16_t u16() noexcept { return be<std::uint16_t>(); }
    std::int32_t i32() noexcept { return static_cast<std::int32_t>(be<std::uint32_t>()); }
    std::uint32_t u32() noexcept { return be<std::uint32_t>(); }
    std::int64_t i64() noexcept { return static_cast<std::int64_t>(be<std::uint64_t>()); }
    std::uint64_t u64() noexcept { return be<std::uint64_t>(); }

    /// The next `n` bytes, or an empty span (and truncated_message) if fewer remain.
    std::span<const std::byte> bytes(std::size_t n) noexcept {
        if (ec_ || n > rest_.size()) {
            fail(client_errc::truncated_message);
            return {};
        }
        auto out = rest_.first(n);
        rest_ = rest_.subspan(n);
        return out;
    }

    /// A NUL-terminated string (the NUL is consumed, not returned).
    std::string_view cstring() noexcept {
        if (ec_) return {};
        const void* nul = std::memchr(rest_.data(), 0, rest_.size());
        if (!nul) {
            fail(client_errc::missing_terminator);
            return {};
        }
        const auto len =
            static_cast<std::size_t>(static_cast<const std::byte*>(nul) - rest_.data());
        std::string_view out(reinterpret_cast<const char*>(rest_.data()), len);
        rest_ = rest_.subspan(len + 1);
        return out;
    }

    /// Everything not read yet (consumed).
    std::span<const std::byte> rest() noexcept {
        auto out = rest_;
        rest_ = {};
        return out;
    }

    std::size_t remaining() const noexcept { return rest_.size(); }
    bool empty() const noexcept { return rest_.empty(); }

    /// Records `e` unless an error is already recorded.
    void fail(client_errc e) noexcept {
        if (!ec_) ec_ = e;
        rest_ = {};
    }

    /// The first error, or a default error_code when every read succeeded.
    boost::system::error_code error() const noexcept {
        return ec_ ? make_error_code(*ec_) : boost::system::error_code{};
    }
    /// The first error; else trailing_bytes if unread bytes remain; else success.
    boost::system::error_code finish() const noexcept {
        if (ec_) return make_error_code(*ec_);
        if (!rest_.empty()) return make_error_code(client_errc::trailing_bytes);
        return {};
    }

private:
    template <class U>
    U be() noexcept {
        if (ec_ || rest_.size() < sizeof(U)) {
            fail(client_errc::truncated_message);
            return 0;
        }
        const U v = load_big<U>(rest_.data());
        rest_ = rest_.subspan(sizeof(U));
        return v;
    }

    std::span<const std::byte> rest_;
    std::optional<client_errc> ec_;
};

} // namespace pgasio::protocol::detail
