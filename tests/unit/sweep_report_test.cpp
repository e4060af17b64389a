// Sweep pieces that need no engine: seed shards, the Wilson interval, the sweep JSON round trip
// that merge uses, and JUnit escaping.
#include "replay/sweep_report.h"
#include "scenarios/scenario.h"

#include <catch2/catch.hpp>

#include <functional>

#include <map>

using namespace ptosim;
using namespace ptosim::simcore;

namespace {

const char* TINY = R"({
  "format": 1, "name": "tiny", "description": "one kernel",
  "platform": {"clusters": 1, "scheduler_threads": 1},
  "kernels": {"k": {"core": "aiv", "duration_ns": [100, 200]}},
  "program": {"body": [{"submit": "k", "name": "a", "args": [{"output": "t", "shape": [4]}]}]},
  "expect": {"seeds": "0..9", "sometimes": ["pass"], "never": ["hang"]}
})";

}  // namespace

TEST_CASE("shards are disjoint and their union is the range", "[sweep]") {
  for (std::uint32_t shards : {1u, 2u, 3u, 7u}) {
    std::map<std::uint64_t, int> seen;
    std::uint64_t total = 0;
    for (std::uint32_t index = 1; index <= shards; ++index) {
      replay::SeedSelection selection;
      selection.range = {10, 109};
      REQUIRE(replay::parse_shard(std::to_string(index) + "/" + std::to_string(shards), selection).empty());
      total += selection.count();
      for (std::uint64_t n = 0; n < selection.count(); ++n) ++seen[selection.at(n)];
    }
    CHECK(total == 100);
    CHECK(seen.size() == 100);
    CHECK(seen.begin()->first == 10);
    CHECK(seen.rbegin()->first == 109);
    for (const auto& [seed, times] : seen) CHECK(times == 1);
  }
  replay::SeedSelection bad;
  CHECK_FALSE(replay::parse_shard("0/2", bad).empty());
  CHECK_FALSE(replay::parse_shard("3/2", bad).empty());
  CHECK_FALSE(replay::parse_shard("1-2", bad).empty());
  replay::SeedSelection sparse;
  sparse.range = {0, 1};
  REQUIRE(replay::parse_shard("3/3", sparse).empty());
  CHECK(sparse.count() == 0);  // more shards than seeds: an empty shard
}

TEST_CASE("the failure rate carries a 95% Wilson interval", "[sweep]") {
  const replay::FailureRate none = replay::failure_rate(0, 100);
  CHECK(none.value == 0);
  CHECK(none.low == 0);
  CHECK(none.high == Approx(0.0370).epsilon(0.01));  // the "rule of three" neighbourhood
  const replay::FailureRate half = replay::failure_rate(50, 100);
  CHECK(half.value == 0.5);
  CHECK(half.low == Approx(0.4038).epsilon(0.001));
  CHECK(half.high == Approx(0.5962).epsilon(0.001));
  const replay::FailureRate all = replay::failure_rate(20, 20);
  CHECK(all.high == 1);
  CHECK(all.low == Approx(0.8389).epsilon(0.001));
}

