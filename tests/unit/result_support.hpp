// Builds pgasio::result objects from hand-made RowDescription and DataRow bodies, as the query
// engine does from the messages it reads.
#pragma once

#include <pgasio/detail/result_builder.hpp>
#include <pgasio/error.hpp>
#include <pgasio/result.hpp>

#include <pgasio/protocol/backend.hpp>
#include <pgasio/protocol/types/types.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include "support/seed_corpus.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace pgasio::test {

/// A column of a hand-made RowDescription.
struct column_spec {
    std::string_view name;
    protocol::oid type;
    protocol::format_code format = protocol::format_code::binary;
};

/// One value of a hand-made DataRow: its bytes, or nullopt for NULL.
using field = std::optional<std::vector<std::byte>>;

/// The body of a RowDescription with these columns (table 0, typlen -1, typmod -1).
inline std::vector<std::byte> row_description_body(const std::vector<column_spec>& cols) {
    protocol::write_buffer b;
    b.put_i16(static_cast<std::int16_t>(cols.size()));
    for (const auto& c : cols) {
        b.put_cstring(c.name);
        b.put_u32(0);
        b.put_i16(0);
        b.put_u32(c.type);
        b.put_i16(-1);
        b.put_i32(-1);
        b.put_i16(static_cast<std::int16_t>(c.format));
    }
    return {b.data().begin(), b.data().end()};
}

/// The body of a DataRow with these values.
inline std::vector<std::byte> data_row_body(const std::vector<field>& values) {
    protocol::write_buffer b;
    b.put_i16(static_cast<std::int16_t>(values.size()));
    for (const auto& v : values) {
        if (!v) {
            b.put_i32(-1);
            continue;
        }
        b.put_i32(static_cast<std::int32_t>(v->size()));
        b.put_bytes(*v);
    }
    return {b.data().begin(), b.data().end()};
}

/// The binary form of `v` through its codec.
template <class T>
std::vector<std::byte> bin(const T& v) {
    protocol::write_buffer b;
    REQUIRE(!protocol::types::codec<T>::encode_binary(b, v));
    return {b.data().begin(), b.data().end()};
}

/// The bytes of a text-format value.
inline std::vector<std::byte> txt(std::string_view s) {
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    return {p, p + s.size()};
}

/// Records a backend message as a seed of fuzz_backend (whose first byte picks a chunk size).
inline void record_backend_seed(char type, std::span<const std::byte> body) {
    protocol::write_buffer b;
    b.put_u8(7);
    b.put_u8(static_cast<std::uint8_t>(type));
    b.put_u32(static_cast<std::uint32_t>(body.size() + 4));
    b.put_bytes(body);
    record_seed("fuzz_backend", b.data());
}

/// Decodes the bodies with the protocol decoders and feeds them to a result_builder.
/// The columns a RowDescription with these columns gives (as the engine makes them).
inline column_list columns_of(const std::vector<column_spec>& cols) {
    const auto body = row_description_body(cols);
    const auto rd = protocol::decode_row_description(body);
    REQUIRE(rd.has_value());
    return detail::make_columns(*rd);
}

inline result make_result(const std::vector<column_spec>& cols,
                          const std::vector<std::vector<field>>& rows,
                          std::string_view tag = "SELECT") {
    const auto rd_body = row_description_body(cols);
    const auto rd = protocol::decode_row_description(rd_body);
    REQUIRE(rd.has_value());
    record_backend_seed('T', rd_body);
    detail::result_builder builder;
    builder.set_columns(detail::make_columns(*rd));
    for (const auto& row : rows) {
        const auto body = data_row_body(row);
        record_backend_seed('D', body);
        REQUIRE(!builder.add_row(body));
    }
    builder.set_command_tag(tag);
    return builder.finish();
}

/// The pgasio::error that `f` throws; fails the test when it throws none.
template <class F>
pgasio::error thrown(F&& f) {
    try {
        f();
    } catch (const pgasio::error& e) {
        return e;
    }
    FAIL("no pgasio::error thrown");
    throw std::logic_error("unreachable");
}

} // namespace pgasio::test
