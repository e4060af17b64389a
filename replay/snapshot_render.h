// `ptosim inspect`: renders a snapshot as the text engineers paste into bug reports (the
// runtime's error text, the head snapshot table with a marker on the task that could make
// progress, ring usage, scopes, actors) and as a wait-for/dependency graph around the head (DOT,
// built and laid out with Boost.Graph).
#pragma once

#include "runtime/state_snapshot.h"

#include <cstddef>
#include <string>

namespace ptosim::replay {

inline constexpr std::size_t HEAD_TABLE_ROWS = 12;

std::string render_snapshot_text(const runtime::StateSnapshot& snapshot);
// Tasks within `radius` dependency hops of the head (and the progress task), the orchestrator's
// wait on the head, and the edges between them.
std::string render_snapshot_dot(const runtime::StateSnapshot& snapshot, int radius = 2);

}  // namespace ptosim::replay
