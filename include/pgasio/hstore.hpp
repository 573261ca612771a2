// The hstore extension's type: a set of key → value (or NULL) pairs.
#pragma once

#include <pgasio/detail/user_type_codec.hpp>

#include <pgasio/protocol/types/codec.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>

namespace pgasio {

/// A value of the hstore extension's type (`CREATE EXTENSION hstore`): keys and values are
/// strings, a value may be NULL. Keys are unique; the server keeps them in its own order (by
/// length, then bytes), the map in std::string's.
///
/// hstore is an extension type: its OID is found by name. Load it first
/// (`co_await conn.async_load_types("hstore")`, or register it:
/// `conn.types()->register_type<pgasio::hstore>("hstore")`); an unloaded hstore column is
/// refused (type_mismatch) and an hstore parameter is sent with type 0 (the server resolves it
/// from the query, e.g. `$1::hstore`).
///
/// @code
/// co_await conn.async_load_types("hstore");
/// pgasio::hstore h{{{"a", "1"}, {"b", std::nullopt}}};
/// auto rows = co_await conn.async_query("SELECT $1::hstore", h);
/// @endcode
struct hstore {
    /// The pairs: key → value, nullopt for NULL.
    std::map<std::string, std::optional<std::string>> entries;
    /// Whether both hold the same pairs.
    friend bool operator==(const hstore&, const hstore&) = default;
};

namespace detail {

/// Reads hstore_send's form: int32 pair count, then per pair int32 key length and key bytes,
/// int32 value length (-1: NULL) and value bytes. Errors: invalid_binary_length, and
/// invalid_text_value for a key given twice or a NULL key.
boost::system::error_code decode_hstore(std::span<const std::byte> in, hstore& out);
/// Reads hstore_out's form (`"a"=>"1", "b"=>NULL`), and the unquoted forms hstore_in reads.
/// Errors: invalid_text_value.
boost::system::error_code decode_hstore_text(std::string_view in, hstore& out);
/// Appends hstore_recv's form. Errors: value_out_of_range (a string of 2 GiB or more).
boost::system::error_code encode_hstore(protocol::write_buffer& out, const hstore& v);
/// Appends hstore_out's form: every key and value quoted, `"` and `\` escaped with `\`.
void encode_hstore_text(std::string& out, const hstore& v);

} // namespace detail

} // namespace pgasio

namespace pgasio::protocol::types {

/// hstore, binary both directions (see pgasio::hstore).
template <>
struct codec<pgasio::hstore> {
    /// Known only at run time: a parameter is sent as runtime_type_oid() once its type is
    /// loaded, else as 0, which the server resolves from the query.
    static constexpr oid type_oid = 0;
    /// Known only at run time (element_of_array).
    static constexpr oid array_oid = 0;
    /// The loaded type named hstore (or the one registered for pgasio::hstore).
    static bool accepts(oid t) noexcept {
        return pgasio::detail::accepts_named(t, "hstore", typeid(pgasio::hstore));
    }
    /// The OID of the loaded hstore type, or 0.
    static oid runtime_type_oid() noexcept {
        return pgasio::detail::named_oid("hstore", typeid(pgasio::hstore));
    }
    /// The element type of the loaded array type `t`, or 0.
    static oid element_of_array(oid t) noexcept { return pgasio::detail::loaded_element_of(t); }
    /// See pgasio::detail::decode_hstore.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid,
                                                   pgasio::hstore& out) {
        return pgasio::detail::decode_hstore(in, out);
    }
    /// See pgasio::detail::decode_hstore_text.
    static boost::system::error_code decode_text(std::string_view in, oid, pgasio::hstore& out) {
        return pgasio::detail::decode_hstore_text(in, out);
    }
    /// See pgasio::detail::encode_hstore.
    static boost::system::error_code encode_binary(write_buffer& out, const pgasio::hstore& v) {
        return pgasio::detail::encode_hstore(out, v);
    }
    /// See pgasio::detail::encode_hstore_text.
    static boost::system::error_code encode_text(std::string& out, const pgasio::hstore& v) {
        pgasio::detail::encode_hstore_text(out, v);
        return {};
    }
};

} // namespace pgasio::protocol::types
