// Everything the server said about an error or a notice.
#pragma once

#include <pgasio/protocol/backend.hpp>

#include <boost/system/error_code.hpp>

#include <optional>
#include <string>

namespace pgasio::protocol {

/// The fields of an ErrorResponse or NoticeResponse, owned (they outlive the read buffer).
///
/// Every field PostgreSQL documents is kept (protocol-error-fields.html); fields with unknown
/// codes are ignored, as the protocol asks. A field the server did not send is empty.
///
/// @code
/// if (auto ec = ...; ec.category() == sqlstate_category())
///     fmt::print("{}\n", diag.to_string());
///     // ERROR 23505: duplicate key value violates unique constraint "users_pkey"
///     // DETAIL: Key (id)=(1) already exists.
/// @endcode
struct diagnostics {
    std::string severity;              ///< 'S': ERROR, FATAL, PANIC, WARNING, NOTICE... (localised)
    std::string severity_nonlocalized; ///< 'V': the same, never translated (9.6+)
    std::string sqlstate;              ///< 'C': the five-character SQLSTATE
    std::string message;               ///< 'M': the primary message
    std::string detail;                ///< 'D': secondary message with more detail
    std::string hint;                  ///< 'H': a suggestion what to do
    std::optional<std::uint32_t> position;          ///< 'P': 1-based character index in the query
    std::optional<std::uint32_t> internal_position; ///< 'p': index into internal_query
    std::string internal_query;  ///< 'q': the internally generated command that failed
    std::string where;           ///< 'W': call stack context (PL/pgSQL, SQL functions)
    std::string schema_name;     ///< 's'
    std::string table_name;      ///< 't'
    std::string column_name;     ///< 'c'
    std::string data_type_name;  ///< 'd'
    std::string constraint_name; ///< 'n'
    std::string source_file;     ///< 'F': server source file that reported it
    std::string source_line;     ///< 'L'
    std::string source_routine;  ///< 'R'

    /// Copies the fields out of a decoded ErrorResponse or NoticeResponse.
    static diagnostics from_fields(error_fields_view fields);

    /// The error_code of `sqlstate` in sqlstate_category(); internal_error when it is malformed.
    boost::system::error_code code() const noexcept;

    /// True for FATAL and PANIC: the server ends the session after sending it.
    bool is_fatal() const noexcept;

    /// "SEVERITY SQLSTATE: message", then "DETAIL: ...", "HINT: ..." and "WHERE: ..." lines for
    /// the fields that are present.
    std::string to_string() const;

    /// Whether both designate the same element.
    bool operator==(const diagnostics&) const = default;
};

} // namespace pgasio::protocol
