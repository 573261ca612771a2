# Warnings for the project's own targets (never for users' code that includes our headers).
add_library(pgasio_warnings INTERFACE)
target_compile_options(pgasio_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    $<$<BOOL:${PGASIO_WERROR}>:-Werror>)
