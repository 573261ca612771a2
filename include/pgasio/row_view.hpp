// One row of a result: typed access to its values.
#pragma once

#include <pgasio/column.hpp>
#include <pgasio/detail/cpp_type_name.hpp>
#include <pgasio/detail/decode_field.hpp>
#include <pgasio/error.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace pgasio {

class result;

namespace detail {

/// A value's end offset in a result's buffer.
using value_offset = std::uint32_t;
/// Bit 31 of a value's end offset marks a NULL (it then has no bytes).
inline constexpr value_offset null_flag = value_offset{1} << 31;
/// The most value bytes one result holds (offsets must stay below null_flag).
inline constexpr std::size_t max_result_bytes = null_flag - 1;

/// Throws the pgasio::error that a failed get() of column `index` into `cpp_type` deserves: its
/// message names the column by index and name, its type, and what was wrong. `value_is_null`:
/// the value itself is NULL (an unexpected_null otherwise comes from within it: an array's
/// element).
[[noreturn]] void throw_get_error(boost::system::error_code ec, std::span<const column> cols,
                                  std::size_t index, std::string_view cpp_type, bool value_is_null);

/// Throws pgasio::error (invalid_argument) for a column name that is not in the row.
[[noreturn]] void throw_column_not_found(std::span<const column> cols, std::string_view name);

/// The index of the first column called `name` (exact, case-sensitive), or nullopt.
std::optional<std::size_t> find_column(std::span<const column> cols,
                                       std::string_view name) noexcept;

} // namespace detail

/// A view of one row of a result: its values, decoded on demand from the result's buffer.
///
/// Cheap to copy (four pointers' worth). Valid while the result it came from lives (moving the
/// result keeps it valid: the buffer does not move); a default-constructed row_view has no values.
///
/// Values decode through protocol::types::codec<T>: `get<T>` checks that codec<T>::accepts the
/// column's type, then decodes the binary or text form the column arrived in. View types
/// (std::string_view, std::span<const std::byte>) point into the result's buffer.
///
/// Errors: `get` and `try_get` throw pgasio::error whose diag().message names the column by
/// index and name and says what was wrong:
/// - client_errc::unexpected_null: NULL into a T that is not std::optional;
/// - client_errc::type_mismatch: the column's type does not convert to T, e.g.
///   `column 1 "name" has type text (oid 25), which does not convert to std::int32_t`;
/// - the codec's errors (invalid_binary_length, value_out_of_range, ...) for a malformed value;
/// - boost::system::errc::invalid_argument: an index out of range or an unknown column name.
/// The overloads `get(index, out)` and `get(name, out)` return these codes instead of throwing.
///
/// @code
/// for (pgasio::row_view row : rows) {
///     auto id = row.get<std::int64_t>(0);
///     auto name = row.get<std::string_view>("name");          // a view into the result
///     auto email = row.try_get<std::string>("email");          // nullopt when NULL
///     std::int32_t age;
///     if (auto ec = row.get(2, age)) ...;                      // no exception
/// }
/// @endcode
class row_view {
public:
    row_view() = default;

    /// The number of values (the number of columns).
    std::size_t size() const noexcept { return size_; }
    /// The columns of the values.
    std::span<const column> columns() const noexcept { return {columns_, size_}; }
    /// The index of the first column called exactly `name` (case-sensitive, no identifier
    /// folding or quote removal: libpq's PQfnumber would fold "Name" to "name"; here the name is
    /// compared as the server sent it), or nullopt.
    std::optional<std::size_t> column_index(std::string_view name) const noexcept {
        return detail::find_column(columns(), name);
    }

    /// True when value `index` is NULL. Throws pgasio::error (invalid_argument) when index >=
    /// size().
    bool is_null(std::size_t index) const { return !raw(index); }

    /// The bytes of value `index` as the server sent them (binary or text, see
    /// columns()[index].format), or nullopt for NULL. Throws pgasio::error (invalid_argument) when
    /// index >= size().
    std::optional<std::span<const std::byte>> raw(std::size_t index) const {
        if (index >= size_)
            detail::throw_get_error(out_of_range(), columns(), index, "a value", false);
        return raw_unchecked(index);
    }

    /// Value `index` decoded as T (T = std::optional<U> for a column that may be NULL). Throws
    /// pgasio::error (see the class).
    template <class T>
    T get(std::size_t index) const {
        T out{};
        if (auto ec = get(index, out)) [[unlikely]]
            detail::throw_get_error(ec, columns(), index,
                                    detail::cpp_type_name<typename detail::decoded_type<T>::type>(),
                                    index < size_ && !raw_unchecked(index));
        return out;
    }
    /// The value of the first column called `name`, decoded as T. Throws pgasio::error.
    template <class T>
    T get(std::string_view name) const {
        return get<T>(index_of(name));
    }

    /// Value `index` decoded as T, or nullopt when it is NULL. Throws pgasio::error for the other
    /// errors (see the class).
    template <class T>
    std::optional<T> try_get(std::size_t index) const {
        return get<std::optional<T>>(index);
    }
    /// try_get of the first column called `name`.
    template <class T>
    std::optional<T> try_get(std::string_view name) const {
        return get<std::optional<T>>(index_of(name));
    }

    /// Decodes value `index` into `out` without throwing (for hot loops). Returns the error codes
    /// listed in the class documentation; `out` is unspecified after an error.
    template <class T>
    boost::system::error_code get(std::size_t index, T& out) const {
        if (index >= size_) return out_of_range();
        return detail::decode_field(columns_[index], raw_unchecked(index), out);
    }
    /// get(index, out) for the first column called `name` (invalid_argument when there is none).
    template <class T>
    boost::system::error_code get(std::string_view name, T& out) const {
        const auto index = column_index(name);
        if (!index) return out_of_range();
        return get(*index, out);
    }

private:
    friend class result;
    row_view(const column* columns, std::size_t size, const std::byte* data,
             const detail::value_offset* offsets) noexcept
        : columns_(columns)
        , size_(size)
        , data_(data)
        , offsets_(offsets) {}

    static boost::system::error_code out_of_range() noexcept {
        return make_error_code(boost::system::errc::invalid_argument);
    }
    std::size_t index_of(std::string_view name) const {
        const auto index = column_index(name);
        if (!index) detail::throw_column_not_found(columns(), name);
        return *index;
    }
    // Value i occupies [offsets_[i], offsets_[i + 1]) without the NULL flags: each offset is the
    // end of the previous value, so a value costs one offset (see result).
    std::optional<std::span<const std::byte>> raw_unchecked(std::size_t i) const noexcept {
        const detail::value_offset end = offsets_[i + 1];
        if (end & detail::null_flag) return std::nullopt;
        const detail::value_offset begin = offsets_[i] & ~detail::null_flag;
        return std::span<const std::byte>(data_ + begin, static_cast<std::size_t>(end - begin));
    }

    const column* columns_ = nullptr;
    std::size_t size_ = 0;
    const std::byte* data_ = nullptr;
    const detail::value_offset* offsets_ = nullptr;
};

} // namespace pgasio
