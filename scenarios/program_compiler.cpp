// Compiles `/program/body` once into the form of compiled_program.h: each statement's keys are
// checked, its expressions parsed and compiled, its kernel, tensor and literal task names resolved.
// Every check is the loader's own (same field, same words); a check that fails is stored where it
// ran instead of thrown, and compiling the part it guards stops there.
#include "scenarios/compiled_program.h"

#include "simcore/model_assert.h"

namespace ptosim::scenarios::loader {

std::uint32_t NameTable::intern(std::string_view name) {
  auto it = index_.find(name);
  if (it != index_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  index_.emplace(names_.back(), id);
  return id;
}

std::uint32_t NameTable::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? runtime::NO_INDEX : it->second;
}

bool is_task_name(std::string_view name) {
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  }
  return true;
}

namespace {

using runtime::ArgKind;
using runtime::OpKind;

class ProgramCompiler {
 public:
  ProgramCompiler(CompiledProgram& out, const ProgramContext& context) : out_(out), context_(context) {
    for (const runtime::ExternalTensor& external : *context.externals) out_.tensor_slots.intern(external.name);
    slot_base_ = context.params->size();
  }

  void compile(const Field& body) { compile_block(keep_chain(body), 1, out_.body); }

 private:
  // ---------------------------------------------------------------- fields and failures
  // A copy of `field` in the program's arena, with its parents copied too.
  const Field& keep_chain(const Field& field) {
    const Field* parent = field.parent == nullptr ? nullptr : &keep_chain(*field.parent);
    Field copy = field;
    copy.parent = parent;
    return out_.fields.emplace_back(copy);
  }
  // `parent` must be a kept field.
  const Field& sub(const Field& parent, std::string_view key) {
    const json* value = find_key(*parent, key);
    PTOSIM_ASSERT(value != nullptr, "compiler asked for a missing key '" + std::string(key) + "'");
    return out_.fields.emplace_back(Field{value, &parent, key, 0, false});
  }
  const Field& sub(const Field& parent, std::size_t index) {
    return out_.fields.emplace_back(Field{&(*parent.value)[index], &parent, {}, index, true});
  }
  Failure expected(const Field& field, std::string text) { return Failure{&field, std::move(text), true}; }
  Failure raw(const Field& field, std::string text) { return Failure{&field, std::move(text), false}; }
  Failure failure_of(const Problem& problem) {
    return Failure{&out_.fields.emplace_back(problem.field), problem.text, problem.expected};
  }
  Failure object_failure(const Field& field, std::initializer_list<const char*> allowed,
                         std::initializer_list<const char*> required) {
    std::optional<Problem> problem = object_problem(field, allowed, required);
    return problem ? failure_of(*problem) : Failure{};
  }
  // FieldReader::string(): the failure when the field is not a string.
  Failure string_failure(const Field& field) {
    return field->is_string() ? Failure{} : expected(field, std::string("a string, found ") + type_name(*field));
  }

  // ---------------------------------------------------------------- names
  // A parameter is a constant; a loop or row variable a slot of the Environment, after the
  // parameters, in the order the loops nest.
  VariableBinding resolve(std::string_view name) const {
    for (std::size_t i = 0; i < scope_.size(); ++i) {
      if (scope_[i] == name) return VariableBinding{VariableBinding::Kind::slot, 0, slot_base_ + i};
    }
    if (const std::int64_t* value = context_.params->find(name)) {
      return VariableBinding{VariableBinding::Kind::constant, *value, 0};
    }
    return VariableBinding{};
  }
  bool visible(std::string_view name) const { return resolve(name).kind != VariableBinding::Kind::unknown; }
  VariableResolver resolver() const {
    return [this](std::string_view name) { return resolve(name); };
  }

