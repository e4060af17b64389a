#include "runtime/runtime_state.h"

#include "simcore/marks.h"
#include "simcore/model_assert.h"

#include <algorithm>
#include <stdexcept>

namespace ptosim::runtime {

namespace {

// Fake GM addresses: every ring's heap and the external tensors live in disjoint ranges.
constexpr std::uint64_t RING_HEAP_BASE = 0x1000'0000'0000ULL;
constexpr std::uint64_t RING_HEAP_STRIDE = 0x0100'0000'0000ULL;

}  // namespace

RingState::RingState(std::uint8_t ring_id, const RingConfig& ring_config, std::uint64_t heap_base)
    : id(ring_id),
      config(ring_config),
      heap(ring_config.heap_bytes),
      dep_pool(ring_config.dep_pool_entries),
      spill_pool(ring_config.spill_pool_capacity()),
      heap_base_address(heap_base) {}

RuntimeState::RuntimeState(const RuntimeConfig& config, const CostModel& costs, const Program& program,
                           const std::vector<hwmodel::KernelSpec>& kernels, const hwmodel::Topology& topology,
                           simcore::DecisionSource& decisions, simcore::EventLog& events, RuntimeLanes lanes)
    : config_(config),
      costs_(costs),
      program_(program),
      kernels_(kernels),
      topology_(topology),
      decisions_(decisions),
      events_(events),
      lanes_(lanes),
      turns_(decisions),
      tasks_(program.task_count),
      wake_stream_(decisions.stream("ready.wake_thread")),
      timing_(topology.scheduler_threads(), MAX_RING_DEPTH),
      core_task_(static_cast<std::size_t>(topology.core_count()), NO_INDEX) {
  for (int r = 0; r < MAX_RING_DEPTH; ++r) {
    rings_.push_back(std::make_unique<RingState>(static_cast<std::uint8_t>(r), config.rings[r],
                                                 RING_HEAP_BASE + RING_HEAP_STRIDE * static_cast<std::uint64_t>(r)));
    timing_.ring_capacity(r, config.rings[r].task_window, config.rings[r].heap_bytes, config.rings[r].dep_pool_entries);
  }
  task_op_ = task_op_index(program);
}

void RuntimeState::describe_task(const TaskRecord& task, std::uint32_t token, hwmodel::TaskDescriptor& out) const {
  const ProgramOp& op = program_.ops[task_op_.at(task.ordinal)];
  out.token = token;
  out.task = task.ordinal;
  out.kernel = &kernels_.at(task.kernel);
  const DurationRange range = costs_.kernel_range(task.ordinal, task.kernel, 0);
  out.min_duration_ns = range.min_ns;
  out.max_duration_ns = range.max_ns;
  out.views.clear();
  std::size_t output_index = 0;
  for (const ArgSpec& spec : program_.args(op)) {
    hwmodel::GmView view;
    view.layout = &program_.layout(spec);
    view.access = access_of(spec.kind);
    if (spec.rows != NO_INDEX) view.rows = &program_.row_lists.at(spec.rows);
    if (spec.kind == ArgKind::output) {
      view.buffer_address = output_address(task, static_cast<std::uint32_t>(output_index++));
    } else if (const TensorSource source = spec.source(); source.external != NO_INDEX) {
      view.buffer_address = program_.externals.at(source.external).address;
    } else {
      view.buffer_address = output_address(tasks_.at(source.task), source.output);
    }
    out.views.push_back(view);
  }
}

std::uint64_t RuntimeState::output_address(const TaskRecord& task, std::uint32_t output) const {
  // The orchestrator packs a task's OUTPUT buffers one after another, each aligned.
  PTOSIM_ASSERT(task.allocated, "the outputs of task " + std::to_string(task.ordinal) + " have no address yet");
  std::uint64_t address = task.output_base;
  std::uint32_t index = 0;
  for (const ArgSpec& spec : program_.args(program_.ops[task_op_.at(task.ordinal)])) {
    if (spec.kind != ArgKind::output) continue;
    if (index++ == output) return address;
    address += align_up(program_.output_bytes(spec), PACKED_OUTPUT_ALIGN);
  }
  PTOSIM_ASSERT(false, "task " + std::to_string(task.ordinal) + " has no output " + std::to_string(output));
  return 0;
}

void RuntimeState::claim_producer(std::uint32_t producer) {
  TaskRecord& t = tasks_.at(producer);
  PTOSIM_ASSERT(t.allocated, "claim of task " + std::to_string(producer) + ", never allocated");
  PTOSIM_ASSERT(t.state != StoredState::consumed, "claim of CONSUMED task " + std::to_string(producer));
  ++t.consumers_claimed;
}

void RuntimeState::wire_fanin(std::uint32_t ordinal, std::span<const FaninEdge> edges, std::uint32_t dep_entries) {
  acting_lane_ = lanes_.orchestrator;
  TaskRecord& task = tasks_.at(ordinal);
  PTOSIM_ASSERT(task.producer_count == 0, "task " + std::to_string(task.ordinal) + " wired twice");
  PTOSIM_ASSERT(!task.published, "task " + std::to_string(task.ordinal) + " wired after it was published");
  PTOSIM_ASSERT(task.fanin_count == 1, "task " + std::to_string(task.ordinal) + " has a fanin before its wiring");
  task.first_producer = static_cast<std::uint32_t>(fanin_pool_.size());
  task.producer_count = static_cast<std::uint32_t>(edges.size());
  fanin_pool_.insert(fanin_pool_.end(), edges.begin(), edges.end());
  // Producers still pending notify this task when they complete; the others completed while the
  // orchestrator waited, or before: the fast path seeds the refcount.
  std::uint32_t completed_producers = 0;
  for (const FaninEdge& edge : edges) {
    TaskRecord& producer = tasks_[edge.producer];
    if (producer.state != StoredState::pending) {
      ++completed_producers;
      continue;
    }
    const auto link = static_cast<std::uint32_t>(consumer_pool_.size());
    consumer_pool_.push_back(ConsumerLink{task.ordinal, NO_INDEX});
    if (producer.last_consumer == NO_INDEX) {
      producer.first_consumer = link;
    } else {
      consumer_pool_[producer.last_consumer].next = link;
    }
    producer.last_consumer = link;
  }
  task.fanin_count += static_cast<std::uint32_t>(edges.size());
  RingState& own_ring = *rings_.at(task.ring);
  task.dep_pool_mark = own_ring.dep_pool.top();
  task.dep_entries = dep_entries;
  own_ring.dep_pool_live += dep_entries;
  timing_.dep_pool_live(task.ring, own_ring.dep_pool_live);
  // WAIT-only pins are released at wiring; RETAIN pins when this task is released.
  for (const FaninEdge& edge : edges) {
    if (!edge.retain) release_pin(edge.producer);
  }
  task.fanin_refcount += completed_producers;
  if (!edges.empty()) seed_dispatch_fanin(task, edges, completed_producers);
  // Fanin: one per edge plus the wiring guard, which publish() releases.
  PTOSIM_ASSERT(task.fanin_count == edges.size() + 1, "fanin count differs from the edges wired");
  PTOSIM_ASSERT(task.fanin_refcount < task.fanin_count, "fanin satisfied before the wiring guard was released");
}

std::vector<std::uint32_t> RuntimeState::consumers(const TaskRecord& task) const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t link = task.first_consumer; link != NO_INDEX; link = consumer_pool_[link].next) {
    out.push_back(consumer_pool_[link].consumer);
  }
  return out;
}

