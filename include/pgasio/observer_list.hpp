// Several observers where one is expected: metrics, logs and traces at once.
#pragma once

#include <pgasio/observer.hpp>

#include <memory>
#include <vector>

namespace pgasio {

/// An observer that passes everything on to each of its observers, in order (each getting its
/// own context back at operation_end).
///
/// \code
/// cfg.observer = std::make_shared<pgasio::observer_list>(
///     std::vector<std::shared_ptr<pgasio::observer>>{metrics, logs, tracer});
/// \endcode
class observer_list final : public observer {
public:
    /// Passes on to `observers` (null entries are skipped).
    explicit observer_list(std::vector<std::shared_ptr<observer>> observers);

    void* operation_start(const operation_info& op) noexcept override;
    void operation_end(const operation_info& op, const operation_result& result,
                       void* context) noexcept override;
    void routed(server_role target) noexcept override;
    void pool_state(std::string_view pool, const pool_stats& stats) noexcept override;

private:
    std::vector<std::shared_ptr<observer>> observers_;
};

} // namespace pgasio
