# Fails when any file under ROOT includes Asio: the sans-io codec must stay testable and fuzzable
# without it. Run as: cmake -DROOT=<dir> -P check_no_asio.cmake
file(GLOB_RECURSE files ${ROOT}/*.hpp ${ROOT}/*.cpp ${ROOT}/*.ipp ${ROOT}/*.h)
set(offenders "")
foreach(f IN LISTS files)
    file(STRINGS ${f} hits REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"](boost/)?asio[./]")
    if(hits)
        list(APPEND offenders "${f}: ${hits}")
    endif()
endforeach()
if(offenders)
    list(JOIN offenders "\n  " text)
    message(FATAL_ERROR "protocol/ must not include Asio:\n  ${text}")
endif()
