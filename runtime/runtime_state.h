// The shared state of the modelled runtime and the lifecycle transitions performed on it by the
// orchestrator and the scheduler threads (runtime-model.md §1, §3, §5):
// publish, WAIT->READY on the last fanin, completion and the fanout walk, consumer release
// (RETAIN pins), scope end (scope bit), CONSUMED, and in-order watermark advance per ring.
//
// Actors run one at a time in simulated time, and the orchestrator and the scheduler threads take
// turns through turns(): everything a contender does between resuming and blocking is atomic with
// respect to the others. Races of the real runtime appear as orderings of these calls, chosen
// through the decision source (same-instant turns included).
#pragma once

#include "hwmodel/ai_core.h"
#include "hwmodel/task_descriptor.h"
#include "hwmodel/topology.h"
#include "runtime/cost_model.h"
#include "runtime/program.h"
#include "runtime/dependency_builder.h"
#include "runtime/run_report.h"
#include "runtime/ring_buffers.h"
#include "runtime/run_timing.h"
#include "runtime/runtime_config.h"
#include "runtime/task_record.h"
#include "simcore/decision_source.h"
#include "simcore/event_log.h"
#include "simcore/sim_engine.h"
#include "simcore/turn_order.h"

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ptosim::runtime {

struct RingState {
  RingState(std::uint8_t ring_id, const RingConfig& ring_config, std::uint64_t heap_base);

  std::uint8_t id;
  RingConfig config;
  std::uint32_t current_index = 0;    // next local id
  // The published watermark (ring->fc.last_task_alive in shared memory): what the orchestrator
  // reads for room, heap, dep pool, spill pool and TensorMap reclaim, and what its waits watch.
  std::uint32_t last_task_alive = 0;
  // The schedulers' own watermark (RingSchedState::last_task_alive): the oldest local id not yet
  // reclaimed. Ahead of the published one while publication is batched.
  std::uint32_t sched_alive = 0;
  // advance_lock: held by the actor of lane `advance_lock_lane` until `advance_lock_free_ns`.
  std::uint32_t advance_lock_lane = NO_INDEX;
  TimeNs advance_lock_free_ns = 0;
  // A blocked orchestrator's request for an exact publication (publication_request_mask): posted,
  // or standing (re-requested after an acknowledgment, acted on when there is news to publish).
  enum class Request : std::uint8_t { none, posted, standing };
  Request publication_request = Request::none;
  bool publication_acked = false;  // publication_ack_mask
  std::vector<std::uint32_t> ordinals;  // local id -> task ordinal
  HeapRing heap;
  DepPool dep_pool;
  FaninSpillPool spill_pool;
  std::uint32_t dep_pool_reclaimed_at = 0;  // watermark at the last dep-pool reclaim
  std::uint32_t heap_synced_at = 0;         // watermark at the last heap-tail sync
  std::uint32_t tensormap_cleaned_at = 0;   // watermark at the last TensorMap cleanup
  struct TensorMapEntries {
    std::uint32_t local_id = 0;
    std::uint32_t entries = 0;
  };
  std::deque<TensorMapEntries> tensormap_entries;  // tasks of this ring holding entries, oldest first
  std::uint64_t dep_pool_live = 0;          // entries whose consumer is not yet CONSUMED
  std::uint64_t heap_base_address;
  simcore::WaitSignal progress;  // notified whenever last_task_alive advances

  std::uint32_t active_tasks() const { return current_index - last_task_alive; }
};

struct ScopeFrame {
  ScopeMode mode = ScopeMode::automatic;
  std::uint32_t depth = 0;
  std::uint32_t serial = 0;
  std::size_t first_task = 0;  // index into RuntimeState::scope_tasks()
  std::uint32_t origin = 0;
  bool deferred = false;  // MANUAL scope with deferred publish
  std::vector<std::uint32_t> unpublished;  // op indices held back until scope_end (deferred)
  std::size_t wired = 0;                   // how many of them scope_end has published so far
};

// What the orchestrator is blocked on, if anything.
struct BlockedWait {
  bool active = false;
  WaitResource resource = WaitResource::task_window;
  std::uint8_t ring = 0;
  std::uint64_t requested = 0;  // bytes (heap) or entries (dep pool)
  std::uint32_t task = NO_INDEX;  // ordinal of the task being allocated or wired
  TimeNs since_ns = 0;
};

// A scheduler thread as the ready queues see it.
class WorkListener {
 public:
  virtual ~WorkListener() = default;
  // Idle, not yet woken, and owning a free core (or cluster) for this shape.
  virtual bool can_take(hwmodel::TaskShape shape) const = 0;
  // Idle, not yet woken, and owning a busy core (cluster) whose pending slot it may fill for this
  // shape, now or once that core's ACK is visible. Asked only when no thread can take it idle.
  virtual bool can_take_pending(hwmodel::TaskShape /*shape*/) const { return false; }
  virtual void wake() = 0;
  // Another idle thread was woken for a ready task this one could also take.
  virtual void notice() = 0;
  // Reclaim work for an idle thread's no-progress path: a pending ring advance, or (thread 0) a
  // publication request.
  virtual void on_reclaim_work() = 0;
  // The run may be over (orchestration done, all tasks completed): re-check the exit condition.
  virtual void on_shutdown_check() = 0;
  // A detector fired and every detector is silent from now on: a wait bounded only by a
  // detector's deadline has no bound any more.
  virtual void on_detectors_silenced() = 0;
};

struct RuntimeLanes {
  std::uint32_t orchestrator = 0;
  std::uint32_t first_scheduler = 0;
  std::uint32_t first_core = 0;
};

class RuntimeState {
 public:
  RuntimeState(const RuntimeConfig& config, const CostModel& costs, const Program& program,
               const std::vector<hwmodel::KernelSpec>& kernels, const hwmodel::Topology& topology, simcore::DecisionSource& decisions, simcore::EventLog& events,
               RuntimeLanes lanes);

  const RuntimeConfig& config() const { return config_; }
  const CostModel& costs() const { return costs_; }
  // Orchestrator time by cost term, as charged.
  OrchestratorBill& orchestrator_bill() { return bill_; }
  const Program& program() const { return program_; }
  const std::vector<hwmodel::KernelSpec>& kernels() const { return kernels_; }
  const hwmodel::Topology& topology() const { return topology_; }
  simcore::DecisionSource& decisions() { return decisions_; }
  simcore::EventLog& events() { return events_; }
  const RuntimeLanes& lanes() const { return lanes_; }
  // The orchestrator and the scheduler threads are its contenders, so which of those resuming at
  // the same instant acts first on this shared state is a decision (simcore/turn_order.h).
  simcore::TurnOrder& turns() { return turns_; }

  // Read access. Every change goes through the named operations below, which keep the
  // invariants in one place; no container of the state is handed out mutably.
  const TaskRecord& task(std::uint32_t ordinal) const { return tasks_.at(ordinal); }
  const std::vector<TaskRecord>& tasks() const { return tasks_; }
  std::uint32_t tasks_allocated() const { return tasks_allocated_; }
  const RingState& ring(int id) const { return *rings_.at(id); }
  // Notified whenever the ring's last_task_alive advances (a blocked orchestrator waits on it).
  simcore::WaitSignal& ring_progress(int id) { return rings_.at(id)->progress; }

  // --- scopes ---
  const std::vector<ScopeFrame>& scope_stack() const { return scope_stack_; }
  const std::vector<std::uint32_t>& scope_tasks() const { return scope_tasks_; }
  bool in_manual_scope() const;
  int current_ring_id() const;
  // Pushes a scope frame (scope_begin); returns it.
  const ScopeFrame& open_scope(ScopeMode mode, std::uint32_t origin, bool deferred);
  // Deferred publish: the innermost scope holds op `op_index` back until scope_end.
  void hold_until_scope_end(std::uint32_t op_index);
  // The next op the innermost (deferred) scope held back and has not published yet, marked as
  // published; NO_INDEX when none is left.
  std::uint32_t take_held_op();
  // scope_end: releases the scope bit of every task of the innermost scope, then pops it.
  // Returns the popped frame's serial, depth and task count.
  struct ClosedScope {
    std::uint32_t serial = 0;
    std::uint32_t depth = 0;
    std::size_t task_count = 0;
  };
  ClosedScope close_scope();

  // --- lifecycle ---
  // What the orchestrator decided for a new task: its ring, and where its outputs went.
  struct NewTask {
    std::uint32_t ordinal = 0;
    std::uint8_t ring = 0;
    TaskKind kind = TaskKind::kernel;
    std::uint32_t kernel = NO_INDEX;
    std::uint64_t heap_offset = 0;  // of its packed OUTPUT buffers in the ring's heap
    std::uint64_t heap_bytes = 0;
    bool sync_start = false;  // require_sync_start (kept only for block_num > 1, as the runtime does)
    bool early_resolve = false;  // allow_early_resolve (always on for an alloc task)
  };
  // Claims the next slot of the ring for the task (room already checked) and registers it in the
  // innermost scope.
  const TaskRecord& create_task(const NewTask& spec);
  ProducerStatus producer_status(std::uint32_t ordinal) const;
  bool is_retired(std::uint8_t ring_id, std::uint32_t local_id) const;
  // Orchestrator, wiring: one consumer claims `producer` (fanout_count++ under its lock).
  void claim_producer(std::uint32_t producer);
  // Wires `task`'s fanin: its edges, `task` as a consumer of each producer still pending, its
  // fanin count and the producers already completed (the fast path), its dep-pool mark and the
  // `dep_entries` reserved for it.
  void wire_fanin(std::uint32_t task, std::span<const FaninEdge> edges, std::uint32_t dep_entries);
  // Publishes a wired task: releases the wiring guard and routes it if ready.
  void publish(std::uint32_t task);
  // Marks an alloc_tensors task COMPLETED inline on the orchestrator.
  void complete_inline(std::uint32_t task);
  // Scheduler: `count` more blocks of `task` go to cores (the first block's core and thread are
  // remembered). Returns the first block claimed.
  std::uint32_t claim_blocks(std::uint32_t task, std::uint32_t count, std::uint32_t thread, std::uint32_t core);
  // Scheduler: one core of `task` reported FIN. Returns whether it was the last subtask.
  bool finish_subtask(std::uint32_t task);
  // Scheduler: last subtask observed. Returns how many consumers the fanout walk released.
  std::uint32_t complete_task(std::uint32_t task, std::uint32_t lane);
  // Scheduler thread of `lane`: deferred on_task_release (RETAIN pins of the producers, then
  // self check).
  void release_task(std::uint32_t task, std::uint32_t lane);
  // Releases one consumer pin on `producer` (WAIT-only edges at wiring, RETAIN at release).
  void release_pin(std::uint32_t producer);

  // --- ring resources, on the orchestrator ---
  // The heap tail follows the packed_buffer_end of the last retired task (lazily, at alloc).
  void sync_heap_tail(int ring_id);
  std::optional<std::uint64_t> try_alloc_heap(int ring_id, std::uint64_t bytes);
  bool try_reserve_dep_entries(int ring_id, std::uint32_t entries);
  // Dep-list reclaim, only when short and only after the watermark moved a cleanup interval.
  // Returns whether it reclaimed.
  bool reclaim_dep_pool(int ring_id);
  // Fanin spill pool: `entries` for the task with local id `local_id` of the ring.
  bool try_reserve_spill_entries(int ring_id, std::uint32_t local_id, std::uint32_t entries);
  // Frees the spill entries of the tasks that retired (scan up to last_task_alive). Returns
  // whether any were freed.
  bool reclaim_spill_pool(int ring_id);

  // --- the TensorMap entry pool (global) ---
  std::uint64_t tensormap_used() const { return tensormap_used_; }
  std::uint64_t tensormap_high_water() const { return tensormap_high_water_; }
  std::uint64_t tensormap_available() const { return config_.tensormap_pool_entries - tensormap_used_; }
  // sync_tensormap at a submit on `ring_id`: frees the entries of its retired tasks once its
  // watermark moved a cleanup interval since the last cleanup.
  void sync_tensormap(int ring_id);
  // Frees the entries of every retired task of every ring (the reclaim when short). Returns
  // how many entries it freed.
  std::uint64_t reclaim_tensormap_all();
  // Registers `entries` inserted by the task `local_id` of `ring_id` (room already checked).
  void insert_tensormap_entries(int ring_id, std::uint32_t local_id, std::uint32_t entries);
  // Notified whenever any ring's last_task_alive advances (TensorMap entries may be freed).
  simcore::WaitSignal& any_ring_progress() { return any_ring_progress_; }

  // --- watermark advance (advance_lock try-lock) and its publication ---
  // What the watermark advances of the last operation cost the actor that ran it; taken once.
  TimeNs take_advance_cost() {
    const TimeNs cost_ns = advance_cost_ns_;
    advance_cost_ns_ = 0;
    return cost_ns;
  }
  // advance_pending_mask: a CONSUMED found the ring's advance_lock held and left the advance to a
  // scheduler thread's no-progress path.
  bool advance_pending() const { return advance_pending_mask_ != 0; }
  // drain_pending_ring_advances by the scheduler thread of `lane`: retries every pending ring
  // whose lock is free, with a forced publication. Returns whether a watermark moved.
  bool drain_pending_ring_advances(std::uint32_t lane);
  // When the no-progress path of the scheduler thread of `lane` can next act on reclaim work:
  // a pending advance, and for thread 0 a publication request, as soon as its ring's lock is free
  // (TIME_NEVER: none).
  TimeNs reclaim_retry_ns(std::uint32_t lane, bool thread_zero) const;
  // Orchestrator: asks for an exact publication of `ring_id` (ReclaimPublicationRequest::request).
  void request_publication(int ring_id);
  // Orchestrator: whether the request was acknowledged; consumes the acknowledgment and leaves a
  // standing request behind (the runtime re-requests at each 1024-spin gate while blocked).
  bool take_publication_ack(int ring_id);
  // Orchestrator: the wait on the ring ended; a request no longer stands (a posted one stays
  // latched until serviced, as the runtime's bit does).
  void withdraw_publication_request(int ring_id);
  // TensorMap back-pressure: asks every ring for a publication (ensure_tensormap_capacity), and
  // keeps the requests standing once acknowledged.
  void request_all_publications();
  void take_all_publication_acks() {
    for (int r = 0; r < MAX_RING_DEPTH; ++r) take_publication_ack(r);
  }
  // Scheduler thread 0: whether a request waits for it, and servicing them under the lock
  // (drain_publication_requests). Returns whether a published watermark moved.
  bool publication_service_due() const;
  bool service_publication_requests(std::uint32_t lane);
  // Notified when a task completes or a consumer releases its pin: what get/set_tensor_data wait for.
  simcore::WaitSignal& task_progress() { return task_progress_; }

  // --- a task's edges, kept in pools (no container per task) ---
  // The fanin edges wired for `task`.
  std::span<const FaninEdge> producers(const TaskRecord& task) const {
    return {fanin_pool_.data() + task.first_producer, task.producer_count};
  }
  // The WAIT consumers of `task`, in wiring order.
  std::vector<std::uint32_t> consumers(const TaskRecord& task) const;
  // GM address of OUTPUT buffer `output` of `task`.
  std::uint64_t output_address(const TaskRecord& task, std::uint32_t output) const;

  // --- ready queues ---
  const std::deque<std::uint32_t>& ready_queue(hwmodel::TaskShape shape) const {
    return ready_[static_cast<int>(shape)];
  }
  // Pops the task at `position` of the queue of `shape` (a pop among tied tasks).
  std::uint32_t take_ready(hwmodel::TaskShape shape, std::size_t position);
  // Pushes a task back whose blocks remain (claim_block_range), and wakes a thread for it.
  void requeue(hwmodel::TaskShape shape, std::uint32_t task);
  // ready_sync_queues: READY sync_start cohorts, served before the ready queues.
  const std::deque<std::uint32_t>& ready_sync_queue(hwmodel::TaskShape shape) const {
    return ready_sync_[static_cast<int>(shape)];
  }
  bool any_sync_ready() const { return sync_ready_count_ > 0; }
  std::uint32_t take_ready_sync(hwmodel::TaskShape shape);
  // A cohort popped by a thread that could neither launch it nor take the drain goes back.
  void requeue_sync(hwmodel::TaskShape shape, std::uint32_t task);
  void add_listener(WorkListener* listener) { listeners_.push_back(listener); }
  void detectors_silenced() {
    for (WorkListener* listener : listeners_) listener->on_detectors_silenced();
  }
  // Task `task_ordinal` of `shape` became ready: wake one idle thread that can take it. When
  // several could, which one polls first is a decision keyed by the task.
  void wake_one_for(hwmodel::TaskShape shape, std::uint32_t task_ordinal);

  // --- run-wide flags ---
  void set_orchestration_done();
  bool orchestration_done() const { return orchestration_done_; }
  std::uint32_t completed_tasks() const { return completed_tasks_; }
  bool all_done() const { return orchestration_done_ && completed_tasks_ >= tasks_allocated_; }

  // What the orchestrator is blocked on.
  const BlockedWait& blocked() const { return blocked_; }
  void begin_wait(const BlockedWait& wait);
  void end_wait() { blocked_.active = false; }

  std::uint32_t next_dispatch_token() { return ++dispatch_token_; }
  // Which task each core runs (NO_INDEX: idle), kept by the scheduler threads, so a snapshot or a
  // stall report can name every core of an SPMD task whichever thread dispatched its blocks.
  // The task in a core's running slot (NO_INDEX: idle); a task put there counts as RUNNING.
  void set_core_task(int core, std::uint32_t ordinal) {
    core_task_.at(static_cast<std::size_t>(core)) = ordinal;
    if (ordinal != NO_INDEX) tasks_.at(ordinal).on_core = true;
  }
  std::vector<int> cores_of(std::uint32_t ordinal) const;
  // The descriptor a scheduler writes for `task`: its tensor arguments resolved to GM views
  // (external tensors at their address, runtime outputs where the heap put them).
  void describe_task(const TaskRecord& task, std::uint32_t token, hwmodel::TaskDescriptor& out) const;

  // --- early dispatch (runtime-model.md §6.6; early_dispatch.cpp) ---
  // The cores whose doorbells a producer's completion rings.
  void attach_cores(const std::vector<hwmodel::AiCore*>& cores) { cores_ = cores; }
  const std::deque<std::uint32_t>& early_queue(hwmodel::TaskShape shape) const {
    return early_[static_cast<int>(shape)];
  }
  // Whether any early queue holds a candidate (checked on every scheduler iteration).
  bool has_early_candidates() const { return early_queued_ != 0; }
  // Pops the oldest candidate of the early queue of `shape`.
  std::uint32_t take_early(hwmodel::TaskShape shape);
  // Pushes back a candidate whose blocks remain; a full queue drops it (its release routes the
  // rest through the ready queue).
  void requeue_early(hwmodel::TaskShape shape, std::uint32_t task);
  // Scheduler: `count` more blocks of the candidate `task` are pre-staged, gated, on cores.
  std::uint32_t stage_blocks(std::uint32_t task, std::uint32_t count, std::uint32_t thread, std::uint32_t core);
  // Scheduler: core `core` holds `task` gated behind its doorbell with register token `token`.
  void record_doorbell(int core, std::uint32_t task, std::uint32_t token);
  // Scheduler: every block staged this pass is on its core: the task may tell its consumers.
  void blocks_published(std::uint32_t task, std::uint32_t count);

  // The time breakdown the actors report to (observing only).
  RunTiming& timing() { return timing_; }

 private:
  // WAIT -> READY: pushes a published task whose fanin is complete, exactly once.
  void route_if_ready(TaskRecord& task, std::uint32_t lane);
  // CONSUMED check: completed, scope bit released, every claimed pin released.
  void release_pin_check(TaskRecord& task);
  void release_scope_bit(TaskRecord& task);
  // check_and_handle_consumed's advance: try the ring's advance_lock as `acting_lane_`; on
  // failure set the ring's bit in advance_pending_mask.
  void try_advance_ring(RingState& ring);
  // advance_ring_pointers under the lock: reclaims, holds the lock for its cost, publishes.
  void advance_ring_locked(RingState& ring, std::uint32_t lane, bool force_publish);
  bool advance_lock_free(const RingState& ring, std::uint32_t lane) const;
  // sync_to_sm: publishes the schedulers' watermark unless batching holds it back.
  void sync_to_sm(RingState& ring, bool force);
  void notify_reclaim_work(bool thread_zero_only);
  // Early dispatch (early_dispatch.cpp): the wiring-time seed of dispatch_fanin; a consumer
  // whose producers are all fully published becomes a candidate; the release of a staged task
  // by its last producer's completion (doorbells rung inline); the propagation of a fully
  // published producer to its consumers.
  void seed_dispatch_fanin(TaskRecord& task, std::span<const FaninEdge> edges, std::uint32_t completed_producers);
  void enqueue_early_candidate(TaskRecord& task);
  bool release_early(TaskRecord& task);
  void propagate_dispatch_fanin(TaskRecord& producer);
  void drain_early_releases();
  // No READY task is left: wake an idle thread for each shape with candidates waiting.
  void wake_for_early();

  const RuntimeConfig& config_;
  const CostModel& costs_;
  OrchestratorBill bill_;
  const Program& program_;
  const std::vector<hwmodel::KernelSpec>& kernels_;
  const hwmodel::Topology& topology_;
  simcore::DecisionSource& decisions_;
  simcore::EventLog& events_;
  RuntimeLanes lanes_;
  simcore::TurnOrder turns_;

  std::vector<TaskRecord> tasks_;
  std::uint32_t tasks_allocated_ = 0;
  std::uint32_t completed_tasks_ = 0;
  std::vector<std::unique_ptr<RingState>> rings_;
  std::vector<ScopeFrame> scope_stack_;
  std::vector<std::uint32_t> scope_tasks_;
  std::uint32_t scope_serial_ = 0;
  std::array<std::deque<std::uint32_t>, 4> ready_;
  std::array<std::deque<std::uint32_t>, 4> ready_sync_;
  std::uint32_t sync_ready_count_ = 0;
  std::vector<WorkListener*> listeners_;
  std::array<std::deque<std::uint32_t>, 4> early_;  // early_dispatch_queues, by shape
  struct Doorbell {
    std::uint32_t task = NO_INDEX;
    std::uint32_t token = 0;
  };
  std::vector<Doorbell> doorbells_;                  // early_dispatch_doorbell_table, by core
  std::vector<hwmodel::AiCore*> cores_;
  std::vector<std::uint32_t> early_released_;        // the release sink of one fanout walk
  std::size_t early_queued_ = 0;                     // candidates in all early queues
  simcore::StreamId wake_stream_;
  bool orchestration_done_ = false;
  BlockedWait blocked_;
  std::uint32_t dispatch_token_ = 0;
  std::vector<std::uint32_t> task_op_;  // task ordinal -> index of the op that creates it
  std::vector<FaninEdge> fanin_pool_;
  struct ConsumerLink {
    std::uint32_t consumer = 0;
    std::uint32_t next = NO_INDEX;
  };
  std::vector<ConsumerLink> consumer_pool_;
  RunTiming timing_;
  std::vector<std::uint32_t> core_task_;
  std::uint64_t tensormap_used_ = 0;
  std::uint64_t tensormap_high_water_ = 0;
  simcore::WaitSignal any_ring_progress_;
  simcore::WaitSignal task_progress_;
  std::uint32_t acting_lane_ = 0;  // the actor whose operation may consume tasks
  TimeNs advance_cost_ns_ = 0;
  std::uint32_t advance_pending_mask_ = 0;
  std::uint64_t free_retired_tensormap_entries(RingState& ring);
};

}  // namespace ptosim::runtime
