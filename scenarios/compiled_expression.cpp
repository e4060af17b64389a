#include "scenarios/compiled_expression.h"

#include "scenarios/expression_node.h"
#include "simcore/model_assert.h"

#include <algorithm>

namespace ptosim::scenarios {

namespace {

using Node = Expression::Node;

// Stack slots a short expression needs at most; longer ones (min() of many arguments) use the heap.
constexpr std::size_t INLINE_STACK = 32;

}  // namespace

CompiledExpression CompiledExpression::constant(std::int64_t value) {
  CompiledExpression expr;
  expr.code_.push_back(Instruction{Op::push_constant, 0, value});
  return expr;
}

CompiledExpression CompiledExpression::compile(const Expression& expression, const VariableResolver& resolve) {
  CompiledExpression expr;
  expr.text_ = expression.text();
  expr.cost_ = expression.cost();
  expr.code_ = expr.compile_node(expression.root(), resolve);
  // The deepest stack: every instruction run in sequence (a skip only leaves out pushes).
  std::size_t depth = 0;
  for (const Instruction& instruction : expr.code_) {
    switch (instruction.op) {
      case Op::push_constant:
      case Op::push_slot:
      case Op::fail_unknown: ++depth; break;
      case Op::negate:
      case Op::logical_not:
      case Op::to_bool: break;
      case Op::min_of:
      case Op::max_of: depth -= instruction.operand - 1; break;
      case Op::and_skip:
      case Op::or_skip:
      default: --depth; break;  // binary operators, and the skips pop their left operand
    }
    expr.max_stack_ = std::max(expr.max_stack_, depth);
  }
  PTOSIM_ASSERT(depth == 1, "compiled expression \"" + expr.text_ + "\" leaves " + std::to_string(depth) + " values");
  return expr;
}

CompiledExpression::Code CompiledExpression::compile_node(const Node& node, const VariableResolver& resolve) {
  Code code;
  bool foldable = true;  // no variable below this node
  switch (node.kind) {
    case Node::Kind::literal: return {Instruction{Op::push_constant, 0, node.value}};
    case Node::Kind::variable: {
      const VariableBinding binding = resolve(node.name);
      if (binding.kind == VariableBinding::Kind::constant) return {Instruction{Op::push_constant, 0, binding.value}};
      if (binding.kind == VariableBinding::Kind::slot) {
        return {Instruction{Op::push_slot, static_cast<std::uint32_t>(binding.slot), 0}};
      }
      unknown_.push_back(node.name);
      return {Instruction{Op::fail_unknown, static_cast<std::uint32_t>(unknown_.size() - 1), 0}};
    }
    case Node::Kind::unary: {
      code = compile_node(*node.children[0], resolve);
      code.push_back(Instruction{node.name == "!" ? Op::logical_not : Op::negate, 0, 0});
      break;
    }
    case Node::Kind::call: {
      for (const auto& child : node.children) {
        Code part = compile_node(*child, resolve);
        code.insert(code.end(), part.begin(), part.end());
      }
      const Op op = node.name == "cdiv" ? Op::cdiv : node.name == "min" ? Op::min_of : Op::max_of;
      code.push_back(Instruction{op, static_cast<std::uint32_t>(node.children.size()), 0});
      break;
    }
    case Node::Kind::binary: {
      code = compile_node(*node.children[0], resolve);
      Code rhs = compile_node(*node.children[1], resolve);
      const std::string& name = node.name;
      if (name == "&&" || name == "||") {
        code.push_back(Instruction{name == "&&" ? Op::and_skip : Op::or_skip, static_cast<std::uint32_t>(rhs.size() + 1), 0});
        code.insert(code.end(), rhs.begin(), rhs.end());
        code.push_back(Instruction{Op::to_bool, 0, 0});
        break;
      }
      static const std::pair<const char*, Op> OPERATORS[] = {
          {"+", Op::add},       {"-", Op::subtract},   {"*", Op::multiply}, {"/", Op::divide},
          {"%", Op::modulo},    {"==", Op::equal},     {"!=", Op::not_equal}, {"<", Op::less},
          {"<=", Op::less_equal}, {">", Op::greater},  {">=", Op::greater_equal}};
      const auto* found = std::find_if(std::begin(OPERATORS), std::end(OPERATORS),
                                       [&](const auto& entry) { return name == entry.first; });
      PTOSIM_ASSERT(found != std::end(OPERATORS), "unknown operator " + name);
      code.insert(code.end(), rhs.begin(), rhs.end());
      code.push_back(Instruction{found->second, 0, 0});
      break;
    }
  }
  for (const Instruction& instruction : code) {
    foldable = foldable && instruction.op != Op::push_slot && instruction.op != Op::fail_unknown;
  }
  if (!foldable) return code;
  // No variable: the value is known now. A subtree that fails (1/0) stays as it is, so that the
  // error comes when, and only if, the evaluation reaches it.
  try {
    return {Instruction{Op::push_constant, 0, run(code.data(), code.size(), nullptr, code.size())}};
  } catch (const ExpressionError&) {
    return code;
  }
}

void CompiledExpression::fail(const std::string& what) const {
  throw ExpressionError("cannot evaluate \"" + text_ + "\": " + what);
}

std::int64_t CompiledExpression::evaluate(const Environment& env) const {
  if (is_constant()) return code_[0].value;
  return run(code_.data(), code_.size(), &env, max_stack_);
}

std::int64_t CompiledExpression::run(const Instruction* code, std::size_t size, const Environment* env,
                                     std::size_t capacity) const {
  std::int64_t inline_stack[INLINE_STACK];
  std::vector<std::int64_t> heap_stack;
  std::int64_t* stack = inline_stack;
  if (capacity > INLINE_STACK) {
    heap_stack.resize(capacity);
    stack = heap_stack.data();
  }
  std::size_t top = 0;  // values on the stack
  for (std::size_t pc = 0; pc < size; ++pc) {
    const Instruction& instruction = code[pc];
    std::int64_t r = 0;
    switch (instruction.op) {
      case Op::push_constant: stack[top++] = instruction.value; continue;
      case Op::push_slot: stack[top++] = env->value(instruction.operand); continue;
      case Op::fail_unknown: fail("unknown variable '" + unknown_[instruction.operand] + "'");
      case Op::negate:
        if (__builtin_sub_overflow(std::int64_t{0}, stack[top - 1], &r)) fail("overflow");
        stack[top - 1] = r;
        continue;
      case Op::logical_not: stack[top - 1] = stack[top - 1] == 0 ? 1 : 0; continue;
      case Op::to_bool: stack[top - 1] = stack[top - 1] != 0 ? 1 : 0; continue;
      case Op::and_skip:
      case Op::or_skip: {
        const bool decided = instruction.op == Op::and_skip ? stack[top - 1] == 0 : stack[top - 1] != 0;
        if (decided) {
          stack[top - 1] = instruction.op == Op::and_skip ? 0 : 1;
          pc += instruction.operand;
        } else {
          --top;
        }
        continue;
      }
      case Op::min_of:
      case Op::max_of: {
        const std::size_t first = top - instruction.operand;
        std::int64_t best = stack[first];
        for (std::size_t i = first; i < top; ++i) {
          best = instruction.op == Op::min_of ? std::min(best, stack[i]) : std::max(best, stack[i]);
        }
        top = first;
        stack[top++] = best;
        continue;
      }
      case Op::cdiv: {
        const std::int64_t a = stack[top - 2];
        const std::int64_t b = stack[top - 1];
        if (b <= 0) fail("cdiv() needs a positive divisor");
        if (a < 0) fail("cdiv() needs a non-negative dividend");
        --top;
        stack[top - 1] = a / b + (a % b != 0 ? 1 : 0);
        continue;
      }
      default: break;
    }
    // The binary operators.
    const std::int64_t a = stack[top - 2];
    const std::int64_t b = stack[top - 1];
    switch (instruction.op) {
      case Op::add:
        if (__builtin_add_overflow(a, b, &r)) fail("overflow");
        break;
      case Op::subtract:
        if (__builtin_sub_overflow(a, b, &r)) fail("overflow");
        break;
      case Op::multiply:
        if (__builtin_mul_overflow(a, b, &r)) fail("overflow");
        break;
      case Op::divide:
      case Op::modulo:
        if (b == 0) fail("division by zero");
        if (a == INT64_MIN && b == -1) fail("overflow");
        r = instruction.op == Op::divide ? a / b : a % b;
        break;
      case Op::equal: r = a == b; break;
      case Op::not_equal: r = a != b; break;
      case Op::less: r = a < b; break;
      case Op::less_equal: r = a <= b; break;
      case Op::greater: r = a > b; break;
      case Op::greater_equal: r = a >= b; break;
      default: PTOSIM_ASSERT(false, "not a binary operator"); break;
    }
    --top;
    stack[top - 1] = r;
  }
  PTOSIM_ASSERT(top == 1, "compiled expression \"" + text_ + "\" leaves " + std::to_string(top) + " values");
  return stack[0];
}

CompiledName CompiledName::compile(const NameTemplate& name, const VariableResolver& resolve) {
  CompiledName compiled;
  compiled.cost_ = name.cost();
  compiled.literals_.push_back(name.literals()[0]);
  for (std::size_t i = 0; i < name.parts().size(); ++i) {
    CompiledExpression part = CompiledExpression::compile(name.parts()[i], resolve);
    if (part.is_constant()) {
      // A part without variables joins the literal text around it.
      compiled.literals_.back() += std::to_string(part.constant_value()) + name.literals()[i + 1];
      continue;
    }
    compiled.parts_.push_back(std::move(part));
    compiled.literals_.push_back(name.literals()[i + 1]);
  }
  return compiled;
}

void CompiledName::evaluate(const Environment& env, std::string& out) const {
  out = literals_[0];
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    out += std::to_string(parts_[i].evaluate(env));
    out += literals_[i + 1];
  }
}

}  // namespace ptosim::scenarios
