// The seam of a sweep: a plan that reads back into itself (so it can cross machines), and the
// fold that counts runs and shard summaries alike.
#include "replay/sweep_fold.h"
#include "replay/sweep_plan.h"
#include "scenarios/scenario.h"

#include <catch2/catch.hpp>

using namespace ptosim;
using namespace ptosim::simcore;

namespace {

const char* TINY = R"({
  "format": 1, "name": "tiny", "description": "one kernel",
  "platform": {"clusters": 1, "scheduler_threads": 1},
  "kernels": {"k": {"core": "aiv", "duration_ns": [100, 200]}},
  "program": {"body": [{"submit": "k", "name": "a", "args": [{"output": "t", "shape": [4]}]}]},
  "expect": {"seeds": "0..9", "sometimes": ["pass"], "never": ["hang"],
             "findings": {"always": ["race"], "never": [{"kind": "flag_protocol"}]}}
})";

replay::RunResult run(std::uint64_t seed, Outcome outcome, bool race = false) {
  replay::RunResult result;
  result.seed = seed;
  result.outcome = outcome;
  if (race) result.findings.push_back(Finding{FindingKind::race, "a race", Detail::object()});
  return result;
}

}  // namespace

TEST_CASE("a plan reads back into the same plan, and a damaged one is refused with its field", "[sweep][plan]") {
  replay::SweepPlan plan;
  plan.program = "build/ptosim";
  plan.scenario_path = "tiny.json";
  plan.scenario_text = TINY;
  plan.overrides = {"/platform/clusters=1"};
  plan.strategy = {"pct", 3, 17};
  plan.pct_steps_given = true;
  plan.seeds.range = {5, 104};
  REQUIRE(replay::parse_shard("2/3", plan.seeds).empty());
  plan.vary = {"/platform/clusters"};
  plan.vary_specs = {"1,2"};
  plan.map_mode = "grid";
  plan.cells = {replay::PlanCell{{{"/platform/clusters", "1"}}}, replay::PlanCell{{{"/platform/clusters", "2"}}}};
  plan.record_dir = "failures";
  plan.stop_after = 4;
  const replay::Json json = replay::plan_to_json(plan);
  const replay::SweepPlan back = replay::plan_from_json(json, "plan.json");
  CHECK(replay::plan_to_json(back) == json);
  CHECK(replay::plan_hash(back) == replay::plan_hash(plan));
  CHECK(back.seeds.shard_text() == "2/3");
  CHECK(back.cells.at(1).point.at(0).value == "2");
  CHECK(back.vary_specs.at(0) == "1,2");
  CHECK(back.map_mode == "grid");

  replay::Json damaged = json;
  damaged["scenario"]["text"] = std::string(TINY) + " ";
  CHECK_THROWS_WITH(replay::plan_from_json(damaged, "plan.json"), Catch::Contains("/scenario/text"));
  damaged = json;
  damaged["cells"] = replay::Json::array();
  CHECK_THROWS_WITH(replay::plan_from_json(damaged, "plan.json"), Catch::Contains("/cells"));
  damaged = json;
  damaged["map_mode"] = "spiral";
  CHECK_THROWS_WITH(replay::plan_from_json(damaged, "plan.json"), Catch::Contains("/map_mode"));
  damaged = json;
  damaged.erase("stop_after");
  CHECK_THROWS_WITH(replay::plan_from_json(damaged, "plan.json"), Catch::Contains("/stop_after"));
  CHECK_THROWS_WITH(replay::plan_from_json(replay::Json{{"format", "ptosim-recording"}}, "r.json"),
                    Catch::Contains("not a ptosim plan"));
  // A changed plan hashes differently, so worker outputs of two plans are not merged.
  replay::SweepPlan other = plan;
  other.seeds.range.last = 105;
  CHECK(replay::plan_hash(other) != replay::plan_hash(plan));
}

TEST_CASE("the fold counts runs, and the same fold over shard summaries counts their union", "[sweep][plan]") {
  const scenarios::Scenario scenario = scenarios::load_scenario_text(TINY, "tiny.json");
  const std::vector<scenarios::FindingPattern> patterns = replay::expected_patterns(scenario.expect);
  REQUIRE(patterns.size() == 2);
  const std::vector<replay::RunResult> runs = {run(0, Outcome::pass, true), run(1, Outcome::wrong_values, true),
                                               run(2, Outcome::pass), run(3, Outcome::hang, true),
                                               run(4, Outcome::pass, true)};
  replay::SweepFold whole(patterns, 5);
  for (const replay::RunResult& result : runs) whole.add(result);
  CHECK(whole.runs() == 5);
  CHECK(whole.failing() == 4);  // a finding fails a seed that passed
  const replay::SweepSummary all = std::move(whole).finish();
  CHECK(all.outcome_counts[static_cast<std::size_t>(Outcome::pass)] == 3);
  CHECK(all.pattern_counts == std::vector<std::uint64_t>{4, 0});
  CHECK(all.first_failing_seed == 0u);
  REQUIRE(all.not_passing.size() == 4);
  CHECK(all.not_passing.front().seed == 0);
  CHECK(all.not_passing.back().seed == 4);

  // Two shards folded apart, then their summaries folded together.
  replay::SweepFold even(patterns, 3);
  replay::SweepFold odd(patterns, 2);
  for (const replay::RunResult& result : runs) (result.seed % 2 == 0 ? even : odd).add(result);
  replay::SweepFold merged(patterns, 0);
  merged.add(std::move(odd).finish());
  merged.add(std::move(even).finish());
  const replay::SweepSummary union_of = std::move(merged).finish();
  CHECK(union_of.total == 5);
  CHECK(union_of.runs == all.runs);
  CHECK(union_of.failing == all.failing);
  CHECK(union_of.outcome_counts == all.outcome_counts);
  CHECK(union_of.finding_counts == all.finding_counts);
  CHECK(union_of.pattern_counts == all.pattern_counts);
  CHECK(union_of.first_failing_seed == all.first_failing_seed);
  REQUIRE(union_of.not_passing.size() == all.not_passing.size());
  for (std::size_t i = 0; i < all.not_passing.size(); ++i) CHECK(union_of.not_passing[i].seed == all.not_passing[i].seed);
}

TEST_CASE("the fold keeps pass or fail per seed of a shard's selection", "[sweep][plan]") {
  replay::SeedSelection seeds;
  seeds.range = {10, 19};
  REQUIRE(replay::parse_shard("2/3", seeds).empty());  // 11, 14, 17
  replay::SweepFold fold({}, seeds.count());
  fold.keep_seed_status(seeds);
  fold.add(run(14, Outcome::hang));
  fold.add(run(11, Outcome::pass));
  const replay::SweepSummary summary = std::move(fold).finish();
  using State = replay::SeedStatus::State;
  REQUIRE(summary.seed_status.size() == 3);
  CHECK(summary.seed_status[0].state == State::passed);
  CHECK(summary.seed_status[1].state == State::failing);
  CHECK(summary.seed_status[1].outcome == Outcome::hang);
  CHECK(summary.seed_status[2].state == State::not_run);
}
