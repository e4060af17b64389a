// The orchestration program the orchestrator actor interprets: a flat list of runtime calls
// (scope_begin/end, submit, alloc_tensors, dummy submit) in program order. The scenario loader
// expands loops and expressions into this form, resolves every name to an index, and composes
// tensor views, so the simulation itself never evaluates the scenario language.
//
// The program lives as long as the run and holds every task, so it is kept compact: arguments
// and dependencies sit in two pools that ops address by (first, count), each distinct layout is
// stored once, a task's name is an index into a table of names and its loop text is rebuilt on
// demand from loop frames. Read it through the accessors (args, deps, layout, task_name,
// task_loops).
#pragma once

#include "hwmodel/kernel_spec.h"
#include "runtime/tensor_view.h"

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace ptosim::runtime {

enum class ScopeMode : std::uint8_t { automatic, manual };

// Tensor argument kinds (TensorArgType).
enum class ArgKind : std::uint8_t { input = 0, output = 1, inout = 2, output_existing = 3, no_dep = 4 };

// Explicit dependency flavours: add_dep (WAIT|RETAIN) and add_dep_wait (WAIT only).
enum class DepFlavor : std::uint8_t { wait_retain, wait_only };

const char* to_string(ScopeMode mode);
const char* to_string(ArgKind kind);

inline constexpr std::uint32_t NO_INDEX = 0xFFFFFFFFu;

// Where an argument's tensor comes from: an external tensor, or output `output` of an earlier
// task (runtime-allocated; its address is known only once that task was allocated).
struct TensorSource {
  std::uint32_t external = NO_INDEX;
  std::uint32_t task = NO_INDEX;
  std::uint32_t output = 0;
};

// A buffer named independently of timing: an external tensor, or output `output` of task
// `task`. Runtime-allocated addresses depend on heap reuse, hence on timing; these keys do not.
inline constexpr std::uint64_t TASK_OUTPUT_KEY_BIT = 1ULL << 63;
inline std::uint64_t external_buffer_key(std::uint32_t external) { return external; }
inline std::uint64_t output_buffer_key(std::uint32_t task, std::uint32_t output) {
  return TASK_OUTPUT_KEY_BIT | (static_cast<std::uint64_t>(task) << 8) | output;
}
inline std::uint64_t logical_buffer_key(const TensorSource& source) {
  return source.external != NO_INDEX ? external_buffer_key(source.external) : output_buffer_key(source.task, source.output);
}

// One tensor argument of a task, 20 bytes: the program keeps every argument of every task, so
// the layout is an index into Program::layouts (views repeat; each distinct one is stored once)
// and the fields that only one kind uses share a slot. Build with of_tensor() or new_output().
struct ArgSpec {
  std::uint32_t layout = NO_INDEX;  // the (view) layout this task accesses: Program::layouts
  // OUTPUT: the tensor's name, an index into Program::tensor_names. The other kinds: the
  // external tensor (`external`) or the task that created the tensor.
  std::uint32_t tensor = NO_INDEX;
  std::uint32_t output = 0;  // created by a task: which of its outputs
  // The rows of dimension 0 the kernel actually touches (a gather or scatter through index
  // data): an index into Program::row_lists, NO_INDEX for every row. The runtime still sees the
  // whole view; only the GM accesses narrow.
  std::uint32_t rows = NO_INDEX;
  ArgKind kind = ArgKind::input;
  bool external = false;

  static ArgSpec of_tensor(ArgKind kind, const TensorSource& source, std::uint32_t layout) {
    ArgSpec arg;
    arg.kind = kind;
    arg.layout = layout;
    arg.external = source.external != NO_INDEX;
    arg.tensor = arg.external ? source.external : source.task;
    arg.output = arg.external ? 0 : source.output;
    return arg;
  }
  static ArgSpec new_output(std::uint32_t layout, std::uint32_t name) {
    ArgSpec arg;
    arg.kind = ArgKind::output;
    arg.layout = layout;
    arg.tensor = name;
    return arg;
  }
  // Where the tensor comes from; unused (all NO_INDEX) for OUTPUT.
  TensorSource source() const {
    if (kind == ArgKind::output) return TensorSource{};
    return external ? TensorSource{tensor, NO_INDEX, 0} : TensorSource{NO_INDEX, tensor, output};
  }
  // OUTPUT only: the tensor's name in Program::tensor_names.
  std::uint32_t name() const { return kind == ArgKind::output ? tensor : NO_INDEX; }
};

struct ExplicitDep {
  std::uint32_t task = 0;  // task ordinal (submission order over all tasks)
  DepFlavor flavor = DepFlavor::wait_retain;
};

// tensor_data: get_tensor_data (its one argument INPUT) or set_tensor_data (INOUT) on the
// orchestrator; it creates no task (ProgramOp::task is NO_INDEX). Without an argument it is a
// get_tensor_data of a value no task produces (an external table the program does not declare,
// like paged attention's block_table): immediate, priced only. A submit's `tensor_data` count
// expands to that many of these before the submit, so the statement alone prices a host read.
enum class OpKind : std::uint8_t { scope_begin, scope_end, submit, alloc_tensors, dummy, tensor_data };

// Whether an op creates a task (and so has an ordinal in ProgramOp::task).
inline bool creates_task(OpKind kind) {
  return kind == OpKind::submit || kind == OpKind::alloc_tensors || kind == OpKind::dummy;
}

// A runtime call. Its arguments and explicit dependencies are runs of Program::arg_pool and
// Program::dep_pool: Program::args(op) and Program::deps(op).
struct ProgramOp {
  OpKind kind = OpKind::submit;
  ScopeMode mode = ScopeMode::automatic;  // scope_begin
  std::uint8_t scalars : 7 = 0;           // submit: scalar arguments (priced, not modelled otherwise), <= 64
  std::uint8_t sync_start : 1 = 0;        // submit: require_sync_start, all blocks launch at once (block_num > 1)
  bool early_resolve = false;             // submit: allow_early_resolve (its consumers may be pre-staged on cores)
  std::uint32_t kernel = NO_INDEX;        // submit
  std::uint32_t task = NO_INDEX;          // ordinal of the task this op creates
  std::uint32_t origin = 0;               // index into Program::origins
  std::uint32_t first_arg = 0;            // submit, dummy, alloc_tensors (outputs only)
  std::uint32_t arg_count = 0;
  std::uint32_t first_dep = 0;
  std::uint32_t dep_count = 0;
};

struct ExternalTensor {
  std::string name;
  std::uint64_t address = 0;
  std::uint64_t bytes = 0;
  TensorLayout layout;
};

// A loop iteration some task was created in: loop variable `variable` (Program::loop_variables)
// had `value`, inside the iteration `parent` of the enclosing loop (NO_INDEX: outermost).
struct LoopFrame {
  std::uint32_t parent = NO_INDEX;
  std::uint32_t variable = 0;
  std::int64_t value = 0;
};

struct TaskInfo {
  std::uint32_t name = 0;          // index into Program::names
  std::uint32_t loops = NO_INDEX;  // innermost loop iteration (Program::loop_frames), NO_INDEX outside loops
};

// A run of one of the program's pools, viewed in place.
template <class T>
class PoolRange {
 public:
  PoolRange(const T* first, std::size_t count) : first_(first), count_(count) {}
  const T* begin() const { return first_; }
  const T* end() const { return first_ + count_; }
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const T& operator[](std::size_t i) const { return first_[i]; }
  const T& at(std::size_t i) const {
    if (i >= count_) throw std::out_of_range("program pool index " + std::to_string(i) + " of " + std::to_string(count_));
    return first_[i];
  }

 private:
  const T* first_;
  std::size_t count_;
};

// The expanded program, about 150 bytes per task: ops, the arguments and dependencies of all
// ops in two pools, each distinct layout once, and per task the index of its name and of its
// innermost loop iteration (the loop text is made when asked for).
struct Program {
  std::vector<ProgramOp> ops;
  std::vector<ArgSpec> arg_pool;       // ops' arguments, op after op
  std::vector<ExplicitDep> dep_pool;   // ops' explicit dependencies, op after op
  std::vector<TensorLayout> layouts;   // ArgSpec::layout
  std::vector<ExternalTensor> externals;
  std::vector<TaskInfo> tasks;         // per task ordinal
  std::vector<std::string> names;      // task names, each once (TaskInfo::name)
  std::vector<LoopFrame> loop_frames;  // TaskInfo::loops
  std::vector<std::string> loop_variables;         // LoopFrame::variable
  std::vector<std::string> origins;                // JSON pointers of the statements that produced ops
  std::vector<std::string> tensor_names;           // names of runtime-created tensors
  std::vector<std::vector<std::int64_t>> row_lists;  // selected rows (ArgSpec::rows)
  std::uint32_t task_count = 0;

  PoolRange<ArgSpec> args(const ProgramOp& op) const { return {arg_pool.data() + op.first_arg, op.arg_count}; }
  PoolRange<ExplicitDep> deps(const ProgramOp& op) const { return {dep_pool.data() + op.first_dep, op.dep_count}; }
  const TensorLayout& layout(const ArgSpec& arg) const { return layouts[arg.layout]; }
  // OUTPUT: the buffer's size before alignment.
  std::uint64_t output_bytes(const ArgSpec& arg) const;
  const std::string& task_name(std::uint32_t task) const { return names[tasks.at(task).name]; }
  // The task's loop indices, "b=2 k=5" (empty outside loops).
  std::string task_loops(std::uint32_t task) const;

  // Appends an op with its arguments and dependencies (sets the op's pool runs).
  void add_op(ProgramOp op, std::span<const ArgSpec> args, std::span<const ExplicitDep> deps);
};

// How a kernel touches an argument of this kind. NO_DEP: the runtime does not track it, the
// kernel reads it.
inline hwmodel::GmAccess access_of(ArgKind kind) {
  switch (kind) {
    case ArgKind::input: return hwmodel::GmAccess::read;
    case ArgKind::output: return hwmodel::GmAccess::write;
    case ArgKind::inout: return hwmodel::GmAccess::read_write;
    case ArgKind::output_existing: return hwmodel::GmAccess::write;
    case ArgKind::no_dep: return hwmodel::GmAccess::read;
  }
  return hwmodel::GmAccess::read;
}

// Task ordinal -> index of the op that creates the task.
std::vector<std::uint32_t> task_op_index(const Program& program);
// The name a scenario gave the tensor of an argument of task `task` ("x_out", "oi", ...).
std::string tensor_name_of(const Program& program, const std::vector<std::uint32_t>& task_ops, std::uint32_t task,
                           std::size_t arg);

}  // namespace ptosim::runtime
