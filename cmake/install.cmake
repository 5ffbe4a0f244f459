# Install rules: the client library idem::idem, the sandbox idem::sandbox, the
# public headers, the package files for find_package(idem CONFIG) and
# pkg-config, and the `idem` command. Included from the top-level
# CMakeLists.txt when IDEM_INSTALL is ON.
include(CMakePackageConfigHelpers)

set(IDEM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/idem)

# Every archive in the export set: the libraries are static, so a consumer
# links the components themselves (idem_server among them: the webhook
# receiver and the sandbox run on it). Only idem::idem and idem::sandbox are
# the API; the idem::idem_* component targets are how they are made. The
# include directory comes with idem_common, which every target links.
install(TARGETS idem ${IDEM_LIBRARY_TARGETS} idem_sandbox
        EXPORT idemTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# include/idem/ holds the public API only (the tools' headers live beside
# their sources in src/ and are not installed).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/idem DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT idemTargets NAMESPACE idem:: DESTINATION ${IDEM_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/idemConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/idemConfig.cmake
                              INSTALL_DESTINATION ${IDEM_CMAKE_DIR})
# SameMajorVersion: find_package(idem 1.2) accepts 1.2 and any later 1.x,
# never 2.0, whose API may differ (semantic versioning); AnyNewerVersion would
# promise that every future major version still builds old code. While the
# major version is 0 the API may still change between minor versions; the
# first stable API is 1.0.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/idemConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/idemConfig.cmake ${PROJECT_BINARY_DIR}/idemConfigVersion.cmake
        DESTINATION ${IDEM_CMAKE_DIR})

# idem.pc: the archives in link order (a component before those it links),
# relocatable (prefix from the .pc file's own place, so an install with
# `cmake --install --prefix` elsewhere still works).
set(IDEM_PC_LIBS "")
foreach(target IN LISTS IDEM_LIBRARY_TARGETS)
  string(PREPEND IDEM_PC_LIBS "-l${target} ")
endforeach()
string(STRIP "${IDEM_PC_LIBS}" IDEM_PC_LIBS)
file(RELATIVE_PATH IDEM_PC_PREFIX /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
configure_file(${PROJECT_SOURCE_DIR}/cmake/idem.pc.in ${PROJECT_BINARY_DIR}/idem.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/idem.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TARGET idem_cli)
  install(TARGETS idem_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
