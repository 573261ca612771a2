// How the query engine fills a result from the messages it reads.
#pragma once

#include <pgasio/result.hpp>

#include <pgasio/protocol/backend.hpp>

#include <boost/system/error_code.hpp>

#include <string_view>

namespace pgasio::detail {

/// Accumulates one statement's RowDescription columns, DataRows and CommandComplete tag into a
/// result. Each DataRow's values are copied once, appended to the result's single buffer.
///
/// @code
/// result_builder b;
/// b.set_columns(statement_columns);
/// for each DataRow body: if (auto ec = b.add_row(body)) fail(ec);
/// b.set_command_tag(complete.tag);
/// result r = b.finish();   // b is empty again
/// @endcode
class result_builder {
public:
    /// Sets the columns of the rows to come (null or empty for commands without rows).
    void set_columns(column_list cols);
    /// Validates a DataRow body and appends its row. Errors (nothing is appended then):
    /// decode_data_row's (a malformed row); client_errc::unexpected_message when the row does
    /// not have one value per column (the server broke the protocol);
    /// client_errc::result_too_large when the result would pass 2 GiB of value bytes.
    boost::system::error_code add_row(std::span<const std::byte> body);
    /// Sets the CommandComplete tag (rows_affected() is read from it).
    void set_command_tag(std::string_view tag);
    /// The result built so far; the builder is left empty (no columns, rows or tag), reusable.
    result finish();

private:
    result result_;
};

} // namespace pgasio::detail
