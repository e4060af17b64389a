// Expands the compiled program (compiled_program.h) into the flat list of runtime calls the
// orchestrator interprets: loops run, conditions chosen, expressions evaluated in the loop
// variables of the moment, tensor and task names bound to the tasks that created them, views
// applied. Nothing here reads the JSON document, except to name a field in an error.
//
// The expander raises the compiler's stored failures where the checks used to run, and counts
// the same expansion steps at the same places, so a file's first error (its field, its words,
// its iteration) and the step budget are what they were when every iteration read the document.
#include "scenarios/compiled_program.h"
#include "scenarios/layout_table.h"

#include "simcore/model_assert.h"
#include "simcore/marks.h"

#include <set>

namespace ptosim::scenarios::loader {

namespace {

using runtime::ArgKind;
using runtime::ArgSpec;
using runtime::NO_INDEX;
using runtime::OpKind;
using runtime::ProgramOp;
using runtime::TensorLayout;

// What a tensor name stands for at this point of the program: an external tensor, or output
// `output` of task `task`; neither while no statement has created it yet.
struct TensorBinding {
  runtime::TensorSource source;
  std::uint32_t layout = NO_INDEX;  // in Program::layouts
  bool bound() const { return source.external != NO_INDEX || source.task != NO_INDEX; }
};

class ProgramExpander {
 public:
  ProgramExpander(FieldReader& reader, CompiledProgram& compiled, const runtime::ModelInput& model,
                  const std::vector<runtime::ExternalTensor>& externals)
      : reader_(reader),
        env_(reader.env()),
        loop_vars_(reader.loop_vars()),
        compiled_(compiled),
        model_(model),
        layouts_(program_.layouts),
        bindings_(compiled.tensor_slots.size()),
        tensor_names_(compiled.tensor_slots.size(), NO_INDEX),
        first_loop_slot_(reader.env().size()) {
    for (std::uint32_t i = 0; i < externals.size(); ++i) {
      bindings_[i].source.external = i;
      bindings_[i].layout = layouts_.intern(externals[i].layout);
    }
  }

  ExpandedProgram expand(const Field& program_field) {
    collect_declared_names(*compiled_.body.field);
    expand_block(compiled_.body);
    check_scope_fits(program_field, 0);
    // Every loop and scope closed, one task record and one name per task, every op's run
    // inside its pool.
    PTOSIM_ASSERT(open_loops_.empty(), "a loop left open after the program");
    PTOSIM_ASSERT(loop_vars_.empty(), "a loop variable left bound after the program");
    PTOSIM_ASSERT(scope_task_counts_.size() == 1, "a scope left open after the program");
    PTOSIM_ASSERT(program_.tasks.size() == program_.task_count, "task records differ from the task count");
    PTOSIM_ASSERT(program_.ops.empty() || program_.ops.back().first_arg + program_.ops.back().arg_count == program_.arg_pool.size(),
                  "the last op's arguments end before the pool does");
    program_.names = compiled_.task_names.take();
    program_.loop_variables = compiled_.loop_variables.take();
    // The program lives as long as the run: give back what the vectors reserved to grow.
    program_.ops.shrink_to_fit();
    program_.arg_pool.shrink_to_fit();
    program_.dep_pool.shrink_to_fit();
    program_.layouts.shrink_to_fit();
    program_.tasks.shrink_to_fit();
    program_.loop_frames.shrink_to_fit();
    ExpandedProgram out;
    out.program = std::move(program_);
    out.written_externals = std::move(written_externals_);
    out.warnings = std::move(warnings_);
    out.work.expansion_steps = reader_.steps();
    out.work.argument_runs = total_runs_;
    return out;
  }

 private:
  [[noreturn]] void raise(const Failure& failure) const {
    if (failure.expected) reader_.fail(*failure.field, failure.text);
    reader_.fail_raw(*failure.field, failure.text);
  }
  void check(const Failure& failure) const {
    if (failure) raise(failure);
  }

