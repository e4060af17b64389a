#include "runtime/scheduler_thread.h"

#include "runtime/runtime_messages.h"
#include "simcore/model_assert.h"
#include "simcore/marks.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace ptosim::runtime {

using hwmodel::CoreKind;
using hwmodel::TaskShape;

SchedulerThread::SchedulerThread(int index, RuntimeState& state, RunMonitor& monitor,
                                 const std::vector<hwmodel::AiCore*>& all_cores, simcore::ThreadClock& clock)
    : index_(index),
      state_(state),
      monitor_(monitor),
      clock_(clock),
      lane_(state.lanes().first_scheduler + static_cast<std::uint32_t>(index)),
      core_stream_(state.decisions().stream("dispatch.core")),
      ready_stream_(state.decisions().stream("sched.ready_pop")) {
  const hwmodel::Topology& topo = state.topology();
  for (int cluster = 0; cluster < topo.clusters(); ++cluster) {
    if (topo.owner_thread(cluster) != index) continue;
    for (CoreKind kind : {CoreKind::aic, CoreKind::aiv0, CoreKind::aiv1}) {
      CoreSlot slot;
      slot.core = all_cores.at(static_cast<std::size_t>(topo.core_id(cluster, kind)));
      slot.cluster = cluster;
      slot.kind = kind;
      cores_.push_back(slot);
      slot.core->set_observer(this);
    }
  }
  // How long one idle loop iteration takes on this thread's core (~115 ns measured on an AICPU,
  // issue #897; on the simulator board a host cost that includes sched_yield): a property of the
  // thread, decided once, so no diagnostic ever draws it late.
  idle_base_ns_ = clock_.loop_iteration_ns(simcore::LoopKind::idle_iteration, static_cast<std::uint64_t>(index), 0);
}

void SchedulerThread::join(simcore::TurnOrder& turns) {
  turns_ = &turns;
  turn_ = turns.join_machine(lane_, [this] { on_turn(); });
  clock_.bind(turns, turn_);
}

void SchedulerThread::on_turn() {
  switch (await_) {
    case Await::none:
    case Await::start:
    case Await::time: break;
    case Await::work: finish_work(); break;
    case Await::idle_loop:
      waiting_ = false;
      if (idle_detector_expired(await_detector_)) handle_watchdog();
      break;
  }
  await_ = Await::none;
  advance();
}

void SchedulerThread::advance() {
  // Every iteration either changes task state or waits; a long run of iterations at one instant
  // means a model bug, which must surface as an error rather than hang the tool.
  while (true) {
    const TimeNs now_ns = simcore::now();
    guard_iterations_ = now_ns == guard_ns_ ? guard_iterations_ + 1 : 0;
    guard_ns_ = now_ns;
    PTOSIM_ASSERT(guard_iterations_ <= MAX_ITERATIONS_PER_INSTANT,
                  "scheduler thread looped " + std::to_string(guard_iterations_) + " times without time passing");
    if (running_cores_ == 0 && state_.all_done()) {
      drain_deferred();  // loop exit drains the deferred releases
      exited_ = true;
      clock_.exit();     // it leaves its CPU (on the shared host another thread may take it)
      turns_->leave(turn_);
      return;
    }
    if (now_ns < busy_until_ns_) {
      if (rest()) return;
      continue;
    }
    bool progress = false;
    const bool waits = iterate(progress);
    if (progress) {
      idle_active_ = false;
      last_progress_ns_ = now_ns;
      completed_at_progress_ = state_.completed_tasks();
      if (waits) return;
      continue;
    }
    if (idle()) return;
  }
}

void SchedulerThread::await_time(TimeNs time_ns) {
  await_ = Await::time;
  turns_->wait(turn_, nullptr, time_ns);
}

