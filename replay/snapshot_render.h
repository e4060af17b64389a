// `ptosim inspect`: renders a snapshot as the text engineers paste into bug reports (the
// runtime's error text, the head snapshot table with a marker on the task that could make
// progress, ring usage, scopes, actors) and as a wait-for/dependency graph around the head (DOT,
// built and laid out with Boost.Graph).
#pragma once

#include "runtime/state_snapshot.h"

#include <cstddef>
#include <string>
#include <vector>

namespace ptosim::replay {

inline constexpr std::size_t HEAD_TABLE_ROWS = 12;

// With `all_tasks`, every live task of every ring instead of the head of the blocked ring.
std::string render_snapshot_text(const runtime::StateSnapshot& snapshot, bool all_tasks = false);
// A graph titled with the verdict, with a legend. For deadlock_false: only the chain from the
// blocked orchestrator to the task that could make progress. Otherwise: tasks within `radius`
// dependency hops of the head, the orchestrator's wait on the head, and the edges between them.
std::string render_snapshot_dot(const runtime::StateSnapshot& snapshot, int radius = 2);

// One link of the chain that kept the orchestrator waiting although progress was possible.
struct ChainLink {
  const runtime::TaskView* task = nullptr;
  std::string relation;  // how the previous task (or the orchestrator) waits for this one
};
// From the head of the blocked ring to the progress task, following what each task waits for:
// an unfinished producer, or a consumer that still pins it. Empty when there is no such path.
std::vector<ChainLink> progress_chain(const runtime::StateSnapshot& snapshot);

// The ordinals on the head's chain: the progress chain when there is one; otherwise from the head
// of the blocked ring along the first thing each task waits for (a true deadlock's chain), to
// where it ends or comes back.
std::vector<std::uint32_t> head_chain_tasks(const runtime::StateSnapshot& snapshot);

}  // namespace ptosim::replay