  // ---------------------------------------------------------------- values
  std::int64_t value(const IntExpr& expr) {
    check(expr.failure);
    std::int64_t v = 0;
    if (expr.is_string) {
      reader_.step(*expr.field, expr.expr.cost());
      try {
        v = expr.expr.evaluate(env_);
      } catch (const ExpressionError& e) {
        reader_.fail_raw(*expr.field, e.what());
      }
    } else {
      v = expr.expr.constant_value();
    }
    if (v < expr.min || v > expr.max) {
      reader_.fail(*expr.field, "a value in [" + std::to_string(expr.min) + ", " + std::to_string(expr.max) + "], got " +
                                    std::to_string(v) + (expr.is_string ? " from \"" + expr.expr.text() + "\"" : ""));
    }
    return v;
  }

  void values(const IntList& list, std::vector<std::int64_t>& out) {
    check(list.failure);
    if (list.constant && reader_.try_steps(list.cost)) {
      out = list.values;
      return;
    }
    out.clear();
    for (const IntExpr& item : list.items) out.push_back(value(item));
  }

  // The name's index in the name table. A name evaluated from a template is added to the table
  // when `add` (a task gets it), else looked up (NO_INDEX: no task has it; the name is in
  // name_buffer_).
  std::uint32_t name_id(const TaskName& name, bool add) {
    if (name.field == nullptr) return name.id;  // a submit's kernel name
    check(name.failure);
    reader_.step(*name.field, name.name.cost());
    if (name.name.is_literal()) {
      check(name.bad_literal);
      return name.id;
    }
    try {
      name.name.evaluate(env_, name_buffer_);
    } catch (const ExpressionError& e) {
      reader_.fail_raw(*name.field, e.what());
    }
    if (!is_task_name(name_buffer_)) {
      reader_.fail(*name.field, "a task name of letters, digits, '_', '-' and '.', found \"" + name_buffer_ + "\"");
    }
    return add ? compiled_.task_names.intern(name_buffer_) : compiled_.task_names.find(name_buffer_);
  }

  // ---------------------------------------------------------------- statements
  void expand_block(const Block& block) {
    check(block.failure);
    for (const Statement& stmt : block.statements) expand_statement(stmt);
  }

  void expand_statement(const Statement& stmt) {
    reader_.step(*stmt.field);
    check(stmt.failure);
    if (stmt.loop) return expand_loop(stmt, *stmt.loop);
    if (stmt.condition) return expand_condition(*stmt.condition);
    if (stmt.scope) return expand_scope(stmt, *stmt.scope);
    if (stmt.task->kind == OpKind::tensor_data) return expand_tensor_data(stmt, *stmt.task);
    expand_task(stmt, *stmt.task);
  }

  // get/set_tensor_data: one argument, no task.
  void expand_tensor_data(const Statement& stmt, const TaskStatement& access) {
    check(access.failure);
    ProgramOp op;
    op.kind = OpKind::tensor_data;
    op.origin = origin_of(stmt);
    args_.clear();
    const Argument& arg = access.arguments.at(0);
    check(arg.failure);
    check(access.list_failure);
    args_.push_back(argument(arg, NO_INDEX));
    push_op(op, args_, {});
  }

  // A submit's `tensor_data: N` (format 1): N get_tensor_data calls before the submit, of a value
  // no task produces (no argument), so the statement is the one thing that prices a host read.
  void expand_tensor_data_count(std::uint32_t origin, std::uint8_t reads) {
    ProgramOp op;
    op.kind = OpKind::tensor_data;
    op.origin = origin;
    for (std::uint8_t i = 0; i < reads; ++i) push_op(op, {}, {});
  }

  void expand_loop(const Statement& stmt, const Loop& loop) {
    check(loop.failure);
    const std::int64_t from = loop.has_from ? value(loop.from) : 0;
    const std::int64_t to = value(loop.to);
    const std::int64_t stride = loop.has_step ? value(loop.step) : 1;
    if (to > from && static_cast<std::uint64_t>((to - from) / stride) > MAX_PROGRAM_OPS) {
      reader_.fail(*loop.to.field, "at most " + std::to_string(MAX_PROGRAM_OPS) + " iterations");
    }
    env_.push(loop.variable, from);
    loop_vars_.push_back(loop.variable);
    open_loops_.push_back(OpenLoop{loop.variable_id, NO_INDEX});
    for (std::int64_t v = from; v < to; v += stride) {
      env_.set_top(v);
      open_loops_.back().frame = NO_INDEX;
      reader_.step(*stmt.field);
      expand_block(*loop.body);
    }
    open_loops_.pop_back();
    loop_vars_.pop_back();
    env_.pop();
  }