bool SchedulerThread::begin_work(TimeNs cost_ns) {
  const TimeNs now_ns = simcore::now();
  const TimeNs end_ns = clock_.predict_end(now_ns, cost_ns);
  if (end_ns != TIME_NEVER) {
    busy_until_ns_ = end_ns;
    state_.timing().thread_busy(index_, now_ns, end_ns);
    write_assignments();
    if (!staged_.empty()) write_staged();
    return false;
  }
  work_start_ns_ = now_ns;
  await_ = Await::work;
  clock_.work_async(cost_ns);
  return true;
}

void SchedulerThread::finish_work() {
  busy_until_ns_ = simcore::now();
  state_.timing().thread_busy(index_, work_start_ns_, busy_until_ns_);
  write_assignments();
  if (!staged_.empty()) write_staged();
}

void SchedulerThread::begin_idle_stretch(TimeNs start_ns) {
  if (idle_active_) return;
  idle_active_ = true;
  // An idle iteration also polls COND of every running core (issue #897: ~115 ns idle, about
  // twice as long while polling a running task). Running cores cannot change during an idle
  // stretch: a completion or a dispatch is progress and ends it.
  idle_loop_ = clock_.begin_loop(
      add_ns(idle_base_ns_, poll_cost()),
      start_ns);
}

bool SchedulerThread::rest() {
  // Busy with the work of the last iteration until busy_until_ns_. With work waiting, or
  // releases deferred (only the next iteration can tell whether it is idle and drains them),
  // resume then. Otherwise wait from now on, the idle stretch starting when the work is done, so
  // a thread that finishes its work and then idles takes one turn, not two.
  if (has_work() || !deferred_release_.empty() || reclaim_retry_ns() <= busy_until_ns_) {
    await_time(busy_until_ns_);
    return true;
  }
  begin_idle_stretch(busy_until_ns_);
  wait_for_work(std::min(earliest_pending_fin(), reclaim_retry_ns()), idle_detector());
  return true;
}

bool SchedulerThread::has_work() const {
  const TimeNs now = simcore::now();
  for (const CoreSlot& slot : cores_) {
    if (slot.task == NO_INDEX) continue;
    if (decide_slot_transition(slot, now).running_done) return true;
  }
  // A drain stops dispatch: only completions are work, and for thread 0 the drain's check.
  if (drain_->pending()) return index_ == 0 && drain_->check_due();
  for (TaskShape shape : {TaskShape::mix, TaskShape::aic, TaskShape::aiv, TaskShape::dummy}) {
    if (state_.ready_queue(shape).empty()) continue;
    if (has_free_core(shape)) return true;
    if (pending_phase_open(shape) && has_pending_capacity(shape)) return true;
  }
  if (state_.any_sync_ready()) {
    for (TaskShape shape : {TaskShape::mix, TaskShape::aic, TaskShape::aiv}) {
      if (!state_.ready_sync_queue(shape).empty() && has_free_core(shape)) return true;
    }
  }
  return state_.has_early_candidates() && has_early_work();
}

SchedulerThread::SlotTransition SchedulerThread::decide_slot_transition(const CoreSlot& slot, TimeNs now_ns) const {
  // One COND read (runtime-model.md §1.4): the pending token, ACK or FIN, means the running task
  // finished (the core runs its slots in order and overwrote the running task's FIN); the
  // running token's FIN counts only without a pending task (with one, the thread waits for the
  // pending task's ACK); the running token's ACK only frees the pending slot (pending_slot_free).
  SlotTransition transition;
  // The common case on the board, without a COND read: the running task's FIN is not visible yet.
  if (slot.pending_task == NO_INDEX && slot.core->plans_ahead() && slot.core->fin_visible_ns() > now_ns) return transition;
  const hwmodel::CondRegister cond = slot.core->read_cond();
  if (slot.pending_task != NO_INDEX && cond.token == slot.pending_token) {
    if (cond.fin && cond.fin_visible_ns <= now_ns) {
      transition.running_done = true;
      transition.pending_done = true;
    } else if (cond.ack_visible_ns <= now_ns) {
      transition.running_done = true;
    }
    return transition;
  }
  if (cond.token != slot.token) return transition;
  transition.running_done = slot.pending_task == NO_INDEX && cond.fin && cond.fin_visible_ns <= now_ns;
  return transition;
}

