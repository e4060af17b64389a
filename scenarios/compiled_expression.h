// Expressions and name templates of the program, compiled once: every variable is resolved when
// the statement is compiled (a program parameter to its value, a loop or row variable to its
// slot in the Environment), subtrees without variables are folded into constants, and what is
// left is a short postfix code run on a small stack. Evaluating it gives the value, or the
// ExpressionError, that Expression::evaluate gives for the same bindings: operands are
// evaluated in the same order, && and || short-circuit the same way, and the messages are the
// same, so a scenario's first error does not depend on which of the two evaluated it.
#pragma once

#include "scenarios/expression.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ptosim::scenarios {

// What a name in an expression stands for where the expression is used.
struct VariableBinding {
  enum class Kind : std::uint8_t { constant, slot, unknown } kind = Kind::unknown;
  std::int64_t value = 0;  // constant
  std::size_t slot = 0;    // slot: Environment::value(slot)
};
using VariableResolver = std::function<VariableBinding(std::string_view name)>;

class CompiledExpression {
 public:
  CompiledExpression() = default;
  // A literal integer (a JSON number): no text, no cost.
  static CompiledExpression constant(std::int64_t value);
  static CompiledExpression compile(const Expression& expression, const VariableResolver& resolve);

  // Throws ExpressionError like Expression::evaluate.
  std::int64_t evaluate(const Environment& env) const;
  // Whether evaluate() returns constant_value() whatever the environment, without error.
  bool is_constant() const { return code_.size() == 1 && code_[0].op == Op::push_constant; }
  std::int64_t constant_value() const { return code_[0].value; }
  // The source text, and its cost in the loader's work budget (Expression::cost).
  const std::string& text() const { return text_; }
  std::size_t cost() const { return cost_; }
  // Instructions left after folding (for tests).
  std::size_t code_size() const { return code_.size(); }

 private:
  enum class Op : std::uint8_t {
    push_constant,  // value
    push_slot,      // operand: the slot
    fail_unknown,   // operand: index into unknown_
    negate,
    logical_not,
    add,
    subtract,
    multiply,
    divide,
    modulo,
    equal,
    not_equal,
    less,
    less_equal,
    greater,
    greater_equal,
    and_skip,  // pops a; when a == 0 pushes 0 and skips `operand` instructions
    or_skip,   // pops a; when a != 0 pushes 1 and skips `operand` instructions
    to_bool,   // the right operand of && or ||: 0 or 1
    min_of,    // operand: argument count
    max_of,    // operand: argument count
    cdiv,
  };
  struct Instruction {
    Op op = Op::push_constant;
    std::uint32_t operand = 0;
    std::int64_t value = 0;
  };
  using Code = std::vector<Instruction>;

  Code compile_node(const Expression::Node& node, const VariableResolver& resolve);
  // Runs `size` instructions with room for `capacity` values (folding runs a part of the code
  // whose depth was not measured: its length bounds it). `env` is null when folding.
  std::int64_t run(const Instruction* code, std::size_t size, const Environment* env, std::size_t capacity) const;
  [[noreturn]] void fail(const std::string& what) const;

  Code code_;
  std::size_t max_stack_ = 1;
  std::string text_;
  std::vector<std::string> unknown_;  // names no binding was found for
  std::size_t cost_ = 0;
};

// A task name template ("up{b}_{k-1}") with compiled parts.
class CompiledName {
 public:
  CompiledName() = default;
  static CompiledName compile(const NameTemplate& name, const VariableResolver& resolve);
  // Writes the name into `out` (reusing its storage); throws ExpressionError.
  void evaluate(const Environment& env, std::string& out) const;
  // No {...} parts: the name is literals()[0].
  bool is_literal() const { return parts_.empty(); }
  const std::string& literal() const { return literals_[0]; }
  std::size_t cost() const { return cost_; }

 private:
  std::vector<std::string> literals_;  // literals_[i] precedes parts_[i]; one extra at the end
  std::vector<CompiledExpression> parts_;
  std::size_t cost_ = 0;
};

}  // namespace ptosim::scenarios
