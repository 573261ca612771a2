#include "support/pg_env.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

namespace pgasio::test {
namespace {

// Reads the `export KEY='value'` lines that `tools/pg env` prints.
std::map<std::string, std::string> load() {
    const char* dir = std::getenv("PGASIO_PG_DIR");
    if (!dir) throw std::runtime_error("PGASIO_PG_DIR is not set: run the tests through ctest");
    std::ifstream in(std::string(dir) + "/env");
    if (!in) throw std::runtime_error(std::string("cannot read ") + dir + "/env: is tools/pg up?");
    std::map<std::string, std::string> out;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("export ", 0) == 0) line.erase(0, 7);
        const auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string value = line.substr(eq + 1);
        if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
            value = value.substr(1, value.size() - 2);
        out[line.substr(0, eq)] = value;
    }
    return out;
}

} // namespace

const std::map<std::string, std::string>& pg_settings() {
    static const auto settings = load();
    return settings;
}

std::string pg_setting(const std::string& name) {
    const auto& settings = pg_settings();
    const auto it = settings.find(name);
    if (it == settings.end()) throw std::runtime_error(name + " is not in $PGASIO_PG_DIR/env");
    return it->second;
}

} // namespace pgasio::test
