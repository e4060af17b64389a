#include "runtime/runtime_messages.h"

#include <sstream>

namespace ptosim::runtime {

namespace {

bool legacy_era(const RuntimeState& state) { return state.config().detectors.kind == DetectorKind::legacy; }

std::string ring_lines(const RingState& ring) {
  std::ostringstream out;
  const std::uint32_t active = ring.active_tasks();
  const std::uint32_t window = ring.config.task_window;
  out << "  Task ring " << static_cast<int>(ring.id) << ": current=" << ring.current_index
      << ", last_alive=" << ring.last_task_alive << ", active=" << active << "/" << window << " ("
      << (100ULL * active / window) << "%)\n";
  const std::uint64_t used = ring.heap.used();
  out << "  Heap ring " << static_cast<int>(ring.id) << ": top=" << ring.heap.top() << ", tail=" << ring.heap.tail()
      << ", size=" << ring.heap.capacity() << ", used=" << used << ", available=" << (ring.heap.capacity() - used)
      << "\n";
  return out.str();
}

// Not a line of the runtime's dump: with batched publication, the watermark it printed is the
// published one, and the schedulers' own may be ahead of it.
std::string publication_line(const RuntimeState& state, const RingState& ring) {
  if (!state.config().publication_batched()) return "";
  std::ostringstream out;
  out << "  Watermark ring " << static_cast<int>(ring.id) << ": published last_task_alive=" << ring.last_task_alive
      << ", scheduler last_task_alive=" << ring.sched_alive << " (published every "
      << state.config().watermark_publish_interval << " advances, on drain or on request; request "
      << (ring.publication_request == RingState::Request::none ? "none" : "outstanding") << ")\n";
  return out.str();
}

std::string reason_lines(const ReclaimFatal& fatal, std::uint64_t head_task_id, int ring) {
  std::ostringstream out;
  switch (fatal.verdict) {
    case ReclaimVerdict::legacy_spins:
      out << "  last_task_alive did not move for " << fatal.spins << " spins (last_alive heuristic).\n";
      break;
    case ReclaimVerdict::structural:
      out << "  Head task " << head_task_id << " is the oldest task owned by an open scope (depth "
          << fatal.scope_depth << ") on ring " << ring << ".\n"
          << "  That scope can only end after this wait returns, so the head can never be CONSUMED.\n"
          << "  Provable head-of-line deadlock.\n";
      break;
    case ReclaimVerdict::backstop: out << "  No reclaim progress for ~500 ms (25000000 cycles wall clock).\n"; break;
  }
  return out.str();
}

}  // namespace

std::string head_snapshot_line(const RuntimeState& state, const RingState& ring) {
  if (ring.last_task_alive >= ring.current_index) return "  Head task: none (ring empty)\n";
  const TaskRecord& head = state.tasks()[ring.ordinals[ring.last_task_alive]];
  std::ostringstream out;
  if (legacy_era(state)) {
    out << "  Head task " << head.task_id() << ": state=" << five_state_number(head.phase())
        << " fanin=" << head.fanin_refcount << "/" << head.fanin_count << " consumers=" << head.consumers_released << "/"
        << head.consumers_claimed << "\n";
  } else {
    out << "  Head task " << head.task_id() << ": state=" << static_cast<int>(head.state)
        << ", consumers=" << head.consumers_released << "/" << head.consumers_claimed
        << ", scope_released=" << (head.scope_released ? 1 : 0) << "\n";
  }
  return out.str();
}

std::string format_reclaim_fatal(const RuntimeState& state, const RingState& ring, const ReclaimFatal& fatal) {
  const int ring_id = ring.id;
  const std::uint64_t head_id =
      ring.last_task_alive < ring.current_index ? state.tasks()[ring.ordinals[ring.last_task_alive]].task_id() : 0;
  std::ostringstream out;
  if (fatal.resource == WaitResource::dep_pool) {
    const DepPool& pool = ring.dep_pool;
    out << "FATAL: Dependency Pool Deadlock Detected!\n"
        << reason_lines(fatal, head_id, ring_id) << "  Dep pool ring " << ring_id << ": used=" << pool.used()
        << ", top=" << pool.top() << ", tail=" << pool.tail() << ", capacity=" << pool.capacity()
        << ", high_water=" << pool.high_water() << ", needed=" << fatal.requested << "\n"
        << "  last_task_alive (stuck here)=" << ring.last_task_alive << ", current_task=" << ring.current_index
        << ", In-flight tasks=" << ring.active_tasks() << "\n"
        << publication_line(state, ring) << head_snapshot_line(state, ring)
        << "  Solution: PTO2_RING_DEP_POOL=" << (2 * pool.high_water()) << "\n";
    return out.str();
  }
  if (fatal.resource == WaitResource::fanin_spill) {
    // The spill pool's block has no head snapshot (PTO2FaninPool::ensure_space).
    const FaninSpillPool& pool = ring.spill_pool;
    out << "FATAL: Fanin Spill Pool Deadlock Detected!\n"
        << reason_lines(fatal, head_id, ring_id) << "  Fanin spill pool ring " << ring_id << ": used=" << pool.used()
        << "/" << pool.capacity() << ", top=" << pool.top() << ", tail=" << pool.tail()
        << ", high_water=" << pool.high_water() << ", needed=" << fatal.requested << "\n"
        << "  last_task_alive (stuck here)=" << ring.last_task_alive << ", current_task=" << ring.current_index
        << ", In-flight tasks=" << ring.active_tasks() << "\n"
        << publication_line(state, ring)
        << "  Solution: PTO2_RING_DEP_POOL=" << (2 * pool.high_water()) << " (sizes the spill pool too)\n";
    return out.str();
  }
  const bool heap = fatal.resource == WaitResource::heap;
  if (legacy_era(state)) {
    out << "FATAL: " << (heap ? "Heap Ring Deadlock" : "Flow Control Deadlock") << " - no progress after "
        << fatal.spins << " spins! ring=" << ring_id << "\n";
  } else {
    out << "FATAL: Task Allocator Deadlock - " << (heap ? "Heap Exhausted!" : "Task Ring Full!") << " ring=" << ring_id
        << "\n";
  }
  out << reason_lines(fatal, head_id, ring_id) << ring_lines(ring) << publication_line(state, ring);
  if (heap) out << "  Requested: " << fatal.requested << " bytes\n";
  out << head_snapshot_line(state, ring);
  if (heap) {
    out << "  Solution: increase PTO2_RING_HEAP (ring_heap) for ring " << ring_id << "\n"
        << "  Solution: or close scopes earlier so their buffers can be reclaimed\n";
  } else {
    out << "  Solution: increase PTO2_RING_TASK_WINDOW (ring_task_window) above the largest scope's task count\n"
        << "  Solution: or split the scope so that it fits in the window\n";
  }
  return out.str();
}

std::string format_tensormap_fatal(const RuntimeState& state, std::uint64_t needed) {
  std::ostringstream out;
  const std::uint64_t capacity = state.config().tensormap_pool_entries;
  out << "FATAL: TensorMap Entry Pool Exhausted!\n"
      << "  TensorMap cannot reclaim entries after ~500 ms (no entry freed).\n"
      << "  Pool used: " << state.tensormap_used() << " / " << capacity << ", high_water=" << state.tensormap_high_water()
      << ", needed=" << needed << "\n";
  for (int r = 0; r < MAX_RING_DEPTH; ++r) {
    const RingState& ring = state.ring(r);
    if (ring.current_index == 0) continue;
    out << "  Ring " << r << ": last_task_alive=" << ring.last_task_alive << ", current_task=" << ring.current_index
        << ", In-flight tasks=" << ring.active_tasks() << "\n";
  }
  out << "  Solution: increase PTO2_TENSORMAP_POOL_SIZE (current: " << capacity << ", compile time)\n";
  return out.str();
}

std::string format_tensor_wait_fatal(const RuntimeState& state, const char* caller, const TaskRecord& producer,
                                     bool completed, TimeNs timeout_ns) {
  // The runtime counts the 50 MHz system counter (PTO2_TENSOR_DATA_TIMEOUT_CYCLES).
  constexpr TimeNs NS_PER_CYCLE = 20;
  std::ostringstream out;
  out << "FATAL [" << caller << "]: Timeout (" << timeout_ns / NS_PER_CYCLE << " cycles): "
      << (completed ? "consumers of producer" : "producer") << " (ring=" << static_cast<int>(producer.ring)
      << ", local=" << producer.local_id << ") " << (completed ? "not done" : "not completed") << "\n"
      << "  producer '" << state.program().task_name(producer.ordinal) << "' (ordinal " << producer.ordinal
      << "): " << to_string(producer.phase()) << ", consumers=" << producer.consumers_released << "/"
      << producer.consumers_claimed << "\n";
  return out.str();
}

std::string format_scope_fatal(const RuntimeState& state, int ring, std::uint32_t scope_depth,
                               std::uint32_t scope_task_count) {
  std::ostringstream out;
  const RingState& r = state.ring(ring);
  out << "FATAL: Scope Deadlock Detected! (ring " << ring << ")\n"
      << "  scope_depth=" << scope_depth << ", ring_id=" << ring << ", scope_task_count=" << scope_task_count
      << ", active_tasks=" << r.active_tasks() << ", task_window=" << r.config.task_window << "\n"
      << "  Tasks of an open scope cannot be reclaimed before scope_end; the scope needs a larger window.\n";
  return out.str();
}

std::string format_host_failure(ErrorCode code, const std::string& detail, const std::string& hint) {
  const int value = static_cast<int>(code);
  const bool scheduler = value >= static_cast<int>(ErrorCode::scheduler_timeout);
  std::ostringstream out;
  out << "PTO2 runtime failed: orch_error_code=" << (scheduler ? 0 : value)
      << " sched_error_code=" << (scheduler ? value : 0) << " runtime_status=" << -value << "\n"
      << "error detail: " << error_name(code) << " (" << value << "): " << detail << "\n"
      << "error hint: " << hint << "\n"
      << "host-visible code: " << host_code_for(code)
      << (host_code_for(code) == 507046 ? " (stream-sync timeout)" : " (ACL_ERROR_RT_AICPU_EXCEPTION)") << " onboard, "
      << -value
      << " on a2a3sim\n";
  return out.str();
}

const char* stall_sub_class_name(int sub_class) {
  switch (sub_class) {
    case 1: return "S1:running-stalled";
    case 3: return "S3:ready-but-all-idle";
    case 4: return "S4:dependency-deadlock";
    case 5: return "S5:orchestrator-starvation";
    default: return "unknown";
  }
}

std::string stall_task_line(const TaskRecord& task, const char* state_name) {
  const int kernel = task.kind == TaskKind::kernel ? static_cast<int>(task.kernel) : -1;
  const bool aic = task.shape == hwmodel::TaskShape::aic || task.shape == hwmodel::TaskShape::mix;
  const bool aiv0 = task.shape == hwmodel::TaskShape::aiv || task.shape == hwmodel::TaskShape::mix;
  const bool aiv1 = task.shape == hwmodel::TaskShape::mix;
  std::ostringstream out;
  out << "TASK ring=" << static_cast<int>(task.ring) << " task_id=" << task.task_id() << " state=" << state_name
      << " fanin_refcount=" << task.fanin_refcount << "/" << task.fanin_count << " kernels=[aic:" << (aic ? kernel : -1)
      << " aiv0:" << (aiv0 ? kernel : -1) << " aiv1:" << (aiv1 ? kernel : -1) << "]";
  return out.str();
}

}  // namespace ptosim::runtime
