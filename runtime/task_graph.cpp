#include "runtime/task_graph.h"

#include "runtime/runtime_config.h"

namespace ptosim::runtime {

TaskGraphBuilder::TaskGraphBuilder(const Program& program) : program_(program), tasks_(program.task_count) {}

const GraphTask& TaskGraphBuilder::add(const ProgramOp& op, bool in_manual) {
  args_.clear();
  std::uint32_t output_index = 0;
  for (const ArgSpec& spec : program_.args(op)) {
    ResolvedArg arg;
    arg.kind = spec.kind;
    arg.layout = program_.layout(spec);
    if (spec.kind == ArgKind::output) {
      arg.buffer = output_buffer_key(op.task, output_index++);
      arg.owner = op.task;
    } else {
      arg.buffer = logical_buffer_key(spec.source());
      arg.owner = spec.source().external != NO_INDEX ? NO_INDEX : spec.source().task;
    }
    args_.push_back(arg);
  }
  GraphTask& task = tasks_.at(op.task);
  FaninResult fanin = compute_fanin(args_, program_.deps(op), in_manual, op.task, map_);
  task.edges = std::move(fanin.edges);
  task.lookups = fanin.lookups;
  task.inserts = fanin.inserts;
  task.error = std::move(fanin.error);
  task.manual = in_manual;
  task.added = true;
  if (task.error.empty()) register_outputs(args_, in_manual, map_, op.task);
  return task;
}

std::uint32_t TaskGraph::edge_count() const {
  std::uint32_t count = 0;
  for (const GraphTask& task : tasks) count += static_cast<std::uint32_t>(task.edges.size());
  return count;
}

TaskGraph build_task_graph(const Program& program) {
  TaskGraph graph;
  TaskGraphBuilder builder(program);
  // The executor's own scope (depth 0) is AUTO; a MANUAL scope makes everything inside it manual.
  std::vector<ScopeMode> scopes{ScopeMode::automatic};
  std::uint32_t manual_depth = 0;
  for (const ProgramOp& op : program.ops) {
    if (op.kind == OpKind::scope_begin) {
      if (op.mode == ScopeMode::automatic && manual_depth > 0) {
        graph.rejection = "AUTO scope opened inside an active MANUAL scope";
      } else if (scopes.size() >= static_cast<std::size_t>(MAX_SCOPE_DEPTH)) {
        graph.rejection = "scope depth exceeds PTO2_MAX_SCOPE_DEPTH=64";
      }
      if (!graph.rejection.empty()) {
        graph.rejection_origin = op.origin;
        break;
      }
      scopes.push_back(op.mode);
      manual_depth += op.mode == ScopeMode::manual ? 1 : 0;
    } else if (op.kind == OpKind::scope_end) {
      manual_depth -= scopes.back() == ScopeMode::manual ? 1 : 0;
      scopes.pop_back();
    } else if (const GraphTask& task = builder.add(op, manual_depth > 0); !task.error.empty()) {
      graph.rejection = task.error;
      graph.rejection_origin = op.origin;
      break;
    }
  }
  graph.tasks = builder.take_tasks();
  return graph;
}

}  // namespace ptosim::runtime
