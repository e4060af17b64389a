// The dispatch half of a scheduler thread's loop (the runtime's scheduler_dispatch.cpp): which free
// core or cluster takes which READY task, and the register writes that publish it to the core.
#include "runtime/scheduler_thread.h"

#include "simcore/marks.h"
#include "simcore/model_assert.h"

#include <algorithm>
#include <span>

namespace ptosim::runtime {

using hwmodel::CoreKind;
using hwmodel::TaskShape;

bool SchedulerThread::has_free_core(TaskShape shape) const {
  switch (shape) {
    case TaskShape::aic:
    case TaskShape::aiv:
      for (const CoreSlot& slot : cores_) {
        if (slot.task != NO_INDEX) continue;
        if ((shape == TaskShape::aic) == (slot.kind == CoreKind::aic)) return true;
      }
      return false;
    case TaskShape::mix:
      for (std::size_t i = 0; i + 2 < cores_.size(); i += 3) {
        if (cores_[i].task == NO_INDEX && cores_[i + 1].task == NO_INDEX && cores_[i + 2].task == NO_INDEX) return true;
      }
      return false;
    case TaskShape::dummy: return index_ < 3;
  }
  return false;
}

bool SchedulerThread::pending_slot_free(const CoreSlot& slot) const {
  // The runtime's pending_occupied bit: set by every dispatch to the core, cleared once the
  // thread sees the core ACK its running task (it has latched that token, so the register may be
  // written again) or when the core goes idle.
  if (slot.task == NO_INDEX || slot.pending_task != NO_INDEX) return false;
  return slot.core->ack_visible_ns(slot.token) <= simcore::now();
}

bool SchedulerThread::has_pending_capacity(TaskShape shape) const {
  if (shape == TaskShape::dummy) return false;
  if (shape == TaskShape::mix) {
    // A cluster takes a MIX block when each core has a free slot and one of them is busy.
    for (std::size_t i = 0; i + 2 < cores_.size(); i += 3) {
      bool all_free = true;
      bool any_busy = false;
      for (std::size_t k = i; k < i + 3; ++k) {
        any_busy = any_busy || cores_[k].task != NO_INDEX;
        all_free = all_free && (cores_[k].task == NO_INDEX || pending_slot_free(cores_[k]));
      }
      if (all_free && any_busy) return true;
    }
    return false;
  }
  for (const CoreSlot& slot : cores_) {
    if ((shape == TaskShape::aic) != (slot.kind == CoreKind::aic)) continue;
    if (pending_slot_free(slot)) return true;
  }
  return false;
}

bool SchedulerThread::peer_has_idle_core(TaskShape shape) const {
  // has_idle_in_other_threads: a peer's next IDLE pass takes the task sooner than a pending
  // slot here would start it.
  for (const SchedulerThread* peer : peers_) {
    if (peer != this && !peer->exited_ && peer->has_free_core(shape)) return true;
  }
  return false;
}

bool SchedulerThread::pending_phase_open(TaskShape shape) const {
  return state_.config().dispatch.pending_slot && shape != TaskShape::dummy && !peer_has_idle_core(shape);
}

void SchedulerThread::collect_free_placements(TaskShape shape, DispatchPhase phase) {
  placements_.clear();
  const bool pending = phase == DispatchPhase::pending;
  if (shape == TaskShape::mix) {
    for (std::size_t i = 0; i + 2 < cores_.size(); i += 3) {
      // IDLE: the whole cluster idle. PENDING (PR #1308): every core has a free slot and at least
      // one is busy; an idle core takes its running slot, a busy one its pending slot.
      Placement placement;
      placement.count = 3;
      bool eligible = true;
      for (std::uint8_t k = 0; k < 3; ++k) {
        const CoreSlot& slot = cores_[i + k];
        placement.slots[k] = static_cast<std::uint16_t>(i + k);
        if (slot.task == NO_INDEX) continue;
        eligible = eligible && pending && pending_slot_free(slot);
        placement.to_pending = static_cast<std::uint8_t>(placement.to_pending | (1u << k));
      }
      if (eligible && (placement.to_pending != 0) == pending) placements_.push_back(placement);
    }
    return;
  }
  for (std::size_t i = 0; i < cores_.size(); ++i) {
    if ((shape == TaskShape::aic) != (cores_[i].kind == CoreKind::aic)) continue;
    if (pending ? !pending_slot_free(cores_[i]) : cores_[i].task != NO_INDEX) continue;
    Placement placement;
    placement.slots[0] = static_cast<std::uint16_t>(i);
    placement.count = 1;
    placement.to_pending = pending ? 1 : 0;
    placements_.push_back(placement);
  }
}

TimeNs SchedulerThread::dispatch_ready_tasks(bool& progress) {
  PTOSIM_ASSERT(assignments_.empty(), "an iteration began before the last one wrote its registers");
  TimeNs cost_ns = 0;
  if (state_.any_sync_ready()) {
    // Tier 0: READY sync_start cohorts take idle cores first (the runtime re-pushes them rather
    // than use a pending slot); entering the drain stops dispatch.
    bool drain_entered = false;
    cost_ns = dispatch_sync_cohorts(progress, drain_entered);
    if (drain_entered) return cost_ns;
  }
  cost_ns = add_ns(cost_ns, dispatch_idle_phase(progress));
  // PMU mode (single-issue counters) has no PENDING phase; neither has a run with the switch off.
  if (state_.config().dispatch.pending_slot) cost_ns = add_ns(cost_ns, dispatch_pending_phase(progress));
  return cost_ns;
}

std::array<TaskShape, 3> SchedulerThread::dispatch_order() const {
  if (index_ % 2 == 0) return {TaskShape::mix, TaskShape::aic, TaskShape::aiv};
  return {TaskShape::mix, TaskShape::aiv, TaskShape::aic};
}

TimeNs SchedulerThread::dispatch_idle_phase(bool& progress) {
  // MIX first, then AIC/AIV in an order that alternates with the thread's parity.
  TimeNs cost_ns = 0;
  for (TaskShape shape : dispatch_order()) cost_ns = add_ns(cost_ns, dispatch_shape(shape, DispatchPhase::idle, progress));
  return cost_ns;
}

TimeNs SchedulerThread::dispatch_pending_phase(bool& progress) {
  // Same order; each shape only when no peer thread has an idle core for it: that peer's next
  // IDLE pass takes the task (a delay, not a loss).
  TimeNs cost_ns = 0;
  for (TaskShape shape : dispatch_order()) {
    if (state_.ready_queue(shape).empty()) continue;
    if (peer_has_idle_core(shape)) {
      PTOSIM_MARK("pending phase skipped: a peer has an idle core");
      continue;
    }
    cost_ns = add_ns(cost_ns, dispatch_shape(shape, DispatchPhase::pending, progress));
  }
  return cost_ns;
}

TimeNs SchedulerThread::dispatch_shape(TaskShape shape, DispatchPhase phase, bool& progress) {
  TimeNs cost_ns = 0;
  const auto& queue = state_.ready_queue(shape);
  while (!queue.empty()) {
    collect_free_placements(shape, phase);
    if (placements_.empty()) break;
    // Tasks that became ready at the same instant have no order between them in the MPMC
    // queue, so which of them this thread pops is a decision among those tasks.
    std::uint64_t tied_tasks[MAX_TIED_READY];
    std::size_t tied = 0;
    const TimeNs front_ready_ns = state_.task(queue.front()).ready_ns;
    while (tied < queue.size() && tied < MAX_TIED_READY && state_.task(queue[tied]).ready_ns == front_ready_ns) {
      tied_tasks[tied] = queue[tied];
      ++tied;
    }
    const std::size_t taken = state_.decisions().choose(
        {ready_stream_, static_cast<std::uint64_t>(index_), static_cast<std::uint32_t>(shape)}, std::span(tied_tasks, tied));
    const std::uint32_t ordinal = state_.take_ready(shape, taken);
    cost_ns = add_ns(cost_ns, claim_blocks_to_placements(ordinal));
    // Blocks remain: re-push the task so that other threads take the rest.
    const TaskRecord& task = state_.task(ordinal);
    if (task.blocks_claimed < task.block_num) state_.requeue(shape, ordinal);
    progress = true;
  }
  return cost_ns;
}

TimeNs SchedulerThread::claim_blocks_to_placements(std::uint32_t ordinal) {
  // claim_block_range: a contiguous range of blocks, one per placement. Which placement gets
  // each block is a decision keyed by the task and the block (each block is claimed once).
  const TaskRecord& task = state_.task(ordinal);
  const std::uint32_t first_block = task.blocks_claimed;
  const std::uint32_t claimed =
      std::min<std::uint32_t>(task.block_num - first_block, static_cast<std::uint32_t>(placements_.size()));
  TimeNs cost_ns = 0;
  for (std::uint32_t b = 0; b < claimed; ++b) {
    const std::uint32_t block = first_block + b;
    placement_cores_.clear();
    for (const Placement& placement : placements_) placement_cores_.push_back(cores_[placement.slots[0]].core->id());
    const std::size_t choice = state_.decisions().choose_once({core_stream_, ordinal, block}, std::span(placement_cores_));
    Assignment assignment{ordinal, block, placements_[choice]};
    // The next block of this claim picks among the placements left.
    if (b + 1 < claimed) placements_.erase(placements_.begin() + static_cast<std::ptrdiff_t>(choice));
    if (b == 0) {
      state_.claim_blocks(ordinal, claimed, static_cast<std::uint32_t>(index_),
                          static_cast<std::uint32_t>(cores_[assignment.placement.slots[0]].core->id()));
    }
    for (std::uint8_t k = 0; k < assignment.placement.count; ++k) {
      occupy(cores_[assignment.placement.slots[k]], ordinal, (assignment.placement.to_pending >> k) & 1u);
    }
    cost_ns = add_ns(cost_ns, state_.costs().dispatch(task.scope_mode()));
    assignments_.push_back(assignment);
  }
  return cost_ns;
}

void SchedulerThread::occupy(CoreSlot& slot, std::uint32_t ordinal, bool to_pending) {
  if (to_pending) {
    PTOSIM_ASSERT(pending_slot_free(slot), "a pending slot filled before the running task's ACK was seen");
    PTOSIM_MARK("pending slot dispatched");
    slot.pending_task = ordinal;
    slot.pending_token = state_.next_dispatch_token();
    return;
  }
  PTOSIM_ASSERT(slot.task == NO_INDEX, "a running slot filled twice");
  slot.task = ordinal;
  slot.token = state_.next_dispatch_token();
  state_.set_core_task(slot.core->id(), ordinal);
  ++running_cores_;
  if (state_.task(ordinal).manual) ++running_manual_cores_;
}

void SchedulerThread::write_assignments() {
  for (const Assignment& assignment : assignments_) write_assignment(assignment, busy_until_ns_);
  assignments_.clear();
}

void SchedulerThread::write_assignment(const Assignment& assignment, TimeNs store_ns) {
  const TaskRecord& task = state_.task(assignment.task);
  for (std::uint8_t k = 0; k < assignment.placement.count; ++k) {
    const std::size_t slot_index = assignment.placement.slots[k];
    CoreSlot& slot = cores_[slot_index];
    state_.events().record_at(simcore::EventKind::dispatch, store_ns, task.ordinal,
                              state_.lanes().first_core + static_cast<std::uint32_t>(slot.core->id()),
                              static_cast<std::int64_t>(lane_));
    const bool to_pending = (assignment.placement.to_pending >> k) & 1u;
    state_.describe_task(task, to_pending ? slot.pending_token : slot.token, descriptor_);
    descriptor_.block = assignment.block;
    descriptor_.block_num = task.block_num;
    const DurationRange range = state_.costs().kernel_range(task.ordinal, task.kernel, assignment.block);
    descriptor_.min_duration_ns = range.min_ns;
    descriptor_.max_duration_ns = range.max_ns;
    descriptor_.logs_accesses = k == 0;
    if (assignment.gated) {
      slot.core->write_gated(descriptor_, store_ns);
    } else if (to_pending) {
      slot.core->write_pending(descriptor_, store_ns);
    } else {
      slot.core->write_task(descriptor_, store_ns);
    }
  }
}

}  // namespace ptosim::runtime
