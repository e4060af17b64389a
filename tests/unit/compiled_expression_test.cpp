// The compiled form of expressions and name templates gives what the interpreter gives: the same
// value, or the same error message, for every binding of the variables.
#include "scenarios/compiled_expression.h"
#include "simcore/decision_source.h"

#include <catch2/catch.hpp>

#include <map>

using namespace ptosim::scenarios;

namespace {

// Parameters B and NB are constants; loop variables b and k live in slots 2 and 3 (after the
// two parameters in the environment).
struct Bindings {
  Environment env;
  Bindings(std::int64_t b, std::int64_t k) {
    env.push("B", 4);
    env.push("NB", 8);
    env.push("b", b);
    env.push("k", k);
  }
};

VariableBinding resolve(std::string_view name) {
  if (name == "B") return VariableBinding{VariableBinding::Kind::constant, 4, 0};
  if (name == "NB") return VariableBinding{VariableBinding::Kind::constant, 8, 0};
  if (name == "b") return VariableBinding{VariableBinding::Kind::slot, 0, 2};
  if (name == "k") return VariableBinding{VariableBinding::Kind::slot, 0, 3};
  return VariableBinding{};
}

// "=value" or "!message".
std::string interpreted(const std::string& text, const Environment& env) {
  try {
    return "=" + std::to_string(Expression::parse(text).evaluate(env));
  } catch (const ExpressionError& e) {
    return std::string("!") + e.what();
  }
}

std::string compiled(const std::string& text, const Environment& env) {
  const CompiledExpression expr = CompiledExpression::compile(Expression::parse(text), resolve);
  try {
    return "=" + std::to_string(expr.evaluate(env));
  } catch (const ExpressionError& e) {
    return std::string("!") + e.what();
  }
}

// A random expression over B, NB, b, k, an unknown variable and small or extreme literals.
std::string random_expression(ptosim::simcore::StreamGenerator& rng, int depth) {
  static const char* LEAVES[] = {"B", "NB", "b", "k", "x", "0", "1", "2", "7", "-1", "9223372036854775807", "3"};
  static const char* BINARY[] = {"+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||"};
  if (depth == 0 || rng.next_in(0, 3) == 0) return LEAVES[rng.next_in(0, std::size(LEAVES) - 1)];
  switch (rng.next_in(0, 5)) {
    case 0: return std::string(rng.next_in(0, 1) == 0 ? "-" : "!") + "(" + random_expression(rng, depth - 1) + ")";
    case 1: {
      const char* name = rng.next_in(0, 1) == 0 ? "min" : "max";
      std::string call = std::string(name) + "(" + random_expression(rng, depth - 1);
      for (std::uint64_t i = rng.next_in(0, 3); i > 0; --i) call += ", " + random_expression(rng, depth - 1);
      return call + ")";
    }
    case 2: return "cdiv(" + random_expression(rng, depth - 1) + ", " + random_expression(rng, depth - 1) + ")";
    default:
      return "(" + random_expression(rng, depth - 1) + " " + BINARY[rng.next_in(0, std::size(BINARY) - 1)] + " " +
             random_expression(rng, depth - 1) + ")";
  }
}

}  // namespace

TEST_CASE("compiled expressions evaluate like the interpreter on a table", "[expression][compiled]") {
  const std::vector<std::string> table = {
      "1 + 2 * 3",          "b*NB + k",       "((b*NB + k) * 7919 % (B*NB)) * 128", "-k",
      "!k",                 "k > 0 && b < 3", "k > 0 && 1/0",                       "k == 0 || 1/0",
      "0 && x",             "1 || x",         "x + 1",                              "k + x",
      "b / (k - 1)",        "b % (k - 1)",    "cdiv(b, k)",                         "cdiv(k - 3, 2)",
      "min(b, k, 3)",       "max(k)",         "9223372036854775807 + k",            "-9223372036854775807 - 1 - k",
      "(0 - 9223372036854775807 - 1) / (k - 2)", "min(k, 1/0)",  "B*16",            "NB - 1",
  };
  for (std::int64_t b = 0; b < 3; ++b) {
    for (std::int64_t k = 0; k < 3; ++k) {
      const Bindings bindings(b, k);
      for (const std::string& text : table) {
        INFO(text << " with b=" << b << ", k=" << k);
        CHECK(compiled(text, bindings.env) == interpreted(text, bindings.env));
      }
    }
  }
}

TEST_CASE("compiled expressions evaluate like the interpreter on random expressions", "[expression][compiled]") {
  ptosim::simcore::StreamGenerator rng(7, "compiled_expression_test");
  std::map<char, int> outcomes;  // '=' values, '!' errors: both must occur
  for (int round = 0; round < 3000; ++round) {
    const std::string text = random_expression(rng, 4);
    const Bindings bindings(static_cast<std::int64_t>(rng.next_in(0, 4)) - 2, static_cast<std::int64_t>(rng.next_in(0, 3)));
    const std::string expected = interpreted(text, bindings.env);
    INFO(text);
    CHECK(compiled(text, bindings.env) == expected);
    ++outcomes[expected[0]];
  }
  CHECK(outcomes['='] > 500);
  CHECK(outcomes['!'] > 500);
}

TEST_CASE("constants are folded, variables are not", "[expression][compiled]") {
  auto compile = [](const std::string& text) { return CompiledExpression::compile(Expression::parse(text), resolve); };
  CHECK(compile("B*16 + NB").is_constant());
  CHECK(compile("B*16 + NB").constant_value() == 72);
  CHECK(compile("B*16 + NB").cost() == 5);  // the budget counts the source, not the folded code
  CHECK_FALSE(compile("k + B*16").is_constant());
  CHECK(compile("k + B*16").code_size() == 3);
  // A constant part that fails is kept, so that it fails only where the evaluation reaches it.
  const CompiledExpression guarded = compile("k > 0 && 1/0");
  CHECK(guarded.evaluate(Bindings(0, 0).env) == 0);
  CHECK_THROWS_WITH(guarded.evaluate(Bindings(0, 1).env), "cannot evaluate \"k > 0 && 1/0\": division by zero");
  CHECK_THROWS_WITH(compile("b + y").evaluate(Bindings(0, 0).env), "cannot evaluate \"b + y\": unknown variable 'y'");
}

TEST_CASE("min and max of many arguments", "[expression][compiled]") {
  std::string text = "max(k";
  for (int i = 0; i < 100; ++i) text += ", b + " + std::to_string(i);
  text += ")";
  const Bindings bindings(5, 1);
  CHECK(compiled(text, bindings.env) == "=104");
  CHECK(compiled(text, bindings.env) == interpreted(text, bindings.env));
}

TEST_CASE("compiled names interpolate like templates", "[expression][compiled]") {
  const Bindings bindings(3, 0);
  std::string out;
  for (const char* text : {"up{b}_{k-1}", "plain", "a{B}", "x{NB-1}_{b}y", "{k}"}) {
    const NameTemplate name = NameTemplate::parse(text);
    CompiledName::compile(name, resolve).evaluate(bindings.env, out);
    CHECK(out == name.evaluate(bindings.env));
  }
  const CompiledName folded = CompiledName::compile(NameTemplate::parse("a{B}_{NB*2}"), resolve);
  CHECK(folded.is_literal());
  CHECK(folded.literal() == "a4_16");
  CHECK(folded.cost() == NameTemplate::parse("a{B}_{NB*2}").cost());
  CHECK_THROWS_WITH(CompiledName::compile(NameTemplate::parse("t{k/0}"), resolve).evaluate(bindings.env, out),
                    Catch::Contains("division by zero"));
}
