#include "runtime/dependency_builder.h"

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

}  // namespace

FaninResult compute_fanin(const std::vector<ResolvedArg>& args, const std::vector<ExplicitDep>& deps, bool in_manual,
                          TensorMap& map, const ProducerView& producers, bool dry_run) {
  FaninResult result;
  for (const ExplicitDep& dep : deps) {
    ProducerStatus status = producers.status(dep.task);
    if (status == ProducerStatus::unknown) {
      result.error = "explicit dependency on unknown task ordinal " + std::to_string(dep.task);
      return result;
    }
    if (status != ProducerStatus::live) continue;  // retired: skipped; consumed: "gone"
    add_edge(result.edges, dep.task, dep.flavor == DepFlavor::wait_retain, EdgeSource::explicit_dep);
  }
  if (in_manual) return result;  // MANUAL bypasses creator retention and the TensorMap

  for (const ResolvedArg& arg : args) {
    if (arg.kind == ArgKind::output) continue;
    if (arg.owner != NO_INDEX && producers.status(arg.owner) == ProducerStatus::live) {
      add_edge(result.edges, arg.owner, true, EdgeSource::creator);
    }
    const bool looks_up = (arg.kind == ArgKind::input || arg.kind == ArgKind::inout) && !arg.layout.manual_dep;
    if (!looks_up) continue;
    ++result.lookups;
    map.lookup(arg.buffer, arg.layout, arg.kind == ArgKind::inout && !dry_run, producers.retired,
               [&](const TensorMapEntry& entry, Overlap) {
                 if (producers.status(entry.producer) == ProducerStatus::live) {
                   add_edge(result.edges, entry.producer, false, EdgeSource::tensormap);
                 }
               });
  }
  for (const ResolvedArg& arg : args) {
    if ((arg.kind == ArgKind::inout || arg.kind == ArgKind::output_existing) && !arg.layout.manual_dep) {
      ++result.inserts;
    }
  }
  return result;
}

std::uint32_t register_outputs(const std::vector<ResolvedArg>& args, bool in_manual, TensorMap& map,
                               std::uint32_t task_ordinal, std::uint8_t ring, std::uint32_t local_id) {
  if (in_manual) return 0;
  std::uint32_t inserts = 0;
  for (const ResolvedArg& arg : args) {
    if ((arg.kind == ArgKind::inout || arg.kind == ArgKind::output_existing) && !arg.layout.manual_dep) {
      map.insert(TensorMapEntry{arg.buffer, task_ordinal, ring, local_id, arg.layout});
      ++inserts;
    }
  }
  return inserts;
}

}  // namespace ptosim::runtime
