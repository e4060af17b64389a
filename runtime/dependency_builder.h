// Dependency computation for one submit (submit_task_common STEP 1, 3 and 4), as pure code over a
// TensorMap, so every rule is unit-testable:
//
// STEP 1  explicit deps first: a task not submitted yet -> INVALID_ARGS; else WAIT|RETAIN
//         (add_dep) or WAIT (add_dep_wait).
// STEP 3  (AUTO scopes only) per non-OUTPUT arg: creator edge WAIT|RETAIN to the tensor's owner;
//         for INPUT/INOUT without manual_dep a TensorMap lookup, WAIT edge per overlapping
//         writer; COVERED under INOUT removes the entry. With a lookup cap (runtimes before
//         PR #669) a lookup keeps its first `lookup_cap` hits, newest first; the older ones are
//         dropped: no edge, no removal. The runtime counted only valid (not retired) entries;
//         the graph counts every hit, which is the same set when the chain's writers share one
//         ring (retirement is in order per ring, so once a kept hit is retired every older hit
//         of that ring is too, and skipped by the runtime anyway).
// STEP 4  (AUTO scopes only) insert INOUT and OUTPUT_EXISTING args without manual_dep.
// One edge per producer; flags OR-accumulate. WAR is not tracked: readers are never inserted.
//
// These rules give the edges of the timing-free task graph: every producer they name is an edge,
// whatever state it is in when a run submits. A run then keeps only the producers still live at
// that moment (live_fanin): the runtime skips an explicit dep or TensorMap entry whose producer
// retired, and a CONSUMED producer is "gone"; both finished before the submit, so the edge was
// satisfied at submit and nothing waits on it.
#pragma once

#include "runtime/program.h"
#include "runtime/task_record.h"
#include "runtime/tensor_map.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace ptosim::runtime {

// An argument with its tensor resolved to a logical buffer and owner task.
struct ResolvedArg {
  ArgKind kind = ArgKind::input;
  std::uint64_t buffer = 0;        // logical buffer key (logical_buffer_key)
  std::uint32_t owner = NO_INDEX;  // creator task ordinal; NO_INDEX for external tensors
  const TensorLayout* layout = nullptr;  // the view the task accesses (outlives the call)
};

// A TensorMap hit the lookup cap dropped: `producer` wrote what the argument `arg` reads, and no
// edge orders them (unless another argument or rule adds one).
struct DroppedHit {
  std::uint32_t producer = 0;
  std::uint32_t arg = 0;
};

// How the submitting scope treats creator retention and the TensorMap. AUTO: every argument.
// MANUAL: none (PR #568), or (#482 partial manual, `track_boundary`) the boundary tensors only:
// those not created inside the outermost open MANUAL scope, whose first task is `local_from`.
struct ScopeTracking {
  bool manual = false;
  bool track_boundary = false;
  std::uint32_t local_from = 0;
  bool tracks(std::uint32_t owner) const { return !manual || (track_boundary && (owner == NO_INDEX || owner < local_from)); }
};

struct FaninResult {
  std::vector<FaninEdge> edges;
  std::vector<DroppedHit> dropped;  // hits beyond the lookup cap, per lookup newest first
  std::uint32_t lookups = 0;
  std::uint32_t lookup_steps = 0;  // TensorMap entries the lookups visited
  std::uint32_t inserts = 0;
  std::string error;  // non-empty: INVALID_ARGS with this detail
};

// The rules that differ between runtime versions.
struct DependencyRules {
  // Hits one TensorMap lookup keeps (newest first); 0 = no cap. The runtime before PR #669 kept
  // PTO2_LOOKUP_MAX_RESULTS = 16 in a stack buffer and silently dropped the older hits; at HEAD
  // the lookup calls back per hit and has no cap.
  std::uint32_t lookup_cap = 0;
};

// STEP 1 and 3 for task `task_ordinal`. Explicit deps may only name earlier tasks. The second form
// fills `out`, reusing its storage (the graph builder calls it for every task).
FaninResult compute_fanin(const std::vector<ResolvedArg>& args, std::span<const ExplicitDep> deps, bool in_manual,
                          std::uint32_t task_ordinal, TensorMap& map, DependencyRules rules = {});
void compute_fanin(const std::vector<ResolvedArg>& args, std::span<const ExplicitDep> deps, ScopeTracking scope,
                   std::uint32_t task_ordinal, TensorMap& map, FaninResult& out, DependencyRules rules = {});

// STEP 4: registers this task's writes. Returns the number of inserts.
std::uint32_t register_outputs(const std::vector<ResolvedArg>& args, bool in_manual, TensorMap& map,
                               std::uint32_t task_ordinal);
std::uint32_t register_outputs(const std::vector<ResolvedArg>& args, ScopeTracking scope, TensorMap& map,
                               std::uint32_t task_ordinal);

enum class ProducerStatus : std::uint8_t { live, consumed, retired, unknown };

// The fanin a run wires now: the graph edges whose producer is live (in graph order).
void live_fanin(std::span<const FaninEdge> graph_edges, const std::function<ProducerStatus(std::uint32_t)>& status,
                std::vector<FaninEdge>& out);

}  // namespace ptosim::runtime
