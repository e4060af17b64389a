#include "runtime/runtime_state.h"

#include "simcore/model_assert.h"

#include <stdexcept>

namespace ptosim::runtime {

namespace {

// Fake GM addresses: every ring's heap and the external tensors live in disjoint ranges.
constexpr std::uint64_t RING_HEAP_BASE = 0x1000'0000'0000ULL;
constexpr std::uint64_t RING_HEAP_STRIDE = 0x0100'0000'0000ULL;

}  // namespace

const char* to_string(WaitResource resource) {
  switch (resource) {
    case WaitResource::task_window: return "task_window";
    case WaitResource::heap: return "heap";
    case WaitResource::dep_pool: return "dep_pool";
  }
  return "?";
}

const char* error_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::scope_deadlock: return "SCOPE_DEADLOCK";
    case ErrorCode::heap_ring_deadlock: return "HEAP_RING_DEADLOCK";
    case ErrorCode::flow_control_deadlock: return "FLOW_CONTROL_DEADLOCK";
    case ErrorCode::dep_pool_overflow: return "DEP_POOL_OVERFLOW";
    case ErrorCode::invalid_args: return "INVALID_ARGS";
    case ErrorCode::require_sync_start_invalid: return "REQUIRE_SYNC_START_INVALID";
    case ErrorCode::tensor_wait_timeout: return "TENSOR_WAIT_TIMEOUT";
    case ErrorCode::explicit_orch_fatal: return "EXPLICIT_ORCH_FATAL";
    case ErrorCode::scope_tasks_overflow: return "SCOPE_TASKS_OVERFLOW";
    case ErrorCode::tensormap_overflow: return "TENSORMAP_OVERFLOW";
    case ErrorCode::scheduler_timeout: return "SCHEDULER_TIMEOUT";
    case ErrorCode::async_completion_invalid: return "ASYNC_COMPLETION_INVALID";
    case ErrorCode::async_wait_overflow: return "ASYNC_WAIT_OVERFLOW";
    case ErrorCode::async_registration_failed: return "ASYNC_REGISTRATION_FAILED";
  }
  return "UNKNOWN";
}

// Onboard the host usually sees the generic AICPU exception; a hang that ends in the scheduler
// timeout surfaced as the stream-sync timeout in the store->load report (seeds/004).
int host_code_for(ErrorCode code) { return code == ErrorCode::scheduler_timeout ? 507046 : 507018; }

RingState::RingState(std::uint8_t ring_id, const RingConfig& ring_config, std::uint64_t heap_base)
    : id(ring_id),
      config(ring_config),
      heap(ring_config.heap_bytes),
      dep_pool(ring_config.dep_pool_entries),
      heap_base_address(heap_base) {}

RuntimeState::RuntimeState(const RuntimeConfig& config, const Program& program,
                           const std::vector<hwmodel::KernelSpec>& kernels, const hwmodel::Topology& topology,
                           simcore::DecisionSource& decisions, simcore::EventLog& events, RuntimeLanes lanes)
    : config_(config),
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

