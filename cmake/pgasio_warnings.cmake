# Warnings for the project's own targets (never for users' code that includes our headers).
# GCC's -Wmismatched-new-delete is off: once optimisation inlines the operator new of Asio's
# coroutine frames (awaitable_frame_base, which recycles frames per thread and otherwise gets
# them from std::aligned_alloc), GCC 12 sees aligned_alloc's memory reach the class's own
# operator delete and reports a mismatch that is none (RelWithDebInfo builds of src/connect.cpp
# and src/connection.cpp); every coroutine is such a frame, so it cannot be silenced locally.
# ASan in the dev preset still catches a real mismatch (alloc-dealloc-mismatch).
# GCC 12's -Wrestrict is off too: at -O3 it reports overlapping memcpy bounds inside libstdc++'s
# std::string insert, reached through `"literal" + std::string` (Release builds of
# tests/unit/backend_test.cpp), a false positive of that version; later ones keep the warning.
add_library(pgasio_warnings INTERFACE)
target_compile_options(pgasio_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>
    $<$<BOOL:${PGASIO_WERROR}>:-Werror>)
