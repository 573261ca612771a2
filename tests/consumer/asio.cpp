// The application's one translation unit of compiled Asio and Asio's OpenSSL layer (its build
// defines BOOST_ASIO_SEPARATE_COMPILATION everywhere, and pgasio is built without its own copy).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
