// Decoding one value of a row into a C++ type through its codec.
#pragma once

#include <pgasio/column.hpp>
#include <pgasio/detail/current_types.hpp>

#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/types/types.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace pgasio::detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
/// True for std::optional<U>: NULL decodes to nullopt.
template <class T>
inline constexpr bool is_optional_v = is_optional<T>::value;

/// True when protocol::types::codec<T> is defined (a built-in type or a user specialisation).
template <class T>
concept has_codec = requires(protocol::oid t) {
    { protocol::types::codec<T>::accepts(t) } -> std::convertible_to<bool>;
};

/// True when a value can be decoded into T: T has a codec, or is std::optional of such a type.
template <class T>
inline constexpr bool is_decodable_v = [] {
    if constexpr (is_optional_v<T>)
        return has_codec<typename T::value_type>;
    else
        return has_codec<T>;
}();

/// The type a decode into T checks against the column (T without std::optional).
template <class T>
struct decoded_type {
    using type = T;
};
template <class T>
struct decoded_type<std::optional<T>> {
    using type = T;
};

/// The types that read a column that arrived in text whatever its type: the value's text as the
/// server wrote it (docs/types.md, "Any column as text"). A column arrives in text for the types
/// pgasio has no binary codec for, with pgasio::with_text_results, and in simple queries.
template <class T>
inline constexpr bool reads_any_text_v =
    std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>;

/// True when the values of column `col` are text whatever their format: it arrived in text, or
/// it is of a loaded enum type, whose binary form is its label.
bool column_is_text(const column& col) noexcept;

/// True when a value of column `col` decodes into T (not std::optional): T's codec accepts the
/// column's type, or T reads any text and the column's values are text (column_is_text).
template <class T>
bool accepts_column(const column& col) noexcept {
    if (protocol::types::codec<T>::accepts(col.type_oid)) return true;
    if constexpr (reads_any_text_v<T>)
        return column_is_text(col);
    else
        return false;
}

/// Decodes `raw` (nullopt for NULL), a value of column `col`, into `out`.
/// Errors: unexpected_null (NULL into a T that is not std::optional and whose codec has no
/// decode_null), type_mismatch (the column's
/// type is not one codec<T> accepts), and the codec's decode errors.
template <class T>
boost::system::error_code decode_field(const column& col,
                                       std::optional<std::span<const std::byte>> raw, T& out) {
    if constexpr (is_optional_v<T>) {
        if (!raw) {
            out.reset();
            return {};
        }
        typename T::value_type v{};
        if (auto ec = decode_field(col, raw, v)) return ec;
        out = std::move(v);
        return {};
    } else {
        static_assert(has_codec<T>,
                      "pgasio: no protocol::types::codec<T> for this type: the value cannot be "
                      "decoded into it (see pgasio/protocol/types/types.hpp for the supported "
                      "types, or specialise codec<T>)");
        using codec = protocol::types::codec<T>;
        if (!raw) {
            // A type that holds NULL itself (pgasio::value) says what NULL of the column is.
            if constexpr (requires { codec::decode_null(col.type_oid, out); })
                return codec::decode_null(col.type_oid, out);
            else
                return protocol::client_errc::unexpected_null;
        }
        // The codecs of user-defined types find their OIDs and layouts in the registry of the
        // connection that described the column.
        const type_scope scope(col.types.get());
        if (!accepts_column<T>(col)) return protocol::client_errc::type_mismatch;
        const std::string_view text(reinterpret_cast<const char*>(raw->data()), raw->size());
        if constexpr (reads_any_text_v<T>) {
            if (!codec::accepts(col.type_oid)) {
                // Any type's text form, as the server wrote it.
                out = T(text);
                return {};
            }
        }
        if (col.format == protocol::format_code::binary)
            return codec::decode_binary(*raw, col.type_oid, out);
        return codec::decode_text(text, col.type_oid, out);
    }
}

} // namespace pgasio::detail