TEST_CASE("a sweep's JSON reads back into the same JSON, and merge refuses shards that do not fit", "[sweep]") {
  const scenarios::Scenario scenario = scenarios::load_scenario_text(TINY, "tiny.json");
  replay::SweepSummary summary;
  summary.total = 5;
  summary.runs = 5;
  summary.outcome_counts[static_cast<std::size_t>(Outcome::pass)] = 3;
  summary.outcome_counts[static_cast<std::size_t>(Outcome::deadlock_false)] = 1;
  summary.failed_runs = 1;
  summary.failing = 2;
  summary.outcome_failing = 2;
  summary.first_failing_seed = 2;
  replay::RunResult bad;
  bad.seed = 2;
  bad.outcome = Outcome::deadlock_false;
  bad.summary = "it fired";
  bad.digest = 0xabc;
  runtime::RuntimeReport report;
  report.code = runtime::ErrorCode::flow_control_deadlock;
  bad.report = report;
  bad.findings.push_back(Finding{FindingKind::race, "a race", Detail::object()});
  replay::RunResult crashed;
  crashed.seed = 4;
  crashed.failure = "died with signal 9";
  summary.not_passing = {bad, crashed};
  replay::SeedSelection seeds;
  seeds.range = {0, 9};
  REQUIRE(replay::parse_shard("1/2", seeds).empty());
  replay::SweepMeta meta = replay::sweep_meta_for(scenario, seeds, {"pct", 2, 40});
  meta.wall_seconds = 0.5;
  const replay::ExpectationCheck check = replay::check_expectations(scenario.expect, summary);
  const replay::Json json = replay::sweep_to_json(summary, meta, check);
  CHECK(json["failure_rate"]["value"] == 0.4);
  CHECK(json["failing_seeds"][0]["repro"] == "ptosim run tiny.json --seed 2 --strategy pct --depth 2");
  const replay::SweepDocument back = replay::sweep_from_json(json, "shard1.json");
  CHECK(replay::sweep_to_json(back.summary, back.meta, check) == json);

  // Shard 2 of another scenario, a shard given twice, a missing shard.
  replay::SweepDocument other = back;
  other.meta.seeds.shard_index = 2;
  other.meta.scenario_hash ^= 1;
  CHECK_THROWS_WITH(replay::merge_sweeps({back, other}, {"a.json", "b.json"}), Catch::Contains("another scenario"));
  CHECK_THROWS_WITH(replay::merge_sweeps({back, back}, {"a.json", "b.json"}), Catch::Contains("given twice"));
  CHECK_THROWS_WITH(replay::merge_sweeps({back}, {"a.json"}), Catch::Contains("shard 2/2 is missing"));
  other.meta.scenario_hash ^= 1;
  const replay::SweepDocument merged = replay::merge_sweeps({back, other}, {"a.json", "b.json"});
  CHECK(merged.summary.runs == 10);
  CHECK(merged.summary.failing == 4);
  CHECK(merged.summary.not_passing.size() == 4);
  CHECK_FALSE(merged.meta.seeds.sharded());
  CHECK_THROWS_AS(replay::sweep_from_json(replay::Json{{"scenario", "x"}}, "x.json"), replay::InputError);
  // Counts that contradict themselves are invalid input naming the file and the field: runs that
  // are not the sum of the outcomes, a count that would wrap, more runs than seeds, a listed seed
  // outside the shard, expectations cut short.
  auto refused = [&](const std::function<void(replay::Json&)>& edit, const std::string& field) {
    replay::Json edited = json;
    edit(edited);
    CHECK_THROWS_WITH(replay::sweep_from_json(edited, "s.json"), Catch::Contains("s.json") && Catch::Contains(field));
  };
  refused([](replay::Json& j) { j["failed_runs"] = 0; }, "/runs");
  refused([](replay::Json& j) { j["outcomes"]["pass"] = 18446744073709551615ull; }, "/outcomes/pass");
  refused([](replay::Json& j) { j["total"] = 3; }, "/runs");
  refused([](replay::Json& j) { j["total"] = 6; }, "/total");
  refused([](replay::Json& j) { j["failing_seeds"][0]["seed"] = 3; }, "/failing_seeds");
  refused([](replay::Json& j) { j["expect"].erase("rates"); }, "/expect");
  refused([](replay::Json& j) { j["findings"]["race"] = 3; }, "/findings/race");
  // Shards that carry other expectations are not shards of one sweep.
  replay::SweepDocument twin = back;
  twin.meta.seeds.shard_index = 2;
  twin.meta.expect->never.clear();
  CHECK_THROWS_WITH(replay::merge_sweeps({back, twin}, {"a.json", "b.json"}), Catch::Contains("b.json") && Catch::Contains("/expect"));
}

TEST_CASE("JUnit output escapes markup and bytes that are not UTF-8", "[sweep]") {
  const scenarios::Scenario scenario = scenarios::load_scenario_text(TINY, "tiny.json");
  replay::SweepSummary summary;
  summary.total = 2;
  summary.runs = 2;
  summary.failing = 1;
  summary.seed_status.resize(2);
  summary.seed_status[0].state = replay::SeedStatus::State::passed;
  summary.seed_status[1].state = replay::SeedStatus::State::failing;
  summary.seed_status[1].outcome = Outcome::hang;
  summary.seed_status[1].wall_us = 1500;
  replay::RunResult bad;
  bad.seed = 1;
  bad.outcome = Outcome::hang;
  bad.summary = std::string("a <b> & \"c\" \x01 \xff end");
  summary.not_passing = {bad};
  replay::SeedSelection seeds;
  seeds.range = {0, 1};
  replay::SweepMeta meta = replay::sweep_meta_for(scenario, seeds, {});
  meta.judged = false;  // no test case of the expectations over all seeds
  const std::string xml = replay::sweep_to_junit(summary, meta, {});
  CHECK_THAT(xml, Catch::Contains("a &lt;b&gt; &amp; &quot;c&quot; ? ? end"));
  CHECK_THAT(xml, Catch::Contains("<testcase classname=\"ptosim.tiny\" name=\"seed 0\""));
  CHECK_THAT(xml, Catch::Contains("name=\"seed 1\" time=\"0.001500\""));
  CHECK_THAT(xml, Catch::Contains("tests=\"2\" failures=\"1\" errors=\"0\""));
}

