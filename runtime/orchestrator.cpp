#include "runtime/orchestrator.h"

#include "runtime/runtime_messages.h"
#include "simcore/model_assert.h"
#include "simcore/marks.h"

#include <algorithm>
#include <sstream>

namespace ptosim::runtime {

namespace {

std::uint64_t packed_output_bytes(const Program& program, const ProgramOp& op) {
  std::uint64_t total = 0;
  for (const ArgSpec& arg : program.args(op)) {
    if (arg.kind == ArgKind::output) total += align_up(program.output_bytes(arg), PACKED_OUTPUT_ALIGN);
  }
  return align_up(total, HEAP_ALIGN);
}

// What the orchestrator consumes from the dependency computation, checked here so that the check
// survives any rewrite of that computation: every edge waits on an earlier, allocated task, and
// names each producer once.
void check_fanin(const std::vector<FaninEdge>& fanin, const TaskRecord& task, const std::vector<TaskRecord>& tasks) {
  std::vector<std::uint32_t> producers;
  producers.reserve(fanin.size());
  for (const FaninEdge& edge : fanin) {
    PTOSIM_ASSERT(edge.producer < task.ordinal, "task " + std::to_string(task.ordinal) + " has an edge to task " +
                                                    std::to_string(edge.producer) + ", which is not earlier");
    PTOSIM_ASSERT(tasks[edge.producer].allocated, "edge to task " + std::to_string(edge.producer) + ", never allocated");
    PTOSIM_ASSERT(edge.wait, "a fanin edge that does not wait");
    producers.push_back(edge.producer);
  }
  std::sort(producers.begin(), producers.end());
  PTOSIM_ASSERT(std::adjacent_find(producers.begin(), producers.end()) == producers.end(),
                "task " + std::to_string(task.ordinal) + " has two edges to one producer");
}

ErrorCode code_for(WaitResource resource) {
  switch (resource) {
    case WaitResource::task_window: return ErrorCode::flow_control_deadlock;
    case WaitResource::heap: return ErrorCode::heap_ring_deadlock;
    case WaitResource::dep_pool: return ErrorCode::dep_pool_overflow;
    case WaitResource::fanin_spill: return ErrorCode::dep_pool_overflow;  // the retired code 6 folded into 4
    case WaitResource::tensormap: return ErrorCode::tensormap_overflow;
    case WaitResource::tensor_data: return ErrorCode::tensor_wait_timeout;
  }
  return ErrorCode::flow_control_deadlock;
}

}  // namespace

Orchestrator::Orchestrator(RuntimeState& state, RunMonitor& monitor, simcore::ThreadClock& clock)
    : state_(state),
      monitor_(monitor),
      clock_(clock),
      lane_(state.lanes().orchestrator),
      graph_(state.program(), DependencyRules{state.config().tensormap_lookup_cap}),
      producer_status_([this](std::uint32_t ordinal) { return state_.producer_status(ordinal); }) {}

void Orchestrator::run() {
  // The executor wraps the whole orchestration function in one AUTO scope (depth 0, ring 0).
  ProgramOp outer;
  outer.kind = OpKind::scope_begin;
  scope_begin(outer);
  const auto& ops = state_.program().ops;
  for (std::uint32_t i = 0; i < ops.size(); ++i) {
    const ProgramOp& op = ops[i];
    switch (op.kind) {
      case OpKind::scope_begin: scope_begin(op); break;
      case OpKind::scope_end: scope_end(); break;
      case OpKind::submit:
      case OpKind::dummy: submit(op, i); break;
      case OpKind::alloc_tensors: alloc_tensors(op); break;
      case OpKind::tensor_data: tensor_data(op, i); break;
    }
  }
  scope_end();
  spend(0);
  phase_ = "done";
  state_.timing().orchestration_done(simcore::now());
  state_.set_orchestration_done();
}

ActorView Orchestrator::describe() const {
  ActorView view;
  view.name = "orchestrator";
  const BlockedWait& wait = state_.blocked();
  if (wait.active) {
    view.state = "blocked";
    std::ostringstream out;
    const RingState& ring = state_.ring(wait.ring);
    if (wait.resource == WaitResource::tensor_data) {
      const TaskRecord& producer = state_.task(wait.task);
      out << (wait.requested != 0 ? "set_tensor_data" : "get_tensor_data") << ": waits for task ordinal " << wait.task << " '"
          << state_.program().task_name(wait.task) << "' (" << to_string(producer.phase()) << ") to "
          << (wait.requested != 0 ? "complete and be released by its consumers" : "complete") << " since t=" << wait.since_ns
          << " ns";
      view.waits_for = out.str();
      const std::string where = clock_.placement();
      if (!where.empty()) view.waits_for += "; " + where;
      return view;
    }
    out << to_string(wait.resource) << " of ring " << static_cast<int>(wait.ring);
    if (wait.resource == WaitResource::heap) out << " (" << wait.requested << " bytes)";
    if (wait.resource == WaitResource::dep_pool || wait.resource == WaitResource::fanin_spill ||
        wait.resource == WaitResource::tensormap) {
      out << " (" << wait.requested << " entries)";
    }
    out << " for task ordinal " << wait.task << " '" << state_.program().task_name(wait.task)
        << "'; needs last_task_alive to move past " << ring.last_task_alive << " since t=" << wait.since_ns << " ns";
    // Batched publication: the schedulers may have reclaimed further than they published.
    if (ring.sched_alive != ring.last_task_alive) out << " (the schedulers' own last_task_alive is " << ring.sched_alive << ")";
    view.waits_for = out.str();
  } else {
    view.state = phase_;
  }
  const std::string where = clock_.placement();
  if (!where.empty()) view.waits_for += (view.waits_for.empty() ? "" : "; ") + where;
  return view;
}

namespace {

// A report the orchestrator raises now: its code, the ring judged (-1: none) and the detector.
RuntimeReport orchestrator_report(ErrorCode code, int ring, std::string detector) {
  RuntimeReport report;
  report.code = code;
  report.ring = ring;
  report.detector = std::move(detector);
  report.actor = "orchestrator";
  report.time_ns = simcore::now();
  return report;
}

}  // namespace

void Orchestrator::invalid_args(const std::string& detail, std::uint32_t origin) {
  RuntimeReport report = orchestrator_report(ErrorCode::invalid_args, -1, "argument check");
  std::ostringstream msg;
  msg << "FATAL: invalid arguments: " << detail;
  if (origin < state_.program().origins.size()) msg << " (at " << state_.program().origins[origin] << ")";
  msg << "\n"
      << format_host_failure(ErrorCode::invalid_args, detail,
                             "fix the orchestration: arguments, explicit dependencies and scope modes (AUTO scopes "
                             "cannot open inside a MANUAL scope)");
  report.message = msg.str();
  monitor_.fail_runtime(std::move(report));
}

void Orchestrator::scope_begin(const ProgramOp& op) {
  phase_ = "running";
  if (op.mode == ScopeMode::automatic && state_.in_manual_scope()) {
    PTOSIM_MARK("auto scope inside manual");
    invalid_args("AUTO scope opened inside an active MANUAL scope", op.origin);
  }
  if (state_.scope_stack().size() >= static_cast<std::size_t>(MAX_SCOPE_DEPTH)) {
    PTOSIM_MARK("scope stack limit");
    invalid_args("scope depth exceeds PTO2_MAX_SCOPE_DEPTH=64", op.origin);
  }
  const bool deferred = op.mode == ScopeMode::manual && state_.config().manual_publish == ManualPublish::deferred;
  if (op.mode == ScopeMode::manual && !state_.in_manual_scope()) manual_from_ = next_task_;
  const ScopeFrame& frame = state_.open_scope(op.mode, op.origin, deferred);
  state_.events().record(simcore::EventKind::scope_begin, simcore::now(), frame.serial, lane_, frame.depth);
  owed_ns_ = add_ns(owed_ns_, state_.costs().scope_begin(op.mode, state_.orchestrator_bill()));
}

void Orchestrator::scope_end() {
  PTOSIM_ASSERT(!state_.scope_stack().empty(), "scope_end without an open scope");
  if (state_.scope_stack().back().deferred) {
    // The draft design: wire and publish the whole scope as one batch at scope_end.
    for (std::uint32_t op_index = state_.take_held_op(); op_index != NO_INDEX; op_index = state_.take_held_op()) {
      const ProgramOp& op = state_.program().ops[op_index];
      wire_and_publish(state_.task(op.task), op);
    }
  }
  const ScopeMode mode = state_.scope_stack().back().mode;
  const RuntimeState::ClosedScope closed = state_.close_scope();
  owed_ns_ = add_ns(owed_ns_, state_.take_advance_cost());  // the watermark advances it ran
  state_.events().record(simcore::EventKind::scope_end, simcore::now(), closed.serial, lane_, closed.depth);
  owed_ns_ = add_ns(owed_ns_, state_.costs().scope_end(mode, closed.task_count, state_.orchestrator_bill()));
}

void Orchestrator::spend(TimeNs cost_ns) {
  clock_.wait_until(clock_.work(add_ns(owed_ns_, cost_ns)));
  owed_ns_ = 0;
}

bool Orchestrator::scope_precheck_fails(const RingState& ring) const {
  const ScopeFrame& innermost = state_.scope_stack().back();
  const std::size_t in_scope = state_.scope_tasks().size() - innermost.first_task;
  return in_scope >= ring.config.task_window - 1;
}

const TaskRecord& Orchestrator::create(const ProgramOp& op, TaskKind kind, std::uint32_t kernel) {
  const int ring_id = state_.current_ring_id();
  const RingState& ring = state_.ring(ring_id);
  // The scope pre-check (PR #277) predates both detector generations modelled here.
  if (!monitor_.detectors_silenced() && scope_precheck_fails(ring)) {
    PTOSIM_MARK("scope pre-check");
    const ScopeFrame& innermost = state_.scope_stack().back();
    const auto in_scope = static_cast<std::uint32_t>(state_.scope_tasks().size() - innermost.first_task);
    phase_ = "allocating a slot on ring " + std::to_string(ring_id) + " for task '" +
             state_.program().task_name(op.task) + "'";
    RuntimeReport report = orchestrator_report(ErrorCode::scope_deadlock, ring_id, "scope pre-check");
    report.message =
        format_scope_fatal(state_, ring_id, innermost.depth, in_scope) +
        format_host_failure(ErrorCode::scope_deadlock,
                            "the innermost scope holds " + std::to_string(in_scope) + " tasks, task window " +
                                std::to_string(ring.config.task_window) + " of ring " + std::to_string(ring_id),
                            "raise PTO2_RING_TASK_WINDOW above the scope's task count, or split the scope");
    monitor_.detector_fired(std::move(report), DetectorSite::orchestrator);
  }
  const std::uint64_t bytes = packed_output_bytes(state_.program(), op);
  const std::uint64_t offset = allocate(ring_id, bytes, op.task);
  RuntimeState::NewTask spec;
  spec.ordinal = op.task;
  spec.ring = static_cast<std::uint8_t>(ring_id);
  spec.kind = kind;
  spec.kernel = kernel;
  spec.heap_offset = offset;
  spec.heap_bytes = bytes;
  spec.sync_start = op.sync_start;
  // alloc_tensors forces allow_early_resolve on (it is COMPLETED inline anyway).
  spec.early_resolve = kind == TaskKind::alloc || op.early_resolve;
  const TaskRecord& task = state_.create_task(spec);
  note_occupancy(ring);
  return task;
}

void Orchestrator::check_sync_start(const ProgramOp& op) {
  // submit_task (pto_orchestrator.cpp): a cohort larger than the cores that could ever hold it
  // at once can never launch (deadlock guaranteed), so the submit fails before any ring
  // allocation. The limit is the AIV count for an AIV task, the cluster count (one AIC per
  // cluster) for AIC and MIX.
  const hwmodel::KernelSpec& kernel = state_.kernels().at(op.kernel);
  if (kernel.block_num <= 1) return;  // sync_start is meaningful only for block_num > 1
  const int clusters = state_.topology().clusters();
  const bool aiv = kernel.shape == hwmodel::TaskShape::aiv;
  const std::int64_t limit = aiv ? 2 * static_cast<std::int64_t>(clusters) : clusters;
  if (limit <= 0 || kernel.block_num <= limit) return;
  PTOSIM_MARK("REQUIRE_SYNC_START_INVALID");
  phase_ = "submitting sync_start task '" + state_.program().task_name(op.task) + "'";
  RuntimeReport report = orchestrator_report(ErrorCode::require_sync_start_invalid, -1, "sync_start submit check");
  std::ostringstream msg;
  msg << "FATAL [submit_task] (code=7): require_sync_start block_num=" << kernel.block_num << " > limit=" << limit
      << " (deadlock guaranteed)";
  if (op.origin < state_.program().origins.size()) msg << " (at " << state_.program().origins[op.origin] << ")";
  msg << "\n"
      << format_host_failure(ErrorCode::require_sync_start_invalid,
                             "task '" + state_.program().task_name(op.task) + "' asks " + std::to_string(kernel.block_num) +
                                 " blocks to start together, the device has " + std::to_string(limit) +
                                 (aiv ? " AIV cores" : " clusters (one AIC each)"),
                             "size the cohort from rt_available_aiv_count / rt_available_cluster_count, or drop "
                             "sync_start for a kernel whose blocks do not wait for one another");
  report.message = msg.str();
  monitor_.fail_runtime(std::move(report));
}

void Orchestrator::submit(const ProgramOp& op, std::uint32_t op_index) {
  if (op.sync_start) check_sync_start(op);
  // Price the submit first (argument copy, lookups, inserts, edges): the task graph gives the
  // lookups, inserts and edges; the edges priced are those to producers still live now.
  const GraphTask& node = graph_.add(op, scope_tracking());
  next_task_ = op.task + 1;
  live_fanin(node.edges, producer_status_, fanin_);
  const SubmitWork work{node.lookups, node.lookup_steps, node.inserts, static_cast<std::uint32_t>(fanin_.size())};
  spend(state_.costs().submit(op, scope_mode(), work, state_.orchestrator_bill()));

  const TaskRecord& task = create(op, op.kind == OpKind::dummy ? TaskKind::dummy : TaskKind::kernel, op.kernel);
  state_.events().record(simcore::EventKind::submit, simcore::now(), task.ordinal, lane_, task.ring);
  // TensorMap: cleanup of the ring's retired tasks every 64 watermark moves, then room for this
  // task's inserts before they are registered (STEP 4).
  state_.sync_tensormap(task.ring);
  if (node.inserts > 0) {
    ensure_tensormap_space(task.ring, node.inserts, task.ordinal);
    state_.insert_tensormap_entries(task.ring, task.local_id, node.inserts);
  }
  if (state_.scope_stack().back().deferred) {
    state_.hold_until_scope_end(op_index);
    return;
  }
  wire_and_publish(task, op);
}

void Orchestrator::alloc_tensors(const ProgramOp& op) {
  spend(state_.costs().alloc_tensors(scope_mode(), state_.orchestrator_bill()));
  graph_.add(op, scope_tracking());  // outputs only: a node without edges
  next_task_ = op.task + 1;
  const TaskRecord& task = create(op, TaskKind::alloc, NO_INDEX);
  state_.events().record(simcore::EventKind::submit, simcore::now(), task.ordinal, lane_, task.ring);
  state_.complete_inline(task.ordinal);
}

void Orchestrator::tensor_data(const ProgramOp& op, std::uint32_t op_index) {
  const bool write = op.arg_count != 0 && state_.program().args(op)[0].kind == ArgKind::inout;
  const char* caller = write ? "set_tensor_data" : "get_tensor_data";
  phase_ = std::string("in ") + caller;
  graph_.tensor_data_producers(op, tensor_producers_);
  // The call's price (orchestrator_costs.get_tensor_data_ns, by scope mode) is owed like a
  // scope's: paid before a wait, or with the next submit when the value is there at once (so a
  // submit's `tensor_data` count, expanded into these, costs what it cost when the submit priced it).
  owed_ns_ = add_ns(owed_ns_, state_.costs().get_tensor_data(scope_mode(), state_.orchestrator_bill()));
  if (tensor_producers_.empty()) PTOSIM_MARK("tensor data without producer");
  for (std::uint32_t producer : tensor_producers_) wait_for_producer(producer, write, op_index, caller);
  phase_ = "running";
}

bool Orchestrator::producer_done(std::uint32_t producer, bool write) const {
  const TaskRecord& task = state_.task(producer);
  if (task.state == StoredState::consumed) return true;
  if (task.state != StoredState::completed) return false;
  // set_: every claimed consumer released (the scope bit is not a consumer).
  return !write || task.consumers_released >= task.consumers_claimed;
}

void Orchestrator::wait_for_producer(std::uint32_t producer, bool write, std::uint32_t op_index, const char* caller) {
  if (producer_done(producer, write)) return;
  spend(0);  // the call's owed price comes before the wait
  if (producer_done(producer, write)) return;
  const TaskRecord& task = state_.task(producer);
  const int ring_id = state_.current_ring_id();
  const auto resource = static_cast<std::uint32_t>(WaitResource::tensor_data);
  state_.begin_wait(BlockedWait{true, WaitResource::tensor_data, static_cast<std::uint8_t>(ring_id), write ? 1U : 0U,
                                producer, simcore::now()});
  state_.events().record(simcore::EventKind::blocked, simcore::now(), producer, lane_, static_cast<int>(resource));
  // One spin's length is a decision per wait, keyed by the program op (a producer can be waited
  // on by several accesses).
  const TimeNs spin_ns = clock_.loop_iteration_ns(simcore::LoopKind::spin, op_index, resource);
  const TimeNs waited_from_ns = simcore::now();
  simcore::WaitLoop spins = clock_.begin_loop(spin_ns, waited_from_ns);
  // Bounded: each pass returns, or fires the timeout (once per run; afterwards the wait has no
  // bound and ends with the run).
  while (!producer_done(producer, write)) {
    const TimeNs deadline = monitor_.detectors_silenced()
                                ? TIME_NEVER
                                : add_ns(waited_from_ns, state_.config().detectors.tensor_wait_timeout_ns);
    const simcore::LoopEnd end = clock_.run_loop(spins, state_.task_progress(), simcore::NO_ITERATION_LIMIT, deadline);
    if (producer_done(producer, write) || end == simcore::LoopEnd::signaled) continue;
    PTOSIM_MARK("tensor wait timeout");
    const bool completed = task.state != StoredState::pending;
    RuntimeReport report = orchestrator_report(ErrorCode::tensor_wait_timeout, ring_id, "15 s tensor data wait");
    const std::string block = format_tensor_wait_fatal(state_, caller, task, completed,
                                                       state_.config().detectors.tensor_wait_timeout_ns);
    report.message = block + format_host_failure(report.code, block.substr(0, block.find('\n')),
                                                 completed ? "the tensor's consumers never released it: make sure they can run "
                                                             "before the orchestrator writes it"
                                                           : "the producer never completed: it must be published (a deferred "
                                                             "MANUAL scope publishes at scope_end, after this wait) and runnable");
    monitor_.detector_fired(std::move(report), DetectorSite::orchestrator);
  }
  state_.end_wait();
  state_.timing().orchestrator_blocked(ring_id, static_cast<int>(resource), waited_from_ns, simcore::now());
  state_.events().record(simcore::EventKind::unblocked, simcore::now(), producer, lane_, static_cast<int>(resource));
}

void Orchestrator::wire_and_publish(const TaskRecord& task, const ProgramOp& op) {
  const int ring_id = task.ring;
  const GraphTask& node = graph_.task(task.ordinal);
  if (!node.error.empty()) invalid_args(node.error, op.origin);
  // The producers that retired or were CONSUMED since the graph named them finished before this
  // wiring: their edges were satisfied at submit and are not wired.
  std::vector<FaninEdge>& fanin = fanin_;
  live_fanin(node.edges, producer_status_, fanin);
  check_fanin(fanin, task, state_.tasks());
  PTOSIM_ASSERT(!task.published && task.fanin_count == 1 && task.producer_count == 0, "task wired twice");
  // Every edge claims its producer first: the pin keeps the producer from CONSUMED while the
  // orchestrator may wait for dep-list entries (one per producer still running).
  std::uint32_t entries = 0;
  for (const FaninEdge& edge : fanin) {
    state_.claim_producer(edge.producer);
    if (state_.task(edge.producer).state == StoredState::pending) ++entries;
  }
  // Edges beyond the inline capacity go to the ring's spill pool while the fanin is collected,
  // before the dep-list entries are reserved.
  const std::uint32_t spilled = spilled_edges(fanin.size());
  if (spilled > 0) ensure_spill_space(ring_id, task.local_id, spilled, task.ordinal);
  ensure_dep_space(ring_id, entries, task.ordinal);
  note_occupancy(state_.ring(ring_id));
  state_.wire_fanin(task.ordinal, fanin, entries);
  owed_ns_ = add_ns(owed_ns_, state_.take_advance_cost());  // WAIT-only pins released at wiring
  state_.publish(task.ordinal);
}

void Orchestrator::note_occupancy(const RingState& ring) {
  state_.timing().ring_occupancy(ring.id, ring.active_tasks(), ring.heap.used(), ring.dep_pool.used());
}

std::uint64_t Orchestrator::allocate(int ring_id, std::uint64_t bytes, std::uint32_t ordinal) {
  const RingState& ring = state_.ring(ring_id);
  bool waited = false;
  while (true) {
    state_.sync_heap_tail(ring_id);
    if (!window_has_room(ring.current_index, ring.last_task_alive, ring.config.task_window)) {
      PTOSIM_MARK("task window full");
      wait_for_reclaim(ring_id, WaitResource::task_window, 0, ordinal);
      waited = true;
      continue;
    }
    if (auto offset = state_.try_alloc_heap(ring_id, bytes)) {
      if (waited) monitor_.orchestrator_wait_satisfied();
      return *offset;
    }
    PTOSIM_MARK("heap full");
    wait_for_reclaim(ring_id, WaitResource::heap, bytes, ordinal);
    waited = true;
  }
}

void Orchestrator::ensure_dep_space(int ring_id, std::uint32_t entries, std::uint32_t ordinal) {
  bool waited = false;
  while (true) {
    if (state_.try_reserve_dep_entries(ring_id, entries)) {
      if (waited) monitor_.orchestrator_wait_satisfied();
      return;
    }
    // Reclaim only when short, and only after the watermark moved a cleanup interval.
    if (state_.reclaim_dep_pool(ring_id)) {
      PTOSIM_MARK("dep pool reclaim when short");
      continue;
    }
    PTOSIM_MARK("dep pool full");
    wait_for_reclaim(ring_id, WaitResource::dep_pool, entries, ordinal);
    waited = true;
  }
}

void Orchestrator::ensure_spill_space(int ring_id, std::uint32_t local_id, std::uint32_t entries,
                                      std::uint32_t ordinal) {
  PTOSIM_MARK("fanin spill");
  bool waited = false;
  while (true) {
    if (state_.try_reserve_spill_entries(ring_id, local_id, entries)) {
      if (waited) monitor_.orchestrator_wait_satisfied();
      return;
    }
    // Reclaim only when short: scan the tasks that retired since the last scan.
    if (state_.reclaim_spill_pool(ring_id)) {
      PTOSIM_MARK("fanin spill reclaim when short");
      continue;
    }
    PTOSIM_MARK("fanin spill pool full");
    wait_for_reclaim(ring_id, WaitResource::fanin_spill, entries, ordinal);
    waited = true;
  }
}

void Orchestrator::ensure_tensormap_space(int ring_id, std::uint32_t entries, std::uint32_t ordinal) {
  if (state_.tensormap_available() >= entries) return;
  PTOSIM_MARK("tensormap pool full");
  // Reclaim across all rings, then spin until entries are actually freed; the backstop's clock
  // restarts whenever some are (ensure_tensormap_capacity).
  if (state_.reclaim_tensormap_all() > 0 && state_.tensormap_available() >= entries) {
    PTOSIM_MARK("tensormap reclaim when short");
    return;
  }
  state_.begin_wait(BlockedWait{true, WaitResource::tensormap, static_cast<std::uint8_t>(ring_id), entries, ordinal,
                                simcore::now()});
  state_.events().record(simcore::EventKind::blocked, simcore::now(), ordinal, lane_,
                         static_cast<int>(WaitResource::tensormap));
  const TimeNs spin_ns = clock_.loop_iteration_ns(simcore::LoopKind::spin, ordinal,
                                                  static_cast<std::uint32_t>(WaitResource::tensormap));
  const TimeNs waited_from_ns = simcore::now();
  simcore::WaitLoop spins = clock_.begin_loop(spin_ns, waited_from_ns);
  TimeNs progress_ns = waited_from_ns;
  // With batched publication, no freed entry for the request timeout asks every ring for a
  // publication; no acknowledgment is awaited (ensure_tensormap_capacity has no structural check).
  const TimeNs request_after_ns =
      state_.config().publication_batched() ? state_.config().publication_request_timeout_ns : TIME_NEVER;
  bool requested = false;
  // Bounded: each pass returns, restarts the clock after freed entries, posts the requests (once
  // per stretch without freed entries), or fires the backstop (once per run; afterwards the wait
  // has no bound and ends with the run).
  while (state_.tensormap_available() < entries) {
    const TimeNs request_at_ns = requested ? TIME_NEVER : add_ns(progress_ns, request_after_ns);
    const TimeNs backstop_ns = monitor_.detectors_silenced()
                                   ? TIME_NEVER
                                   : add_ns(progress_ns, state_.config().detectors.no_reclaim_timeout_ns);
    const simcore::LoopEnd end =
        clock_.run_loop(spins, state_.any_ring_progress(), simcore::NO_ITERATION_LIMIT, std::min(backstop_ns, request_at_ns));
    if (requested) state_.take_all_publication_acks();
    if (state_.reclaim_tensormap_all() > 0) {
      progress_ns = simcore::now();
      requested = false;
      continue;
    }
    if (end == simcore::LoopEnd::signaled) continue;
    if (simcore::now() >= request_at_ns) {
      requested = true;
      state_.request_all_publications();
      continue;
    }
    if (simcore::now() < backstop_ns) continue;
    PTOSIM_MARK("tensormap backstop");
    RuntimeReport report = orchestrator_report(ErrorCode::tensormap_overflow, ring_id, "500 ms TensorMap backstop");
    const std::string block = format_tensormap_fatal(state_, entries);
    report.message = block + format_host_failure(report.code, block.substr(0, block.find('\n')),
                                                 "raise PTO2_TENSORMAP_POOL_SIZE (compile time) or end scopes earlier "
                                                 "so that their writers retire");
    monitor_.detector_fired(std::move(report), DetectorSite::orchestrator);
  }
  for (int r = 0; r < MAX_RING_DEPTH; ++r) state_.withdraw_publication_request(r);
  state_.end_wait();
  monitor_.orchestrator_wait_satisfied();
  state_.timing().orchestrator_blocked(ring_id, static_cast<int>(WaitResource::tensormap), waited_from_ns, simcore::now());
  state_.events().record(simcore::EventKind::unblocked, simcore::now(), ordinal, lane_,
                         static_cast<int>(WaitResource::tensormap));
}

void Orchestrator::fire_reclaim_detector(const RingState& ring, const std::string& detector, const ReclaimFatal& fatal) {
  RuntimeReport report = orchestrator_report(code_for(fatal.resource), ring.id, detector);
  const std::string block = format_reclaim_fatal(state_, ring, fatal);
  const char* hint = fatal.resource == WaitResource::heap        ? "raise PTO2_RING_HEAP or release buffers earlier"
                     : fatal.resource == WaitResource::dep_pool ? "raise PTO2_RING_DEP_POOL"
                     : fatal.resource == WaitResource::fanin_spill
                         ? "raise PTO2_RING_DEP_POOL (it sizes the fanin spill pool too) or give tasks fewer producers"
                                                                : "raise PTO2_RING_TASK_WINDOW or end scopes earlier";
  report.message = block + format_host_failure(report.code, block.substr(0, block.find('\n')), hint);
  monitor_.detector_fired(std::move(report), DetectorSite::orchestrator);
}

void Orchestrator::wait_for_reclaim(int ring_id, WaitResource resource, std::uint64_t requested,
                                    std::uint32_t ordinal) {
  const RingState& ring = state_.ring(ring_id);
  state_.begin_wait(BlockedWait{true, resource, ring.id, requested, ordinal, simcore::now()});
  state_.events().record(simcore::EventKind::blocked, simcore::now(), ordinal, lane_, static_cast<int>(resource));
  const std::uint32_t start_alive = ring.last_task_alive;
  // One spin's duration (on the simulator board a host cost: pause + sched_yield) is a decision
  // per wait, keyed by the task being allocated or wired. It is drawn whether or not the
  // detectors still listen, so the deadlock-truth continuation never changes what the log holds.
  const TimeNs spin_ns =
      clock_.loop_iteration_ns(simcore::LoopKind::spin, ordinal, static_cast<std::uint32_t>(resource));
  simcore::WaitLoop spins = clock_.begin_loop(spin_ns, simcore::now());
  ReclaimWait wait;
  // The spill pool's wait has no structural check, only the backstop (the runtime's
  // PTO2FaninPool::ensure_space).
  wait.structural_pending = resource != WaitResource::fanin_spill;
  // With batched publication the published watermark may trail the schedulers' own: a structural
  // verdict needs an acknowledged (exact) one, and a wait without published progress asks for it
  // after the request timeout (PR #1575). The request is liveness, not a detector: it stays on
  // in the deadlock-truth continuation.
  wait.synchronized = !state_.config().publication_batched();
  wait.request_at_ns = wait.synchronized ? TIME_NEVER
                                         : add_ns(spins.start_ns, state_.config().publication_request_timeout_ns);

  // Bounded: every pass either returns, posts the request (once), takes the acknowledgment,
  // fires a detector (at most once per run) or retires the structural check; after firing, the
  // wait has no bound and ends with the run.
  while (ring.last_task_alive == start_alive) {
    if (!wait.synchronized && wait.requested && state_.take_publication_ack(ring_id)) wait.synchronized = true;
    const ReclaimBounds bounds = reclaim_bounds(wait, spins);
    const simcore::LoopEnd end = clock_.run_loop(spins, state_.ring_progress(ring_id), bounds.spin_limit, bounds.deadline_ns);
    if (ring.last_task_alive != start_alive) break;
    if (simcore::now() >= wait.request_at_ns) {
      wait.request_at_ns = TIME_NEVER;
      wait.requested = true;
      state_.request_publication(ring_id);
      continue;
    }
    if (end == simcore::LoopEnd::signaled) continue;
    judge_reclaim_wait(ring, wait, resource, requested);
  }
  state_.withdraw_publication_request(ring_id);
  state_.end_wait();
  state_.timing().orchestrator_blocked(ring.id, static_cast<int>(resource), spins.start_ns, simcore::now());
  state_.events().record(simcore::EventKind::unblocked, simcore::now(), ordinal, lane_, static_cast<int>(resource));
}

Orchestrator::ReclaimBounds Orchestrator::reclaim_bounds(const ReclaimWait& wait, const simcore::WaitLoop& spins) const {
  // The legacy heuristic counts spins; the current code runs its structural check after 1024
  // spins (once the watermark is exact) and watches the wall clock. Spins count only while this
  // thread runs.
  const DetectorConfig& detectors = state_.config().detectors;
  ReclaimBounds bounds;
  if (!monitor_.detectors_silenced()) {
    if (detectors.kind == DetectorKind::legacy) {
      bounds.spin_limit = detectors.orchestrator_spin_limit;
    } else if (wait.structural_pending && wait.synchronized) {
      bounds.spin_limit = detectors.structural_check_spins;
    } else {
      bounds.deadline_ns = add_ns(spins.start_ns, detectors.no_reclaim_timeout_ns);
    }
  }
  bounds.deadline_ns = std::min(bounds.deadline_ns, wait.request_at_ns);
  return bounds;
}

void Orchestrator::judge_reclaim_wait(const RingState& ring, ReclaimWait& wait, WaitResource resource,
                                      std::uint64_t requested) {
  ReclaimFatal fatal;
  fatal.resource = resource;
  fatal.requested = requested;
  if (state_.config().detectors.kind == DetectorKind::legacy) {
    fatal.verdict = ReclaimVerdict::legacy_spins;
    fatal.spins = state_.config().detectors.orchestrator_spin_limit;
    PTOSIM_MARK("legacy spin limit");
    fire_reclaim_detector(ring, "legacy spin limit", fatal);
    return;
  }
  if (wait.structural_pending && wait.synchronized) {
    wait.structural_pending = false;
    // Structural head-of-line check: the ring's head is the oldest task of the open scope
    // that owns this ring; that scope cannot end while we wait, so the head never retires.
    const auto& stack = state_.scope_stack();
    if (ring.last_task_alive < ring.current_index && static_cast<std::size_t>(ring.id) < stack.size()) {
      const ScopeFrame& owner = stack[ring.id];
      const auto& scope_tasks = state_.scope_tasks();
      const std::uint32_t head = ring.ordinals[ring.last_task_alive];
      if (owner.first_task < scope_tasks.size() && scope_tasks[owner.first_task] == head) {
        PTOSIM_MARK("structural head-of-line");
        fatal.verdict = ReclaimVerdict::structural;
        fatal.scope_depth = owner.depth;
        fire_reclaim_detector(ring, "structural head-of-line check", fatal);
      }
    }
    return;
  }
  if (wait.structural_pending) PTOSIM_MARK("backstop before an acknowledged watermark");
  PTOSIM_MARK("reclaim backstop");
  fatal.verdict = ReclaimVerdict::backstop;
  fire_reclaim_detector(ring, "500 ms reclaim backstop", fatal);
}

}  // namespace ptosim::runtime
