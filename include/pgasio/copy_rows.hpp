// Typed binary COPY: C++ values written as the rows of a COPY FROM STDIN, and the rows of a
// COPY TO STDOUT read back with the same typed access as a query's.
#pragma once

#include <pgasio/column.hpp>
#include <pgasio/copy.hpp>
#include <pgasio/detail/current_types.hpp>
#include <pgasio/detail/split_token.hpp>
#include <pgasio/error.hpp>
#include <pgasio/params.hpp>
#include <pgasio/query_as.hpp>
#include <pgasio/result.hpp>
#include <pgasio/with_diagnostics.hpp>

#include <pgasio/protocol/copy_binary.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/pfr/core.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgasio {

namespace detail {
struct copy_rows_out;

/// True when a value of type `value` (a parameter's type OID) can be written into a column of
/// type `column` in binary COPY: the same type, a NULL of no type (OID 0), two types whose
/// binary forms are the same text (text, varchar, bpchar, name), a varbit into a bit column
/// (the same form; the server checks the length), an oid into an OID alias column (regclass,
/// regtype...: an oid's form), or a jsonb into a json column (see copy_jsonb_as_json).
bool copy_type_accepts(protocol::oid column, protocol::oid value) noexcept;

/// Rewrites the jsonb values of the tuple that starts at `at` in `chunk` whose columns are json
/// as json: the binary form of jsonb is a version byte and the document's text, json's is the
/// text alone (a query parameter is cast by the server; binary COPY is not). `types` are the
/// tuple's value types, as copy_type_accepts saw them.
void copy_jsonb_as_json(protocol::write_buffer& chunk, std::size_t at, std::span<const column> cols,
                        std::span<const protocol::oid> types);
/// The errors of a typed COPY row, filling `diag` (when given) with a message naming the
/// column: a value whose type does not fit its column; a row with another number of values
/// than columns; a value its codec could not encode (the row is `row`, 1-based).
error_code copy_value_mismatch(diagnostics* diag, std::span<const column> cols, std::size_t index,
                               protocol::oid value, std::string_view member = {},
                               std::string_view type = {});
error_code copy_count_mismatch(diagnostics* diag, std::span<const column> cols, std::size_t values,
                               std::string_view type = {});
error_code copy_encode_failed(diagnostics* diag, error_code ec, std::uint64_t row);
/// Throws pgasio::error for `ec` with `diag`.
[[noreturn]] void throw_copy_error(error_code ec, diagnostics diag);

/// Calls `f` with the fields of `row` (a described struct's public members in their declared
/// order, a tuple's elements, an aggregate's members), as query_as maps them.
template <class T, class F>
decltype(auto) apply_fields(const T& row, F&& f) {
    constexpr row_mapping m = mapping_of<T>();
    if constexpr (m == row_mapping::described) {
        return [&]<class... D>(boost::mp11::mp_list<D...>) -> decltype(auto) {
            return f(row.*D::pointer...);
        }(boost::mp11::mp_rename<described_members<T>, boost::mp11::mp_list>{});
    } else if constexpr (m == row_mapping::tuple) {
        return std::apply(f, row);
    } else {
        static_assert(m == row_mapping::aggregate,
                      "pgasio: a row of one value is written as it is");
        return std::apply(f, boost::pfr::structure_tie(row));
    }
}

/// Checks T's fields against the columns a COPY writes, once when it starts: as many fields as
/// columns, and each field whose type is known at compile time of a type its column takes.
template <class T>
error_code check_copy_fields(std::span<const column> cols, diagnostics* diag) {
    constexpr std::string_view type = cpp_type_name<T>();
    constexpr std::size_t n = field_count<T>();
    if (cols.size() != n) return copy_count_mismatch(diag, cols, n, type);
    error_code ec;
    auto check = [&]<class F>(std::size_t i, std::string_view member) {
        using traits = param_traits_of<F>;
        if constexpr (traits::static_type) {
            if (!ec && !copy_type_accepts(cols[i].type_oid, traits::type_oid))
                ec = copy_value_mismatch(diag, cols, i, traits::type_oid, member, type);
        }
    };
    constexpr row_mapping m = mapping_of<T>();
    if constexpr (m == row_mapping::described) {
        std::size_t i = 0;
        boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
            using F = std::remove_cvref_t<decltype(std::declval<const T&>().*d.pointer)>;
            check.template operator()<F>(i++, d.name);
        });
    } else if constexpr (m == row_mapping::tuple) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (check.template operator()<std::tuple_element_t<I, T>>(I, ""), ...);
        }
        (std::make_index_sequence<n>());
    } else {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (check.template operator()<boost::pfr::tuple_element_t<I, T>>(I, ""), ...);
        }
        (std::make_index_sequence<n>());
    }
    return ec;
}

} // namespace detail