TEST_CASE("bug scenarios are those whose expectations demand a failure", "[sweep]") {
  scenarios::Expectations expect;
  CHECK_FALSE(replay::expects_failures(expect));
  expect.always = {Outcome::pass};
  CHECK_FALSE(replay::expects_failures(expect));
  expect.sometimes = {Outcome::pass};
  CHECK_FALSE(replay::expects_failures(expect));
  expect.sometimes = {Outcome::deadlock_false};
  CHECK(replay::expects_failures(expect));
  expect.sometimes.clear();
  expect.always = {Outcome::deadlock_true};
  CHECK(replay::expects_failures(expect));
  expect.always = {Outcome::deadlock_true, Outcome::pass};
  CHECK_FALSE(replay::expects_failures(expect));
  // A minimum rate of a failing outcome demands failures; a maximum alone does not.
  expect.always = {Outcome::pass, Outcome::wrong_values};
  expect.rates = {scenarios::OutcomeRate{Outcome::wrong_values, 0, 20}};
  CHECK_FALSE(replay::expects_failures(expect));
  expect.rates = {scenarios::OutcomeRate{Outcome::wrong_values, 1, 20}};
  CHECK(replay::expects_failures(expect));
  // So does a finding required on every seed.
  expect.rates.clear();
  expect.findings_always = {scenarios::FindingPattern{}};
  CHECK(replay::expects_failures(expect));
}

TEST_CASE("a sweep's JSON keeps every expectation, so merge judges rates and findings as the sweep does", "[sweep]") {
  const char* text = R"({
    "format": 1, "name": "war", "description": "a reader and a writer of one tensor",
    "platform": {"clusters": 1, "scheduler_threads": 1},
    "tensors": {"x": {"shape": [4]}},
    "kernels": {"k": {"core": "aiv", "duration_ns": [100, 200]}},
    "program": {"body": [{"submit": "k", "name": "r", "args": [{"input": "x"}]},
                         {"submit": "k", "name": "w", "args": [{"output_existing": "x"}]}]},
    "expect": {"seeds": "0..3", "always": ["pass", "wrong_values"],
               "rates": {"wrong_values": {"min_percent": 10, "max_percent": 60}},
               "findings": {"always": [{"kind": "race", "hazard": "WAR", "first": "r", "second": "w"}],
                            "never": ["flag_protocol"]},
               "correct_tensors": ["x"]}
  })";
  const scenarios::Scenario scenario = scenarios::load_scenario_text(text, "war.json");
  replay::SweepSummary summary;
  summary.total = summary.runs = 4;
  summary.outcome_counts[static_cast<std::size_t>(Outcome::pass)] = 3;
  summary.outcome_counts[static_cast<std::size_t>(Outcome::wrong_values)] = 1;
  summary.pattern_counts = {4, 0};
  summary.failing = 4;
  summary.outcome_failing = 1;
  summary.first_failing_seed = 0;
  summary.not_passing_unlisted = 4;  // counts only: no seed's details
  replay::SeedSelection seeds;
  seeds.range = {0, 3};
  const replay::SweepMeta meta = replay::sweep_meta_for(scenario, seeds, {});
  const replay::Json json = replay::sweep_to_json(summary, meta, replay::check_expectations(scenario.expect, summary));
  const replay::SweepDocument back = replay::sweep_from_json(json, "war-sweep.json");
  REQUIRE(back.meta.expect);
  CHECK(back.meta.expect->rates.size() == 1);
  CHECK(back.meta.expect->findings_always.at(0).second == "w");
  CHECK(back.meta.expect->findings_never.at(0).kind == FindingKind::flag_protocol);
  CHECK(back.meta.expect->correct_tensors == std::vector<std::string>{"x"});
  CHECK(replay::check_expectations(back.meta.expect, back.summary).holds);
  // The rate bound is judged after the round trip: 1 of 4 is 25%, so a 30% minimum fails.
  replay::SweepDocument strict = back;
  strict.meta.expect->rates.at(0).min_percent = 30;
  const replay::ExpectationCheck check = replay::check_expectations(strict.meta.expect, strict.summary);
  CHECK_FALSE(check.holds);
  // Counts of another scenario's patterns are a violation, not an out-of-range read.
  replay::SweepDocument mismatched = back;
  mismatched.summary.pattern_counts = {4};
  CHECK_FALSE(replay::check_expectations(mismatched.meta.expect, mismatched.summary).holds);
}
