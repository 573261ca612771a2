#include <pgasio/error.hpp>

#include <boost/asio/error.hpp>

#include <string>

namespace pgasio {

std::string format_error(const error_code& ec, const diagnostics& diag) {
    // Each thing said once: an explanation that already says what the code says (or that
    // only repeats it) is shown alone, not after the code's own text; one that the code's text
    // already holds is not shown.
    std::string out = ec.message();
    if (diag.message.find(out) != std::string::npos)
        out = diag.message;
    else if (!diag.message.empty() && out.find(diag.message) == std::string::npos)
        out += ": " + diag.message;
    // Where in the statement text the server found the fault (1-based, in characters), as
    // psql's LINE and caret show it.
    if (diag.position) out += " (at character " + std::to_string(*diag.position) + ")";
    if (!diag.detail.empty()) out += "\nDETAIL: " + diag.detail;
    if (!diag.hint.empty()) out += "\nHINT: " + diag.hint;
    return out;
}

bool is_fatal(const error_code& ec) noexcept {
    if (!ec) return false;
    if (ec.category() == sqlstate_category()) {
        char code[5];
        protocol::detail::unpack_sqlstate(ec.value(), code);
        const std::string_view s(code, 5);
        // 08P01 protocol_violation comes as an ERROR after which the session goes on (a Bind
        // with the wrong number of parameters, a malformed value in a message); when the server
        // ends the session with it (FATAL), the engine reports connection_closed instead.
        if (s == "08P01") return false;
        // Class 28 (invalid authorization: a refused password, no pg_hba.conf entry) comes only
        // from authentication, and the server closes the session after it.
        return s.substr(0, 2) == "08" || s.substr(0, 2) == "28" || s.substr(0, 3) == "57P";
    }
    if (ec.category() == client_category()) {
        switch (static_cast<client_errc>(ec.value())) {
        // The request was refused or answered in a way that leaves the session as it was.
        case client_errc::embedded_nul:
        case client_errc::too_many_parameters:
        case client_errc::parameter_count_mismatch:
        case client_errc::message_too_long:
        case client_errc::result_too_large:
        case client_errc::query_timeout:
        case client_errc::statement_not_prepared:
        case client_errc::already_connected:
        case client_errc::copy_needs_copy_api:
        case client_errc::transaction_needs_lease:
        case client_errc::lease_ended:
        case client_errc::cursor_needs_transaction:
        case client_errc::cursor_closed:
        case client_errc::copy_ended:
        case client_errc::copy_not_started:
        case client_errc::transaction_rolled_back:
        case client_errc::invalid_savepoint_name:
        case client_errc::savepoint_ended:
        case client_errc::invalid_copy_data:
        case client_errc::unexpected_row_count:
        case client_errc::unexpected_null:
        case client_errc::invalid_binary_length:
        case client_errc::invalid_text_value:
        case client_errc::value_out_of_range:
        case client_errc::invalid_array:
        case client_errc::invalid_range:
        case client_errc::invalid_numeric:
        case client_errc::type_mismatch:
        case client_errc::unsupported_version:
        case client_errc::unknown_type:
        case client_errc::type_changed:
        // No connection was used at all.
        case client_errc::pool_timeout:
        case client_errc::pool_closed:
        case client_errc::no_primary:
        case client_errc::no_replica:
            return false;
        default:
            return true;
        }
    }
    // A misuse of the API that reached no connection (a column name or index not in the row, an
    // argument out of range) is pgasio's own generic invalid_argument, never a socket's (those
    // are of the system category).
    if (ec.category() == boost::system::generic_category() &&
        ec.value() == static_cast<int>(boost::system::errc::invalid_argument))
        return false;
    // Cancellation by the caller leaves the connection usable; other system or network errors
    // (reset, broken pipe, TLS) mean the socket is gone.
    return ec != boost::asio::error::operation_aborted;
}

bool is_retryable(const error_code& ec) noexcept {
    return ec == sqlstate::serialization_failure || ec == sqlstate::deadlock_detected;
}

error::error(const error_code& ec, diagnostics diag)
    : boost::system::system_error(ec)
    , diag_(std::move(diag))
    , what_(format_error(ec, diag_)) {}

} // namespace pgasio
