// The user-defined types of a database: OIDs and layouts loaded by name, shared by connections.
#pragma once

#include <pgasio/protocol/format_code.hpp>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

namespace pgasio {

/// What a user_type is (pg_type.typtype, arrays told apart).
enum class user_type_kind {
    base,        ///< a base type, e.g. an extension's (hstore)
    composite,   ///< CREATE TYPE ... AS (...), or a table's row type
    domain,      ///< CREATE DOMAIN: values are its base type's
    enumeration, ///< CREATE TYPE ... AS ENUM
    array,       ///< the array type of one of these
    other,       ///< ranges, multiranges, pseudo-types: known by name only
};

/// One attribute of a composite type, as pg_attribute has it (dropped attributes are left out:
/// the binary record format leaves them out too).
struct type_attribute {
    std::string name;           ///< pg_attribute.attname
    protocol::oid type_oid = 0; ///< pg_attribute.atttypid (a domain's own OID, not its base's)
    /// Whether both designate the same attribute.
    friend bool operator==(const type_attribute&, const type_attribute&) = default;
};

/// A user-defined type as the catalogs describe it (pg_type, pg_attribute, pg_enum).
struct user_type {
    protocol::oid oid = 0; ///< pg_type.oid
    std::string schema;    ///< its namespace, e.g. "public"
    std::string name;      ///< pg_type.typname, e.g. "address" or "_address" for arrays
    user_type_kind kind = user_type_kind::other; ///< what it is
    protocol::oid array_oid = 0;                 ///< its array type (pg_type.typarray), or 0
    protocol::oid element_oid = 0;               ///< for an array: the element type
    protocol::oid base_oid = 0;                  ///< for a domain: the type it constrains
    std::vector<type_attribute> attributes;      ///< for a composite: its live attributes
    std::vector<std::string> labels;             ///< for an enum: its labels in sort order

    /// "schema.name", as error messages name it.
    std::string qualified_name() const { return schema + "." + name; }
};

/// The user-defined types (enums, composites, domains, arrays of them, extension types such as
/// hstore) a connection reads and writes: their OIDs and layouts differ from one database to the
/// next, so they are loaded by name from the catalogs, once, and kept here.
///
/// **Loading is explicit** (as pgx's LoadType): `co_await conn.async_load_types("mood",
/// "public.address")` loads the named types and every user-defined type they are made of (the
/// attribute types of a composite, a domain's base type, element and array types), in one
/// query; the C++ codecs of enums, composites and hstore (pgasio/described_enum.hpp,
/// pgasio/composite.hpp, pgasio/hstore.hpp) then read and write them. A value of a type that
/// was not loaded fails with client_errc::unknown_type, naming the type. Names resolve as in
/// SQL (`to_regtype`): unqualified names through the session's search_path.
///
/// **Changes**: a loaded composite whose values no longer match its layout (ALTER TYPE ... ADD
/// ATTRIBUTE since it was loaded) fails with client_errc::type_changed naming the type, and is
/// marked changed: the next async_load_types loads it again, whatever names it is given.
/// Likewise an enum label added since the load is not one the registry knows of, but the codecs
/// read labels as they come (a C++ enum lacking one fails naming the label).
///
/// **Sharing**: a connection makes its own registry when it is created; connections to the
/// same database may share one (connection::set_types, pool_options::types), so the
/// types are loaded once for all of them. All members are thread-safe. The registry is kept
/// alive by the results whose columns use it.
///
/// @code
/// auto types = std::make_shared<pgasio::type_registry>();
/// types->register_type<pgasio::hstore>("hstore");
/// conn.set_types(types);
/// co_await conn.async_load_types("mood");   // hstore too: it was registered
/// @endcode
class type_registry {
public:
    /// An empty registry.
    type_registry();
    /// Releases the types.
    ~type_registry();
    type_registry(const type_registry&) = delete;
    type_registry& operator=(const type_registry&) = delete;

    /// The type with OID `t`, or null when it was not loaded. The pointer stays valid after a
    /// reload replaces the type.
    std::shared_ptr<const user_type> find(protocol::oid t) const;
    /// The type loaded under `name`: a name it was loaded as ("mood", "public.address"), its
    /// qualified name, or its unqualified name when one loaded type alone has it. Null when none.
    std::shared_ptr<const user_type> find(std::string_view name) const;
    /// `t` with its domains resolved: the base type of a domain (of a domain...), else `t`.
    protocol::oid base_type(protocol::oid t) const;

    /// Says that the C++ type T is the PostgreSQL type `name` ("schema.name", or a name the
    /// search_path resolves): T's codec then accepts only that type's values, and sends
    /// parameters and array elements with its OID. The next async_load_types loads it. Used for
    /// the codecs of types whose OID is not fixed: enums, composites, an extension's types (a
    /// codec of your own for one reads runtime_oid<T>()).
    template <class T>
    void register_type(std::string name) {
        register_type(typeid(T), std::move(name));
    }
    /// As register_type<T>, for the C++ type `cpp`.
    void register_type(std::type_index cpp, std::string name);
    /// The OID of the type registered for T, or 0 when T was not registered or not loaded yet.
    template <class T>
    protocol::oid runtime_oid() const {
        return runtime_oid(typeid(T));
    }
    /// As runtime_oid<T>, for the C++ type `cpp`.
    protocol::oid runtime_oid(std::type_index cpp) const;
    /// Whether the C++ type `cpp` was registered (register_type).
    bool registered(std::type_index cpp) const;

    /// Adds (or replaces) a loaded type; `requested_as` are the names it was asked for by.
    void add(user_type t, std::span<const std::string> requested_as = {});
    /// Marks the type with OID `t` changed: the next load loads it again.
    void mark_changed(protocol::oid t) const;
    /// The names a load must ask for besides `names`: the registered types not loaded yet, and
    /// the types marked changed.
    std::vector<std::string> pending_names() const;

private:
    struct state;
    std::unique_ptr<state> state_;
};

} // namespace pgasio
