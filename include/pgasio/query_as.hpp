// Typed rows: mapping a result's columns to the members of a C++ type.
#pragma once

#include <pgasio/detail/cpp_type_name.hpp>
#include <pgasio/detail/decode_field.hpp>
#include <pgasio/result.hpp>
#include <pgasio/row_view.hpp>

#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

/// How a row maps to a C++ type T (`async_query_as<T>`), in this order of preference:
///
/// 1. T has a codec (std::int64_t, std::string, std::optional<T>, ...): the row's single column.
/// 2. T is described with BOOST_DESCRIBE_STRUCT: each public member takes the column of its name
///    (the first column of that name, exact case); extra columns are ignored, a member without a
///    column is an error.
/// 3. T is a std::tuple: column i goes to element i; the numbers must be equal.
/// 4. T is another aggregate: column i goes to member i (Boost.PFR, by position: Boost 1.81's
///    PFR does not know member names); the numbers must be equal.
///
/// The mapping is checked against the columns ONCE per result (a plan: the column of each member,
/// whose type is checked to convert); then every row is decoded with the plan. Members of view
/// types (std::string_view, std::span<const std::byte>) point into the result's buffer: they
/// dangle once the result is gone, so typed rows that outlive their result should own their
/// values (std::string, std::vector<std::byte>).
///
/// Errors throw pgasio::error: client_errc::type_mismatch for a member without a column, a count
/// mismatch, or a column whose type does not convert to its member (each message names the
/// column and the member); the row_view::get errors (NULL into a non-optional member, ...) while
/// decoding rows.
///
/// @code
/// struct user { std::int64_t id; std::string name; std::optional<std::string> email; };
/// BOOST_DESCRIBE_STRUCT(user, (), (id, name, email))
/// std::vector<user> users = pgasio::rows_as<user>(r);   // by column name
/// auto [id, name] = pgasio::detail::row_as<std::tuple<int, std::string>>(r[0]);  // by position
/// @endcode
namespace pgasio::detail {

/// How T is mapped (see the file comment).
enum class row_mapping { scalar, described, tuple, aggregate };

template <class T>
struct is_tuple : std::false_type {};
template <class... A>
struct is_tuple<std::tuple<A...>> : std::true_type {};

/// The mapping of T; a type that fits none fails to compile with a static_assert naming it.
template <class T>
constexpr row_mapping mapping_of() {
    if constexpr (is_decodable_v<T>)
        return row_mapping::scalar;
    else if constexpr (boost::describe::has_describe_members<T>::value)
        return row_mapping::described;
    else if constexpr (is_tuple<T>::value)
        return row_mapping::tuple;
    else {
        static_assert(std::is_aggregate_v<T>,
                      "pgasio: rows map to a type with a codec, a BOOST_DESCRIBE_STRUCT, a "
                      "std::tuple or an aggregate; this type is none of them");
        return row_mapping::aggregate;
    }
}

template <class T>
using described_members = boost::describe::describe_members<T, boost::describe::mod_public |
                                                                   boost::describe::mod_inherited>;

/// The names of a described struct's public members: the columns a COPY or an INSERT of it
/// writes.
template <class T>
std::vector<std::string> member_names() {
    static_assert(mapping_of<T>() == row_mapping::described,
                  "pgasio: the columns written from a T come from its member names, which only a "
                  "BOOST_DESCRIBE_STRUCT gives: pass the column list");
    std::vector<std::string> names;
    boost::mp11::mp_for_each<described_members<T>>([&](auto d) { names.emplace_back(d.name); });
    return names;
}

/// The number of columns T takes.
template <class T>
constexpr std::size_t field_count() {
    constexpr row_mapping m = mapping_of<T>();
    if constexpr (m == row_mapping::scalar)
        return 1;
    else if constexpr (m == row_mapping::described)
        return boost::mp11::mp_size<described_members<T>>::value;
    else if constexpr (m == row_mapping::tuple)
        return std::tuple_size_v<T>;
    else
        return boost::pfr::tuple_size_v<T>;
}

/// The column of each of T's fields, checked against the columns once per result.
template <class T>
struct row_plan {
    std::array<std::size_t, field_count<T>()> columns{};
};

/// Throws type_mismatch: no column called `member` for that member of `type`.
[[noreturn]] void throw_missing_column(std::span<const column> cols, std::string_view member,
                                       std::string_view type);
/// Throws type_mismatch: `type` takes `fields` columns by position, the result has another number.
[[noreturn]] void throw_column_count(std::span<const column> cols, std::size_t fields,
                                     std::string_view type);
/// Throws type_mismatch: column `index` does not convert to the `member` of `type`, a `cpp_type`.
[[noreturn]] void throw_member_mismatch(std::span<const column> cols, std::size_t index,
                                        std::string_view member, std::string_view type,
                                        std::string_view cpp_type);

/// Checks that column `index` converts to a field of type F.
template <class F>
void check_field(std::span<const column> cols, std::size_t index, std::string_view member,
                 std::string_view type) {
    static_assert(is_decodable_v<F>, "pgasio: a member of this type has no codec");
    using D = typename decoded_type<F>::type;
    if (!accepts_column<D>(cols[index]))
        throw_member_mismatch(cols, index, member, type, cpp_type_name<D>());
}

/// Builds the plan of T for these columns. Throws pgasio::error (see the file comment).
template <class T>
row_plan<T> make_row_plan(std::span<const column> cols) {
    constexpr row_mapping m = mapping_of<T>();
    constexpr std::string_view type = cpp_type_name<T>();
    row_plan<T> plan;
    if constexpr (m == row_mapping::described) {
        std::size_t i = 0;
        boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
            const auto index = find_column(cols, d.name);
            if (!index) throw_missing_column(cols, d.name, type);
            using F = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
            check_field<F>(cols, *index, d.name, type);
            plan.columns[i++] = *index;
        });
    } else {
        if (cols.size() != field_count<T>()) throw_column_count(cols, field_count<T>(), type);
        for (std::size_t i = 0; i < plan.columns.size(); ++i)
            plan.columns[i] = i;
        if constexpr (m == row_mapping::scalar) {
            check_field<T>(cols, 0, "", type);
        } else if constexpr (m == row_mapping::tuple) {
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                (check_field<std::tuple_element_t<I, T>>(cols, I, "", type), ...);
            }
            (std::make_index_sequence<field_count<T>()>());
        } else {
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                (check_field<boost::pfr::tuple_element_t<I, T>>(cols, I, "", type), ...);
            }
            (std::make_index_sequence<field_count<T>()>());
        }
    }
    return plan;
}

