// The sync_start global drain (the runtime's drain_state_, scheduler_completion.cpp:
// enter_drain_mode, handle_drain_mode; runtime-model.md §6.3 step 4, §6.4).
//
// A sync_start cohort (require_sync_start, block_num > 1) must launch all its blocks at once. A
// thread that pops one and owns enough free cores launches it on its own cores. Otherwise it
// takes the one drain slot (enter_drain_mode's CAS; a thread that loses re-pushes the task):
// from then on every scheduler thread, at the top of each iteration after its completion poll,
// runs handle_drain_mode and dispatches nothing else. Scheduler thread 0 is the coordinator
// (PR #1461): once every thread acknowledged the current attempt it counts the free cores of all
// threads; too few and it starts a new attempt (every thread acknowledges again, after more
// completions); enough and every thread stages its share of the cohort on its own idle cores,
// then the drain is cleared and normal dispatch resumes.
//
// The liveness fixes: acknowledgements carry the attempt (#1455, fixed by PR #1461), so an
// acknowledgement of an earlier attempt never counts for a later one; every wait of the drain
// gives up once the run is over (#1073, fixed by PR #1074), so a thread never waits for a peer
// that has left.
//
// Plain data and the protocol's bookkeeping; the scheduler threads (sync_start_dispatch.cpp)
// act on it. One per run, shared by the threads.
#pragma once

#include "runtime/task_record.h"
#include "simcore/sim_time.h"

#include <cstdint>
#include <vector>

namespace ptosim::runtime {

class SyncStartDrain {
 public:
  explicit SyncStartDrain(int threads) : acked_attempt_(static_cast<std::size_t>(threads), 0) {}

  bool pending() const { return task_ != NO_INDEX; }
  std::uint32_t task() const { return task_; }
  std::uint64_t attempt() const { return attempt_; }

  // enter_drain_mode: takes the drain slot for `task` unless another thread holds it.
  bool try_enter(std::uint32_t task, TimeNs now_ns) {
    if (pending()) return false;
    task_ = task;
    ++attempt_;  // a new attempt before the task is visible: stale acknowledgements never count
    entered_ns_ = now_ns;
    check_due_ = true;
    return true;
  }
  // Something the coordinator's check depends on changed (an acknowledgement, freed cores): it
  // spins on the barrier in the runtime, so it looks again at its next iteration.
  void request_check() { check_due_ = true; }
  bool check_due() const { return check_due_; }
  void take_check() { check_due_ = false; }
  // A thread stopped dispatching for the current attempt (its ack token).
  void acknowledge(int thread) { acked_attempt_.at(static_cast<std::size_t>(thread)) = attempt_; }
  bool acknowledged(int thread) const { return acked_attempt_.at(static_cast<std::size_t>(thread)) == attempt_; }
  // The coordinator found too few free cores: every thread resumes completion polling and
  // acknowledges the next attempt.
  void retry() { ++attempt_; }
  // The cohort was staged: the drain is cleared and dispatch resumes. Returns how long it held.
  TimeNs release(TimeNs now_ns) {
    task_ = NO_INDEX;
    return now_ns - entered_ns_;
  }

 private:
  std::uint32_t task_ = NO_INDEX;
  std::uint64_t attempt_ = 0;
  std::vector<std::uint64_t> acked_attempt_;
  TimeNs entered_ns_ = 0;
  bool check_due_ = false;
};

}  // namespace ptosim::runtime