bool RuntimeState::in_manual_scope() const {
  for (const ScopeFrame& frame : scope_stack_) {
    if (frame.mode == ScopeMode::manual) return true;
  }
  return false;
}

int RuntimeState::current_ring_id() const {
  int top = static_cast<int>(scope_stack_.size()) - 1;
  if (top < 0) top = 0;
  return top < MAX_RING_DEPTH - 1 ? top : MAX_RING_DEPTH - 1;
}

const ScopeFrame& RuntimeState::open_scope(ScopeMode mode, std::uint32_t origin, bool deferred) {
  PTOSIM_ASSERT(!deferred || mode == ScopeMode::manual, "only a MANUAL scope defers its publish");
  ScopeFrame frame;
  frame.mode = mode;
  frame.depth = static_cast<std::uint32_t>(scope_stack_.size());
  frame.serial = scope_serial_++;
  frame.first_task = scope_tasks_.size();
  frame.origin = origin;
  frame.deferred = deferred;
  scope_stack_.push_back(std::move(frame));
  return scope_stack_.back();
}

void RuntimeState::hold_until_scope_end(std::uint32_t op_index) {
  PTOSIM_ASSERT(!scope_stack_.empty() && scope_stack_.back().deferred, "only a deferred scope holds tasks back");
  scope_stack_.back().unpublished.push_back(op_index);
}

