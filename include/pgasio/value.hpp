// A value of any PostgreSQL type, or NULL, whose type is chosen at run time.
#pragma once

#include <pgasio/protocol/format_code.hpp>
#include <pgasio/protocol/types/types.hpp>
#include <pgasio/protocol/write_buffer.hpp>
#include <pgasio/wal_lsn.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace pgasio {

class value;

/// The array alternative of pgasio::value: an array of any shape (up to 6 dimensions, any lower
/// bounds, NULL elements) whose elements are values.
///
/// The array's type is the type_oid() of the value that holds it (int4[], varchar[], ...); each
/// element is a value of the array's element type, or NULL. `elements` holds them in row-major
/// order (the last index varies fastest), as many as the dimensions' lengths multiply to. An
/// array without elements has no dimensions, as the server stores it.
///
/// @code
/// // [0:1][1:2]={{1,2},{3,4}}
/// pgasio::value_array a{{{2, 0}, {2, 1}}, {1, 2, 3, 4}};
/// auto v = pgasio::value::of_type(pgasio::protocol::oids::int4_array, a);
/// @endcode
struct value_array {
    /// The dimensions, outermost first (none for an empty array).
    std::vector<protocol::array_dimension> dims{};
    /// The elements in row-major order.
    std::vector<value> elements;
    /// Whether both have the same shape and equal elements.
    friend bool operator==(const value_array& a, const value_array& b);
};

/// The alternative of pgasio::value for a value of a type pgasio has no codec for (an enum, a
/// composite, an extension's type such as hstore, arrays and ranges of these): the value's text
/// as the server wrote it (what `SELECT x::text` returns). The type is the type_oid() of the
/// value that holds it. As a query parameter it is sent in text, which the server reads with
/// the type's input function, so a value read this way goes back unchanged; a binary COPY row
/// cannot hold one (client_errc::type_mismatch), nor can an array of values or encode_binary.
struct other_type_text {
    /// The server's text form of the value.
    std::string text;
    /// Whether both hold the same text.
    friend bool operator==(const other_type_text&, const other_type_text&) = default;
};

