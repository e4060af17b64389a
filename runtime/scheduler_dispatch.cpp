// The dispatch half of a scheduler thread's loop (the runtime's scheduler_dispatch.cpp): which free
// core or cluster takes which READY task, and the register writes that publish it to the core.
#include "runtime/scheduler_thread.h"

#include "simcore/model_assert.h"

#include <algorithm>
#include <span>

namespace ptosim::runtime {

using hwmodel::CoreKind;
using hwmodel::TaskShape;

namespace {
ScopeMode scope_mode(const TaskRecord& task) { return task.manual ? ScopeMode::manual : ScopeMode::automatic; }
}  // namespace

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

void SchedulerThread::collect_free_placements(TaskShape shape) {
  placements_.clear();
  if (shape == TaskShape::mix) {
    for (std::size_t i = 0; i + 2 < cores_.size(); i += 3) {
      if (cores_[i].task == NO_INDEX && cores_[i + 1].task == NO_INDEX && cores_[i + 2].task == NO_INDEX) {
        Placement placement;
        placement.slots = {static_cast<std::uint16_t>(i), static_cast<std::uint16_t>(i + 1), static_cast<std::uint16_t>(i + 2)};
        placement.count = 3;
        placements_.push_back(placement);
      }
    }
    return;
  }
  for (std::size_t i = 0; i < cores_.size(); ++i) {
    if (cores_[i].task != NO_INDEX) continue;
    if ((shape == TaskShape::aic) != (cores_[i].kind == CoreKind::aic)) continue;
    Placement placement;
    placement.slots[0] = static_cast<std::uint16_t>(i);
    placement.count = 1;
    placements_.push_back(placement);
  }
}

TimeNs SchedulerThread::dispatch_ready_tasks(bool& progress) {
  // MIX first, then AIC/AIV in an order that alternates with the thread's parity.
  TimeNs cost_ns = 0;
  PTOSIM_ASSERT(assignments_.empty(), "an iteration began before the last one wrote its registers");
  if (state_.any_sync_ready()) {
    // Tier 0: READY sync_start cohorts take cores first; entering the drain stops dispatch.
    bool drain_entered = false;
    cost_ns = dispatch_sync_cohorts(progress, drain_entered);
    if (drain_entered) return cost_ns;
  }
  const TaskShape first = index_ % 2 == 0 ? TaskShape::aic : TaskShape::aiv;
  const TaskShape second = index_ % 2 == 0 ? TaskShape::aiv : TaskShape::aic;
  for (TaskShape shape : {TaskShape::mix, first, second}) {
    const auto& queue = state_.ready_queue(shape);
    while (!queue.empty()) {
      collect_free_placements(shape);
      if (placements_.empty()) break;
      // Tasks that became ready at the same instant have no order between them in the MPMC
      // queue, so which of them this thread pops is a decision among those tasks; so is which
      // free core (or cluster) gets it, keyed by the task.
      std::uint64_t tied_tasks[MAX_TIED_READY];
      std::size_t tied = 0;
      const TimeNs front_ready_ns = state_.task(queue.front()).ready_ns;
      while (tied < queue.size() && tied < MAX_TIED_READY && state_.task(queue[tied]).ready_ns == front_ready_ns) {
        tied_tasks[tied] = queue[tied];
        ++tied;
      }
      const std::size_t taken = state_.decisions().choose(
          {ready_stream_, static_cast<std::uint64_t>(index_), static_cast<std::uint32_t>(shape)},
          std::span(tied_tasks, tied));
      const std::uint32_t ordinal = state_.take_ready(shape, taken);
      const TaskRecord& task = state_.task(ordinal);
      // claim_block_range: a contiguous range of blocks, one per free core (cluster for MIX).
      // Which free placement gets each block is a decision keyed by the task and the block.
      const std::uint32_t first_block = task.blocks_claimed;
      const std::uint32_t claimed =
          std::min<std::uint32_t>(task.block_num - first_block, static_cast<std::uint32_t>(placements_.size()));
      for (std::uint32_t b = 0; b < claimed; ++b) {
        const std::uint32_t block = first_block + b;
        placement_cores_.clear();
        for (const Placement& placement : placements_) placement_cores_.push_back(cores_[placement.slots[0]].core->id());
        // Each block is claimed once (asserted above): its core is chosen once.
        const std::size_t choice = state_.decisions().choose_once({core_stream_, ordinal, block}, std::span(placement_cores_));
        Assignment assignment{ordinal, block, placements_[choice]};
        // The next block of this claim picks among the placements left.
        if (b + 1 < claimed) placements_.erase(placements_.begin() + static_cast<std::ptrdiff_t>(choice));
        if (b == 0) {
          state_.claim_blocks(ordinal, claimed, static_cast<std::uint32_t>(index_),
                              static_cast<std::uint32_t>(cores_[assignment.placement.slots[0]].core->id()));
        }
        for (std::uint8_t k = 0; k < assignment.placement.count; ++k) {
          CoreSlot& slot = cores_[assignment.placement.slots[k]];
          slot.task = ordinal;
          slot.token = state_.next_dispatch_token();
          state_.set_core_task(slot.core->id(), ordinal);
          ++running_cores_;
          if (task.manual) ++running_manual_cores_;
        }
        cost_ns = add_ns(cost_ns, state_.costs().dispatch(scope_mode(task)));
        assignments_.push_back(assignment);
      }
      // Blocks remain: re-push the task so that other threads take the rest.
      if (task.blocks_claimed < task.block_num) state_.requeue(shape, ordinal);
      progress = true;
    }
  }
  return cost_ns;
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
    state_.describe_task(task, slot.token, descriptor_);
    descriptor_.block = assignment.block;
    descriptor_.block_num = task.block_num;
    const DurationRange range = state_.costs().kernel_range(task.ordinal, task.kernel, assignment.block);
    descriptor_.min_duration_ns = range.min_ns;
    descriptor_.max_duration_ns = range.max_ns;
    descriptor_.logs_accesses = k == 0;
    if (assignment.gated) {
      slot.core->write_gated(descriptor_, store_ns);
    } else {
      slot.core->write_task(descriptor_, store_ns);
    }
  }
}

}  // namespace ptosim::runtime
