// `ptosim run` and `ptosim replay`: one run in this process, its artefacts and its printed result.
#include "replay/child_process.h"
#include "replay/chrome_trace.h"
#include "replay/recording.h"
#include "replay/seed_worker.h"
#include "simcore/plural.h"
#include "tools/cli.h"

#include <iostream>
#include <stdexcept>

namespace ptosim::cli {

namespace {

// `run --check-determinism`: the seed twice in one sweep worker (the second run in the engine the
// first one left, as a sweep runs its seeds), then a strict replay of the first run's decision
// log in a child of its own; returns the first run's result and whether all three agree.
replay::RunResult check_determinism(const scenarios::Scenario& scenario, std::uint64_t seed,
                                    const replay::RunOptions& options, replay::RunArtifacts& artifacts,
                                    std::ostream& out, bool& same) {
  replay::ChildJob job;
  job.seed = seed;
  job.options = options;
  job.want_snapshot = true;
  job.log = replay::ChildJob::Log::always;
  std::vector<replay::ChildOutput> runs = replay::run_in_worker(scenario, job, {seed, seed});
  for (const replay::ChildOutput& run : runs) {
    if (!run.result.failure.empty()) throw std::runtime_error(run.result.failure);
  }
  if (runs.size() < 2) throw std::runtime_error("the worker for seed " + std::to_string(seed) + " stopped before its second run");
  replay::ChildOutput& first = runs[0];
  replay::ChildOutput& second = runs[1];
  replay::ChildJob replay_job = job;
  replay_job.options.replay_log = first.decisions;
  replay_job.options.mode = replay::ReplayMode::strict;
  replay::ChildOutput replayed = replay::run_in_child(scenario, replay_job);
  const std::string d1 = replay::hex64(first.result.digest);
  const std::string d2 = replay::hex64(second.result.digest);
  const std::string d3 = replayed.result.failure.empty() ? replay::hex64(replayed.result.digest) : "none";
  same = first.result.digest == second.result.digest && first.result.outcome == second.result.outcome &&
         replayed.result.failure.empty() && replayed.result.digest == first.result.digest;
  if (same) {
    out << "deterministic: two runs in one engine and the strict replay of the first one's "
        << simcore::count_noun(first.result.decisions, "decision") << " all gave digest " << d1 << "\n";
  } else {
    out << "NOT deterministic: run 1 digest " << d1 << " (" << simcore::to_string(first.result.outcome) << "), run 2 "
        << d2 << " (" << simcore::to_string(second.result.outcome) << "), strict replay of run 1 " << d3
        << (replayed.result.failure.empty() ? "" : " (" + replayed.result.failure + ")") << "\n";
  }
  artifacts.decisions = first.decisions ? std::move(*first.decisions) : simcore::DecisionLog{};
  return first.result;
}

}  // namespace

int cmd_run(const RunArgs& args) {
  Outputs outputs({&args.record, &args.trace, &args.snapshot});
  std::ostream& out = outputs.result_stream();
  scenarios::Scenario scenario = args.load();
  print_warnings(scenario);
  replay::RunOptions options;
  options.strategy = args.strategy_spec(scenario);
  // Keep only what an output asks for: on a large program the logs cost memory per task.
  options.keep = runtime::OutputPolicy{!args.record.empty(), !args.trace.empty(), !args.trace.empty(), !args.trace.empty()};
  if (!args.json) {
    out << "seed " << args.seed << std::endl;
    out << "scenario " << scenario.name << " (" << scenario.path << ")" << std::endl;
    if (options.strategy.name == "pct") {
      out << "strategy pct depth " << options.strategy.depth << " steps " << options.strategy.steps << std::endl;
    }
  }
  replay::RunArtifacts artifacts;
  bool deterministic = true;
  replay::RunResult result;
  if (args.check_determinism) {
    // The verdict line goes where the result goes; with --json, to stderr.
    result = check_determinism(scenario, args.seed, options, artifacts, args.json ? std::cerr : out, deterministic);
  } else {
    result = replay::run_scenario(scenario, args.seed, options, &artifacts);
  }
  if (!args.record.empty()) {
    outputs.write("recording", args.record,
                  replay::recording_to_text(replay::make_recording(scenario, result, artifacts.decisions)));
  }
  if (!args.trace.empty()) {
    if (args.check_determinism) {
      outputs.error("--trace is not written with --check-determinism (the runs happen in child processes)");
    } else {
      outputs.write("trace", args.trace, replay::chrome_trace_json(artifacts, scenario.model));
    }
  }
  if (!args.snapshot.empty()) {
    if (result.snapshot) {
      outputs.write("snapshot", args.snapshot,
                    replay::json_text(replay::snapshot_file_json(*result.snapshot, args.seed, scenario.text_hash), 1) +
                        "\n");
    } else {
      std::cerr << "note: no detector fired, so there is no snapshot to write to " << args.snapshot << "\n";
    }
  }
  if (args.json) {
    replay::Json json = replay::result_to_json(result, false);
    json["scenario"] = scenario.name;
    json["scenario_hash"] = replay::hex64(scenario.text_hash);
    json["tool_version"] = replay::TOOL_VERSION;
    if (!scenario.overrides.empty()) json["overrides"] = scenario.overrides;
    if (args.check_determinism) json["deterministic"] = deterministic;
    outputs.add_to(json);
    out << replay::json_text(json, 2) << "\n";
  } else {
    print_result(out, result);
  }
  outputs.print(args.json);
  if (!deterministic) return EXIT_REPLAY_MISMATCH;
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
  replay::RunOptions options;
  options.replay_log = rec.decisions;
  options.mode = lenient ? replay::ReplayMode::lenient : replay::ReplayMode::strict;
  options.keep = runtime::OutputPolicy{false, !trace.empty(), !trace.empty(), !trace.empty()};
  replay::RunResult result = replay::run_scenario(scenario, rec.seed, options, &artifacts);
  const bool matches = result.digest == rec.digest && result.outcome == rec.outcome;
  if (!trace.empty()) outputs.write("trace", trace, replay::chrome_trace_json(artifacts, scenario.model));
  if (json) {
    replay::Json doc = replay::result_to_json(result, false);
    doc["scenario"] = scenario.name;
    doc["recorded_digest"] = replay::hex64(rec.digest);
    doc["recorded_outcome"] = simcore::to_string(rec.outcome);
    doc["matches"] = matches;
    doc["scenario_hash"] = replay::hex64(rec.scenario_hash);
    doc["tool_version"] = replay::TOOL_VERSION;
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
