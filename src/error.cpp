#include <pgasio/error.hpp>

namespace pgasio {

std::string format_error(const error_code& ec, const diagnostics& diag) {
    std::string out = ec.message();
    if (!diag.message.empty()) out += ": " + diag.message;
    if (!diag.detail.empty()) out += "\nDETAIL: " + diag.detail;
    if (!diag.hint.empty()) out += "\nHINT: " + diag.hint;
    return out;
}

error::error(const error_code& ec, diagnostics diag)
    : boost::system::system_error(ec)
    , diag_(std::move(diag))
    , what_(format_error(ec, diag_)) {}

} // namespace pgasio
