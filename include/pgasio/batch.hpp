// Several queries sent together in one round trip: an explicit pipeline.
#pragma once

#include <pgasio/column.hpp>
#include <pgasio/detail/current_types.hpp>
#include <pgasio/detail/leading_keyword.hpp>
#include <pgasio/detail/placeholders.hpp>
#include <pgasio/error.hpp>
#include <pgasio/params.hpp>
#include <pgasio/protocol/frontend.hpp>
#include <pgasio/protocol/response_machine.hpp>
#include <pgasio/statement.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pgasio {

/// How the statements of a batch depend on each other.
enum class batch_mode : unsigned char {
    /// One Sync after the last statement: the batch runs as one implicit transaction (or inside
    /// the caller's transaction block). The first statement that fails makes the server skip
    /// the rest and roll back what the batch did: nothing of it is committed. A failure of the
    /// commit itself, at the Sync (a deferred constraint, a serialization failure), is the last
    /// statement's outcome. The fastest way to run many small statements.
    all_or_nothing,
    /// A Sync after every statement: each runs (and commits, outside a transaction block) on
    /// its own, and gets its own outcome whatever the others' were (its commit's failure, a
    /// deferred constraint's, included). Still one round trip.
    /// They run in order: a statement stopped by a cancel meant for another request on the
    /// connection, while a later one of the batch was already sent, is not run again behind
    /// it but fails with 57014 (its detail says so; it had no effect).
    independent,
};

/// Statements to run in one round trip, as libpq's pipeline mode and pgx's Batch do: the server
/// runs them in order and answers them all in one flush, which is what makes a large number of
/// small statements fast. Run it with connection::async_execute_batch, which answers with the
/// outcome of every statement (batch_results).
///
/// Parameters are encoded when added, so their values need not outlive the call to add(). Those
/// of user-defined types whose OID is known only at run time (a registered composite, an array
/// of a registered enum) need the registry that loaded them: make the batch with it
/// (`pgasio::batch b(conn.types())`).
///
/// @code
/// pgasio::batch b; // all_or_nothing
/// for (int i = 1; i <= 1000; ++i) b.add(insert_stmt, i, "name " + std::to_string(i));
/// pgasio::batch_results out = co_await conn.async_execute_batch(std::move(b));
/// if (const auto* failed = out.first_failure()) ... // nothing was inserted
/// @endcode
class batch {
public:
    /// An empty batch of the given mode.
    explicit batch(batch_mode mode = batch_mode::all_or_nothing) noexcept
        : mode_(mode) {}
    /// An empty batch whose parameters of user-defined types are encoded with `types` (the
    /// registry of the connection it will run on: connection::types()).
    explicit batch(std::shared_ptr<const type_registry> types,
                   batch_mode mode = batch_mode::all_or_nothing) noexcept
        : mode_(mode)
        , types_(std::move(types)) {}

    /// Adds an execution of the prepared statement `stmt`. Errors (returned; nothing is added,
    /// and the batch is refused: see refused()): statement_not_prepared (an empty handle, or
    /// statements of two different sessions in one batch), parameter_count_mismatch, and those
    /// of the parameters' encoding.
    template <class... Params>
    error_code add(const statement& stmt, const Params&... params) {
        if (!stmt.valid() || (session_ != 0 && stmt.data()->session != session_))
            return refuse(client_errc::statement_not_prepared);
        if (detail::param_count(params...) != stmt.parameter_types().size())
            return refuse(client_errc::parameter_count_mismatch);
        const std::size_t start = bytes_.size();
        protocol::bind_writer bind(bytes_, "", stmt.name(), binary_,
                                   detail::param_count(params...));
        {
            const detail::type_scope scope(types_.get());
            detail::write_params(bind, params...);
        }
        // Its columns in the formats chosen when it was prepared (text for the types pgasio
        // has no binary codec for).
        const auto& formats = stmt.data()->result_formats;
        if (auto ec =
                bind.finish(formats.empty() ? std::span<const protocol::format_code>(binary_)
                                            : std::span<const protocol::format_code>(formats))) {
            bytes_.truncate(start);
            return refuse(ec);
        }
        if (auto ec = protocol::encode_execute(bytes_, "", 0)) {
            bytes_.truncate(start);
            return refuse(ec);
        }
        columns_.push_back(stmt.data()->columns);
        entries_.push_back({bytes_.size(), false, stmt.data()->runs_alone});
        session_ = stmt.data()->session;
        runs_alone_ = runs_alone_ || stmt.data()->runs_alone;
        return {};
    }

