// The orchestration program the orchestrator actor interprets: a flat list of runtime calls
// (scope_begin/end, submit, alloc_tensors, dummy submit) in program order. The scenario loader
// expands loops and expressions into this form, resolves every name to an index, and composes
// tensor views, so the simulation itself never evaluates the scenario language.
#pragma once

#include "hwmodel/ai_core.h"
#include "runtime/tensor_view.h"

#include <cstdint>
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

struct ArgSpec {
  ArgKind kind = ArgKind::input;
  TensorSource source;    // unused for OUTPUT
  TensorLayout layout;    // the (view) layout this task accesses
  std::uint64_t bytes = 0;  // OUTPUT only: buffer size before alignment
  // The rows of dimension 0 the kernel actually touches (a gather or scatter through index
  // data): an index into Program::row_lists, NO_INDEX for every row. The runtime still sees the
  // whole view; only the GM accesses narrow.
  std::uint32_t rows = NO_INDEX;
  std::uint32_t name = NO_INDEX;  // OUTPUT only: the tensor's name, an index into Program::tensor_names
};

struct ExplicitDep {
  std::uint32_t task = 0;  // task ordinal (submission order over all tasks)
  DepFlavor flavor = DepFlavor::wait_retain;
};

enum class OpKind : std::uint8_t { scope_begin, scope_end, submit, alloc_tensors, dummy };

struct ProgramOp {
  OpKind kind = OpKind::submit;
  ScopeMode mode = ScopeMode::automatic;  // scope_begin
  std::uint32_t kernel = NO_INDEX;        // submit
  std::uint32_t task = NO_INDEX;          // ordinal of the task this op creates
  std::uint32_t origin = 0;               // index into Program::origins
  std::vector<ArgSpec> args;              // submit, dummy, alloc_tensors (outputs only)
  std::vector<ExplicitDep> deps;
};

struct ExternalTensor {
  std::string name;
  std::uint64_t address = 0;
  std::uint64_t bytes = 0;
  TensorLayout layout;
};

struct Program {
  std::vector<ProgramOp> ops;
  std::vector<ExternalTensor> externals;
  std::vector<std::string> task_names;  // per task ordinal
  std::vector<std::string> task_loops;  // per task ordinal: its loop indices, "b=2 k=5" (may be empty)
  std::vector<std::string> origins;     // JSON pointers of the statements that produced ops
  std::vector<std::string> tensor_names;           // names of runtime-created tensors
  std::vector<std::vector<std::int64_t>> row_lists;  // selected rows (ArgSpec::rows)
  std::uint32_t task_count = 0;
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
