#include "tools/fuzz/fuzz_targets.h"

#include "replay/failure_map.h"
#include "replay/plan_worker.h"
#include "replay/recording.h"
#include "replay/sweep_report.h"
#include "scenarios/json_guard.h"
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

std::vector<std::string> split_shards(const std::string& input) {
  std::vector<std::string> shards;
  const std::string separator = MERGE_SEPARATOR;
  std::size_t from = 0;
  while (true) {
    const std::size_t at = input.find(separator, from);
    shards.push_back(input.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) return shards;
    from = at + separator.size();
  }
}

// What `ptosim merge --json` does with its files (tools/cmd_sweep.cpp cmd_merge), minus stdout.
void merge_shards(const std::string& input) {
  const std::vector<std::string> texts = split_shards(input);
  std::vector<std::string> files;
  for (std::size_t i = 0; i < texts.size(); ++i) files.push_back("shard" + std::to_string(i + 1) + ".json");
  if (replay::is_worker_output(texts.front())) {
    (void)replay::merge_worker_outputs(texts, files);
    return;
  }
  std::vector<replay::Json> docs;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const scenarios::JsonBoundsProblem bounds = scenarios::check_json_bounds(texts[i]);
    if (!bounds.ok()) throw replay::InputError(files[i], bounds.pointer, bounds.problem);
    try {
      docs.push_back(replay::Json::parse(texts[i]));
    } catch (const replay::Json::parse_error& e) {
      throw replay::InputError(files[i], "", std::string("not valid JSON: ") + e.what());
    }
  }
  if (docs.front().is_object() && docs.front().contains("cells")) {
    std::vector<replay::MapDocument> maps;
    for (std::size_t i = 0; i < docs.size(); ++i) maps.push_back(replay::map_from_json(docs[i], files[i]));
    (void)replay::json_text(replay::map_to_json(replay::merge_maps(maps, files)), 2);
    return;
  }
  std::vector<replay::SweepDocument> shards;
  for (std::size_t i = 0; i < docs.size(); ++i) shards.push_back(replay::sweep_from_json(docs[i], files[i]));
  replay::SweepDocument merged = replay::merge_sweeps(shards, files);
  merged.meta.judged = true;
  const replay::ExpectationCheck check = replay::check_expectations(merged.meta.expect, merged.summary);
  (void)replay::json_text(replay::sweep_to_json(merged.summary, merged.meta, check), 2);
}

}  // namespace

TargetResult run_target(Target target, const std::string& input) {
  TargetResult result;
  try {
    if (target == Target::scenario) {
      scenarios::Scenario scenario = scenarios::load_scenario_text(input, "fuzz.json");
      render_check(scenario);
      result.scenario = std::move(scenario);
    } else if (target == Target::merge) {
      merge_shards(input);  // accepted with nothing to simulate

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