/// The writer of a typed binary COPY FROM STDIN (connection::async_copy_in_rows,
/// connection::async_copy_in_as): each row is C++ values, encoded by the same codecs as query
/// parameters (every parameter type: std::optional for NULL, arrays, numeric, timestamps, uuid,
/// json, pgasio::value...) straight into the writer's chunk buffer, in PostgreSQL's binary COPY
/// format. No text is formatted or parsed on either side.
///
/// The columns and their types come from the server when the COPY starts (columns()). Each
/// value is checked against its column's type before it is encoded: a std::int32_t for an
/// int8 column is an error naming the column, not bytes the server would misread. Values whose
/// binary form the column reads are accepted (std::string for varchar, bpchar or name; a
/// bit_string for bit(n); std::uint32_t for the OID alias types such as regclass;
/// boost::json::value, json_of<T> and pgasio::jsonb for json, written as json), and
/// std::nullopt fits any column.
///
/// Rows are gathered into one CopyData message of about buffer_bytes() (`chunk_bytes` unless
/// the COPY was started with pgasio::with_copy_buffer), which is sent once it is full: write_row
/// never does I/O, async_write_row completes without I/O unless its row filled the chunk (it then
/// completes once the socket took the chunk, so a producer that awaits each write holds about one
/// chunk in memory). A row allocates nothing. async_finish sends the rest and says how many rows
/// the server took; async_abort (or destroying the writer unfinished) aborts the COPY and nothing
/// of it is committed. A server error (a constraint, say) ends the COPY: the next flush or
/// async_finish fails with it. Timeouts and cancellation of the operations that wait (a flush
/// waiting for the socket, async_finish, async_abort) are copy_writer's: past its timeout or
/// cancelled, such an operation stops the COPY and nothing of it is committed. Used on the
/// connection's executor, by one coroutine at a time; the writer must outlive its operations and
/// not be moved while one runs.
///
/// @code
/// const std::vector<std::string> columns{"id", "name", "price"};
/// auto w = co_await conn.async_copy_in_rows("items", columns);
/// for (const auto& item : items)
///     co_await w.async_write_row(item.id, item.name, std::optional<pgasio::numeric>(item.price));
/// std::uint64_t copied = co_await w.async_finish();
/// @endcode
class copy_row_writer {
public:
    /// Bytes of rows gathered before they are sent (one CopyData message), unless the COPY was
    /// started with pgasio::with_copy_buffer.
    static constexpr std::size_t chunk_bytes = copy_writer::chunk_bytes;

    /// An empty writer: writes fail with client_errc::copy_ended.
    copy_row_writer() = default;
    /// Made by the connection once the server started the COPY (`state` holds its columns).
    explicit copy_row_writer(std::shared_ptr<detail::copy_in_state> state);
    /// Takes over the COPY; the source is left empty.
    copy_row_writer(copy_row_writer&&) noexcept = default;
    /// Takes over `other`'s COPY (this one's, unfinished, is aborted).
    copy_row_writer& operator=(copy_row_writer&&) noexcept = default;
    /// Aborts the COPY (CopyFail) unless it was finished or aborted: nothing of it is copied.
    ~copy_row_writer() = default;

