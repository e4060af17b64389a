// The program is compiled once and expanded from the compiled form; a check that fails at compile
// time is raised where expansion reaches it. These cases pin that order: an error in code that
// never runs is no error, an error names the iteration that reaches it, the first of two errors
// in expansion order wins, and the step budget is spent at the same places.
#include "scenarios/scenario.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using ptosim::scenarios::load_scenario_text;
using ptosim::scenarios::ScenarioError;
using Json = nlohmann::ordered_json;

namespace {

Json scenario_with(const Json& body) {
  Json doc = Json::parse(R"({
    "format": 1, "name": "compiled", "description": "one program statement under test",
    "platform": {"clusters": 1, "scheduler_threads": 1},
    "tensors": {"x": {"shape": [16, 16]}},
    "kernels": {"k": {"core": "aiv", "duration_ns": 100}},
    "program": {"params": {"N": 3}, "body": []}
  })");
  doc["program"]["body"] = body;
  return doc;
}

// The error's pointer and message, or "accepted".
std::string outcome(const Json& body) {
  try {
    load_scenario_text(scenario_with(body).dump(), "c.json");
    return "accepted";
  } catch (const ScenarioError& e) {
    return e.pointer() + ": " + e.problem();
  }
}

Json submit_x(const Json& view_offset) {
  return Json{{"submit", "k"}, {"args", Json::array({Json{{"input", "x"}, {"view", {{"shape", {1, 16}}, {"offset", view_offset}}}}})}};
}

}  // namespace

TEST_CASE("an error in code that never runs is not reported", "[validation][compiled]") {
  // A loop without iterations, a branch not taken, a dependency whose `when` never holds.
  CHECK(outcome(Json::array({Json{{"for", "i"}, {"to", 0}, {"body", Json::array({Json{{"bogus", 1}}})}}})) == "accepted");
  CHECK(outcome(Json::array({Json{{"if", 0}, {"then", "not a list"}}})) == "accepted");
  CHECK(outcome(Json::array({Json{{"submit", "k"}},
                             Json{{"submit", "k"}, {"deps", Json::array({Json{{"task", 7}, {"when", "N < 0"}}})}}})) ==
        "accepted");
}

TEST_CASE("an error names the iteration that reaches it", "[validation][compiled]") {
  const Json loop = Json{{"for", "i"},
                         {"to", "N"},
                         {"body", Json::array({Json{{"submit", "k"}, {"name", "t"},
                                                    {"deps", Json::array({Json{{"task", "t"}, {"when", "i > 0"}, {"kind", "later"}}})}}})}};
  CHECK(outcome(Json::array({loop})) ==
        "/program/body/0/body/0/deps/0/kind: expected \"wait_retain\" (add_dep) or \"wait\" (add_dep_wait), found "
        "\"later\" (in iteration i=1)");
  // A branch taken only in the last iteration, with a bad statement in it.
  const Json branch = Json{{"for", "i"},
                           {"to", "N"},
                           {"body", Json::array({Json{{"if", "i == N - 1"}, {"then", Json::array({Json{{"scope", "sideways"}, {"body", Json::array()}}})}}})}};
  CHECK(outcome(Json::array({branch})) ==
        "/program/body/0/body/0/then/0/scope: expected \"auto\" or \"manual\", found \"sideways\" (in iteration i=2)");
  // Evaluated values fail in their iteration; the view fits for i < 16 only.
  CHECK(outcome(Json::array({Json{{"for", "i"}, {"to", 20}, {"body", Json::array({submit_x(Json::array({"i", 0}))})}}})) ==
        "/program/body/0/body/0/args/0/view: view dimension 0 [16, 17) exceeds the tensor's extent 16 (in iteration i=16)");
}