std::uint32_t RuntimeState::take_held_op() {
  PTOSIM_ASSERT(!scope_stack_.empty(), "no open scope holds tasks back");
  ScopeFrame& frame = scope_stack_.back();
  if (frame.wired >= frame.unpublished.size()) return NO_INDEX;
  return frame.unpublished[frame.wired++];
}

RuntimeState::ClosedScope RuntimeState::close_scope() {
  PTOSIM_ASSERT(!scope_stack_.empty(), "scope_end without an open scope");
  acting_lane_ = lanes_.orchestrator;
  const ScopeFrame& frame = scope_stack_.back();
  PTOSIM_ASSERT(frame.first_task <= scope_tasks_.size(), "scope task list shorter than its scope");
  PTOSIM_ASSERT(frame.wired == frame.unpublished.size(), "scope_end before every held task was published");
  ClosedScope closed{frame.serial, frame.depth, scope_tasks_.size() - frame.first_task};
  for (std::size_t i = frame.first_task; i < scope_tasks_.size(); ++i) release_scope_bit(tasks_[scope_tasks_[i]]);
  scope_tasks_.resize(frame.first_task);
  scope_stack_.pop_back();
  return closed;
}

const TaskRecord& RuntimeState::create_task(const NewTask& spec) {
  RingState& r = *rings_.at(spec.ring);
  TaskRecord& t = tasks_.at(spec.ordinal);
  PTOSIM_ASSERT(!t.allocated, "task ordinal " + std::to_string(spec.ordinal) + " allocated twice");
  PTOSIM_ASSERT(!scope_stack_.empty(), "a task created outside every scope");
  PTOSIM_ASSERT(window_has_room(r.current_index, r.last_task_alive, r.config.task_window), "task window overrun");
  PTOSIM_ASSERT(spec.heap_offset + spec.heap_bytes <= r.heap.capacity(), "task outputs placed outside the ring's heap");
  t.ordinal = spec.ordinal;
  t.ring = spec.ring;
  t.local_id = r.current_index++;
  t.kind = spec.kind;
  t.kernel = spec.kernel;
  t.allocated = true;
  t.dep_pool_mark = r.dep_pool.top();
  if (spec.kind == TaskKind::kernel) {
    t.shape = kernels_.at(spec.kernel).shape;
    t.block_num = kernels_.at(spec.kernel).block_num;
    t.subtasks_required = (t.shape == hwmodel::TaskShape::mix ? 3 : 1) * t.block_num;
    t.sync_start = spec.sync_start && t.block_num > 1;
  } else {
    t.shape = hwmodel::TaskShape::dummy;
  }
  t.packed_end = spec.heap_offset + spec.heap_bytes;
  t.manual = in_manual_scope();
  t.early_resolve = spec.early_resolve;
  t.scope_depth = scope_stack_.back().depth;
  t.output_base = r.heap_base_address + spec.heap_offset;  // the outputs follow one another (output_address)
  r.ordinals.push_back(spec.ordinal);
  scope_tasks_.push_back(spec.ordinal);
  ++tasks_allocated_;
  return t;
}

void RuntimeState::sync_heap_tail(int ring_id) {
  RingState& r = *rings_.at(ring_id);
  if (r.last_task_alive == r.heap_synced_at || r.last_task_alive == 0) return;
  r.heap_synced_at = r.last_task_alive;
  r.heap.reclaim_to(tasks_[r.ordinals[r.last_task_alive - 1]].packed_end);
}

