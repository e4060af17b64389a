#include "runtime/snapshot_capture.h"

namespace ptosim::runtime {

namespace {

const char* kind_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::kernel: return "kernel";
    case TaskKind::alloc: return "alloc";
    case TaskKind::dummy: return "dummy";
  }
  return "?";
}

}  // namespace

TaskView describe_task(const RuntimeState& state, const TaskRecord& task) {
  TaskView view;
  view.task_id = task.task_id();
  view.ordinal = task.ordinal;
  view.name = state.program().task_name(task.ordinal);
  view.ring = task.ring;
  view.local_id = task.local_id;
  TaskPhase phase = task.phase();
  view.state = std::string(to_string(phase));
  view.state_number = five_state_number(phase);
  view.stored_state = static_cast<int>(task.state);
  view.fanin_refcount = task.fanin_refcount;
  view.fanin_count = task.fanin_count;
  view.consumers_released = task.consumers_released;
  view.consumers_claimed = task.consumers_claimed;
  view.scope_released = task.scope_released;
  view.scope_depth = task.scope_depth;
  view.kind = kind_name(task.kind);
  if (task.kind == TaskKind::kernel) view.kernel = state.kernels().at(task.kernel).name;
  if (task.running || task.early == EarlyState::staging) {
    // Every core running one of its blocks (an SPMD task's blocks may sit on several threads),
    // or holding one pre-staged behind its doorbell (early dispatch).
    for (int core : state.cores_of(task.ordinal)) view.cores.push_back(state.topology().core_name(core));
  }
  for (const FaninEdge& edge : state.producers(task)) {
    if (edge.wait) view.producers.push_back(edge.producer);
  }
  view.consumers = state.consumers(task);
  return view;
}

namespace {

bool finished_phase(TaskPhase phase) { return phase == TaskPhase::completed || phase == TaskPhase::consumed; }

// The first READY or RUNNING task on the head's chain (breadth first, so the shortest chain):
// from an unfinished task to its unfinished WAIT producers, from a finished task whose consumers
// have not all released it to those consumers (replay/snapshot_render.cpp draws the same links).
// Only a task there can move the head the detector watches; a READY task elsewhere is no evidence.
std::optional<std::uint32_t> progress_on_head_chain(const RuntimeState& state, int ring) {
  const RingState& head_ring = state.ring(ring);
  if (head_ring.last_task_alive >= head_ring.current_index) return std::nullopt;
  const std::uint32_t head = head_ring.ordinals[head_ring.last_task_alive];
  std::vector<std::uint32_t> frontier{head};
  std::vector<bool> seen(state.tasks().size(), false);
  seen[head] = true;
  // Bounded by the tasks alive: each is visited once.
  for (std::size_t i = 0; i < frontier.size(); ++i) {
    const TaskRecord& task = state.tasks()[frontier[i]];
    const TaskPhase phase = task.phase();
    if (phase == TaskPhase::ready || phase == TaskPhase::running) return task.ordinal;
    auto visit = [&](std::uint32_t next) {
      if (next >= seen.size() || seen[next]) return;
      seen[next] = true;
      frontier.push_back(next);
    };
    if (!finished_phase(phase)) {
      for (const FaninEdge& edge : state.producers(task)) {
        if (edge.wait && !finished_phase(state.tasks()[edge.producer].phase())) visit(edge.producer);
      }
    } else if (task.consumers_released < task.consumers_claimed) {
      for (std::uint32_t consumer : state.consumers(task)) {
        if (state.tasks()[consumer].phase() != TaskPhase::consumed) visit(consumer);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint32_t> find_progress_task(const RuntimeState& state, int ring_hint) {
  if (ring_hint >= 0) {
    if (auto on_chain = progress_on_head_chain(state, ring_hint)) return on_chain;
  }
  auto scan = [&](TaskPhase wanted, int only_ring) -> std::optional<std::uint32_t> {
    for (int r = 0; r < MAX_RING_DEPTH; ++r) {
      if (only_ring >= 0 && r != only_ring) continue;
      const RingState& ring = state.ring(r);
      for (std::uint32_t local = ring.last_task_alive; local < ring.current_index; ++local) {
        const TaskRecord& task = state.tasks()[ring.ordinals[local]];
        if (task.phase() == wanted) return task.ordinal;
      }
    }
    return std::nullopt;
  };
  for (TaskPhase wanted : {TaskPhase::ready, TaskPhase::running, TaskPhase::completed}) {
    if (auto hit = scan(wanted, ring_hint)) return hit;
    if (auto hit = scan(wanted, -1)) return hit;
  }
  return std::nullopt;
}

StateSnapshot capture_snapshot(const RuntimeState& state, const std::vector<ActorView>& actors,
                               std::optional<std::uint32_t> progress_task) {
  StateSnapshot snap;
  snap.time_ns = simcore::now();
  snap.completed_tasks = state.completed_tasks();
  snap.total_tasks = state.tasks_allocated();
  snap.program_tasks = state.program().task_count;
  snap.orchestration_done = state.orchestration_done();
  snap.progress_task = progress_task;
  if (state.blocked().active) snap.blocked_ring = state.blocked().ring;
  for (int r = 0; r < MAX_RING_DEPTH; ++r) {
    const RingState& ring = state.ring(r);
    if (ring.current_index == 0) continue;
    RingView view;
    view.id = static_cast<std::uint32_t>(r);
    view.current_index = ring.current_index;
    view.last_task_alive = ring.last_task_alive;
    if (state.config().publication_batched()) view.scheduler_last_task_alive = ring.sched_alive;
    view.task_window = ring.config.task_window;
    view.heap_top = ring.heap.top();
    view.heap_tail = ring.heap.tail();
    view.heap_size = ring.heap.capacity();
    view.heap_used = ring.heap.used();
    view.dep_pool_used = ring.dep_pool.used();
    view.dep_pool_capacity = ring.dep_pool.capacity();
    view.dep_pool_high_water = ring.dep_pool.high_water();
    for (std::uint32_t local = ring.last_task_alive; local < ring.current_index; ++local) {
      if (view.tasks.size() >= SNAPSHOT_MAX_TASKS_PER_RING) {
        view.tasks_truncated = true;
        break;
      }
      TaskView task = describe_task(state, state.tasks()[ring.ordinals[local]]);
      task.could_progress = progress_task.has_value() && *progress_task == task.ordinal;
      view.tasks.push_back(std::move(task));
    }
    snap.rings.push_back(std::move(view));
  }
  const auto& stack = state.scope_stack();
  const auto& scope_tasks = state.scope_tasks();
  for (std::size_t level = 0; level < stack.size(); ++level) {
    const ScopeFrame& frame = stack[level];
    std::size_t end = level + 1 < stack.size() ? stack[level + 1].first_task : scope_tasks.size();
    ScopeView scope;
    scope.depth = frame.depth;
    scope.mode = to_string(frame.mode);
    scope.task_count = static_cast<std::uint32_t>(end - frame.first_task);
    if (scope.task_count > 0) {
      scope.oldest_task_id = state.tasks()[scope_tasks[frame.first_task]].task_id();
    }
    scope.deferred_publish = frame.deferred;
    scope.unpublished = static_cast<std::uint32_t>(frame.unpublished.size() - frame.wired);
    snap.scopes.push_back(std::move(scope));
  }
  snap.actors = actors;
  return snap;
}

}  // namespace ptosim::runtime
