// `ptosim check` and `ptosim inspect`: a scenario without running it (its task graph, exactly as
// the runtime would build it, the races in it and the findings of its kernel micro-programs), and
// a snapshot file.
#include "replay/graph_report.h"
#include "replay/scenario_analysis.h"
#include "replay/snapshot_render.h"
#include "simcore/plural.h"
#include "replay/sweep_report.h"
#include "tools/cli.h"

#include <iostream>

namespace ptosim::cli {

namespace {

std::string path_names(const runtime::Program& program, const std::vector<std::uint32_t>& path) {
  std::string text;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i == 3 && path.size() > 6) {
      text += " -> ... (" + std::to_string(path.size() - 6) + " more)";
      i = path.size() - 3;
    }
    text += (text.empty() ? "" : " -> ") + program.task_name(path[i]);
  }
  return text;
}

void print_program_findings(const std::vector<simcore::Finding>& findings) {
  if (findings.empty()) {
    std::cout << "kernel programs: no finding\n";
    return;
  }
  std::cout << "kernel programs: " << simcore::count_noun(findings.size(), "finding") << "\n";
  for (const simcore::Finding& finding : findings) {
    std::cout << "  - " << simcore::to_string(finding.kind) << ": " << finding.summary << "\n";
    if (const simcore::Detail* fix = finding.details.find("fix")) std::cout << "      fix: " << fix->as_text() << "\n";
  }
}

}  // namespace