std::optional<std::uint64_t> RuntimeState::try_alloc_heap(int ring_id, std::uint64_t bytes) {
  return rings_.at(ring_id)->heap.try_alloc(bytes);
}

bool RuntimeState::try_reserve_dep_entries(int ring_id, std::uint32_t entries) {
  return rings_.at(ring_id)->dep_pool.try_reserve(entries);
}

bool RuntimeState::reclaim_dep_pool(int ring_id) {
  RingState& r = *rings_.at(ring_id);
  if (r.last_task_alive < r.dep_pool_reclaimed_at + DEP_POOL_CLEANUP_INTERVAL) return false;
  r.dep_pool.reclaim_to(tasks_[r.ordinals[r.last_task_alive - 1]].dep_pool_mark);
  r.dep_pool_reclaimed_at = r.last_task_alive;
  return true;
}

bool RuntimeState::try_reserve_spill_entries(int ring_id, std::uint32_t local_id, std::uint32_t entries) {
  return rings_.at(ring_id)->spill_pool.try_reserve(local_id, entries);
}

bool RuntimeState::reclaim_spill_pool(int ring_id) {
  RingState& r = *rings_.at(ring_id);
  return r.spill_pool.reclaim(r.last_task_alive);
}

std::uint64_t RuntimeState::free_retired_tensormap_entries(RingState& r) {
  std::uint64_t freed = 0;
  while (!r.tensormap_entries.empty() && r.tensormap_entries.front().local_id < r.last_task_alive) {
    freed += r.tensormap_entries.front().entries;
    r.tensormap_entries.pop_front();
  }
  PTOSIM_ASSERT(freed <= tensormap_used_, "TensorMap entries freed twice");
  tensormap_used_ -= freed;
  r.tensormap_cleaned_at = r.last_task_alive;
  return freed;
}

void RuntimeState::sync_tensormap(int ring_id) {
  RingState& r = *rings_.at(ring_id);
  if (r.last_task_alive < r.tensormap_cleaned_at + TENSORMAP_CLEANUP_INTERVAL) return;
  free_retired_tensormap_entries(r);
}

std::uint64_t RuntimeState::reclaim_tensormap_all() {
  std::uint64_t freed = 0;
  for (auto& ring : rings_) freed += free_retired_tensormap_entries(*ring);
  return freed;
}

void RuntimeState::insert_tensormap_entries(int ring_id, std::uint32_t local_id, std::uint32_t entries) {
  PTOSIM_ASSERT(entries <= tensormap_available(), "TensorMap insert beyond its pool");
  RingState& r = *rings_.at(ring_id);
  PTOSIM_ASSERT(r.tensormap_entries.empty() || r.tensormap_entries.back().local_id < local_id,
                "TensorMap entries registered out of task order");
  r.tensormap_entries.push_back(RingState::TensorMapEntries{local_id, entries});
  tensormap_used_ += entries;
  if (tensormap_used_ > tensormap_high_water_) tensormap_high_water_ = tensormap_used_;
}

void RuntimeState::begin_wait(const BlockedWait& wait) {
  PTOSIM_ASSERT(!blocked_.active, "the orchestrator blocked twice");
  PTOSIM_ASSERT(wait.active, "a wait that is not active");
  blocked_ = wait;
}

std::uint32_t RuntimeState::take_ready(hwmodel::TaskShape shape, std::size_t position) {
  auto& queue = ready_[static_cast<int>(shape)];
  PTOSIM_ASSERT(position < queue.size(), "pop beyond the ready queue");
  const std::uint32_t ordinal = queue[position];
  queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(position));
  // The last READY task taken: early candidates may be staged now (normal precedes early).
  if (early_queued_ != 0 && queue.empty()) wake_for_early();
  return ordinal;
}

void RuntimeState::requeue(hwmodel::TaskShape shape, std::uint32_t ordinal) {
  const TaskRecord& t = tasks_.at(ordinal);
  PTOSIM_ASSERT(t.ready_pushed && t.blocks_claimed < t.block_num, "requeue of a task without blocks left");
  ready_[static_cast<int>(shape)].push_back(ordinal);
  wake_one_for(shape, ordinal);
}

