// Early dispatch (runtime-model.md §6.6; the runtime's RUNTIME_LOGIC.md §8.6, pto_scheduler.h
// propagate_dispatch_fanin / try_enqueue_early_dispatch_candidate / try_early_dispatch_release,
// scheduler_dispatch.cpp try_early_dispatch / early_dispatch_shape / stage_consumer_blocks).
//
// A task whose every producer sets allow_early_resolve becomes a candidate once each producer
// is fully published (all its blocks handed to cores): it goes to early_dispatch_queues[shape]
// (256 entries; a full queue leaves it to the ordinary ready path). A scheduler thread with no
// READY task left (normal strictly precedes early) pre-stages a candidate's blocks on its free
// cores: the core holds the payload but does not start the kernel. The core counts as busy for
// dispatch; its thread does not see it finish until it ran. When the last producer completes,
// its fanout walk rings the staged cores' doorbells inline, so the consumer starts without a
// dispatch round of the scheduler; blocks not staged then go through the ready queue.
//
// Left out: the sync_start lane (early_sync_start_queue), the PENDING-slot staging of busy cores
// (no scheduler of ptosim writes a pending slot yet), the order among same-instant candidates
// (the early queue is popped oldest first), and the PMU mode that turns early dispatch off.
#include "runtime/runtime_state.h"
#include "runtime/scheduler_thread.h"
#include "simcore/marks.h"
#include "simcore/model_assert.h"

#include <algorithm>
#include <span>