TimeNs SchedulerThread::apply_slot_transition(CoreSlot& slot, const SlotTransition& transition,
                                              std::uint32_t& last_completed) {
  // The runtime completes the pending task first, then the running one, then updates the slots.
  PTOSIM_ASSERT(transition.running_done, "a slot transition without the running task done");
  const std::uint32_t running = slot.task;
  const std::uint32_t pending = slot.pending_task;
  if (pending != NO_INDEX) PTOSIM_MARK("pending implies running finished");
  if (state_.task(running).manual) --running_manual_cores_;
  TimeNs cost_ns = 0;
  if (transition.pending_done) cost_ns = add_ns(cost_ns, finish_on_core(pending, last_completed));
  cost_ns = add_ns(cost_ns, finish_on_core(running, last_completed));
  if (pending != NO_INDEX && !transition.pending_done) {
    // Promote: the pending task is the core's running task now.
    slot.task = pending;
    slot.token = slot.pending_token;
    state_.set_core_task(slot.core->id(), pending);
    if (state_.task(pending).manual) ++running_manual_cores_;
  } else {
    slot.task = NO_INDEX;
    state_.set_core_task(slot.core->id(), NO_INDEX);
    --running_cores_;
  }
  slot.pending_task = NO_INDEX;
  return cost_ns;
}

TimeNs SchedulerThread::finish_on_core(std::uint32_t ordinal, std::uint32_t& last_completed) {
  // One block of the task finished on this core; the last block completes the task.
  if (!state_.finish_subtask(ordinal)) return 0;
  const TaskRecord& task = state_.task(ordinal);
  const TimeNs cost_ns = complete(task);
  if (last_completed == NO_INDEX || last_completed != monitor_.blamed_task()) last_completed = ordinal;
  return cost_ns;
}

bool SchedulerThread::iterate(bool& progress) {
  const SchedulerCosts& costs = state_.config().scheduler;
  TimeNs cost_ns = poll_cost();
  progress = false;
  const TimeNs now = simcore::now();

  // 1. Completion poll of this thread's running cores.
  std::uint32_t last_completed = NO_INDEX;
  for (CoreSlot& slot : cores_) {
    if (slot.task == NO_INDEX) continue;
    const SlotTransition transition = decide_slot_transition(slot, now);
    if (!transition.running_done) continue;
    progress = true;
    cost_ns = add_ns(cost_ns, apply_slot_transition(slot, transition, last_completed));
  }

  // 1b. A pending sync_start drain (§6.3 step 4): handle_drain_mode, then no dummy or dispatch
  // work this iteration.
  if (drain_->pending()) {
    cost_ns = add_ns(cost_ns, handle_drain_mode(progress));
    if (!progress) return false;
    return end_iteration(cost_ns, last_completed);
  }

  // 2. Dummy tasks (threads 0..2): completed inline.
  if (index_ < 3) {
    const auto& dummies = state_.ready_queue(TaskShape::dummy);
    for (std::uint32_t n = 0; n < costs.dummy_batch && !dummies.empty(); ++n) {
      const TaskRecord& task = state_.task(state_.take_ready(TaskShape::dummy, 0));
      cost_ns = add_ns(cost_ns, complete(task));
      if (last_completed == NO_INDEX || last_completed != monitor_.blamed_task()) last_completed = task.ordinal;
      progress = true;
    }
  }

  // 3. Dispatch READY tasks to free cores, then (only with none left) pre-stage early candidates.
  cost_ns = add_ns(cost_ns, dispatch_ready_tasks(progress));
  if (state_.has_early_candidates()) cost_ns = add_ns(cost_ns, try_early_dispatch(progress));

  // An iteration without progress is an idle one; its polling time is part of the idle stretch.
  if (!progress) return false;
  return end_iteration(cost_ns, last_completed);
}