std::uint32_t RuntimeState::take_ready_sync(hwmodel::TaskShape shape) {
  auto& queue = ready_sync_[static_cast<int>(shape)];
  PTOSIM_ASSERT(!queue.empty(), "pop of an empty ready_sync queue");
  const std::uint32_t ordinal = queue.front();
  queue.pop_front();
  --sync_ready_count_;
  return ordinal;
}

void RuntimeState::requeue_sync(hwmodel::TaskShape shape, std::uint32_t ordinal) {
  const TaskRecord& t = tasks_.at(ordinal);
  PTOSIM_ASSERT(t.sync_start && t.ready_pushed && t.blocks_claimed == 0, "requeue of a cohort already launched");
  ready_sync_[static_cast<int>(shape)].push_back(ordinal);
  ++sync_ready_count_;
}

std::uint32_t RuntimeState::claim_blocks(std::uint32_t ordinal, std::uint32_t count, std::uint32_t thread,
                                         std::uint32_t core) {
  TaskRecord& t = tasks_.at(ordinal);
  // A task is dispatched only when published, with its fanin satisfied, and each block once.
  PTOSIM_ASSERT(t.published, "task " + std::to_string(ordinal) + " dispatched before it was published");
  PTOSIM_ASSERT(t.fanin_refcount == t.fanin_count, "task " + std::to_string(ordinal) + " dispatched before it was ready");
  PTOSIM_ASSERT(t.state == StoredState::pending, "task " + std::to_string(ordinal) + " dispatched after completion");
  PTOSIM_ASSERT(count > 0 && t.blocks_claimed + count <= t.block_num,
                "task " + std::to_string(ordinal) + " dispatched twice");
  const std::uint32_t first = t.blocks_claimed;
  if (first == 0) {
    t.running = true;
    t.thread = thread;
    t.core = core;
  }
  t.blocks_claimed += count;
  if (t.early_resolve) blocks_published(ordinal, count);
  return first;
}

bool RuntimeState::finish_subtask(std::uint32_t ordinal) {
  TaskRecord& t = tasks_.at(ordinal);
  PTOSIM_ASSERT(t.subtasks_done < t.subtasks_required, "task " + std::to_string(ordinal) + " finished too often");
  return ++t.subtasks_done == t.subtasks_required;
}

ProducerStatus RuntimeState::producer_status(std::uint32_t ordinal) const {
  if (ordinal >= tasks_.size() || !tasks_[ordinal].allocated) return ProducerStatus::unknown;
  const TaskRecord& t = tasks_[ordinal];
  if (is_retired(t.ring, t.local_id)) return ProducerStatus::retired;
  if (t.state == StoredState::consumed) return ProducerStatus::consumed;
  return ProducerStatus::live;
}

bool RuntimeState::is_retired(std::uint8_t ring_id, std::uint32_t local_id) const {
  return local_id < ring(ring_id).last_task_alive;
}

void RuntimeState::publish(std::uint32_t ordinal) {
  TaskRecord& task = tasks_.at(ordinal);
  PTOSIM_ASSERT(task.allocated && !task.published, "task " + std::to_string(ordinal) + " published twice");
  task.published = true;
  events_.record(simcore::EventKind::publish, simcore::now(), task.ordinal, lanes_.orchestrator);
  task.fanin_refcount += 1;  // release the wiring guard
  route_if_ready(task, lanes_.orchestrator);
  if (task.early_eligible) enqueue_early_candidate(task);  // its producers may all be on cores already
}

void RuntimeState::route_if_ready(TaskRecord& task, std::uint32_t lane) {
  if (!task.published || task.fanin_refcount != task.fanin_count || task.ready_pushed) return;
  task.ready_pushed = true;
  task.ready_ns = simcore::now();
  events_.record(simcore::EventKind::ready, simcore::now(), task.ordinal, lane);
  // Pre-staged: its doorbells rang, no ready-queue round trip.
  if (task.early == EarlyState::staging && release_early(task)) return;
  if (task.sync_start) {
    ready_sync_[static_cast<int>(task.shape)].push_back(task.ordinal);
    ++sync_ready_count_;
  } else {
    ready_[static_cast<int>(task.shape)].push_back(task.ordinal);
  }
  wake_one_for(task.shape, task.ordinal);
}

