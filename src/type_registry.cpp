// The type registry, the current registry of a thread, and what the codecs of user-defined types
// share (records, enum labels, hstore).
#include "used_types.hpp"

#include <pgasio/detail/user_type_codec.hpp>
#include <pgasio/hstore.hpp>
#include <pgasio/type_registry.hpp>

#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/detail/value_length.hpp>
#include <pgasio/protocol/types/runtime_types.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

namespace pgasio {

using protocol::client_errc;
using error_code = boost::system::error_code;

struct type_registry::state {
    mutable std::shared_mutex mutex;
    std::unordered_map<protocol::oid, std::shared_ptr<const user_type>> by_oid;
    // Names a type was loaded as ("mood", "public.mood") and qualified names → OID.
    std::map<std::string, protocol::oid, std::less<>> by_name;
    // C++ types registered → the PostgreSQL name they stand for.
    std::unordered_map<std::type_index, std::string> registered;
    mutable std::set<protocol::oid> changed;

    protocol::oid oid_of(std::string_view name) const {
        const auto it = by_name.find(name);
        return it == by_name.end() ? 0 : it->second;
    }
};

namespace {

// Answers the codecs of built-in types (arrays of domains) from the registry current on the
// thread (detail::type_scope): the registry of the connection whose value is being decoded.
class current_registry_types final : public protocol::types::runtime_types {
public:
    protocol::oid base_type(protocol::oid t) const noexcept override {
        return detail::resolve_domain(t);
    }
    protocol::oid array_element(protocol::oid array_type) const noexcept override {
        return detail::loaded_element_of(array_type);
    }
    protocol::oid array_of(protocol::oid element) const noexcept override {
        const auto u = detail::loaded_type(element);
        return u ? u->array_oid : 0;
    }
};

const current_registry_types current_registry_types_instance;

} // namespace

type_registry::type_registry()
    : state_(std::make_unique<state>()) {
    // Only a registry can have loaded a domain: until one exists, the codecs need not ask.
    protocol::types::install_runtime_types(&current_registry_types_instance);
}
type_registry::~type_registry() = default;

std::shared_ptr<const user_type> type_registry::find(protocol::oid t) const {
    std::shared_lock lock(state_->mutex);
    const auto it = state_->by_oid.find(t);
    return it == state_->by_oid.end() ? nullptr : it->second;
}

std::shared_ptr<const user_type> type_registry::find(std::string_view name) const {
    std::shared_lock lock(state_->mutex);
    if (const protocol::oid t = state_->oid_of(name)) {
        const auto it = state_->by_oid.find(t);
        return it == state_->by_oid.end() ? nullptr : it->second;
    }
    // "hstore" for a type loaded as "public.hstore": its unqualified name, when no other loaded
    // type has it.
    if (name.find('.') != std::string_view::npos) return nullptr;
    std::shared_ptr<const user_type> found;
    for (const auto& [oid, u] : state_->by_oid) {
        if (u->name != name) continue;
        if (found) return nullptr;
        found = u;
    }
    return found;
}

protocol::oid type_registry::base_type(protocol::oid t) const {
    std::shared_lock lock(state_->mutex);
    // A domain over a domain...: bounded, a cycle in corrupt catalogs must not hang.
    for (int depth = 0; depth < 32; ++depth) {
        const auto it = state_->by_oid.find(t);
        if (it == state_->by_oid.end() || it->second->kind != user_type_kind::domain) return t;
        t = it->second->base_oid;
    }
    return t;
}

void type_registry::add(user_type t, std::span<const std::string> requested_as) {
    std::unique_lock lock(state_->mutex);
    const protocol::oid oid = t.oid;
    // A name that stood for another OID (the type was dropped and made again): the old type is
    // no longer one to load again.
    const auto name_for = [&](const std::string& n) {
        auto& named = state_->by_name[n];
        if (named != 0 && named != oid) state_->changed.erase(named);
        named = oid;
    };
    name_for(t.qualified_name());
    for (const auto& n : requested_as)
        name_for(n);
    state_->changed.erase(oid);
    state_->by_oid[oid] = std::make_shared<const user_type>(std::move(t));
}

void type_registry::mark_changed(protocol::oid t) const {
    std::unique_lock lock(state_->mutex);
    state_->changed.insert(t);
}

std::vector<std::string> type_registry::pending_names() const {
    std::shared_lock lock(state_->mutex);
    std::vector<std::string> names;
    for (const auto& [cpp, name] : state_->registered)
        if (state_->oid_of(name) == 0) names.push_back(name);
    for (const protocol::oid t : state_->changed)
        if (const auto it = state_->by_oid.find(t); it != state_->by_oid.end())
            names.push_back(it->second->qualified_name());
    return names;
}

void type_registry::register_type(std::type_index cpp, std::string name) {
    std::unique_lock lock(state_->mutex);
    state_->registered[cpp] = std::move(name);
}

protocol::oid type_registry::runtime_oid(std::type_index cpp) const {
    std::shared_lock lock(state_->mutex);
    const auto it = state_->registered.find(cpp);
    return it == state_->registered.end() ? 0 : state_->oid_of(it->second);
}

bool type_registry::registered(std::type_index cpp) const {
    std::shared_lock lock(state_->mutex);
    return state_->registered.contains(cpp);
}

namespace detail {
namespace {

thread_local const type_registry* current = nullptr;
thread_local std::string decode_detail;
thread_local std::vector<protocol::oid>* used_types = nullptr;

// Notes `t`, a type the current registry loaded, for the used_types_scope of this thread.
void note_used(protocol::oid t) {
    if (used_types && std::find(used_types->begin(), used_types->end(), t) == used_types->end())
        used_types->push_back(t);
}

// The name of `t` for messages: its qualified name when loaded.
std::string type_name(protocol::oid t) {
    if (t == protocol::oids::record) return "record";
    if (const auto* r = current)
        if (const auto u = r->find(t)) return u->qualified_name();
    return fmt::format("oid {}", t);
}

} // namespace

const type_registry* current_types() noexcept {
    return current;
}

type_scope::type_scope(const type_registry* r) noexcept
    : saved_(current) {
    current = r;
    // A detail left by a failure nobody reported (an error_code returned, not thrown) must not
    // end up in the message of the next one.
    if (!decode_detail.empty()) decode_detail.clear();
}

type_scope::~type_scope() {
    current = saved_;
}

used_types_scope::used_types_scope(std::vector<protocol::oid>& out) noexcept
    : saved_(used_types) {
    used_types = &out;
}

used_types_scope::~used_types_scope() {
    used_types = saved_;
}

void set_decode_detail(std::string detail) {
    decode_detail = std::move(detail);
}

std::string take_decode_detail() {
    return std::exchange(decode_detail, std::string());
}

protocol::oid registered_oid(std::type_index cpp) noexcept {
    const protocol::oid t = current ? current->runtime_oid(cpp) : 0;
    if (t != 0) note_used(t);
    return t;
}

bool is_registered(std::type_index cpp) noexcept {
    return current && current->registered(cpp);
}

std::shared_ptr<const user_type> loaded_type(protocol::oid t) noexcept {
    auto u = current ? current->find(t) : nullptr;
    if (u) note_used(t);
    return u;
}

protocol::oid resolve_domain(protocol::oid t) noexcept {
    return current ? current->base_type(t) : t;
}

protocol::oid loaded_element_of(protocol::oid array_type) noexcept {
    const auto u = loaded_type(array_type);
    return u && u->kind == user_type_kind::array ? u->element_oid : 0;
}

namespace {

// Whether `t` is loaded as `kind` and, when `cpp` was registered, is its registered type.
bool accepts_kind(protocol::oid t, user_type_kind kind, std::type_index cpp) noexcept {
    if (!current) return false;
    if (current->registered(cpp)) return t != 0 && t == current->runtime_oid(cpp);
    const auto u = current->find(t);
    return u && u->kind == kind;
}

} // namespace

bool accepts_enum(protocol::oid t, std::type_index cpp) noexcept {
    return accepts_kind(t, user_type_kind::enumeration, cpp);
}

bool accepts_composite(protocol::oid t, std::type_index cpp, bool by_position) noexcept {
    if (by_position && t == protocol::oids::record) return true;
    return accepts_kind(t, user_type_kind::composite, cpp);
}

bool accepts_named(protocol::oid t, std::string_view name, std::type_index cpp) noexcept {
    if (t == 0) return false;
    return t == named_oid(name, cpp);
}

protocol::oid named_oid(std::string_view name, std::type_index cpp) noexcept {
    if (!current) return 0;
    if (current->registered(cpp)) return current->runtime_oid(cpp);
    const auto u = current->find(name);
    return u ? u->oid : 0;
}

error_code unknown_label(std::string_view label, protocol::oid t, std::string_view cpp_type) {
    set_decode_detail(fmt::format("the enum {} has the label \"{}\", which the C++ enum {} lacks",
                                  type_name(t), label, cpp_type));
    return client_errc::invalid_text_value;
}

error_code read_record(std::span<const std::byte> in, std::vector<record_field>& out) {
    out.clear();
    protocol::detail::byte_reader r(in);
    const std::int32_t n = r.i32();
    if (r.error() || n < 0) return client_errc::invalid_binary_length;
    // Each field takes 8 bytes at least: a count the bytes cannot hold is refused before any
    // allocation.
    if (static_cast<std::size_t>(n) > r.remaining() / 8) return client_errc::invalid_binary_length;
    out.reserve(static_cast<std::size_t>(n));
    for (std::int32_t i = 0; i < n; ++i) {
        record_field& f = out.emplace_back();
        f.type_oid = r.u32();
        const std::int32_t len = r.i32();
        if (r.error() || len < -1) return client_errc::invalid_binary_length;
        if (len >= 0) {
            if (static_cast<std::size_t>(len) > r.remaining())
                return client_errc::invalid_binary_length;
            f.value = r.bytes(static_cast<std::size_t>(len));
        }
    }
    if (r.error() || !r.empty()) return client_errc::invalid_binary_length;
    return {};
}

error_code read_record_text(std::string_view in, std::vector<std::optional<std::string>>& out) {
    // record_in: blanks around the parentheses, fields between commas; inside a field, "..."
    // quotes (with "" for a quote) and \ escapes the next character; an empty unquoted field is
    // NULL.
    out.clear();
    std::size_t i = 0;
    const auto blank = [&] {
        while (i < in.size() && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r'))
            ++i;
    };
    blank();
    if (i >= in.size() || in[i] != '(') return client_errc::invalid_text_value;
    ++i;
    // "()" is a record of no attributes.
    if (i < in.size() && in[i] == ')') {
        ++i;
        blank();
        return i == in.size() ? error_code() : error_code(client_errc::invalid_text_value);
    }
    for (;;) {
        std::string field;
        bool quoted_any = false;
        bool in_quotes = false;
        for (;;) {
            if (i >= in.size()) return client_errc::invalid_text_value;
            const char c = in[i];
            if (in_quotes) {
                if (c == '"') {
                    if (i + 1 < in.size() && in[i + 1] == '"') {
                        field += '"';
                        i += 2;
                    } else {
                        in_quotes = false;
                        ++i;
                    }
                } else if (c == '\\') {
                    if (i + 1 >= in.size()) return client_errc::invalid_text_value;
                    field += in[i + 1];
                    i += 2;
                } else {
                    field += c;
                    ++i;
                }
                continue;
            }
            if (c == ',' || c == ')') break;
            if (c == '"') {
                in_quotes = true;
                quoted_any = true;
                ++i;
            } else if (c == '\\') {
                if (i + 1 >= in.size()) return client_errc::invalid_text_value;
                field += in[i + 1];
                i += 2;
            } else {
                field += c;
                ++i;
            }
        }
        if (field.empty() && !quoted_any)
            out.emplace_back();
        else
            out.emplace_back(std::move(field));
        if (in[i++] == ')') break;
    }
    blank();
    return i == in.size() ? error_code() : error_code(client_errc::invalid_text_value);
}

void append_record_text(std::string& out, std::span<const std::optional<std::string>> fields) {
    out += '(';
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) out += ',';
        if (!fields[i]) continue;
        const std::string& f = *fields[i];
        // record_out quotes an empty string and anything holding a delimiter, quote,
        // backslash, parenthesis or blank; inside quotes it doubles quotes and backslashes.
        const bool quote = f.empty() || f.find_first_of("\",\\() \t\n\r\v\f") != std::string::npos;
        if (!quote) {
            out += f;
            continue;
        }
        out += '"';
        for (const char c : f) {
            if (c == '"' || c == '\\') out += c;
            out += c;
        }
        out += '"';
    }
    out += ')';
}

std::shared_ptr<const user_type> record_layout(protocol::oid t, std::size_t field_count,
                                               std::span<const record_field> fields,
                                               error_code& ec) {
    ec = {};
    auto layout = loaded_type(t);
    if (!layout || layout->kind != user_type_kind::composite) return nullptr;
    bool same = layout->attributes.size() == field_count;
    for (std::size_t i = 0; same && i < fields.size(); ++i)
        same = fields[i].type_oid == layout->attributes[i].type_oid;
    if (same) return layout;
    current->mark_changed(t);
    set_decode_detail(fmt::format(
        "the composite type {} has changed since it was loaded: the value has {} attribute{} "
        "where {} were loaded, or other types; load it again (async_load_types)",
        layout->qualified_name(), field_count, field_count == 1 ? "" : "s",
        layout->attributes.size()));
    ec = client_errc::type_changed;
    return nullptr;
}

std::size_t attribute_index(const user_type& layout, std::string_view name,
                            std::string_view cpp_type) {
    for (std::size_t i = 0; i < layout.attributes.size(); ++i)
        if (layout.attributes[i].name == name) return i;
    set_decode_detail(fmt::format("the composite type {} has no attribute \"{}\" for the member "
                                  "of that name of {}",
                                  layout.qualified_name(), name, cpp_type));
    return static_cast<std::size_t>(-1);
}

error_code field_count_mismatch(protocol::oid t, std::size_t fields, std::size_t members,
                                std::string_view cpp_type) {
    set_decode_detail(fmt::format("the composite type {} has {} attribute{}, the C++ type {} {} "
                                  "member{}",
                                  type_name(t), fields, fields == 1 ? "" : "s", cpp_type, members,
                                  members == 1 ? "" : "s"));
    return client_errc::type_mismatch;
}

protocol::oid attribute_oid(const user_type& layout, std::size_t attr, protocol::oid sent,
                            bool sent_accepted) {
    const type_attribute& a = layout.attributes[attr];
    const protocol::oid base = resolve_domain(a.type_oid);
    // record_recv checks each field's type against the attribute's exactly; a domain's value is
    // its base type's bytes, and the string types share text's binary form.
    const auto is_string = [](protocol::oid t) {
        return t == protocol::oids::text || t == protocol::oids::varchar ||
               t == protocol::oids::bpchar || t == protocol::oids::name;
    };
    if (sent == base || (sent == 0 && sent_accepted) ||
        (sent == protocol::oids::text && is_string(base)))
        return a.type_oid;
    set_decode_detail(
        fmt::format("the attribute \"{}\" of {} has type {}, which a member sent as "
                    "{} cannot fill",
                    a.name, layout.qualified_name(), type_name(a.type_oid),
                    sent == 0 ? std::string("a type not loaded") : fmt::format("oid {}", sent)));
    return 0;
}

error_code composite_not_registered(std::string_view cpp_type) {
    set_decode_detail(fmt::format("{} is matched to its composite type by attribute name: "
                                  "register it (type_registry::register_type) and load it to "
                                  "send it",
                                  cpp_type));
    return client_errc::unknown_type;
}

} // namespace detail
} // namespace pgasio
