// The rows a query returned, in one buffer.
#pragma once

#include <pgasio/column.hpp>
#include <pgasio/detail/pod_buffer.hpp>
#include <pgasio/row_view.hpp>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio {

namespace detail {
class result_builder;
}

/// The outcome of one statement: its columns, its rows and its command tag.
///
/// All the values' bytes live in ONE contiguous buffer, copied there once from the DataRow
/// messages; a flat array holds one 32-bit offset per value (its end; bit 31 marks NULL). A
/// connection builds its results in buffers it keeps, so reading a result allocates nothing per
/// row or per value; a small result then gets one exact allocation for its offsets and values
/// together, a large one takes the buffers over without a copy. Values are decoded only when
/// asked for (row_view::get). 32-bit offsets halve the per-value overhead, and
/// limit one result to 2 GiB of value bytes: a larger one fails with
/// client_errc::result_too_large (read such results in parts, e.g. with LIMIT/OFFSET or a
/// cursor).
///
/// Copyable (a deep copy of the buffer; the columns are shared) and cheap to move; moving keeps
/// every row_view and every decoded view (std::string_view, ...) valid, as the buffer stays put.
///
/// @code
/// pgasio::result r = co_await conn.async_query("SELECT id, name FROM users");
/// for (pgasio::row_view row : r)
///     fmt::print("{} {}\n", row.get<std::int64_t>("id"), row.get<std::string_view>(1));
/// auto n = r.rows_affected();  // 2 for "SELECT 2"
/// @endcode
class result {
public:
    class iterator;
    /// The iterator over the elements.
    using const_iterator = iterator;
    /// The type of an element.
    using value_type = row_view;
    /// The type of sizes and indexes.
    using size_type = std::size_t;

    /// A result without columns, rows or tag.
    result() = default;

    /// The number of rows.
    std::size_t size() const noexcept { return rows_; }
    /// True when there are no rows.
    bool empty() const noexcept { return rows_ == 0; }
    /// Row `i` (i < size(), unchecked).
    row_view operator[](std::size_t i) const noexcept {
        // Inline and without columns()'s empty fallback: this runs once per row read.
        if (!columns_) return row_view(nullptr, 0, values(), offsets());
        const std::size_t n = columns_->size();
        return row_view(columns_->data(), n, values(), offsets() + i * n);
    }
    /// The first element.
    iterator begin() const noexcept;
    /// Past the last element.
    iterator end() const noexcept;

    /// The columns (empty for commands that return no rows).
    const std::vector<column>& columns() const noexcept;
    /// The column list, shareable with other results of the same statement (may be null).
    const column_list& shared_columns() const noexcept { return columns_; }
    /// The index of the first column called exactly `name`, or nullopt. Matching is exact and
    /// case-sensitive: unlike libpq's PQfnumber, no case folding and no quote removal.
    std::optional<std::size_t> column_index(std::string_view name) const noexcept {
        return detail::find_column(columns(), name);
    }

    /// CommandComplete's tag ("SELECT 2", "INSERT 0 1", "CREATE TABLE"); empty when none came.
    std::string_view command_tag() const noexcept { return tag_; }
    /// The row count of the tag (rows inserted, updated, deleted, selected, copied, ...); 0 for
    /// commands whose tag has no count.
    std::uint64_t rows_affected() const noexcept;

    /// The buffer holding every value's bytes, row after row (for tests and statistics).
    std::span<const std::byte> buffer() const noexcept {
        return {values(), data_.size() - values_at_};
    }

private:
    friend class detail::result_builder;

    // The offsets: offsets[0] = 0, then the end of each value (| null_flag for NULL), row after
    // row. A small result keeps them at the front of data_ (one allocation: offsets, then the
    // values from values_at_ on); a large one in offsets_, beside its values in data_.
    const detail::value_offset* offsets() const noexcept {
        return offsets_.empty() ? reinterpret_cast<const detail::value_offset*>(data_.data())
                                : offsets_.data();
    }
    const std::byte* values() const noexcept { return data_.data() + values_at_; }

    column_list columns_;
    detail::pod_buffer<std::byte> data_;
    detail::pod_buffer<detail::value_offset> offsets_;
    std::size_t values_at_ = 0;
    std::size_t rows_ = 0;
    std::string tag_;
};

/// A random-access iterator over the rows of a result; dereferencing gives a row_view by value.
class result::iterator {
public:
    /// The iterator's category.
    using iterator_concept = std::random_access_iterator_tag;
    /// The iterator's category.
    using iterator_category = std::input_iterator_tag; // operator* returns a value, not a reference
    /// The type of the elements it visits.
    using value_type = row_view;
    /// The distance between two iterators.
    using difference_type = std::ptrdiff_t;
    /// What dereferencing gives.
    using reference = row_view;

    iterator() = default;
    /// The current element.
    row_view operator*() const noexcept { return (*result_)[index_]; }
    /// The element `n` places away.
    row_view operator[](difference_type n) const noexcept {
        return (*result_)[static_cast<std::size_t>(static_cast<difference_type>(index_) + n)];
    }
    /// Steps to the next element.
    iterator& operator++() noexcept {
        ++index_;
        return *this;
    }
    /// Steps to the next element, returning the iterator as it was.
    iterator operator++(int) noexcept {
        auto old = *this;
        ++index_;
        return old;
    }
    /// Steps back to the previous element.
    iterator& operator--() noexcept {
        --index_;
        return *this;
    }
    /// Steps back to the previous element, returning the iterator as it was.
    iterator operator--(int) noexcept {
        auto old = *this;
        --index_;
        return old;
    }
    /// Moves `n` elements on.
    iterator& operator+=(difference_type n) noexcept {
        index_ = static_cast<std::size_t>(static_cast<difference_type>(index_) + n);
        return *this;
    }
    /// Moves `n` elements back.
    iterator& operator-=(difference_type n) noexcept { return *this += -n; }
    /// The iterator `n` elements on.
    friend iterator operator+(iterator it, difference_type n) noexcept { return it += n; }
    /// The iterator `n` elements on.
    friend iterator operator+(difference_type n, iterator it) noexcept { return it += n; }
    /// The iterator `n` elements back.
    friend iterator operator-(iterator it, difference_type n) noexcept { return it -= n; }
    /// The number of elements from `b` to `a`.
    friend difference_type operator-(const iterator& a, const iterator& b) noexcept {
        return static_cast<difference_type>(a.index_) - static_cast<difference_type>(b.index_);
    }
    /// Whether both designate the same element.
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
        return a.index_ == b.index_;
    }
    /// The order of the elements they designate.
    friend auto operator<=>(const iterator& a, const iterator& b) noexcept {
        return a.index_ <=> b.index_;
    }

private:
    friend class result;
    iterator(const result* r, std::size_t index) noexcept
        : result_(r)
        , index_(index) {}
    const result* result_ = nullptr;
    std::size_t index_ = 0;
};

inline result::iterator result::begin() const noexcept {
    return {this, 0};
}
inline result::iterator result::end() const noexcept {
    return {this, rows_};
}

} // namespace pgasio