  // FieldReader::int_expr, compiled.
  IntExpr int_expr(const Field& field, std::int64_t min, std::int64_t max) {
    IntExpr expr;
    expr.field = &field;
    expr.min = min;
    expr.max = max;
    if (field->is_string()) {
      expr.is_string = true;
      try {
        expr.expr = CompiledExpression::compile(Expression::parse(field->get_ref<const std::string&>()), resolver());
      } catch (const ExpressionError& e) {
        expr.failure = raw(field, e.what());
      }
    } else if (field->is_number_integer()) {
      if (field->is_number_unsigned() && field->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        expr.failure = expected(field, "an integer in [" + std::to_string(INT64_MIN) + ", " + std::to_string(INT64_MAX) + "]");
      } else {
        expr.expr = CompiledExpression::constant(field->get<std::int64_t>());
      }
    } else {
      expr.failure = expected(field, std::string("an integer or an expression string, found ") + type_name(*field));
    }
    return expr;
  }

  IntList int_list(const Field& field, std::size_t min_len, std::size_t max_len, std::int64_t min, std::int64_t max) {
    IntList list;
    list.field = &field;
    if (!field->is_array()) {
      list.failure = expected(field, std::string("an array, found ") + type_name(*field));
    } else if (field->size() < min_len || field->size() > max_len) {
      list.failure = expected(field, "an array of " + std::to_string(min_len) + " to " + std::to_string(max_len) + " values");
    } else {
      for (std::size_t i = 0; i < field->size(); ++i) list.items.push_back(int_expr(sub(field, i), min, max));
      list.constant = true;
      for (const IntExpr& item : list.items) {
        const bool fits = !item.failure && item.expr.is_constant() && item.expr.constant_value() >= min &&
                          item.expr.constant_value() <= max;
        list.constant = list.constant && fits;
        if (fits) list.values.push_back(item.expr.constant_value());
        if (item.is_string) list.cost += item.expr.cost();
      }
    }
    return list;
  }

  TaskName task_name(const Field& field) {
    TaskName name;
    name.field = &field;
    if ((name.failure = string_failure(field))) return name;
    const std::string& text = field->get_ref<const std::string&>();
    if (text.empty()) {
      name.failure = expected(field, "a non-empty task name");
      return name;
    }
    if (text.size() > MAX_NAME_LENGTH) {
      name.failure = expected(field, "a task name of at most " + std::to_string(MAX_NAME_LENGTH) + " characters");
      return name;
    }
    try {
      name.name = CompiledName::compile(NameTemplate::parse(text), resolver());
    } catch (const ExpressionError& e) {
      name.failure = raw(field, e.what());
      return name;
    }
    if (name.name.is_literal()) {
      if (is_task_name(name.name.literal())) {
        name.id = out_.task_names.intern(name.name.literal());
      } else {
        name.bad_literal = expected(field, "a task name of letters, digits, '_', '-' and '.', found \"" + name.name.literal() + "\"");
      }
    }
    return name;
  }

  // ---------------------------------------------------------------- statements
  void compile_block(const Field& field, int depth, Block& block) {
    block.field = &field;
    if (!field->is_array()) {
      block.failure = expected(field, std::string("an array of statements, found ") + type_name(*field));
      return;
    }
    if (depth > MAX_STATEMENT_DEPTH) {
      block.failure = raw(field, "statements nested more than " + std::to_string(MAX_STATEMENT_DEPTH) + " levels deep");
      return;
    }
    block.statements.resize(field->size());
    for (std::size_t i = 0; i < field->size(); ++i) compile_statement(sub(field, i), depth, block.statements[i]);
  }