std::vector<int> RuntimeState::cores_of(std::uint32_t ordinal) const {
  std::vector<int> cores;
  for (std::size_t c = 0; c < core_task_.size(); ++c) {
    if (core_task_[c] == ordinal) cores.push_back(static_cast<int>(c));
  }
  return cores;
}

void RuntimeState::wake_one_for(hwmodel::TaskShape shape, std::uint32_t task_ordinal) {
  WorkListener* eligible[8];
  std::uint64_t thread_ids[8];
  std::size_t count = 0;
  for (std::size_t i = 0; i < listeners_.size() && count < 8; ++i) {
    if (!listeners_[i]->can_take(shape)) continue;
    eligible[count] = listeners_[i];
    thread_ids[count++] = i;
  }
  // No idle core waits for it: a thread that may fill a pending slot (the runtime's PENDING phase).
  const bool none_idle = count == 0;
  for (std::size_t i = 0; none_idle && i < listeners_.size() && count < 8; ++i) {
    if (!listeners_[i]->can_take_pending(shape)) continue;
    eligible[count] = listeners_[i];
    thread_ids[count++] = i;
  }
  if (count == 0) return;  // busy threads see the queue on their next iteration
  const std::size_t first = decisions_.choose({wake_stream_, task_ordinal, 0}, std::span(thread_ids, count));
  eligible[first]->wake();
  // The others poll too: where their polls are simulated they may still get there first.
  for (std::size_t i = 0; i < count; ++i) {
    if (i != first) eligible[i]->notice();
  }
}

void RuntimeState::complete_inline(std::uint32_t ordinal) {
  TaskRecord& task = tasks_.at(ordinal);
  PTOSIM_ASSERT(task.kind == TaskKind::alloc && task.state == StoredState::pending, "inline completion of a kernel");
  task.state = StoredState::completed;
  ++completed_tasks_;
  events_.record(simcore::EventKind::complete, simcore::now(), task.ordinal, lanes_.orchestrator);
  task_progress_.notify();
  for (WorkListener* listener : listeners_) listener->on_shutdown_check();
}

std::uint32_t RuntimeState::complete_task(std::uint32_t ordinal, std::uint32_t lane) {
  TaskRecord& task = tasks_.at(ordinal);
  PTOSIM_ASSERT(task.state == StoredState::pending, "task " + std::to_string(task.ordinal) + " completed twice");
  PTOSIM_ASSERT(task.fanin_refcount == task.fanin_count, "task completed before its fanin was satisfied");
  task.state = StoredState::completed;
  task.running = false;
  ++completed_tasks_;
  events_.record(simcore::EventKind::complete, simcore::now(), task.ordinal, lane);
  task_progress_.notify();
  std::uint32_t released = 0;
  for (std::uint32_t link = task.first_consumer; link != NO_INDEX; link = consumer_pool_[link].next) {
    TaskRecord& consumer = tasks_[consumer_pool_[link].consumer];
    ++consumer.fanin_refcount;
    ++released;
    route_if_ready(consumer, lane);
  }
  if (!early_released_.empty()) drain_early_releases();
  // No CONSUMED check here: the task's own deferred on_task_release does it (release_task).
  if (all_done()) {
    for (WorkListener* listener : listeners_) listener->on_shutdown_check();
  }
  return released;
}

void RuntimeState::release_task(std::uint32_t ordinal, std::uint32_t lane) {
  acting_lane_ = lane;
  TaskRecord& task = tasks_.at(ordinal);
  PTOSIM_ASSERT(task.state != StoredState::pending, "release of task " + std::to_string(ordinal) + " before completion");
  for (const FaninEdge& edge : producers(task)) {
    if (edge.retain) release_pin(edge.producer);
  }
  release_pin_check(task);
}

void RuntimeState::release_scope_bit(TaskRecord& task) {
  task.scope_released = true;
  release_pin_check(task);
}

