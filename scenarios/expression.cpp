#include "scenarios/expression.h"

#include "scenarios/expression_node.h"

#include <algorithm>
#include <cctype>

namespace ptosim::scenarios {

const std::int64_t* Environment::find(std::string_view name, std::size_t& hint) const {
  if (hint < vars_.size() && vars_[hint].first == name) return &vars_[hint].second;
  for (std::size_t i = vars_.size(); i-- > 0;) {
    if (vars_[i].first == name) {
      hint = i;
      return &vars_[i].second;
    }
  }
  return nullptr;
}

const std::int64_t* Environment::find(std::string_view name) const {
  for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

namespace {

using NodePtr = std::shared_ptr<const Expression::Node>;
using Node = Expression::Node;

constexpr int MAX_EXPRESSION_DEPTH = 64;

// The character at `pos` for an error message: a whole UTF-8 sequence when one starts there (a
// message must not cut a character in half), else the byte as \xNN.
std::string character_at(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  bool valid = length > 0 && pos + length <= text.size();
  for (std::size_t i = 1; valid && i < length; ++i) valid = (static_cast<unsigned char>(text[pos + i]) >> 6) == 0x2;
  if (valid) return std::string(text.substr(pos, length));
  static const char* hex = "0123456789ABCDEF";
  return std::string("\\x") + hex[lead >> 4] + hex[lead & 0xF];
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  NodePtr parse_all() {
    NodePtr node = parse_or();
    skip_space();
    if (pos_ != text_.size()) fail("unexpected '" + character_at(text_, pos_) + "'");
    return node;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ExpressionError("bad expression \"" + std::string(text_) + "\" at column " + std::to_string(pos_ + 1) + ": " +
                          what);
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) == token) {
      pos_ += token.size();
      return true;
    }
    return false;
  }

  static NodePtr binary(std::string op, NodePtr lhs, NodePtr rhs) {
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::binary;
    node->name = std::move(op);
    node->children = {std::move(lhs), std::move(rhs)};
    return node;
  }

  void enter() {
    if (++depth_ > MAX_EXPRESSION_DEPTH) fail("nested too deeply");
  }

  NodePtr parse_or() {
    enter();
    NodePtr lhs = parse_and();
    while (accept("||")) lhs = binary("||", lhs, parse_and());
    --depth_;
    return lhs;
  }

  NodePtr parse_and() {
    NodePtr lhs = parse_cmp();
    while (accept("&&")) lhs = binary("&&", lhs, parse_cmp());
    return lhs;
  }

  NodePtr parse_cmp() {
    NodePtr lhs = parse_add();
    for (std::string_view op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (accept(op)) return binary(std::string(op), lhs, parse_add());
    }
    return lhs;
  }

  NodePtr parse_add() {
    NodePtr lhs = parse_mul();
    while (true) {
      if (accept("+")) {
        lhs = binary("+", lhs, parse_mul());
      } else if (accept("-")) {
        lhs = binary("-", lhs, parse_mul());
      } else {
        return lhs;
      }
    }
  }

  NodePtr parse_mul() {
    NodePtr lhs = parse_unary();
    while (true) {
      if (accept("*")) {
        lhs = binary("*", lhs, parse_unary());
      } else if (accept("/")) {
        lhs = binary("/", lhs, parse_unary());
      } else if (accept("%")) {
        lhs = binary("%", lhs, parse_unary());
      } else {
        return lhs;
      }
    }
  }

  NodePtr parse_unary() {
    skip_space();
    if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '!')) {
      // "!=" is not a unary operator, but "!" followed by "=" cannot start a primary either.
      std::string op(1, text_[pos_]);
      ++pos_;
      enter();
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::unary;
      node->name = op;
      node->children = {parse_unary()};
      --depth_;
      return node;
    }
    return parse_primary();
  }

  NodePtr parse_primary() {
    skip_space();
    if (pos_ >= text_.size()) fail("expected a value");
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      NodePtr inner = parse_or();
      if (!accept(")")) fail("expected ')'");
      return inner;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      std::int64_t value = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        const int digit = text_[pos_] - '0';
        if (__builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, digit, &value)) {
          fail("integer literal out of range");
        }
        ++pos_;
      }
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::literal;
      node->value = value;
      return node;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t start = pos_;
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
      std::string name(text_.substr(start, pos_ - start));
      auto node = std::make_shared<Node>();
      node->name = name;
      if (accept("(")) {
        if (name != "min" && name != "max" && name != "cdiv") fail("unknown function '" + name + "'");
        node->kind = Node::Kind::call;
        if (!accept(")")) {
          do {
            node->children.push_back(parse_or());
          } while (accept(","));
          if (!accept(")")) fail("expected ')' after the arguments of " + name);
        }
        if (node->children.empty()) fail(name + "() needs at least one argument");
        if (name == "cdiv" && node->children.size() != 2) fail("cdiv() takes two arguments");
        return node;
      }
      node->kind = Node::Kind::variable;
      return node;
    }
    fail("unexpected '" + character_at(text_, pos_) + "'");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