  void compile_statement(const Field& field, int depth, Statement& stmt) {
    stmt.field = &field;
    if (!field->is_object()) {
      stmt.failure = expected(field, std::string("a statement object, found ") + type_name(*field));
      return;
    }
    const char* kind = nullptr;
    for (const char* key : {"for", "if", "scope", "submit", "alloc", "dummy", "get_tensor_data", "set_tensor_data"}) {
      if (find_key(*field, key) == nullptr) continue;
      if (kind != nullptr) {
        stmt.failure = expected(field, std::string("exactly one of for, if, scope, submit, alloc, dummy, get_tensor_data, "
                                                   "set_tensor_data; found both '") +
                                           kind + "' and '" + key + "'");
        return;
      }
      kind = key;
    }
    if (kind == nullptr) {
      stmt.failure = expected(field, "a statement: an object with one of for, if, scope, submit, alloc, dummy, "
                                     "get_tensor_data, set_tensor_data");
      return;
    }
    const std::string_view k = kind;
    if (k == "for") {
      stmt.loop = std::make_unique<Loop>();
      compile_loop(field, depth, *stmt.loop);
    } else if (k == "if") {
      stmt.condition = std::make_unique<Condition>();
      compile_condition(field, depth, *stmt.condition);
    } else if (k == "scope") {
      stmt.scope = std::make_unique<ScopeStatement>();
      compile_scope(field, depth, *stmt.scope);
    } else if (k == "get_tensor_data" || k == "set_tensor_data") {
      stmt.task = std::make_unique<TaskStatement>();
      compile_tensor_data(field, k, *stmt.task);
    } else {
      stmt.task = std::make_unique<TaskStatement>();
      compile_task(field, k == "submit" ? OpKind::submit : k == "alloc" ? OpKind::alloc_tensors : OpKind::dummy, *stmt.task);
    }
  }

  void compile_loop(const Field& stmt, int depth, Loop& loop) {
    if ((loop.failure = object_failure(stmt, {"for", "from", "to", "step", "body"}, {"for", "to", "body"}))) return;
    const Field& var = sub(stmt, "for");
    if ((loop.failure = string_failure(var))) return;
    loop.variable = var->get<std::string>();
    if (!is_identifier(loop.variable)) {
      loop.failure = expected(var, "a loop variable name (an identifier)");
      return;
    }
    if (visible(loop.variable)) {
      loop.failure = raw(var, "loop variable '" + loop.variable + "' shadows a parameter or an outer loop variable");
      return;
    }
    loop.variable_id = out_.loop_variables.intern(loop.variable);
    loop.has_from = has(stmt, "from");
    if (loop.has_from) loop.from = int_expr(sub(stmt, "from"), -MAX_DIM, MAX_DIM);
    loop.to = int_expr(sub(stmt, "to"), -MAX_DIM, MAX_DIM);
    loop.has_step = has(stmt, "step");
    if (loop.has_step) loop.step = int_expr(sub(stmt, "step"), 1, MAX_DIM);
    loop.body = std::make_unique<Block>();
    scope_.push_back(loop.variable);
    compile_block(sub(stmt, "body"), depth + 1, *loop.body);
    scope_.pop_back();
  }

  void compile_condition(const Field& stmt, int depth, Condition& condition) {
    if ((condition.failure = object_failure(stmt, {"if", "then", "else"}, {"if", "then"}))) return;
    condition.condition = int_expr(sub(stmt, "if"), INT64_MIN, INT64_MAX);
    condition.then_block = std::make_unique<Block>();
    compile_block(sub(stmt, "then"), depth + 1, *condition.then_block);
    if (has(stmt, "else")) {
      condition.else_block = std::make_unique<Block>();
      compile_block(sub(stmt, "else"), depth + 1, *condition.else_block);
    }
  }

  void compile_scope(const Field& stmt, int depth, ScopeStatement& scope) {
    if ((scope.failure = object_failure(stmt, {"scope", "body"}, {"scope", "body"}))) return;
    const Field& mode = sub(stmt, "scope");
    if ((scope.failure = string_failure(mode))) return;
    const std::string& value = mode->get_ref<const std::string&>();
    if (value == "auto") {
      scope.mode = runtime::ScopeMode::automatic;
    } else if (value == "manual") {
      scope.mode = runtime::ScopeMode::manual;
    } else {
      scope.failure = expected(mode, "\"auto\" or \"manual\", found \"" + value + "\"");
      return;
    }
    scope.body = std::make_unique<Block>();
    compile_block(sub(stmt, "body"), depth + 1, *scope.body);
  }

