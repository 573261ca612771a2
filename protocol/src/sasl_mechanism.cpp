#include <pgasio/protocol/auth/sasl_mechanism.hpp>
#include <pgasio/protocol/error.hpp>

#include <algorithm>

namespace pgasio::protocol {
namespace {

constexpr std::string_view scram_sha_256 = "SCRAM-SHA-256";
constexpr std::string_view scram_sha_256_plus = "SCRAM-SHA-256-PLUS";

} // namespace

boost::system::result<sasl_mechanism_choice>
select_sasl_mechanism(std::span<const std::string_view> offered, channel_binding_policy policy,
                      bool have_tls_binding) noexcept {
    const auto has = [&](std::string_view name) {
        return std::find(offered.begin(), offered.end(), name) != offered.end();
    };
    const bool may_bind = policy != channel_binding_policy::disable && have_tls_binding;
    if (may_bind && has(scram_sha_256_plus))
        return sasl_mechanism_choice{scram_sha_256_plus, scram_binding::tls_server_end_point};
    if (policy == channel_binding_policy::require)
        return make_error_code(client_errc::scram_channel_binding_unavailable);
    if (has(scram_sha_256))
        return sasl_mechanism_choice{scram_sha_256,
                                     may_bind ? scram_binding::supported : scram_binding::none};
    return make_error_code(client_errc::scram_no_supported_mechanism);
}

} // namespace pgasio::protocol