/// Decodes one field from column `index`, throwing row_view::get's errors.
template <class F>
void decode_member(row_view row, std::size_t index, F& out) {
    if (auto ec = row.get(index, out))
        throw_get_error(ec, row.columns(), index, cpp_type_name<typename decoded_type<F>::type>(),
                        row.is_null(index));
}

/// Decodes a row with a plan made for its result's columns.
template <class T>
T decode_row(row_view row, const row_plan<T>& plan) {
    constexpr row_mapping m = mapping_of<T>();
    T out{};
    if constexpr (m == row_mapping::scalar) {
        decode_member(row, plan.columns[0], out);
    } else if constexpr (m == row_mapping::described) {
        std::size_t i = 0;
        boost::mp11::mp_for_each<described_members<T>>(
            [&](auto d) { decode_member(row, plan.columns[i++], out.*d.pointer); });
    } else if constexpr (m == row_mapping::tuple) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (decode_member(row, plan.columns[I], std::get<I>(out)), ...);
        }
        (std::make_index_sequence<field_count<T>()>());
    } else {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (decode_member(row, plan.columns[I], boost::pfr::get<I>(out)), ...);
        }
        (std::make_index_sequence<field_count<T>()>());
    }
    return out;
}

/// One row as a T (see the file comment). Throws pgasio::error.
template <class T>
T row_as(row_view row) {
    return decode_row<T>(row, make_row_plan<T>(row.columns()));
}

/// Every row of a result as a T, with one plan for all. Throws pgasio::error; the plan is checked
/// even when there are no rows, so a wrong mapping fails at once.
template <class T>
std::vector<T> rows_as(const result& r) {
    const row_plan<T> plan = make_row_plan<T>(r.columns());
    std::vector<T> out;
    out.reserve(r.size());
    for (row_view row : r)
        out.push_back(decode_row<T>(row, plan));
    return out;
}

} // namespace pgasio::detail

namespace pgasio {
/// One row as a T: a described struct (by column name), another aggregate or a std::tuple (by
/// position). Throws pgasio::error (type_mismatch, unexpected_null) naming the column.
using detail::row_as;
/// Every row of a result (or of a row_stream's part) as a T, the columns checked once.
/// Throws as row_as.
using detail::rows_as;
} // namespace pgasio
