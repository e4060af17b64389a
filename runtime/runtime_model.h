// Builds one simulated world (platform hosts, AI cores, scheduler threads, orchestrator) from a
// program and its configuration, runs it to its end and reports the verdict, the digest and the
// decision log. One call per process (see simcore/sim_engine.h).
#pragma once

#include "hwmodel/global_memory.h"
#include "hwmodel/kernel_spec.h"
#include "runtime/model_input.h"
#include "runtime/program.h"
#include "runtime/run_report.h"
#include "runtime/run_timing.h"
#include "runtime/runtime_config.h"
#include "runtime/task_record.h"
#include "simcore/decision_source.h"
#include "simcore/event_log.h"
#include "simcore/host_lanes.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ptosim::runtime {

// A lane of the event log: an AICPU thread or a core, for traces.
struct Lane {
  std::string name;
  bool is_core = false;
};

// Where a task lived and which fanin edges the runtime wired for it.
struct TaskSummary {
  std::uint8_t ring = 0;
  std::uint32_t local_id = 0;
  bool allocated = false;
  std::vector<FaninEdge> fanin;
};

// What a run keeps beyond its verdict, digest and counts: on a large program each costs memory
// per task, and only recordings (decisions) and traces (events, tasks) need them.
struct OutputPolicy {
  bool decisions = true;
  bool events = true;
  bool tasks = true;
  bool host_lanes = false;  // a2a3sim: which thread held which host CPU when (for a trace)
};

struct ModelOutput {
  Verdict verdict;
  std::vector<simcore::Finding> findings;  // from the oracles, independent of the outcome
  TimeNs sim_time_ns = 0;
  std::uint64_t digest = 0;
  std::uint32_t tasks_submitted = 0;  // allocated by the orchestrator before the run ended
  std::uint32_t tasks_completed = 0;
  std::uint64_t event_count = 0;
  std::uint64_t decision_count = 0;
  simcore::DecisionLog decisions;     // entries only when kept (OutputPolicy)
  std::vector<simcore::Event> events;  // only when kept
  std::vector<Lane> lanes;
  std::vector<TaskSummary> tasks;  // per task ordinal, only when kept
  hwmodel::GmAccessLog gm_accesses;  // every task's GM views with their times, for the data oracle
  TimingReport timing;
  simcore::HostLanes host_lanes;  // only when kept, on a2a3sim
};

// Builds the simulation engine and the platform of `input` now, in a process that will fork
// children to run it (one run each): every child then starts from them. The calling process must
// not run the model itself afterwards.
void prepare_for_forked_runs(const ModelInput& input);

// Runs the model once in this process. Throws simcore::DecisionDivergence when a replay strategy
// diverges, and std::exception for internal errors.
ModelOutput simulate(const ModelInput& input, std::uint64_t seed, std::unique_ptr<simcore::ExplorationStrategy> strategy,
                     const OutputPolicy& keep = {});

}  // namespace ptosim::runtime
