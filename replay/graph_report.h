// What `ptosim check` says about a program's timing-free task graph, built with Boost.Graph: its
// size and edge kinds, its maximum width, its critical path weighted with each kernel's declared
// mean duration, and a DOT drawing in which every race's missing edge is drawn and labelled with
// its remedy (the whole graph when it is small, else the neighbourhood of each race).
#pragma once

#include "replay/race_detector.h"
#include "runtime/cost_model.h"
#include "runtime/program.h"
#include "runtime/task_graph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ptosim::replay {

struct GraphStats {
  std::uint32_t tasks = 0;  // tasks in the graph (all of them unless the runtime rejects the program)
  std::uint32_t edges = 0;
  std::uint32_t explicit_edges = 0;
  std::uint32_t creator_edges = 0;
  std::uint32_t tensormap_edges = 0;
  // Tasks at each depth (the longest chain of edges from a task without producers); the largest.
  std::uint32_t depth = 0;
  std::uint32_t max_width = 0;
  // The heaviest chain of edges, each task weighing its kernel's mean declared duration (alloc
  // and dummy tasks weigh nothing), source first.
  TimeNs critical_path_ns = 0;
  std::vector<std::uint32_t> critical_path;
};

// Task weights are the middle of each task's duration range (a kernel's range, or the range its
// duration expression gave the task's block 0).
GraphStats graph_stats(const runtime::Program& program, const std::vector<hwmodel::KernelSpec>& kernels,
                       const runtime::KernelCostTable& kernel_costs, const runtime::TaskGraph& graph);

// Graphs with at most this many tasks are drawn whole.
inline constexpr std::size_t DOT_WHOLE_GRAPH_TASKS = 200;
std::string render_graph_dot(const runtime::Program& program, const runtime::TaskGraph& graph, const RaceReport& races);

}  // namespace ptosim::replay
