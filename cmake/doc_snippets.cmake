# Compiles every C++ code block of the project's Markdown pages, so that a page never shows code
# that does not build. A block's info string says what it is:
#   ```cpp program    a complete program: compiled and linked on its own
#   ```cpp fragment   statements: the body of a coroutine taking `pgasio::connection& conn`
#   ```cpp            declarations at namespace scope
#   ```cpp nocompile  shown only; listed by the configure step, never silently skipped
# The fragments and declarations of one page are one translation unit, after
# tests/docs/snippet_prelude.hpp (so two blocks of a page must not declare the same name at
# namespace scope); a `#line` directive makes the compiler's messages name the page and line of
# each block.
#
# pgasio_doc_snippets(TARGET <name> PAGES <file>...) extracts the blocks at configure time
# (the pages re-run the configure step when they change), adds an object library <name> of the
# pages' fragments and declarations, an executable <name>_<page>_<n> per program (the page's n-th C++
# block), and reports the counts.
# Writes `content` to `file` only when it differs, so that a configure step rebuilds only what
# changed.
function(write_if_changed file content)
    file(WRITE ${file}.new "${content}")
    file(COPY_FILE ${file}.new ${file} ONLY_IF_DIFFERENT)
    file(REMOVE ${file}.new)
endfunction()

function(pgasio_doc_snippets)
    cmake_parse_arguments(ARG "" "TARGET" "PAGES" ${ARGN})
    set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET})
    set(units)
    set(programs)
    set(compiled 0)
    set(skipped)
    foreach(page IN LISTS ARG_PAGES)
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${page})
        file(RELATIVE_PATH page_name ${PROJECT_SOURCE_DIR} ${page})
        string(MAKE_C_IDENTIFIER ${page_name} page_id)
        # file(STRINGS) would drop empty lines and split on ';': read the page whole and split
        # it on newlines, with the characters that mean something in a CMake list (';', and
        # brackets, which would keep a ';' inside them) stood in for, and put back per line.
        file(READ ${page} text)
        string(REPLACE ";" "@PGASIO_SEMICOLON@" text "${text}")
        string(REPLACE "[" "@PGASIO_LBRACKET@" text "${text}")
        string(REPLACE "]" "@PGASIO_RBRACKET@" text "${text}")
        string(REPLACE "\n" ";" lines "${text}")
        set(line_no 0)
        set(block_no 0)
        set(page_unit "")
        set(in_block FALSE)
        foreach(line IN LISTS lines)
            math(EXPR line_no "${line_no} + 1")
            string(REPLACE "@PGASIO_SEMICOLON@" ";" line "${line}")
            string(REPLACE "@PGASIO_LBRACKET@" "[" line "${line}")
            string(REPLACE "@PGASIO_RBRACKET@" "]" line "${line}")
            if(NOT in_block)
                if(line MATCHES "^[ ]*```cpp( +([a-z]+))?[ ]*$")
                    set(in_block TRUE)
                    set(kind "${CMAKE_MATCH_2}")
                    if(kind STREQUAL "")
                        set(kind declarations)
                    endif()
                    if(NOT kind MATCHES "^(program|fragment|declarations|nocompile)$")
                        message(FATAL_ERROR
                            "${page_name}:${line_no}: unknown code block kind '${kind}' "
                            "(program, fragment, nocompile, or none for declarations)")
                    endif()
                    math(EXPR first "${line_no} + 1")
                    set(body "")
                elseif(line MATCHES "^[ ]*```(c\\+\\+|cxx|C\\+\\+|hpp|h)")
                    message(FATAL_ERROR "${page_name}:${line_no}: write C++ blocks as ```cpp, "
                        "so that the build compiles them")
                endif()
                continue()
            endif()
            if(NOT line MATCHES "^[ ]*```[ ]*$")
                string(APPEND body "${line}\n")
                continue()
            endif()
            set(in_block FALSE)
            math(EXPR block_no "${block_no} + 1")
            set(name ${page_id}_${block_no})
            set(where "#line ${first} \"${page}\"\n")
            if(kind STREQUAL "nocompile")
                list(APPEND skipped "${page_name}:${first}")
                continue()
            elseif(kind STREQUAL "program")
                write_if_changed(${out_dir}/${name}.cpp "${where}${body}")
                list(APPEND programs ${name})
            elseif(kind STREQUAL "fragment")
                string(APPEND page_unit "asio::awaitable<void> doc_fragment_${block_no}("
                    "[[maybe_unused]] pgasio::connection& conn) {\n${where}${body}co_return;\n}\n")
            else()
                string(APPEND page_unit "${where}${body}")
            endif()
            math(EXPR compiled "${compiled} + 1")
        endforeach()
        if(in_block)
            message(FATAL_ERROR "${page_name}: a code block is not closed")
        endif()
        if(NOT page_unit STREQUAL "")
            write_if_changed(${out_dir}/${page_id}.cpp
                "#include \"docs/snippet_prelude.hpp\"\n${page_unit}")
            list(APPEND units ${out_dir}/${page_id}.cpp)
        endif()
    endforeach()

    add_library(${ARG_TARGET} OBJECT ${units})
    target_include_directories(${ARG_TARGET} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
    target_link_libraries(${ARG_TARGET} PRIVATE pgasio::pgasio pgasio_warnings)
    # The README's Observability section shows pgasio::prometheus (tools/deps installs
    # prometheus-cpp, which the project's tests need).
    if(TARGET pgasio_prometheus)
        target_link_libraries(${ARG_TARGET} PRIVATE pgasio::prometheus)
    endif()
    # docs/simulation.md and the README show pgasio::simulation (built with Boost.JSON).
    if(TARGET pgasio_simulation)
        target_link_libraries(${ARG_TARGET} PRIVATE pgasio::simulation)
    endif()
    # The #line directives make GCC take a block's code for a header's, where a lambda type
    # (which has no linkage) in a coroutine frame draws -Wsubobject-linkage; here it is one
    # translation unit's code, as in any source file.
    set(options $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
    # The fragments are compiled, never run: without the sanitizers' instrumentation, which would
    # only slow the build down.
    target_compile_options(${ARG_TARGET} PRIVATE ${options} -fno-sanitize=all)
    foreach(name IN LISTS programs)
        add_executable(${ARG_TARGET}_${name} ${out_dir}/${name}.cpp)
        # Boost.JSON: the prelude includes pgasio/json.hpp.
        target_link_libraries(${ARG_TARGET}_${name} PRIVATE pgasio::pgasio Boost::json pgasio_warnings)
        target_compile_options(${ARG_TARGET}_${name} PRIVATE ${options})
    endforeach()
    list(LENGTH programs program_count)
    list(LENGTH skipped skipped_count)
    message(STATUS "Documentation code blocks: ${compiled} compiled (programs: ${program_count}), "
        "${skipped_count} marked nocompile")
    if(skipped)
        list(JOIN skipped ", " skipped_text)
        message(STATUS "  not compiled (marked nocompile): ${skipped_text}")
    endif()
    set(${ARG_TARGET}_PROGRAMS ${programs} PARENT_SCOPE)
endfunction()