  void compile_task(const Field& stmt, OpKind kind, TaskStatement& task) {
    task.kind = kind;
    if (kind == OpKind::submit) {
      if ((task.failure = object_failure(stmt, {"submit", "name", "args", "deps", "scalars", "tensor_data", "sync_start",
                                                 "early_resolve"},
                                        {"submit"}))) {
        return;
      }
      // sync_start: require_sync_start, its blocks launch together (runtime-model.md §6.4).
      // early_resolve: allow_early_resolve (task_attrs bit 0), the codegen's hint that this task's
      // consumers may be pre-staged on cores before it completes (§6.6).
      for (auto [key, flag] : {std::pair{"sync_start", &task.sync_start}, std::pair{"early_resolve", &task.early_resolve}}) {
        if (!has(stmt, key)) continue;
        const Field& value = sub(stmt, key);
        if (!value->is_boolean()) {
          task.failure = expected(value, std::string("true or false, found ") + type_name(*value));
          return;
        }
        *flag = value->get<bool>();
      }
      for (auto [key, count] : {std::pair{"scalars", &task.scalars}, std::pair{"tensor_data", &task.tensor_data_reads}}) {
        if (!has(stmt, key)) continue;
        const Field& value = sub(stmt, key);
        if (!value->is_number_integer() || value->get<std::int64_t>() < 0 || value->get<std::int64_t>() > 64) {
          task.failure = expected(value, "an integer in [0, 64]");
          return;
        }
        *count = static_cast<std::uint8_t>(value->get<std::int64_t>());
      }
      const Field& kernel = sub(stmt, "submit");
      if ((task.failure = string_failure(kernel))) return;
      const std::string& kernel_name = kernel->get_ref<const std::string&>();
      auto it = context_.kernel_index->find(kernel_name);
      if (it == context_.kernel_index->end()) {
        task.failure = raw(kernel, "undefined kernel '" + kernel_name + "' (define it under /kernels)");
        return;
      }
      task.kernel = it->second;
      if (has(stmt, "name")) {
        task.name = task_name(sub(stmt, "name"));
      } else {
        task.name.id = out_.task_names.intern(kernel_name);
      }
    } else if (kind == OpKind::alloc_tensors) {
      if ((task.failure = object_failure(stmt, {"alloc", "outputs"}, {"alloc", "outputs"}))) return;
      task.name = task_name(sub(stmt, "alloc"));
    } else {
      if ((task.failure = object_failure(stmt, {"dummy", "args", "deps"}, {"dummy"}))) return;
      task.name = task_name(sub(stmt, "dummy"));
    }
    if (task.name.failure || task.name.bad_literal) return;
    if (kind == OpKind::alloc_tensors) {
      const Field& outputs = sub(stmt, "outputs");
      task.list_field = &outputs;
      if (!outputs->is_array() || outputs->empty()) {
        task.list_failure = expected(outputs, "a non-empty array of output tensors");
        return;
      }
      task.arguments.resize(outputs->size());
      for (std::size_t i = 0; i < outputs->size(); ++i) {
        Argument& arg = task.arguments[i];
        const Field& out = sub(outputs, i);
        arg.field = &out;
        arg.kind = ArgKind::output;
        if ((arg.failure = object_failure(out, {"name", "shape", "dtype", "manual_dep"}, {"name", "shape"}))) return;
        compile_output(out, sub(out, "name"), arg.output);
        if (arg.output.failure) return;
      }
    } else if (has(stmt, "args")) {
      const Field& args = sub(stmt, "args");
      task.list_field = &args;
      if (!args->is_array()) {
        task.list_failure = expected(args, std::string("an array of arguments, found ") + type_name(*args));
        return;
      }
      if (args->size() > 32) {
        task.list_failure = expected(args, "at most 32 tensor arguments per task");
        return;
      }
      task.arguments.resize(args->size());
      for (std::size_t i = 0; i < args->size(); ++i) {
        if (!compile_argument(sub(args, i), task.arguments[i])) return;
      }
    }
    task.has_deps = has(stmt, "deps");
    if (task.has_deps) compile_deps(sub(stmt, "deps"), task);
  }

