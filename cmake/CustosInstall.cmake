# Install rules and the package config, so a consumer can write
#   find_package(custos REQUIRED)
#   target_link_libraries(app PRIVATE custos::custos)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(custos_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/custos)

install(TARGETS custos EXPORT custosTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS custos_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/custos DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/custos/export.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/custos)
install(EXPORT custosTargets NAMESPACE custos:: DESTINATION ${custos_cmake_dir})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/custosConfig.cmake.in
  ${PROJECT_BINARY_DIR}/custosConfig.cmake INSTALL_DESTINATION ${custos_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/custosConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/custosConfig.cmake ${PROJECT_BINARY_DIR}/custosConfigVersion.cmake
  DESTINATION ${custos_cmake_dir})

# pkg-config: lib/pkgconfig/custos.pc, for builds that do not use CMake. The
# library is C++ inside, with SQLite and OpenSSL linked privately: a static
# link (`pkg-config --static`) needs Requires.private and Libs.private too.
set(custos_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH CUSTOS_PC_PREFIX_FROM_PCDIR /prefix/${custos_pc_dir} /prefix)
string(REGEX REPLACE "/$" "" CUSTOS_PC_PREFIX_FROM_PCDIR "${CUSTOS_PC_PREFIX_FROM_PCDIR}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/custos.pc.in ${PROJECT_BINARY_DIR}/custos.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/custos.pc DESTINATION ${custos_pc_dir})
