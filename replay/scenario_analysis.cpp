#include "replay/scenario_analysis.h"

#include "replay/program_findings.h"

namespace ptosim::replay {

std::unique_ptr<ScenarioAnalysis> analyse_scenario(const scenarios::Scenario& scenario, bool with_reference) {
  auto analysis = std::make_unique<ScenarioAnalysis>();
  const runtime::ModelInput& model = scenario.model;
  analysis->graph = runtime::build_task_graph(model.program);
  analysis->races = find_races(model.program, analysis->graph);
  analysis->program_findings = find_program_hazards(model);
  if (with_reference) analysis->reference = std::make_unique<runtime::DataReference>(model.program, model.kernels);
  return analysis;
}

}  // namespace ptosim::replay