bool SchedulerThread::end_iteration(TimeNs cost_ns, std::uint32_t last_completed) {
  if (last_completed != NO_INDEX) monitor_.scheduler_progress(last_completed);
  // Thread 0 services publication requests in its productive loop too (one servicer suffices:
  // a request stays latched until acknowledged).
  if (index_ == 0 && state_.publication_service_due()) {
    state_.service_publication_requests(lane_);
    cost_ns = add_ns(cost_ns, state_.take_advance_cost());
  }
  // The iteration's effects are applied at its start; the thread is then busy for its cost.
  // All handles of one pop are published after one write barrier, at the end of the iteration:
  // the cores see their registers only then.
  return begin_work(cost_ns);
}

TimeNs SchedulerThread::complete(const TaskRecord& task) {
  // on_task_complete walks the fanout; on_task_release waits in the deferred array until an
  // idle iteration or until the array is full.
  const SchedulerCosts& costs = state_.config().scheduler;
  const std::uint32_t released = state_.complete_task(task.ordinal, lane_);
  TimeNs cost_ns = state_.costs().complete(task.scope_mode(), released);
  deferred_release_.push_back(task.ordinal);
  if (deferred_release_.size() >= costs.deferred_release_cap) {
    PTOSIM_MARK("deferred release cap");
    cost_ns = add_ns(cost_ns, drain_deferred());
  }
  return cost_ns;
}

TimeNs SchedulerThread::drain_deferred() {
  std::uint64_t manual = 0;
  for (std::uint32_t ordinal : deferred_release_) {
    manual += state_.task(ordinal).manual ? 1 : 0;
    state_.release_task(ordinal, lane_);
  }
  // The releases' CONSUMED tasks advance their rings' watermarks under advance_lock.
  const TimeNs cost_ns =
      add_ns(state_.costs().deferred_release(deferred_release_.size(), manual), state_.take_advance_cost());
  deferred_release_.clear();
  return cost_ns;
}

TimeNs SchedulerThread::poll_cost() const {
  return state_.costs().poll(static_cast<std::uint64_t>(running_cores_),
                             static_cast<std::uint64_t>(running_manual_cores_));
}

TimeNs SchedulerThread::earliest_pending_fin() const {
  TimeNs earliest = TIME_NEVER;
  for (const CoreSlot& slot : cores_) {
    if (slot.task == NO_INDEX) continue;
    const TimeNs event_ns = next_cond_event_ns(slot);
    if (event_ns < earliest) earliest = event_ns;
  }
  // A FIN due now that the core has not posted yet (it runs later at this instant) is awaited
  // through on_fin_posted rather than a deadline that has already passed.
  return earliest <= simcore::now() ? TIME_NEVER : earliest;
}

TimeNs SchedulerThread::next_cond_event_ns(const CoreSlot& slot) const {
  // With a pending task, the running task's FIN is overwritten by the pending task's ACK: that
  // ACK is the thread's next news from the core (a missed wake-up would leave the core's
  // completion unseen until some other event).
  if (slot.pending_task != NO_INDEX) return slot.core->ack_visible_ns(slot.pending_token);
  const TimeNs fin_ns = slot.core->fin_visible_ns();
  if (!state_.config().dispatch.pending_slot) return fin_ns;
  // The running task's ACK frees the pending slot; it matters when a queued task could use it.
  const TimeNs ack_ns = slot.core->ack_visible_ns(slot.token);
  if (ack_ns <= simcore::now() || ack_ns >= fin_ns) return fin_ns;
  const bool aic = slot.kind == CoreKind::aic;
  const bool wanted = !state_.ready_queue(TaskShape::mix).empty() ||
                      !state_.ready_queue(aic ? TaskShape::aic : TaskShape::aiv).empty();
  return wanted ? ack_ns : fin_ns;
}