    /// The columns written, in order, with their types (binary format).
    const std::vector<column>& columns() const noexcept;
    /// The rows written so far (encoded; not all of them sent yet).
    std::uint64_t rows_written() const noexcept { return rows_; }
    /// The bytes of rows gathered before they are sent: chunk_bytes, or what
    /// pgasio::with_copy_buffer gave the COPY.
    std::size_t buffer_bytes() const noexcept { return buffer_bytes_; }
    /// True when the rows gathered fill a chunk: async_flush sends them (write_row alone never
    /// sends, so a loop of write_row calls must flush to stay in bounded memory).
    bool wants_flush() const noexcept { return chunk_.size() >= buffer_bytes_; }

    /// Encodes one row into the chunk buffer, without I/O: the values in column order, or ONE
    /// row object (a BOOST_DESCRIBE_STRUCT, an aggregate or a std::tuple: its fields in order,
    /// as query_as maps them; or a std::vector<pgasio::value>, a row chosen at run time).
    /// Throws pgasio::error, and writes nothing of the row, for: a number of values other than
    /// the number of columns (parameter_count_mismatch); a value whose type does not fit its
    /// column (type_mismatch, naming the column and both types); a value its codec cannot
    /// encode (the codec's error); an empty writer (copy_ended).
    /// @code
    /// w.write_row(1, "first", std::nullopt);
    /// if (w.wants_flush()) co_await w.async_flush();
    /// @endcode
    template <class... Values>
    void write_row(const Values&... values) {
        if (encode_row(nullptr, values...)) [[unlikely]] {
            // A failed row leaves nothing behind: encoded again, it fails the same way, this
            // time saying why (no diagnostics are built for the rows that succeed).
            diagnostics diag;
            const error_code ec = encode_row(&diag, values...);
            detail::throw_copy_error(ec, std::move(diag));
        }
    }

    /// write_row, then async_flush when the row filled the chunk: `async_write_row(values...,
    /// [token])`. Completion signature: void(error_code): at once (without I/O) unless the
    /// chunk is sent. Errors: write_row's (nothing of the row is written then); when sending,
    /// the server's (it ended the COPY), copy_ended, the connection's. The values are encoded
    /// when the operation starts.
    template <class... Args>
    auto async_write_row(Args&&... args) {
        return detail::split_token(
            [&](auto& token, const auto&... values) {
                return boost::asio::async_initiate<std::remove_reference_t<decltype(token)>,
                                                   void(error_code)>(
                    [this](auto handler, detail::op_settings op, const auto&... vs) {
                        const error_code ec = encode_row(op.diag, vs...);
                        start_row(void_handler(std::move(handler)), op, ec);
                    },
                    token, detail::op_settings{}, values...);
            },
            std::forward<Args>(args)...);
    }

    /// Writes every element of `rows` (each a row object, as write_row takes one: a described
    /// struct, an aggregate or a tuple), sending each chunk as it fills. Completion signature:
    /// void(error_code, std::uint64_t rows written). Errors: write_row's for the first row that
    /// fails (the rows before it are written), the server's, copy_ended, the connection's.
    /// `rows` must outlive the operation.
    /// @code
    /// std::vector<item> items = ...;   // BOOST_DESCRIBE_STRUCT(item, (), (id, name))
    /// auto w = co_await conn.async_copy_in_as<item>("items");
    /// co_await w.async_write_rows(items);
    /// co_await w.async_finish();
    /// @endcode
    template <class Range, class Token = default_token>
    auto async_write_rows(const Range& rows, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, std::uint64_t)>(
            [this](auto handler, detail::op_settings op, const Range* r) {
                start_rows(std::make_unique<range_source<Range>>(*this, *r),
                           count_handler(std::move(handler)), op);
            },
            token, detail::op_settings{}, &rows);
    }

    /// Sends the rows gathered (if any). Completion signature: void(error_code), once the
    /// socket took them. Errors: the server's (it ended the COPY), copy_ended, the connection's.
    template <class Token = default_token>
    auto async_flush(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [this](auto handler, detail::op_settings op) {
                start_row(void_handler(std::move(handler)), op, error_code{}, true);
            },
            token, detail::op_settings{});
    }

    /// Sends the rows gathered, the trailer and CopyDone, and waits for the server's verdict.
    /// Completion signature: void(error_code, std::uint64_t rows copied). Errors: the server's
    /// (nothing was copied then), copy_ended, the connection's.
    template <class Token = default_token>
    auto async_finish(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, std::uint64_t)>(
            [this](auto handler, detail::op_settings op) {
                start_finish(count_handler(std::move(handler)), op);
            },
            token, detail::op_settings{});
    }

    /// Aborts the COPY with `reason` (copy_writer::async_abort): nothing of it is copied, the
    /// rows gathered are dropped. Completion signature: void(error_code).
    template <class Token = default_token>
    auto async_abort(std::string_view reason, Token&& token = {}) {
        chunk_ = {};
        return raw_.async_abort(reason, std::forward<Token>(token));
    }