    /// Adds `sql` with `params` (parsed as the unnamed statement). Errors (nothing is added, and
    /// the batch is refused: see refused()): embedded_nul, parameter_count_mismatch for a
    /// placeholder with no parameter or a parameter that no placeholder takes (its SQL read
    /// with standard_conforming_strings on, the server's default), and those of the
    /// parameters' encoding.
    template <class... Params>
    error_code add(std::string_view sql, const Params&... params) {
        std::string why;
        if (auto ec =
                detail::check_parameter_count(sql, detail::param_count(params...), false, why))
            return refuse(ec, why);
        const std::size_t start = bytes_.size();
        // The codecs of user-defined types find their OIDs and layouts in the registry.
        const detail::type_scope scope(types_.get());
        const auto types = detail::param_types_of(params...);
        if (auto ec = protocol::encode_parse(bytes_, "", sql, types)) {
            bytes_.truncate(start);
            return refuse(ec);
        }
        protocol::bind_writer bind(bytes_, "", "", binary_, detail::param_count(params...));
        detail::write_params(bind, params...);
        error_code ec = bind.finish(binary_);
        if (!ec) ec = protocol::encode_describe(bytes_, protocol::target_kind::portal, "");
        if (!ec) ec = protocol::encode_execute(bytes_, "", 0);
        if (ec) {
            bytes_.truncate(start);
            return refuse(ec);
        }
        columns_.push_back(nullptr); // described by the server
        const bool alone = detail::runs_alone(sql);
        entries_.push_back({bytes_.size(), true, alone});
        runs_alone_ = runs_alone_ || alone;
        return {};
    }

    /// The number of statements added.
    std::size_t size() const noexcept { return columns_.size(); }
    /// True when no statement was added.
    bool empty() const noexcept { return columns_.empty(); }
    /// Its mode.
    batch_mode mode() const noexcept { return mode_; }
    /// The error of the first add() that failed (none: every statement was added). A batch
    /// missing a statement its caller meant to run is refused whole: async_execute_batch sends
    /// none of it and fails with this error, so that the rest never runs (and, all_or_nothing,
    /// commits) without it.
    error_code refused() const noexcept { return refused_; }
    /// What refused() means: which statement was refused, and why.
    const std::string& refusal() const noexcept { return refusal_; }

    /// Where one statement's messages are in bytes() and what the server answers them with (for
    /// the engine).
    struct entry {
        std::size_t bytes_end; ///< its messages end here in bytes() (the previous one's end
                               ///< is where they start)
        bool described;        ///< Parse, Bind, Describe, Execute (else Bind, Execute)
        bool runs_alone;       ///< a COPY, or a statement that opens a transaction block
    };

    /// The encoded messages, without Syncs (for the engine).
    const protocol::write_buffer& bytes() const noexcept { return bytes_; }
    /// Per statement: the columns of its prepared statement, or null when the server describes
    /// them.
    const std::vector<column_list>& columns() const noexcept { return columns_; }
    /// Per statement: where its messages are.
    const std::vector<entry>& entries() const noexcept { return entries_; }
    /// The session of the prepared statements it executes (0: none): a batch runs only there.
    std::uint64_t session() const noexcept { return session_; }
    /// True when one of its statements is a COPY or opens a transaction block (the batch then
    /// runs alone on the wire).
    bool runs_alone() const noexcept { return runs_alone_; }

private:
    // Notes the first refusal (the statement being added is the size() + 1st) and why (none:
    // what `ec` says); returns `ec`.
    error_code refuse(error_code ec, std::string_view why = {});

    static constexpr protocol::format_code binary_[] = {protocol::format_code::binary};
    batch_mode mode_;
    protocol::write_buffer bytes_;
    std::vector<column_list> columns_;
    std::vector<entry> entries_;
    std::uint64_t session_ = 0;
    bool runs_alone_ = false;
    std::shared_ptr<const type_registry> types_;
    error_code refused_;
    std::string refusal_;
};

} // namespace pgasio
