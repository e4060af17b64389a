// The timing-free task graph: the fanin of every task as the runtime's rules define it (explicit
// deps, creator edges, TensorMap edges; runtime/dependency_builder.h), with buffers named
// logically (an external tensor, or creator task + output index) and a TensorMap in which nothing
// ever retires. One builder, two users:
//
// - the orchestrator actor adds each task when it submits it, then wires only the edges whose
//   producer is still live (live_fanin); an edge to a producer that already retired or was
//   CONSUMED stays an edge of the graph, "satisfied at submit";
// - `ptosim check`, the race detector and the data oracle build the whole graph without
//   simulating (build_task_graph).
//
// Because submission order is the order of ordinals and every edge names an earlier task, the
// ordinals are a topological order of the graph.
#pragma once

#include "runtime/dependency_builder.h"
#include "runtime/program.h"
#include "runtime/tensor_map.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ptosim::runtime {

struct GraphTask {
  std::vector<FaninEdge> edges;  // explicit first, then per argument: creator, TensorMap hits
  std::uint32_t lookups = 0;     // TensorMap lookups the submit performs (priced by the run)
  std::uint32_t inserts = 0;     // TensorMap inserts
  bool manual = false;           // submitted inside a MANUAL scope
  bool added = false;
  std::string error;             // INVALID_ARGS detail (an explicit dep on a later task)
};

class TaskGraphBuilder {
 public:
  explicit TaskGraphBuilder(const Program& program);

  // Adds the task that `op` creates (submit, dummy or alloc_tensors), in submission order.
  const GraphTask& add(const ProgramOp& op, bool in_manual);
  const GraphTask& task(std::uint32_t ordinal) const { return tasks_[ordinal]; }
  std::vector<GraphTask> take_tasks() { return std::move(tasks_); }

 private:
  const Program& program_;
  TensorMap map_;
  std::vector<GraphTask> tasks_;
  std::vector<ResolvedArg> args_;  // reused between adds
};

struct TaskGraph {
  std::vector<GraphTask> tasks;  // per task ordinal; tasks after a rejection are not added
  // The runtime rejects the program (INVALID_ARGS) at this op: an AUTO scope inside a MANUAL one,
  // or scopes nested deeper than PTO2_MAX_SCOPE_DEPTH. Empty when the whole program is accepted.
  std::string rejection;
  std::uint32_t rejection_origin = NO_INDEX;
  std::uint32_t edge_count() const;
};

// Builds the graph of the whole program, tracking scopes the way the orchestrator does.
TaskGraph build_task_graph(const Program& program);

}  // namespace ptosim::runtime
