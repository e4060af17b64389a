// The vocabulary of a run's report: the runtime's error codes and their names, what the
// orchestrator can be blocked on, the runtime's own report of a fatal error, and the verdict of a
// run. Plain data with no actor and no engine behind it, so that replay/ (reports, traces,
// snapshots, recordings) and other program sources can use it without the live state.
#pragma once

#include "runtime/state_snapshot.h"
#include "simcore/outcome.h"
#include "simcore/sim_time.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ptosim::runtime {

// What the orchestrator waits on: a ring's task window, heap, dep-list or fanin spill pool, the
// global TensorMap entry pool, or a tensor's writers (get_tensor_data / set_tensor_data).
enum class WaitResource : std::uint8_t { task_window, heap, dep_pool, fanin_spill, tensormap, tensor_data };
const char* to_string(WaitResource resource);

// Error codes as the runtime reports them (pto_runtime_status.h). The model raises 1-5, 7, 8, 11 and 100;
// the others are named so that reports and snapshots can carry them.
enum class ErrorCode : int {
  scope_deadlock = 1,
  heap_ring_deadlock = 2,
  flow_control_deadlock = 3,
  dep_pool_overflow = 4,
  invalid_args = 5,
  require_sync_start_invalid = 7,
  tensor_wait_timeout = 8,
  explicit_orch_fatal = 9,
  scope_tasks_overflow = 10,
  tensormap_overflow = 11,
  scheduler_timeout = 100,
  async_completion_invalid = 101,
  async_wait_overflow = 102,
  async_registration_failed = 103,
};
const char* error_name(ErrorCode code);
// Host-visible CANN code: stream-sync timeout for a scheduler timeout, generic AICPU exception else.
int host_code_for(ErrorCode code);

struct RuntimeReport {
  ErrorCode code = ErrorCode::invalid_args;
  std::string detector;  // which detector or check raised it
  std::string message;   // the runtime's diagnostic text, in its format
  TimeNs time_ns = 0;
  std::string actor;
  int stall_sub_class = 0;  // code 100 only
  // Code 100, S1 running-stalled: the RUNNING task the watchdog blamed (0xFFFFFFFF, NO_INDEX, otherwise).
  std::uint32_t stuck_task = 0xFFFFFFFFu;
  int ring = -1;            // the ring the detector judged, if any
};

using simcore::Outcome;

// How a run ended, as the monitor decided it (runtime/run_monitor.h).
struct Verdict {
  Outcome outcome = Outcome::pass;
  std::string summary;                 // one line for humans
  std::optional<RuntimeReport> report;  // the runtime's own error, when it raised one
  std::optional<StateSnapshot> snapshot;
  std::vector<std::string> wait_chain;  // deadlock_true: who waits for whom
};

}  // namespace ptosim::runtime
