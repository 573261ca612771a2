// Query parameters written into the SQL text, for the simple query protocol.
#pragma once

#include <pgasio/error.hpp>

#include <pgasio/protocol/format_code.hpp>
#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

/// The simple query protocol (one Query message) has no parameters: for poolers that speak
/// nothing else, the parameters of `async_query(sql, params...)` are written into the SQL as
/// literals. They are first encoded exactly as for a Bind (binary, with their type OIDs), then
/// turned into their PostgreSQL text form through the codecs, so that both protocols send the
/// same values.
namespace pgasio::detail {

/// Owns the bytes a param_values collects. A base class of its own so that the buffer exists
/// before protocol::field_writer, which keeps a pointer to it, is constructed.
struct param_values_buffer {
    protocol::write_buffer bytes;
};

/// Collects parameters as detail::write_params (or a param_source's write) writes them, in
/// binary, so that they can be read back one at a time: a protocol::field_writer that keeps
/// the values instead of framing them into a message.
///
/// Neither copyable nor movable: the writer points into its own buffer.
///
/// @code
/// param_values values(2);
/// write_params(values, 42, std::optional<std::string>());
/// if (auto ec = values.finish(why)) ...;
/// values[0];   // the 4 bytes of int4 42
/// values[1];   // nullopt: NULL
/// @endcode
class param_values : private param_values_buffer, public protocol::field_writer {
public:
    /// Ready for `count` values.
    explicit param_values(std::size_t count);
    param_values(const param_values&) = delete;
    param_values& operator=(const param_values&) = delete;

    /// Ends the writing and makes the values readable. Errors, with `why` naming the parameter:
    /// the first error an encoder returned (e.g. embedded_nul for a string holding a NUL byte,
    /// which no query text can carry either), parameter_count_mismatch when fewer or more values
    /// than announced were written, message_too_long for a value past 1 GiB. No value is
    /// readable after an error.
    error_code finish(std::string& why);

    /// The number of values readable (the count announced, once finish() succeeded; else 0).
    std::size_t size() const noexcept { return values_.size(); }

    /// The binary form of value `i` (i < size()), or nullopt for NULL; its text when it was
    /// written in text (is_text). Points into this object.
    std::optional<std::span<const std::byte>> operator[](std::size_t i) const noexcept;
    /// Whether value `i` was written in text (protocol::field_writer::text_value).
    bool is_text(std::size_t i) const noexcept;

private:
    // Offset and length of each value in the buffer (offsets, not spans: the buffer may grow
    // while values are written); a negative length is NULL.
    struct slot {
        std::size_t at;
        std::int32_t length;
    };
    std::vector<slot> values_;
};

/// How the server reads a backslash in a plain '...' string: its standard_conforming_strings
/// setting (on: an ordinary character, the default since PostgreSQL 9.1; off: an escape, as
/// in E'...'). Only the lexing of the caller's SQL depends on it: the literals written for the
/// parameters read the same either way.
enum class plain_string_backslash {
    literal, ///< standard_conforming_strings on: '\' is a string of one backslash
    escape,  ///< standard_conforming_strings off: '\'' is a string of one quote
};

/// Writes into `out` (replacing its contents) `sql` with each placeholder $1..$n replaced by
/// parameter n as a quoted, typed SQL literal in parentheses: `('42'::int4)`,
/// `('it''s'::text)`, `(E'C:\\dir'::text)` (E'' with doubled backslashes whenever the text
/// holds a backslash, so that it reads the same whatever standard_conforming_strings is),
/// `('{1,NULL}'::int4[])`, `(NULL::int8)`, and for type 0 (the server infers it: std::nullopt)
/// `(NULL)` or an untyped `('text')`.
///
/// Every value is quoted, numbers included, so that no value can join the SQL around it
/// (`5-$1` with -1 must not become the line comment `5--1`), and parenthesised, so that the
/// literal is one operand wherever a placeholder is: `$1[1]` subscripts the array, not the
/// type `int4[][1]`, and `FETCH FIRST $1 ROWS ONLY` accepts it. One difference remains: the
/// server names an unnamed result column after the cast, so `SELECT $1` gives a column "int4"
/// where the extended protocol gives "?column?" (`SELECT $1 AS n` names both alike).
///
/// Placeholders are found by lexing the SQL as the server does: `$n` is not a placeholder
/// inside '...' strings (with '' and, as `plain_strings` says, backslash escapes), E'...'
/// strings (backslash escapes), "quoted identifiers", -- line comments, /* nested */ block
/// comments and $tag$ dollar-quoted strings, nor inside an identifier (`a$1`); `$10` is
/// parameter 10. SQL that ends inside a string, identifier or comment is copied as it is from
/// there on (the server rejects it with its own syntax error).
///
/// `types` are the parameters' type OIDs and `values` their binary forms (one each, finished).
///
/// Errors, with `why` saying which parameter or placeholder and why:
/// - parameter_count_mismatch: a placeholder with no parameter ($3 with two, or $0), a
///   parameter that no placeholder uses (unless the SQL ends inside a string: see above), or
///   `types` and `values` of different sizes;
/// - type_mismatch: a value without a text form here (a type pgasio has no codec for, named
///   with its OID, or bytes that do not decode as their type), or a NULL of a type without a
///   built-in name to cast it to.
/// On error `out` is unspecified. A string holding a NUL byte, which no query text can carry,
/// never gets here: its codec refuses it when it is written (param_values::finish).
error_code interpolate_params(std::string_view sql, std::span<const protocol::oid> types,
                              const param_values& values, plain_string_backslash plain_strings,
                              std::string& out, std::string& why);

} // namespace pgasio::detail