void RuntimeState::wire_fanin(TaskRecord& task, std::span<const FaninEdge> edges) {
  PTOSIM_ASSERT(task.producer_count == 0, "task " + std::to_string(task.ordinal) + " wired twice");
  task.first_producer = static_cast<std::uint32_t>(fanin_pool_.size());
  task.producer_count = static_cast<std::uint32_t>(edges.size());
  fanin_pool_.insert(fanin_pool_.end(), edges.begin(), edges.end());
  for (const FaninEdge& edge : edges) {
    TaskRecord& producer = tasks_[edge.producer];
    if (producer.state != StoredState::pending) continue;  // completed: nothing to notify
    const auto link = static_cast<std::uint32_t>(consumer_pool_.size());
    consumer_pool_.push_back(ConsumerLink{task.ordinal, NO_INDEX});
    if (producer.last_consumer == NO_INDEX) {
      producer.first_consumer = link;
    } else {
      consumer_pool_[producer.last_consumer].next = link;
    }
    producer.last_consumer = link;
  }
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

TaskRecord& RuntimeState::create_task(std::uint32_t ordinal, std::uint8_t ring_id, TaskKind kind,
                                      std::uint32_t kernel) {
  RingState& r = ring(ring_id);
  TaskRecord& t = tasks_.at(ordinal);
  PTOSIM_ASSERT(!t.allocated, "task ordinal " + std::to_string(ordinal) + " allocated twice");
  PTOSIM_ASSERT(window_has_room(r.current_index, r.last_task_alive, r.config.task_window), "task window overrun");
  t.ordinal = ordinal;
  t.ring = ring_id;
  t.local_id = r.current_index++;
  t.kind = kind;
  t.kernel = kernel;
  t.allocated = true;
  t.dep_pool_mark = r.dep_pool.top();
  if (kind == TaskKind::kernel) {
    t.shape = kernels_.at(kernel).shape;
    t.block_num = kernels_.at(kernel).block_num;
    t.subtasks_required = (t.shape == hwmodel::TaskShape::mix ? 3 : 1) * t.block_num;
  } else {
    t.shape = hwmodel::TaskShape::dummy;
  }
  r.ordinals.push_back(ordinal);
  ++tasks_allocated_;
  return t;
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

void RuntimeState::publish(TaskRecord& task) {
  task.published = true;
  events_.record(simcore::EventKind::publish, simcore::now(), task.ordinal, lanes_.orchestrator);
  task.fanin_refcount += 1;  // release the wiring guard
  route_if_ready(task, lanes_.orchestrator);
}

void RuntimeState::route_if_ready(TaskRecord& task, std::uint32_t lane) {
  if (!task.published || task.fanin_refcount != task.fanin_count || task.ready_pushed) return;
  task.ready_pushed = true;
  task.ready_ns = simcore::now();
  events_.record(simcore::EventKind::ready, simcore::now(), task.ordinal, lane);
  ready_[static_cast<int>(task.shape)].push_back(task.ordinal);
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
  if (count == 0) return;  // busy threads see the queue on their next iteration
  const std::size_t first = decisions_.choose({wake_stream_, task_ordinal, 0}, std::span(thread_ids, count));
  eligible[first]->wake();
  // The others poll too: where their polls are simulated they may still get there first.
  for (std::size_t i = 0; i < count; ++i) {
    if (i != first) eligible[i]->notice();
  }
}

void RuntimeState::complete_inline(TaskRecord& task) {
  task.state = StoredState::completed;
  ++completed_tasks_;
  events_.record(simcore::EventKind::complete, simcore::now(), task.ordinal, lanes_.orchestrator);
  for (WorkListener* listener : listeners_) listener->on_shutdown_check();
}

std::uint32_t RuntimeState::complete_task(TaskRecord& task, std::uint32_t lane) {
  PTOSIM_ASSERT(task.state == StoredState::pending, "task " + std::to_string(task.ordinal) + " completed twice");
  PTOSIM_ASSERT(task.fanin_refcount == task.fanin_count, "task completed before its fanin was satisfied");
  task.state = StoredState::completed;
  task.running = false;
  ++completed_tasks_;
  events_.record(simcore::EventKind::complete, simcore::now(), task.ordinal, lane);
  std::uint32_t released = 0;
  for (std::uint32_t link = task.first_consumer; link != NO_INDEX; link = consumer_pool_[link].next) {
    TaskRecord& consumer = tasks_[consumer_pool_[link].consumer];
    ++consumer.fanin_refcount;
    ++released;
    route_if_ready(consumer, lane);
  }
  // No CONSUMED check here: the task's own deferred on_task_release does it (release_task).
  if (all_done()) {
    for (WorkListener* listener : listeners_) listener->on_shutdown_check();
  }
  return released;
}

void RuntimeState::release_task(TaskRecord& task) {
  for (const FaninEdge& edge : producers(task)) {
    if (edge.retain) release_pin(tasks_[edge.producer]);
  }
  release_pin_check(task);
}

void RuntimeState::release_scope_bit(TaskRecord& task) {
  task.scope_released = true;
  release_pin_check(task);
}

void RuntimeState::release_pin(TaskRecord& producer) {
  ++producer.consumers_released;
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
  events_.record(simcore::EventKind::consumed, simcore::now(), task.ordinal, lanes_.orchestrator, task.ring);
  advance_ring(ring(task.ring));
}

void RuntimeState::advance_ring(RingState& r) {
  bool moved = false;
  // last_task_alive never passes a task that is not CONSUMED: reclaim is strictly in order.
  while (r.last_task_alive < r.current_index && tasks_[r.ordinals[r.last_task_alive]].state == StoredState::consumed) {
    ++r.last_task_alive;
    moved = true;
  }
  PTOSIM_ASSERT(r.last_task_alive <= r.current_index, "watermark passed the current index");
  if (moved) r.progress.notify();
}

void RuntimeState::set_orchestration_done() {
  orchestration_done_ = true;
  for (WorkListener* listener : listeners_) listener->on_shutdown_check();
}

}  // namespace ptosim::runtime
