#include <pgasio/protocol/copy_binary.hpp>
#include <pgasio/protocol/detail/big_endian.hpp>
#include <pgasio/protocol/error.hpp>

#include <algorithm>
#include <array>
#include <cstring>

namespace pgasio::protocol {

namespace {

using boost::system::error_code;

constexpr std::array<unsigned char, 11> signature = {'P',  'G',  'C',  'O',  'P', 'Y',
                                                     '\n', 0xFF, '\r', '\n', 0};
// Flag bit 16 says each tuple carries an OID; bits 0-15 are changes a reader must understand.
// Bits 17-31 are compatible: a reader ignores them.
constexpr std::uint32_t incompatible_flags = 0x0001FFFF;

} // namespace

void encode_binary_copy_header(write_buffer& out) {
    out.put_bytes(std::as_bytes(std::span(signature)));
    out.put_u32(0); // flags
    out.put_u32(0); // header extension length
}

void encode_binary_copy_trailer(write_buffer& out) {
    out.put_i16(-1);
}

binary_copy_row_writer::binary_copy_row_writer(write_buffer& out, std::size_t field_count)
    : field_writer(out, field_count)
    , start_(out.size()) {
    if (field_count > 0x7FFF) {
        ec_ = client_errc::parameter_count_mismatch;
        return;
    }
    out.put_i16(static_cast<std::int16_t>(field_count));
}

error_code binary_copy_row_writer::finish() {
    if (!ec_ && written_ != expected_) ec_ = client_errc::parameter_count_mismatch;
    // Binary COPY has no text fields.
    if (!ec_ && !text_values_.empty()) ec_ = client_errc::type_mismatch;
    if (ec_) out_->truncate(start_);
    return ec_;
}

error_code binary_copy_decoder::fail(fault f, std::int64_t detail) noexcept {
    if (fault_ == fault::none) {
        fault_ = f;
        fault_detail_ = detail;
    }
    return client_errc::invalid_copy_data;
}

boost::system::result<binary_copy_decoder::step>
binary_copy_decoder::next(std::span<const std::byte> data) noexcept {
    if (fault_ != fault::none) return error_code(client_errc::invalid_copy_data);
    if (ended_) {
        if (!data.empty())
            return fail(fault::after_trailer, static_cast<std::int64_t>(data.size()));
        return step{end, 0, {}};
    }
    std::size_t at = 0;
    if (!header_read_) {
        // A wrong signature fails as soon as its first bytes are there, not after 19 of them.
        const std::size_t have = std::min(data.size(), signature.size());
        if (std::memcmp(data.data(), signature.data(), have) != 0) return fail(fault::signature);
        if (data.size() < binary_copy_header_size) return step{need_more, 0, {}};
        const auto flags = detail::load_big<std::uint32_t>(data.data() + 11);
        if (flags & incompatible_flags) return fail(fault::flags, flags);
        const auto extension =
            static_cast<std::int32_t>(detail::load_big<std::uint32_t>(data.data() + 15));
        if (extension < 0) return fail(fault::extension, extension);
        const std::size_t header = binary_copy_header_size + static_cast<std::size_t>(extension);
        if (data.size() < header) return step{need_more, 0, {}};
        header_read_ = true;
        at = header;
    }
    const std::span<const std::byte> rest = data.subspan(at);
    if (rest.size() < 2) return step{need_more, at, {}};
    const auto count = static_cast<std::int16_t>(detail::load_big<std::uint16_t>(rest.data()));
    if (count == -1) {
        ended_ = true;
        if (rest.size() > 2)
            return fail(fault::after_trailer, static_cast<std::int64_t>(rest.size() - 2));
        return step{end, at + 2, {}};
    }
    if (count < 0 || static_cast<std::size_t>(count) != columns_)
        return fail(fault::field_count, count);
    std::size_t p = 2;
    for (std::int16_t i = 0; i < count; ++i) {
        if (rest.size() - p < 4) return step{need_more, at, {}};
        const auto length =
            static_cast<std::int32_t>(detail::load_big<std::uint32_t>(rest.data() + p));
        p += 4;
        if (length == -1) continue;
        if (length < 0) return fail(fault::field_length, length);
        if (rest.size() - p < static_cast<std::size_t>(length)) return step{need_more, at, {}};
        p += static_cast<std::size_t>(length);
    }
    ++rows_;
    return step{row, at + p, rest.first(p)};
}

error_code binary_copy_decoder::finish(std::size_t unconsumed) noexcept {
    if (fault_ != fault::none) return client_errc::invalid_copy_data;
    if (unconsumed != 0) return fail(fault::truncated, static_cast<std::int64_t>(unconsumed));
    if (!ended_) return fail(fault::no_trailer);
    return {};
}

std::string binary_copy_decoder::reason() const {
    const std::string row_number = std::to_string(rows_ + 1);
    switch (fault_) {
    case fault::none:
        return {};
    case fault::signature:
        return "the data does not start with the binary COPY signature (PGCOPY\\n\\377\\r\\n\\0): "
               "is the COPY in FORMAT binary?";
    case fault::flags:
        return "the binary COPY header has flags " + std::to_string(fault_detail_) +
               ", which ask for what pgasio does not read (OIDs, or an unknown format change)";
    case fault::extension:
        return "the binary COPY header has a negative extension length";
    case fault::field_count:
        return "row " + row_number + " of the binary COPY data has " +
               std::to_string(fault_detail_) + " fields, where " + std::to_string(columns_) +
               " columns were expected";
    case fault::field_length:
        return "row " + row_number + " of the binary COPY data has a field of length " +
               std::to_string(fault_detail_);
    case fault::after_trailer:
        return std::to_string(fault_detail_) + " bytes follow the binary COPY trailer";
    case fault::truncated:
        return std::string(header_read_ ? "the binary COPY data ends inside row " + row_number
                                        : "the binary COPY data ends inside its header") +
               " (" + std::to_string(fault_detail_) + " bytes of it)";
    case fault::no_trailer:
        return header_read_ ? "the binary COPY data ends without its trailer"
                            : "the binary COPY data ends before its header";
    }
    return {};
}

} // namespace pgasio::protocol
