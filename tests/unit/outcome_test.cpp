#include "replay/report_json.h"
#include "simcore/outcome.h"

#include <catch2/catch.hpp>

using namespace ptosim;

TEST_CASE("outcome and finding names round-trip") {
  for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
    simcore::Outcome parsed{};
    REQUIRE(simcore::parse_outcome(simcore::to_string(static_cast<simcore::Outcome>(i)), parsed));
    CHECK(static_cast<int>(parsed) == i);
  }
  for (int i = 0; i < simcore::FINDING_KIND_COUNT; ++i) {
    simcore::FindingKind parsed{};
    REQUIRE(simcore::parse_finding_kind(simcore::to_string(static_cast<simcore::FindingKind>(i)), parsed));
    CHECK(static_cast<int>(parsed) == i);
  }
  simcore::Outcome unused{};
  CHECK_FALSE(simcore::parse_outcome("passed", unused));
}

TEST_CASE("a finding's details survive the JSON round trip of a sweep child") {
  simcore::Finding finding;
  finding.kind = simcore::FindingKind::race;
  finding.summary = "WAR race";
  simcore::Detail view = simcore::Detail::object();
  view.set("tensor", simcore::Detail::text("kv_cache")).set("offset", simcore::Detail::list().push(simcore::Detail::integer(8)));
  finding.details.set("hazard", simcore::Detail::text("WAR")).set("view", view).set("ordered", simcore::Detail::boolean(false));
  finding.details.set("hazard", simcore::Detail::text("WAR"));  // replaces, does not duplicate
  REQUIRE(finding.details.fields().size() == 3);

  replay::RunResult result;
  result.seed = 3;
  result.findings.push_back(finding);
  const replay::Json json = replay::result_to_json(result, false);
  CHECK(json["findings"][0]["kind"] == "race");
  CHECK(json["findings"][0]["view"]["offset"][0] == 8);
  const replay::RunResult back = replay::result_from_json(json);
  REQUIRE(back.findings.size() == 1);
  CHECK(back.findings[0] == finding);
}
