#include "runtime/runtime_messages.h"

#include <sstream>

namespace ptosim::runtime {

std::string structural_reason_lines(std::uint64_t head_task_id, int ring, std::uint32_t scope_depth) {
  std::ostringstream out;
  out << "  Head task " << head_task_id << " is the oldest task owned by an open scope (depth " << scope_depth
      << ") on ring " << ring << ".\n"
      << "  That scope can only end after this wait returns, so the head can never be CONSUMED.\n"
      << "  Provable head-of-line deadlock.\n";
  return out.str();
}

std::string legacy_spin_reason_line(std::uint64_t spins) {
  return "  last_task_alive did not move for " + std::to_string(spins) + " spins (last_alive heuristic).\n";
}

std::string backstop_reason_line() { return "  No reclaim progress for ~500 ms (25000000 cycles wall clock).\n"; }

std::string head_snapshot_line(const RuntimeState& state, const RingState& ring) {
  if (ring.last_task_alive >= ring.current_index) return "  Head task: none (ring empty)\n";
  const TaskRecord& head = state.tasks()[ring.ordinals[ring.last_task_alive]];
  std::ostringstream out;
  out << "  Head task " << head.task_id() << ": state=" << static_cast<int>(head.state)
      << ", consumers=" << head.consumers_released << "/" << head.consumers_claimed
      << ", scope_released=" << (head.scope_released ? 1 : 0) << "\n";
  return out.str();
}

namespace {

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

}  // namespace

std::string format_allocator_fatal(const RuntimeState& state, const RingState& ring, WaitResource resource,
                                   std::uint64_t requested_bytes, const std::string& reason_lines) {
  std::ostringstream out;
  out << "FATAL: Task Allocator Deadlock - "
      << (resource == WaitResource::heap ? "Heap Exhausted!" : "Task Ring Full!") << " ring=" << static_cast<int>(ring.id)
      << "\n"
      << reason_lines << ring_lines(ring);
  if (resource == WaitResource::heap) out << "  Requested: " << requested_bytes << " bytes\n";
  out << head_snapshot_line(state, ring);
  if (resource == WaitResource::heap) {
    out << "  Solution: increase PTO2_RING_HEAP (ring_heap) for ring " << static_cast<int>(ring.id) << "\n"
        << "  Solution: or close scopes earlier so their buffers can be reclaimed\n";
  } else {
    out << "  Solution: increase PTO2_RING_TASK_WINDOW (ring_task_window) above the largest scope's task count\n"
        << "  Solution: or split the scope so that it fits in the window\n";
  }
  return out.str();
}

std::string format_dep_pool_fatal(const RuntimeState& state, const RingState& ring, std::uint64_t needed,
                                  const std::string& reason_lines) {
  std::ostringstream out;
  const DepPool& pool = ring.dep_pool;
  out << "FATAL: Dependency Pool Deadlock Detected! ring=" << static_cast<int>(ring.id) << "\n"
      << reason_lines << "  Dep pool: used=" << pool.used() << ", top=" << pool.top() << ", tail=" << pool.tail()
      << ", capacity=" << pool.capacity() << ", high_water=" << pool.high_water() << ", needed=" << needed << "\n"
      << "  last_task_alive (stuck here)=" << ring.last_task_alive << ", current_task=" << ring.current_index
      << ", In-flight tasks=" << ring.active_tasks() << "\n"
      << head_snapshot_line(state, ring) << "  Solution: PTO2_RING_DEP_POOL=" << (2 * pool.high_water()) << "\n";
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

const char* stall_sub_class_name(int sub_class) {
  switch (sub_class) {
    case 1: return "S1:running-stalled";
    case 3: return "S3:ready-but-all-idle";
    case 4: return "S4:dependency-deadlock";
    case 5: return "S5:orchestrator-starvation";
    default: return "unknown";
  }
}

std::string format_scheduler_timeout(const RuntimeState& state, std::uint64_t idle_iterations, int sub_class,
                                     std::uint32_t running, std::uint32_t ready, std::uint32_t waiting,
                                     std::uint64_t stuck_task_id, const std::string& stuck_core) {
  std::ostringstream out;
  out << "TIMEOUT_EXIT after_idle_iterations=" << idle_iterations << " sub_class=" << stall_sub_class_name(sub_class)
      << " completed=" << state.completed_tasks() << "/" << state.tasks_allocated() << " running=" << running
      << " ready=" << ready << " waiting=" << waiting << " orch_done=" << (state.orchestration_done() ? 1 : 0)
      << " stuck_task_id=" << stuck_task_id << " stuck_core=" << stuck_core << "\n";
  return out.str();
}

std::string format_host_failure(ErrorCode code, int sub_class) {
  const int value = static_cast<int>(code);
  const bool scheduler = code == ErrorCode::scheduler_timeout;
  std::ostringstream out;
  out << "PTO2 runtime failed: orch_error_code=" << (scheduler ? 0 : value)
      << " sched_error_code=" << (scheduler ? value : 0) << " runtime_status=" << -value << "\n";
  if (scheduler) out << "PTO2 scheduler timeout sub_class=" << stall_sub_class_name(sub_class) << "\n";
  out << "error: " << error_name(code) << " (" << value << "), host code " << host_code_for(code)
      << (scheduler ? " (stream-sync timeout)" : " (ACL_ERROR_RT_AICPU_EXCEPTION)") << "\n";
  return out.str();
}

}  // namespace ptosim::runtime