private:
    using void_handler = boost::asio::any_completion_handler<void(error_code)>;
    using count_handler = boost::asio::any_completion_handler<void(error_code, std::uint64_t)>;

    // Rows for async_write_rows: encodes them into the writer's chunk until it is full or they
    // run out (`done`).
    struct row_source {
        virtual ~row_source() = default;
        virtual error_code fill(diagnostics* diag, bool& done) = 0;
    };
    template <class Range>
    struct range_source final : row_source {
        range_source(copy_row_writer& w, const Range& r)
            : writer(w)
            , it(std::ranges::begin(r))
            , end(std::ranges::end(r)) {}
        error_code fill(diagnostics* diag, bool& done) override {
            for (; it != end && !writer.wants_flush(); ++it)
                if (auto ec = writer.encode_row(diag, *it)) return ec;
            done = it == end;
            return {};
        }
        copy_row_writer& writer;
        decltype(std::ranges::begin(std::declval<const Range&>())) it;
        decltype(std::ranges::end(std::declval<const Range&>())) end;
    };

    template <class... Values>
    error_code encode_row(diagnostics* diag, const Values&... values) {
        if constexpr (sizeof...(Values) == 1 && !(detail::parameter<const Values&> && ...)) {
            return detail::apply_fields(
                values..., [&](const auto&... fields) { return encode_row(diag, fields...); });
        } else {
            if (!columns_) return empty_writer(diag);
            const std::vector<column>& cols = *columns_;
            const std::size_t n = detail::param_count(values...);
            if (n != cols.size()) [[unlikely]]
                return detail::copy_count_mismatch(diag, cols, n);
            // The codecs of user-defined types find their OIDs and layouts in the registry of
            // the connection that described the columns.
            const detail::type_scope scope(cols.empty() ? nullptr : cols.front().types.get());
            const auto types = detail::param_types_of(values...);
            for (std::size_t i = 0; i < n; ++i)
                if (types[i] != cols[i].type_oid &&
                    !detail::copy_type_accepts(cols[i].type_oid, types[i])) [[unlikely]]
                    return detail::copy_value_mismatch(diag, cols, i, types[i]);
            const std::size_t start = chunk_.size();
            protocol::binary_copy_row_writer row(chunk_, n);
            detail::write_params(row, values...);
            if (auto ec = row.finish()) [[unlikely]]
                return detail::copy_encode_failed(diag, ec, rows_ + 1);
            if (json_columns_) [[unlikely]]
                detail::copy_jsonb_as_json(chunk_, start, cols, types);
            ++rows_;
            return {};
        }
    }

    static error_code empty_writer(diagnostics* diag);
    // Completes a row write: with `ec` (the row's error), else sends the chunk when it is full
    // (or `flush` asks), else completes at once.
    void start_row(void_handler handler, const detail::op_settings& op, error_code ec,
                   bool flush = false);
    void start_rows(std::unique_ptr<row_source> rows, count_handler handler,
                    const detail::op_settings& op);
    void start_finish(count_handler handler, const detail::op_settings& op);
    // Frames the chunk as one CopyData message and starts a new one.
    std::span<const std::byte> seal_chunk() noexcept;
    void new_chunk();

    copy_writer raw_;
    column_list columns_;
    protocol::write_buffer chunk_; // one CopyData message being filled: 'd', length, rows
    std::size_t buffer_bytes_ = chunk_bytes;
    bool json_columns_ = false; // a column is json: jsonb values are rewritten
    std::uint64_t rows_ = 0;
};

