# Source checks run by ctest (cmake -P, no other tools needed):
#   CHECK=banned   no wall clocks, std::rand, <random> engines/distributions or getenv on the
#                  simulation path (simcore/ hwmodel/ runtime/ replay/).
#   CHECK=simgrid  only simcore/ includes SimGrid headers (and tools/bench/, which measures SimGrid).
#   CHECK=layering dependencies point down only: simcore < hwmodel < runtime < scenarios < replay
#                  < tools. A layer includes nothing from a layer above it, and Boost.Graph is
#                  included only in replay/. LAYER=<folder> restricts the check to one layer's
#                  rule (each rule has its own planted violation).
#   CHECK=json     JSON output is serialized only by replay::json_text (report_json.cpp), which
#                  never throws on strings that are not valid UTF-8 (and by the --set overrides of
#                  scenarios/scenario_overrides.cpp, which sit below replay, with the same handler).
# Comments are not stripped: a banned name in a comment counts too, which keeps the check simple.
cmake_minimum_required(VERSION 3.25)

set(violations "")
if(CHECK STREQUAL "banned")
  set(dirs simcore hwmodel runtime replay)
  set(patterns
    "std::chrono::(system_clock|steady_clock|high_resolution_clock)"
    "gettimeofday|clock_gettime|[^_a-z]time\\(NULL\\)|[^_a-z]time\\(nullptr\\)|std::time\\("
    "std::rand[^a-z_]|[^_a-z]srand\\(|[^_a-z]rand\\(\\)"
    "random_device|mt19937|minstd_rand|default_random_engine|ranlux|knuth_b"
    "uniform_int_distribution|uniform_real_distribution|bernoulli_distribution|normal_distribution|discrete_distribution"
    "#include <random>"
    "getenv|secure_getenv")
elseif(CHECK STREQUAL "layering")
  # For each layer: the folders above it, whose headers it must not include.
  set(layers simcore hwmodel runtime scenarios replay)
  set(above_simcore hwmodel runtime scenarios replay tools)
  set(above_hwmodel runtime scenarios replay tools)
  set(above_runtime scenarios replay tools)
  set(above_scenarios replay tools)
  set(above_replay tools)
  if(LAYER)
    set(layers ${LAYER})
  endif()
  foreach(layer IN LISTS layers)
    file(GLOB_RECURSE files "${SOURCE_DIR}/${layer}/*.h" "${SOURCE_DIR}/${layer}/*.hpp" "${SOURCE_DIR}/${layer}/*.cpp")
    set(patterns "")
    foreach(upper IN LISTS above_${layer})
      list(APPEND patterns "#include [<\"]${upper}/")
    endforeach()
    if(NOT layer STREQUAL "replay")
      list(APPEND patterns "#include [<\"]boost/graph")
    endif()
    foreach(file IN LISTS files)
      file(STRINGS "${file}" lines)
      set(number 0)
      foreach(line IN LISTS lines)
        math(EXPR number "${number} + 1")
        foreach(pattern IN LISTS patterns)
          if(line MATCHES "${pattern}")
            list(APPEND violations "${file}:${number}: ${layer}/ must not match '${pattern}': ${line}")
          endif()
        endforeach()
      endforeach()
    endforeach()
  endforeach()
  set(dirs "")
elseif(CHECK STREQUAL "simgrid")
  set(dirs hwmodel runtime scenarios replay tools tests)
  set(patterns "#include [<\"]simgrid" "simgrid::" "xbt/")
elseif(CHECK STREQUAL "json")
  set(dirs tools replay scenarios runtime simcore)
  set(patterns "\\.dump\\(")
else()
  message(FATAL_ERROR "unknown CHECK '${CHECK}'")
endif()

foreach(dir IN LISTS dirs)
  file(GLOB_RECURSE files "${SOURCE_DIR}/${dir}/*.h" "${SOURCE_DIR}/${dir}/*.hpp" "${SOURCE_DIR}/${dir}/*.cpp")
  foreach(file IN LISTS files)
    if(CHECK STREQUAL "simgrid" AND file MATCHES "/tests/lint/planted/")
      if(NOT SOURCE_DIR MATCHES "/planted$")
        continue()  # the planted violation only counts when the check runs on it
      endif()
    endif()
    if(CHECK STREQUAL "simgrid")
      # The performance yardstick measures SimGrid itself: the bare Case1 program is written on
      # plain s4u and the blocking-call counter interposes s4u's functions. Neither is part of the
      # model, and nothing links them into ptosim (tools/bench/CMakeLists.txt).
      string(FIND "${file}" "${SOURCE_DIR}/tools/bench/" bench_position)
      if(bench_position EQUAL 0)
        continue()
      endif()
    endif()
    if(CHECK STREQUAL "json" AND file MATCHES "/replay/report_json.cpp$")
      continue()  # the one place that serializes, with the replacing error handler
    endif()
    if(CHECK STREQUAL "json" AND file MATCHES "/scenarios/scenario_overrides.cpp$")
      continue()  # the --set scenario text: below replay, same replacing error handler
    endif()
    file(STRINGS "${file}" lines)
    set(number 0)
    foreach(line IN LISTS lines)
      math(EXPR number "${number} + 1")
      foreach(pattern IN LISTS patterns)
        if(line MATCHES "${pattern}")
          list(APPEND violations "${file}:${number}: matches '${pattern}': ${line}")
        endif()
      endforeach()
    endforeach()
  endforeach()
endforeach()

if(violations)
  foreach(v IN LISTS violations)
    message(STATUS "${v}")
  endforeach()
  list(LENGTH violations count)
  message(FATAL_ERROR "${CHECK} check: ${count} violation(s)")
endif()
message(STATUS "${CHECK} check: clean")