/// A value of any type pgasio has a codec for, or NULL, chosen at run time; and, read from a
/// column, of any type at all. For queries whose shape is known only when they run (a query
/// builder, a generic tool, an ORM layer): as a parameter it is sent with its own type, and
/// `row.get<pgasio::value>(i)` reads any column into it.
///
/// A value is one C++ alternative (variant_type: the type the codec of the PostgreSQL type
/// decodes into, see docs/types.md) and the exact PostgreSQL type it is of, type_oid(): types
/// that share a C++ type stay apart (text, varchar, bpchar and name are all std::string; oid
/// and the reg* aliases all std::uint32_t; bit and varbit both bit_string). The alternatives:
///
/// | alternative | PostgreSQL types |
/// |---|---|
/// | std::monostate | NULL (of type_oid(), or of type 0: the server infers it) |
/// | bool, std::int16_t, std::int32_t, std::int64_t | bool, int2, int4, int8 |
/// | std::uint32_t | oid and the OID aliases (regclass, regtype, regproc, ...) |
/// | float, double, numeric, money | float4, float8, numeric, money |
/// | char, std::string | "char"; text, varchar, bpchar, name, unknown |
/// | std::vector<std::byte>, bit_string | bytea; bit, varbit |
/// | uuid, json, jsonb, jsonpath, xml | the same |
/// | sys_days, local_time<microseconds>, sys_time<microseconds> | date, timestamp, timestamptz |
/// | timestamp, timestamptz (protocol::basic_timestamp) | timestamp, timestamptz after 294247 AD |
/// | time_of_day, time_of_day_tz, interval | time, timetz, interval |
/// | inet, cidr, macaddr, macaddr8 | the same |
/// | xid, xid8, cid, wal_lsn, tid | xid, xid8, cid, pg_lsn, tid |
/// | pg_snapshot | pg_snapshot, txid_snapshot |
/// | int2vector, oidvector, tsvector, tsquery | the same |
/// | point, line, lseg, box, path, polygon, circle | the same |
/// | range<T>, multirange<T> | the built-in ranges and multiranges (T as in docs/types.md) |
/// | value_array | arrays of all these: any shape, any lower bounds, NULL elements |
/// | other_type_text | any other type, as text: read in text, or a loaded user type's value |
///
/// Constructors take C++ values as they are, each with the type its codec sends it as (a
/// std::string is text, a protocol::cidr cidr). Integers of other widths pick the alternative
/// of their size (`long long` is int8; unsigned types take the next wider signed one;
/// std::uint64_t is refused at compile time, as bigint cannot hold all of it); a char is
/// "char". String literals and std::string_view become text; std::optional<T> becomes NULL or
/// T; std::vector<T> (std::optional<T> elements for NULLs) and protocol::array<T> become a
/// value_array of T's array type. of_type() makes a value of any other type its alternative can
/// hold (varchar, regclass, an array of varchar, a value of an enum as text).
///
/// A timestamp or timestamptz read from a column is held as the std::chrono time point, or, for
/// the few values after 294247 AD that it cannot hold, as protocol::timestamp or timestamptz.
///
/// Equality compares the type and the alternative (floating-point members as `==` does: NaN is
/// not equal to itself; a std::chrono time point and a basic_timestamp of the same time are
/// equal). fmt prints a value as the server prints it (pgasio/format.hpp).
///
/// @code
/// std::vector<pgasio::value> params{"active", 18, std::nullopt};
/// co_await conn.async_query("SELECT * FROM users WHERE status = $1 AND age > $2 AND $3 IS NULL",
///                           params);   // one argument: these are the parameters
/// for (auto row : co_await conn.async_query("SELECT * FROM anything"))
///     for (std::size_t i = 0; i < row.size(); ++i)
///         fmt::print("{}\n", row.get<pgasio::value>(i)); // as the server prints it
/// @endcode
class value {
public:
    /// The alternatives (see the class).
    using variant_type = std::variant<
        std::monostate, bool, std::int16_t, std::int32_t, std::int64_t, std::uint32_t, float,
        double, protocol::numeric, protocol::money, char, std::string, std::vector<std::byte>,
        protocol::bit_string, protocol::uuid, protocol::json, protocol::jsonb, protocol::jsonpath,
        protocol::xml, std::chrono::sys_days, std::chrono::local_time<std::chrono::microseconds>,
        std::chrono::sys_time<std::chrono::microseconds>, protocol::timestamp,
        protocol::timestamptz, protocol::time_of_day, protocol::time_of_day_tz, protocol::interval,
        protocol::inet, protocol::cidr, protocol::macaddr, protocol::macaddr8, protocol::xid,
        protocol::xid8, protocol::cid, wal_lsn, protocol::tid, protocol::pg_snapshot,
        protocol::int2vector, protocol::oidvector, protocol::tsvector, protocol::tsquery,
        protocol::point, protocol::line, protocol::lseg, protocol::box, protocol::path,
        protocol::polygon, protocol::circle, protocol::range<std::int32_t>,
        protocol::range<std::int64_t>, protocol::range<protocol::numeric>,
        protocol::range<std::chrono::sys_days>,
        protocol::range<std::chrono::local_time<std::chrono::microseconds>>,
        protocol::range<std::chrono::sys_time<std::chrono::microseconds>>,
        protocol::multirange<std::int32_t>, protocol::multirange<std::int64_t>,
        protocol::multirange<protocol::numeric>, protocol::multirange<std::chrono::sys_days>,
        protocol::multirange<std::chrono::local_time<std::chrono::microseconds>>,
        protocol::multirange<std::chrono::sys_time<std::chrono::microseconds>>, value_array,
        other_type_text>;

    /// True when T is one of variant_type's alternatives.
    template <class T>
    static constexpr bool is_alternative = []<class... A>(std::variant<A...>*) {
        return (std::is_same_v<T, A> || ...);
    }(static_cast<variant_type*>(nullptr));

    /// True when T is an alternative that a C++ value of that type is stored as, with the type
    /// its codec sends it as (every alternative but NULL, value_array, other_type_text and the
    /// integral ones, which have constructors of their own).
    template <class T>
    static constexpr bool is_typed_alternative =
        is_alternative<T> && !std::is_integral_v<T> && !std::is_same_v<T, std::monostate> &&
        !std::is_same_v<T, value_array> && !std::is_same_v<T, other_type_text>;

    /// True when std::vector<T> and protocol::array<T> make a value_array: T (or U for
    /// T = std::optional<U>) is an alternative that a value is made of with its codec's type.
    template <class T>
    static constexpr bool is_array_element = [] {
        using element = typename protocol::types::detail::array_element<T>::value_type;
        return is_alternative<element> && !std::is_same_v<element, std::monostate> &&
               !std::is_same_v<element, value_array> && !std::is_same_v<element, other_type_text>;
    }();