void SchedulerThread::wait_for_work(TimeNs fin_ns, const IdleDetector& detector) {
  // Idle iterations until work can appear (a FIN, a ready task, shutdown) or a detector bound;
  // the turn that follows checks the detector.
  waiting_ = true;
  const TimeNs deadline_ns = fin_ns < detector.watchdog_ns ? fin_ns : detector.watchdog_ns;
  const TimeNs limit_ns = detector.iteration_limit == simcore::NO_ITERATION_LIMIT
                              ? TIME_NEVER
                              : clock_.predict_loop_end(idle_loop_, detector.iteration_limit);
  wait_deadline_ns_ = deadline_ns < limit_ns ? deadline_ns : limit_ns;
  await_ = Await::idle_loop;
  await_detector_ = detector;
  clock_.loop_async(idle_loop_, wake_, detector.iteration_limit, deadline_ns);
}

SchedulerThread::IdleDetector SchedulerThread::idle_detector() const {
  IdleDetector detector;
  // During a sync_start drain the loop continues after handle_drain_mode, past the idle
  // bookkeeping and the timeout check: no detector bounds the wait.
  if (monitor_.detectors_silenced() || drain_->pending()) return detector;
  const DetectorConfig& detectors = state_.config().detectors;
  if (detectors.kind == DetectorKind::legacy) {
    detector.iteration_limit = detectors.scheduler_idle_limit;
  } else {
    detector.watchdog_ns = add_ns(last_progress_ns_, detectors.scheduler_timeout_ns);
  }
  return detector;
}

bool SchedulerThread::idle_detector_expired(const IdleDetector& detector) const {
  if (detector.iteration_limit != simcore::NO_ITERATION_LIMIT &&
      clock_.loop_iterations(idle_loop_) >= detector.iteration_limit) {
    return true;
  }
  return detector.watchdog_ns != TIME_NEVER && simcore::now() >= detector.watchdog_ns;
}

TimeNs SchedulerThread::reclaim_retry_ns() const {
  return state_.reclaim_retry_ns(lane_, index_ == 0);
}

bool SchedulerThread::drain_reclaim() {
  // The no-progress path: thread 0 services publication requests, then every thread retries
  // the ring advances that lost the advance_lock (drain_pending_ring_advances). A watermark
  // that moves is progress for the watchdog.
  bool moved = index_ == 0 && state_.service_publication_requests(lane_);
  moved = state_.drain_pending_ring_advances(lane_) || moved;
  if (moved) {
    // advanced_reclaim: the idle count and the watchdog's clock restart.
    last_progress_ns_ = simcore::now();
    idle_active_ = false;
  }
  return moved;
}

bool SchedulerThread::idle() {
  if (!deferred_release_.empty()) {
    // An iteration without progress releases the deferred consumers (on_task_release).
    TimeNs cost_ns = drain_deferred();
    if (reclaim_retry_ns() <= simcore::now()) {
      drain_reclaim();
      cost_ns = add_ns(cost_ns, state_.take_advance_cost());
    }
    return begin_work(cost_ns);
  }
  if (reclaim_retry_ns() <= simcore::now()) {
    drain_reclaim();
    return begin_work(state_.take_advance_cost());
  }
  begin_idle_stretch(simcore::now());
  const IdleDetector detector = idle_detector();
  if (!has_work() && !(running_cores_ == 0 && state_.all_done())) {
    // Idle until a FIN becomes visible, a ready task is routed here, a ring advance can retry
    // its lock, or a detector bound.
    wait_for_work(std::min(earliest_pending_fin(), reclaim_retry_ns()), detector);
    return true;
  }
  if (idle_detector_expired(detector)) handle_watchdog();
  return false;
}

