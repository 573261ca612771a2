// The error category of server errors: one error_code value per SQLSTATE.
#pragma once

#include <pgasio/protocol/sqlstate.hpp>

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

#include <string_view>

namespace pgasio::protocol {

/// The category of errors reported by the server, named "pgasio.sqlstate". A value's message is
/// the SQLSTATE and its condition name, e.g. "23505 unique_violation".
const boost::system::error_category& sqlstate_category() noexcept;

/// Makes an error_code from a sqlstate enumerator (found by argument-dependent lookup).
inline boost::system::error_code make_error_code(sqlstate s) noexcept {
    return {static_cast<int>(s), sqlstate_category()};
}

/// The error_code for a SQLSTATE as the server sent it (e.g. "40001"). A malformed code (not five
/// characters from 0-9A-Z) maps to sqlstate::internal_error ("XX000"), since the server said
/// something went wrong but not what.
boost::system::error_code make_sqlstate_error(std::string_view code) noexcept;

/// The condition name of a SQLSTATE ("unique_violation" for "23505"), or an empty view for a code
/// this version of pgasio does not know.
std::string_view sqlstate_condition_name(std::string_view code) noexcept;

/// The SQLSTATE class: the first two characters ("23" for integrity constraint violations).
inline std::string_view sqlstate_class(std::string_view code) noexcept {
    return code.substr(0, 2);
}

} // namespace pgasio::protocol
