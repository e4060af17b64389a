// The waiting loops of the modelled software and what one iteration costs on a platform: plain
// data, shared by the thread clocks, the host of the simulator board and the scenario loader.
#pragma once

#include "simcore/sim_time.h"

#include <cstdint>
#include <limits>
#include <string>

namespace ptosim::simcore {

// The waiting loops of the modelled software. On the simulator board each iteration ends with
// SPIN_WAIT_HINT (pause + sched_yield); on the board the hint is a no-op.
enum class LoopKind : std::uint8_t {
  spin,            // the orchestrator's back-pressure spin
  idle_iteration,  // a scheduler thread's loop iteration without progress
  register_poll,   // an AI core (or its emulation thread) polling its task register
};
inline constexpr int LOOP_KIND_COUNT = 3;
const char* to_string(LoopKind kind);

inline constexpr std::uint64_t NO_ITERATION_LIMIT = std::numeric_limits<std::uint64_t>::max();

// An integer range of nanoseconds, inclusive.
struct NsRange {
  TimeNs min_ns = 0;
  TimeNs max_ns = 0;
};

// What one iteration of a loop kind costs on a platform: a decision in `range` on `stream`.
struct LoopCost {
  std::string stream;
  NsRange range;
};

}  // namespace ptosim::simcore
