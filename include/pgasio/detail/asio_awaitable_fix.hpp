// A fix for Asio 1.26 (Boost 1.81): co_await of an operation whose completion signature is
// void(std::exception_ptr, T) does not compile there (awaitable_async_op_handler::resume tests
// `*result` instead of `*result.ex_`; fixed in Asio 1.27). pgasio's default token produces
// exactly that signature, so the corrected handler is supplied here, for the executor that
// asio::awaitable uses by default. Nothing is changed on Asio versions that have the fix.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/version.hpp>

#include <exception>
#include <utility>

#if BOOST_ASIO_VERSION < 102700

namespace boost::asio::detail {

template <typename T>
class awaitable_async_op_handler<void(std::exception_ptr, T), any_io_executor>
    : public awaitable_thread<any_io_executor> {
public:
    struct result_type {
        std::exception_ptr* ex_;
        T* value_;
    };

    awaitable_async_op_handler(awaitable_thread<any_io_executor>* h, result_type& result)
        : awaitable_thread<any_io_executor>(std::move(*h))
        , result_(result) {}

    void operator()(std::exception_ptr ex, T value) {
        result_.ex_ = &ex;
        result_.value_ = &value;
        this->entry_point()->top_of_stack_->attach_thread(this);
        this->entry_point()->top_of_stack_->clear_cancellation_slot();
        this->pump();
    }

    static T resume(result_type& result) {
        if (*result.ex_) {
            std::exception_ptr ex = std::exchange(*result.ex_, nullptr);
            std::rethrow_exception(ex);
        }
        return std::move(*result.value_);
    }

private:
    result_type& result_;
};

} // namespace boost::asio::detail

#endif
