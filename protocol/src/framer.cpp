#include <pgasio/protocol/framer.hpp>

#include <cstring>

namespace pgasio::protocol {

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
    // One large message must not pin its buffer for the life of the session: once it has been
    // consumed, a buffer far larger than what is left and asked for goes back to that size.
    constexpr std::size_t keep_up_to = std::size_t{1} << 20;
    if (buf_.size() > keep_up_to && 4 * (end_ + min_size) < buf_.size()) {
        std::vector<std::byte> smaller(end_ + min_size);
        if (end_ > 0) std::memcpy(smaller.data(), buf_.data(), end_);
        buf_ = std::move(smaller);
    }
    if (buf_.size() - end_ < min_size) buf_.resize(end_ + min_size);
    return std::span<std::byte>(buf_).subspan(end_);
}

void framer::commit(std::size_t n) noexcept {
    end_ += n;
}

std::optional<std::byte> framer::take_byte() noexcept {
    if (begin_ == end_) return std::nullopt;
    return buf_[begin_++];
}

} // namespace pgasio::protocol
