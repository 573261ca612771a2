// Posting to a type-erased I/O executor without paying for its type erasure.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <utility>

namespace pgasio::detail {

/// Posts `f` to `ex`, as boost::asio::post does. When `ex` holds an io_context's executor (a
/// connection's or a pool's, unless they run on a strand), it is posted through that executor
/// itself: through the type-erased one, each post converts it three times (blocking.never,
/// relationship.fork, the allocator), each a call through a function pointer and a copy, which
/// costs about as much as the rest of the post. Completions posted at once (an idle pooled
/// connection leased, a lease's hand-over) pay this on every call.
template <class F>
void post_to(const boost::asio::any_io_executor& ex, F&& f) {
    if (auto* io = ex.target<boost::asio::io_context::executor_type>())
        return boost::asio::post(*io, std::forward<F>(f));
    boost::asio::post(ex, std::forward<F>(f));
}

} // namespace pgasio::detail
