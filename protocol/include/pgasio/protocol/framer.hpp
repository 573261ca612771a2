// Cutting the server's byte stream into whole messages.
#pragma once

#include <pgasio/protocol/backend_message_type.hpp>
#include <pgasio/protocol/detail/big_endian.hpp>
#include <pgasio/protocol/error.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace pgasio::protocol {

/// A whole backend message: its type byte and its body (the bytes after the length field).
///
/// The body is a view into the framer's buffer: valid until the next call to `prepare()` or
/// `next()` on the framer that produced it.
struct message_view {
    /// The message's type.
    backend_message_type type;
    /// Its body: the bytes after the length field.
    std::span<const std::byte> body;
};

/// Incremental framer for the backend byte stream: bytes go in, whole messages come out.
///
/// Bytes may arrive in any chunking, one byte at a time included. The framer owns one read
/// buffer; the transport reads into `prepare()`, reports the count with `commit()`, then calls
/// `next()` until it says more bytes are needed. Messages are views into the buffer: nothing is
/// copied or allocated per message. The buffer grows only with bytes that actually arrived, never
/// to a length the peer merely announced, and a message longer than `max_message_size` is refused
/// as soon as its header is seen.
///
/// Errors from `next()` (message_too_large, invalid_message_length, unknown_message_type) mean the
/// stream can no longer be trusted: the framer stays failed and the connection must be closed.
///
/// @code
/// framer f;
/// for (;;) {
///     auto space = f.prepare(16 * 1024);
///     f.commit(read(socket, space));
///     while (true) {
///         auto msg = f.next();
///         if (!msg) return msg.error();       // malformed stream
///         if (!*msg) break;                   // need more bytes
///         handle(**msg);
///     }
/// }
/// @endcode
class framer {
public:
    /// The default maximum message size: 1 GiB, PostgreSQL's own limit for a single value.
    static constexpr std::size_t default_max_message_size = std::size_t{1} << 30;

    /// A framer refusing messages longer than `max_message_size`.
    explicit framer(std::size_t max_message_size = default_max_message_size);

    /// A writable region of at least `min_size` bytes at the end of the buffered data. Invalidates
    /// every message_view handed out before. Consumed messages are discarded here (the unread tail
    /// moves to the front), so the buffer stays as large as the largest message plus one read.
    std::span<std::byte> prepare(std::size_t min_size);

    /// Records that `n` bytes were written into the region returned by the last `prepare()`.
    void commit(std::size_t n) noexcept;

    /// The next whole message; an empty optional when more bytes are needed; or an error.
    boost::system::result<std::optional<message_view>> next() noexcept;

    /// Takes one raw byte from the stream, for the single-byte answers to SSLRequest and
    /// GSSENCRequest that precede framing. Empty when no byte is buffered.
    std::optional<std::byte> take_byte() noexcept;

    /// Bytes buffered but not yet returned as messages. A non-zero value after the answer to
    /// SSLRequest means the server (or a man in the middle) sent plaintext that must not be
    /// trusted once TLS starts (CVE-2021-23222).
    std::size_t buffered() const noexcept { return end_ - begin_; }

    /// The longest message accepted.
    std::size_t max_message_size() const noexcept { return max_message_size_; }
    /// The body size the next message's header announces, or 0 when its header has not all
    /// arrived: after message_too_large, the size that was refused.
    std::size_t announced_size() const noexcept {
        if (end_ - begin_ < 5) return 0;
        const auto length = detail::load_big<std::uint32_t>(buf_.data() + begin_ + 1);
        return length < 4 ? 0 : std::size_t{length} - 4;
    }
    /// The bytes the read buffer holds allocated (it grows for a large message and shrinks back
    /// at the next prepare() once that message is consumed).
    std::size_t capacity() const noexcept { return buf_.size(); }

private:
    std::vector<std::byte> buf_;
    std::size_t begin_ = 0; // first byte not yet returned
    std::size_t end_ = 0;   // one past the last byte committed
    std::size_t max_message_size_;
    boost::system::error_code failed_;
};

// Inline: called once per message, millions of times for a large result.
inline boost::system::result<std::optional<message_view>> framer::next() noexcept {
    constexpr std::size_t header_size = 5; // type byte + int32 length
    if (failed_) return failed_;
    const std::size_t available = end_ - begin_;
    if (available == 0) return std::optional<message_view>{};
    const std::byte* p = buf_.data() + begin_;

    // The type byte is checked as soon as it arrives: an unknown one means we are not reading
    // a PostgreSQL stream (or lost our place in it), and waiting for a length would be pointless.
    const char type = static_cast<char>(p[0]);
    if (!is_backend_message_type(type)) return failed_ = client_errc::unknown_message_type;
    if (available < header_size) return std::optional<message_view>{};

    const auto length = detail::load_big<std::uint32_t>(p + 1);
    // The length counts itself but not the type byte. It is refused here, before any byte of
    // the body is awaited, so a hostile length never makes us buffer (or allocate) anything.
    if (length < 4 || length > 0x7FFFFFFFu) return failed_ = client_errc::invalid_message_length;
    if (length - 4 > max_message_size_) return failed_ = client_errc::message_too_large;
    const std::size_t total = 1 + std::size_t{length};
    if (available < total) return std::optional<message_view>{};

    begin_ += total;
    return std::optional<message_view>{
        message_view{static_cast<backend_message_type>(type), {p + header_size, length - 4}}};
}

} // namespace pgasio::protocol
