#include <pgasio/config_error.hpp>

#include <ostream>

namespace pgasio {
namespace {

class config_category_impl final : public boost::system::error_category {
public:
    // A fixed identifier keeps equality across shared-library boundaries.
    constexpr config_category_impl() noexcept
        : error_category(0x70676173636f6e66ULL) {}

    const char* name() const noexcept override { return "pgasio.config"; }

    std::string message(int ev) const override {
        switch (static_cast<config_errc>(ev)) {
        case config_errc::invalid_syntax:
            return "malformed connection string";
        case config_errc::invalid_uri:
            return "malformed connection URI";
        case config_errc::invalid_percent_encoding:
            return "invalid percent-encoding in a URI";
        case config_errc::unknown_parameter:
            return "unknown connection parameter";
        case config_errc::unsupported_parameter:
            return "connection parameter or value not supported by pgasio";
        case config_errc::invalid_value:
            return "invalid value for a connection parameter";
        case config_errc::list_length_mismatch:
            return "host, hostaddr and port lists do not match in length";
        case config_errc::conflicting_settings:
            return "connection settings contradict each other";
        case config_errc::unknown_user:
            return "no user name given and none known for this process";
        }
        return "unknown pgasio.config error";
    }
};

constexpr config_category_impl category_instance;

} // namespace

const boost::system::error_category& config_category() noexcept {
    return category_instance;
}

std::ostream& operator<<(std::ostream& os, const config_error& e) {
    return os << e.message;
}

config_exception::config_exception(const config_error& e)
    : std::runtime_error(e.message)
    , code_(e.code) {}

void throw_exception_from_error(const config_error& e, const boost::source_location&) {
    throw config_exception(e);
}

} // namespace pgasio
