// Where configuration reads environment variables from.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace pgasio {

/// A source of environment variables: returns a variable's value, or nullopt when it is unset.
///
/// config::parse reads the libpq variables (PGHOST, PGUSER, ...) and HOME through it, so tests and
/// programs that want a fixed configuration can pass map_environment() instead of the process's.
using environment = std::function<std::optional<std::string>(std::string_view name)>;

/// The process's own environment (getenv). Reads happen when the function is called.
environment process_environment();

/// A fixed set of variables; every other name is unset. The map is copied into the function.
///
/// \code
/// auto cfg = pgasio::config::parse("dbname=app", pgasio::map_environment({{"PGHOST", "db1"}}));
/// \endcode
environment map_environment(std::map<std::string, std::string, std::less<>> variables);

} // namespace pgasio
