// `ptosim check` and `ptosim inspect`: a scenario without running it, and a snapshot file.
#include "replay/snapshot_render.h"
#include "simcore/plural.h"
#include "replay/sweep_report.h"
#include "tools/cli.h"

#include <iostream>

namespace ptosim::cli {

int cmd_check(const ScenarioArgs& args, bool json) {
  scenarios::Scenario scenario = args.load();
  const runtime::Program& program = scenario.model.program;
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
    out["warnings"] = scenario.warnings;
    std::cout << replay::json_text(out, 2) << "\n";
  } else {
    std::cout << scenario.path << ": valid scenario '" << scenario.name << "': " << simcore::count_noun(program.task_count, "task")
              << ", " << simcore::count_noun(program.ops.size(), "runtime call") << ", "
              << simcore::count_noun(scenario.model.kernels.size(), "kernel") << ", "
              << simcore::count_noun(program.externals.size(), "external tensor") << "\n";
    print_warnings(scenario);
  }
  return EXIT_PASS;
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