  // get_tensor_data / set_tensor_data: one argument object as a task would pass it, INPUT for a
  // read (wait for the creator and every TensorMap writer), INOUT for a write (and their consumers).
  void compile_tensor_data(const Field& stmt, std::string_view key, TaskStatement& task) {
    task.kind = OpKind::tensor_data;
    const std::string name(key);
    if ((task.failure = object_failure(stmt, {name.c_str()}, {name.c_str()}))) return;
    const Field& arg_field = sub(stmt, name.c_str());
    task.list_field = &stmt;
    task.arguments.resize(1);
    if (!compile_argument(arg_field, task.arguments[0])) return;
    const ArgKind wanted = key == "get_tensor_data" ? ArgKind::input : ArgKind::inout;
    if (task.arguments[0].kind != wanted) {
      task.list_failure = expected(arg_field, key == "get_tensor_data" ? "an input argument ({\"input\": tensor, ...})"
                                                                      : "an inout argument ({\"inout\": tensor, ...})");
    }
  }

  // ---------------------------------------------------------------- arguments
  // False when a failure stops the statement here (what follows is not compiled).
  bool compile_argument(const Field& field, Argument& arg) {
    arg.field = &field;
    if (!field->is_object()) {
      arg.failure = expected(field, std::string("an argument object, found ") + type_name(*field));
      return false;
    }
    static const std::pair<const char*, ArgKind> KINDS[] = {{"input", ArgKind::input},
                                                            {"output", ArgKind::output},
                                                            {"inout", ArgKind::inout},
                                                            {"output_existing", ArgKind::output_existing},
                                                            {"no_dep", ArgKind::no_dep}};
    const char* key = nullptr;
    for (const auto& [name, kind] : KINDS) {
      if (find_key(*field, name) == nullptr) continue;
      if (key != nullptr) {
        arg.failure = expected(field, std::string("one argument kind; found both '") + key + "' and '" + name + "'");
        return false;
      }
      key = name;
      arg.kind = kind;
    }
    if (key == nullptr) {
      arg.failure = expected(field, "an argument with one of input, output, inout, output_existing, no_dep");
      return false;
    }
    if (arg.kind == ArgKind::output) {
      if ((arg.failure = object_failure(field, {"output", "shape", "dtype", "manual_dep"}, {"output", "shape"}))) return false;
      compile_output(field, sub(field, "output"), arg.output);
      return !arg.output.failure && !arg.output.shape.failure && !arg.output.type_failure;
    }
    if ((arg.failure = object_failure(field, {key, "view", "reshape", "slice", "views", "rows"}, {key}))) return false;
    const Field& tensor = sub(field, key);
    arg.tensor_field = &tensor;
    if ((arg.failure = string_failure(tensor))) return false;
    arg.tensor = tensor->get<std::string>();
    arg.slot = out_.tensor_slots.intern(arg.tensor);
    int transforms = 0;
    for (const char* transform : {"view", "reshape", "slice", "views"}) transforms += has(field, transform) ? 1 : 0;
    if (transforms > 1) {
      arg.transform_failure = expected(field, "at most one of view, reshape, slice, views (use views for a chain)");
      return false;
    }
    if (has(field, "views")) {
      arg.chain = true;
      const Field& chain = sub(field, "views");
      if (!chain->is_array()) {
        arg.transform_failure = expected(chain, "an array of view operations");
        return false;
      }
      arg.steps.resize(chain->size());
      for (std::size_t i = 0; i < chain->size(); ++i) {
        ViewStep& step = arg.steps[i];
        const Field& view_step = sub(chain, i);
        step.field = &view_step;
        if ((step.failure = object_failure(view_step, {"view", "reshape", "slice"}, {}))) return false;
        if (view_step->size() != 1) {
          step.failure = expected(view_step, "exactly one of view, reshape, slice");
          return false;
        }
        if (!compile_transform(view_step, step.transform)) return false;
      }
    } else if (!compile_transform(field, arg.transform)) {
      return false;
    }
    if (has(field, "rows")) {
      arg.rows.emplace();
      return compile_rows(sub(field, "rows"), *arg.rows);
    }
    return true;
  }

