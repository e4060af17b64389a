#include "runtime/dependency_builder.h"

#include "simcore/marks.h"

namespace ptosim::runtime {

namespace {

void add_edge(std::vector<FaninEdge>& edges, std::uint32_t producer, bool retain, EdgeSource source) {
  for (FaninEdge& edge : edges) {
    if (edge.producer == producer) {
      edge.wait = true;
      edge.retain = edge.retain || retain;
      return;
    }
  }
  edges.push_back(FaninEdge{producer, true, retain, source});
}

bool inserts(const ResolvedArg& arg) {
  return (arg.kind == ArgKind::inout || arg.kind == ArgKind::output_existing) && !arg.layout->manual_dep;
}

}  // namespace

FaninResult compute_fanin(const std::vector<ResolvedArg>& args, std::span<const ExplicitDep> deps, bool in_manual,
                          std::uint32_t task_ordinal, TensorMap& map, DependencyRules rules) {
  FaninResult result;
  compute_fanin(args, deps, ScopeTracking{in_manual}, task_ordinal, map, result, rules);
  return result;
}

void compute_fanin(const std::vector<ResolvedArg>& args, std::span<const ExplicitDep> deps, ScopeTracking scope,
                   std::uint32_t task_ordinal, TensorMap& map, FaninResult& result, DependencyRules rules) {
  result.edges.clear();
  result.dropped.clear();
  result.lookups = 0;
  result.lookup_steps = 0;
  result.inserts = 0;
  result.error.clear();
  for (const ExplicitDep& dep : deps) {
    if (dep.task >= task_ordinal) {
      result.error = "explicit dependency on unknown task ordinal " + std::to_string(dep.task);
      return;
    }
    add_edge(result.edges, dep.task, dep.flavor == DepFlavor::wait_retain, EdgeSource::explicit_dep);
  }
  // MANUAL bypasses creator retention and the TensorMap (#482: for tensors local to the scope).
  if (scope.manual && !scope.track_boundary) return;

  const std::uint64_t steps_before = map.lookup_steps();
  for (std::uint32_t index = 0; index < args.size(); ++index) {
    const ResolvedArg& arg = args[index];
    if (arg.kind == ArgKind::output || !scope.tracks(arg.owner)) continue;
    if (arg.owner != NO_INDEX) add_edge(result.edges, arg.owner, true, EdgeSource::creator);
    const bool looks_up = (arg.kind == ArgKind::input || arg.kind == ArgKind::inout) && !arg.layout->manual_dep;
    if (!looks_up) continue;
    ++result.lookups;
    std::uint32_t hits = 0;
    map.lookup(arg.buffer, *arg.layout, arg.kind == ArgKind::inout, [&](const TensorMapEntry& entry, Overlap) {
      if (rules.lookup_cap != 0 && hits == rules.lookup_cap) {
        PTOSIM_MARK("tensormap lookup cap dropped a writer");
        result.dropped.push_back(DroppedHit{entry.producer, index});
        return false;
      }
      ++hits;
      add_edge(result.edges, entry.producer, false, EdgeSource::tensormap);
      return true;
    });
  }
  result.lookup_steps = static_cast<std::uint32_t>(map.lookup_steps() - steps_before);
  for (const ResolvedArg& arg : args) result.inserts += inserts(arg) && scope.tracks(arg.owner) ? 1 : 0;
}

std::uint32_t register_outputs(const std::vector<ResolvedArg>& args, bool in_manual, TensorMap& map,
                               std::uint32_t task_ordinal) {
  return register_outputs(args, ScopeTracking{in_manual}, map, task_ordinal);
}

std::uint32_t register_outputs(const std::vector<ResolvedArg>& args, ScopeTracking scope, TensorMap& map,
                               std::uint32_t task_ordinal) {
  if (scope.manual && !scope.track_boundary) return 0;
  std::uint32_t count = 0;
  for (const ResolvedArg& arg : args) {
    if (!inserts(arg) || !scope.tracks(arg.owner)) continue;
    map.insert(TensorMapEntry{arg.buffer, task_ordinal, *arg.layout});
    ++count;
  }
  return count;
}

void live_fanin(std::span<const FaninEdge> graph_edges, const std::function<ProducerStatus(std::uint32_t)>& status,
                std::vector<FaninEdge>& out) {
  out.clear();
  for (const FaninEdge& edge : graph_edges) {
    if (status(edge.producer) == ProducerStatus::live) out.push_back(edge);
  }
}

}  // namespace ptosim::runtime
