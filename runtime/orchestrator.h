// The orchestrator AICPU thread: interprets the program (scopes, submits, alloc_tensors, dummy
// tasks), pays the per-operation costs, computes dependencies, and blocks on ring back-pressure
// with the configured deadlock detectors (runtime-model.md §2, §3.6, §4, §5).
//
// get/set_tensor_data (wait_for_tensor_ready, pto_runtime2.cpp) wait producer by producer, the
// creator first, then the TensorMap writers newest first, each with its own 15 s clock; set_
// also waits for each producer's claimed consumers to release. The runtime gathers producers in
// segments of 64 deduplicated per segment; a duplicate across segments is already complete when
// it is met again, so waiting on each producer once is the same wait. Left out: the element
// read or written (the program's control flow does not depend on values, and the data oracle
// does not see the orchestrator's write) and rt_report_fatal (code 9). A sync_start submit whose
// block_num exceeds the AIV count (AIV tasks) or the cluster count (AIC, MIX) fails with
// REQUIRE_SYNC_START_INVALID (code 7), as submit_task does, before any ring allocation.
// With the lookup cap on, the wait sees only the capped writers, as the runtime before PR #669
// did (its wait buffer held the creator and PTO2_LOOKUP_MAX_RESULTS writers).
#pragma once

#include "runtime/dependency_builder.h"
#include "runtime/task_graph.h"
#include "runtime/run_monitor.h"
#include "runtime/runtime_messages.h"
#include "runtime/runtime_state.h"
#include "simcore/thread_clock.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ptosim::runtime {

class Orchestrator {
 public:
  Orchestrator(RuntimeState& state, RunMonitor& monitor, simcore::ThreadClock& clock);

  // Actor body.
  void run();
  ActorView describe() const;

 private:
  void scope_begin(const ProgramOp& op);
  void scope_end();
  void submit(const ProgramOp& op, std::uint32_t op_index);
  // REQUIRE_SYNC_START_INVALID (7): a sync_start cohort larger than the device's AIV or cluster count.
  void check_sync_start(const ProgramOp& op);
  void alloc_tensors(const ProgramOp& op);
  // get_tensor_data / set_tensor_data: blocks until every producer of the view is done.
  void tensor_data(const ProgramOp& op, std::uint32_t op_index);
  void wait_for_producer(std::uint32_t producer, bool write, std::uint32_t op_index, const char* caller);
  bool producer_done(std::uint32_t producer, bool write) const;

  // Reserves a task slot and `bytes` of heap on `ring`, blocking on back-pressure.
  std::uint64_t allocate(int ring, std::uint64_t bytes, std::uint32_t ordinal);
  // Reserves `entries` dep-list entries on `ring`, blocking on back-pressure.
  void ensure_dep_space(int ring, std::uint32_t entries, std::uint32_t ordinal);
  // Blocks until the ring's last_task_alive moves, running the detectors meanwhile.
  void ensure_tensormap_space(int ring, std::uint32_t entries, std::uint32_t ordinal);
  void ensure_spill_space(int ring, std::uint32_t local_id, std::uint32_t entries, std::uint32_t ordinal);
  void wait_for_reclaim(int ring, WaitResource resource, std::uint64_t requested, std::uint32_t ordinal);
  // Where a reclaim wait stands: its structural check still to run, whether the watermark it
  // reads is exact (acknowledged), and when it asks for an exact publication.
  struct ReclaimWait {
    bool structural_pending = true;
    bool synchronized = true;
    bool requested = false;  // only an acknowledgment of this wait's own request counts
    TimeNs request_at_ns = TIME_NEVER;
  };
  struct ReclaimBounds {
    std::uint64_t spin_limit = simcore::NO_ITERATION_LIMIT;
    TimeNs deadline_ns = TIME_NEVER;
  };
  ReclaimBounds reclaim_bounds(const ReclaimWait& wait, const simcore::WaitLoop& spins) const;
  // The wait ended on a detector bound: fires the detector that bound belongs to.
  void judge_reclaim_wait(const RingState& ring, ReclaimWait& wait, WaitResource resource, std::uint64_t requested);
  void fire_reclaim_detector(const RingState& ring, const std::string& detector, const ReclaimFatal& fatal);
  bool scope_precheck_fails(const RingState& ring) const;

  const TaskRecord& create(const ProgramOp& op, TaskKind kind, std::uint32_t kernel);
  void wire_and_publish(const TaskRecord& task, const ProgramOp& op);
  void note_occupancy(const RingState& ring);
  ScopeMode scope_mode() const { return state_.in_manual_scope() ? ScopeMode::manual : ScopeMode::automatic; }
  ScopeTracking scope_tracking() const {
    return ScopeTracking{state_.in_manual_scope(), state_.config().manual_tracking == ManualTracking::boundary, manual_from_};
  }
  // Scope bookkeeping costs are owed and paid with the next submit's sleep: one context switch
  // per runtime call instead of three.
  void spend(TimeNs cost_ns);
  [[noreturn]] void invalid_args(const std::string& detail, std::uint32_t origin);

  RuntimeState& state_;
  RunMonitor& monitor_;
  simcore::ThreadClock& clock_;
  std::uint32_t lane_;
  // The timing-free graph, built as the program is submitted; the run wires its live edges.
  TaskGraphBuilder graph_;
  std::function<ProducerStatus(std::uint32_t)> producer_status_;
  std::vector<FaninEdge> fanin_;  // reused between submits
  std::vector<std::uint32_t> tensor_producers_;  // reused between tensor data accesses
  std::string phase_ = "starting";
  TimeNs owed_ns_ = 0;
  std::uint32_t next_task_ = 0;    // ordinal of the next task the program creates
  std::uint32_t manual_from_ = 0;  // first task of the outermost open MANUAL scope
};

}  // namespace ptosim::runtime
