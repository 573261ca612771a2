// The one translation unit that compiles Asio and Asio's OpenSSL layer for the whole library
// (BOOST_ASIO_SEPARATE_COMPILATION is defined for pgasio and everything that links it).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
