// The response to AuthenticationMD5Password.
#pragma once

#include <boost/system/result.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace pgasio::protocol {

/// The password field of the PasswordMessage that answers AuthenticationMD5Password:
/// "md5" followed by the lowercase hex of md5(hex(md5(password + user)) + salt), as PostgreSQL
/// computes it (the user name is the salt of the stored hash; `salt` is the 4 random bytes of the
/// request). The password is used as given, without SASLprep.
///
/// Errors: client_errc::crypto_failure when OpenSSL cannot compute MD5 (e.g. a FIPS-only
/// provider configuration).
///
/// Example: md5_password_response("postgres", "secret", salt) == "md5" + 32 hex digits.
boost::system::result<std::string> md5_password_response(std::string_view user,
                                                         std::string_view password,
                                                         std::span<const std::byte, 4> salt);

} // namespace pgasio::protocol
