// Errors from parsing or validating a connection configuration.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/is_error_code_enum.hpp>

#include <iosfwd>
#include <stdexcept>
#include <string>

namespace pgasio {

/// What was wrong with a configuration. The accompanying config_error::message names the
/// offending parameter and value (never a password's value). The numeric values are stable.
enum class config_errc : int {
    invalid_syntax = 1,       ///< a key=value string is malformed (missing '=', unterminated quote)
    invalid_uri,              ///< a postgresql:// URI is malformed
    invalid_percent_encoding, ///< a '%' not followed by two hex digits, or %00, in a URI
    unknown_parameter,        ///< a parameter name pgasio does not know
    unsupported_parameter,    ///< a libpq parameter or value that pgasio deliberately lacks
    invalid_value,            ///< a parameter's value is not one it accepts
    list_length_mismatch,     ///< host, hostaddr and port lists whose lengths do not match
    conflicting_settings,     ///< settings that are valid alone but not together
    unknown_user,             ///< no user given and the operating system's user name is unknown
};

/// The category of config_errc values: name "pgasio.config".
const boost::system::error_category& config_category() noexcept;

/// Makes an error_code from a config_errc (found by argument-dependent lookup).
inline boost::system::error_code make_error_code(config_errc e) noexcept {
    return {static_cast<int>(e), config_category()};
}

/// A configuration error: a code to branch on and a message for people.
///
/// The message is complete on its own, e.g. `port 'abc' is not a number` or `invalid sslmode value
/// 'strict' (expected disable, allow, prefer, require, verify-ca or verify-full)`. It quotes the
/// values it complains about, except secrets: for `password` and `sslpassword` it only names the
/// parameter, and it never quotes text from a URI's user information.
struct config_error {
    boost::system::error_code code; ///< a config_errc
    std::string message;            ///< what is wrong, naming the parameter and value

    /// Whether both designate the same element.
    friend bool operator==(const config_error&, const config_error&) = default;
};

/// Writes the message.
std::ostream& operator<<(std::ostream& os, const config_error& e);

/// The exception thrown by `boost::system::result<T, config_error>::value()` on an error: what()
/// is the config_error's message.
class config_exception : public std::runtime_error {
public:
    /// Carries `e`'s code and message.
    explicit config_exception(const config_error& e);
    /// The config_errc of the error.
    [[nodiscard]] const boost::system::error_code& code() const noexcept { return code_; }

private:
    boost::system::error_code code_;
};

/// Throws config_exception; boost::system::result calls it (found by argument-dependent lookup)
/// when value() is called on an error.
[[noreturn]] void throw_exception_from_error(const config_error& e,
                                             const boost::source_location& loc);

} // namespace pgasio

template <>
struct boost::system::is_error_code_enum<pgasio::config_errc> : std::true_type {};