    /// NULL of no particular type (0: the server infers it from the query).
    value() noexcept;
    /// NULL of no particular type.
    value(std::nullopt_t) noexcept
        : value() {}
    /// An alternative of variant_type, as it is, of the type its codec sends it as.
    // The constraint excludes value itself, so the copy and move constructors stay in use;
    // clang-tidy 14 does not read requires-clauses.
    // NOLINTBEGIN(bugprone-forwarding-reference-overload)
    template <class T>
    requires is_typed_alternative<std::remove_cvref_t<T>> value(T&& v)
        : v_(std::in_place_type<std::remove_cvref_t<T>>, std::forward<T>(v))
        , oid_(protocol::types::codec<std::remove_cvref_t<T>>::type_oid) {}
    // NOLINTEND(bugprone-forwarding-reference-overload)
    /// bool.
    value(bool v) noexcept
        : v_(v)
        , oid_(protocol::types::codec<bool>::type_oid) {}
    /// "char", PostgreSQL's one-byte type.
    value(char v) noexcept
        : v_(v)
        , oid_(protocol::types::codec<char>::type_oid) {}
    /// An integer, stored in the alternative of its width (see the class).
    template <std::integral I>
    requires(!std::is_same_v<I, bool> && !std::is_same_v<I, char>) value(I v)
    noexcept {
        if constexpr (std::is_signed_v<I> ? sizeof(I) <= 2 : sizeof(I) < 2)
            set<std::int16_t>(static_cast<std::int16_t>(v));
        else if constexpr (std::is_signed_v<I> ? sizeof(I) <= 4 : sizeof(I) < 4)
            set<std::int32_t>(static_cast<std::int32_t>(v));
        else {
            static_assert(std::is_signed_v<I> ? sizeof(I) <= 8 : sizeof(I) < 8,
                          "pgasio::value: an unsigned 64-bit integer does not fit bigint; "
                          "convert it to std::int64_t or to a numeric explicitly");
            set<std::int64_t>(static_cast<std::int64_t>(v));
        }
    }
    /// text. A null pointer is NULL.
    value(const char* s)
        : value() {
        if (s) set<std::string>(std::string(s));
    }
    /// text.
    value(std::string_view s)
        : value() {
        set<std::string>(std::string(s));
    }
    /// NULL (of no particular type) or the value.
    template <class T>
    value(const std::optional<T>& v)
        : value() {
        if (v) *this = value(*v);
    }
    /// A one-dimensional array (lower bound 1) of T's array type; std::optional<U> elements
    /// are NULL when empty. std::vector<std::byte> is bytea, not an array.
    template <class T>
    requires(is_array_element<T> && !std::is_same_v<T, std::byte>) value(const std::vector<T>& v)
        : value() {
        value_array a;
        if (!v.empty()) a.dims.push_back({static_cast<std::int32_t>(v.size()), 1});
        a.elements.reserve(v.size());
        for (const auto& e : v)
            a.elements.push_back(element_of<T>(e));
        set_array<T>(std::move(a));
    }
    /// An array of T's array type, of the shape `v` has.
    template <class T>
    requires is_array_element<T> value(const protocol::array<T>& v)
        : value() {
        value_array a;
        a.dims = v.dims;
        a.elements.reserve(v.elements.size());
        for (const auto& e : v.elements)
            a.elements.push_back(element_of<std::optional<T>>(e));
        set_array<T>(std::move(a));
    }

    /// A value of PostgreSQL type `type` held as the alternative T: for the types that share a
    /// C++ type with another (varchar, regclass, bit, txid_snapshot, ...), NULL of a given type
    /// (T = std::monostate), arrays (T = value_array, `type` an array type), and values of the
    /// types pgasio has no codec for (T = other_type_text). Nothing is checked here: a value whose
    /// alternative cannot be of `type` fails to encode (client_errc::type_mismatch), so a query
    /// it is a parameter of fails before anything is sent.
    template <class T>
    requires is_alternative<std::remove_cvref_t<T>>
    static value of_type(protocol::oid type, T&& v) {
        value out;
        out.v_.template emplace<std::remove_cvref_t<T>>(std::forward<T>(v));
        out.oid_ = type;
        return out;
    }

