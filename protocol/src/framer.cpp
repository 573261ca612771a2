#include <pgasio/protocol/detail/big_endian.hpp>
#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/framer.hpp>

#include <cstring>

namespace pgasio::protocol {

namespace {
constexpr std::size_t header_size = 5; // type byte + int32 length
} // namespace

framer::framer(std::size_t max_message_size)
    : max_message_size_(max_message_size) {}

std::span<std::byte> framer::prepare(std::size_t min_size) {
    // Move the unread tail to the front first: consumed messages are garbage now.
    if (begin_ > 0) {
        const std::size_t live = end_ - begin_;
        if (live > 0) std::memmove(buf_.data(), buf_.data() + begin_, live);
        begin_ = 0;
        end_ = live;
    }
    if (buf_.size() - end_ < min_size) buf_.resize(end_ + min_size);
    return std::span<std::byte>(buf_).subspan(end_);
}

void framer::commit(std::size_t n) noexcept {
    end_ += n;
}

boost::system::result<std::optional<message_view>> framer::next() noexcept {
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

std::optional<std::byte> framer::take_byte() noexcept {
    if (begin_ == end_) return std::nullopt;
    return buf_[begin_++];
}

} // namespace pgasio::protocol
