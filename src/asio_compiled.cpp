// The one translation unit that compiles Asio and Asio's OpenSSL layer for the whole program,
// when PGASIO_COMPILE_ASIO is on (the default; BOOST_ASIO_SEPARATE_COMPILATION is then defined
// for pgasio and everything that links it). Off, the application provides them (README).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
