// What connection::async_execute_batch answers: the outcome of each statement of a batch.
#pragma once

#include <pgasio/error.hpp>
#include <pgasio/protocol/diagnostics.hpp>
#include <pgasio/result.hpp>

#include <cstddef>
#include <memory>
#include <vector>

namespace pgasio {

/// What became of one statement of a batch.
enum class statement_status : unsigned char {
    /// The server ran it: statement_outcome::rows holds its result. In an all_or_nothing batch
    /// that failed later, its effects were rolled back with the rest of the batch.
    succeeded,
    /// It failed: statement_outcome::error says why (the server's error, with its diagnostics;
    /// or, for a statement the batch never got an answer for, the error that stopped the batch).
    failed,
    /// Not run: an earlier statement of its all_or_nothing batch failed, and the server skipped
    /// everything after it.
    skipped,
};

/// The outcome of one statement of a batch.
struct statement_outcome {
    /// Whether the statement succeeded, failed or was skipped.
    statement_status status = statement_status::skipped;
    /// Its rows and command tag (rows_affected()) when it succeeded; empty otherwise.
    result rows;
    /// Why it failed (success unless status is failed).
    error_code error;
    /// The server's diagnostics when it failed with a server error (SQLSTATE, message, detail,
    /// position, ...); null otherwise.
    std::shared_ptr<const diagnostics> diag;

    /// True when it succeeded.
    bool ok() const noexcept { return status == statement_status::succeeded; }
};

/// The outcomes of a batch's statements, in the order they were added.
///
/// @code
/// pgasio::batch_results out = co_await conn.async_execute_batch(std::move(b));
/// for (const pgasio::statement_outcome& s : out)
///     if (s.status == pgasio::statement_status::failed)
///         fmt::print("failed: {}\n", s.diag ? s.diag->message : s.error.message());
/// @endcode
class batch_results {
public:
    batch_results() = default;
    /// The outcomes, one per statement, in order (made by async_execute_batch).
    explicit batch_results(std::vector<statement_outcome> outcomes) noexcept
        : outcomes_(std::move(outcomes)) {}

    /// The number of statements.
    std::size_t size() const noexcept { return outcomes_.size(); }
    /// True when the batch had no statement.
    bool empty() const noexcept { return outcomes_.empty(); }
    /// Statement `i`'s outcome (i < size(), unchecked).
    const statement_outcome& operator[](std::size_t i) const noexcept { return outcomes_[i]; }
    /// The first element.
    auto begin() const noexcept { return outcomes_.begin(); }
    /// Past the last element.
    auto end() const noexcept { return outcomes_.end(); }

    /// True when every statement succeeded.
    bool ok() const noexcept { return first_failure() == nullptr; }
    /// The first statement that failed, or null when none did.
    const statement_outcome* first_failure() const noexcept {
        for (const auto& s : outcomes_)
            if (s.status == statement_status::failed) return &s;
        return nullptr;
    }

private:
    std::vector<statement_outcome> outcomes_;
};

} // namespace pgasio
