#include "runtime/run_monitor.h"

#include "simcore/plural.h"
#include "simcore/marks.h"

#include <sstream>

namespace ptosim::runtime {

namespace {

std::string task_label(const RuntimeState& state, std::uint32_t ordinal) {
  const TaskRecord& task = state.tasks()[ordinal];
  std::ostringstream out;
  out << "task " << task.task_id() << " '" << state.program().task_name(ordinal) << "'";
  return out.str();
}

std::string task_label_with_state(const RuntimeState& state, std::uint32_t ordinal) {
  const TaskRecord& task = state.tasks()[ordinal];
  std::ostringstream out;
  out << task_label(state, ordinal) << " " << to_string(task.phase()) << ", fanin " << task.fanin_refcount << "/"
      << task.fanin_count;
  return out.str();
}

std::string wait_label(const BlockedWait& wait) {
  std::ostringstream out;
  out << "orchestrator waits for the " << to_string(wait.resource) << " of ring " << static_cast<int>(wait.ring);
  return out.str();
}

}  // namespace

RunMonitor::RunMonitor(RuntimeState& state, simcore::Simulation& sim) : state_(state), sim_(sim) {}

std::vector<ActorView> RunMonitor::describe_actors() const {
  std::vector<ActorView> views;
  for (const auto& describe : actors_) views.push_back(describe());
  return views;
}

StateSnapshot RunMonitor::report_snapshot(const RuntimeReport& report, std::optional<std::uint32_t> progress_task) const {
  StateSnapshot snap = capture_snapshot(state_, describe_actors(), progress_task);
  if (host_threads_) snap.host_threads = host_threads_();
  if (!snap.blocked_ring && report.ring >= 0) snap.blocked_ring = static_cast<std::uint32_t>(report.ring);
  snap.detector = report.detector;
  snap.error_code = static_cast<int>(report.code);
  snap.error_name = error_name(report.code);
  snap.host_code = host_code_for(report.code);
  snap.message = report.message;
  return snap;
}

void RunMonitor::fail_runtime(RuntimeReport report) {
  runtime_failed_ = true;
  // A fatal error raised by a check (INVALID_ARGS, REQUIRE_SYNC_START_INVALID...) leaves the
  // state as it was when the check failed: the snapshot shows it, as for a detector.
  if (!snapshot_) snapshot_ = report_snapshot(report, std::nullopt);
  report_ = std::move(report);
  state_.events().record(simcore::EventKind::error, simcore::now(), 0, state_.lanes().orchestrator,
                         static_cast<int>(report_->code));
  sim_.stop();
}

void RunMonitor::detector_fired(RuntimeReport report, DetectorSite site) {
  if (fired_) return;
  fired_ = true;
  site_ = site;
  fired_at_ns_ = simcore::now();
  state_.events().record(simcore::EventKind::detector, fired_at_ns_, 0, state_.lanes().orchestrator,
                         static_cast<int>(report.code));
  const int ring_hint = state_.blocked().active ? state_.blocked().ring : -1;
  missed_task_ = find_progress_task(state_, ring_hint);
  if (missed_task_) missed_task_label_ = task_label_with_state(state_, *missed_task_);
  snapshot_ = report_snapshot(report, missed_task_);
  report_ = std::move(report);
  sim_.set_time_limit(add_ns(fired_at_ns_, state_.config().truth_budget_ns),
                      "deadlock-truth budget after the detector fired (runtime.truth_budget_ns)");
  state_.detectors_silenced();
}

void RunMonitor::settle_false(const std::string& progress_detail) {
  settled_false_ = true;
  std::ostringstream out;
  out << "the " << report_->detector << " detector fired at t=" << fired_at_ns_ << " ns ("
      << static_cast<int>(report_->code) << " " << error_name(report_->code) << ") but progress was possible: "
      << progress_detail;
  if (!missed_task_label_.empty()) out << "; when it fired, " << missed_task_label_;
  false_summary_ = out.str();
  sim_.stop();
}

void RunMonitor::orchestrator_wait_satisfied() {
  if (!fired_ || site_ != DetectorSite::orchestrator || settled_false_) return;
  std::ostringstream detail;
  detail << "the wait was satisfied at t=" << simcore::now() << " ns (+" << (simcore::now() - fired_at_ns_)
         << " ns after the firing)";
  settle_false(detail.str());
}

void RunMonitor::scheduler_progress(std::uint32_t task_ordinal) {
  if (!fired_ || site_ != DetectorSite::scheduler || settled_false_) return;
  // The verdict follows the task the watchdog blamed: another task completing elsewhere does
  // not show that a RUNNING task whose core never reports FIN could make progress.
  if (report_->stuck_task != NO_INDEX && task_ordinal != report_->stuck_task) return;
  std::ostringstream detail;
  detail << task_label(state_, task_ordinal) << " completed at t=" << simcore::now() << " ns";
  settle_false(detail.str());
}

std::vector<std::string> RunMonitor::explain_blockage(bool& closes_cycle, bool& kernel_stuck) const {
  std::vector<std::string> chain;
  closes_cycle = false;
  kernel_stuck = false;
  const BlockedWait& wait = state_.blocked();
  if (!wait.active) {
    // No orchestrator wait: look for a task that can never finish.
    for (const TaskRecord& task : state_.tasks()) {
      if (!task.allocated) continue;
      if (task.running) {
        chain.push_back(task_label_with_state(state_, task.ordinal) + " never finishes on its core");
        kernel_stuck = true;
        return chain;
      }
    }
    chain.push_back("no task can become ready: every remaining task waits on a producer that cannot complete");
    return chain;
  }
  chain.push_back(wait_label(wait));
  const RingState& ring = state_.ring(wait.ring);
  if (ring.last_task_alive >= ring.current_index) {
    chain.push_back("ring " + std::to_string(wait.ring) + " is empty, yet the request can never fit");
    return chain;
  }
  std::uint32_t current = ring.ordinals[ring.last_task_alive];
  chain.push_back("head " + task_label_with_state(state_, current) + " must become CONSUMED first");
  // Follow what keeps the task from CONSUMED, a bounded number of steps.
  for (int step = 0; step < 16; ++step) {
    const TaskRecord& task = state_.tasks()[current];
    if (!task.published && task.kind != TaskKind::alloc) {
      chain.push_back(task_label(state_, current) +
                      " is unpublished: its deferred MANUAL scope publishes only at scope_end, which comes after "
                      "the blocked wait in program order");
      chain.push_back("cycle: orchestrator -> " + task_label(state_, current) + " -> scope_end -> orchestrator");
      closes_cycle = true;
      return chain;
    }
    if (task.state == StoredState::pending) {
      if (task.running) {
        chain.push_back(task_label(state_, current) + " is RUNNING and its kernel never finishes");
        kernel_stuck = true;
        return chain;
      }
      bool followed = false;
      for (const FaninEdge& edge : state_.producers(task)) {
        if (edge.wait && state_.tasks()[edge.producer].state == StoredState::pending) {
          chain.push_back(task_label(state_, current) + " waits for its producer " +
                          task_label_with_state(state_, edge.producer));
          current = edge.producer;
          followed = true;
          break;
        }
      }
      if (!followed) {
        chain.push_back(task_label_with_state(state_, current) + " is ready but never dispatched");
        return chain;
      }
      continue;
    }
    if (!task.scope_released) {
      chain.push_back(task_label(state_, current) + " is owned by a scope (depth " + std::to_string(task.scope_depth) +
                      ") that is still open; it ends only after the blocked wait returns");
      chain.push_back("cycle: orchestrator -> " + task_label(state_, current) + " -> scope (depth " +
                      std::to_string(task.scope_depth) + ") end -> orchestrator");
      closes_cycle = true;
      return chain;
    }
    if (task.consumers_released < task.consumers_claimed) {
      bool followed = false;
      for (std::uint32_t c = 0; c < state_.tasks().size(); ++c) {
        const TaskRecord& consumer = state_.tasks()[c];
        if (!consumer.allocated || consumer.state != StoredState::pending) continue;
        for (const FaninEdge& edge : state_.producers(consumer)) {
          if (edge.producer == current && edge.retain) {
            chain.push_back(task_label(state_, current) + " is pinned by its consumer " +
                            task_label_with_state(state_, c));
            current = c;
            followed = true;
            break;
          }
        }
        if (followed) break;
      }
      if (!followed) {
        chain.push_back(task_label(state_, current) + " has unreleased consumer pins");
        return chain;
      }
      continue;
    }
    if (task.state == StoredState::consumed && ring.sched_alive > ring.last_task_alive) {
      chain.push_back("the schedulers reclaimed ring " + std::to_string(wait.ring) + " up to last_task_alive=" +
                      std::to_string(ring.sched_alive) + " but published only " +
                      std::to_string(ring.last_task_alive) +
                      ": batched publication holds it back until a publication request is serviced");
      return chain;
    }
    chain.push_back(task_label(state_, current) + " is CONSUMED, yet the ring did not advance");
    return chain;
  }
  return chain;
}

Verdict RunMonitor::conclude(simcore::RunEnd end) {
  Verdict verdict = decide(end);
  if (verdict.snapshot) {
    // The snapshot was taken when the detector fired; record what the continuation found. Only
    // a false alarm proves that the marked task could make progress.
    StateSnapshot& snap = *verdict.snapshot;
    snap.outcome = simcore::to_string(verdict.outcome);
    snap.verdict = verdict.summary;
    snap.wait_chain = verdict.wait_chain;
    if (verdict.outcome != Outcome::deadlock_false) {
      snap.progress_task.reset();
      for (RingView& ring : snap.rings) {
        for (TaskView& task : ring.tasks) task.could_progress = false;
      }
    }
  }
  return verdict;
}

Verdict RunMonitor::decide(simcore::RunEnd end) {
  Verdict verdict;
  verdict.report = report_;
  verdict.snapshot = snapshot_;
  if (runtime_failed_) {
    verdict.outcome = Outcome::runtime_error;
    const std::string& message = report_->message;
    verdict.summary = std::string(error_name(report_->code)) + ": " + message.substr(0, message.find('\n'));
    return verdict;
  }
  if (settled_false_) {
    PTOSIM_MARK("truth: deadlock false");
    verdict.outcome = Outcome::deadlock_false;
    verdict.summary = false_summary_;
    return verdict;
  }
  switch (end) {
    case simcore::RunEnd::finished:
      if (fired_) {
        PTOSIM_MARK("truth: deadlock false");
        verdict.outcome = Outcome::deadlock_false;
        verdict.summary = "the " + report_->detector + " detector fired but the program completed";
      } else {
        verdict.outcome = Outcome::pass;
        verdict.summary = "program completed: " + simcore::count_noun(state_.completed_tasks(), "task");
      }
      return verdict;
    case simcore::RunEnd::quiescent: {
      bool closes_cycle = false;
      bool kernel_stuck = false;
      verdict.wait_chain = explain_blockage(closes_cycle, kernel_stuck);
      verdict.outcome = kernel_stuck ? Outcome::hang : Outcome::deadlock_true;
      if (kernel_stuck) {
        PTOSIM_MARK("truth: hang");
      } else {
        PTOSIM_MARK("truth: deadlock true");
      }
      std::ostringstream out;
      if (fired_) {
        out << "the " << report_->detector << " detector fired (" << static_cast<int>(report_->code) << " "
            << error_name(report_->code) << ") and no progress was possible: ";
      } else {
        out << "no runtime detector fired, but no actor could make progress: ";
      }
      for (std::size_t i = 0; i < verdict.wait_chain.size(); ++i) out << (i ? "; " : "") << verdict.wait_chain[i];
      verdict.summary = out.str();
      return verdict;
    }
    case simcore::RunEnd::limit:
      verdict.outcome = Outcome::sim_limit;
      verdict.summary = sim_.limit_reason();
      if (fired_) verdict.summary += ": deadlock truth undecided";
      return verdict;
    case simcore::RunEnd::stopped:
    case simcore::RunEnd::failed:
      break;
  }
  verdict.outcome = Outcome::sim_limit;
  verdict.summary = "run stopped without a verdict";
  return verdict;
}

}  // namespace ptosim::runtime
