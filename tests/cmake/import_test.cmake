# The `cmake_import` test: installs the build into a scratch prefix, then
# configures, builds and runs tests/cmake_import against it.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -P import_test.cmake
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "install failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/cmake_import -B ${WORK_DIR}/build
                        -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer failed")
endif()
execute_process(COMMAND ${WORK_DIR}/build/consumer ${WORK_DIR} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the consumer's decision was wrong")
endif()
# The C API, from C, through the same package.
file(WRITE ${WORK_DIR}/consumer.custos
     "policy \"p\" version 1\ncategory contact.email\npurpose support basis contract\n"
     "role agent\nallow agent to read contact.email as mask for support\n")
execute_process(COMMAND ${WORK_DIR}/build/consumer_c ${WORK_DIR}/consumer.custos RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the C consumer's decision was wrong")
endif()
