// Connection settings of the throwaway PostgreSQL setup that `tools/pg up` starts for the tests.
#pragma once

#include <map>
#include <string>

namespace pgasio::test {

/// The value of `name` (e.g. "PGASIO_TEST_PRIMARY_URL") as written by `tools/pg up` to
/// $PGASIO_PG_DIR/env. Throws std::runtime_error naming the variable when it is not there, so a
/// test without its server fails loudly instead of passing vacuously.
std::string pg_setting(const std::string& name);

/// Every setting of $PGASIO_PG_DIR/env (throws as pg_setting does when it cannot be read).
const std::map<std::string, std::string>& pg_settings();

} // namespace pgasio::test
