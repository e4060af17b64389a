// `--set PATH=VALUE`: scenario fields overridden by JSON pointer before validation.
#include "scenarios/scenario.h"

#include <catch2/catch.hpp>

using namespace ptosim;

namespace {

const char* TINY = R"({
  "format": 1, "name": "tiny", "description": "one kernel",
  "platform": {"clusters": 1, "scheduler_threads": 1},
  "kernels": {"k": {"core": "aiv", "duration_ns": [100, 200]}},
  "program": {"body": [{"submit": "k", "name": "a", "args": [{"output": "t", "shape": [4]}]}]},
  "expect": {"seeds": "0..9", "sometimes": ["pass"], "never": ["hang"]}
})";

}  // namespace

TEST_CASE("set overrides scenario fields by JSON pointer before validation", "[scenario]") {
  using scenarios::Override;
  const std::string text = scenarios::apply_overrides(
      TINY, "tiny.json",
      {Override{"/platform/clusters", "2"}, Override{"/name", "renamed"}, Override{"/kernels/k/duration_ns", "[5, 6]"}});
  const scenarios::Scenario scenario = scenarios::load_scenario_text(text, "tiny.json");
  CHECK(scenario.model.platform.clusters == 2);
  CHECK(scenario.name == "renamed");  // not JSON: taken as a string
  CHECK(scenario.model.kernels.at(0).max_duration_ns == 6);
  CHECK(scenarios::apply_overrides(TINY, "tiny.json", {}) == TINY);  // no override: the text as it is
  try {
    scenarios::apply_overrides(TINY, "tiny.json", {Override{"/platform/nothing/here", "1"}});
    FAIL("expected an error");
  } catch (const scenarios::ScenarioError& e) {
    CHECK(e.pointer() == "/platform/nothing");
    CHECK(e.file() == "tiny.json");
  }
  CHECK_THROWS_AS(scenarios::apply_overrides(TINY, "tiny.json", {Override{"/program/body/5", "1"}}), scenarios::ScenarioError);
  // A value that is valid JSON but not a valid field is caught by validation, with its pointer.
  try {
    scenarios::load_scenario_text(scenarios::apply_overrides(TINY, "tiny.json", {Override{"/platform/clusters", "0"}}),
                                  "tiny.json");
    FAIL("expected a validation error");
  } catch (const scenarios::ScenarioError& e) {
    CHECK(e.pointer() == "/platform/clusters");
  }
  Override parsed;
  CHECK(scenarios::parse_override("/a/b=3", parsed).empty());
  CHECK(parsed.pointer == "/a/b");
  CHECK(parsed.value == "3");
  CHECK_FALSE(scenarios::parse_override("a=3", parsed).empty());
  CHECK_FALSE(scenarios::parse_override("/a", parsed).empty());
}
