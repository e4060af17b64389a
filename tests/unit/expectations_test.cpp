// Expectations over a sweep: outcome sets, outcome rates in whole percent, and findings required
// on every seed or forbidden on all of them (by kind, hazard and task names).
#include "replay/run_session.h"
#include "scenarios/scenario.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace ptosim;
using Json = nlohmann::ordered_json;

namespace {

scenarios::Scenario with_expect(const Json& expect) {
  Json doc = Json::parse(R"({
    "format": 1, "name": "e", "description": "expectations",
    "platform": {"clusters": 1, "scheduler_threads": 1},
    "kernels": {"k": {"core": "aiv", "duration_ns": 100}},
    "program": {"body": [{"submit": "k"}]}
  })");
  doc["expect"] = expect;
  return scenarios::load_scenario_text(doc.dump(), "e.json");
}

simcore::Finding race(const std::string& hazard, const std::string& first, const std::string& second) {
  simcore::Finding finding;
  finding.kind = simcore::FindingKind::race;
  finding.details.set("hazard", simcore::Detail::text(hazard));
  finding.details.set("first", simcore::Detail::object().set("name", simcore::Detail::text(first)));
  finding.details.set("second", simcore::Detail::object().set("name", simcore::Detail::text(second)));
  return finding;
}

replay::SweepSummary summary_of(std::uint64_t runs, std::uint64_t wrong, std::vector<std::uint64_t> patterns) {
  replay::SweepSummary summary;
  summary.runs = runs;
  summary.outcome_counts[static_cast<std::size_t>(simcore::Outcome::pass)] = runs - wrong;
  summary.outcome_counts[static_cast<std::size_t>(simcore::Outcome::wrong_values)] = wrong;
  summary.pattern_counts = std::move(patterns);
  return summary;
}

}  // namespace

TEST_CASE("rates bound the share of seeds of an outcome, inclusively", "[expect]") {
  const scenarios::Scenario s = with_expect(
      Json{{"seeds", "0..199"}, {"rates", {{"wrong_values", {{"min_percent", 1}, {"max_percent", 20}}}}}});
  REQUIRE(s.expect->rates.size() == 1);
  CHECK(replay::check_expectations(s.expect, summary_of(200, 2, {})).holds);    // exactly 1%
  CHECK(replay::check_expectations(s.expect, summary_of(200, 40, {})).holds);   // exactly 20%
  CHECK_FALSE(replay::check_expectations(s.expect, summary_of(200, 1, {})).holds);
  const replay::ExpectationCheck too_many = replay::check_expectations(s.expect, summary_of(200, 41, {}));
  REQUIRE_FALSE(too_many.holds);
  CHECK_THAT(too_many.violations[0], Catch::Contains("41 of 200 seeds, expected between 1% and 20%"));
}

TEST_CASE("findings required on every seed and forbidden on all", "[expect]") {
  const scenarios::Scenario s = with_expect(Json{
      {"seeds", "0..9"},
      {"always", {"pass"}},
      {"findings",
       {{"always", {Json{{"kind", "race"}, {"hazard", "WAR"}, {"first", "gather"}, {"second", "writeback"}}}},
        {"never", {"flag_protocol"}}}}});
  REQUIRE(s.expect->findings_always.size() == 1);
  REQUIRE(s.expect->findings_never.size() == 1);
  CHECK(replay::check_expectations(s.expect, summary_of(10, 0, {10, 0})).holds);
  const replay::ExpectationCheck missing = replay::check_expectations(s.expect, summary_of(10, 0, {9, 0}));
  REQUIRE_FALSE(missing.holds);
  CHECK_THAT(missing.violations[0], Catch::Contains("race WAR (gather -> writeback) reported on 9 of 10 seeds"));
  CHECK_FALSE(replay::check_expectations(s.expect, summary_of(10, 0, {10, 1})).holds);
}

TEST_CASE("a finding matches a pattern by kind, hazard and task names", "[expect]") {
  scenarios::FindingPattern any_race;
  scenarios::FindingPattern war_pair{simcore::FindingKind::race, "WAR", "gather", "writeback"};
  const simcore::Finding war = race("WAR", "gather", "writeback");
  CHECK(replay::finding_matches(any_race, war));
  CHECK(replay::finding_matches(war_pair, war));
  CHECK_FALSE(replay::finding_matches(war_pair, race("RAW", "gather", "writeback")));
  CHECK_FALSE(replay::finding_matches(war_pair, race("WAR", "writeback", "gather")));
  scenarios::FindingPattern flags{simcore::FindingKind::flag_protocol, "", "", ""};
  CHECK_FALSE(replay::finding_matches(flags, war));
}

TEST_CASE("malformed expectations are rejected where they are wrong", "[expect]") {
  auto rejects = [](const Json& expect, const std::string& pointer) {
    try {
      with_expect(expect);
      FAIL("accepted " << expect.dump());
    } catch (const scenarios::ScenarioError& e) {
      CHECK(e.pointer() == pointer);
    }
  };
  rejects(Json{{"seeds", "0..9"}, {"rates", {{"wrong", {{"min_percent", 1}}}}}}, "/expect/rates/wrong");
  rejects(Json{{"seeds", "0..9"}, {"rates", {{"pass", {{"min_percent", 30}, {"max_percent", 20}}}}}},
          "/expect/rates/pass/max_percent");
  rejects(Json{{"seeds", "0..9"}, {"rates", {{"pass", {{"min_percent", 101}}}}}}, "/expect/rates/pass/min_percent");
  rejects(Json{{"seeds", "0..9"}, {"findings", {{"always", {"races"}}}}}, "/expect/findings/always/0");
  rejects(Json{{"seeds", "0..9"}, {"findings", {{"always", {Json{{"kind", "race"}, {"hazard", "RAR"}}}}}}},
          "/expect/findings/always/0/hazard");
  rejects(Json{{"seeds", "0..9"}}, "/expect");
}
