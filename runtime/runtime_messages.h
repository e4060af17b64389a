// The runtime's fatal diagnostics, in the formats of its dumps (runtime-model.md §4.4):
// allocator and dep-pool deadlock blocks with the head snapshot line, the scope pre-check block,
// the scheduler's TIMEOUT_EXIT line and [STALL ...] task lines, and the host's
// "PTO2 runtime failed" summary with its error detail and hint. With the legacy detectors the
// blocks take the shape of that era (spin-count wording, five-state numbering).
#pragma once

#include "runtime/runtime_config.h"
#include "runtime/runtime_state.h"

#include <cstdint>
#include <string>

namespace ptosim::runtime {

// Why a reclaim wait was judged hopeless.
enum class ReclaimVerdict : std::uint8_t { legacy_spins, structural, backstop };

struct ReclaimFatal {
  WaitResource resource = WaitResource::task_window;
  ReclaimVerdict verdict = ReclaimVerdict::backstop;
  std::uint64_t requested = 0;  // bytes (heap) or entries (dep pool)
  std::uint64_t spins = 0;      // legacy
  std::uint32_t scope_depth = 0;  // structural: depth of the scope owning the head
};

// The allocator (task window, heap) or dep-pool fatal block for `ring`.
std::string format_reclaim_fatal(const RuntimeState& state, const RingState& ring, const ReclaimFatal& fatal);
// The TensorMap pool block (ensure_tensormap_capacity): pool used/capacity, needed, and each
// ring's watermark, without a head snapshot.
std::string format_tensormap_fatal(const RuntimeState& state, std::uint64_t needed);
// wait_for_tensor_ready's report_fatal line: "Timeout (N cycles): producer (ring=R, local=L) not
// completed" or "... consumers of producer ... not done", with the producer's state.
std::string format_tensor_wait_fatal(const RuntimeState& state, const char* caller, const TaskRecord& producer,
                                     bool completed, TimeNs timeout_ns);
std::string format_scope_fatal(const RuntimeState& state, int ring, std::uint32_t scope_depth,
                               std::uint32_t scope_task_count);

// "Head task H: state=S, consumers=released/claimed, scope_released=0|1" (HEAD) or, legacy,
// "Head task H: state=S fanin=rc/fc consumers=released/claimed" with the five-state number.
std::string head_snapshot_line(const RuntimeState& state, const RingState& ring);

// Host summary: "PTO2 runtime failed: orch_error_code= sched_error_code= runtime_status=", the
// "error detail:" and "error hint:" lines, and the code the host sees.
std::string format_host_failure(ErrorCode code, const std::string& detail, const std::string& hint);

// Stall sub-class of code 100 (classify_stall_detail): 1 running-stalled, 3 ready-but-all-idle,
// 4 dependency-deadlock, 5 orchestrator-starvation, 99 unknown.
const char* stall_sub_class_name(int sub_class);

// One "TASK ring= task_id= state= fanin_refcount= kernels=[...]" line of a stall round (without
// its [STALL ...] prefix and without running_on, which the scheduler adds).
std::string stall_task_line(const TaskRecord& task, const char* state_name);

}  // namespace ptosim::runtime
