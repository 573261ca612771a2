// Several queries sent as one pipeline segment, ending with a single Sync.
#pragma once

#include <pgasio/column.hpp>
#include <pgasio/detail/leading_keyword.hpp>
#include <pgasio/error.hpp>
#include <pgasio/params.hpp>
#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/response_machine.hpp>
#include <pgasio/statement.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio {

/// Queries to run back to back with a single Sync, as libpq's pipeline mode and pgx's Batch do:
/// the server runs them in order and answers them all in one flush, which is what makes a large
/// number of small queries fast. Run it with connection::async_run_batch.
///
/// Unlike separate queries, the queries of a batch are not independent: the first one that
/// fails makes the server skip the rest (and roll back the implicit transaction the batch runs
/// in, outside an explicit transaction block); the batch then fails with that error.
///
/// Parameters are encoded when added, so their values need not outlive the call to add().
///
/// @code
/// pgasio::batch b;
/// for (int i = 1; i <= 1000; ++i) b.add(insert_stmt, i, "name " + std::to_string(i));
/// std::vector<pgasio::result> results = co_await conn.async_run_batch(std::move(b));
/// @endcode
class batch {
public:
    /// Adds an execution of the prepared statement `stmt`. Errors (returned; nothing is added):
    /// statement_not_prepared (an empty handle, or statements of two different sessions in one
    /// batch), parameter_count_mismatch, and those of the parameters' encoding.
    template <class... Params>
    error_code add(const statement& stmt, const Params&... params) {
        if (!stmt.valid() || (session_ != 0 && stmt.data()->session != session_))
            return client_errc::statement_not_prepared;
        if (detail::param_count(params...) != stmt.parameter_types().size())
            return client_errc::parameter_count_mismatch;
        const std::size_t start = bytes_.size();
        protocol::bind_writer bind(bytes_, "", stmt.name(), binary_,
                                   detail::param_count(params...));
        detail::write_params(bind, params...);
        if (auto ec = bind.finish(binary_)) return ec;
        if (auto ec = protocol::encode_execute(bytes_, "", 0)) {
            bytes_.truncate(start);
            return ec;
        }
        columns_.push_back(stmt.data()->columns);
        steps_.insert(steps_.end(),
                      {protocol::request_step::bind, protocol::request_step::execute});
        session_ = stmt.data()->session;
        runs_alone_ = runs_alone_ || stmt.data()->runs_alone;
        return {};
    }

    /// Adds `sql` with `params` (parsed as the unnamed statement). Errors (nothing is added):
    /// embedded_nul, and those of the parameters' encoding.
    template <class... Params>
    error_code add(std::string_view sql, const Params&... params) {
        const std::size_t start = bytes_.size();
        const auto types = detail::param_types_of(params...);
        if (auto ec = protocol::encode_parse(bytes_, "", sql, types)) return ec;
        protocol::bind_writer bind(bytes_, "", "", binary_, detail::param_count(params...));
        detail::write_params(bind, params...);
        error_code ec = bind.finish(binary_);
        if (!ec) ec = protocol::encode_describe(bytes_, protocol::target_kind::portal, "");
        if (!ec) ec = protocol::encode_execute(bytes_, "", 0);
        if (ec) {
            bytes_.truncate(start);
            return ec;
        }
        columns_.push_back(nullptr); // described by the server
        steps_.insert(steps_.end(),
                      {protocol::request_step::parse, protocol::request_step::bind,
                       protocol::request_step::describe_portal, protocol::request_step::execute});
        runs_alone_ = runs_alone_ || detail::runs_alone(sql);
        return {};
    }

    /// The number of queries added.
    std::size_t size() const noexcept { return columns_.size(); }
    bool empty() const noexcept { return columns_.empty(); }

    /// The encoded messages (for the engine).
    const protocol::write_buffer& bytes() const noexcept { return bytes_; }
    /// Per query: the statement's columns, or null when the server describes them.
    const std::vector<column_list>& columns() const noexcept { return columns_; }
    /// The messages the server answers, in order (before the Sync the engine adds).
    const std::vector<protocol::request_step>& steps() const noexcept { return steps_; }
    /// The session of the prepared statements it executes (0: none): a batch runs only there.
    std::uint64_t session() const noexcept { return session_; }
    /// True when one of its statements is a COPY or opens a transaction block (the batch then
    /// runs alone on the wire).
    bool runs_alone() const noexcept { return runs_alone_; }

private:
    static constexpr protocol::format_code binary_[] = {protocol::format_code::binary};
    protocol::write_buffer bytes_;
    std::vector<column_list> columns_;
    std::vector<protocol::request_step> steps_;
    std::uint64_t session_ = 0;
    bool runs_alone_ = false;
};

} // namespace pgasio