std::int64_t eval(const Node& node, const Environment& env, const std::string& text) {
  auto fail = [&](const std::string& what) -> std::int64_t {
    throw ExpressionError("cannot evaluate \"" + text + "\": " + what);
  };
  switch (node.kind) {
    case Node::Kind::literal: return node.value;
    case Node::Kind::variable: {
      const std::int64_t* value = env.find(node.name, node.slot_hint);
      if (value == nullptr) return fail("unknown variable '" + node.name + "'");
      return *value;
    }
    case Node::Kind::unary: {
      const std::int64_t v = eval(*node.children[0], env, text);
      if (node.name == "!") return v == 0 ? 1 : 0;
      std::int64_t r = 0;
      if (__builtin_sub_overflow(std::int64_t{0}, v, &r)) return fail("overflow");
      return r;
    }
    case Node::Kind::call: {
      std::vector<std::int64_t> args;
      for (const auto& child : node.children) args.push_back(eval(*child, env, text));
      if (node.name == "cdiv") {
        if (args[1] <= 0) return fail("cdiv() needs a positive divisor");
        if (args[0] < 0) return fail("cdiv() needs a non-negative dividend");
        return args[0] / args[1] + (args[0] % args[1] != 0 ? 1 : 0);
      }
      std::int64_t best = args[0];
      for (std::int64_t v : args) best = node.name == "min" ? (v < best ? v : best) : (v > best ? v : best);
      return best;
    }
    case Node::Kind::binary: break;
  }
  const std::string& op = node.name;
  const std::int64_t a = eval(*node.children[0], env, text);
  if (op == "&&") return a != 0 && eval(*node.children[1], env, text) != 0 ? 1 : 0;
  if (op == "||") return a != 0 || eval(*node.children[1], env, text) != 0 ? 1 : 0;
  const std::int64_t b = eval(*node.children[1], env, text);
  std::int64_t r = 0;
  if (op == "+") return __builtin_add_overflow(a, b, &r) ? fail("overflow") : r;
  if (op == "-") return __builtin_sub_overflow(a, b, &r) ? fail("overflow") : r;
  if (op == "*") return __builtin_mul_overflow(a, b, &r) ? fail("overflow") : r;
  if (op == "/" || op == "%") {
    if (b == 0) return fail("division by zero");
    if (a == INT64_MIN && b == -1) return fail("overflow");
    return op == "/" ? a / b : a % b;
  }
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  if (op == ">=") return a >= b;
  return fail("unknown operator " + op);
}

}  // namespace

namespace {

std::size_t count_nodes(const Node& node) {
  std::size_t count = 1;
  for (const auto& child : node.children) count += count_nodes(*child);
  return count;
}

}  // namespace

Expression Expression::parse(std::string_view text) {
  Expression expr;
  expr.text_ = std::string(text);
  expr.root_ = Parser(text).parse_all();
  expr.cost_ = count_nodes(*expr.root_);
  return expr;
}

std::size_t NameTemplate::cost() const {
  std::size_t total = 1 + text_.size() / 64;
  for (const Expression& part : parts_) total += part.cost();
  return total;
}

std::int64_t Expression::evaluate(const Environment& env) const { return eval(*root_, env, text_); }

NameTemplate NameTemplate::parse(std::string_view text) {
  NameTemplate name;
  name.text_ = std::string(text);
  std::string literal;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '{') {
      const std::size_t close = text.find('}', pos);
      if (close == std::string_view::npos) throw ExpressionError("unclosed '{' in name \"" + std::string(text) + "\"");
      name.literals_.push_back(literal);
      literal.clear();
      name.parts_.push_back(Expression::parse(text.substr(pos + 1, close - pos - 1)));
      pos = close + 1;
    } else if (c == '}') {
      throw ExpressionError("unmatched '}' in name \"" + std::string(text) + "\"");
    } else {
      literal.push_back(c);
      ++pos;
    }
  }
  name.literals_.push_back(literal);
  return name;
}

bool NameTemplate::matches(std::string_view name) const {
  // The template as a sequence of tokens: a literal character, or a part (an integer: an
  // optional '-' then at least one digit). The automaton's states are positions in the tokens;
  // a part token has three: before it, after its '-', inside its digits. All live states advance
  // together over the name (Thompson's construction), so no input can make it backtrack.
  struct Token {
    bool part = false;
    char literal = 0;
  };
  std::vector<Token> tokens;
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    for (char c : literals_[i]) tokens.push_back(Token{false, c});
    tokens.push_back(Token{true, 0});
  }
  for (char c : literals_.back()) tokens.push_back(Token{false, c});
  enum Sub : std::size_t { BEFORE = 0, AFTER_SIGN = 1, IN_DIGITS = 2, SUBS = 3 };
  const std::size_t states = (tokens.size() + 1) * SUBS;  // the last token index means "matched all"
  std::vector<char> live(states, 0);
  std::vector<char> next(states, 0);
  auto state = [](std::size_t token, std::size_t sub) { return token * SUBS + sub; };
  // Adds a state and what it reaches without reading a character: the end of a part's digits
  // may move on to the next token.
  auto add = [&](std::vector<char>& set, std::size_t token, std::size_t sub) {
    set[state(token, sub)] = 1;
    if (sub == IN_DIGITS) set[state(token + 1, BEFORE)] = 1;
  };
  add(live, 0, BEFORE);
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  for (char c : name) {
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    for (std::size_t t = 0; t < tokens.size(); ++t) {
      const Token& token = tokens[t];
      if (!token.part) {
        if (live[state(t, BEFORE)] != 0 && token.literal == c) {
          add(next, t + 1, BEFORE);
          any = true;
        }
        continue;
      }
      if (live[state(t, BEFORE)] != 0 && c == '-') {
        add(next, t, AFTER_SIGN);
        any = true;
      }
      if ((live[state(t, BEFORE)] != 0 || live[state(t, AFTER_SIGN)] != 0 || live[state(t, IN_DIGITS)] != 0) &&
          is_digit(c)) {
        add(next, t, IN_DIGITS);
        any = true;
      }
    }
    if (!any) return false;
    live.swap(next);
  }
  return live[state(tokens.size(), BEFORE)] != 0;
}

std::string NameTemplate::evaluate(const Environment& env) const {
  std::string out = literals_[0];
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    out += std::to_string(parts_[i].evaluate(env));
    out += literals_[i + 1];
  }
  return out;
}

}  // namespace ptosim::scenarios
