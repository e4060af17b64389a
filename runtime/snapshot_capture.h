// Takes a snapshot (runtime/state_snapshot.h) from the live runtime state when a detector fires.
#pragma once

#include "runtime/runtime_state.h"
#include "runtime/state_snapshot.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace ptosim::runtime {

StateSnapshot capture_snapshot(const RuntimeState& state, const std::vector<ActorView>& actors,
                               std::optional<std::uint32_t> progress_task);

// The task a detector overlooked: the oldest live task that is READY (full fanin), else RUNNING,
// else COMPLETED with pins still to release. Prefers `ring_hint`.
std::optional<std::uint32_t> find_progress_task(const RuntimeState& state, int ring_hint);

TaskView describe_task(const RuntimeState& state, const TaskRecord& task);

}  // namespace ptosim::runtime
