# expect.cmake — runs PROGRAM with ARGS and checks its exit status and output (stdout+stderr).
#
#   cmake -DPROGRAM=ndisctl -DARGS=run|x.toml -DEXIT=0|nonzero|<n>
#         -DMATCH=regex|regex -DNOMATCH=regex|regex [-DINPUT=file] -P expect.cmake
# Lists are '|'-separated (a ';' would be split by add_test). INPUT is the program's stdin
# (default: none, /dev/null). Prints the output on failure.
string(REPLACE "|" ";" _args "${ARGS}")
string(REPLACE "|" ";" _match "${MATCH}")
string(REPLACE "|" ";" _nomatch "${NOMATCH}")
if(NOT INPUT)
  set(INPUT /dev/null)
endif()
execute_process(COMMAND ${PROGRAM} ${_args} INPUT_FILE ${INPUT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 100)
set(all "${out}${err}")
set(problems "")
if(EXIT STREQUAL "nonzero")
  if(rc STREQUAL "0" OR NOT rc MATCHES "^[0-9]+$")
    string(APPEND problems "expected a non-zero exit status, got '${rc}'\n")
  endif()
elseif(NOT rc STREQUAL "${EXIT}")
  string(APPEND problems "expected exit status ${EXIT}, got '${rc}'\n")
endif()
foreach(re IN LISTS _match)
  if(NOT all MATCHES "${re}")
    string(APPEND problems "output does not match: ${re}\n")
  endif()
endforeach()
foreach(re IN LISTS _nomatch)
  if(all MATCHES "${re}")
    string(APPEND problems "output matches what it must not: ${re}\n")
  endif()
endforeach()
string(REPLACE ";" " " _shown "${_args}")
if(problems)
  message(FATAL_ERROR "${PROGRAM} ${_shown}\n${problems}---- stdout ----\n${out}---- stderr ----\n${err}")
endif()
message(STATUS "ok: ${PROGRAM} ${_shown} (exit ${rc})\n${out}${err}")