int cmd_check(const ScenarioArgs& args, bool json, bool dot) {
  scenarios::Scenario scenario = args.load();
  const runtime::Program& program = scenario.model.program;
  const std::unique_ptr<replay::ScenarioAnalysis> analysis = replay::analyse_scenario(scenario, replay::AnalysisUse::check);
  const replay::RaceReport& races = analysis->races;
  const replay::GraphStats stats = replay::graph_stats(program, scenario.model.kernels, scenario.model.kernel_costs, analysis->graph);
  // The program-level findings (visibility_hazard, flag_protocol) are decided from the programs'
  // semantics, not from a run, so check reports them exactly as every run does.
  const std::vector<simcore::Finding>& program_findings = analysis->program_findings;
  const int code = races.findings.empty() && program_findings.empty() ? EXIT_PASS : EXIT_FINDINGS;
  const std::string& rejection = analysis->graph.rejection;
  const std::string rejected_at = analysis->graph.rejection_origin < program.origins.size()
                                      ? program.origins[analysis->graph.rejection_origin]
                                      : std::string();
  if (dot) {
    print_warnings(scenario);
    std::cout << replay::render_graph_dot(program, analysis->graph, races);
    return code;
  }
  if (json) {
    replay::Json out;
    out["scenario"] = scenario.name;
    out["valid"] = true;
    out["tasks"] = program.task_count;
    out["runtime_calls"] = program.ops.size();
    out["kernels"] = scenario.model.kernels.size();
    out["external_tensors"] = program.externals.size();
    out["scenario_hash"] = replay::hex64(scenario.text_hash);
    out["tool_version"] = replay::TOOL_VERSION;
    out["expect_seeds"] = scenario.expect ? replay::Json(std::to_string(scenario.expect->seeds.first) + ".." +
                                                         std::to_string(scenario.expect->seeds.last))
                                          : replay::Json(nullptr);
    out["expect"] = scenario.expect ? replay::expectations_to_json(*scenario.expect) : replay::Json(nullptr);
    out["expects_failures"] = scenario.expect && replay::expects_failures(*scenario.expect);
    out["fixed_twin"] = scenario.expect && replay::is_fixed_twin(*scenario.expect);
    out["uncertain"] = replay::uncertain_to_json(scenario.uncertain);
    out["warnings"] = scenario.warnings;
    out["loader_work"] = {{"expansion_steps", scenario.work.expansion_steps},
                          {"max_expansion_steps", scenarios::MAX_EXPANSION_STEPS},
                          {"argument_runs", scenario.work.argument_runs},
                          {"max_argument_runs", scenarios::MAX_TOTAL_ARG_RUNS}};
    replay::Json critical;
    critical["tasks"] = stats.critical_path.size();
    critical["length_ns"] = stats.critical_path_ns;
    replay::Json names = replay::Json::array();
    for (std::uint32_t task : stats.critical_path) names.push_back(program.task_name(task));
    critical["path"] = names;
    out["graph"] = {{"tasks", stats.tasks},
                    {"edges", stats.edges},
                    {"edges_by_source",
                     {{"explicit", stats.explicit_edges}, {"creator", stats.creator_edges}, {"tensormap", stats.tensormap_edges}}},
                    {"depth", stats.depth},
                    {"max_width", stats.max_width},
                    {"critical_path", critical}};
    // The runtime would reject the program here (INVALID_ARGS); the graph stops there. An
    // explicit dependency on a task not submitted before it can never be satisfied.
    out["rejected"] = rejection.empty() ? replay::Json(nullptr) : replay::Json{{"reason", rejection}, {"at", rejected_at}};
    replay::Json unsatisfiable = replay::Json::array();
    if (rejection.rfind("explicit dependency", 0) == 0) unsatisfiable.push_back({{"reason", rejection}, {"at", rejected_at}});
    out["unsatisfiable_deps"] = unsatisfiable;
    out["races"] = races.races;
    replay::Json findings = replay::Json::array();
    for (const simcore::Finding& finding : races.findings) findings.push_back(replay::finding_to_json(finding));
    for (const simcore::Finding& finding : program_findings) findings.push_back(replay::finding_to_json(finding));
    out["findings"] = findings;
    std::cout << replay::json_text(out, 2) << "\n";
    return code;
  }
  std::cout << scenario.path << ": valid scenario '" << scenario.name << "': " << simcore::count_noun(program.task_count, "task")
            << ", " << simcore::count_noun(program.ops.size(), "runtime call") << ", "
            << simcore::count_noun(scenario.model.kernels.size(), "kernel") << ", "
            << simcore::count_noun(program.externals.size(), "external tensor") << "\n";
  print_warnings(scenario);
  for (const scenarios::UncertainParam& param : scenario.uncertain) {
    std::cout << "uncertain " << param.pointer << ": nominal " << param.nominal << ", ";
    if (param.kind == scenarios::UncertainKind::list) {
      std::string values;
      for (const std::string& value : param.values) values += (values.empty() ? "" : ", ") + value;
      std::cout << "one of " << values;
    } else {
      std::cout << (param.kind == scenarios::UncertainKind::log_range ? "log range " : "range ") << param.lo << ".."
                << param.hi;
    }
    std::cout << (param.description.empty() ? "" : " (" + param.description + ")") << "\n";
  }
  std::cout << "task graph: " << stats.tasks << " tasks, " << stats.edges << " edges (" << stats.explicit_edges
            << " explicit, " << stats.creator_edges << " creator, " << stats.tensormap_edges << " tensormap), depth "
            << stats.depth << ", max width " << stats.max_width << "\n";
  std::cout << "critical path: " << stats.critical_path.size() << " tasks, " << stats.critical_path_ns
            << " ns of mean kernel time: " << path_names(program, stats.critical_path) << "\n";
  if (!rejection.empty()) std::cout << "the runtime rejects the program at " << rejected_at << ": " << rejection << "\n";
  print_program_findings(program_findings);
  if (races.races == 0) {
    std::cout << "races: none\n";
    return code;
  }
  std::cout << "races: " << races.races << (races.races > races.findings.size() ? " (first " + std::to_string(races.findings.size()) + " listed)" : "")
            << "\n";
  for (const simcore::Finding& finding : races.findings) {
    std::cout << "  - " << finding.summary << "\n";
    if (const simcore::Detail* remedies = finding.details.find("remedies")) {
      for (const simcore::Detail& remedy : remedies->items()) std::cout << "      remedy: " << remedy.as_text() << "\n";
    }
  }
  return code;
}

int cmd_inspect(const std::string& path, bool dot, bool json, bool all_tasks) {
  runtime::StateSnapshot snapshot = replay::read_snapshot_file(path);
  if (json) {
    std::cout << replay::json_text(replay::snapshot_to_json(snapshot), 2) << "\n";
  } else if (dot) {
    std::cout << replay::render_snapshot_dot(snapshot);
  } else {
    std::cout << replay::render_snapshot_text(snapshot, all_tasks);
  }
  return EXIT_PASS;
}

}  // namespace ptosim::cli
