// PostgreSQL enums as C++ enums described with Boost.Describe.
#pragma once

#include <pgasio/detail/cpp_type_name.hpp>
#include <pgasio/detail/user_type_codec.hpp>

#include <pgasio/protocol/types/codec.hpp>

#include <boost/describe/enum.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/mp11/algorithm.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>

namespace pgasio::detail {

/// A C++ enum whose enumerators Boost.Describe lists (BOOST_DESCRIBE_ENUM).
template <class E>
concept described_enum = std::is_enum_v<E> && boost::describe::has_describe_enumerators<E>::value;

} // namespace pgasio::detail

namespace pgasio::protocol::types {

/// A PostgreSQL enum as a C++ enum described with BOOST_DESCRIBE_ENUM (or
/// BOOST_DEFINE_ENUM_CLASS): each label is the enumerator of the same name.
///
/// The enum type must be loaded (connection::async_load_types) to be read: a column of another
/// type is refused (type_mismatch), a label the C++ enum lacks fails with invalid_text_value,
/// the message naming the label. Parameters are sent as their label with type 0, which the
/// server resolves from the query (`$1::mood` where the query does not say), or with the enum's
/// OID when the C++ type was registered (type_registry::register_type), which arrays of enums
/// (std::vector<E> parameters) need.
///
/// @code
/// enum class mood { sad, ok, happy };
/// BOOST_DESCRIBE_ENUM(mood, sad, ok, happy)
/// co_await conn.async_load_types("mood");
/// mood m = row.get<mood>(0);
/// @endcode
template <class E>
requires pgasio::detail::described_enum<E>
struct codec<E> {
    /// Known only at run time: a parameter is sent as runtime_type_oid() once its type is
    /// loaded, else as 0, which the server resolves from the query.
    static constexpr oid type_oid = 0;
    /// Known only at run time (element_of_array).
    static constexpr oid array_oid = 0;
    /// A loaded enum type (the one registered for E, when E was registered).
    static bool accepts(oid t) noexcept { return pgasio::detail::accepts_enum(t, typeid(E)); }
    /// The OID of the type registered for E, or 0.
    static oid runtime_type_oid() noexcept { return pgasio::detail::registered_oid(typeid(E)); }
    /// The element type of the loaded array type `t`, or 0.
    static oid element_of_array(oid t) noexcept { return pgasio::detail::loaded_element_of(t); }

    /// The enumerator named `label`, or invalid_text_value naming the label.
    static boost::system::error_code from_label(std::string_view label, oid t, E& out) {
        bool found = false;
        boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
            if (!found && label == d.name) {
                out = d.value;
                found = true;
            }
        });
        if (found) return {};
        return pgasio::detail::unknown_label(label, t, pgasio::detail::cpp_type_name<E>());
    }
    /// The label of `v`, or value_out_of_range for a value that is no enumerator.
    static const char* label_of(E v) noexcept {
        const char* name = nullptr;
        boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
            if (!name && v == d.value) name = d.name;
        });
        return name;
    }

    /// The binary form is the label's bytes (enum_send).
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t, E& out) {
        return from_label(std::string_view(reinterpret_cast<const char*>(in.data()), in.size()), t,
                          out);
    }
    /// The text form is the label.
    static boost::system::error_code decode_text(std::string_view in, oid t, E& out) {
        return from_label(in, t, out);
    }
    /// Appends the label (enum_recv reads it).
    static boost::system::error_code encode_binary(write_buffer& out, E v) {
        const char* name = label_of(v);
        if (!name) return client_errc::value_out_of_range;
        out.put_string(name);
        return {};
    }
    /// Appends the label.
    static boost::system::error_code encode_text(std::string& out, E v) {
        const char* name = label_of(v);
        if (!name) return client_errc::value_out_of_range;
        out += name;
        return {};
    }
};

} // namespace pgasio::protocol::types