/// The reader of a typed binary COPY TO STDOUT (connection::async_copy_out_rows): the rows in
/// batches, each a pgasio::result with the same typed access as a query's (row.get<T>, try_get,
/// pgasio::rows_as<T> into structs), the columns' types checked by get<T> as for queries (they
/// come from the server when the COPY starts).
///
/// A batch holds the rows of one chunk of the COPY (about 64 KiB, or what
/// pgasio::with_copy_buffer gave it), their values copied once
/// into the result's one buffer: nothing is allocated per row, and the batch owns its rows (it
/// stays valid after the reader is gone; views into it, std::string_view and the like, live as
/// long as the batch). Memory stays bounded: the connection stops reading from the server when
/// the caller does not ask for the next batch (copy_reader's backpressure). Destroying the
/// reader (or cancel()) before the end cancels the COPY on the server and drains it; the
/// connection stays usable. An async_next that waits for the server has copy_reader's timeout
/// (pgasio::with_timeout, else the connection's query timeout) and cancellation: past it
/// (client_errc::query_timeout), or cancelled (operation_aborted), the COPY is stopped as
/// cancel() stops it.
///
/// @code
/// const std::vector<std::string> columns{"id", "name"};
/// auto r = co_await conn.async_copy_out_rows("items", columns);
/// for (;;) {
///     pgasio::result batch = co_await r.async_next();
///     if (batch.empty()) break;   // the end
///     for (auto row : batch) use(row.get<std::int64_t>(0), row.get<std::string_view>("name"));
/// }
/// @endcode
class copy_row_reader {
public:
    /// An empty reader: async_next fails with client_errc::copy_ended.
    copy_row_reader() = default;
    /// Made by the connection once the server started the COPY (`state` holds its columns).
    explicit copy_row_reader(std::shared_ptr<detail::copy_out_state> state);
    /// Takes over the COPY; the source is left empty.
    copy_row_reader(copy_row_reader&&) noexcept = default;
    /// Stops this reader's COPY if it is still running, then takes over `other`'s.
    copy_row_reader& operator=(copy_row_reader&& other) noexcept {
        if (this != &other) {
            cancel();
            state_ = std::move(other.state_);
        }
        return *this;
    }
    copy_row_reader(const copy_row_reader&) = delete;
    copy_row_reader& operator=(const copy_row_reader&) = delete;
    /// Stops the COPY if it is still running (see cancel()).
    ~copy_row_reader() { cancel(); }

    /// The next batch of rows; no rows at the end (then every further call gives the same).
    /// Completion signature: void(error_code, result). Errors: the server's (after the batches
    /// before it); client_errc::invalid_copy_data for data that is not well-formed binary COPY
    /// of the columns (a wrong signature, a row with another number of fields, a truncated
    /// field; the message says which and where; the COPY is cancelled, the connection stays
    /// usable); operation_aborted after cancel() or when cancelled while it waits;
    /// client_errc::query_timeout past its timeout; in_progress when another async_next waits;
    /// copy_ended for an empty reader; the connection's.
    template <class Token = default_token>
    auto async_next(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(error_code, result)>(
            [state = state_](auto handler, detail::op_settings op) {
                start_next(state, result_handler(std::move(handler)), op);
            },
            token, detail::op_settings{});
    }

    /// The columns read, in order, with their types.
    const std::vector<column>& columns() const noexcept;
    /// The rows handed out so far.
    std::uint64_t rows() const noexcept;

    /// Stops the COPY (copy_reader::cancel): later reads fail with operation_aborted.
    void cancel() noexcept;

private:
    using result_handler = boost::asio::any_completion_handler<void(error_code, result)>;
    static void start_next(const std::shared_ptr<detail::copy_rows_out>& state,
                           result_handler handler, const detail::op_settings& op);

    std::shared_ptr<detail::copy_rows_out> state_;
};

} // namespace pgasio
