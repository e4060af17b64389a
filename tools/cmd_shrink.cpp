// `ptosim shrink`: a failing recording reduced towards default decisions (replay/shrink.h).
#include "replay/recording.h"
#include "replay/shrink.h"
#include "tools/cli.h"

#include <cassert>
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

// The decisions the shrunk run still makes away from their defaults, in the order it made them:
// what is left of the failure's recipe once everything that did not matter went back to default.
std::vector<std::size_t> remaining_decisions(const simcore::DecisionLog& log) {
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < log.entries.size(); ++i) {
    if (!log.entries[i].is_default()) indices.push_back(i);
  }
  return indices;
}

// "#12 sched.tie_break 3/0#0: choice 2 of 4 (default 0)".
std::string describe_decision(const simcore::DecisionLog& log, std::size_t index) {
  const simcore::DecisionEntry& e = log.entries[index];
  std::string text = "#" + std::to_string(index) + " " + log.describe_key(e) + ": ";
  if (e.kind == simcore::DecisionKind::range) {
    text += std::to_string(e.value) + " in [" + std::to_string(e.lo) + ", " + std::to_string(e.hi) + "]";
  } else {
    text += "choice " + std::to_string(e.value) + " of " + std::to_string(e.hi + 1);
  }
  return text + " (default " + std::to_string(e.default_value) + ")";
}

// A 1-minimal run keeps few decisions; an exhausted shrink may keep many: the text lists a bounded
// number, --json lists them all.
constexpr std::size_t MAX_LISTED_DECISIONS = 100;

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
  const simcore::DecisionLog& decisions = result.recording.decisions;
  const std::vector<std::size_t> remaining = remaining_decisions(decisions);
  assert(remaining.size() == result.nondefault_after);
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
    replay::Json listed = replay::Json::array();
    for (std::size_t index : remaining) {
      replay::Json entry = replay::decision_to_json(decisions, decisions.entries[index]);
      entry["index"] = index;
      listed.push_back(std::move(entry));
    }
    out["remaining_decisions"] = std::move(listed);
    outputs.add_to(out);
    out_stream << replay::json_text(out, 2) << "\n";
  } else {
    out_stream << "still " << result.failure_class << " after " << result.runs << " candidate runs"
              << (result.exhausted ? " (--max-runs reached)" : " (1-minimal)") << "\n";
    out_stream << "non-default decisions: " << result.nondefault_before << " -> " << result.nondefault_after
              << " (decisions " << result.decisions_before << " -> " << result.decisions_after << ")\n";
    if (remaining.empty()) out_stream << "remaining non-default decisions: none (the failure needs every decision at its default)\n";
    if (!remaining.empty()) out_stream << "remaining non-default decisions (index stream subject/part#n: value):\n";
    for (std::size_t i = 0; i < remaining.size() && i < MAX_LISTED_DECISIONS; ++i) {
      out_stream << "  " << describe_decision(decisions, remaining[i]) << "\n";
    }
    if (remaining.size() > MAX_LISTED_DECISIONS) {
      out_stream << "  ... " << remaining.size() - MAX_LISTED_DECISIONS << " more (--json lists them all)\n";
    }
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
