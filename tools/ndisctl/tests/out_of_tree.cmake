# out_of_tree.cmake — builds examples/out_of_tree with its own CMake project against this build
# tree, then runs its topology (with the .so paths of that build) through `ndisctl run`.
#
#   cmake -DPROGRAM=<ndisctl> -DSOURCE_DIR=<OpenNDIS source> -DBUILD_DIR=<OpenNDIS build>
#         -DWORK_DIR=<scratch dir> -DC_COMPILER=<cc> -DC_FLAGS=<extra flags> -P out_of_tree.cmake
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  TIMEOUT 120)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(step_output "${out}${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
run_step("configuring examples/out_of_tree"
         ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/out_of_tree -B ${WORK_DIR}/build
         -DOPENNDIS_BUILD_DIR=${BUILD_DIR} -DOPENNDIS_SOURCE_DIR=${SOURCE_DIR}
         -DCMAKE_C_COMPILER=${C_COMPILER} "-DCMAKE_C_FLAGS=${C_FLAGS}"
         -DCMAKE_MODULE_LINKER_FLAGS=${C_FLAGS})
run_step("building examples/out_of_tree" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)

# The example topology names the drivers relative to itself (build/liboot_*.so): copy it next
# to the build directory so that exactly that file runs.
file(COPY ${SOURCE_DIR}/examples/out_of_tree/topology.toml DESTINATION ${WORK_DIR})
run_step("ndisctl run" ${PROGRAM} run ${WORK_DIR}/topology.toml --seconds 1)
set(checks
    "oot_miniport: DriverEntry"
    "oot_protocol: bound to oot0 \\(Count 1000, FrameSize 60\\)"
    "oot_protocol: report for oot0: sent 1000 of 1000, completed 1000 ok, 0 failed"
    "oot_protocol: report for oot1: sent 1000 of 1000, completed 1000 ok, 0 failed"
    "oot_miniport: adapter [0-9]+ halted: completed 1000 NBL\\(s\\), 1000 frame\\(s\\)"
    "teardown: clean")
foreach(re IN LISTS checks)
  if(NOT step_output MATCHES "${re}")
    message(FATAL_ERROR "ndisctl output does not match '${re}':\n${step_output}")
  endif()
endforeach()
message(STATUS "out-of-tree drivers built and ran clean:\n${step_output}")
