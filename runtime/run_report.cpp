#include "runtime/run_report.h"

namespace ptosim::runtime {

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

}  // namespace ptosim::runtime