  void compile_output(const Field& spec, const Field& name_field, OutputSpec& out) {
    if ((out.failure = string_failure(name_field))) return;
    out.name = name_field->get<std::string>();
    if (!is_identifier(out.name)) {
      out.failure = expected(name_field, "a tensor name (an identifier)");
      return;
    }
    const std::uint32_t slot = out_.tensor_slots.intern(out.name);
    if (slot < context_.externals->size()) {
      out.failure = raw(name_field, "output '" + out.name + "' would hide the external tensor of the same name");
      return;
    }
    out.slot = slot;
    out.shape = int_list(sub(spec, "shape"), 1, runtime::MAX_TENSOR_DIMS, 1, MAX_DIM);
    if (out.shape.failure) return;
    if (has(spec, "dtype")) {
      const Field& type = sub(spec, "dtype");
      if ((out.type_failure = string_failure(type))) return;
      if (!runtime::parse_dtype(type->get<std::string>(), out.dtype)) {
        out.type_failure = expected(type, "a dtype: f32, f16, bf16, i32, i8, u8 or i64");
        return;
      }
    }
    if (has(spec, "manual_dep")) {
      const Field& manual = sub(spec, "manual_dep");
      if (!manual->is_boolean()) {
        out.type_failure = expected(manual, std::string("true or false, found ") + type_name(*manual));
        return;
      }
      out.manual_dep = manual->get<bool>();
    }
  }

  // apply_transform(): `holder` has at most one of view, reshape, slice.
  bool compile_transform(const Field& holder, Transform& transform) {
    if (has(holder, "view")) {
      const Field& view = sub(holder, "view");
      transform.kind = Transform::Kind::view;
      transform.field = &view;
      if ((transform.failure = object_failure(view, {"shape", "offset"}, {"shape"}))) return false;
      transform.shape = int_list(sub(view, "shape"), 1, runtime::MAX_TENSOR_DIMS, 0, MAX_DIM);
      if (!usable(transform.shape)) return false;
      transform.has_offset = has(view, "offset");
      if (transform.has_offset) transform.offset = int_list(sub(view, "offset"), 1, runtime::MAX_TENSOR_DIMS, 0, MAX_DIM);
      return !transform.has_offset || usable(transform.offset);
    }
    if (has(holder, "reshape")) {
      const Field& reshape = sub(holder, "reshape");
      transform.kind = Transform::Kind::reshape;
      transform.field = &reshape;
      transform.shape = int_list(reshape, 1, runtime::MAX_TENSOR_DIMS, 0, MAX_DIM);
      return usable(transform.shape);
    }
    if (has(holder, "slice")) {
      const Field& slice = sub(holder, "slice");
      transform.kind = Transform::Kind::slice;
      transform.field = &slice;
      if ((transform.failure = object_failure(slice, {"dim", "start", "end", "step"}, {"dim", "start", "end"}))) return false;
      transform.dim = int_expr(sub(slice, "dim"), 0, runtime::MAX_TENSOR_DIMS - 1);
      transform.start = int_expr(sub(slice, "start"), 0, MAX_DIM);
      transform.end = int_expr(sub(slice, "end"), 0, MAX_DIM);
      transform.has_step = has(slice, "step");
      if (transform.has_step) transform.step = int_expr(sub(slice, "step"), 1, MAX_DIM);
      return !transform.dim.failure && !transform.start.failure && !transform.end.failure && !transform.step.failure;
    }
    return true;
  }

  static bool usable(const IntList& list) {
    if (list.failure) return false;
    for (const IntExpr& item : list.items) {
      if (item.failure) return false;
    }
    return true;
  }

