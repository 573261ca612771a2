// The scripts fuzz_response feeds, by number: the first byte of an input picks one. Shared with
// the unit tests, which record their golden streams as seeds.
#pragma once

#include <pgasio/protocol/response_machine.hpp>

#include <array>
#include <cstdint>
#include <span>

namespace pgasio::fuzz {

using protocol::request_step;

namespace scripts {
using enum request_step;
inline constexpr request_step query[] = {parse, bind, describe_portal, execute, sync};
inline constexpr request_step prepared[] = {bind, execute, sync};
inline constexpr request_step prepare[] = {parse, describe_statement, sync};
inline constexpr request_step close_[] = {close, sync};
inline constexpr request_step batch3[] = {bind, execute, bind, execute, bind, execute, sync};
inline constexpr request_step two_segments[] = {bind, execute, sync, bind, execute, sync};
inline constexpr request_step simple[] = {simple_query};
inline constexpr request_step no_sync[] = {bind, execute};
inline constexpr request_step copy[] = {parse, bind, execute, sync};
inline constexpr request_step full[] = {
    parse, describe_statement, bind, describe_portal, execute, close, sync};
inline constexpr request_step two_simple[] = {simple_query, simple_query};
inline constexpr request_step mixed[] = {parse, bind, execute, sync, simple_query};
} // namespace scripts

/// The scripts, indexed by an input's first byte (modulo their count).
inline constexpr std::array<std::span<const request_step>, 13> response_scripts{{
    scripts::query,
    scripts::prepared,
    scripts::prepare,
    scripts::close_,
    scripts::batch3,
    scripts::two_segments,
    scripts::simple,
    scripts::no_sync,
    scripts::copy,
    scripts::full,
    scripts::two_simple,
    scripts::mixed,
    {}, // the empty script: every message but the asynchronous ones is refused
}};

/// The second byte of an input: bits 0-5 + 1 are the chunk size the stream is framed in; bit 6
/// ends a COPY FROM STDIN with CopyFail rather than CopyDone; bit 7 ends it only once the server
/// reported an error (otherwise right after CopyInResponse).
inline constexpr std::uint8_t copy_fail_bit = 0x40;
inline constexpr std::uint8_t end_after_error_bit = 0x80;

} // namespace pgasio::fuzz