TEST_CASE("the first of two errors in expansion order is the one reported", "[validation][compiled]") {
  // Argument 0 names a tensor created only later; argument 1 has an unknown key: argument 0 first.
  const Json stmt = Json{{"submit", "k"},
                         {"args", Json::array({Json{{"input", "later"}}, Json{{"input", "x"}, {"colour", 1}}})}};
  const Json creates = Json{{"submit", "k"}, {"args", Json::array({Json{{"output", "later"}, {"shape", {4}}}})}};
  CHECK(outcome(Json::array({stmt, creates})) ==
        "/program/body/0/args/0/input: tensor 'later' is not created yet at this point of the program");
  // A view's shape that evaluates out of range comes before a dtype problem of a later output.
  const Json two = Json{{"submit", "k"},
                        {"args", Json::array({Json{{"input", "x"}, {"view", {{"shape", {"N - 4", 16}}}}},
                                              Json{{"output", "y"}, {"shape", {4}}, {"dtype", "f128"}}})}};
  CHECK(outcome(Json::array({two})) == "/program/body/0/args/0/view/shape/0: expected a value in [0, 1099511627776], got -1 "
                                       "from \"N - 4\"");
}

TEST_CASE("the step budget is spent where the interpreter spent it", "[validation][compiled]") {
  // Steps: 1 for the outer loop statement, then per outer iteration 1, 1 for the inner loop
  // statement and 1 per inner iteration: 1 + 5 x (2 + 799,997) = 3,999,996.
  const Json inner = Json{{"for", "j"}, {"to", 799'997}, {"body", Json::array()}};
  const Json burn = Json{{"for", "i"}, {"to", 5}, {"body", Json::array({inner})}};
  const Json noop = Json{{"if", 0}, {"then", Json::array()}};  // 1 step: a literal costs nothing
  CHECK(outcome(Json::array({burn, noop, noop, noop, noop})) == "accepted");  // 4,000,000 exactly
  // The next statement's own step exceeds the budget before its bad key is looked at.
  const std::string exceeded = outcome(Json::array({burn, noop, noop, noop, noop, Json{{"submit", "k"}, {"colour", 1}}}));
  CHECK(exceeded.rfind("/program/body/5: the program takes more than 4000000 expansion steps", 0) == 0);
  // An expression costs its size although the compiler folded it: "N*2" costs 3, "N*2+0" 5.
  CHECK(outcome(Json::array({burn, Json{{"if", "N*2"}, {"then", Json::array()}}})) == "accepted");
  CHECK(outcome(Json::array({burn, Json{{"if", "N*2+0"}, {"then", Json::array()}}}))
            .rfind("/program/body/1/if: the program takes more than 4000000 expansion steps", 0) == 0);
}

TEST_CASE("a view is recomputed when the tensor it applies to changes", "[validation][compiled]") {
  // The output `t` is rebound in every iteration with a wider row; the same view of it (same
  // values) must follow the tensor's strides, and fail when the tensor becomes too small.
  auto program = [](const char* rows) {
    return Json::array({Json{{"for", "i"},
                             {"to", "N"},
                             {"body", Json::array({Json{{"submit", "k"}, {"args", Json::array({Json{{"output", "t"}, {"shape", {rows, "16*(i+1)"}}}})}},
                                                   Json{{"submit", "k"},
                                                        {"args", Json::array({Json{{"input", "t"}, {"view", {{"shape", {2, 16}}}}}})}}})}}});
  };
  const auto scenario = load_scenario_text(scenario_with(program("4")).dump(), "c.json");
  const ptosim::runtime::Program& loaded = scenario.model.program;
  std::vector<std::int64_t> row_strides;
  for (const auto& op : loaded.ops) {
    const auto args = loaded.args(op);
    if (args.size() == 1 && args[0].kind == ptosim::runtime::ArgKind::input) row_strides.push_back(loaded.layout(args[0]).strides[0]);
  }
  CHECK(row_strides == std::vector<std::int64_t>{16, 32, 48});
  CHECK(outcome(program("3 - i")) ==
        "/program/body/0/body/1/args/0/view: view dimension 0 [0, 2) exceeds the tensor's extent 1 (in iteration i=2)");
}
