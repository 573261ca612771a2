// The password file (~/.pgpass), read as libpq reads it.
#pragma once

#include <pgasio/config.hpp>
#include <pgasio/secret_string.hpp>

#include <string>

namespace pgasio {

/// What lookup_password() found.
struct password_lookup {
    /// The password to use; empty when there is none.
    secret_string password;
    /// Set when the password file exists but was ignored, saying why (group or world access, not
    /// a plain file): libpq prints such a warning and carries on, so the caller should log it.
    std::string warning;
};

/// The password for connecting to `host` with `cfg`: `cfg.password` when it is not empty,
/// otherwise the first matching line of the password file `cfg.passfile`.
///
/// The file's lines are `hostname:port:database:username:password`; each of the first four
/// fields may be `*` (anything) and `\:` and `\\` escape a colon and a backslash; empty lines and
/// lines starting with '#' are skipped; the first matching line wins. The host compared is
/// `host.host`, or `host.hostaddr` when host is empty; a unix socket in the default directory
/// (default_unix_socket_directory) is compared as `localhost`, as libpq does. The database is
/// `cfg.dbname` and the user `cfg.user`.
///
/// The file is ignored, with a warning, when it is not a plain file or when its permissions give
/// any access to group or others (mode & 077): it holds passwords. A missing or unreadable file
/// is silently ignored. The file's bytes are wiped from memory after reading.
password_lookup lookup_password(const config& cfg, const host_spec& host);

} // namespace pgasio
