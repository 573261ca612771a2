// A parameter or value whose type is chosen at run time.
#pragma once

#include <pgasio/protocol/format_code.hpp>
#include <pgasio/protocol/types/types.hpp>
#include <pgasio/protocol/write_buffer.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pgasio {

/// A value of one of PostgreSQL's common types, or NULL, chosen at run time: the parameters of
/// a query whose shape is known only when it runs (a query builder, a generic tool).
///
/// | alternative                                         | sent as       |
/// |-----------------------------------------------------|---------------|
/// | std::monostate                                      | NULL (type 0: the server infers it) |
/// | bool, std::int16_t, std::int32_t, std::int64_t      | bool, int2, int4, int8 |
/// | float, double                                       | float4, float8 |
/// | std::string                                         | text          |
/// | std::vector<std::byte>                              | bytea         |
/// | protocol::uuid, protocol::numeric                   | uuid, numeric |
/// | std::chrono::sys_days                               | date          |
/// | std::chrono::local_time<std::chrono::microseconds>  | timestamp     |
/// | std::chrono::sys_time<std::chrono::microseconds>    | timestamptz   |
/// | protocol::time_of_day, protocol::interval           | time, interval |
/// | protocol::json, protocol::jsonb, protocol::inet     | json, jsonb, inet |
/// | std::vector<std::int32_t>, std::vector<std::int64_t>, std::vector<double>,
/// std::vector<std::string> | int4[], int8[], float8[], text[] |
///
/// Integers of other widths pick the alternative of their size (`long long` is int8; unsigned
/// types take the next wider signed one; std::uint64_t is refused at compile time, as bigint
/// cannot hold all of it). String literals and std::string_view become std::string;
/// std::optional<T> becomes NULL or T.
///
/// @code
/// std::vector<pgasio::value> params{"active", 18, std::nullopt};
/// co_await conn.async_query("SELECT * FROM users WHERE status = $1 AND age > $2 AND $3 IS NULL",
///                           params);   // one argument: these are the parameters
/// @endcode
class value {
public:
    /// The alternatives.
    using variant_type =
        std::variant<std::monostate, bool, std::int16_t, std::int32_t, std::int64_t, float, double,
                     std::string, std::vector<std::byte>, protocol::uuid, protocol::numeric,
                     std::chrono::sys_days, std::chrono::local_time<std::chrono::microseconds>,
                     std::chrono::sys_time<std::chrono::microseconds>, protocol::time_of_day,
                     protocol::interval, protocol::json, protocol::jsonb, protocol::inet,
                     std::vector<std::int32_t>, std::vector<std::int64_t>, std::vector<double>,
                     std::vector<std::string>>;

    /// True when T is one of variant_type's alternatives.
    template <class T>
    static constexpr bool is_alternative = []<class... A>(std::variant<A...>*) {
        return (std::is_same_v<T, A> || ...);
    }(static_cast<variant_type*>(nullptr));

    /// NULL.
    value() = default;
    /// NULL.
    value(std::nullopt_t) noexcept {}
    /// An alternative of variant_type, as it is.
    // The constraint excludes value itself, so the copy and move constructors stay in use;
    // clang-tidy 14 does not read requires-clauses.
    // NOLINTBEGIN(bugprone-forwarding-reference-overload)
    template <class T>
    requires(is_alternative<std::remove_cvref_t<T>> && !std::is_integral_v<std::remove_cvref_t<T>>)
        value(T&& v)
        : v_(std::in_place_type<std::remove_cvref_t<T>>, std::forward<T>(v)) {}
    // NOLINTEND(bugprone-forwarding-reference-overload)
    /// bool.
    value(bool v) noexcept
        : v_(v) {}
    /// An integer, stored in the alternative of its width (see the class).
    template <std::integral I>
    requires(!std::is_same_v<I, bool> && !std::is_same_v<I, char>) value(I v)
    noexcept {
        if constexpr (std::is_signed_v<I> ? sizeof(I) <= 2 : sizeof(I) < 2)
            v_.emplace<std::int16_t>(static_cast<std::int16_t>(v));
        else if constexpr (std::is_signed_v<I> ? sizeof(I) <= 4 : sizeof(I) < 4)
            v_.emplace<std::int32_t>(static_cast<std::int32_t>(v));
        else {
            static_assert(std::is_signed_v<I> ? sizeof(I) <= 8 : sizeof(I) < 8,
                          "pgasio::value: an unsigned 64-bit integer does not fit bigint; "
                          "convert it to std::int64_t or to a numeric explicitly");
            v_.emplace<std::int64_t>(static_cast<std::int64_t>(v));
        }
    }
    /// text. A null pointer is NULL.
    value(const char* s) {
        if (s) v_.emplace<std::string>(s);
    }
    /// text.
    value(std::string_view s)
        : v_(std::in_place_type<std::string>, s) {}
    /// NULL or the value.
    template <class T>
    value(const std::optional<T>& v) {
        if (v) *this = value(*v);
    }

    /// True for NULL.
    bool is_null() const noexcept { return std::holds_alternative<std::monostate>(v_); }
    /// The type the value is sent as (0 for NULL: the server infers it from the query).
    protocol::oid type_oid() const noexcept;
    /// The alternative held.
    const variant_type& get() const noexcept { return v_; }
    /// A pointer to the alternative T, or nullptr when another one is held.
    template <class T>
    const T* get_if() const noexcept {
        return std::get_if<T>(&v_);
    }

    /// Appends the binary form of the value (nothing for NULL, whose length alone says NULL).
    /// Errors: those of the alternative's codec (embedded_nul in json, value_out_of_range, ...).
    boost::system::error_code encode_binary(protocol::write_buffer& out) const;
    /// Appends the text form of the value ("NULL" is not written: nothing for NULL).
    boost::system::error_code encode_text(std::string& out) const;

    /// Whether both designate the same element.
    friend bool operator==(const value&, const value&) = default;

private:
    variant_type v_;
};

} // namespace pgasio
