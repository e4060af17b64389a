#include "runtime/program.h"

#include <string>

namespace ptosim::runtime {

// The program's size per task rests on these (docs/performance.md).
static_assert(sizeof(ArgSpec) == 20, "ArgSpec grew");
static_assert(sizeof(ProgramOp) == 32, "ProgramOp grew");
static_assert(sizeof(TaskInfo) == 8, "TaskInfo grew");

std::uint64_t Program::output_bytes(const ArgSpec& arg) const {
  const TensorLayout& view = layout(arg);
  return static_cast<std::uint64_t>(view.element_count()) * dtype_bytes(view.dtype);
}

std::string Program::task_loops(std::uint32_t task) const {
  std::vector<const LoopFrame*> frames;  // innermost first
  for (std::uint32_t frame = tasks.at(task).loops; frame != NO_INDEX; frame = loop_frames.at(frame).parent) {
    frames.push_back(&loop_frames[frame]);
  }
  std::string text;
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    text += (text.empty() ? "" : " ") + loop_variables.at((*it)->variable) + "=" + std::to_string((*it)->value);
  }
  return text;
}

void Program::add_op(ProgramOp op, std::span<const ArgSpec> args, std::span<const ExplicitDep> deps) {
  op.first_arg = static_cast<std::uint32_t>(arg_pool.size());
  op.arg_count = static_cast<std::uint32_t>(args.size());
  op.first_dep = static_cast<std::uint32_t>(dep_pool.size());
  op.dep_count = static_cast<std::uint32_t>(deps.size());
  arg_pool.insert(arg_pool.end(), args.begin(), args.end());
  dep_pool.insert(dep_pool.end(), deps.begin(), deps.end());
  ops.push_back(op);
}

std::vector<std::uint32_t> task_op_index(const Program& program) {
  std::vector<std::uint32_t> task_ops(program.task_count, NO_INDEX);
  for (std::uint32_t i = 0; i < program.ops.size(); ++i) {
    const ProgramOp& op = program.ops[i];
    if (creates_task(op.kind)) task_ops.at(op.task) = i;
  }
  return task_ops;
}

std::string tensor_name_of(const Program& program, const std::vector<std::uint32_t>& task_ops, std::uint32_t task,
                           std::size_t arg) {
  const ArgSpec& spec = program.args(program.ops.at(task_ops.at(task))).at(arg);
  if (spec.kind == ArgKind::output) {
    return spec.name() < program.tensor_names.size() ? program.tensor_names[spec.name()] : "output";
  }
  const TensorSource source = spec.source();
  if (source.external != NO_INDEX) return program.externals.at(source.external).name;
  // A runtime-created tensor: find which output of its creator it is.
  const PoolRange<ArgSpec> creator = program.args(program.ops.at(task_ops.at(source.task)));
  std::uint32_t index = 0;
  for (std::size_t i = 0; i < creator.size(); ++i) {
    if (creator[i].kind != ArgKind::output) continue;
    if (index++ == source.output) return tensor_name_of(program, task_ops, source.task, i);
  }
  return "output";
}

}  // namespace ptosim::runtime