void RuntimeState::release_pin(std::uint32_t ordinal) {
  TaskRecord& producer = tasks_.at(ordinal);
  ++producer.consumers_released;
  task_progress_.notify();
  PTOSIM_ASSERT(producer.consumers_released <= producer.consumers_claimed,
                "task " + std::to_string(producer.ordinal) + " released more pins than were claimed");
  release_pin_check(producer);
}

void RuntimeState::release_pin_check(TaskRecord& task) {
  if (task.state != StoredState::completed) return;
  if (!task.scope_released) return;
  if (task.consumers_released != task.consumers_claimed) return;
  PTOSIM_ASSERT(task.published || task.kind == TaskKind::alloc, "an unpublished task cannot be CONSUMED");
  task.state = StoredState::consumed;
  RingState& own_ring = *rings_.at(task.ring);
  PTOSIM_ASSERT(own_ring.dep_pool_live >= task.dep_entries, "dep entries released twice");
  own_ring.dep_pool_live -= task.dep_entries;
  events_.record(simcore::EventKind::consumed, simcore::now(), task.ordinal, lanes_.orchestrator, task.ring);
  try_advance_ring(own_ring);
}

bool RuntimeState::advance_lock_free(const RingState& r, std::uint32_t lane) const {
  // The lock's holder is done with it by the time it consumes again (its work is sequential).
  return r.advance_lock_lane == lane || r.advance_lock_free_ns <= simcore::now();
}

void RuntimeState::try_advance_ring(RingState& r) {
  if (!advance_lock_free(r, acting_lane_)) {
    // check_and_handle_consumed lost the try-lock: the ring's bit in advance_pending_mask, retried
    // only in a scheduler thread's no-progress path.
    PTOSIM_MARK("advance lock busy");
    advance_pending_mask_ |= 1U << r.id;
    notify_reclaim_work(false);
    return;
  }
  advance_ring_locked(r, acting_lane_, false);
}

void RuntimeState::advance_ring_locked(RingState& r, std::uint32_t lane, bool force_publish) {
  const std::uint32_t before = r.sched_alive;
  // The watermark never passes a task that is not CONSUMED: reclaim is strictly in order.
  while (r.sched_alive < r.current_index && tasks_[r.ordinals[r.sched_alive]].state == StoredState::consumed) {
    ++r.sched_alive;
  }
  PTOSIM_ASSERT(r.sched_alive <= r.current_index, "watermark passed the current index");
  PTOSIM_ASSERT(r.last_task_alive <= r.sched_alive, "published watermark ahead of the schedulers' own");
  // The lock is held for the advance's work; the same actor's next advance queues behind it.
  const SchedulerCosts& costs = config_.scheduler;
  const TimeNs cost_ns = add_ns(costs.ring_advance_ns, mul_ns(r.sched_alive - before, costs.slot_reset_ns));
  const TimeNs now_ns = simcore::now();
  const TimeNs start_ns = r.advance_lock_lane == lane && r.advance_lock_free_ns > now_ns ? r.advance_lock_free_ns : now_ns;
  r.advance_lock_lane = lane;
  r.advance_lock_free_ns = add_ns(start_ns, cost_ns);
  advance_cost_ns_ = add_ns(advance_cost_ns_, cost_ns);
  // A drained ring is always published (nothing behind it could complete a batch).
  sync_to_sm(r, force_publish || r.sched_alive == r.current_index);
  if (r.publication_request == RingState::Request::standing && r.sched_alive != r.last_task_alive) {
    notify_reclaim_work(true);
  }
}

void RuntimeState::sync_to_sm(RingState& r, bool force) {
  if (r.sched_alive == r.last_task_alive) return;
  if (config_.publication_batched() && !force && r.sched_alive - r.last_task_alive < config_.watermark_publish_interval) {
    return;
  }
  r.last_task_alive = r.sched_alive;
  r.progress.notify();
  any_ring_progress_.notify();
}

