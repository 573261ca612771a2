#include <pgasio/environment.hpp>

#include <cstdlib>
#include <utility>

namespace pgasio {

environment process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        // getenv needs a NUL-terminated name. Not safe against a concurrent setenv, which is
        // the environment's own contract (libpq reads it the same way); reading the process
        // environment is what this function is for.
        const char* value = std::getenv(std::string(name).c_str()); // NOLINT(concurrency-mt-unsafe)
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
}

environment map_environment(std::map<std::string, std::string, std::less<>> variables) {
    return [vars = std::move(variables)](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

} // namespace pgasio
