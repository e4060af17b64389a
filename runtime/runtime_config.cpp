#include "runtime/runtime_config.h"

#include "runtime/program.h"

namespace ptosim::runtime {

std::string_view to_string(ManualPublish policy) { return policy == ManualPublish::submit ? "submit" : "deferred"; }

std::string_view to_string(DetectorKind kind) { return kind == DetectorKind::legacy ? "legacy" : "current"; }

const char* to_string(ScopeMode mode) { return mode == ScopeMode::automatic ? "auto" : "manual"; }

const char* to_string(ArgKind kind) {
  switch (kind) {
    case ArgKind::input: return "input";
    case ArgKind::output: return "output";
    case ArgKind::inout: return "inout";
    case ArgKind::output_existing: return "output_existing";
    case ArgKind::no_dep: return "no_dep";
  }
  return "?";
}

std::vector<std::uint32_t> task_op_index(const Program& program) {
  std::vector<std::uint32_t> task_ops(program.task_count, NO_INDEX);
  for (std::uint32_t i = 0; i < program.ops.size(); ++i) {
    const ProgramOp& op = program.ops[i];
    if (op.kind == OpKind::submit || op.kind == OpKind::dummy || op.kind == OpKind::alloc_tensors) task_ops.at(op.task) = i;
  }
  return task_ops;
}

std::string tensor_name_of(const Program& program, const std::vector<std::uint32_t>& task_ops, std::uint32_t task,
                           std::size_t arg) {
  const ArgSpec& spec = program.ops.at(task_ops.at(task)).args.at(arg);
  if (spec.kind == ArgKind::output) {
    return spec.name < program.tensor_names.size() ? program.tensor_names[spec.name] : "output";
  }
  if (spec.source.external != NO_INDEX) return program.externals.at(spec.source.external).name;
  // A runtime-created tensor: find which output of its creator it is.
  const ProgramOp& creator = program.ops.at(task_ops.at(spec.source.task));
  std::uint32_t index = 0;
  for (std::size_t i = 0; i < creator.args.size(); ++i) {
    if (creator.args[i].kind != ArgKind::output) continue;
    if (index++ == spec.source.output) return tensor_name_of(program, task_ops, spec.source.task, i);
  }
  return "output";
}

}  // namespace ptosim::runtime
