// Whether a statement's placeholders take the parameters given to it.
#pragma once

#include <pgasio/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace pgasio::detail {

/// Refuses `count` parameters that do not fit the placeholders of `sql`, as the simple protocol's
/// interpolate_params does, so that every query mode refuses the same calls:
/// - a placeholder with no parameter ($0, or $3 with two): the server would refuse the Bind
///   with an ERROR 08P01 naming the statement (one of the cache's, which the caller never
///   named), and inside a transaction block that error would abort the transaction;
/// - parameters past the highest placeholder: the server would run such a statement (each
///   parameter's type is sent with it, so an unused one is no error there) and silently ignore
///   the values at the end, which usually means a mistake in the SQL or in the call.
///
/// Placeholders are found by lexing `sql` as the server does (see interpolate_params);
/// `backslash_escapes`: standard_conforming_strings is off. Parameters past the last placeholder
/// of SQL that ends inside a string, identifier or comment are not refused here (its
/// placeholders cannot all be known, and the server refuses it).
///
/// Returns client_errc::parameter_count_mismatch, with `why` naming the first placeholder with
/// no parameter, or else the first parameter that no placeholder takes.
error_code check_parameter_count(std::string_view sql, std::size_t count, bool backslash_escapes,
                                 std::string& why);

} // namespace pgasio::detail
