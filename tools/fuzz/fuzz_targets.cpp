#include "tools/fuzz/fuzz_targets.h"

#include "replay/recording.h"
#include "replay/report_json.h"
#include "replay/run_session.h"

#include <algorithm>

namespace ptosim::fuzz {

namespace {

// What `check --json` or `replay --json` prints for an input error: serializing it must work
// whatever bytes the message quotes.
void render_error(const std::string& message) {
  replay::Json out;
  out["error"] = {{"kind", "invalid_input"}, {"message", message}, {"exit_code", 3}};
  (void)replay::json_text(out, 2);
}

void render_check(const scenarios::Scenario& scenario) {
  replay::Json out;
  out["scenario"] = scenario.name;
  out["tasks"] = scenario.model.program.task_count;
  out["runtime_calls"] = scenario.model.program.ops.size();
  out["warnings"] = scenario.warnings;
  (void)replay::json_text(out, 2);
}

// A scenario with every section a --set may reach: platform, runtime, tensors, kernels, params,
// program, faults, expect.
constexpr const char* BASE_SCENARIO = R"({
  "format": 1, "name": "fuzz_base", "description": "base of the --set fuzz target",
  "platform": {"clusters": 2, "scheduler_threads": 1},
  "runtime": {"limits": {"max_events": 100000}},
  "tensors": {"x": {"shape": ["N", 64], "dtype": "f32"}, "out": {"shape": ["N", 64], "dtype": "f32"}},
  "kernels": {"fill": {"core": "aiv", "duration_ns": [500, 3000]}, "use": {"core": "aic", "duration_ns": 1000}},
  "program": {"params": {"N": 4}, "body": [
    {"scope": "auto", "body": [
      {"for": "i", "to": "N", "body": [
        {"submit": "fill", "name": "fill{i}", "args": [{"input": "x", "view": {"shape": [1, 64], "offset": ["i", 0]}},
                                                       {"output_existing": "out", "view": {"shape": [1, 64], "offset": ["i", 0]}}]},
        {"submit": "use", "name": "use{i}", "args": [{"inout": "out", "view": {"shape": [1, 64], "offset": ["i", 0]}}]}
      ]}
    ]}
  ]},
  "faults": [],
  "expect": {"seeds": "0..9", "always": ["pass"]}
})";

scenarios::Scenario load_with_set(const std::string& input) {
  scenarios::Override item;
  const std::string problem = scenarios::parse_override(input, item);
  // The CLI reports a malformed --set as a usage error (exit 2): a clean rejection here.
  if (!problem.empty()) throw scenarios::ScenarioError("--set", "", problem);
  return scenarios::load_scenario_text(scenarios::apply_overrides(BASE_SCENARIO, "fuzz_base.json", {item}), "fuzz_base.json");
}

}  // namespace

TargetResult run_target(Target target, const std::string& input) {
  TargetResult result;
  try {
    if (target == Target::scenario) {
      scenarios::Scenario scenario = scenarios::load_scenario_text(input, "fuzz.json");
      render_check(scenario);
      result.scenario = std::move(scenario);
    } else if (target == Target::set_value) {
      scenarios::Scenario scenario = load_with_set(input);
      render_check(scenario);
      result.scenario = std::move(scenario);
    } else {
      replay::Recording rec = replay::parse_recording(input, "fuzz.recording.json");
      scenarios::Scenario scenario = scenarios::load_scenario_text(rec.scenario_text, "fuzz.recording.json#/scenario/text");
      render_check(scenario);
      result.scenario = std::move(scenario);
      result.seed = rec.seed;
      result.decisions = std::move(rec.decisions);
    }
    result.verdict = Verdict::accepted;
  } catch (const scenarios::ScenarioError& e) {
    render_error(e.what());
    result.verdict = Verdict::rejected;
  } catch (const replay::InputError& e) {
    render_error(e.what());
    result.verdict = Verdict::rejected;
  } catch (const std::exception& e) {
    result.verdict = Verdict::internal_error;
    result.message = e.what();
  }
  return result;
}

std::string simulate_accepted(const TargetResult& accepted) {
  scenarios::Scenario scenario = *accepted.scenario;
  // Short budgets: the fuzzer looks for crashes and internal errors, not long runs.
  runtime::RunLimits& limits = scenario.model.limits;
  limits.max_events = std::min<std::uint64_t>(limits.max_events, 200'000);
  limits.max_sim_time_ns = std::min<TimeNs>(limits.max_sim_time_ns, 200 * NS_PER_MS);
  try {
    const replay::RunResult result = replay::run_scenario(scenario, accepted.seed.value_or(0), accepted.decisions);
    (void)replay::json_text(replay::result_to_json(result, true), 2);
  } catch (const simcore::DecisionDivergence&) {
    // A recording whose log does not fit the run: the CLI's exit 4, a clean rejection.
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace ptosim::fuzz