  void expand_condition(const Condition& condition) {
    check(condition.failure);
    if (value(condition.condition) != 0) {
      expand_block(*condition.then_block);
    } else if (condition.else_block) {
      expand_block(*condition.else_block);
    }
  }

  void expand_scope(const Statement& stmt, const ScopeStatement& scope) {
    check(scope.failure);
    ProgramOp begin;
    begin.kind = OpKind::scope_begin;
    begin.mode = scope.mode;
    begin.origin = origin_of(stmt);
    push_op(begin, {}, {});
    scope_task_counts_.push_back(0);
    expand_block(*scope.body);
    check_scope_fits(*stmt.field, scope_task_counts_.size() - 1);
    scope_task_counts_.pop_back();
    ProgramOp end;
    end.kind = OpKind::scope_end;
    end.origin = stmt.origin;
    push_op(end, {}, {});
  }

  std::uint32_t origin_of(const Statement& stmt) {
    if (stmt.origin == NO_INDEX) {
      stmt.origin = static_cast<std::uint32_t>(program_.origins.size());
      program_.origins.push_back(stmt.field->pointer());
    }
    return stmt.origin;
  }

  void expand_task(const Statement& stmt, const TaskStatement& task) {
    ProgramOp op;
    op.kind = task.kind;
    op.origin = origin_of(stmt);
    check(task.failure);
    op.kernel = task.kernel;
    op.scalars = task.scalars & 0x7Fu;  // at most 64, checked when compiled
    op.sync_start = task.sync_start ? 1 : 0;
    expand_tensor_data_count(op.origin, task.tensor_data_reads);
    op.early_resolve = task.early_resolve;
    const std::uint32_t name = name_id(task.name, true);
    if (program_.task_count >= MAX_PROGRAM_TASKS) {
      PTOSIM_MARK("program task limit");
      reader_.fail_raw(*stmt.field, "the program submits more than " + std::to_string(MAX_PROGRAM_TASKS) +
                                        " tasks (the limit of one scenario)");
    }
    op.task = program_.task_count;
    new_outputs_.clear();
    args_.clear();
    deps_.clear();
    if (task.list_field != nullptr) {
      check(task.list_failure);
      for (const Argument& arg : task.arguments) {
        if (task.kind != OpKind::alloc_tensors) reader_.step(*task.list_field);
        args_.push_back(argument(arg, op.task));
      }
    }
    if (task.has_deps) dependencies(task, deps_);
    if (task.kind == OpKind::submit) check_row_flow(task, op);
    if (task.kind == OpKind::submit && model_.kernels[op.kernel].program) {
      check_program_operands(reader_, *stmt.field, model_.kernels[op.kernel], program_, args_);
    }
    // The task's name and outputs become visible to later statements only now, so a task that
    // names itself in deps refers to the previous task of that name.
    ++scope_task_counts_.back();
    if (latest_task_.size() <= name) latest_task_.resize(compiled_.task_names.size(), NO_INDEX);
    latest_task_[name] = op.task;
    for (const auto& [slot, binding] : new_outputs_) bindings_[slot] = binding;
    PTOSIM_ASSERT(program_.tasks.size() == op.task, "task records out of step with task ordinals");
    program_.tasks.push_back(runtime::TaskInfo{name, loop_frame()});
    ++program_.task_count;
    push_op(op, args_, deps_);
  }

  // The innermost loop iteration the task is created in; frames are made for the iterations
  // that create tasks only.
  std::uint32_t loop_frame() {
    for (std::size_t level = 0; level < open_loops_.size(); ++level) {
      if (open_loops_[level].frame != NO_INDEX) continue;
      runtime::LoopFrame frame;
      frame.parent = level == 0 ? NO_INDEX : open_loops_[level - 1].frame;
      PTOSIM_ASSERT(level == 0 || frame.parent != NO_INDEX, "a loop frame without the frame of its enclosing loop");
      frame.variable = open_loops_[level].variable;
      frame.value = env_.value(first_loop_slot_ + level);
      open_loops_[level].frame = static_cast<std::uint32_t>(program_.loop_frames.size());
      program_.loop_frames.push_back(frame);
    }
    return open_loops_.empty() ? NO_INDEX : open_loops_.back().frame;
  }

