#include <pgasio/value.hpp>

namespace pgasio {

namespace {

template <class T>
using codec = protocol::types::codec<T>;

} // namespace

protocol::oid value::type_oid() const noexcept {
    return std::visit(
        []<class T>(const T&) -> protocol::oid {
            if constexpr (std::is_same_v<T, std::monostate>)
                return 0;
            else
                return codec<T>::type_oid;
        },
        v_);
}

boost::system::error_code value::encode_binary(protocol::write_buffer& out) const {
    return std::visit(
        [&]<class T>(const T& v) -> boost::system::error_code {
            if constexpr (std::is_same_v<T, std::monostate>)
                return {};
            else
                return codec<T>::encode_binary(out, v);
        },
        v_);
}

boost::system::error_code value::encode_text(std::string& out) const {
    return std::visit(
        [&]<class T>(const T& v) -> boost::system::error_code {
            if constexpr (std::is_same_v<T, std::monostate>)
                return {};
            else
                return codec<T>::encode_text(out, v);
        },
        v_);
}

} // namespace pgasio
