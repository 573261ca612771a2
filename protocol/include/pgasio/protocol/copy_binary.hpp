// Binary COPY (FORMAT binary): its header, rows and trailer, encoded and split into rows.
#pragma once

#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

/// The binary COPY format (PostgreSQL's "COPY ... (FORMAT binary)"): a 19-byte header (the
/// signature "PGCOPY\n\377\r\n\0", an int32 of flags, an int32 extension length and that many
/// bytes), then one tuple per row (an int16 field count, then each field as an int32 length, -1
/// for NULL, and the value's binary form), then the trailer, an int16 of -1. A tuple is laid out
/// exactly as Bind's parameters and DataRow's values are, so the same type codecs encode and
/// decode its values (field_writer, protocol::types).
namespace pgasio::protocol {

/// The size of the header pgasio writes (no header extension).
inline constexpr std::size_t binary_copy_header_size = 19;

/// Appends the header: the signature, no flags, no extension.
void encode_binary_copy_header(write_buffer& out);

/// Appends the trailer (a field count of -1): the data ends.
void encode_binary_copy_trailer(write_buffer& out);

/// Writes one tuple of binary COPY straight into a buffer: the field count, then each field as
/// field_writer writes it (value / null_value; query parameters' encoders, detail::write_params,
/// work unchanged).
///
/// @code
/// binary_copy_row_writer row(buf, 2);
/// row.value([](write_buffer& b) { b.put_i32(42); return boost::system::error_code{}; });
/// row.null_value();
/// if (auto ec = row.finish()) ...;   // the row is not in the buffer then
/// @endcode
class binary_copy_row_writer : public field_writer {
public:
    /// Starts a tuple of `field_count` fields (at most 32767, the format's limit; more is an
    /// error of finish()).
    binary_copy_row_writer(write_buffer& out, std::size_t field_count);

    /// Ends the tuple. Errors: parameter_count_mismatch when fewer or more fields than announced
    /// were written (or more than 32767 announced); message_too_long for a value past 1 GiB;
    /// type_mismatch for a value written in text (text_value); the first error an encoder
    /// returned. On error the buffer is restored to what it was before the
    /// writer started.
    boost::system::error_code finish();

private:
    std::size_t start_;
};

/// Splits binary COPY data into its tuples, checking the format as it goes: the header's
/// signature and flags, each tuple's field count against the number of columns expected, each
/// field's length. Data may arrive in pieces cut anywhere: next() takes the bytes not consumed
/// yet (the caller keeps what it did not consume and adds what comes next to it).
///
/// A tuple it returns is a view into the caller's data, laid out as a DataRow body (the field
/// count, then the fields), and is whole: every field's length was checked against the data.
///
/// @code
/// binary_copy_decoder dec(3);
/// for (std::size_t at = 0;;) {
///     auto step = dec.next(data.subspan(at));
///     if (!step) fail(step.error(), dec.reason());
///     at += step->consumed;
///     if (step->what == binary_copy_decoder::row) use(step->tuple);
///     else break;   // need_more (keep data.subspan(at) for next time) or end
/// }
/// @endcode
class binary_copy_decoder {
public:
    /// What next() found.
    enum status {
        row,       ///< a whole tuple, in `tuple`
        need_more, ///< the data ends inside the header or a tuple: call again with more
        end,       ///< the trailer: the data is complete
    };
    /// What one call gave.
    struct step {
        /// A row, more bytes needed, or the end.
        status what = need_more;
        std::size_t consumed = 0;         ///< bytes of the data that were read (header, tuple)
        std::span<const std::byte> tuple; ///< the tuple, for `row`
    };

    /// A decoder of tuples of `columns` fields each.
    explicit binary_copy_decoder(std::size_t columns) noexcept
        : columns_(columns) {}

    /// Reads the header (the first time) and the tuple at the front of `data`. Errors
    /// (client_errc::invalid_copy_data, reason() says which): a wrong signature; flags the
    /// reader must understand (OIDs included, or an unknown incompatible flag); a negative
    /// extension length; a field count other than the number of columns; a field length below
    /// -1; any byte after the trailer. After an error the decoder keeps failing.
    boost::system::result<step> next(std::span<const std::byte> data) noexcept;

    /// The data is over, `unconsumed` bytes of it not consumed by next(). Errors
    /// (invalid_copy_data, reason() says which): the data ends inside the header or a tuple (a
    /// truncated field), or without the trailer.
    boost::system::error_code finish(std::size_t unconsumed) noexcept;

    /// True once the trailer was read.
    bool ended() const noexcept { return ended_; }
    /// True once the header was read.
    bool header_read() const noexcept { return header_read_; }
    /// The number of tuples returned so far.
    std::uint64_t rows() const noexcept { return rows_; }
    /// What was wrong, after an error (empty before one).
    std::string reason() const;

private:
    enum class fault : std::uint8_t {
        none,
        signature,
        flags,
        extension,
        field_count,
        field_length,
        after_trailer,
        truncated,
        no_trailer
    };
    boost::system::error_code fail(fault f, std::int64_t detail = 0) noexcept;

    std::size_t columns_;
    bool header_read_ = false;
    bool ended_ = false;
    std::uint64_t rows_ = 0;
    fault fault_ = fault::none;
    std::int64_t fault_detail_ = 0; // the field count or length that was wrong
};

} // namespace pgasio::protocol
