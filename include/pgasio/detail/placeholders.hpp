// Whether a statement's placeholders take the parameters given to it.
#pragma once

#include <pgasio/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace pgasio::detail {

/// Refuses parameters that no placeholder of `sql` takes: `count` values for a statement whose
/// highest placeholder ($n) is lower. The server would run such a statement (each parameter's
/// type is sent with it, so an unused one is no error there) and silently ignore the values at
/// the end, which usually means a mistake in the SQL or in the call. Placeholders are found by
/// lexing `sql` as the server does (see interpolate_params); `backslash_escapes`:
/// standard_conforming_strings is off. SQL that ends inside a string, identifier or comment is
/// not refused here (the server refuses it). A placeholder above the count is left to the server
/// too, which names it.
///
/// Returns client_errc::parameter_count_mismatch, with `why` naming the first parameter that no
/// placeholder takes.
error_code check_parameter_count(std::string_view sql, std::size_t count, bool backslash_escapes,
                                 std::string& why);

} // namespace pgasio::detail