  void push_op(const ProgramOp& op, std::span<const ArgSpec> args, std::span<const runtime::ExplicitDep> deps) {
    if (program_.ops.size() >= MAX_PROGRAM_OPS) {
      throw ScenarioError(reader_.file(), "/program", "the program expands to more than " + std::to_string(MAX_PROGRAM_OPS) +
                                                          " runtime calls (the limit of one scenario)");
    }
    program_.add_op(op, args, deps);
  }

  // ---------------------------------------------------------------- arguments
  ArgSpec argument(const Argument& arg, std::uint32_t task) {
    check(arg.failure);
    if (arg.kind == ArgKind::output) return output(arg.output, task);
    const TensorBinding binding = bindings_[arg.slot];
    if (!binding.bound()) {
      if (declared_tensors_.count(arg.tensor) != 0) {
        reader_.fail_raw(*arg.tensor_field, "tensor '" + arg.tensor + "' is not created yet at this point of the program");
      }
      reader_.fail_raw(*arg.tensor_field,
                       "undefined tensor '" + arg.tensor + "' (declare it under /tensors or create it with an output)");
    }
    if (arg.kind == ArgKind::inout || arg.kind == ArgKind::output_existing) {
      if (binding.source.external != NO_INDEX) written_externals_.insert(binding.source.external);
    }
    check(arg.transform_failure);
    std::uint32_t layout = binding.layout;
    if (arg.chain) {
      TensorLayout view = program_.layouts[layout];
      for (const ViewStep& step : arg.steps) {
        reader_.step(*step.field);
        check(step.failure);
        evaluate(step.transform);
        apply(step.transform, view);
      }
      layout = layouts_.intern(view);
    } else if (arg.transform.kind != Transform::Kind::none) {
      layout = transformed(arg.transform, layout);
    }
    ArgSpec spec = ArgSpec::of_tensor(arg.kind, binding.source, layout);
    if (arg.rows) spec.rows = row_list(*arg.rows, program_.layouts[layout]);
    check_runs(*arg.field, layout, spec.rows);
    return spec;
  }

  ArgSpec output(const OutputSpec& out, std::uint32_t task) {
    check(out.failure);
    values(out.shape, dims_);
    if (out.memo.result == NO_INDEX || out.memo.first != dims_) {
      std::int64_t elements = 1;
      for (std::int64_t d : dims_) {
        if (__builtin_mul_overflow(elements, d, &elements) || elements > MAX_DIM) reader_.fail(*out.shape.field, "at most 2^40 elements");
      }
      check(out.type_failure);
      TensorLayout layout = runtime::make_contiguous(dims_, out.dtype);
      layout.manual_dep = out.manual_dep;
      out.memo.first = dims_;
      out.memo.result = layouts_.intern(layout);
    }
    if (tensor_names_[out.slot] == NO_INDEX) {
      tensor_names_[out.slot] = static_cast<std::uint32_t>(program_.tensor_names.size());
      program_.tensor_names.push_back(out.name);
    }
    const ArgSpec arg = ArgSpec::new_output(out.memo.result, tensor_names_[out.slot]);
    TensorBinding binding;
    binding.source.task = task;
    binding.source.output = static_cast<std::uint32_t>(new_outputs_.size());
    binding.layout = arg.layout;
    new_outputs_.emplace_back(out.slot, binding);
    return arg;
  }

  // The transform's values into dims_ and offsets_, in the loader's order: a view's shape, then
  // its offset (zeros without one); a reshape's shape; a slice's dim, start, end and step.
  void evaluate(const Transform& transform) {
    switch (transform.kind) {
      case Transform::Kind::none: return;
      case Transform::Kind::view:
        check(transform.failure);
        values(transform.shape, dims_);
        if (transform.has_offset) {
          values(transform.offset, offsets_);
        } else {
          offsets_.assign(dims_.size(), 0);
        }
        return;
      case Transform::Kind::reshape: values(transform.shape, dims_); return;
      case Transform::Kind::slice:
        check(transform.failure);
        dims_.clear();
        dims_.push_back(value(transform.dim));
        dims_.push_back(value(transform.start));
        dims_.push_back(value(transform.end));
        dims_.push_back(transform.has_step ? value(transform.step) : 1);
        return;
    }
  }

