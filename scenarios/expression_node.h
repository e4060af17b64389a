// The syntax tree of a parsed expression (internal to scenarios/): expression.cpp parses and
// interprets it, expression_compiler.cpp turns it into a CompiledExpression.
#pragma once

#include "scenarios/expression.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ptosim::scenarios {

struct Expression::Node {
  enum class Kind { literal, variable, unary, binary, call } kind = Kind::literal;
  std::int64_t value = 0;
  std::string name;  // variable, function or operator
  std::vector<std::shared_ptr<const Node>> children;
  mutable std::size_t slot_hint = 0;  // variable: where the environment held it last time
};

}  // namespace ptosim::scenarios
