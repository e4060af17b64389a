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
#include "runtime/runtime_config.h"
#include "runtime/tensor_map.h"

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace ptosim::runtime {

// One task's node as the builder hands it out. A view: its edges stay valid until the next add.
struct GraphTask {
  std::span<const FaninEdge> edges;  // explicit first, then per argument: creator, TensorMap hits
  std::uint32_t lookups = 0;         // TensorMap lookups the submit performs (priced by the run)
  std::uint32_t lookup_steps = 0;    // TensorMap entries those lookups visited
  std::uint32_t inserts = 0;         // TensorMap inserts
  bool manual = false;               // submitted inside a MANUAL scope
  bool added = false;
  std::string error;                 // INVALID_ARGS detail (an explicit dep on a later task)
};

// The fanin of every task, in one array of edges with an offset per task (8 bytes an edge, 5 a
// task), and the runtime's verdict on the program.
class TaskGraph {
 public:
  TaskGraph() = default;
  explicit TaskGraph(std::uint32_t task_count) : first_edge_(task_count + 1, 0), flags_(task_count, 0) {}

  std::uint32_t size() const { return static_cast<std::uint32_t>(flags_.size()); }
  // A task not added (after a rejection) has no edges.
  std::span<const FaninEdge> edges(std::uint32_t task) const {
    if (task >= appended_) return {};
    return {edges_.data() + first_edge_[task], edges_.data() + first_edge_[task + 1]};
  }
  bool added(std::uint32_t task) const { return (flags_[task] & ADDED) != 0; }
  bool manual(std::uint32_t task) const { return (flags_[task] & MANUAL) != 0; }
  std::uint32_t edge_count() const { return static_cast<std::uint32_t>(edges_.size()); }
  // The INVALID_ARGS detail of a task (empty for almost every task).
  std::string error(std::uint32_t task) const;
  bool has_errors() const { return !errors_.empty(); }

  // Appends the node of `task`; tasks come in ascending ordinal order, each once.
  void append(std::uint32_t task, std::span<const FaninEdge> edges, bool manual, std::string error);

  // The runtime rejects the program (INVALID_ARGS) at this op: an AUTO scope inside a MANUAL one,
  // or scopes nested deeper than PTO2_MAX_SCOPE_DEPTH. Empty when the whole program is accepted.
  std::string rejection;
  std::uint32_t rejection_origin = NO_INDEX;

  // TensorMap hits the lookup cap dropped (DependencyRules::lookup_cap), in submission order.
  struct Dropped {
    std::uint32_t consumer = 0;
    std::uint32_t producer = 0;
    std::uint32_t arg = 0;
  };
  const std::vector<Dropped>& dropped() const { return dropped_; }
  void add_dropped(std::uint32_t consumer, std::span<const DroppedHit> hits);

 private:
  static constexpr std::uint8_t ADDED = 1;
  static constexpr std::uint8_t MANUAL = 2;
  std::vector<std::uint32_t> first_edge_;  // per task, and one past the last: where its edges start
  std::vector<FaninEdge> edges_;
  std::vector<std::uint8_t> flags_;
  std::uint32_t appended_ = 0;  // tasks below this have their edges in place
  std::vector<std::pair<std::uint32_t, std::string>> errors_;
  std::vector<Dropped> dropped_;
};

class TaskGraphBuilder {
 public:
  explicit TaskGraphBuilder(const Program& program, DependencyRules rules = {});

  // Adds the task that `op` creates (submit, dummy or alloc_tensors), in submission order.
  GraphTask add(const ProgramOp& op, bool in_manual) { return add(op, ScopeTracking{in_manual}); }
  GraphTask add(const ProgramOp& op, ScopeTracking scope);
  GraphTask task(std::uint32_t ordinal) const;
  // The tasks a get/set_tensor_data op waits for (wait_for_tensor_ready): the tensor's creator,
  // then every TensorMap writer overlapping the view, newest first, each once. The map is not
  // changed (no COVERED removal); the lookup cap applies as to a submit's lookup.
  void tensor_data_producers(const ProgramOp& op, std::vector<std::uint32_t>& out);
  TaskGraph take_graph() { return std::move(graph_); }

 private:
  const Program& program_;
  DependencyRules rules_;
  TensorMap map_;
  TaskGraph graph_;
  std::vector<ResolvedArg> args_;  // reused between adds
  FaninResult fanin_;              // reused between adds
};

// Builds the graph of the whole program, tracking scopes the way the orchestrator does.
// `tracking`: what MANUAL scopes do with boundary tensors (RuntimeConfig::manual_tracking).
TaskGraph build_task_graph(const Program& program, ManualTracking tracking = ManualTracking::none,
                           DependencyRules rules = {});

}  // namespace ptosim::runtime
