#include "runtime/task_graph.h"

#include "runtime/runtime_config.h"
#include "simcore/model_assert.h"

namespace ptosim::runtime {

namespace {

// The layout an argument accesses (one place to change when arguments stop embedding it).

}  // namespace

std::string TaskGraph::error(std::uint32_t task) const {
  for (const auto& [ordinal, detail] : errors_) {
    if (ordinal == task) return detail;
  }
  return {};
}

void TaskGraph::append(std::uint32_t task, std::span<const FaninEdge> edges, bool manual, std::string error) {
  PTOSIM_ASSERT(task < size(), "task graph: task ordinal " + std::to_string(task) + " beyond the program");
  PTOSIM_ASSERT(task >= appended_, "task graph: task " + std::to_string(task) + " added out of submission order");
  // Tasks skipped on the way have no edges.
  for (; appended_ < task; ++appended_) first_edge_[appended_ + 1] = first_edge_[appended_];
  edges_.insert(edges_.end(), edges.begin(), edges.end());
  first_edge_[task + 1] = static_cast<std::uint32_t>(edges_.size());
  appended_ = task + 1;
  flags_[task] = static_cast<std::uint8_t>(ADDED | (manual ? MANUAL : 0));
  if (!error.empty()) errors_.emplace_back(task, std::move(error));
}

void TaskGraph::add_dropped(std::uint32_t consumer, std::span<const DroppedHit> hits) {
  for (const DroppedHit& hit : hits) dropped_.push_back(Dropped{consumer, hit.producer, hit.arg});
}

TaskGraphBuilder::TaskGraphBuilder(const Program& program, DependencyRules rules)
    : program_(program), rules_(rules), graph_(program.task_count) {}

GraphTask TaskGraphBuilder::add(const ProgramOp& op, ScopeTracking scope) {
  args_.clear();
  std::uint32_t output_index = 0;
  for (const ArgSpec& spec : program_.args(op)) {
    ResolvedArg arg;
    arg.kind = spec.kind;
    arg.layout = &program_.layout(spec);
    if (spec.kind == ArgKind::output) {
      arg.buffer = output_buffer_key(op.task, output_index++);
      arg.owner = op.task;
    } else {
      arg.buffer = logical_buffer_key(spec.source());
      arg.owner = spec.source().external != NO_INDEX ? NO_INDEX : spec.source().task;
    }
    args_.push_back(arg);
  }
  compute_fanin(args_, program_.deps(op), scope, op.task, map_, fanin_, rules_);
  if (fanin_.error.empty()) register_outputs(args_, scope, map_, op.task);
  graph_.append(op.task, fanin_.edges, scope.manual, fanin_.error);
  if (!fanin_.dropped.empty()) graph_.add_dropped(op.task, fanin_.dropped);
  GraphTask node = task(op.task);
  node.lookups = fanin_.lookups;
  node.lookup_steps = fanin_.lookup_steps;
  node.inserts = fanin_.inserts;
  return node;
}

void TaskGraphBuilder::tensor_data_producers(const ProgramOp& op, std::vector<std::uint32_t>& out) {
  PTOSIM_ASSERT(op.kind == OpKind::tensor_data, "tensor data producers of another op");
  PTOSIM_ASSERT(op.arg_count <= 1, "tensor data access with more than one argument");
  out.clear();
  if (op.arg_count == 0) return;  // a value no task produces (a submit's tensor_data count)
  const ArgSpec& spec = program_.args(op)[0];
  const TensorSource source = spec.source();
  if (source.external == NO_INDEX) out.push_back(source.task);
  std::uint32_t hits = 0;
  map_.lookup(logical_buffer_key(source), program_.layout(spec), false, [&](const TensorMapEntry& entry, Overlap) {
    if (rules_.lookup_cap != 0 && hits == rules_.lookup_cap) return false;
    ++hits;
    for (std::uint32_t known : out) {
      if (known == entry.producer) return true;
    }
    out.push_back(entry.producer);
    return true;
  });
}

GraphTask TaskGraphBuilder::task(std::uint32_t ordinal) const {
  GraphTask node;
  node.edges = graph_.edges(ordinal);
  node.manual = graph_.manual(ordinal);
  node.added = graph_.added(ordinal);
  if (graph_.has_errors()) node.error = graph_.error(ordinal);
  return node;
}

TaskGraph build_task_graph(const Program& program, ManualTracking tracking, DependencyRules rules) {
  TaskGraphBuilder builder(program, rules);
  std::string rejection;
  std::uint32_t rejection_origin = NO_INDEX;
  // The executor's own scope (depth 0) is AUTO; a MANUAL scope makes everything inside it manual.
  std::vector<ScopeMode> scopes{ScopeMode::automatic};
  std::uint32_t manual_depth = 0;
  ScopeTracking scope{false, tracking == ManualTracking::boundary, 0};
  std::uint32_t next_task = 0;
  for (const ProgramOp& op : program.ops) {
    if (op.kind == OpKind::scope_begin) {
      if (op.mode == ScopeMode::automatic && manual_depth > 0) {
        rejection = "AUTO scope opened inside an active MANUAL scope";
      } else if (scopes.size() >= static_cast<std::size_t>(MAX_SCOPE_DEPTH)) {
        rejection = "scope depth exceeds PTO2_MAX_SCOPE_DEPTH=64";
      }
      if (!rejection.empty()) {
        rejection_origin = op.origin;
        break;
      }
      if (op.mode == ScopeMode::manual && manual_depth == 0) scope.local_from = next_task;
      scopes.push_back(op.mode);
      manual_depth += op.mode == ScopeMode::manual ? 1 : 0;
    } else if (op.kind == OpKind::scope_end) {
      manual_depth -= scopes.back() == ScopeMode::manual ? 1 : 0;
      scopes.pop_back();
    } else if (!creates_task(op.kind)) {
      continue;  // get/set_tensor_data: the orchestrator waits, the graph has no node for it
    } else {
      scope.manual = manual_depth > 0;
      next_task = op.task + 1;
      if (const GraphTask task = builder.add(op, scope); !task.error.empty()) {
        rejection = task.error;
        rejection_origin = op.origin;
        break;
      }
    }
  }
  TaskGraph graph = builder.take_graph();
  graph.rejection = std::move(rejection);
  graph.rejection_origin = rejection_origin;
  return graph;
}

}  // namespace ptosim::runtime
