#include "scenarios/expression.h"

#include <catch2/catch.hpp>

using namespace ptosim::scenarios;

namespace {
std::int64_t eval(const std::string& text, const Environment& env = {}) { return Expression::parse(text).evaluate(env); }
}  // namespace

TEST_CASE("arithmetic follows C precedence and semantics", "[expression]") {
  CHECK(eval("1 + 2 * 3") == 7);
  CHECK(eval("(1 + 2) * 3") == 9);
  CHECK(eval("7 / 2") == 3);
  CHECK(eval("-7 / 2") == -3);
  CHECK(eval("7 % 3") == 1);
  CHECK(eval("-(3 - 5)") == 2);
  CHECK(eval("10 - 3 - 2") == 5);
  CHECK(eval("2 * 3 % 4") == 2);
}

TEST_CASE("comparisons and logic yield 0 or 1", "[expression]") {
  CHECK(eval("3 < 4") == 1);
  CHECK(eval("3 >= 4") == 0);
  CHECK(eval("1 == 1 && 2 != 3") == 1);
  CHECK(eval("0 || 0") == 0);
  CHECK(eval("!0") == 1);
  CHECK(eval("!5") == 0);
  CHECK(eval("1 || 1 / 0") == 1);  // short-circuit: the division never runs
}

TEST_CASE("functions min, max and cdiv", "[expression]") {
  CHECK(eval("min(4, 2, 9)") == 2);
  CHECK(eval("max(4, 2, 9)") == 9);
  CHECK(eval("cdiv(10, 4)") == 3);
  CHECK(eval("cdiv(8, 4)") == 2);
  CHECK(eval("cdiv(0, 4)") == 0);
}

TEST_CASE("variables come from the environment, innermost first", "[expression]") {
  Environment env;
  env.push("B", 4);
  env.push("k", 2);
  CHECK(eval("B * 16 + k", env) == 66);
  env.push("k", 5);
  CHECK(eval("k", env) == 5);
  env.pop();
  CHECK(eval("k", env) == 2);
}

TEST_CASE("errors are reported, not undefined", "[expression]") {
  CHECK_THROWS_WITH(eval("1 / 0"), Catch::Contains("division by zero"));
  CHECK_THROWS_WITH(eval("5 % 0"), Catch::Contains("division by zero"));
  CHECK_THROWS_WITH(eval("x + 1"), Catch::Contains("unknown variable 'x'"));
  CHECK_THROWS_WITH(eval("9223372036854775807 + 1"), Catch::Contains("overflow"));
  CHECK_THROWS_WITH(eval("99999999999999999999"), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(Expression::parse("1 +"), Catch::Contains("expected a value"));
  CHECK_THROWS_WITH(Expression::parse("(1 + 2"), Catch::Contains("expected ')'"));
  CHECK_THROWS_WITH(Expression::parse("foo(1)"), Catch::Contains("unknown function"));
  CHECK_THROWS_WITH(Expression::parse("1 $ 2"), Catch::Contains("column 3"));
  CHECK_THROWS_WITH(eval("cdiv(1, 0)"), Catch::Contains("positive divisor"));
  std::string deep(100, '(');
  CHECK_THROWS_WITH(Expression::parse(deep + "1" + std::string(100, ')')), Catch::Contains("nested too deeply"));
}

TEST_CASE("name templates interpolate expressions", "[expression]") {
  Environment env;
  env.push("b", 3);
  env.push("k", 0);
  CHECK(NameTemplate::parse("up{b}_{k-1}").evaluate(env) == "up3_-1");
  CHECK(NameTemplate::parse("plain").evaluate(env) == "plain");
  CHECK_THROWS_WITH(NameTemplate::parse("up{b"), Catch::Contains("unclosed"));
  CHECK_THROWS_WITH(NameTemplate::parse("up}"), Catch::Contains("unmatched"));
}