void SchedulerThread::handle_watchdog() {
  const DetectorConfig& detectors = state_.config().detectors;
  const bool legacy = detectors.kind == DetectorKind::legacy;
  if (!legacy) {
    // Ownership gate: only a thread that owns a running task, or a globally stuck run after the
    // orchestrator finished, may latch the timeout; otherwise the timer restarts.
    bool any_running = false;
    for (const SchedulerThread* peer : peers_) any_running = any_running || peer->owns_running_task();
    const bool global_stuck =
        state_.orchestration_done() && state_.completed_tasks() < state_.tasks_allocated() && !any_running;
    if (!owns_running_task() && !global_stuck) {
      PTOSIM_MARK("watchdog ownership gate");
      last_progress_ns_ = simcore::now();
      return;
    }
  }
  if (legacy) {
    PTOSIM_MARK("legacy idle limit");
  } else {
    PTOSIM_MARK("scheduler watchdog");
  }
  RuntimeReport report;
  report.code = ErrorCode::scheduler_timeout;
  report.detector = legacy ? "legacy idle-iteration limit" : "scheduler watchdog";
  report.actor = "scheduler thread " + std::to_string(index_);
  report.time_ns = simcore::now();
  report.message = stall_report(report.stall_sub_class, report.stuck_task);
  monitor_.detector_fired(std::move(report), DetectorSite::scheduler);
}

std::uint64_t SchedulerThread::idle_iterations() { return idle_active_ ? clock_.loop_iterations(idle_loop_) : 0; }

namespace {
const char* core_kind_label(CoreKind kind) { return kind == CoreKind::aic ? "AIC" : kind == CoreKind::aiv0 ? "AIV0" : "AIV1"; }
}  // namespace

std::string SchedulerThread::cluster_lines(const std::string& prefix) const {
  // CLUSTER cluster_id=N aic=coreX(idle | busy kernel=K task=T cond_reg_state=ack|fin
  // [pending=T2 running_tok= pending_tok=]) ...
  std::ostringstream out;
  int clusters = 0;
  for (std::size_t i = 0; i + 2 < cores_.size() && clusters < 8; i += 3, ++clusters) {
    out << prefix << " CLUSTER cluster_id=" << cores_[i].cluster;
    for (std::size_t k = 0; k < 3; ++k) {
      const CoreSlot& slot = cores_[i + k];
      out << " " << (k == 0 ? "aic" : k == 1 ? "aiv0" : "aiv1") << "=core" << slot.core->id() << core_dump(slot);
    }
    out << "\n";
  }
  return out.str();
}

std::string SchedulerThread::core_dump(const CoreSlot& slot) const {
  if (slot.task == NO_INDEX) return "(idle)";
  const TaskRecord& task = state_.tasks()[slot.task];
  std::ostringstream out;
  if (task.early == EarlyState::staging) {
    out << "(staged kernel=" << task.kernel << " task=" << task.task_id() << " gated=doorbell)";
    return out.str();
  }
  out << "(busy kernel=" << task.kernel << " task=" << task.task_id()
      << " cond_reg_state=" << (slot.core->executing() ? "ack" : "fin");
  if (slot.pending_task != NO_INDEX) {
    // The dual slot's second task: written, waiting for the running one's FIN.
    out << " pending=" << state_.tasks()[slot.pending_task].task_id() << " running_tok=" << slot.token
        << " pending_tok=" << slot.pending_token;
  }
  out << ")";
  return out.str();
}

