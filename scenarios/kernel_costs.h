// Kernel durations given as expressions (`duration_ns: {"expr": ..., "spread_pct": ...}`),
// evaluated once per task at load into the runtime's KernelCostTable. An expression sees the
// program's parameters and, per task and block: block_idx, block_num, args (tensor arguments),
// in_bytes (bytes the kernel reads: INPUT, INOUT, NO_DEP views), out_bytes (bytes it writes:
// OUTPUT, INOUT, OUTPUT_EXISTING), bytes (every view's bytes once), and per argument i < 8
// a<i>_bytes and a<i>_d<k> (dimension k < 5 of its view). A gather (`rows`) counts its rows.
// The result is the nominal duration; the range is nominal -/+ spread_pct percent, and the core
// that runs the block decides where in it (through the decision source).
#pragma once

#include "runtime/cost_model.h"
#include "runtime/program.h"
#include "scenarios/expression.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ptosim::scenarios {

struct KernelDurationExpr {
  std::uint32_t kernel = 0;
  Expression expr;
  std::int64_t spread_pct = 0;
  std::string pointer;  // the kernel's duration_ns field, for errors
};

// Throws ScenarioError (file, the kernel's field, the task) on an evaluation error or a duration
// outside [0, max_ns].
runtime::KernelCostTable compile_kernel_costs(const std::string& file, const std::vector<KernelDurationExpr>& exprs,
                                              const Environment& params, const runtime::Program& program,
                                              const std::vector<hwmodel::KernelSpec>& kernels, std::int64_t max_ns);

}  // namespace ptosim::scenarios
