// A snapshot of the runtime at the moment a detector or watchdog fired: every live task per ring
// (state, fanin, fanout pins, scope, kernel and cores), ring counters, the scope stack and what
// each actor was doing or waiting for. Plain data; replay/ writes and renders it
// (runtime/snapshot_capture.h takes it from the live state).
#pragma once

#include "simcore/sim_time.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ptosim::runtime {

struct TaskView {
  std::uint64_t task_id = 0;
  std::uint32_t ordinal = 0;
  std::string name;
  std::uint32_t ring = 0;
  std::uint32_t local_id = 0;
  std::string state;       // PENDING/READY/RUNNING/COMPLETED/CONSUMED, or UNPUBLISHED
  int state_number = 0;    // five-state numbering of the #495 era dumps
  int stored_state = 0;    // 0 PENDING, 1 COMPLETED, 2 CONSUMED (HEAD encoding)
  std::uint32_t fanin_refcount = 0;
  std::uint32_t fanin_count = 0;
  std::uint32_t consumers_released = 0;
  std::uint32_t consumers_claimed = 0;
  bool scope_released = false;
  std::uint32_t scope_depth = 0;
  std::string kind;    // kernel, alloc, dummy
  std::string kernel;  // kernel name, empty for alloc/dummy
  std::vector<std::string> cores;  // cores running it
  std::vector<std::uint32_t> producers;  // ordinals of WAIT producers
  std::vector<std::uint32_t> consumers;  // ordinals of WAIT consumers
  bool could_progress = false;  // the task the detector missed
};

struct RingView {
  std::uint32_t id = 0;
  std::uint32_t current_index = 0;
  std::uint32_t last_task_alive = 0;  // the published watermark (what the orchestrator reads)
  // With batched publication, the schedulers' own watermark (ahead while not yet published).
  std::optional<std::uint32_t> scheduler_last_task_alive;
  std::uint32_t task_window = 0;
  std::uint64_t heap_top = 0;
  std::uint64_t heap_tail = 0;
  std::uint64_t heap_size = 0;
  std::uint64_t heap_used = 0;
  std::uint64_t dep_pool_used = 0;
  std::uint64_t dep_pool_capacity = 0;
  std::uint64_t dep_pool_high_water = 0;
  std::vector<TaskView> tasks;  // live tasks [last_task_alive, current_index)
  bool tasks_truncated = false;
};

struct ScopeView {
  std::uint32_t depth = 0;
  std::string mode;
  std::uint32_t task_count = 0;
  std::optional<std::uint64_t> oldest_task_id;
  bool deferred_publish = false;
  std::uint32_t unpublished = 0;
};

struct ActorView {
  std::string name;
  std::string state;      // e.g. "blocked", "idle", "busy", "done"
  std::string waits_for;  // human-readable
};

// A thread of the shared host (a2a3sim: the orchestrator, a scheduler thread or an emulated
// core): its host CPU, and how long it held it or waited for it off-CPU so far.
struct HostThreadView {
  std::string name;
  int cpu = -1;
  TimeNs on_cpu_ns = 0;
  TimeNs off_cpu_ns = 0;
};

struct StateSnapshot {
  TimeNs time_ns = 0;
  std::string detector;
  int error_code = 0;
  std::string error_name;
  int host_code = 0;
  std::string message;
  std::uint32_t completed_tasks = 0;
  std::uint32_t total_tasks = 0;    // tasks submitted (allocated) so far, the runtime's M
  std::uint32_t program_tasks = 0;  // tasks of the whole program (0: unknown, older snapshots)
  bool orchestration_done = false;
  std::optional<std::uint32_t> progress_task;  // ordinal of the task that could make progress
  std::optional<std::uint32_t> blocked_ring;   // ring the orchestrator was blocked on, if any
  std::vector<RingView> rings;                 // rings that hold tasks
  std::vector<ScopeView> scopes;
  std::vector<ActorView> actors;
  std::vector<HostThreadView> host_threads;  // a2a3sim only: empty when threads own their processors
  // Filled in when the run ends: what the deadlock-truth continuation concluded.
  std::string outcome;
  std::string verdict;
  std::vector<std::string> wait_chain;
};

inline constexpr std::size_t SNAPSHOT_MAX_TASKS_PER_RING = 20000;

}  // namespace ptosim::runtime
