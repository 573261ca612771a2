// SASLprep (RFC 4013) of a SCRAM password, exactly as PostgreSQL applies it.
#pragma once

#include <string>
#include <string_view>

namespace pgasio::protocol {

/// The password bytes that SCRAM-SHA-256 hashes for `password`, as PostgreSQL's
/// src/common/saslprep.c prepares them on both sides (libpq and the server that stored the
/// verifier), so that the two compute the same salted password:
///
/// - pure ASCII (control characters included): used as is;
/// - otherwise, if it is valid UTF-8: non-ASCII spaces become U+0020, "commonly mapped to nothing"
///   characters are removed, then the result is NFKC-normalised. If the mapped string is empty,
///   or contains a prohibited (RFC 4013 §2.3) or unassigned (Unicode 3.2) code point, or breaks
///   the bidirectional rule (RFC 3454 §6), the raw password is used instead. As in PostgreSQL,
///   those checks look at the mapped string before normalisation;
/// - invalid UTF-8: the raw bytes are used.
///
/// Never fails. Unlike libpq, passwords longer than 1024 bytes are prepared too (libpq refuses
/// them with "out of memory"). Intermediate buffers are sized up front and wiped with
/// OPENSSL_cleanse; the returned string is the caller's to wipe.
///
/// Example: saslprep("I\u00ADX") == "IX"; saslprep("\u2168") == "IX"; saslprep("\u0627" "1")
/// returns the input unchanged.
std::string saslprep(std::string_view password);

} // namespace pgasio::protocol
