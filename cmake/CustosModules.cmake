# custos_module(NAME SOURCES ... DEPENDS ...)
#
# One module of ARCHITECTURE.md: an OBJECT library built from src/NAME, linking
# only the modules and packages named in DEPENDS. The custos library is the
# union of all modules' objects. Layering is also checked by the
# `layering` test, which rejects an #include of a module above.
function(custos_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(custos_${name} OBJECT ${ARG_SOURCES})
  target_include_directories(custos_${name}
    PUBLIC
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
  target_compile_options(custos_${name} PRIVATE
    $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wno-missing-field-initializers>)
  target_compile_definitions(custos_${name} PRIVATE CUSTOS_BUILDING_LIBRARY)
  if(ARG_DEPENDS)
    target_link_libraries(custos_${name} PUBLIC ${ARG_DEPENDS})
  endif()
  set_property(GLOBAL APPEND PROPERTY CUSTOS_MODULES custos_${name})
endfunction()