  // Applies the evaluated transform to `layout`.
  void apply(const Transform& transform, TensorLayout& layout) {
    std::string problem;
    switch (transform.kind) {
      case Transform::Kind::none: return;
      case Transform::Kind::view: problem = runtime::apply_view(layout, dims_, offsets_); break;
      case Transform::Kind::reshape: problem = runtime::apply_reshape(layout, dims_); break;
      case Transform::Kind::slice:
        problem = runtime::apply_slice(layout, static_cast<int>(dims_[0]), dims_[1], dims_[2], dims_[3]);
        break;
    }
    if (!problem.empty()) reader_.fail_raw(*transform.field, problem);
  }

  // The layout `transform` makes of layout `input`: computed and interned when the input or the
  // values differ from the last time.
  std::uint32_t transformed(const Transform& transform, std::uint32_t input) {
    evaluate(transform);
    LayoutMemo& memo = transform.memo;
    const bool offsets_matter = transform.kind == Transform::Kind::view;
    if (memo.input == input && memo.first == dims_ && (!offsets_matter || memo.second == offsets_)) return memo.result;
    TensorLayout layout = program_.layouts[input];
    apply(transform, layout);
    memo.input = input;
    memo.first = dims_;
    if (offsets_matter) memo.second = offsets_;
    memo.result = layouts_.intern(layout);
    return memo.result;
  }

  // The rows of dimension 0 a kernel touches.
  std::uint32_t row_list(const RowSelection& selection, const TensorLayout& layout) {
    check(selection.failure);
    std::vector<std::int64_t> rows;
    const std::int64_t extent = layout.shapes[0];
    auto add = [&](const Field& where, std::int64_t row) {
      if (row < 0 || row >= extent) {
        reader_.fail(where, "a row of dimension 0 of the view, in [0, " + std::to_string(extent) + "), got " + std::to_string(row));
      }
      rows.push_back(row);
    };
    if (selection.is_list) {
      for (const IntExpr& item : selection.items) add(*item.field, value(item));
    } else {
      const std::int64_t count = value(selection.count);
      env_.push(selection.var, 0);
      for (std::int64_t i = 0; i < count; ++i) {
        env_.set_top(i);
        add(*selection.row.field, value(selection.row));
      }
      env_.pop();
    }
    program_.row_lists.push_back(std::move(rows));
    return static_cast<std::uint32_t>(program_.row_lists.size() - 1);
  }

  // GM keeps versions per contiguous run of elements: bound how many runs one argument spans.
  // The runs of all arguments together are bounded too (MAX_TOTAL_ARG_RUNS): the race detector,
  // the data oracle and GM work per run, so the sum is the size of `check`'s and a run's work.
  void check_runs(const Field& field, std::uint32_t layout_index, std::uint32_t rows) {
    if (rows == NO_INDEX && layout_index < runs_of_layout_.size() && runs_of_layout_[layout_index] >= 0) {
      add_total_runs(field, runs_of_layout_[layout_index]);
      return;
    }
    const TensorLayout& layout = program_.layouts[layout_index];
    std::int64_t runs = 0;
    if (rows == NO_INDEX) {
      runs = hwmodel::run_count(layout);
    } else {
      const std::int64_t per_row = hwmodel::run_count(hwmodel::select_row(layout, 0));
      const auto selected = static_cast<std::int64_t>(program_.row_lists[rows].size());
      if (__builtin_mul_overflow(per_row, selected, &runs)) runs = INT64_MAX;
    }
    if (runs > MAX_ARG_RUNS) {
      reader_.fail_raw(field, "the view splits into " + std::to_string(runs) +
                                  " separate runs of contiguous elements; GM versions are kept per run and one argument "
                                  "may span at most " + std::to_string(MAX_ARG_RUNS));
    }
    if (rows == NO_INDEX) {
      if (runs_of_layout_.size() <= layout_index) runs_of_layout_.resize(program_.layouts.size(), -1);
      runs_of_layout_[layout_index] = runs;
    }
    add_total_runs(field, runs);
  }

