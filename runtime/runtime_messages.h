// The runtime's fatal diagnostics, in the formats of its dumps (runtime-model.md §4.4): allocator
// and dep-pool deadlock blocks with the head snapshot line, the scope pre-check block, the
// scheduler TIMEOUT_EXIT line, and the host's "PTO2 runtime failed" summary.
#pragma once

#include "runtime/runtime_state.h"

#include <cstdint>
#include <string>

namespace ptosim::runtime {

// Why a detector judged the wait hopeless; the first lines of the fatal block.
std::string structural_reason_lines(std::uint64_t head_task_id, int ring, std::uint32_t scope_depth);
std::string legacy_spin_reason_line(std::uint64_t spins);
std::string backstop_reason_line();

// "Head task H: state=S, consumers=released/claimed, scope_released=0|1" for the ring's head.
std::string head_snapshot_line(const RuntimeState& state, const RingState& ring);

std::string format_allocator_fatal(const RuntimeState& state, const RingState& ring, WaitResource resource,
                                   std::uint64_t requested_bytes, const std::string& reason_lines);
std::string format_dep_pool_fatal(const RuntimeState& state, const RingState& ring, std::uint64_t needed,
                                  const std::string& reason_lines);
std::string format_scope_fatal(const RuntimeState& state, int ring, std::uint32_t scope_depth,
                               std::uint32_t scope_task_count);
std::string format_scheduler_timeout(const RuntimeState& state, std::uint64_t idle_iterations, int sub_class,
                                     std::uint32_t running, std::uint32_t ready, std::uint32_t waiting,
                                     std::uint64_t stuck_task_id, const std::string& stuck_core);
// The host-side summary a user sees, including the CANN code.
std::string format_host_failure(ErrorCode code, int sub_class);

// Stall sub-class of code 100 (classify_stall_detail): 1 running-stalled, 3 ready-but-all-idle,
// 4 dependency-deadlock, 5 orchestrator-starvation, 99 unknown.
const char* stall_sub_class_name(int sub_class);

}  // namespace ptosim::runtime
