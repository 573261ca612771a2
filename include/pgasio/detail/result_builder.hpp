// How the query engine fills a result from the messages it reads.
#pragma once

#include <pgasio/result.hpp>

#include <pgasio/protocol/backend.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace pgasio::detail {

/// Accumulates one statement's RowDescription columns, DataRows and CommandComplete tag into a
/// result. Each DataRow's values are copied once, appended to buffers the builder keeps from one
/// result to the next (a connection has one builder, so a steady stream of small results
/// allocates once per result). finish() hands a small result one exact block holding its offsets
/// and values; a result past `keep_limit` bytes takes the buffers themselves, without a copy.
///
/// @code
/// result_builder b;
/// b.set_columns(statement_columns);
/// for each DataRow body: if (auto ec = b.add_row(body)) fail(ec);
/// b.set_command_tag(complete.tag);
/// result r = b.finish();   // b is empty again, ready for the next result
/// @endcode
class result_builder {
public:
    /// Results whose offsets and values take more bytes than this move the builder's buffers
    /// into the result rather than copying them.
    static constexpr std::size_t keep_limit = 64 * 1024;

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
    /// The rows built so far, as a result with the columns; the builder keeps the columns for
    /// the rows to come (a stream hands out its rows in parts).
    result take_rows();
    /// The bytes of values and offsets the rows built so far take.
    std::size_t row_bytes() const noexcept {
        return values_.size() + offsets_.size() * sizeof(value_offset);
    }
    /// The user-defined types of the connection that builds the results, given to the columns
    /// it describes (column::types).
    void set_types(std::shared_ptr<const type_registry> types) noexcept {
        types_ = std::move(types);
    }
    /// See set_types.
    const std::shared_ptr<const type_registry>& types() const noexcept { return types_; }
    /// The columns set for the rows being built.
    const column_list& columns() const noexcept { return columns_; }
    /// The number of rows built so far.
    std::size_t rows() const noexcept { return rows_; }
    /// Forgets the result being built (a request that failed or was abandoned half-way).
    void reset() noexcept;

private:
    column_list columns_;
    std::shared_ptr<const type_registry> types_;
    pod_buffer<std::byte> values_;
    pod_buffer<value_offset> offsets_;
    std::size_t rows_ = 0;
    std::string tag_;
};

} // namespace pgasio::detail
