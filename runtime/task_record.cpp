#include "runtime/task_record.h"

namespace ptosim::runtime {

// Two cache lines per task; the run keeps one per task of the program (docs/performance.md).
static_assert(sizeof(TaskRecord) == 128, "TaskRecord grew");

std::string_view to_string(TaskPhase phase) {
  switch (phase) {
    case TaskPhase::unpublished: return "UNPUBLISHED";
    case TaskPhase::waiting: return "PENDING";
    case TaskPhase::ready: return "READY";
    case TaskPhase::running: return "RUNNING";
    case TaskPhase::completed: return "COMPLETED";
    case TaskPhase::consumed: return "CONSUMED";
  }
  return "?";
}

int five_state_number(TaskPhase phase) {
  switch (phase) {
    case TaskPhase::unpublished:
    case TaskPhase::waiting: return 0;
    case TaskPhase::ready: return 1;
    case TaskPhase::running: return 2;
    case TaskPhase::completed: return 3;
    case TaskPhase::consumed: return 4;
  }
  return 0;
}

std::string_view five_state_name(TaskPhase phase) {
  return phase == TaskPhase::unpublished ? "PENDING" : to_string(phase);
}

const char* to_string(EdgeSource source) {
  switch (source) {
    case EdgeSource::explicit_dep: return "explicit";
    case EdgeSource::creator: return "creator";
    case EdgeSource::tensormap: return "tensormap";
  }
  return "?";
}

TaskPhase TaskRecord::phase() const {
  if (state == StoredState::consumed) return TaskPhase::consumed;
  if (state == StoredState::completed) return TaskPhase::completed;
  if (!published) return TaskPhase::unpublished;
  if (running && on_core) return TaskPhase::running;
  if (fanin_refcount >= fanin_count) return TaskPhase::ready;
  return TaskPhase::waiting;
}

}  // namespace ptosim::runtime
