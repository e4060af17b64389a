// What ptosim knows about a scenario without running it: the timing-free task graph, the races in
// it, and the data oracle's reference (the program executed sequentially). None of it depends on
// the seed, so it is computed once per scenario and shared by every run: a sweep computes it
// before forking its children.
#pragma once

#include "replay/race_detector.h"
#include "runtime/data_oracle.h"
#include "runtime/task_graph.h"
#include "scenarios/scenario.h"
#include "simcore/outcome.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace ptosim::replay {

struct ScenarioAnalysis {
  runtime::TaskGraph graph;  // kept for `ptosim check` only; a run needs just the races

  RaceReport races;  // its findings are reported on every run of the scenario
  std::vector<simcore::Finding> program_findings;  // micro-program hazards, on every run too
  std::unique_ptr<runtime::DataReference> reference;
};

// What the analysis is for: a run needs the races and the reference (the program executed
// sequentially for the data oracle); `ptosim check` needs the races and the task graph.
enum class AnalysisUse : std::uint8_t { run, check };
std::unique_ptr<ScenarioAnalysis> analyse_scenario(const scenarios::Scenario& scenario, AnalysisUse use = AnalysisUse::run);

}  // namespace ptosim::replay
