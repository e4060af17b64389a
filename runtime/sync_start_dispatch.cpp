// sync_start cohorts (runtime-model.md §6.2, §6.3 step 4, §6.4): a task submitted with
// require_sync_start and block_num > 1 waits in its own ready queue (ready_sync_queues), served
// before the ready queues, and launches all its blocks at once: on the popping thread's own idle
// cores when they are enough (dispatch_shape's local path), else through the global drain
// (scheduler_completion.cpp: enter_drain_mode, handle_drain_mode). See sync_start_drain.h.
//
// Left out: Tier 0's MIX-residual gate (has_residual_sync_mix), the early-dispatch
// early_sync_start_queue and gated staging onto pending slots, the per-task register flush of a
// pop that holds a cohort (an iteration's registers are written at its end), the race of the
// threads' concurrent block claims (shares take block indices in thread order), and the order
// of cohorts that became ready at one instant (their queue pops first in, first out).
#include "runtime/scheduler_thread.h"

#include "simcore/marks.h"
#include "simcore/model_assert.h"

#include <algorithm>
#include <span>

namespace ptosim::runtime {

using hwmodel::TaskShape;

TimeNs SchedulerThread::dispatch_sync_cohorts(bool& progress, bool& drain_entered) {
  // Tier 0, in the order of the regular tier: MIX, then AIC/AIV by the thread's parity. A thread
  // pops a cohort only when it has a free core (cluster) of its shape, as dispatch_shape does.
  TimeNs cost_ns = 0;
  for (TaskShape shape : dispatch_order()) {
    while (!state_.ready_sync_queue(shape).empty()) {
      collect_free_placements(shape, DispatchPhase::idle);
      if (placements_.empty()) break;
      const std::uint32_t ordinal = state_.take_ready_sync(shape);
      if (placements_.size() >= state_.task(ordinal).block_num) {
        cost_ns = add_ns(cost_ns, launch_cohort_here(ordinal));
        progress = true;
        continue;
      }
      // Too few idle cores here: flush what this pop placed (it is in assignments_, written with
      // the iteration), then take the drain slot, or hand the cohort back when a peer holds it.
      // Either way this thread dispatches nothing more this iteration.
      if (drain_->try_enter(ordinal, simcore::now())) {
        PTOSIM_MARK("sync_start drain mode entered");
        // Every thread runs handle_drain_mode from its next iteration on: an idle one now.
        for (SchedulerThread* peer : peers_) {
          if (peer != this) peer->wake();
        }
      } else {
        state_.requeue_sync(shape, ordinal);
      }
      drain_entered = true;
      return cost_ns;
    }
  }
  return cost_ns;
}

SchedulerThread::Assignment SchedulerThread::occupy_block(std::uint32_t ordinal, std::uint32_t block) {
  // Which free placement takes the block is a decision keyed by the task and the block, as in
  // dispatch_ready_tasks; the chosen one leaves placements_.
  placement_cores_.clear();
  for (const Placement& placement : placements_) placement_cores_.push_back(cores_[placement.slots[0]].core->id());
  const std::size_t choice = state_.decisions().choose_once({core_stream_, ordinal, block}, std::span(placement_cores_));
  Assignment assignment{ordinal, block, placements_[choice]};
  placements_.erase(placements_.begin() + static_cast<std::ptrdiff_t>(choice));
  for (std::uint8_t k = 0; k < assignment.placement.count; ++k) occupy(cores_[assignment.placement.slots[k]], ordinal, false);
  return assignment;
}

TimeNs SchedulerThread::launch_cohort_here(std::uint32_t ordinal) {
  // The local path: every block on this thread's idle cores in this iteration, so all of them are
  // published with the iteration's one write barrier (one dispatch instant).
  const TaskRecord& task = state_.task(ordinal);
  PTOSIM_ASSERT(placements_.size() >= task.block_num, "a sync_start cohort launched on too few cores");
  TimeNs cost_ns = 0;
  for (std::uint32_t block = 0; block < task.block_num; ++block) {
    Assignment assignment = occupy_block(ordinal, block);
    if (block == 0) {
      state_.claim_blocks(ordinal, task.block_num, static_cast<std::uint32_t>(index_),
                          static_cast<std::uint32_t>(cores_[assignment.placement.slots[0]].core->id()));
    }
    assignments_.push_back(assignment);
    cost_ns = add_ns(cost_ns, state_.costs().dispatch(task.scope_mode()));
  }
  PTOSIM_MARK("sync_start cohort launched");
  state_.timing().sync_start_cohort(false, 0);
  return cost_ns;
}

std::uint32_t SchedulerThread::free_placement_count(TaskShape shape) {
  if (exited_) return 0;
  collect_free_placements(shape, DispatchPhase::idle);
  return static_cast<std::uint32_t>(placements_.size());
}

void SchedulerThread::stage_share(std::uint32_t ordinal, std::uint32_t count, SchedulerThread& coordinator) {
  // stage_sync_start_cores: this thread's share of the cohort, a contiguous range of block
  // indices on its own idle cores. Every register is written when the gate reopens: with the
  // coordinator's iteration, once the largest share is staged.
  const TaskRecord& task = state_.task(ordinal);
  collect_free_placements(task.shape, DispatchPhase::idle);
  PTOSIM_ASSERT(count <= placements_.size(), "a drain share larger than the thread's idle cores");
  const std::uint32_t first_block = task.blocks_claimed;
  for (std::uint32_t b = 0; b < count; ++b) {
    const Assignment assignment = occupy_block(ordinal, first_block + b);
    if (b == 0) {
      state_.claim_blocks(ordinal, count, static_cast<std::uint32_t>(index_),
                          static_cast<std::uint32_t>(cores_[assignment.placement.slots[0]].core->id()));
    }
    coordinator.staged_.emplace_back(this, assignment);
  }
}

void SchedulerThread::write_staged() {
  for (const auto& [owner, assignment] : staged_) owner->write_assignment(assignment, busy_until_ns_);
  staged_.clear();
}

TimeNs SchedulerThread::handle_drain_mode(bool& progress) {
  // Every thread acknowledges the attempt under way; a follower then lets the coordinator look
  // (it spins on the barrier in the runtime) and goes back to polling its cores.
  drain_->acknowledge(index_);
  if (index_ != 0) {
    drain_->request_check();
    peers_.front()->wake();
    return 0;
  }
  drain_->take_check();
  // Coordinator. The ack barrier: a waiting peer spins in handle_drain_mode and acknowledges
  // each attempt at once; a peer that left the loop (the run is over) is not waited for (#1073).
  for (const SchedulerThread* peer : peers_) {
    if (!peer->exited_ && !peer->waiting_ && !drain_->acknowledged(peer->index_)) return 0;
  }
  const TaskRecord& task = state_.task(drain_->task());
  std::vector<std::uint32_t> shares(peers_.size(), 0);
  std::uint32_t available = 0;
  for (std::size_t t = 0; t < peers_.size(); ++t) {
    shares[t] = peers_[t]->free_placement_count(task.shape);
    available += shares[t];
  }
  if (available < task.block_num) {
    // Too few idle cores: a new attempt; threads keep completing tasks and acknowledge it.
    drain_->retry();
    state_.timing().sync_start_drain_retry();
    return 0;
  }
  // Every thread stages its share in parallel (block indices claimed in thread order here); the
  // gate reopens when the largest share is published, and all registers land then: at the end
  // of this iteration, whose cost includes the largest share's.
  std::uint32_t left = task.block_num;
  TimeNs stage_ns = 0;
  for (std::uint32_t& share : shares) {
    share = std::min(share, left);
    left -= share;
    TimeNs share_ns = 0;
    for (std::uint32_t b = 0; b < share; ++b) share_ns = add_ns(share_ns, state_.costs().dispatch(task.scope_mode()));
    stage_ns = std::max(stage_ns, share_ns);
  }
  const std::uint32_t ordinal = drain_->task();
  for (std::size_t t = 0; t < peers_.size(); ++t) {
    if (shares[t] > 0) peers_[t]->stage_share(ordinal, shares[t], *this);
  }
  const TimeNs held_ns = drain_->release(add_ns(simcore::now(), stage_ns));
  PTOSIM_MARK("sync_start drain released");
  PTOSIM_MARK("sync_start cohort launched");
  state_.timing().sync_start_cohort(true, held_ns);
  for (SchedulerThread* peer : peers_) {
    if (peer != this) peer->wake();  // dispatch resumes
  }
  progress = true;
  return stage_ns;
}

}  // namespace ptosim::runtime
