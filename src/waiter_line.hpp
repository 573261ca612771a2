// The line of a pool's waiters, which knows how many of them wait for a lease.
#pragma once

#include <pgasio/detail/pool_waiter.hpp>

#include <cstddef>
#include <deque>
#include <memory>
#include <utility>

namespace pgasio::detail {

/// A pool's waiters, first come first served (used under the pool's lock). The waiters for a
/// lease (pool_waiter::exclusive) are counted as they come and go: the pool asks at every
/// hand-over of a connection, and a busy pool's line is long (64 clients of 8 connections keep
/// 56 in it), so a walk through it each time cost more than the rest of the hand-over.
class waiter_line {
public:
    using waiters = std::deque<std::unique_ptr<pool_waiter>>;
    using const_iterator = waiters::const_iterator;

    bool empty() const noexcept { return line_.empty(); }
    std::size_t size() const noexcept { return line_.size(); }
    /// How many wait for a lease.
    std::size_t exclusive() const noexcept { return exclusive_; }
    /// How many wait for a connection to take a shared request.
    std::size_t shared() const noexcept { return line_.size() - exclusive_; }

    /// The first and the last waiter (the line is not empty).
    pool_waiter& front() const noexcept { return *line_.front(); }
    pool_waiter& back() const noexcept { return *line_.back(); }

    // Read-only: a waiter taken or put back other than through this class would not be counted.
    const_iterator begin() const noexcept { return line_.begin(); }
    const_iterator end() const noexcept { return line_.end(); }

    /// Puts `w` at the end of the line.
    void push_back(std::unique_ptr<pool_waiter> w) {
        const bool counted = w->exclusive;
        line_.push_back(std::move(w)); // counted once it is in: the push may throw
        exclusive_ += counted ? 1U : 0U;
    }
    /// Puts `w` at the head of the line (back in line after a failed check).
    void push_front(std::unique_ptr<pool_waiter> w) {
        const bool counted = w->exclusive;
        line_.push_front(std::move(w));
        exclusive_ += counted ? 1U : 0U;
    }
    /// Takes the first waiter out of the line (which is not empty).
    std::unique_ptr<pool_waiter> take_front() {
        auto w = std::move(line_.front());
        line_.pop_front();
        exclusive_ -= w->exclusive ? 1U : 0U;
        return w;
    }
    /// Takes the waiter at `it` out of the line; `it` then refers to the one after it.
    std::unique_ptr<pool_waiter> take(const_iterator& it) {
        const auto at = line_.begin() + (it - line_.cbegin());
        auto w = std::move(*at);
        it = line_.erase(at);
        exclusive_ -= w->exclusive ? 1U : 0U;
        return w;
    }
    /// Takes every waiter out of the line, in its order. Errors: std::bad_alloc (an empty
    /// deque allocates), the line then unchanged.
    waiters take_all() {
        waiters all;
        all.swap(line_);
        exclusive_ = 0;
        return all;
    }

private:
    waiters line_;
    std::size_t exclusive_ = 0;
};

} // namespace pgasio::detail