  void add_total_runs(const Field& field, std::int64_t runs) {
    PTOSIM_ASSERT(runs >= 0 && runs <= MAX_ARG_RUNS, "an argument's runs are counted and bounded before they are summed");
    total_runs_ += static_cast<std::uint64_t>(runs);
    if (total_runs_ > MAX_TOTAL_ARG_RUNS) {
      reader_.fail_raw(field, "the program's arguments span more than " + std::to_string(MAX_TOTAL_ARG_RUNS) +
                                  " runs of contiguous elements in all (the budget of one scenario: the race "
                                  "detector, the data oracle and GM keep work per run)");
    }
  }

  // A kernel with row-to-row data flow feeds output row i from input row i: every argument must
  // have the same number of rows.
  void check_row_flow(const TaskStatement& task, const ProgramOp& op) {
    if (op.kernel == NO_INDEX || model_.kernels[op.kernel].data_flow != hwmodel::DataFlow::row) return;
    std::int64_t expected = -1;
    for (std::size_t i = 0; i < args_.size(); ++i) {
      const ArgSpec& arg = args_[i];
      const std::int64_t rows = arg.rows != NO_INDEX ? static_cast<std::int64_t>(program_.row_lists[arg.rows].size())
                                                     : program_.layouts[arg.layout].shapes[0];
      if (expected < 0) expected = rows;
      if (rows != expected) {
        reader_.fail_raw(*task.arguments[i].field, "kernel '" + model_.kernels[op.kernel].name +
                                                       "' has data_flow \"row\", so every argument needs the same "
                                                       "number of rows: the first has " + std::to_string(expected) +
                                                       ", this one " + std::to_string(rows));
      }
    }
  }

  void dependencies(const TaskStatement& task, std::vector<runtime::ExplicitDep>& deps) {
    check(task.deps_failure);
    for (const Dependency& dep : task.deps) {
      reader_.step(*dep.field);
      check(dep.failure);
      if (dep.when && value(*dep.when) == 0) continue;
      check(dep.kind_failure);
      const std::uint32_t id = name_id(dep.name, false);
      const std::uint32_t producer = id < latest_task_.size() ? latest_task_[id] : NO_INDEX;
      if (producer == NO_INDEX) {
        const std::string name = dep.name.name.is_literal() ? dep.name.name.literal() : name_buffer_;
        if (declared_tasks_.count(dep.raw) != 0 || could_be_declared(*dep.name.field, name)) {
          reader_.fail_raw(*dep.name.field, "dependency on task '" + name + "', which has not been submitted before this point");
        }
        reader_.fail_raw(*dep.name.field, "dependency on undefined task '" + name + "' (no statement submits a task of that name)");
      }
      deps.push_back(runtime::ExplicitDep{producer, dep.flavor});
    }
  }

  // ---------------------------------------------------------------- names declared anywhere
  // Names that a statement somewhere declares: to tell "undefined" from "not submitted yet".
  void collect_declared_names(const Field& block, int depth = 0) {
    if (!block->is_array() || depth > MAX_STATEMENT_DEPTH) return;  // expansion reports the depth
    for (std::size_t i = 0; i < block->size(); ++i) {
      const json& stmt = (*block)[i];
      if (!stmt.is_object()) continue;
      for (const char* key : {"submit", "alloc", "dummy"}) {
        if (!stmt.contains(key) || !stmt[key].is_string()) continue;
        const std::string name = std::string(key) == "submit" && stmt.contains("name") && stmt["name"].is_string()
                                     ? stmt["name"].get<std::string>()
                                     : stmt[key].get<std::string>();
        declared_tasks_.insert(name);
      }
      for (const char* key : {"args", "outputs"}) {
        if (!stmt.contains(key) || !stmt[key].is_array()) continue;
        for (const auto& arg : stmt[key]) {
          if (arg.is_object() && arg.contains("output") && arg["output"].is_string()) {
            declared_tensors_.insert(arg["output"].get<std::string>());
          }
          if (arg.is_object() && arg.contains("name") && arg["name"].is_string()) {
            declared_tensors_.insert(arg["name"].get<std::string>());
          }
        }
      }
      Field stmt_field{&stmt, &block, {}, i, true};
      for (const char* key : {"body", "then", "else"}) {
        if (stmt.contains(key)) collect_declared_names(child(stmt_field, key), depth + 1);
      }
    }
  }

