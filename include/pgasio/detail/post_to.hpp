// Posting to a type-erased I/O executor without paying for its type erasure.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <utility>

namespace pgasio::detail {

/// Posts `f` to `ex`, as boost::asio::post does. When `ex` holds an io_context's executor (a
/// connection's or a pool's, unless they run on a strand), it is posted through that executor
/// itself. Through the type-erased one, each post converts the executor twice (blocking.never,
/// relationship.fork: a call through a function pointer and a copy each) and wraps `f` in a
/// type-erased function object of its own, allocated, before the io_context wraps it in its
/// operation: about as much as the rest of the post. The engine's own posts (its read loop, a
/// write held for the next section, a cancellation handed to its executor), posted completions
/// and a pool's hand-over of a lease go through here; rarer paths elsewhere (a COPY's or a
/// stream's stop, a notification, a failed wait for a pooled connection) use boost::asio::post.
template <class F>
void post_to(const boost::asio::any_io_executor& ex, F&& f) {
    if (auto* io = ex.target<boost::asio::io_context::executor_type>())
        return boost::asio::post(*io, std::forward<F>(f));
    boost::asio::post(ex, std::forward<F>(f));
}

} // namespace pgasio::detail
