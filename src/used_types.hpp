// Which loaded user-defined types the parameters of one request are of.
#pragma once

#include <pgasio/protocol/format_code.hpp>

#include <vector>

namespace pgasio::detail {

/// Collects, while it lives, the loaded types that the codecs of user-defined types look up on
/// this thread (through the current registry, see type_scope): around the encoding of a
/// request's parameters, the types they are sent as. A refusal of them by the server may say
/// that one of those types changed since it was loaded (result_request::answer). Scopes nest.
class used_types_scope {
public:
    /// Appends each type looked up to `out` (once).
    explicit used_types_scope(std::vector<protocol::oid>& out) noexcept;
    ~used_types_scope();
    used_types_scope(const used_types_scope&) = delete;
    used_types_scope& operator=(const used_types_scope&) = delete;

private:
    std::vector<protocol::oid>* saved_;
};

} // namespace pgasio::detail
