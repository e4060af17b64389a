// The dropped_dependency findings: TensorMap hits the runtime's lookup cap left without an edge
// (runtime/dependency_builder.h, DependencyRules::lookup_cap). Decided from the task graph, never
// from one run's timing, so they are attached to every run of the scenario: the writer and the
// reader are unordered whether or not a given run lets the reader start before the write ends.
#pragma once

#include "runtime/program.h"
#include "runtime/task_graph.h"
#include "simcore/outcome.h"

#include <vector>

namespace ptosim::replay {

// One finding per (reader, argument) whose lookup dropped writers, appended to `out`.
void append_dropped_dependencies(const runtime::Program& program, const runtime::TaskGraph& graph,
                                 std::vector<simcore::Finding>& out);

}  // namespace ptosim::replay
