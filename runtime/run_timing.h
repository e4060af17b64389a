// Where a run's simulated time went, in the terms an engineer compares with the device's own
// profile: the orchestrator's time to the end of the executor scope (the device's orch_us), each
// scheduler thread's busy time, each core's busy time, and per ring the time the orchestrator was
// blocked on each resource and the peak task-window, heap and dep-pool occupancy.
//
// The actors report raw facts here (a busy stretch, a blocked wait, a ring's occupancy) and all
// accounting rules live in this one place, so a change in what counts as busy (issue 9: AICPU
// threads as host threads on a2a3sim) changes this file, not the actors. Observing only: nothing
// here feeds back into the model, the decisions or the digest.
#pragma once

#include "runtime/state_snapshot.h"
#include "simcore/sim_time.h"

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ptosim::runtime {

// task_window, heap, dep_pool, fanin_spill, tensormap, tensor_data (WaitResource order); the
// global waits (tensormap, tensor_data) count on the ring of the task being submitted.
inline constexpr int WAIT_RESOURCE_COUNT = 6;

struct RingTiming {
  std::array<TimeNs, WAIT_RESOURCE_COUNT> blocked_ns{};  // orchestrator blocked on each resource
  std::uint32_t task_window = 0;
  std::uint32_t peak_tasks_in_flight = 0;
  std::uint64_t heap_bytes = 0;
  std::uint64_t peak_heap_bytes = 0;
  std::uint64_t dep_pool_entries = 0;
  std::uint64_t peak_dep_pool_entries = 0;  // allocated: the pool is reclaimed only when short
  std::uint64_t peak_dep_pool_live = 0;     // entries whose consumer was not yet CONSUMED
};

struct CoreTimingReport {
  int id = 0;
  std::string kind;  // aic or aiv, as kernels name core types
  std::string name;  // as traces and stall dumps name it
  TimeNs busy_ns = 0;  // kernels executing, from start to finish
};

// The breakdown of one run, complete once the run has ended.
struct TimingReport {
  TimeNs end_ns = 0;                // the run's simulated length
  TimeNs orchestrator_ns = 0;       // to the end of the executor scope, or to the end of the run
  bool orchestration_done = false;  // false: the run ended before the executor scope did
  std::vector<TimeNs> thread_busy_ns;  // per scheduler thread
  std::vector<CoreTimingReport> cores;
  std::vector<RingTiming> rings;
  // Orchestrator time charged per cost term (runtime/cost_model.h), in OrchTerm order, with its
  // name; the orchestrator's busy time is their sum (its blocked waits are in `rings`).
  std::vector<std::pair<std::string, TimeNs>> orchestrator_terms;
  // sync_start cohorts launched (on one thread's cores, or through the global drain), the drain's
  // retries (a new attempt after too few idle cores) and the time drains stopped dispatch.
  std::uint64_t sync_start_cohorts = 0;
  std::uint64_t sync_start_drains = 0;
  std::uint64_t sync_start_drain_retries = 0;
  TimeNs sync_start_drain_ns = 0;
  // a2a3sim: each modelled thread's time on and off its host CPU (empty on the board).
  std::vector<HostThreadView> host_threads;
};

class RunTiming {
 public:
  RunTiming(int scheduler_threads, int rings);

  // The executor scope ended (orchestration done) at `at_ns`.
  void orchestration_done(TimeNs at_ns);
  // A scheduler thread works from `from_ns` until `until_ns` (an iteration's cost, a drain).
  void thread_busy(int thread, TimeNs from_ns, TimeNs until_ns);
  // The orchestrator waited on `resource` (a WaitResource) of `ring` from `from_ns` to `until_ns`.
  void orchestrator_blocked(int ring, int resource, TimeNs from_ns, TimeNs until_ns);
  // Occupancy of a ring now: tasks in flight, heap bytes and dep-pool entries in use.
  void ring_occupancy(int ring, std::uint32_t tasks_in_flight, std::uint64_t heap_bytes, std::uint64_t dep_pool_entries);
  // Dep-list entries of a ring whose consumer is not yet CONSUMED, now.
  void dep_pool_live(int ring, std::uint64_t live_entries);
  // A sync_start cohort launched; `drained`: through the drain, which held dispatch `held_ns`.
  void sync_start_cohort(bool drained, TimeNs held_ns);
  void sync_start_drain_retry() { ++sync_start_retries_; }
  void ring_capacity(int ring, std::uint32_t task_window, std::uint64_t heap_bytes, std::uint64_t dep_pool_entries);

  // Closes the books at the end of the run: busy stretches past the end are cut, a wait still
  // open counts until the end. Cores are reported by their owner (hwmodel) and added here.
  TimingReport finish(TimeNs end_ns, std::vector<CoreTimingReport> cores);

 private:
  struct ThreadBooks {
    TimeNs busy_ns = 0;
    TimeNs busy_until_ns = 0;
  };
  std::vector<ThreadBooks> threads_;
  std::vector<RingTiming> rings_;
  TimeNs orchestration_done_ns_ = -1;
  std::uint64_t sync_start_cohorts_ = 0;
  std::uint64_t sync_start_drains_ = 0;
  std::uint64_t sync_start_retries_ = 0;
  TimeNs sync_start_drain_ns_ = 0;
};

}  // namespace ptosim::runtime
