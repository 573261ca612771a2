// The runtime_types the codecs of built-in types consult.
#include <pgasio/protocol/types/runtime_types.hpp>

#include <atomic>

namespace pgasio::protocol::types {
namespace {

std::atomic<const runtime_types*> installed{nullptr};

} // namespace

const runtime_types* install_runtime_types(const runtime_types* r) noexcept {
    return installed.exchange(r, std::memory_order_acq_rel);
}

oid runtime_base_type(oid t) noexcept {
    const runtime_types* r = installed.load(std::memory_order_acquire);
    return r ? r->base_type(t) : t;
}

oid runtime_array_element(oid array_type) noexcept {
    const runtime_types* r = installed.load(std::memory_order_acquire);
    return r ? r->array_element(array_type) : 0;
}

oid runtime_array_of(oid element) noexcept {
    const runtime_types* r = installed.load(std::memory_order_acquire);
    return r ? r->array_of(element) : 0;
}

} // namespace pgasio::protocol::types
