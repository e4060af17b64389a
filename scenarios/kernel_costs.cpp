#include "scenarios/kernel_costs.h"

#include "scenarios/scenario.h"

#include <array>

namespace ptosim::scenarios {

namespace {

constexpr std::size_t ARG_VARS = 8;
constexpr std::size_t DIM_VARS = 5;

// The per-task variables, pushed once after the parameters (so slot hints stay valid) and
// overwritten per task: task variables shadow parameters of the same name.
struct TaskVariables {
  std::size_t first = 0;  // slot of block_idx
  enum : std::size_t { block_idx, block_num, args, in_bytes, out_bytes, bytes, per_arg };
  std::size_t arg_slot(std::size_t arg, std::size_t var) const { return first + per_arg + arg * (1 + DIM_VARS) + var; }

  explicit TaskVariables(Environment& env) : first(env.size()) {
    for (const char* name : {"block_idx", "block_num", "args", "in_bytes", "out_bytes", "bytes"}) env.push(name, 0);
    for (std::size_t a = 0; a < ARG_VARS; ++a) {
      env.push("a" + std::to_string(a) + "_bytes", 0);
      for (std::size_t d = 0; d < DIM_VARS; ++d) env.push("a" + std::to_string(a) + "_d" + std::to_string(d), 0);
    }
  }
};

std::int64_t view_bytes(const runtime::Program& program, const runtime::ArgSpec& arg) {
  const runtime::TensorLayout& layout = program.layout(arg);
  std::int64_t elements = layout.element_count();
  if (arg.rows != runtime::NO_INDEX && layout.shapes[0] > 0) {
    elements = elements / layout.shapes[0] * static_cast<std::int64_t>(program.row_lists.at(arg.rows).size());
  }
  return elements * hwmodel::dtype_bytes(layout.dtype);
}

void set_task(Environment& env, const TaskVariables& vars, const runtime::Program& program, const runtime::ProgramOp& op,
              std::uint32_t block_num) {
  std::int64_t in = 0;
  std::int64_t out = 0;
  std::int64_t all = 0;
  std::size_t index = 0;
  for (const runtime::ArgSpec& arg : program.args(op)) {
    const std::int64_t b = view_bytes(program, arg);
    const hwmodel::GmAccess access = runtime::access_of(arg.kind);
    if (hwmodel::reads(access)) in += b;
    if (hwmodel::writes(access)) out += b;
    all += b;
    if (index < ARG_VARS) {
      const runtime::TensorLayout& layout = program.layout(arg);
      env.set(vars.arg_slot(index, 0), b);
      for (std::size_t d = 0; d < DIM_VARS; ++d) {
        env.set(vars.arg_slot(index, 1 + d), static_cast<int>(d) < layout.ndims ? layout.shapes[d] : 1);
      }
    }
    ++index;
  }
  for (; index < ARG_VARS; ++index) {
    for (std::size_t v = 0; v <= DIM_VARS; ++v) env.set(vars.arg_slot(index, v), 0);
  }
  env.set(vars.first + TaskVariables::block_num, block_num);
  env.set(vars.first + TaskVariables::args, op.arg_count);
  env.set(vars.first + TaskVariables::in_bytes, in);
  env.set(vars.first + TaskVariables::out_bytes, out);
  env.set(vars.first + TaskVariables::bytes, all);
}

}  // namespace

runtime::KernelCostTable compile_kernel_costs(const std::string& file, const std::vector<KernelDurationExpr>& exprs,
                                              const Environment& params, const runtime::Program& program,
                                              const std::vector<hwmodel::KernelSpec>& kernels, std::int64_t max_ns) {
  runtime::KernelCostTable table;
  if (exprs.empty()) return table;
  std::vector<const KernelDurationExpr*> of_kernel(kernels.size(), nullptr);
  for (const KernelDurationExpr& e : exprs) of_kernel.at(e.kernel) = &e;
  Environment env = params;
  const TaskVariables vars(env);
  table.first.assign(program.task_count, runtime::NO_INDEX);
  for (const runtime::ProgramOp& op : program.ops) {
    if (op.kind != runtime::OpKind::submit || of_kernel[op.kernel] == nullptr) continue;
    const KernelDurationExpr& e = *of_kernel[op.kernel];
    const std::uint32_t block_num = kernels[op.kernel].block_num;
    set_task(env, vars, program, op, block_num);
    table.first[op.task] = static_cast<std::uint32_t>(table.ranges.size());
    for (std::uint32_t block = 0; block < block_num; ++block) {
      env.set(vars.first + TaskVariables::block_idx, block);
      std::int64_t nominal = 0;
      try {
        nominal = e.expr.evaluate(env);
      } catch (const ExpressionError& error) {
        throw ScenarioError(file, e.pointer, "task '" + program.task_name(op.task) + "': " + error.what());
      }
      if (nominal < 0 || nominal > max_ns) {
        throw ScenarioError(file, e.pointer, "task '" + program.task_name(op.task) + "': duration " +
                                                 std::to_string(nominal) + " ns outside [0, " + std::to_string(max_ns) + "]");
      }
      const std::int64_t spread = nominal / 100 * e.spread_pct + nominal % 100 * e.spread_pct / 100;
      table.ranges.push_back(runtime::DurationRange{nominal - spread, std::min(max_ns, nominal + spread)});
    }
  }
  return table;
}

}  // namespace ptosim::scenarios
