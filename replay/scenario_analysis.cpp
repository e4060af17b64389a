#include "replay/scenario_analysis.h"

#include "replay/dropped_dependencies.h"
#include "replay/program_findings.h"

namespace ptosim::replay {

std::unique_ptr<ScenarioAnalysis> analyse_scenario(const scenarios::Scenario& scenario, AnalysisUse use) {
  auto analysis = std::make_unique<ScenarioAnalysis>();
  const runtime::ModelInput& model = scenario.model;
  runtime::TaskGraph graph = runtime::build_task_graph(model.program, model.runtime.manual_tracking,
                                                       runtime::DependencyRules{model.runtime.tensormap_lookup_cap});
  analysis->races = find_races(model.program, graph);
  analysis->program_findings = find_program_hazards(model);
  append_dropped_dependencies(model.program, graph, analysis->program_findings);
  if (use == AnalysisUse::check) {
    analysis->graph = std::move(graph);
    return analysis;
  }
  // The graph goes before the reference is built: a run holds neither it nor the race
  // detector's state.
  graph = runtime::TaskGraph();
  analysis->reference = std::make_unique<runtime::DataReference>(model.program, model.kernels);
  return analysis;
}

}  // namespace ptosim::replay