bool RuntimeState::drain_pending_ring_advances(std::uint32_t lane) {
  if (advance_pending_mask_ == 0) return false;
  bool moved = false;
  for (auto& ring : rings_) {
    const std::uint32_t bit = 1U << ring->id;
    if ((advance_pending_mask_ & bit) == 0 || !advance_lock_free(*ring, lane)) continue;
    PTOSIM_MARK("pending ring advance drained");
    advance_pending_mask_ &= ~bit;
    const std::uint32_t before = ring->sched_alive;
    advance_ring_locked(*ring, lane, true);
    moved = moved || ring->sched_alive != before;
  }
  return moved;
}

TimeNs RuntimeState::reclaim_retry_ns(std::uint32_t lane, bool thread_zero) const {
  // Publication requests exist only with batched publication (request_publication).
  if (advance_pending_mask_ == 0 && (!thread_zero || !config_.publication_batched())) return TIME_NEVER;
  TimeNs earliest = TIME_NEVER;
  for (const auto& ring : rings_) {
    const RingState& r = *ring;
    const bool pending = (advance_pending_mask_ & (1U << r.id)) != 0;
    const bool request = thread_zero && (r.publication_request == RingState::Request::posted ||
                                         (r.publication_request == RingState::Request::standing &&
                                          r.sched_alive != r.last_task_alive));
    if (!pending && !request) continue;
    const TimeNs free_ns = advance_lock_free(r, lane) ? simcore::now() : r.advance_lock_free_ns;
    earliest = std::min(earliest, free_ns);
  }
  return earliest;
}

void RuntimeState::request_publication(int ring_id) {
  RingState& r = *rings_.at(ring_id);
  // Every advance is published without batching: there is nothing to ask for.
  if (!config_.publication_batched() || r.publication_request != RingState::Request::none) return;
  PTOSIM_MARK("publication request");
  r.publication_acked = false;
  r.publication_request = RingState::Request::posted;
  notify_reclaim_work(true);
}

bool RuntimeState::take_publication_ack(int ring_id) {
  RingState& r = *rings_.at(ring_id);
  if (!r.publication_acked) return false;
  r.publication_acked = false;
  r.publication_request = RingState::Request::standing;
  return true;
}

void RuntimeState::withdraw_publication_request(int ring_id) {
  RingState& r = *rings_.at(ring_id);
  if (r.publication_request == RingState::Request::standing) r.publication_request = RingState::Request::none;
}

void RuntimeState::request_all_publications() {
  if (!config_.publication_batched()) return;
  for (auto& ring : rings_) {
    if (ring->publication_request != RingState::Request::none) continue;
    PTOSIM_MARK("publication request");
    ring->publication_acked = false;
    ring->publication_request = RingState::Request::posted;
  }
  notify_reclaim_work(true);
}

bool RuntimeState::publication_service_due() const {
  if (!config_.publication_batched()) return false;  // no request is ever posted
  for (const auto& ring : rings_) {
    if (ring->publication_request == RingState::Request::posted) return true;
    if (ring->publication_request == RingState::Request::standing && ring->sched_alive != ring->last_task_alive) return true;
  }
  return false;
}

bool RuntimeState::service_publication_requests(std::uint32_t lane) {
  bool moved = false;
  for (auto& ring : rings_) {
    RingState& r = *ring;
    const bool posted = r.publication_request == RingState::Request::posted;
    const bool standing_news = r.publication_request == RingState::Request::standing && r.sched_alive != r.last_task_alive;
    if ((!posted && !standing_news) || !advance_lock_free(r, lane)) continue;
    const std::uint32_t before = r.last_task_alive;
    advance_ring_locked(r, lane, true);
    if (posted) r.publication_request = RingState::Request::none;
    r.publication_acked = true;
    PTOSIM_MARK("publication ack");
    if (r.last_task_alive != before) {
      PTOSIM_MARK("forced publish");
      moved = true;
    } else {
      r.progress.notify();  // the acknowledgment alone: the waiter may now trust the watermark
    }
  }
  return moved;
}

void RuntimeState::notify_reclaim_work(bool thread_zero_only) {
  for (WorkListener* listener : listeners_) {
    listener->on_reclaim_work();
    if (thread_zero_only) return;
  }
}

void RuntimeState::set_orchestration_done() {
  orchestration_done_ = true;
  for (WorkListener* listener : listeners_) listener->on_shutdown_check();
}

}  // namespace ptosim::runtime
