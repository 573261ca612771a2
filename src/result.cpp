#include "text_form.hpp"

#include <pgasio/detail/current_types.hpp>
#include <pgasio/detail/result_builder.hpp>
#include <pgasio/result.hpp>
#include <pgasio/type_registry.hpp>

#include <fmt/format.h>

#include <cstring>

#include <utility>

namespace pgasio {

namespace detail {

column_list make_columns(const protocol::row_description_view& rd,
                         std::shared_ptr<const type_registry> types) {
    auto cols = std::make_shared<std::vector<column>>();
    cols->reserve(rd.size());
    // Every column shares the registry of the connection that described them.
    const std::shared_ptr<const type_registry> shared = std::move(types);
    for (const protocol::column_description d : rd)
        cols->push_back(column{std::string(d.name), d.type_oid, d.table_oid, d.column_number,
                               d.type_size, d.type_modifier, d.format, shared});
    return cols;
}

std::optional<std::size_t> find_column(std::span<const column> cols,
                                       std::string_view name) noexcept {
    for (std::size_t i = 0; i < cols.size(); ++i)
        if (cols[i].name == name) return i;
    return std::nullopt;
}

namespace {

// Copies bytes: one value, or a small result's offsets and values. Most are a few bytes long,
// for which a call to memcpy costs more than the copy: up to 16 bytes are moved with two
// overlapping loads and stores, inline in the row loop.
[[gnu::always_inline]] inline void copy_value(std::byte* out, const std::byte* in,
                                              std::size_t size) noexcept {
    const auto copy_two = [&]<class U>(U) {
        U head, tail;
        std::memcpy(&head, in, sizeof(U));
        std::memcpy(&tail, in + size - sizeof(U), sizeof(U));
        std::memcpy(out, &head, sizeof(U));
        std::memcpy(out + size - sizeof(U), &tail, sizeof(U));
    };
    if (size > 16) {
        std::memcpy(out, in, size);
    } else if (size >= 8) {
        copy_two(std::uint64_t{});
    } else if (size >= 4) {
        copy_two(std::uint32_t{});
    } else if (size > 0) {
        // 1 to 3 bytes: first, middle and last cover them all.
        out[0] = in[0];
        out[size / 2] = in[size / 2];
        out[size - 1] = in[size - 1];
    }
}

[[noreturn]] void throw_message(boost::system::error_code ec, std::string message) {
    diagnostics diag;
    diag.message = std::move(message);
    throw error(ec, std::move(diag));
}

} // namespace

void throw_get_error(boost::system::error_code ec, std::span<const column> cols, std::size_t index,
                     std::string_view cpp_type, bool value_is_null) {
    // What a codec of a user-defined type said about the failure (the label, the attribute).
    const std::string detail = take_decode_detail();
    if (index >= cols.size())
        throw_message(ec, fmt::format("column index {} is out of range: the row has {} column{}",
                                      index, cols.size(), cols.size() == 1 ? "" : "s"));
    const column& c = cols[index];
    const auto loaded = c.types ? c.types->find(c.type_oid) : nullptr;
    const std::string type = loaded
                                 ? fmt::format("{} (oid {})", loaded->qualified_name(), c.type_oid)
                                 : describe_type(c.type_oid);
    if (!detail.empty())
        throw_message(ec, fmt::format("column {} \"{}\" of type {} does not decode into {}: {}",
                                      index, c.name, type, cpp_type, detail));
    if (ec == protocol::client_errc::unexpected_null && value_is_null)
        throw_message(ec, fmt::format("column {} \"{}\" is NULL, which does not convert to {} "
                                      "(use std::optional or try_get)",
                                      index, c.name, cpp_type));
    if (ec == protocol::client_errc::unexpected_null)
        throw_message(ec, fmt::format("column {} \"{}\" of type {} is not NULL, but holds a NULL "
                                      "element or attribute, which {} cannot hold (read it as a "
                                      "std::optional: std::vector<std::optional<E>> for an array)",
                                      index, c.name, type, cpp_type));
    // Types created in the database (or an extension): their codecs need them loaded.
    const std::string load_hint = !loaded && c.type_oid >= first_user_oid
                                      ? "; to read it as a C++ enum, composite or hstore, load "
                                        "its type first (connection::async_load_types)"
                                      : "";
    if (ec == protocol::client_errc::type_mismatch && c.format == protocol::format_code::binary &&
        !decodes_binary(c.type_oid))
        throw_message(ec, fmt::format("column {} \"{}\" has type {}, which pgasio has no binary "
                                      "codec for, and it arrived in binary (the statement was "
                                      "bound before its columns were described), which does not "
                                      "convert to {}; to read its text as std::string, run the "
                                      "query with pgasio::with_text_results or cast the column "
                                      "to text in SQL{}",
                                      index, c.name, type, cpp_type, load_hint));
    if (ec == protocol::client_errc::type_mismatch && !load_hint.empty())
        throw_message(ec, fmt::format("column {} \"{}\" has type {}, which does not convert to "
                                      "{}{}",
                                      index, c.name, type, cpp_type, load_hint));
    if (ec == protocol::client_errc::type_mismatch)
        throw_message(ec, fmt::format("column {} \"{}\" has type {}, which does not convert to {}",
                                      index, c.name, type, cpp_type));
    throw_message(ec, fmt::format("column {} \"{}\" of type {} does not decode into {}: {}", index,
                                  c.name, type, cpp_type, ec.message()));
}

void throw_column_not_found(std::span<const column> cols, std::string_view name) {
    std::string names;
    for (const column& c : cols)
        names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", c.name);
    throw_message(make_error_code(boost::system::errc::invalid_argument),
                  fmt::format("no column \"{}\" in the row (its columns: {})", name,
                              names.empty() ? std::string("none") : names));
}

void result_builder::set_columns(column_list cols) {
    columns_ = std::move(cols);
}

boost::system::error_code result_builder::add_row(std::span<const std::byte> body) {
    const std::size_t n = columns_ ? columns_->size() : 0;
    // The values' bytes are fewer than the body's: room for all of them at once, then one pass
    // validates the row and copies its values. The pass writes through local pointers and
    // publishes the new sizes only when the whole row is good, so a bad row leaves nothing.
    values_.reserve_more(body.size());
    offsets_.reserve_more(n + 1);
    if (offsets_.empty()) offsets_.push_back(0);
    std::byte* const base = values_.data();
    std::byte* out = base + values_.size();
    value_offset* off = offsets_.data() + offsets_.size();
    auto ec = protocol::visit_data_row(
        body,
        [n](std::uint16_t count) -> boost::system::error_code {
            if (count != n) return protocol::client_errc::unexpected_message;
            return {};
        },
        [&](const std::optional<std::span<const std::byte>>& value) {
            if (value) {
                copy_value(out, value->data(), value->size());
                out += value->size();
            }
            *off++ = static_cast<value_offset>(out - base) | (value ? 0 : null_flag);
        });
    // Offsets are 32-bit: a result stops at 2 GiB of value bytes.
    if (!ec && static_cast<std::size_t>(out - base) > max_result_bytes)
        ec = protocol::client_errc::result_too_large;
    if (ec) return ec;
    values_.append_written(static_cast<std::size_t>(out - base) - values_.size());
    offsets_.append_written(n);
    ++rows_;
    return {};
}

void result_builder::set_command_tag(std::string_view tag) {
    tag_.assign(tag);
}

result result_builder::finish() {
    result r;
    r.columns_ = std::move(columns_);
    r.rows_ = rows_;
    r.tag_ = std::move(tag_);
    const std::size_t offset_bytes = offsets_.size() * sizeof(value_offset);
    if (offset_bytes + values_.size() > keep_limit) {
        r.data_ = std::exchange(values_, {});
        r.offsets_ = std::exchange(offsets_, {});
    } else if (!offsets_.empty()) {
        // One block, offsets first (malloc's alignment suits them), then the values.
        r.data_.reserve_more(offset_bytes + values_.size());
        std::byte* block = r.data_.data();
        copy_value(block, reinterpret_cast<const std::byte*>(offsets_.data()), offset_bytes);
        copy_value(block + offset_bytes, values_.data(), values_.size());
        r.data_.append_written(offset_bytes + values_.size());
        r.values_at_ = offset_bytes;
    }
    reset();
    return r;
}

result result_builder::take_rows() {
    column_list columns = columns_;
    result r = finish();
    columns_ = std::move(columns);
    return r;
}

void result_builder::reset() noexcept {
    columns_.reset();
    values_.clear();
    offsets_.clear();
    rows_ = 0;
    tag_.clear();
}

} // namespace detail

const std::vector<column>& result::columns() const noexcept {
    static const std::vector<column> none;
    return columns_ ? *columns_ : none;
}

std::uint64_t result::rows_affected() const noexcept {
    return protocol::command_complete_view{tag_}.rows().value_or(0);
}

} // namespace pgasio
