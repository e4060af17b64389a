// Integer expressions of the scenario language: literals, variables (program parameters and loop
// variables), + - * / % (C semantics, division by zero and overflow are errors), comparisons,
// && || ! (0 is false), parentheses and the functions min(a, b, ...), max(a, b, ...) and
// cdiv(a, b) (ceiling division). All arithmetic is int64.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ptosim::scenarios {

class ExpressionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Variable bindings during expansion. Names are unique (the loader rejects a parameter defined
// twice and a loop variable that shadows), so a variable's slot, once found, stays valid for as
// long as the same name sits there: expressions remember it and look up in constant time.
class Environment {
 public:
  void push(std::string name, std::int64_t value) { vars_.emplace_back(std::move(name), value); }
  void pop() { vars_.pop_back(); }
  void set_top(std::int64_t value) { vars_.back().second = value; }
  void set(std::size_t slot, std::int64_t value) { vars_[slot].second = value; }
  const std::int64_t* find(std::string_view name) const;
  // As find(), trying slot `hint` first and updating it.
  const std::int64_t* find(std::string_view name, std::size_t& hint) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  std::size_t size() const { return vars_.size(); }
  // The value in `slot` (0 is the first pushed): compiled expressions resolve names to slots.
  std::int64_t value(std::size_t slot) const { return vars_[slot].second; }

 private:
  std::vector<std::pair<std::string, std::int64_t>> vars_;
};

class Expression {
 public:
  // Throws ExpressionError with the position of a syntax error.
  static Expression parse(std::string_view text);
  // Throws ExpressionError for unknown variables, division by zero, overflow.
  std::int64_t evaluate(const Environment& env) const;
  const std::string& text() const { return text_; }
  // Nodes in the syntax tree: what one evaluation costs, for the loader's work budget.
  std::size_t cost() const { return cost_; }

  struct Node;  // expression_node.h
  const Node& root() const { return *root_; }

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
  std::size_t cost_ = 0;
};

// A name with {expression} parts, e.g. "up{b}_{k-1}".
class NameTemplate {
 public:
  static NameTemplate parse(std::string_view text);
  std::string evaluate(const Environment& env) const;
  // Whether some values of the {...} parts could evaluate to `name` (each part an integer).
  // Time O(|name| x |template|): the template runs as an automaton, without backtracking.
  bool matches(std::string_view name) const;
  const std::string& text() const { return text_; }
  std::size_t cost() const;
  // literals()[i] precedes parts()[i]; literals() has one more entry, the tail.
  const std::vector<std::string>& literals() const { return literals_; }
  const std::vector<Expression>& parts() const { return parts_; }

 private:
  std::string text_;
  std::vector<std::string> literals_;       // literals_[i] precedes parts_[i]; one extra at the end
  std::vector<Expression> parts_;
};

}  // namespace ptosim::scenarios
