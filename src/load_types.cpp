// connection::async_load_types: user-defined types loaded by name from the catalogs.
#include "connection_impl.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/type_registry.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace pgasio {
namespace {

// The named types and, transitively, the user-defined types they are made of (a composite's
// attribute types, a domain's base type, an array's element type, and each one's array type),
// with what the codecs need of each. OIDs below FirstNormalObjectId (16384) are the built-in
// types, which pgasio knows already. `requested` says which of the names resolved to the type
// (to_regtype resolves them as a cast would: unqualified names through the search_path).
constexpr std::string_view load_types_sql = R"(WITH RECURSIVE wanted(oid) AS (
    SELECT to_regtype(n)::oid FROM unnest($1::text[]) AS n WHERE to_regtype(n) IS NOT NULL
  UNION
    SELECT d.oid
    FROM wanted w JOIN pg_catalog.pg_type t ON t.oid = w.oid,
    LATERAL (SELECT t.typelem WHERE t.typcategory = 'A'
             UNION ALL SELECT t.typarray
             UNION ALL SELECT t.typbasetype
             UNION ALL SELECT a.atttypid FROM pg_catalog.pg_attribute a
                       WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
      AS d(oid)
    WHERE d.oid >= 16384
)
SELECT t.oid, n.nspname::text, t.typname::text, t.typtype::text, t.typcategory::text,
       t.typelem, t.typarray, t.typbasetype,
       ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum),
       ARRAY(SELECT a.atttypid FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum),
       ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid
             ORDER BY e.enumsortorder),
       ARRAY(SELECT r FROM unnest($1::text[]) AS r WHERE to_regtype(r)::oid = t.oid)
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.oid IN (SELECT oid FROM wanted))";

user_type_kind kind_of(std::string_view typtype, std::string_view category) {
    if (typtype == "e") return user_type_kind::enumeration;
    if (typtype == "c") return user_type_kind::composite;
    if (typtype == "d") return user_type_kind::domain;
    if (typtype == "b") return category == "A" ? user_type_kind::array : user_type_kind::base;
    return user_type_kind::other;
}

// Adds the loaded types of `rows` to `types`; unknown_type when one of `names` is no type.
error_code add_types(type_registry& types, const std::vector<std::string>& names,
                     const result& rows, diagnostics* diag) {
    std::set<std::string, std::less<>> found;
    for (const row_view row : rows) {
        user_type t;
        t.oid = row.get<std::uint32_t>(0);
        t.schema = row.get<std::string>(1);
        t.name = row.get<std::string>(2);
        t.kind = kind_of(row.get<std::string_view>(3), row.get<std::string_view>(4));
        if (t.kind == user_type_kind::array) t.element_oid = row.get<std::uint32_t>(5);
        t.array_oid = row.get<std::uint32_t>(6);
        if (t.kind == user_type_kind::domain) t.base_oid = row.get<std::uint32_t>(7);
        if (t.kind == user_type_kind::composite) {
            const auto attnames = row.get<std::vector<std::string>>(8);
            const auto atttypes = row.get<std::vector<std::uint32_t>>(9);
            for (std::size_t i = 0; i < attnames.size() && i < atttypes.size(); ++i)
                t.attributes.push_back({attnames[i], atttypes[i]});
        }
        if (t.kind == user_type_kind::enumeration) t.labels = row.get<std::vector<std::string>>(10);
        const auto requested = row.get<std::vector<std::string>>(11);
        found.insert(requested.begin(), requested.end());
        types.add(std::move(t), requested);
    }
    for (const std::string& n : names) {
        if (found.contains(n)) continue;
        if (diag) diag->message = fmt::format("the database has no type \"{}\"", n);
        return protocol::client_errc::unknown_type;
    }
    return {};
}

} // namespace

void connection::start_load_types(detail::connection_impl* impl, handler_type handler,
                                  const detail::op_settings& op, std::vector<std::string> names) {
    auto types = impl->types;
    // Also what the registry waits for: registered types not loaded, types that changed.
    for (std::string& n : types->pending_names())
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(std::move(n));
    auto wanted = std::make_shared<const std::vector<std::string>>(std::move(names));
    const auto param_oids = detail::param_types_of(*wanted);
    const std::tuple<const std::vector<std::string>&> refs(*wanted);
    const param_source src{param_oids, 1, &write_params_of<std::vector<std::string>>, &refs,
                           nullptr};
    auto done = [types, wanted, diag = op.diag,
                 handler = std::move(handler)](error_code ec, const result& rows) mutable {
        if (!ec) {
            try {
                ec = add_types(*types, *wanted, rows, diag);
            } catch (const error& e) {
                // A catalog row pgasio could not read: the server is not the PostgreSQL it
                // expects.
                ec = e.code();
                if (diag) diag->message = e.what();
            }
        }
        std::move(handler)(ec);
    };
    // Its statement is the same every time: the statement cache prepares it once per session.
    start_query(impl, result_handler(std::move(done)), op, load_types_sql, nullptr, src);
}

} // namespace pgasio
