// A position in PostgreSQL's write-ahead log (the pg_lsn type).
#pragma once

#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

#include <fmt/format.h> // formatter<string_view>::format, which the formatter below uses

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace pgasio {

/// A write-ahead log position: a byte offset into the WAL stream, which only grows. The server
/// writes it as two hexadecimal halves of 32 bits, `16/B374D848` (pg_current_wal_lsn(),
/// pg_last_wal_replay_lsn(), pg_lsn values).
///
/// Positions compare as the offsets they are; the difference of two is the WAL between them, in
/// bytes (as pg_wal_lsn_diff()). A replica has replayed every transaction that committed at or
/// before a primary's position once its replay position is not below it: this is how a cluster
/// sends a read after a write to a replica that sees the write (the read-your-writes token).
/// The default value, `0/0`, is the server's InvalidXLogRecPtr: no position.
///
/// \code
/// auto lsn = pgasio::wal_lsn::parse(row.get<std::string_view>(0));  // "16/B374D848"
/// if (lsn && *lsn > last_seen) fmt::print("WAL moved to {}\n", *lsn);
/// \endcode
class wal_lsn {
public:
    /// `0/0`: no position.
    constexpr wal_lsn() noexcept = default;
    /// The position at byte offset `offset`.
    constexpr explicit wal_lsn(std::uint64_t offset) noexcept
        : offset_(offset) {}

    /// Reads the server's text form: 1 to 8 hex digits (either case), '/', 1 to 8 hex digits,
    /// nothing else (no spaces, no sign). nullopt when `text` is not one.
    static std::optional<wal_lsn> parse(std::string_view text) noexcept;

    /// The byte offset in the WAL stream.
    [[nodiscard]] constexpr std::uint64_t offset() const noexcept { return offset_; }

    /// The server's text form, upper-case hex without leading zeros: `16/B374D848`, `0/0`.
    [[nodiscard]] std::string to_string() const;

    /// Positions compare as the WAL orders them (an earlier position is less).
    // clang-tidy 14 reads the 0 that a defaulted <=> compares with as a null pointer.
    // NOLINTNEXTLINE(modernize-use-nullptr)
    friend constexpr auto operator<=>(wal_lsn, wal_lsn) noexcept = default;

    /// The bytes of WAL from `b` to `a`: negative when `a` is before `b`.
    friend constexpr std::int64_t operator-(wal_lsn a, wal_lsn b) noexcept {
        return static_cast<std::int64_t>(a.offset_ - b.offset_);
    }

private:
    std::uint64_t offset_ = 0;
};

/// Writes lsn.to_string().
std::ostream& operator<<(std::ostream& os, wal_lsn lsn);

} // namespace pgasio

/// Formats a wal_lsn as its to_string() does (`16/B374D848`).
template <>
struct fmt::formatter<pgasio::wal_lsn> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(pgasio::wal_lsn lsn, FormatContext& ctx) const -> decltype(ctx.out()) {
        return fmt::formatter<std::string_view>::format(lsn.to_string(), ctx);
    }
};

namespace pgasio::protocol::types {

/// `pgasio::wal_lsn` <-> pg_lsn: binary is the 64-bit offset, text the server's `16/B374D848`
/// form (wal_lsn::parse, wal_lsn::to_string).
template <>
struct codec<wal_lsn> {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = oids::pg_lsn;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = oids::pg_lsn_array;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == oids::pg_lsn; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const wal_lsn& v) {
        out.put_u64(v.offset());
        return {};
    }
    /// Decodes the binary form of a value of server type `t`. Errors: type_mismatch,
    /// invalid_binary_length.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   wal_lsn& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        if (in.size() != 8) return client_errc::invalid_binary_length;
        out = wal_lsn(protocol::detail::byte_reader(in).u64());
        return {};
    }
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const wal_lsn& v) {
        out += v.to_string();
        return {};
    }
    /// Decodes the text form of a value of server type `t`. Errors: type_mismatch,
    /// invalid_text_value.
    static boost::system::error_code decode_text(std::string_view in, oid t,
                                                 wal_lsn& out) noexcept {
        if (!accepts(t)) return client_errc::type_mismatch;
        const auto lsn = wal_lsn::parse(in);
        if (!lsn) return client_errc::invalid_text_value;
        out = *lsn;
        return {};
    }
};

} // namespace pgasio::protocol::types
