#include <pgasio/protocol/sqlstate_category.hpp>

#include <string>

namespace pgasio::protocol {
namespace {

class sqlstate_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "pgasio.sqlstate"; }
    std::string message(int ev) const override {
        char code[5];
        detail::unpack_sqlstate(ev, code);
        std::string out(code, 5);
        const auto name = sqlstate_condition_name(out);
        out += ' ';
        out += name.empty() ? std::string_view("(unknown condition)") : name;
        return out;
    }
    // Warnings and notices are not failures.
    bool failed(int ev) const noexcept override { return ev >= detail::pack_sqlstate("03000"); }
};

} // namespace

const boost::system::error_category& sqlstate_category() noexcept {
    static const sqlstate_category_impl instance;
    return instance;
}

boost::system::error_code make_sqlstate_error(std::string_view code) noexcept {
    const int v = detail::pack_sqlstate(code);
    if (v == 0 && code != "00000") return make_error_code(sqlstate::internal_error);
    return {v, sqlstate_category()};
}

} // namespace pgasio::protocol
