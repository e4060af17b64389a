# Replay's reporting sources use the report vocabulary only (runtime/run_report.h,
# runtime/state_snapshot.h, ...): none of them may reach the live runtime state or the engine,
# directly or through another header. Asks the compiler for each source's header closure
# (`-MM`) and fails on a forbidden header.
#   SOURCE_DIR   folder holding replay/<source>.cpp
#   INCLUDE_DIR  the project root (include path)
#   COMPILER     the C++ compiler
cmake_minimum_required(VERSION 3.25)

set(sources chrome_trace report_json snapshot_render sweep_report recording)
set(forbidden "runtime/runtime_state.h" "simcore/sim_engine.h")
set(violations "")
foreach(source IN LISTS sources)
  set(file "${SOURCE_DIR}/replay/${source}.cpp")
  if(NOT EXISTS "${file}")
    continue()
  endif()
  execute_process(COMMAND "${COMPILER}" -std=gnu++20 -I${INCLUDE_DIR} -MM "${file}"
                  OUTPUT_VARIABLE closure ERROR_VARIABLE errors RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${COMPILER} -MM ${file} failed: ${errors}")
  endif()
  foreach(header IN LISTS forbidden)
    string(FIND "${closure}" "${header}" at)
    if(NOT at EQUAL -1)
      list(APPEND violations "replay/${source}.cpp reaches ${header}")
    endif()
  endforeach()
endforeach()
if(violations)
  list(JOIN violations "\n" text)
  message(FATAL_ERROR "reporting sources reach the live state or the engine:\n${text}")
endif()
message(STATUS "reporting sources reach neither runtime_state.h nor sim_engine.h")