std::string SchedulerThread::stall_report(int& sub_class, std::uint32_t& stuck_task) {
  // Scan the live tasks of every ring: RUNNING > READY > WAIT > orchestrator not done.
  std::vector<const TaskRecord*> running;
  std::vector<const TaskRecord*> ready;
  std::vector<const TaskRecord*> waiting;
  for (int r = 0; r < MAX_RING_DEPTH; ++r) {
    const RingState& ring = state_.ring(r);
    for (std::uint32_t local = ring.last_task_alive; local < ring.current_index; ++local) {
      const TaskRecord& task = state_.tasks()[ring.ordinals[local]];
      const TaskPhase phase = task.phase();
      if (phase == TaskPhase::running) running.push_back(&task);
      if (phase == TaskPhase::ready) ready.push_back(&task);
      if (phase == TaskPhase::waiting) waiting.push_back(&task);
    }
  }
  sub_class = !running.empty() ? 1 : !ready.empty() ? 3 : !waiting.empty() ? 4 : !state_.orchestration_done() ? 5 : 99;
  const TaskRecord* stuck = !running.empty() ? running.front() : !ready.empty() ? ready.front()
                                                                  : !waiting.empty() ? waiting.front() : nullptr;
  // The core the stuck task still occupies (an SPMD task's finished blocks have left theirs).
  std::string stuck_core = "-";
  if (stuck != nullptr && stuck->running) {
    const std::vector<int> cores = state_.cores_of(stuck->ordinal);
    stuck_core = state_.topology().core_name(cores.empty() ? static_cast<int>(stuck->core) : cores.front());
  }
  const std::uint64_t stuck_id = stuck != nullptr ? stuck->task_id() : 0;
  stuck_task = sub_class == 1 && stuck != nullptr ? stuck->ordinal : NO_INDEX;
  // total_tasks_ is only published when orchestration is done.
  const std::uint32_t total = state_.orchestration_done() ? state_.tasks_allocated() : 0;
  const std::uint64_t iterations = idle_iterations();

  std::ostringstream out;
  out << "TIMEOUT_EXIT after_idle_iterations=" << iterations << " sub_class=" << stall_sub_class_name(sub_class)
      << " completed=" << state_.completed_tasks() << "/" << total << " running=" << running.size()
      << " ready=" << ready.size() << " waiting=" << waiting.size() << " orch_done=" << (state_.orchestration_done() ? 1 : 0)
      << " stuck_task_id=" << stuck_id << " stuck_core=" << stuck_core << "\n";
  out << "[SHUTDOWN_SNAPSHOT trigger_thread=" << index_ << " reason=scheduler_timeout idle_iterations=" << iterations
      << "]\n";
  for (SchedulerThread* peer : peers_) {
    const std::string prefix =
        "[STALL thread=" + std::to_string(peer->index_) + " idle_iterations=" + std::to_string(peer->idle_iterations()) + "]";
    if (peer->index_ == 0) {
      for (std::size_t i = 0; i < running.size() && i < 8; ++i) {
        out << prefix << " " << stall_task_line(*running[i], "RUNNING") << " running_on=[owner_thread="
            << running[i]->thread << " cores=[";
        bool first = true;
        for (int core : state_.cores_of(running[i]->ordinal)) {
          out << (first ? "" : " ") << "core=" << core << "(" << core_kind_label(state_.topology().kind_of(core)) << ")";
          first = false;
        }
        out << "]]\n";
      }
      for (std::size_t i = 0; i < ready.size() && i < 8; ++i) out << prefix << " " << stall_task_line(*ready[i], "READY") << "\n";
      for (std::size_t i = 0; i < waiting.size() && i < 4; ++i) {
        out << prefix << " " << stall_task_line(*waiting[i], "WAIT")
            << " missing_deps=" << (waiting[i]->fanin_count - waiting[i]->fanin_refcount) << "\n";
      }
      out << prefix << " SUMMARY completed=" << state_.completed_tasks() << "/" << total
          << " last_progress_iteration=" << peer->completed_at_progress_ << " scan_ready=" << ready.size()
          << " scan_waiting=" << waiting.size() << " scan_running=" << running.size() << "\n";
    }
    out << peer->cluster_lines(prefix);
  }
  std::ostringstream summary;
  summary << "PTO2 scheduler timeout sub_class=" << stall_sub_class_name(sub_class) << " (detail=" << sub_class
          << ") completed=" << state_.completed_tasks() << "/" << total << " stuck_task_id=" << stuck_id
          << " stuck_core=" << stuck_core;
  out << format_host_failure(ErrorCode::scheduler_timeout, summary.str(),
                             sub_class == 1 ? "a kernel on stuck_core never reported FIN: check the kernel (hang, "
                                              "missing flag, GM visibility)"
                                            : "no task made progress: check the dependency graph and the orchestrator");
  return out.str();
}

void SchedulerThread::on_fin_posted(int, TimeNs visible_ns) {
  // A waiting thread normally already sleeps until this FIN becomes visible.
  if (visible_ns < wait_deadline_ns_) wake();
}

