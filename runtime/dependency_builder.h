// Dependency computation for one submit (submit_task_common STEP 1, 3 and 4), as pure code over a
// TensorMap and a view of producer states, so every rule is unit-testable:
//
// STEP 1  explicit deps first: unknown id -> INVALID_ARGS; retired producer -> skipped;
//         CONSUMED producer -> no edge; else WAIT|RETAIN (add_dep) or WAIT (add_dep_wait).
// STEP 3  (AUTO scopes only) per non-OUTPUT arg: creator edge WAIT|RETAIN to the tensor's owner;
//         for INPUT/INOUT without manual_dep a TensorMap lookup, WAIT edge per overlapping live
//         writer; COVERED under INOUT removes the entry.
// STEP 4  (AUTO scopes only) insert INOUT and OUTPUT_EXISTING args without manual_dep.
// One edge per producer; flags OR-accumulate. WAR is not tracked: readers are never inserted.
#pragma once

#include "runtime/program.h"
#include "runtime/task_record.h"
#include "runtime/tensor_map.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ptosim::runtime {

// An argument with its tensor resolved to a buffer address and owner task.
struct ResolvedArg {
  ArgKind kind = ArgKind::input;
  std::uint64_t buffer = 0;
  std::uint32_t owner = NO_INDEX;  // creator task ordinal; NO_INDEX for external tensors
  TensorLayout layout;
};

enum class ProducerStatus : std::uint8_t { live, consumed, retired, unknown };

struct ProducerView {
  std::function<ProducerStatus(std::uint32_t ordinal)> status;
  std::function<bool(std::uint8_t ring, std::uint32_t local_id)> retired;
};

struct FaninResult {
  std::vector<FaninEdge> edges;
  std::uint32_t lookups = 0;
  std::uint32_t inserts = 0;
  std::string error;  // non-empty: INVALID_ARGS with this detail
};

// With `dry_run` the TensorMap is not modified (used to price a submit before it happens).
FaninResult compute_fanin(const std::vector<ResolvedArg>& args, const std::vector<ExplicitDep>& deps, bool in_manual,
                          TensorMap& map, const ProducerView& producers, bool dry_run);

// STEP 4: registers this task's writes. Returns the number of inserts.
std::uint32_t register_outputs(const std::vector<ResolvedArg>& args, bool in_manual, TensorMap& map,
                               std::uint32_t task_ordinal, std::uint8_t ring, std::uint32_t local_id);

}  // namespace ptosim::runtime
