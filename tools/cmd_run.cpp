// `ptosim run` and `ptosim replay`: one run in this process, its artefacts and its printed result.
#include "replay/chrome_trace.h"
#include "replay/recording.h"
#include "simcore/plural.h"
#include "tools/cli.h"

#include <iostream>

namespace ptosim::cli {

int cmd_run(const RunArgs& args) {
  Outputs outputs({&args.record, &args.trace, &args.snapshot});
  std::ostream& out = outputs.result_stream();
  scenarios::Scenario scenario = scenarios::load_scenario_file(args.scenario);
  print_warnings(scenario);
  if (!args.json) {
    out << "seed " << args.seed << std::endl;
    out << "scenario " << scenario.name << " (" << scenario.path << ")" << std::endl;
  }
  replay::RunArtifacts artifacts;
  replay::RunResult result = replay::run_scenario(scenario, args.seed, std::nullopt, &artifacts);
  if (!args.record.empty()) {
    replay::Recording rec;
    rec.tool_version = replay::TOOL_VERSION;
    rec.scenario_path = scenario.path;
    rec.scenario_text = scenario.text;
    rec.scenario_hash = scenario.text_hash;
    rec.seed = args.seed;
    rec.strategy = result.strategy;
    rec.outcome = result.outcome;
    rec.digest = result.digest;
    rec.sim_time_ns = result.sim_time_ns;
    rec.events = result.events;
    rec.decisions = artifacts.decisions;
    outputs.write("recording", args.record, replay::recording_to_text(rec));
  }
  if (!args.trace.empty()) outputs.write("trace", args.trace, replay::chrome_trace_json(artifacts, scenario.model));
  if (!args.snapshot.empty()) {
    if (result.snapshot) {
      outputs.write("snapshot", args.snapshot, replay::json_text(replay::snapshot_to_json(*result.snapshot), 1) + "\n");
    } else {
      std::cerr << "note: no detector fired, so there is no snapshot to write to " << args.snapshot << "\n";
    }
  }
  if (args.json) {
    replay::Json json = replay::result_to_json(result, false);
    json["scenario"] = scenario.name;
    outputs.add_to(json);
    out << replay::json_text(json, 2) << "\n";
  } else {
    print_result(out, result);
  }
  outputs.print(args.json);
  return outputs.exit_code(exit_code_for(result.outcome));
}

int cmd_replay(const std::string& path, bool json, const std::string& trace, bool lenient) {
  Outputs outputs({&trace});
  std::ostream& out = outputs.result_stream();
  replay::Recording rec = replay::read_recording(path);
  scenarios::Scenario scenario = scenarios::load_scenario_text(rec.scenario_text, path + "#/scenario/text");
  scenario.path = rec.scenario_path;
  if (!json) {
    out << "seed " << rec.seed << std::endl;
    out << "replaying " << path << ": scenario " << scenario.name << " (" << rec.scenario_path << "), "
              << simcore::count_noun(rec.decisions.entries.size(), "decision") << ", recorded by ptosim " << rec.tool_version << std::endl;
  }
  replay::RunArtifacts artifacts;
  replay::RunResult result = replay::run_scenario(scenario, rec.seed, rec.decisions, &artifacts,
                                                 lenient ? replay::ReplayMode::lenient : replay::ReplayMode::strict);
  const bool matches = result.digest == rec.digest && result.outcome == rec.outcome;
  if (!trace.empty()) outputs.write("trace", trace, replay::chrome_trace_json(artifacts, scenario.model));
  if (json) {
    replay::Json doc = replay::result_to_json(result, false);
    doc["scenario"] = scenario.name;
    doc["recorded_digest"] = replay::hex64(rec.digest);
    doc["recorded_outcome"] = simcore::to_string(rec.outcome);
    doc["matches"] = matches;
    outputs.add_to(doc);
    out << replay::json_text(doc, 2) << "\n";
  } else {
    print_result(out, result);
    if (matches) {
      out << "replay matches the recording (digest " << replay::hex64(rec.digest) << ")\n";
    } else if (lenient) {
      out << "lenient replay: recorded outcome " << simcore::to_string(rec.outcome) << " digest "
          << replay::hex64(rec.digest) << "; this run differs (an edited log is expected to)\n";
    }
  }
  outputs.print(json);
  // A lenient replay runs an edited log on purpose: a different digest is its result, not an error.
  if (!matches && !lenient) {
    std::cerr << "error: replay mismatch: recorded outcome " << simcore::to_string(rec.outcome) << " digest "
              << replay::hex64(rec.digest) << ", replayed outcome " << simcore::to_string(result.outcome) << " digest "
              << replay::hex64(result.digest) << "\n";
    return EXIT_REPLAY_MISMATCH;
  }
  return outputs.exit_code(exit_code_for(result.outcome));
}

}  // namespace ptosim::cli
