// The program of a scenario compiled once (internal to scenarios/): every statement of
// `/program/body` with its keys checked, its expressions compiled (program parameters folded in,
// loop and row variables resolved to slots), its tensor and task names resolved to indices. The
// expander (program_expander.cpp) walks this form for every loop iteration without touching the
// JSON document.
//
// Compiling never throws for bad input. A check that fails becomes a Failure stored where the
// check ran in the order of expansion, and the expander raises it when it gets there: an error
// in a branch or loop that never runs is not reported, an error after a step that exceeds the
// budget is preceded by the budget error, and an error names the iteration it happened in,
// exactly as when every iteration read the document.
#pragma once

#include "scenarios/compiled_expression.h"
#include "scenarios/loader_fields.h"

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ptosim::scenarios::loader {

// A check that failed at compile time, raised when expansion reaches it.
struct Failure {
  const Field* field = nullptr;  // owned by the CompiledProgram
  std::string text;
  bool expected = false;  // FieldReader::fail ("expected <text>") or fail_raw
  explicit operator bool() const { return field != nullptr; }
};

// A JSON integer or an expression string, with the range its use allows.
struct IntExpr {
  const Field* field = nullptr;
  Failure failure;         // not an integer or a string; the string does not parse
  bool is_string = false;  // a string costs its size in steps
  std::int64_t min = INT64_MIN;
  std::int64_t max = INT64_MAX;
  CompiledExpression expr;
};

// A list of integers (shapes, offsets): at most MAX_TENSOR_DIMS entries here.
struct IntList {
  const Field* field = nullptr;
  Failure failure;  // not an array, or a wrong length
  std::vector<IntExpr> items;
  // Every item a constant within its range: the values, and the steps the strings among them cost.
  bool constant = false;
  std::vector<std::int64_t> values;
  std::uint64_t cost = 0;
};

// A task name: the name of a submit's kernel, or a template.
struct TaskName {
  const Field* field = nullptr;  // null: the kernel's name (no step, no check)
  Failure failure;               // not a string, empty, too long, does not parse
  CompiledName name;
  std::uint32_t id = runtime::NO_INDEX;  // a literal name: its index in the name table
  Failure bad_literal;                   // a literal name with a character names may not hold
};

// The last result of a view or an output shape: the same input layout and the same evaluated
// values give the same layout, so a loop that reads one tile at a few offsets computes and
// interns each of them once.
struct LayoutMemo {
  std::uint32_t input = runtime::NO_INDEX;
  std::vector<std::int64_t> first;   // view shape, reshape shape, slice (dim, start, end, step), output shape
  std::vector<std::int64_t> second;  // view offset
  std::uint32_t result = runtime::NO_INDEX;
};

// One of view, reshape and slice.
struct Transform {
  enum class Kind : std::uint8_t { none, view, reshape, slice } kind = Kind::none;
  const Field* field = nullptr;  // the view, reshape or slice value (named by a failed apply)
  Failure failure;               // its keys
  IntList shape;                 // view shape, reshape
  IntList offset;                // view offset
  bool has_offset = false;
  IntExpr dim, start, end, step;
  bool has_step = false;
  mutable LayoutMemo memo;  // the transform alone on an argument (not in a `views` chain)
};

struct ViewStep {
  const Field* field = nullptr;  // one entry of `views`
  Failure failure;
  Transform transform;
};

// `rows`: a list of rows, or {"var", "count", "row"}.
struct RowSelection {
  const Field* field = nullptr;
  Failure failure;
  bool is_list = false;
  std::vector<IntExpr> items;  // the list
  std::string var;             // the generator
  IntExpr count;
  IntExpr row;
};

// A new tensor: an `output` argument or an output of `alloc`.
struct OutputSpec {
  Failure failure;  // keys, name, an external tensor of that name
  std::string name;
  std::uint32_t slot = runtime::NO_INDEX;  // the name's tensor slot
  IntList shape;
  Failure type_failure;  // dtype, manual_dep
  runtime::DType dtype = runtime::DType::f32;
  bool manual_dep = false;
  mutable LayoutMemo memo;
};

struct Argument {
  const Field* field = nullptr;
  Failure failure;  // not an object, no kind or two, keys, the tensor name
  runtime::ArgKind kind = runtime::ArgKind::input;
  OutputSpec output;  // kind output
  // The other kinds: the tensor, and what is applied to it.
  const Field* tensor_field = nullptr;
  std::string tensor;
  std::uint32_t slot = runtime::NO_INDEX;
  Failure transform_failure;  // more than one transform, `views` not an array
  bool chain = false;         // `views`
  std::vector<ViewStep> steps;
  Transform transform;  // view, reshape or slice alone
  std::optional<RowSelection> rows;
};

struct Dependency {
  const Field* field = nullptr;
  Failure failure;  // keys, neither a name nor an object
  std::optional<IntExpr> when;
  Failure kind_failure;
  runtime::DepFlavor flavor = runtime::DepFlavor::wait_retain;
  TaskName name;
  std::string raw;  // the name as written (for "not submitted before this point")
};

struct Block;

struct TaskStatement {
  runtime::OpKind kind = runtime::OpKind::submit;
  Failure failure;  // keys, the kernel
  std::uint32_t kernel = runtime::NO_INDEX;
  TaskName name;
  const Field* list_field = nullptr;  // `args` or `outputs`
  Failure list_failure;
  std::vector<Argument> arguments;  // args, or the outputs of alloc
  const Field* deps_field = nullptr;
  Failure deps_failure;
  std::vector<Dependency> deps;
  bool has_deps = false;
  // submit: scalar arguments (priced only) and get_tensor_data calls before it (expanded into
  // get_tensor_data ops without an argument, which the statement's price covers).
  std::uint8_t scalars = 0;
  std::uint8_t tensor_data_reads = 0;
  bool sync_start = false;  // submit: require_sync_start (the cohort launches at once)
  bool early_resolve = false;  // submit: allow_early_resolve
};

struct Loop {
  Failure failure;
  std::string variable;
  std::uint32_t variable_id = 0;  // in CompiledProgram::loop_variables
  bool has_from = false;
  bool has_step = false;
  IntExpr from, to, step;
  std::unique_ptr<Block> body;
};

struct Condition {
  Failure failure;
  IntExpr condition;
  std::unique_ptr<Block> then_block;
  std::unique_ptr<Block> else_block;  // null without `else`
};

struct ScopeStatement {
  Failure failure;
  runtime::ScopeMode mode = runtime::ScopeMode::automatic;
  std::unique_ptr<Block> body;
};

struct Statement {
  const Field* field = nullptr;
  Failure failure;  // not an object, not exactly one kind
  std::unique_ptr<Loop> loop;
  std::unique_ptr<Condition> condition;
  std::unique_ptr<ScopeStatement> scope;
  std::unique_ptr<TaskStatement> task;
  // Its JSON pointer's index in Program::origins, once the expander used it.
  mutable std::uint32_t origin = runtime::NO_INDEX;
};

struct Block {
  const Field* field = nullptr;
  Failure failure;  // not an array, nested too deeply
  std::vector<Statement> statements;
};

// Names interned once: look-ups by string_view allocate nothing.
class NameTable {
 public:
  std::uint32_t intern(std::string_view name);
  std::uint32_t find(std::string_view name) const;  // NO_INDEX when absent
  const std::string& name(std::uint32_t id) const { return names_[id]; }
  std::size_t size() const { return names_.size(); }
  // The names by index; the table is empty afterwards.
  std::vector<std::string> take() {
    index_.clear();
    return std::move(names_);
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> index_;
};

struct CompiledProgram {
  std::deque<Field> fields;  // every field a Failure or a statement names (stable addresses)
  Block body;
  NameTable task_names;      // literal task names; the expander adds evaluated ones
  NameTable tensor_slots;    // tensor names: external tensors first, in their order
  NameTable loop_variables;  // names of the loop variables
};

// What the compiler resolves names against.
struct ProgramContext {
  const Environment* params = nullptr;  // the program parameters, in slots 0..size-1
  const std::unordered_map<std::string, std::uint32_t>* kernel_index = nullptr;
  const std::vector<runtime::ExternalTensor>* externals = nullptr;
};

// Whether an evaluated task name holds only letters, digits, '_', '-' and '.'.
bool is_task_name(std::string_view name);

// Compiles `body` (the field `/program/body`, whose parents must stay alive) without throwing.
std::unique_ptr<CompiledProgram> compile_program(const Field& body, const ProgramContext& context);

}  // namespace ptosim::scenarios::loader
