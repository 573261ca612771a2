// Typed binary COPY: the statement that describes and starts it, the row writer's chunks and the
// row reader's batches.
#include "copy_state.hpp"
#include "deliver.hpp"
#include "text_form.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/copy_rows.hpp>
#include <pgasio/detail/result_builder.hpp>
#include <pgasio/sql.hpp>

#include <pgasio/protocol/copy_binary.hpp>
#include <pgasio/protocol/detail/big_endian.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/integral.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <string>

namespace pgasio {

namespace asio = boost::asio;

namespace detail {

/// What a copy_row_reader keeps: the raw reader it reads chunks from, and how they become rows.
struct copy_rows_out {
    copy_rows_out(column_list cols, asio::any_io_executor ex)
        : columns(std::move(cols))
        , executor(std::move(ex))
        , decoder(columns->size()) {
        builder.set_columns(columns);
    }

    copy_reader raw;
    column_list columns; // binary: the format the data comes in
    asio::any_io_executor executor;
    protocol::binary_copy_decoder decoder;
    std::string carry; // the start of a row cut at the end of a chunk
    result_builder builder;
    bool reading = false; // an async_next is waiting for a chunk
    bool ended = false;   // the end (or an error) was handed out
    error_code ec;
    diagnostics diag;
};

namespace {

error_code refuse_name(diagnostics* diag, std::string message) {
    if (diag) {
        *diag = diagnostics{};
        diag->message = std::move(message);
    }
    return make_error_code(boost::system::errc::invalid_argument);
}

// A name the COPY can quote (detail::check_quoted_name), or the error that says why not.
error_code check_name(std::string_view what, std::string_view name, diagnostics* diag) {
    std::string why;
    if (auto ec = check_quoted_name(what, name, why)) return refuse_name(diag, std::move(why));
    return {};
}

bool is_text_like(protocol::oid t) noexcept {
    namespace oids = protocol::oids;
    return t == oids::text || t == oids::varchar || t == oids::bpchar || t == oids::name;
}

error_code fail(diagnostics* diag, error_code ec, std::string message) {
    if (diag) {
        *diag = diagnostics{};
        diag->message = std::move(message);
    }
    return ec;
}

} // namespace

error_code typed_copy_sql(bool in, std::string_view table, std::span<const std::string> columns,
                          std::string& sql, diagnostics* diag) {
    if (auto ec = check_name("table", table, diag)) return ec;
    if (columns.empty()) return refuse_name(diag, "the column list of a typed COPY is empty");
    std::string list;
    for (const std::string& c : columns) {
        if (auto ec = check_name("column", c, diag)) return ec;
        if (!list.empty()) list += ", ";
        list += quote_identifier(c);
    }
    const std::string name = quote_identifier(table);
    sql = fmt::format("SELECT {} FROM {} LIMIT 0; COPY {} ({}) {} (FORMAT binary)", list, name,
                      name, list, in ? "FROM STDIN" : "TO STDOUT");
    return {};
}

bool copy_type_accepts(protocol::oid column, protocol::oid value) noexcept {
    namespace oids = protocol::oids;
    return column == value || value == 0 || (is_text_like(column) && is_text_like(value)) ||
           (column == oids::bit && value == oids::varbit) ||
           (value == oids::oid_ && protocol::types::codec<std::uint32_t>::accepts(column)) ||
           (column == oids::json && value == oids::jsonb);
}

void copy_jsonb_as_json(protocol::write_buffer& chunk, std::size_t at, std::span<const column> cols,
                        std::span<const protocol::oid> types) {
    std::size_t pos = at + 2; // past the field count
    for (std::size_t i = 0; i < cols.size(); ++i) {
        auto len = static_cast<std::int32_t>(
            protocol::detail::load_big<std::uint32_t>(chunk.data().data() + pos));
        if (len > 0 && cols[i].type_oid == protocol::oids::json &&
            types[i] == protocol::oids::jsonb) {
            chunk.erase(pos + 4, pos + 5); // the version byte
            chunk.patch_i32(pos, --len);
        }
        pos += 4 + static_cast<std::size_t>(std::max(len, 0));
    }
}

error_code copy_value_mismatch(diagnostics* diag, std::span<const column> cols, std::size_t index,
                               protocol::oid value, std::string_view member,
                               std::string_view type) {
    const column& c = cols[index];
    const std::string what = member.empty()
                                 ? (type.empty() ? fmt::format("value {} of the row", index)
                                                 : fmt::format("field {} of {}", index, type))
                                 : fmt::format("member {} of {}", member, type);
    return fail(diag, protocol::client_errc::type_mismatch,
                fmt::format("column {} \"{}\" has type {}, but {} is sent as {}", index, c.name,
                            describe_type(c.type_oid), what, describe_type(value)));
}

error_code copy_count_mismatch(diagnostics* diag, std::span<const column> cols, std::size_t values,
                               std::string_view type) {
    std::string names;
    for (const column& c : cols)
        names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", c.name);
    return fail(diag, protocol::client_errc::parameter_count_mismatch,
                fmt::format("{} {} value{}, but the COPY has {} column{} ({})",
                            type.empty() ? std::string("the row has") : std::string(type) + " has",
                            values, values == 1 ? "" : "s", cols.size(),
                            cols.size() == 1 ? "" : "s", names));
}

error_code copy_encode_failed(diagnostics* diag, error_code ec, std::uint64_t row) {
    return fail(diag, ec,
                fmt::format("row {} of the COPY cannot be encoded: {}", row, ec.message()));
}

void throw_copy_error(error_code ec, diagnostics diag) {
    throw error(ec, std::move(diag));
}

} // namespace detail

namespace {

// The columns of a typed COPY as its rows carry them: in binary.
column_list binary_columns(const column_list& described) {
    auto cols =
        std::make_shared<std::vector<column>>(described ? *described : std::vector<column>{});
    for (column& c : *cols)
        c.format = protocol::format_code::binary;
    return cols;
}

const std::vector<column>& no_columns() {
    static const std::vector<column> none;
    return none;
}

} // namespace

copy_row_writer::copy_row_writer(std::shared_ptr<detail::copy_in_state> state)
    : columns_(binary_columns(state->columns))
    , buffer_bytes_(state->chunk_bytes) {
    for (const column& c : *columns_)
        json_columns_ = json_columns_ || c.type_oid == protocol::oids::json;
    raw_ = copy_writer(std::move(state));
    chunk_.reserve(buffer_bytes_ + 1024);
    new_chunk();
    protocol::encode_binary_copy_header(chunk_);
}

const std::vector<column>& copy_row_writer::columns() const noexcept {
    return columns_ ? *columns_ : no_columns();
}

error_code copy_row_writer::empty_writer(diagnostics* diag) {
    return detail::fail(diag, client_errc::copy_ended,
                        "the COPY writer is empty (default-constructed or moved from)");
}

void copy_row_writer::new_chunk() {
    chunk_.clear();
    chunk_.put_u8('d');
    chunk_.put_i32(0); // the length, set by seal_chunk
}

std::span<const std::byte> copy_row_writer::seal_chunk() noexcept {
    chunk_.patch_i32(1, static_cast<std::int32_t>(chunk_.size() - 1));
    return chunk_.data();
}

void copy_row_writer::start_row(void_handler handler, const detail::op_settings& op, error_code ec,
                                bool flush) {
    if (!ec && !raw_.state_) ec = empty_writer(op.diag);
    if (ec) return detail::deliver_detached(handler, ec);
    if (!flush && !wants_flush()) {
        // The row stays in the chunk: no I/O, but a COPY the server has ended says so now.
        auto& st = raw_.state_;
        return detail::on_executor_of(
            *st->conn, [st, h = std::move(handler), diag = op.diag]() mutable {
                st->conn->deliver(h, detail::call::posted, detail::writer_refusal(*st, diag));
            });
    }
    copy_writer::start_send(raw_.state_, std::move(handler), op, seal_chunk());
    new_chunk();
}

void copy_row_writer::start_rows(std::unique_ptr<row_source> rows, count_handler handler,
                                 const detail::op_settings& op) {
    if (!raw_.state_)
        return detail::deliver_detached(handler, empty_writer(op.diag), std::uint64_t{0});
    // Encodes rows until the chunk is full, sends it, and goes on once the socket took it.
    struct step {
        copy_row_writer* w;
        std::unique_ptr<row_source> rows;
        count_handler h;
        detail::op_settings op;
        std::uint64_t first;
        void operator()(error_code ec) {
            auto written = [&] { return w->rows_ - first; };
            bool done = false;
            if (!ec) ec = rows->fill(op.diag, done);
            if (ec || (done && !w->wants_flush())) {
                auto& st = w->raw_.state_;
                const std::uint64_t n = written();
                return detail::on_executor_of(
                    *st->conn, [st, h = std::move(h), ec, n, diag = op.diag]() mutable {
                        const error_code e = ec ? ec : detail::writer_refusal(*st, diag);
                        st->conn->deliver(h, detail::call::posted, e, e ? std::uint64_t{0} : n);
                    });
            }
            auto& st = w->raw_.state_;
            const auto bytes = w->seal_chunk();
            auto ex = asio::get_associated_executor(h, st->conn->executor);
            // The wait for the socket is cancelled through the caller's slot.
            auto slot = asio::get_associated_cancellation_slot(h);
            copy_writer::start_send(st,
                                    void_handler(asio::bind_cancellation_slot(
                                        slot, asio::bind_executor(ex, std::move(*this)))),
                                    op, bytes);
            w->new_chunk();
        }
    };
    step{this, std::move(rows), std::move(handler), op, rows_}(error_code{});
}

void copy_row_writer::start_finish(count_handler handler, const detail::op_settings& op) {
    if (!raw_.state_)
        return detail::deliver_detached(handler, empty_writer(op.diag), std::uint64_t{0});
    protocol::encode_binary_copy_trailer(chunk_);
    copy_writer::start_finish(raw_.state_, std::move(handler), op, seal_chunk());
    new_chunk();
}

copy_row_reader::copy_row_reader(std::shared_ptr<detail::copy_out_state> state)
    : state_(std::make_shared<detail::copy_rows_out>(binary_columns(state->columns),
                                                     state->executor)) {
    state_->raw = copy_reader(std::move(state));
}

const std::vector<column>& copy_row_reader::columns() const noexcept {
    return state_ && state_->columns ? *state_->columns : no_columns();
}

std::uint64_t copy_row_reader::rows() const noexcept {
    return state_ ? state_->decoder.rows() : 0;
}

void copy_row_reader::cancel() noexcept {
    if (state_) state_->raw.cancel();
}

namespace {

// Turns one chunk of binary COPY data into the rows of `st`'s builder. Errors: the decoder's,
// with the diagnostics saying what was wrong.
error_code decode_chunk(detail::copy_rows_out& st, std::string chunk) {
    std::span<const std::byte> data = std::as_bytes(std::span(chunk));
    if (!st.carry.empty()) {
        st.carry += chunk;
        data = std::as_bytes(std::span(st.carry));
    }
    std::size_t at = 0;
    for (;;) {
        auto step = st.decoder.next(data.subspan(at));
        if (!step) return step.error();
        at += step->consumed;
        if (step->what != protocol::binary_copy_decoder::row) break;
        if (auto ec = st.builder.add_row(step->tuple)) return ec;
    }
    // What is left is the start of a row the next chunk completes.
    std::string rest(reinterpret_cast<const char*>(data.data()) + at, data.size() - at);
    st.carry = std::move(rest);
    return {};
}

} // namespace

void copy_row_reader::start_next(const std::shared_ptr<detail::copy_rows_out>& state,
                                 result_handler handler, const detail::op_settings& op) {
    diagnostics* const diag = op.diag;
    if (!state) {
        if (diag) {
            *diag = diagnostics{};
            diag->message = "the COPY reader is empty (default-constructed or moved from)";
        }
        return detail::deliver_detached(handler, error_code(client_errc::copy_ended), result());
    }
    if (state->ended) {
        if (state->ec && diag) *diag = state->diag;
        return detail::deliver_detached(handler, state->ec, result());
    }
    // Another async_next is waiting: this one fails alone, the COPY goes on (its chunks must
    // be decoded in order, so reads never overlap).
    if (state->reading) {
        if (diag) {
            *diag = diagnostics{};
            diag->message = "another async_next of this COPY reader is waiting";
        }
        return detail::deliver_detached(handler, error_code(asio::error::in_progress), result());
    }
    state->reading = true;
    auto ex = asio::get_associated_executor(handler, state->executor);
    // A read that waits is cancelled through the caller's slot.
    auto slot = asio::get_associated_cancellation_slot(handler);
    // Runs on the handler's executor (copy_reader posts there), never inside this call.
    auto on_chunk = [state, h = std::move(handler), op, diag](error_code ec,
                                                              std::string chunk) mutable {
        detail::copy_rows_out& st = *state;
        st.reading = false;
        const bool end = !ec && chunk.empty();
        if (!ec && !end) ec = decode_chunk(st, std::move(chunk));
        if (end) ec = st.decoder.finish(st.carry.size());
        if (ec) {
            if (ec == client_errc::invalid_copy_data) {
                st.diag = diagnostics{};
                st.diag.message = st.decoder.reason();
                st.raw.cancel();
            } else if (diag) {
                st.diag = *diag;
            }
            if (diag) *diag = st.diag;
        }
        if (ec || end) {
            st.ended = true;
            st.ec = ec;
            st.builder.reset();
            return std::move(h)(ec, result());
        }
        result batch = st.builder.take_rows();
        // A chunk without a whole row (the rest of it comes next): read on.
        if (batch.empty()) return start_next(state, std::move(h), op);
        std::move(h)(error_code{}, std::move(batch));
    };
    copy_reader::start_read(state->raw.state_,
                            copy_reader::chunk_handler(asio::bind_cancellation_slot(
                                slot, asio::bind_executor(ex, std::move(on_chunk)))),
                            op);
}

} // namespace pgasio