bool SchedulerThread::can_take(TaskShape shape) const {
  return waiting_ && !drain_->pending() && has_free_core(shape);
}

bool SchedulerThread::can_take_pending(TaskShape shape) const {
  if (!waiting_ || !pending_phase_open(shape)) return false;
  // A busy core of the shape whose pending slot is empty: free now, or once its ACK is seen (the
  // woken thread then waits for that ACK: next_cond_event_ns).
  for (const CoreSlot& slot : cores_) {
    if (slot.task == NO_INDEX || slot.pending_task != NO_INDEX) continue;
    if (shape == TaskShape::mix || (shape == TaskShape::aic) == (slot.kind == CoreKind::aic)) return true;
  }
  return false;
}

void SchedulerThread::on_ack_posted(int core_id, TimeNs visible_ns) {
  // Simulator board: an ACK's time is known only when the emulation thread starts the task. It
  // is news for a thread holding a pending task for that core, or with a task queued for it.
  if (!state_.config().dispatch.pending_slot || !waiting_ || visible_ns >= wait_deadline_ns_) return;
  for (const CoreSlot& slot : cores_) {
    if (slot.core->id() != core_id || slot.task == NO_INDEX) continue;
    const bool aic = slot.kind == CoreKind::aic;
    const bool wanted = slot.pending_task != NO_INDEX || !state_.ready_queue(TaskShape::mix).empty() ||
                        !state_.ready_queue(aic ? TaskShape::aic : TaskShape::aiv).empty();
    if (wanted) wake();
    return;
  }
}

void SchedulerThread::wake() {
  if (!waiting_) return;
  waiting_ = false;  // woken once: further ready tasks go to other idle threads
  wake_.notify();
}

void SchedulerThread::notice() {
  // Another idle thread was chosen to take a ready task first; this one sees the queue change
  // only at its next idle iteration, and only where those iterations are simulated.
  if (waiting_) wake_.notify_if_polled();
}

void SchedulerThread::on_shutdown_check() { wake(); }

void SchedulerThread::on_reclaim_work() {
  // An idle thread's next no-progress iteration sees the pending bit (or the request).
  wake();
}

void SchedulerThread::on_detectors_silenced() {
  // An idle wait bounded by a detector (the watchdog, the legacy iteration limit) is re-planned
  // without it: the thread looks again now and finds the same nothing, minus the detector.
  const bool detector_bound = await_detector_.watchdog_ns != TIME_NEVER ||
                              await_detector_.iteration_limit != simcore::NO_ITERATION_LIMIT;
  if (await_ == Await::idle_loop && waiting_ && detector_bound) wake();
}

ActorView SchedulerThread::describe() const {
  ActorView view;
  view.name = "scheduler thread " + std::to_string(index_);
  if (exited_) {
    view.state = "done";
    return view;
  }
  view.state = running_cores_ > 0 ? "busy" : (waiting_ ? "idle" : "running");
  std::ostringstream out;
  out << running_cores_ << " of " << cores_.size() << " owned cores running";
  for (const CoreSlot& slot : cores_) {
    if (slot.task == NO_INDEX) continue;
    out << "; " << state_.topology().core_name(slot.core->id()) << " runs task " << state_.task(slot.task).task_id();
    if (slot.pending_task != NO_INDEX) out << " (pending task " << state_.task(slot.pending_task).task_id() << ")";
  }
  out << "; " << deferred_release_.size() << " deferred releases pending";
  if (drain_->pending()) {
    out << "; in the sync_start drain for task " << state_.task(drain_->task()).task_id() << " (attempt "
        << drain_->attempt() << ", " << (drain_->acknowledged(index_) ? "acknowledged" : "not acknowledged") << ")";
  }
  const std::string where = clock_.placement();
  if (!where.empty()) out << "; " << where;
  view.waits_for = out.str();
  return view;
}

}  // namespace ptosim::runtime
