// Inserting many rows with one statement: one array parameter per column, expanded by unnest().
#pragma once

#include <pgasio/detail/param_traits.hpp>
#include <pgasio/error.hpp>
#include <pgasio/query_as.hpp>
#include <pgasio/sql.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>

#include <cstddef>
#include <cstdint>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgasio {

namespace detail {

/// Column K of a span of rows, sent as one array parameter (a row's field K per element).
template <class Row, std::size_t K>
struct unnest_column {
    std::span<const Row> rows;
};

/// Field K of a row: the K-th described member, tuple element or aggregate member.
template <std::size_t K, class Row>
const auto& field_of(const Row& row) {
    constexpr row_mapping m = mapping_of<Row>();
    if constexpr (m == row_mapping::described)
        return row.*boost::mp11::mp_at_c<described_members<Row>, K>::pointer;
    else if constexpr (m == row_mapping::tuple)
        return std::get<K>(row);
    else
        return boost::pfr::get<K>(row);
}

template <class Row, std::size_t K>
struct param_traits<unnest_column<Row, K>> {
    using element = std::remove_cvref_t<decltype(field_of<K>(std::declval<const Row&>()))>;
    static constexpr bool static_type = true;
    static constexpr protocol::oid type_oid =
        protocol::types::codec<std::vector<element>>::type_oid;
    static protocol::oid oid_of(const unnest_column<Row, K>&) noexcept { return type_oid; }
    static void write(protocol::field_writer& w, const unnest_column<Row, K>& c) {
        w.value([&](protocol::write_buffer& out) {
            return encode_param_array<element>(
                out, c.rows.size(),
                [&](std::size_t i) -> const element& { return field_of<K>(c.rows[i]); });
        });
    }
};

/// The executor of a connection, or of the connection a lease holds.
template <class Session>
auto executor_of(Session& session) {
    if constexpr (requires { session.get_executor(); })
        return session.get_executor();
    else
        return session.get_connection().get_executor();
}

/// Starts async_insert_unnest's statement on `session`, or completes at once with `ec` (and 0
/// rows) when the names were refused or there are no rows.
template <class Session, class Row>
struct insert_unnest_initiation {
    Session* session;

    template <class Handler>
    void operator()(Handler handler, op_settings op, error_code ec, std::string why,
                    std::string sql, std::span<const Row> rows) const {
        if (ec || rows.empty()) {
            if (ec && op.diag) {
                *op.diag = diagnostics{};
                op.diag->message = std::move(why);
            }
            boost::asio::post(executor_of(*session),
                              boost::asio::append(std::move(handler), ec, std::uint64_t{0}));
            return;
        }
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            session->async_execute(sql, unnest_column<Row, K>{rows}...,
                                   with_settings(op, std::move(handler)));
        }
        (std::make_index_sequence<field_count<Row>()>());
    }
};

} // namespace detail

/// Inserts `rows` into `table` with ONE statement, whatever their number:
/// `INSERT INTO "table" ("c1", ...) SELECT * FROM unnest($1, ...)`, where each parameter is
/// the array of one column's values, encoded in binary from the rows (no copy of the rows is
/// made). A single statement is atomic: all rows go in or none. Much faster than an INSERT per
/// row, and unlike a multi-row VALUES list its text is the same whatever the row count.
///
/// `session` is a connection or an exclusive_lease (anything with async_execute and
/// get_executor). `table` and `columns` are names as they are in the database (`table` may be
/// "schema.table", split at its first dot): each is quoted, so that its case, spaces, quotes
/// and other characters are kept and none is read as SQL. Row is a std::tuple or an aggregate
/// (field i goes to columns[i]; the numbers must agree), its fields of any parameter type
/// (std::optional for NULLs); `rows` is a contiguous range of them (std::vector, std::span, an
/// array). The rows must stay valid until the operation has started (as parameters must).
///
/// Completion signature: void(error_code, std::uint64_t rows inserted). Errors:
/// boost::system::errc::invalid_argument for a name that is empty, longer than 63 bytes or
/// holds a NUL byte, and
/// parameter_count_mismatch when the columns do not match the row's fields (nothing is sent
/// then); the server's errors, as async_execute. No rows: completes with 0 and sends nothing.
///
/// @code
/// std::vector<std::tuple<std::int64_t, std::string>> items = ...;
/// const std::array<std::string_view, 2> columns = {"id", "name"};
/// std::uint64_t n = co_await pgasio::async_insert_unnest(conn, "items", columns, items);
/// @endcode
template <class Session, std::ranges::contiguous_range Rows, class Token = default_token>
auto async_insert_unnest(Session& session, std::string_view table,
                         std::span<const std::string_view> columns, const Rows& rows,
                         Token&& token = {}) {
    using Row = std::ranges::range_value_t<Rows>;
    constexpr std::size_t fields = detail::field_count<Row>();
    std::string sql;
    std::string why;
    error_code ec = detail::unnest_insert_sql(table, columns, sql, why);
    if (!ec && columns.size() != fields) {
        ec = client_errc::parameter_count_mismatch;
        why = "async_insert_unnest: " + std::to_string(columns.size()) +
              " columns were named for rows of " + std::to_string(fields) + " fields";
    }
    return boost::asio::async_initiate<Token, void(error_code, std::uint64_t)>(
        detail::insert_unnest_initiation<Session, Row>{&session}, token, detail::op_settings{}, ec,
        std::move(why), std::move(sql), std::span<const Row>(rows));
}

/// async_insert_unnest of structs described with BOOST_DESCRIBE_STRUCT: each public member
/// goes to the column of its name.
///
/// @code
/// struct item { std::int64_t id; std::string name; std::optional<double> price; };
/// BOOST_DESCRIBE_STRUCT(item, (), (id, name, price))
/// std::vector<item> items = ...;
/// std::uint64_t n = co_await pgasio::async_insert_unnest(conn, "items", items);
/// @endcode
template <class Session, std::ranges::contiguous_range Rows, class Token = default_token>
requires boost::describe::has_describe_members<std::ranges::range_value_t<Rows>>::value auto
async_insert_unnest(Session& session, std::string_view table, const Rows& rows,
                    Token&& token = {}) {
    using Row = std::ranges::range_value_t<Rows>;
    static const std::vector<std::string> owned = detail::member_names<Row>();
    static const std::vector<std::string_view> names(owned.begin(), owned.end());
    return async_insert_unnest(session, table, std::span<const std::string_view>(names), rows,
                               std::forward<Token>(token));
}

} // namespace pgasio
