# Install rules: headers, the static libraries, the CMake package (find_package(pgasio) gives
# pgasio::pgasio and pgasio::protocol, and pgasio::prometheus and pgasio::simulation where they
# were built) and pgasio.pc for pkg-config.
include(CMakePackageConfigHelpers)

install(TARGETS pgasio pgasio_protocol EXPORT pgasio_targets)
# pgasio/prometheus/ only with the library that implements it.
if(TARGET pgasio_prometheus)
    set(PGASIO_EXCLUDE_PROMETHEUS)
else()
    set(PGASIO_EXCLUDE_PROMETHEUS PATTERN prometheus EXCLUDE)
endif()
# pgasio/simulation.hpp likewise.
if(TARGET pgasio_simulation)
    set(PGASIO_EXCLUDE_SIMULATION)
else()
    set(PGASIO_EXCLUDE_SIMULATION PATTERN simulation.hpp EXCLUDE)
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ ${PROJECT_SOURCE_DIR}/protocol/include/
    TYPE INCLUDE ${PGASIO_EXCLUDE_PROMETHEUS} ${PGASIO_EXCLUDE_SIMULATION})

set(PGASIO_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pgasio)
install(EXPORT pgasio_targets NAMESPACE pgasio:: FILE pgasioTargets.cmake
    DESTINATION ${PGASIO_CMAKE_DIR})
# pgasio::prometheus in a file of its own, which pgasioConfig.cmake loads only where
# prometheus-cpp is found: an application that does not use it never needs prometheus-cpp.
if(TARGET pgasio_prometheus)
    install(TARGETS pgasio_prometheus EXPORT pgasio_prometheus_targets)
    install(EXPORT pgasio_prometheus_targets NAMESPACE pgasio:: FILE pgasioPrometheusTargets.cmake
        DESTINATION ${PGASIO_CMAKE_DIR})
endif()
# pgasio::simulation likewise, loaded only where Boost.JSON is found.
if(TARGET pgasio_simulation)
    install(TARGETS pgasio_simulation EXPORT pgasio_simulation_targets)
    install(EXPORT pgasio_simulation_targets NAMESPACE pgasio:: FILE pgasioSimulationTargets.cmake
        DESTINATION ${PGASIO_CMAKE_DIR})
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/pgasioConfig.cmake.in
    ${PROJECT_BINARY_DIR}/pgasioConfig.cmake INSTALL_DESTINATION ${PGASIO_CMAKE_DIR})
# Before 1.0 a minor version may change the interface.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pgasioConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/pgasioConfig.cmake ${PROJECT_BINARY_DIR}/pgasioConfigVersion.cmake
    DESTINATION ${PGASIO_CMAKE_DIR})

# pkg-config: the libraries are static, so their dependencies go in Requires and Libs (not the
# .private fields, which only `pkg-config --static` reads). Boost is used header-only and has
# no .pc file: its headers must be on the include path already (they are in /usr/include on
# Debian). C++20 is left to the application's flags. The prefix is found from where the .pc
# file is, so that `cmake --install --prefix` to another place than the configured one works.
if(IS_ABSOLUTE ${CMAKE_INSTALL_LIBDIR})
    set(PGASIO_PC_PREFIX ${CMAKE_INSTALL_PREFIX})
else()
    file(RELATIVE_PATH up /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
    string(REGEX REPLACE "/$" "" up ${up})
    set(PGASIO_PC_PREFIX "\${pcfiledir}/${up}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE ${CMAKE_INSTALL_${dir}})
        set(PGASIO_PC_${dir} ${CMAKE_INSTALL_${dir}})
    else()
        set(PGASIO_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
    endif()
endforeach()
if(PGASIO_COMPILE_ASIO)
    set(PGASIO_PC_CFLAGS " -DBOOST_ASIO_SEPARATE_COMPILATION")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/pgasio.pc.in ${PROJECT_BINARY_DIR}/pgasio.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pgasio.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The installed headers are source code, which the licence must accompany.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE TYPE DOC)