  bool compile_rows(const Field& field, RowSelection& rows) {
    rows.field = &field;
    if (field->is_array()) {
      rows.is_list = true;
      if (field->empty() || field->size() > MAX_SELECTED_ROWS) {
        rows.failure = expected(field, "a list of 1 to 1048576 rows");
        return false;
      }
      for (std::size_t i = 0; i < field->size(); ++i) {
        rows.items.push_back(int_expr(sub(field, i), INT64_MIN, INT64_MAX));
        if (rows.items.back().failure) return false;
      }
      return true;
    }
    if (!field->is_object()) {
      rows.failure = expected(field, std::string("a list of rows or {\"var\", \"count\", \"row\"}, found ") + type_name(*field));
      return false;
    }
    if ((rows.failure = object_failure(field, {"var", "count", "row"}, {"var", "count", "row"}))) return false;
    const Field& var = sub(field, "var");
    if ((rows.failure = string_failure(var))) return false;
    rows.var = var->get<std::string>();
    if (!is_identifier(rows.var)) {
      rows.failure = expected(var, "a variable name (an identifier)");
      return false;
    }
    if (visible(rows.var)) {
      rows.failure = raw(var, "row variable '" + rows.var + "' shadows a parameter or a loop variable");
      return false;
    }
    rows.count = int_expr(sub(field, "count"), 1, static_cast<std::int64_t>(MAX_SELECTED_ROWS));
    if (rows.count.failure) return false;
    scope_.push_back(rows.var);
    rows.row = int_expr(sub(field, "row"), INT64_MIN, INT64_MAX);
    scope_.pop_back();
    return !rows.row.failure;
  }

  void compile_deps(const Field& field, TaskStatement& task) {
    task.deps_field = &field;
    if (!field->is_array()) {
      task.deps_failure = expected(field, std::string("an array of dependencies, found ") + type_name(*field));
      return;
    }
    task.deps.resize(field->size());
    for (std::size_t i = 0; i < field->size(); ++i) {
      Dependency& dep = task.deps[i];
      const Field& entry = sub(field, i);
      dep.field = &entry;
      const Field* name_field = &entry;
      if (entry->is_object()) {
        if ((dep.failure = object_failure(entry, {"task", "when", "kind"}, {"task"}))) return;
        if (has(entry, "when")) {
          dep.when = int_expr(sub(entry, "when"), INT64_MIN, INT64_MAX);
          if (dep.when->failure) return;
        }
        // What follows `when` fails only when `when` holds: the entries after it still run.
        if (has(entry, "kind")) {
          const Field& kind = sub(entry, "kind");
          if ((dep.kind_failure = string_failure(kind))) continue;
          const std::string& value = kind->get_ref<const std::string&>();
          if (value == "wait") {
            dep.flavor = runtime::DepFlavor::wait_only;
          } else if (value != "wait_retain") {
            dep.kind_failure = expected(kind, "\"wait_retain\" (add_dep) or \"wait\" (add_dep_wait), found \"" + value + "\"");
            continue;
          }
        }
        name_field = &sub(entry, "task");
      } else if (!entry->is_string()) {
        dep.failure = expected(entry, std::string("a task name or {\"task\": ..., \"when\": ..., \"kind\": ...}, found ") +
                                          type_name(*entry));
        return;
      }
      dep.name = task_name(*name_field);
      if (!dep.name.failure) dep.raw = (*name_field)->get<std::string>();
    }
  }

  CompiledProgram& out_;
  const ProgramContext& context_;
  std::size_t slot_base_ = 0;       // the first loop variable's slot
  std::vector<std::string> scope_;  // loop (and row) variables visible here, outermost first
};

}  // namespace

std::unique_ptr<CompiledProgram> compile_program(const Field& body, const ProgramContext& context) {
  auto program = std::make_unique<CompiledProgram>();
  ProgramCompiler(*program, context).compile(body);
  return program;
}

}  // namespace ptosim::scenarios::loader
