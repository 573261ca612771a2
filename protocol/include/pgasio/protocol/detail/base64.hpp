// Base64 (RFC 4648 §4, standard alphabet, with padding) for the SCRAM exchange.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio::protocol::detail {

/// Appends the base64 encoding of `bytes` (with '=' padding) to `out`.
void base64_encode(std::span<const std::byte> bytes, std::string& out);

/// The base64 encoding of `bytes` (with '=' padding).
std::string base64_encode(std::span<const std::byte> bytes);

/// Decodes canonical base64: a length that is a multiple of 4, only the standard alphabet, '='
/// only as the last one or two characters, and zero bits in the unused part of the last
/// character (so each byte string has exactly one accepted encoding). No whitespace.
/// Returns std::nullopt on anything else; never reads outside `text`.
std::optional<std::vector<std::byte>> base64_decode(std::string_view text);

} // namespace pgasio::protocol::detail
