# custos_module(NAME SOURCES ... [DEPENDS module...] [PACKAGES target...])
#
# One module of ARCHITECTURE.md: an OBJECT library built from src/NAME.
#
# Layering is a property of the build, not only of a test: each module gets
# an include root of its own in the build tree, holding a single link
# `NAME -> src/NAME`. A module sees its own headers and, through DEPENDS,
# those of the modules it may use (transitively); `#include "guard/x.hpp"`
# from src/engine finds no such file and fails to compile.
#
# PACKAGES are third-party targets the module uses privately (SQLite,
# OpenSSL, nlohmann/json); they do not leak into the modules above.
function(custos_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;PACKAGES" ${ARGN})
  set(root ${PROJECT_BINARY_DIR}/module_include/${name})
  file(MAKE_DIRECTORY ${root})
  if(NOT EXISTS ${root}/${name})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${name} ${root}/${name} SYMBOLIC)
  endif()
  add_library(custos_${name} OBJECT ${ARG_SOURCES})
  target_include_directories(custos_${name}
    PUBLIC
      $<BUILD_INTERFACE:${root}>
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>)
  target_compile_definitions(custos_${name} PRIVATE CUSTOS_BUILDING_LIBRARY)
  target_link_libraries(custos_${name} PRIVATE custos_warnings)
  foreach(dep IN LISTS ARG_DEPENDS)
    target_link_libraries(custos_${name} PUBLIC custos_${dep})
  endforeach()
  if(ARG_PACKAGES)
    target_link_libraries(custos_${name} PRIVATE ${ARG_PACKAGES})
  endif()
  set_property(GLOBAL APPEND PROPERTY CUSTOS_MODULES custos_${name})
  set_property(GLOBAL APPEND PROPERTY CUSTOS_MODULE_ROOTS ${root})
endfunction()
