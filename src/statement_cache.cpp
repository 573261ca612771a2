#include "statement_cache.hpp"

#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/types/detail/text.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace pgasio::detail {
namespace {

// The bytes of the key before the text: a 4-byte count, then 4 bytes per OID.
std::size_t types_size(std::string_view key) noexcept {
    std::uint32_t n = 0;
    std::memcpy(&n, key.data(), sizeof n);
    return sizeof n + n * sizeof(protocol::oid);
}

} // namespace

std::string_view cached_statement::sql() const noexcept {
    return std::string_view(key).substr(types_size(key));
}

std::vector<protocol::oid> cached_statement::parameter_types() const {
    std::vector<protocol::oid> types((types_size(key) - sizeof(std::uint32_t)) /
                                     sizeof(protocol::oid));
    if (!types.empty())
        std::memcpy(types.data(), key.data() + sizeof(std::uint32_t),
                    types.size() * sizeof(protocol::oid));
    return types;
}

boost::system::error_code cached_statement::encode_prepare(protocol::write_buffer& out) const {
    protocol::encode_close(out, protocol::target_kind::statement, name);
    return protocol::encode_parse(out, name, sql(), parameter_types());
}

void statement_cache::set_capacity(std::size_t capacity) {
    capacity_ = capacity;
    evict_beyond(capacity_);
}

std::string_view statement_cache::key_of(std::string_view sql,
                                         std::span<const protocol::oid> types) {
    const auto n = static_cast<std::uint32_t>(types.size());
    scratch_.resize(sizeof n + types.size_bytes() + sql.size());
    char* p = scratch_.data();
    std::memcpy(p, &n, sizeof n);
    if (!types.empty()) std::memcpy(p + sizeof n, types.data(), types.size_bytes());
    std::memcpy(p + sizeof n + types.size_bytes(), sql.data(), sql.size());
    return scratch_;
}

std::shared_ptr<cached_statement> statement_cache::find(std::string_view sql,
                                                        std::span<const protocol::oid> types) {
    if (capacity_ == 0) return nullptr;
    const auto it = index_.find(key_of(sql, types));
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return *it->second;
}

std::shared_ptr<cached_statement> statement_cache::insert(std::string_view sql,
                                                          std::span<const protocol::oid> types) {
    auto entry = std::make_shared<cached_statement>();
    entry->key = std::string(key_of(sql, types));
    entry->name = name_of(entry->key);
    if (capacity_ == 0) {
        entry->cached = false;
        return entry;
    }
    evict_beyond(capacity_ - 1);
    // A Close of this name not yet sent would reach the server after this entry's preparation
    // (which sends a Close of its own before its Parse) and drop it.
    std::erase(closes_, entry->name);
    lru_.push_front(entry);
    index_.emplace(std::string_view(entry->key), lru_.begin());
    return entry;
}

void statement_cache::close_later(const std::vector<std::string>& names) {
    for (const auto& name : names)
        if (std::none_of(lru_.begin(), lru_.end(), [&](const auto& e) { return e->name == name; }))
            closes_.push_back(name);
}

void statement_cache::forget(cached_statement& entry, bool close) {
    // Not when an entry made since for the same text has the name (a request that bound the old
    // one failed late): its preparation closed what the server had, and made the name its own.
    const auto owner = index_.find(std::string_view(entry.key));
    const bool taken = owner != index_.end() && owner->second->get() != &entry;
    if (close && entry.prepared && !taken) closes_.push_back(entry.name);
    if (!entry.cached) return;
    entry.cached = false;
    const auto it = index_.find(std::string_view(entry.key));
    lru_.erase(it->second);
    index_.erase(it);
}

void statement_cache::clear() noexcept {
    for (auto& e : lru_)
        e->cached = false;
    index_.clear();
    lru_.clear();
    closes_.clear();
}

void statement_cache::evict_beyond(std::size_t n) {
    while (lru_.size() > n)
        forget(*lru_.back(), true);
}

std::string statement_digest(std::string_view text, std::size_t hex_digits) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1)
        return {};
    std::string out;
    for (std::size_t i = 0; i < size && out.size() < hex_digits; ++i)
        protocol::types::detail::append_hex(out, digest[i]);
    out.resize(std::min(out.size(), hex_digits));
    return out;
}

std::string statement_cache::name_of(std::string_view key) {
    // 128 bits of the digest: 39 characters, within the server's 63-byte names. Without a
    // digest there is no name that can only mean this statement: none, and it runs unnamed.
    std::string digest = statement_digest(key, 32);
    return digest.empty() ? std::string() : "pgasio_" + digest;
}

} // namespace pgasio::detail
