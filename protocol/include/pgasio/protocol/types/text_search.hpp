// The full text search types tsvector and tsquery, and their codecs.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgasio::protocol {

/// The weight of a lexeme's position in a tsvector (setweight), or of a tsquery operand's match.
/// The values are the server's two-bit codes.
enum class ts_weight : std::uint8_t {
    d = 0, ///< D, the default (not written in text)
    c = 1, ///< C
    b = 2, ///< B
    a = 3, ///< A
};

/// A position of a lexeme in a document: 1 to 16383, and a weight. Text "3A" (weight D: "3").
struct ts_position {
    /// The position, 1-based (the server caps positions at 16383).
    std::uint16_t position = 1;
    /// The weight.
    ts_weight weight = ts_weight::d;
    /// Whether both have the same position and weight.
    friend bool operator==(const ts_position&, const ts_position&) = default;
};

/// A lexeme of a tsvector: a normalised word and where it occurs (no positions: a tsvector made
/// from lexemes alone, e.g. the tsvector of the text `a b`).
struct ts_lexeme {
    /// The lexeme (at most 2047 bytes, not empty).
    std::string word;
    /// Its positions, ascending (at most 256).
    std::vector<ts_position> positions;
    /// Whether both have the same word and positions.
    friend bool operator==(const ts_lexeme&, const ts_lexeme&) = default;
};

/// A tsvector, a document prepared for text search: text "'cat':3 'fat':2A,4".
///
/// The server keeps the lexemes sorted and unique, and each one's positions ascending and
/// unique: it does so on input, so a tsvector read back may differ from the one sent. Decoding
/// keeps the lexemes as the value has them.
struct tsvector {
    /// The lexemes.
    std::vector<ts_lexeme> lexemes;
    /// Whether both have the same lexemes in the same order.
    friend bool operator==(const tsvector&, const tsvector&) = default;
};

/// The operators of a tsquery; the values are the server's codes.
enum class ts_operator : std::uint8_t {
    not_ = 1,   ///< `!`, unary
    and_ = 2,   ///< `&`
    or_ = 3,    ///< `|`
    phrase = 4, ///< `<->` (distance 1) or `<N>`: followed by, N positions later
};

/// One node of a tsquery in prefix order: an operator (`op` set), or an operand (a lexeme).
struct tsquery_item {
    /// The operator; nullopt for an operand.
    std::optional<ts_operator> op;
    /// For ts_operator::phrase: the distance (0 to 16384).
    std::uint16_t distance = 0;
    /// For an operand: the lexeme (not empty, at most 2047 bytes).
    std::string operand;
    /// For an operand: the weights it matches, a bit each (A 8, B 4, C 2, D 1; 0: any).
    std::uint8_t weights = 0;
    /// For an operand: whether it matches as a prefix (`:*`).
    bool prefix = false;
    /// Whether both are the same node.
    friend bool operator==(const tsquery_item&, const tsquery_item&) = default;
};

/// A tsquery, a text search query: text "'fat' & ( 'rat' | 'cat' )".
///
/// `items` is the query in the server's prefix order: an operator, then its right operand, then
/// (for a binary operator) its left operand, each a whole subtree. `'a' & 'b'` is {and, b, a}.
/// An empty tsquery has no items (text ""); the server sends one but refuses one in binary, so
/// encoding it in binary fails with value_out_of_range. Trees deeper than 4096 levels (a chain of
/// more than 4096 `&`, for instance) are refused both ways (value_out_of_range): the text form is
/// written and read recursively.
struct tsquery {
    /// The nodes, in prefix order (right operand before left).
    std::vector<tsquery_item> items;
    /// Whether both are the same query, written the same way.
    friend bool operator==(const tsquery&, const tsquery&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

namespace detail {

/// The codec of tsvector or tsquery (T, server type Type), defined in types_text_search.cpp.
/// Binary forms are tsvector_send's (an int32 count, then per lexeme its text, NUL, a uint16
/// count and that many uint16 positions, weight in the top 2 bits) and tsquery_send's (an int32
/// count, then per item its type byte, then an operand's weights, prefix flag and NUL-terminated
/// text, or an operator's code and, for a phrase, int16 distance). Text forms are what the
/// server's tsvectorout and tsqueryout write, and what they read back.
///
/// Decoding errors: type_mismatch, invalid_binary_length (truncated or trailing bytes, a count
/// the bytes cannot hold), value_out_of_range (what the server refuses: a lexeme too long or
/// empty, more than 256 positions or positions out of order, a position beyond 16383, an unknown
/// operator or item type, a distance beyond 16384, a tsquery that is not one tree),
/// invalid_text_value (text syntax). Encoding errors: value_out_of_range for the same values,
/// embedded_nul (a NUL byte in a lexeme).
template <class T, oid Type, oid ArrayType>
struct text_search_codec {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = Type;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = ArrayType;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == Type; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const T& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t, T& out);
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const T& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, T& out);
};

extern template struct text_search_codec<tsvector, oids::tsvector, oids::tsvector_array>;
extern template struct text_search_codec<tsquery, oids::tsquery, oids::tsquery_array>;

} // namespace detail

/// `pgasio::protocol::tsvector` <-> tsvector.
template <>
struct codec<tsvector> : detail::text_search_codec<tsvector, oids::tsvector, oids::tsvector_array> {
};

/// `pgasio::protocol::tsquery` <-> tsquery.
template <>
struct codec<tsquery> : detail::text_search_codec<tsquery, oids::tsquery, oids::tsquery_array> {};

} // namespace pgasio::protocol::types
