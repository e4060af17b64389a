// Decides how a run ends, and whether a runtime detector that fired was right (deadlock truth).
//
// When a detector fires, the monitor keeps the runtime's report and a snapshot, then lets the
// simulation continue as if the detector had stayed silent (every detector is silenced, and the
// continuation is bounded by RuntimeConfig::truth_budget_ns):
// - the wait the detector judged hopeless is satisfied      -> deadlock_false (names the task
//   whose progress the detector missed);
// - every actor blocks with nothing left to wake it          -> deadlock_true (names the cycle or
//   the resource that can never be freed), or hang when a kernel never finished;
// - the budget runs out first                                -> sim_limit (undecided).
#pragma once

#include "runtime/run_report.h"
#include "runtime/runtime_state.h"
#include "runtime/snapshot_capture.h"
#include "simcore/outcome.h"
#include "simcore/sim_engine.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ptosim::runtime {

using simcore::Outcome;

enum class DetectorSite : std::uint8_t { orchestrator, scheduler };

class RunMonitor {
 public:
  RunMonitor(RuntimeState& state, simcore::Simulation& sim);

  void add_actor(std::function<ActorView()> describe) { actors_.push_back(std::move(describe)); }
  // a2a3sim: where the snapshot finds the threads' time off their host CPU.
  void set_host_threads(std::function<std::vector<HostThreadView>()> host_threads) {
    host_threads_ = std::move(host_threads);
  }

  // A fatal error that is not a detector (INVALID_ARGS...): the run ends now as runtime_error.
  [[noreturn]] void fail_runtime(RuntimeReport report);

  // A detector fired. Records the report and the snapshot, silences every detector and starts
  // the bounded shadow continuation.
  void detector_fired(RuntimeReport report, DetectorSite site);
  bool detectors_silenced() const { return fired_; }
  // The RUNNING task a scheduler timeout blamed (S1), NO_INDEX otherwise.
  std::uint32_t blamed_task() const { return report_ ? report_->stuck_task : NO_INDEX; }

  // The orchestrator's blocked wait succeeded. After an orchestrator-side firing this settles
  // the verdict (deadlock_false) and ends the run.
  void orchestrator_wait_satisfied();
  // A scheduler made progress. After a scheduler-side firing this settles deadlock_false.
  void scheduler_progress(std::uint32_t task_ordinal);

  Verdict conclude(simcore::RunEnd end);

 private:
  Verdict decide(simcore::RunEnd end);
  std::vector<ActorView> describe_actors() const;
  // The state now, with the report's code, detector and text.
  StateSnapshot report_snapshot(const RuntimeReport& report, std::optional<std::uint32_t> progress_task) const;
  std::vector<std::string> explain_blockage(bool& closes_cycle, bool& kernel_stuck) const;
  [[noreturn]] void settle_false(const std::string& progress_detail);

  RuntimeState& state_;
  simcore::Simulation& sim_;
  std::vector<std::function<ActorView()>> actors_;
  bool fired_ = false;
  DetectorSite site_ = DetectorSite::orchestrator;
  TimeNs fired_at_ns_ = 0;
  std::optional<RuntimeReport> report_;
  std::optional<StateSnapshot> snapshot_;
  std::function<std::vector<HostThreadView>()> host_threads_;
  std::optional<std::uint32_t> missed_task_;
  std::string missed_task_label_;
  bool runtime_failed_ = false;
  bool settled_false_ = false;
  std::string false_summary_;
};

}  // namespace ptosim::runtime
