// Helpers for type codec tests: encode/decode in one call, golden checks both ways that also
// record the golden bytes as seeds of the fuzz_types target.
#pragma once

#include "../../fuzz/fuzz_types.hpp"
#include "support/bytes.hpp"
#include "support/seed_corpus.hpp"

#include <pgasio/protocol/types/codec.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace pgasio::test {

using pgasio::fuzz::fuzz_type;

/// The bytes written as hex digits ("0a1b" -> "\x0a\x1b"), for golden values copied from psql.
inline std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
}

/// The binary form of `v` (the encoder must succeed).
template <class T>
std::string encode_binary(const T& v) {
    protocol::write_buffer out;
    const auto ec = protocol::types::codec<T>::encode_binary(out, v);
    REQUIRE_FALSE(ec);
    return to_string(out.data());
}

/// The error of encoding `v` in binary (checks that nothing was appended on error).
template <class T>
boost::system::error_code binary_encode_error(const T& v) {
    protocol::write_buffer out;
    const auto ec = protocol::types::codec<T>::encode_binary(out, v);
    if (ec) CHECK(out.empty());
    return ec;
}

/// The text form of `v` (the encoder must succeed).
template <class T>
std::string encode_text(const T& v) {
    std::string out;
    const auto ec = protocol::types::codec<T>::encode_text(out, v);
    REQUIRE_FALSE(ec);
    return out;
}

/// The error of encoding `v` in text.
template <class T>
boost::system::error_code text_encode_error(const T& v) {
    std::string out;
    return protocol::types::codec<T>::encode_text(out, v);
}

/// `in` (binary) decoded as T from server type `t` (the decoder must succeed).
template <class T>
T decode_binary(std::string_view in, protocol::oid t) {
    T v{};
    const auto bytes = to_bytes(in);
    const auto ec = protocol::types::codec<T>::decode_binary(bytes, t, v);
    INFO(ec.message());
    REQUIRE_FALSE(ec);
    return v;
}

/// `in` (text) decoded as T from server type `t` (the decoder must succeed).
template <class T>
T decode_text(std::string_view in, protocol::oid t) {
    T v{};
    const auto ec = protocol::types::codec<T>::decode_text(in, t, v);
    INFO(ec.message());
    REQUIRE_FALSE(ec);
    return v;
}

/// The error of decoding `in` (binary) as T from server type `t`.
template <class T>
boost::system::error_code binary_error(std::string_view in, protocol::oid t) {
    T v{};
    const auto bytes = to_bytes(in);
    return protocol::types::codec<T>::decode_binary(bytes, t, v);
}

/// The error of decoding `in` (text) as T from server type `t`.
template <class T>
boost::system::error_code text_error(std::string_view in, protocol::oid t) {
    T v{};
    return protocol::types::codec<T>::decode_text(in, t, v);
}

/// Records `value` as a seed of fuzz_types for the decoder `type`.
inline void record_type_seed(fuzz_type type, bool text, std::string_view value) {
    std::string input(1, static_cast<char>(fuzz::fuzz_selector(type, text)));
    input += value;
    record_seed("fuzz_types", to_bytes(input));
}

/// Golden binary check both ways: `v` encodes to `golden`, and `golden` decodes (as the codec's
/// own type) to `v`. Records the bytes as a seed for `type`.
template <class T>
void check_binary(const T& v, std::string_view golden, fuzz_type type) {
    CHECK(encode_binary(v) == golden);
    CHECK(decode_binary<T>(golden, protocol::types::codec<T>::type_oid) == v);
    record_type_seed(type, false, golden);
}

/// Golden text check both ways (see check_binary).
template <class T>
void check_text(const T& v, std::string_view golden, fuzz_type type) {
    CHECK(encode_text(v) == golden);
    CHECK(decode_text<T>(golden, protocol::types::codec<T>::type_oid) == v);
    record_type_seed(type, true, golden);
}

} // namespace pgasio::test