    /// Copies `other`.
    value(const value& other);
    /// Moves `other`, which is left valid (of unspecified contents).
    value(value&& other) noexcept;
    /// Copies `other`.
    value& operator=(const value& other);
    /// Moves `other`.
    value& operator=(value&& other) noexcept;
    ~value();

    /// True for NULL.
    bool is_null() const noexcept { return std::holds_alternative<std::monostate>(v_); }
    /// The PostgreSQL type of the value, the type it is sent as (0 for NULL of no particular
    /// type: the server infers it from the query).
    protocol::oid type_oid() const noexcept { return oid_; }
    /// The alternative held.
    const variant_type& get() const noexcept { return v_; }
    /// A pointer to the alternative T, or nullptr when another one is held.
    template <class T>
    const T* get_if() const noexcept {
        return std::get_if<T>(&v_);
    }

    /// Appends the binary form of the value (nothing for NULL, whose length alone says NULL).
    /// Errors: type_mismatch (an alternative that cannot be of type_oid(); other_type_text, which
    /// has no binary form; an array element of another type than the array's elements),
    /// invalid_array (an array whose elements do not fill its dimensions), and those of the
    /// alternative's codec (embedded_nul in json, value_out_of_range, ...).
    boost::system::error_code encode_binary(protocol::write_buffer& out) const;
    /// Appends the text form of the value, as the server writes values of its type ("NULL" is
    /// not written: nothing for NULL; money as a plain number, see docs/types.md). Errors: as
    /// encode_binary, but other_type_text writes its text.
    boost::system::error_code encode_text(std::string& out) const;

    /// Whether both are of the same type and hold equal alternatives.
    friend bool operator==(const value& a, const value& b);

private:
    template <class T, class V>
    void set(V&& v) noexcept(std::is_nothrow_constructible_v<T, V&&>) {
        v_.template emplace<T>(std::forward<V>(v));
        oid_ = protocol::types::codec<T>::type_oid;
    }
    // An element of an array of T: a value of T's type, NULL of T's type for an empty optional.
    template <class T>
    static value element_of(const T& e) {
        using element = typename protocol::types::detail::array_element<T>::value_type;
        constexpr protocol::oid type = protocol::types::codec<element>::type_oid;
        if constexpr (protocol::types::detail::array_element<T>::nullable)
            return e ? of_type(type, element(*e)) : of_type(type, std::monostate{});
        else
            return of_type(type, element(e));
    }
    template <class T>
    void set_array(value_array&& a) {
        using element = typename protocol::types::detail::array_element<T>::value_type;
        v_.template emplace<value_array>(std::move(a));
        oid_ = protocol::types::codec<element>::array_oid;
    }

    variant_type v_;
    protocol::oid oid_ = 0;
};

} // namespace pgasio

namespace pgasio::protocol::types {

/// `pgasio::value` <-> values of every type: reading a column into a value decodes it with the
/// codec of its type (the C++ type the value then holds), an array of a built-in type into a
/// value_array, and a value of any other type that arrived in text into other_type_text; NULL
/// reads as a NULL value of the column's type. Sending a value sends its type_oid().
///
/// Unlike other codecs it has no static type_oid: a value's type is chosen at run time (see
/// pgasio::detail::param_traits<value>).
template <>
struct codec<pgasio::value> {
    /// Every type: those without a codec read as their text.
    static constexpr bool accepts(oid) noexcept { return true; }
    /// Appends the binary form of `v` (see value::encode_binary).
    static boost::system::error_code encode_binary(write_buffer& out, const pgasio::value& v) {
        return v.encode_binary(out);
    }
    /// Decodes the binary form of a value of server type `t`. Errors: type_mismatch (a type
    /// pgasio has no binary codec for: such a column reads as text only, see docs/types.md,
    /// "Any column as text"), and the errors of the type's codec.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t,
                                                   pgasio::value& out);
    /// Appends the text form of `v` (see value::encode_text).
    static boost::system::error_code encode_text(std::string& out, const pgasio::value& v) {
        return v.encode_text(out);
    }
    /// Decodes the text form of a value of server type `t`: through the type's codec, or as
    /// other_type_text for a type without one. Errors: those of the type's codec.
    static boost::system::error_code decode_text(std::string_view in, oid t, pgasio::value& out);
    /// NULL of server type `t`: a value holds NULL, so reading NULL into it is no error.
    static boost::system::error_code decode_null(oid t, pgasio::value& out) noexcept;
};

} // namespace pgasio::protocol::types