namespace ptosim::runtime {

using hwmodel::TaskShape;

// ---- RuntimeState: candidates, staging, release ----

void RuntimeState::seed_dispatch_fanin(TaskRecord& task, std::span<const FaninEdge> edges,
                                       std::uint32_t completed_producers) {
  // One producer without allow_early_resolve disqualifies the task (wire_fanin_task). Producers
  // already completed, and those already fully published, are counted now; the others count
  // when they are fully published.
  PTOSIM_ASSERT(!edges.empty(), "a task without producers is never an early candidate");
  for (const FaninEdge& edge : edges) {
    if (!tasks_[edge.producer].early_resolve) return;
  }
  std::uint32_t propagated = 0;
  for (const FaninEdge& edge : edges) {
    const TaskRecord& producer = tasks_[edge.producer];
    if (producer.state == StoredState::pending && producer.dispatch_propagated) ++propagated;
  }
  task.early_eligible = true;
  task.dispatch_fanin = completed_producers + propagated;
  PTOSIM_ASSERT(task.dispatch_fanin <= task.producer_count, "more producers published than wired");
}

void RuntimeState::enqueue_early_candidate(TaskRecord& task) {
  // A task whose producers all completed is READY, not early; one still unpublished becomes a
  // candidate when published.
  if (!task.early_eligible || !task.published || task.ready_pushed || task.early != EarlyState::none) return;
  if (task.dispatch_fanin != task.producer_count) return;
  if (task.shape == TaskShape::dummy) return;
  // A sync_start cohort has its own early lane (early_sync_start_queue), not modelled: it waits
  // for READY and launches through its ready queue, atomically.
  if (task.sync_start) return;
  auto& queue = early_[static_cast<int>(task.shape)];
  if (queue.size() >= EARLY_DISPATCH_QUEUE_CAP) {
    // The push fails: the speculative claim is rolled back and the task waits for READY.
    PTOSIM_MARK("early queue full");
    return;
  }
  task.early = EarlyState::staging;
  queue.push_back(task.ordinal);
  ++early_queued_;
  wake_one_for(task.shape, task.ordinal);
}

void RuntimeState::propagate_dispatch_fanin(TaskRecord& producer) {
  // Only once the producer's every block is on a core, and a staged producer only once its
  // doorbells rang: before that its consumers would take cores its own blocks may need.
  if (!producer.early_resolve || producer.dispatch_propagated) return;
  if (producer.published_blocks < producer.block_num || producer.early == EarlyState::staging) return;
  producer.dispatch_propagated = true;
  for (std::uint32_t link = producer.first_consumer; link != NO_INDEX; link = consumer_pool_[link].next) {
    TaskRecord& consumer = tasks_[consumer_pool_[link].consumer];
    if (!consumer.early_eligible) continue;
    ++consumer.dispatch_fanin;
    PTOSIM_ASSERT(consumer.dispatch_fanin <= consumer.producer_count, "a producer published twice to one consumer");
    enqueue_early_candidate(consumer);
  }
}

void RuntimeState::blocks_published(std::uint32_t ordinal, std::uint32_t count) {
  TaskRecord& task = tasks_.at(ordinal);
  if (!task.early_resolve) return;
  task.published_blocks += count;
  PTOSIM_ASSERT(task.published_blocks <= task.block_num, "more blocks published than the task has");
  propagate_dispatch_fanin(task);
}

std::uint32_t RuntimeState::take_early(TaskShape shape) {
  auto& queue = early_[static_cast<int>(shape)];
  PTOSIM_ASSERT(!queue.empty(), "pop of an empty early queue");
  const std::uint32_t ordinal = queue.front();
  queue.pop_front();
  --early_queued_;
  return ordinal;
}

void RuntimeState::requeue_early(TaskShape shape, std::uint32_t ordinal) {
  auto& queue = early_[static_cast<int>(shape)];
  if (queue.size() >= EARLY_DISPATCH_QUEUE_CAP) {
    // Its staged blocks stay gated; the release rings them and routes the rest as READY.
    PTOSIM_MARK("early queue full");
    return;
  }
  queue.push_back(ordinal);
  ++early_queued_;
  wake_one_for(shape, ordinal);
}

std::uint32_t RuntimeState::stage_blocks(std::uint32_t ordinal, std::uint32_t count, std::uint32_t thread,
                                         std::uint32_t core) {
  TaskRecord& t = tasks_.at(ordinal);
  PTOSIM_ASSERT(t.early == EarlyState::staging, "task " + std::to_string(ordinal) + " staged without being a candidate");
  PTOSIM_ASSERT(t.published && t.fanin_refcount < t.fanin_count, "a READY task staged early");
  PTOSIM_ASSERT(count > 0 && t.blocks_claimed + count <= t.block_num, "task " + std::to_string(ordinal) + " staged twice");
  PTOSIM_MARK("early dispatch staged");
  const std::uint32_t first = t.blocks_claimed;
  if (first == 0) {
    t.thread = thread;
    t.core = core;
  }
  t.blocks_claimed += count;
  return first;
}

void RuntimeState::record_doorbell(int core, std::uint32_t ordinal, std::uint32_t token) {
  if (doorbells_.empty()) doorbells_.resize(core_task_.size());
  doorbells_.at(static_cast<std::size_t>(core)) = Doorbell{ordinal, token};
}

bool RuntimeState::release_early(TaskRecord& task) {
  // Called when a candidate becomes READY (a READY task is never queued as one).
  PTOSIM_ASSERT(task.early == EarlyState::staging, "release of a task that is no early candidate");
  task.early = EarlyState::dispatched;
  // Ring every staged core's doorbell now, in the fanout walk: the store leaves at this instant.
  bool rung = false;
  for (std::size_t core = 0; core < doorbells_.size(); ++core) {
    Doorbell& bell = doorbells_[core];
    if (bell.task != task.ordinal) continue;
    cores_.at(core)->ring_doorbell(bell.token, simcore::now());
    bell = Doorbell{};
    rung = true;
  }
  if (rung) {
    PTOSIM_MARK("early doorbell rung");
    task.running = true;
    // Its own consumers hear of it after the walk, never between two siblings' doorbells.
    early_released_.push_back(task.ordinal);
  }
  // Blocks nobody staged dispatch from the ready queue.
  return task.blocks_claimed >= task.block_num;
}

void RuntimeState::drain_early_releases() {
  for (std::size_t i = 0; i < early_released_.size(); ++i) propagate_dispatch_fanin(tasks_[early_released_[i]]);
  early_released_.clear();
}

void RuntimeState::wake_for_early() {
  for (TaskShape shape : {TaskShape::mix, TaskShape::aic, TaskShape::aiv}) {
    if (!ready_[static_cast<int>(shape)].empty()) return;
  }
  for (TaskShape shape : {TaskShape::mix, TaskShape::aic, TaskShape::aiv}) {
    const auto& queue = early_[static_cast<int>(shape)];
    if (!queue.empty()) wake_one_for(shape, queue.front());
  }
}

// ---- SchedulerThread: the early pass (try_early_dispatch) ----

bool SchedulerThread::has_early_work() const {
  for (TaskShape shape : {TaskShape::mix, TaskShape::aic, TaskShape::aiv}) {
    if (!state_.ready_queue(shape).empty()) return false;
  }
  for (TaskShape shape : {TaskShape::mix, TaskShape::aic, TaskShape::aiv}) {
    if (!state_.early_queue(shape).empty() && has_free_core(shape)) return true;
  }
  return false;
}

TimeNs SchedulerThread::try_early_dispatch(bool& progress) {
  // Normal strictly precedes early: nothing is staged while a READY task waits for a core.
  for (TaskShape shape : {TaskShape::mix, TaskShape::aic, TaskShape::aiv}) {
    if (!state_.ready_queue(shape).empty()) return 0;
  }
  TimeNs cost_ns = 0;
  for (TaskShape shape : dispatch_order()) {
    while (!state_.early_queue(shape).empty()) {
      collect_free_placements(shape, DispatchPhase::idle);
      if (placements_.empty()) break;
      const std::uint32_t ordinal = state_.take_early(shape);
      const TaskRecord& task = state_.task(ordinal);
      if (task.early != EarlyState::staging || task.blocks_claimed >= task.block_num) continue;  // released: dropped
      cost_ns = add_ns(cost_ns, stage_claim(task));
      if (task.blocks_claimed < task.block_num) state_.requeue_early(shape, ordinal);
      progress = true;
    }
  }
  return cost_ns;
}

TimeNs SchedulerThread::stage_claim(const TaskRecord& task) {
  // A contiguous range of blocks, one per free core (cluster for MIX), gated in the running slot.
  TimeNs cost_ns = 0;
  const std::uint32_t first_block = task.blocks_claimed;
  const std::uint32_t claimed =
      std::min<std::uint32_t>(task.block_num - first_block, static_cast<std::uint32_t>(placements_.size()));
  for (std::uint32_t b = 0; b < claimed; ++b) {
    const std::uint32_t block = first_block + b;
    placement_cores_.clear();
    for (const Placement& placement : placements_) placement_cores_.push_back(cores_[placement.slots[0]].core->id());
    // Same key as a normal dispatch: each block is claimed once, staged or not.
    const std::size_t choice = state_.decisions().choose_once({core_stream_, task.ordinal, block}, std::span(placement_cores_));
    Assignment assignment{task.ordinal, block, placements_[choice], true};
    if (b + 1 < claimed) placements_.erase(placements_.begin() + static_cast<std::ptrdiff_t>(choice));
    if (b == 0) {
      state_.stage_blocks(task.ordinal, claimed, static_cast<std::uint32_t>(index_),
                          static_cast<std::uint32_t>(cores_[assignment.placement.slots[0]].core->id()));
    }
    for (std::uint8_t k = 0; k < assignment.placement.count; ++k) {
      CoreSlot& slot = cores_[assignment.placement.slots[k]];
      occupy(slot, task.ordinal, false);
      state_.record_doorbell(slot.core->id(), task.ordinal, slot.token);
    }
    cost_ns = add_ns(cost_ns, state_.costs().dispatch(task.scope_mode()));
    assignments_.push_back(assignment);
  }
  state_.blocks_published(task.ordinal, claimed);
  return cost_ns;
}

}  // namespace ptosim::runtime