  // Whether some statement's name template could produce `name` (in another iteration). Each
  // match is linear in name x template; templates too long to be used are skipped.
  bool could_be_declared(const Field& where, const std::string& name) {
    for (const std::string& declared : declared_tasks_) {
      if (declared.size() > MAX_NAME_LENGTH) continue;
      reader_.step(where, 1 + name.size() * declared.size() / 256);
      try {
        if (NameTemplate::parse(declared).matches(name)) return true;
      } catch (const ExpressionError&) {
        // A template that does not parse is reported where it is used.
      }
    }
    return false;
  }

  // A scope's tasks stay in its ring until scope_end, so a scope with window-1 tasks or more can
  // never finish: warn (the runtime reports SCOPE_DEADLOCK; a scenario may want exactly that).
  void check_scope_fits(const Field& stmt, std::size_t depth) {
    const std::size_t ring = depth < runtime::MAX_RING_DEPTH - 1 ? depth : runtime::MAX_RING_DEPTH - 1;
    const std::uint32_t window = model_.runtime.rings[ring].task_window;
    const std::uint64_t tasks = scope_task_counts_[depth];
    if (tasks + 1 < window) return;
    const std::string where = depth == 0 ? std::string("/program/body (outside every scope)") : stmt.pointer();
    if (!warned_scopes_.insert(where).second) return;
    warnings_.push_back("the scope at " + where + " holds " + std::to_string(tasks) + " tasks" + reader_.iteration_context() +
                        ", but ring " + std::to_string(ring) + " keeps at most " + std::to_string(window - 1) +
                        " in flight and a scope's tasks are reclaimed only at its end: SCOPE_DEADLOCK is certain");
  }

  FieldReader& reader_;
  Environment& env_;
  std::vector<std::string>& loop_vars_;
  CompiledProgram& compiled_;
  const runtime::ModelInput& model_;
  runtime::Program program_;
  LayoutTable layouts_;                       // into program_.layouts
  std::vector<TensorBinding> bindings_;       // per tensor slot
  std::vector<std::uint32_t> tensor_names_;   // per tensor slot: index into Program::tensor_names
  std::vector<std::uint32_t> latest_task_;    // per task name: the last task submitted under it
  std::vector<std::pair<std::uint32_t, TensorBinding>> new_outputs_;  // of the task being expanded
  std::set<std::uint32_t> written_externals_;  // external tensors some task writes
  std::set<std::string> declared_tasks_;
  std::set<std::string> declared_tensors_;
  std::vector<std::uint64_t> scope_task_counts_{0};  // tasks directly in each open scope
  std::set<std::string> warned_scopes_;
  std::vector<std::string> warnings_;
  // The loops being expanded, outermost first: each one's variable and the frame of its current
  // iteration (NO_INDEX until a task of the iteration needs it).
  struct OpenLoop {
    std::uint32_t variable = 0;
    std::uint32_t frame = NO_INDEX;
  };
  std::vector<OpenLoop> open_loops_;
  std::vector<std::int64_t> runs_of_layout_;  // per layout: its runs once counted (within the bound), else -1
  std::uint64_t total_runs_ = 0;              // runs of every argument expanded so far
  std::size_t first_loop_slot_ = 0;  // Environment slot of the outermost loop's variable
  // Scratch of the task being expanded.
  std::vector<ArgSpec> args_;
  std::vector<runtime::ExplicitDep> deps_;
  std::string name_buffer_;
  std::vector<std::int64_t> dims_;
  std::vector<std::int64_t> offsets_;
};

}  // namespace

ExpandedProgram expand_program(FieldReader& reader, const Field& program, const runtime::ModelInput& model,
                               const std::unordered_map<std::string, std::uint32_t>& kernel_index,
                               const std::vector<runtime::ExternalTensor>& externals) {
  ProgramContext context;
  context.params = &reader.env();
  context.kernel_index = &kernel_index;
  context.externals = &externals;
  std::unique_ptr<CompiledProgram> compiled = compile_program(child(program, "body"), context);
  ExpandedProgram out = ProgramExpander(reader, *compiled, model, externals).expand(program);
  out.program.externals = externals;
  return out;
}

}  // namespace ptosim::scenarios::loader
