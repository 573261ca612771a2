// The result formats pgasio asks the server for: binary where it decodes a type in binary, text
// for every other type, so that any column can be read as the server's text representation.
#pragma once

#include <pgasio/column.hpp>

#include <pgasio/protocol/format_code.hpp>

#include <span>
#include <vector>

namespace pgasio::detail {

/// Every column in binary (one format code applies to all).
inline constexpr protocol::format_code all_binary[] = {protocol::format_code::binary};
/// Every column in text (pgasio::with_text_results).
inline constexpr protocol::format_code all_text[] = {protocol::format_code::text};

/// The format pgasio asks for values of type `t` in, where it knows a statement's columns before
/// it binds: binary for the types it decodes in binary (decodes_binary), text for every other
/// type (an enum, a composite, money, ...), which get<std::string> then reads as the server
/// wrote it. See docs/types.md, "Any column as text".
protocol::format_code result_format_for(protocol::oid t) noexcept;

/// Gives each of `cols`, a description learnt before its rows are bound (a Describe of a
/// statement, or a description kept for later executions), the format result_format_for its
/// type (binary too for the user-defined types its registry has loaded: enums, composites,
/// hstore and arrays of them), and returns the result format codes a Bind asks for them with: empty
/// when every column is binary (bind_formats then gives the one code that applies to all).
std::vector<protocol::format_code> choose_result_formats(std::vector<column>& cols);

/// The format codes a Bind carries for `chosen` (from choose_result_formats).
inline std::span<const protocol::format_code>
bind_formats(const std::vector<protocol::format_code>& chosen) noexcept {
    if (chosen.empty()) return all_binary;
    return chosen;
}

/// `cols` with every column in text (a statement whose rows are asked for in text).
column_list all_text_columns(const column_list& cols);

} // namespace pgasio::detail
