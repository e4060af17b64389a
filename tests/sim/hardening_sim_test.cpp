// Regression tests for issue 10 inside the engine: budgets end a run as sim_limit, whatever
// moment they run out at, never as an internal error.
#include "sim_harness.h"

#include <catch2/catch.hpp>

using namespace ptosim;
using namespace ptosim::testing;

TEST_CASE("an event budget that runs out at any point of a run is sim_limit", "[hardening][limits]") {
  // Every budget from 1 event to one more than the run needs: before the fix, a budget spent by
  // events scheduled ahead (a kernel's start, a dispatch) threw at the final flush, outside every
  // actor, and the tool reported an internal error.
  Json doc = Json::parse(R"({"format": 1, "name": "t", "description": "two chained kernels and a join",
    "platform": {"clusters": 1, "scheduler_threads": 1},
    "kernels": {"k": {"core": "aiv", "duration_ns": [100, 900]}, "c": {"core": "aic", "duration_ns": 500}},
    "program": {"body": [{"submit": "c", "name": "a"}, {"submit": "k", "name": "b", "deps": ["a"]},
                         {"submit": "k", "name": "b2", "deps": ["a"]}, {"dummy": "j", "deps": ["b", "b2"]}]}})");
  const Json full = run(load(doc.dump()), 3);
  REQUIRE(full["outcome"] == "pass");
  const std::size_t events = full["events"].size();
  std::size_t limited = 0;
  for (std::size_t budget = 1; budget <= events; ++budget) {
    doc["runtime"]["limits"]["max_events"] = budget;
    const Json result = run(load(doc.dump()), 3);
    INFO("max_events " << budget << ": " << result.dump().substr(0, 300));
    REQUIRE_FALSE(result.contains("error"));
    CHECK(result["outcome"] == (budget < events ? "sim_limit" : "pass"));
    limited += result["outcome"] == "sim_limit" ? 1 : 0;
  }
  CHECK(limited == events - 1);
}

TEST_CASE("detector deadlines built from large products saturate instead of wrapping", "[hardening][detectors]") {
  // The loader rejects such products now; the runtime's checked arithmetic is the second line.
  // Before it, 2^40 spins of 1e12 ns wrapped negative and the legacy detector fired at once,
  // reporting "1099511627776 spins" after a few hundred microseconds.
  scenarios::Scenario scenario = load_catalog("false_deadlock_deferred_publish.json");
  runtime::DetectorConfig& detectors = scenario.model.runtime.detectors;
  REQUIRE(detectors.kind == runtime::DetectorKind::legacy);
  detectors.orchestrator_spin_limit = 1ULL << 40;
  detectors.spin_ns = {1'000'000'000'000LL, 1'000'000'000'000LL};
  detectors.scheduler_idle_limit = 1ULL << 40;
  scenario.model.runtime.scheduler.idle_iteration_ns = {1'000'000'000'000LL, 1'000'000'000'000LL};
  for (std::uint64_t seed : {4, 8}) {
    const Json result = run(scenario, seed);
    INFO(result.dump().substr(0, 400));
    REQUIRE_FALSE(result.contains("error"));
    CHECK_FALSE(result.contains("code"));  // no detector fired
    CHECK(result["outcome"] == "pass");
  }
}
