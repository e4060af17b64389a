// `ptosim shrink`: a failing recording reduced towards default decisions (replay/shrink.h).
#include "replay/recording.h"
#include "replay/shrink.h"
#include "tools/cli.h"

#include <iostream>

namespace ptosim::cli {

namespace {

std::string default_output(const std::string& recording) {
  const std::string suffix = ".json";
  if (recording.size() > suffix.size() && recording.compare(recording.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return recording.substr(0, recording.size() - suffix.size()) + ".shrunk.json";
  }
  return recording + ".shrunk.json";
}

}  // namespace

int cmd_shrink(const ShrinkArgs& args) {
  const replay::Recording recording = replay::read_recording(args.recording);
  scenarios::Scenario scenario = scenarios::load_scenario_text(recording.scenario_text, args.recording + "#/scenario/text");
  scenario.path = recording.scenario_path;
  const std::string output = args.output.empty() ? default_output(args.recording) : args.output;
  Outputs outputs({&output});
  std::ostream& out_stream = outputs.result_stream();
  if (!args.json) {
    out_stream << "seed " << recording.seed << std::endl;
    out_stream << "shrinking " << args.recording << ": scenario " << scenario.name << ", " << recording.decisions.entries.size()
              << " decisions, " << recording.decisions.nondefault_count() << " not at their default, outcome "
              << simcore::to_string(recording.outcome) << std::endl;
  }
  replay::ShrinkOptions options;
  options.max_runs = args.max_runs;
  options.progress = [](std::uint64_t run, std::size_t nondefault, bool kept) {
    if (kept) std::cerr << "shrink: run " << run << ": still failing with " << nondefault << " non-default decisions\n";
  };
  const replay::ShrinkResult result = replay::shrink(recording, scenario, options);
  outputs.write("recording", output, replay::recording_to_text(result.recording));
  if (args.json) {
    replay::Json out;
    out["seed"] = recording.seed;
    out["scenario"] = scenario.name;
    out["scenario_hash"] = replay::hex64(scenario.text_hash);
    out["tool_version"] = replay::TOOL_VERSION;
    out["recording"] = args.recording;
    out["outcome"] = simcore::to_string(result.recording.outcome);
    out["failure_class"] = result.failure_class;
    out["digest"] = replay::hex64(result.recording.digest);
    out["nondefault_before"] = result.nondefault_before;
    out["nondefault_after"] = result.nondefault_after;
    out["decisions_before"] = result.decisions_before;
    out["decisions_after"] = result.decisions_after;
    out["runs"] = result.runs;
    out["max_runs"] = args.max_runs;
    out["exhausted"] = result.exhausted;
    out["verified"] = result.verified;
    outputs.add_to(out);
    out_stream << replay::json_text(out, 2) << "\n";
  } else {
    out_stream << "still " << result.failure_class << " after " << result.runs << " candidate runs"
              << (result.exhausted ? " (--max-runs reached)" : " (1-minimal)") << "\n";
    out_stream << "non-default decisions: " << result.nondefault_before << " -> " << result.nondefault_after
              << " (decisions " << result.decisions_before << " -> " << result.decisions_after << ")\n";
    out_stream << "strict replay of the shrunk recording: "
              << (result.verified ? "reproduces digest " + replay::hex64(result.recording.digest) : std::string("MISMATCH"))
              << "\n";
  }
  outputs.print(args.json);
  if (!result.verified) {
    std::cerr << "error: the shrunk recording does not replay to its own digest (a bug in ptosim)\n";
    return EXIT_INTERNAL;
  }
  return outputs.exit_code(EXIT_PASS);
}

}  // namespace ptosim::cli
