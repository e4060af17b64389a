// The ptosim command line: parses flags, calls the library, prints results and maps outcomes to
// the documented exit codes (docs/exit-codes.md). Nothing here models anything.
//
// Output discipline: a run's result is always printed (text, or one JSON object with --json);
// output files are written atomically before that, and a file that cannot be written is reported
// next to the result and turns the exit code into 6. With --json, errors are also printed as one
// JSON object {"error": {...}} on stdout, so scripts always get JSON.
#include "replay/chrome_trace.h"
#include "replay/recording.h"
#include "replay/report_json.h"
#include "replay/run_session.h"
#include "replay/snapshot_render.h"
#include "scenarios/scenario.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <unistd.h>

namespace {

using namespace ptosim;

// Exit codes: 0 and 10..15 are outcomes, the rest are about the tool and its input.
enum ExitCode : int {
  EXIT_PASS = 0,
  EXIT_INTERNAL = 1,
  EXIT_USAGE = 2,
  EXIT_INVALID_INPUT = 3,
  EXIT_REPLAY_MISMATCH = 4,
  EXIT_EXPECTATIONS = 5,
  EXIT_OUTPUT = 6,
};

int exit_code_for(simcore::Outcome outcome) {
  switch (outcome) {
    case simcore::Outcome::pass: return EXIT_PASS;
    case simcore::Outcome::wrong_values: return 10;
    case simcore::Outcome::hang: return 11;
    case simcore::Outcome::deadlock_true: return 12;
    case simcore::Outcome::deadlock_false: return 13;
    case simcore::Outcome::runtime_error: return 14;
    case simcore::Outcome::sim_limit: return 15;
  }
  return EXIT_INTERNAL;
}

// Output files of one command: written before the result is printed, failures collected.
class Outputs {
 public:
  void write(const char* what, const std::string& path, const std::string& text) {
    if (path.empty()) return;
    try {
      replay::write_file_atomically(path, text);
      written_.emplace_back(what, path);
    } catch (const replay::OutputFileError& e) {
      errors_.emplace_back(e.what());
    }
  }
  void error(std::string message) { errors_.push_back(std::move(message)); }
  bool failed() const { return !errors_.empty(); }

  void add_to(replay::Json& out) const {
    if (!written_.empty()) {
      replay::Json files;
      for (const auto& [what, path] : written_) files[what] = path;
      out["written"] = files;
    }
    if (!errors_.empty()) out["output_errors"] = errors_;
  }
  // Text mode lists what was written; --json already carries it. Errors always go to stderr.
  void print(bool json) const {
    if (!json) {
      for (const auto& [what, path] : written_) std::cout << what << " written to " << path << "\n";
    }
    for (const std::string& message : errors_) std::cerr << "error: " << message << "\n";
  }
  // The outcome's code, unless an output file could not be written.
  int exit_code(int outcome_code) const { return failed() ? static_cast<int>(EXIT_OUTPUT) : outcome_code; }

 private:
  std::vector<std::pair<std::string, std::string>> written_;
  std::vector<std::string> errors_;
};

void print_result(const replay::RunResult& result) {
  std::cout << "outcome " << simcore::to_string(result.outcome) << ": " << result.summary << "\n";
  std::cout << "digest " << replay::hex64(result.digest) << "\n";
  std::cout << "sim_time_ns " << result.sim_time_ns << "  tasks " << result.tasks << " (" << result.tasks_submitted
            << " submitted, " << result.tasks_completed << " completed)  events " << result.events << "  decisions "
            << result.decisions << "\n";
  if (result.report) {
    std::cout << "\nruntime report (" << result.report->detector << ", " << result.report->actor << ", t="
              << result.report->time_ns << " ns):\n"
              << result.report->message;
  }
  if (!result.wait_chain.empty()) {
    std::cout << "\nwhy no progress was possible:\n";
    for (const std::string& step : result.wait_chain) std::cout << "  - " << step << "\n";
  }
}

void print_warnings(const scenarios::Scenario& scenario) {
  for (const std::string& warning : scenario.warnings) std::cerr << "warning: " << scenario.path << ": " << warning << "\n";
}

struct RunArgs {
  std::string scenario;
  std::uint64_t seed = 0;
  bool json = false;
  std::string record;
  std::string trace;
  std::string snapshot;
};

int cmd_run(const RunArgs& args) {
  scenarios::Scenario scenario = scenarios::load_scenario_file(args.scenario);
  print_warnings(scenario);
  if (!args.json) {
    std::cout << "seed " << args.seed << std::endl;
    std::cout << "scenario " << scenario.name << " (" << scenario.path << ")" << std::endl;
  }
  replay::RunArtifacts artifacts;
  replay::RunResult result = replay::run_scenario(scenario, args.seed, std::nullopt, &artifacts);
  Outputs outputs;
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
      outputs.write("snapshot", args.snapshot, replay::snapshot_to_json(*result.snapshot).dump(1) + "\n");
    } else {
      std::cerr << "note: no detector fired, so there is no snapshot to write to " << args.snapshot << "\n";
    }
  }
  if (args.json) {
    replay::Json out = replay::result_to_json(result, false);
    out["scenario"] = scenario.name;
    outputs.add_to(out);
    std::cout << out.dump(2) << "\n";
  } else {
    print_result(result);
  }
  outputs.print(args.json);
  return outputs.exit_code(exit_code_for(result.outcome));
}

int cmd_replay(const std::string& path, bool json, const std::string& trace) {
  replay::Recording rec = replay::read_recording(path);
  scenarios::Scenario scenario = scenarios::load_scenario_text(rec.scenario_text, path + "#/scenario/text");
  scenario.path = rec.scenario_path;
  if (!json) {
    std::cout << "seed " << rec.seed << std::endl;
    std::cout << "replaying " << path << ": scenario " << scenario.name << " (" << rec.scenario_path << "), "
              << rec.decisions.entries.size() << " decisions, recorded by ptosim " << rec.tool_version << std::endl;
  }
  replay::RunArtifacts artifacts;
  replay::RunResult result = replay::run_scenario(scenario, rec.seed, rec.decisions, &artifacts);
  const bool matches = result.digest == rec.digest && result.outcome == rec.outcome;
  Outputs outputs;
  if (!trace.empty()) outputs.write("trace", trace, replay::chrome_trace_json(artifacts, scenario.model));
  if (json) {
    replay::Json out = replay::result_to_json(result, false);
    out["scenario"] = scenario.name;
    out["recorded_digest"] = replay::hex64(rec.digest);
    out["recorded_outcome"] = simcore::to_string(rec.outcome);
    out["matches"] = matches;
    outputs.add_to(out);
    std::cout << out.dump(2) << "\n";
  } else {
    print_result(result);
    if (matches) std::cout << "replay matches the recording (digest " << replay::hex64(rec.digest) << ")\n";
  }
  outputs.print(json);
  if (!matches) {
    std::cerr << "error: replay mismatch: recorded outcome " << simcore::to_string(rec.outcome) << " digest "
              << replay::hex64(rec.digest) << ", replayed outcome " << simcore::to_string(result.outcome) << " digest "
              << replay::hex64(result.digest) << "\n";
    return EXIT_REPLAY_MISMATCH;
  }
  return outputs.exit_code(exit_code_for(result.outcome));
}

struct SweepArgs {
  std::string scenario;
  std::string seeds;
  int jobs = 1;
  bool json = false;
  std::string snapshot_dir;
};

// One entry per seed that did not pass, with the same keys whatever happened to it.
replay::Json not_passing_entry(const replay::RunResult& run) {
  const bool failed = !run.failure.empty();
  replay::Json entry;
  entry["seed"] = run.seed;
  entry["outcome"] = failed ? replay::Json(nullptr) : replay::Json(simcore::to_string(run.outcome));
  entry["summary"] = failed ? "the run failed to complete: " + run.failure : run.summary;
  entry["digest"] = failed ? replay::Json(nullptr) : replay::Json(replay::hex64(run.digest));
  entry["error_code"] = run.report ? replay::Json(static_cast<int>(run.report->code)) : replay::Json(nullptr);
  return entry;
}

int cmd_sweep(const SweepArgs& args) {
  scenarios::Scenario scenario = scenarios::load_scenario_file(args.scenario);
  print_warnings(scenario);
  replay::SweepOptions options;
  const std::string problem = scenarios::parse_seed_range(args.seeds, options.seeds);
  if (!problem.empty()) throw CLI::ValidationError("--seeds", "expected " + problem);
  if (options.seeds.last - options.seeds.first >= replay::SWEEP_MAX_SEEDS) {
    throw CLI::ValidationError("--seeds", "at most " + std::to_string(replay::SWEEP_MAX_SEEDS) + " seeds per sweep");
  }
  options.jobs = args.jobs;
  options.snapshot_dir = args.snapshot_dir;
  if (::isatty(STDERR_FILENO) != 0) {
    options.progress = [](std::uint64_t done, std::uint64_t total, std::uint64_t failing) {
      std::cerr << "\rsweep: " << done << "/" << total << " seeds done, " << failing << " not passing" << std::flush;
      if (done == total) std::cerr << "\n";
    };
  }
  replay::SweepSummary summary = replay::sweep(scenario, options);
  replay::ExpectationCheck check = replay::check_expectations(scenario.expect, summary);
  Outputs outputs;
  for (const std::string& message : summary.output_errors) outputs.error(message);
  if (args.json) {
    replay::Json out;
    out["scenario"] = scenario.name;
    out["seeds"] = args.seeds;
    out["runs"] = summary.runs;
    replay::Json counts;
    for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
      counts[simcore::to_string(static_cast<simcore::Outcome>(i))] = summary.outcome_counts[static_cast<std::size_t>(i)];
    }
    out["outcomes"] = counts;
    out["failed_runs"] = summary.failed_runs;
    replay::Json failing = replay::Json::array();
    for (const replay::RunResult& run : summary.not_passing) failing.push_back(not_passing_entry(run));
    out["failing_seeds"] = failing;
    out["failing_seeds_unlisted"] = summary.not_passing_unlisted;
    out["expectations"] = {{"holds", check.holds}, {"violations", check.violations}};
    outputs.add_to(out);
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "sweep " << scenario.name << " seeds " << args.seeds << " (" << summary.runs << " runs, " << options.jobs
              << " jobs)\n";
    std::cout << "outcomes:";
    for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
      const auto count = summary.outcome_counts[static_cast<std::size_t>(i)];
      if (count > 0) std::cout << " " << simcore::to_string(static_cast<simcore::Outcome>(i)) << "=" << count;
    }
    if (summary.failed_runs > 0) std::cout << " failed=" << summary.failed_runs;
    std::cout << "\n";
    std::size_t listed = 0;
    for (const replay::RunResult& run : summary.not_passing) {
      if (listed++ == 0) std::cout << "not passing:\n";
      if (listed > 20) continue;
      const replay::Json entry = not_passing_entry(run);
      std::cout << "  seed " << run.seed << ": "
                << (entry["outcome"].is_null() ? std::string("FAILED") : entry["outcome"].get<std::string>()) << " - "
                << entry["summary"].get<std::string>() << "\n";
    }
    if (listed > 20) std::cout << "  ... and " << (listed - 20 + summary.not_passing_unlisted) << " more (use --json)\n";
    if (!options.snapshot_dir.empty() && listed > 0) std::cout << "snapshots written to " << options.snapshot_dir << "\n";
    std::cout << "expectations: " << (check.holds ? "hold" : "VIOLATED")
              << (scenario.expect ? "" : " (no expect: every seed must pass)") << "\n";
    for (std::size_t i = 0; i < check.violations.size() && i < 10; ++i) std::cout << "  - " << check.violations[i] << "\n";
    if (check.violations.size() > 10) std::cout << "  ... " << (check.violations.size() - 10) << " more violations\n";
  }
  outputs.print(args.json);
  return outputs.exit_code(check.holds ? EXIT_PASS : EXIT_EXPECTATIONS);
}

int cmd_check(const std::string& path, bool json) {
  scenarios::Scenario scenario = scenarios::load_scenario_file(path);
  const runtime::Program& program = scenario.model.program;
  if (json) {
    replay::Json out;
    out["scenario"] = scenario.name;
    out["valid"] = true;
    out["tasks"] = program.task_count;
    out["runtime_calls"] = program.ops.size();
    out["kernels"] = scenario.model.kernels.size();
    out["external_tensors"] = program.externals.size();
    out["expect_seeds"] = scenario.expect ? replay::Json(std::to_string(scenario.expect->seeds.first) + ".." +
                                                         std::to_string(scenario.expect->seeds.last))
                                          : replay::Json(nullptr);
    out["warnings"] = scenario.warnings;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << scenario.path << ": valid scenario '" << scenario.name << "': " << program.task_count << " tasks, "
              << program.ops.size() << " runtime calls, " << scenario.model.kernels.size() << " kernels, "
              << program.externals.size() << " external tensors\n";
    print_warnings(scenario);
  }
  return EXIT_PASS;
}

int cmd_inspect(const std::string& path, bool dot, bool json) {
  runtime::StateSnapshot snapshot = replay::read_snapshot_file(path);
  if (json) {
    std::cout << replay::snapshot_to_json(snapshot).dump(2) << "\n";
  } else if (dot) {
    std::cout << replay::render_snapshot_dot(snapshot);
  } else {
    std::cout << replay::render_snapshot_text(snapshot);
  }
  return EXIT_PASS;
}

// Reports an error in the --json shape as well as on stderr, and returns its exit code.
int report_error(bool json, const char* kind, const std::string& message, int code) {
  std::cerr << "error: " << message << "\n";
  if (json) {
    replay::Json out;
    out["error"] = {{"kind", kind}, {"message", message}, {"exit_code", code}};
    std::cout << out.dump(2) << "\n";
  }
  return code;
}

constexpr const char* COMMANDS[] = {"run", "replay", "sweep", "check", "inspect"};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ptosim: deterministic simulator of the PTO2 tensormap_and_ringbuffer runtime and its AI cores.\n"
               "Exit codes: 0 pass; 10 wrong_values, 11 hang, 12 deadlock_true, 13 deadlock_false, 14 runtime_error,\n"
               "15 sim_limit; 1 internal error, 2 usage, 3 invalid input, 4 replay mismatch, 5 sweep expectations\n"
               "not met, 6 cannot write an output file. See docs/exit-codes.md."};
  app.set_version_flag("--version", std::string("ptosim ") + replay::TOOL_VERSION);
  app.require_subcommand(1);

  RunArgs run_args;
  CLI::App* run = app.add_subcommand("run", "Run a scenario once with one seed; exit code = the outcome's");
  run->add_option("scenario", run_args.scenario, "Scenario JSON file")->required();
  run->add_option("--seed", run_args.seed, "Root seed of the run, 0..2^64-1 (default 0)")
      ->check(CLI::Validator(
          [](const std::string& text) {
            std::uint64_t value = 0;
            return scenarios::parse_u64(text, value) ? std::string()
                                                     : "expected a seed in 0..18446744073709551615, found '" + text + "'";
          },
          "SEED"));
  run->add_flag("--json", run_args.json, "Print one JSON object instead of text");
  run->add_option("--record", run_args.record, "Write a recording (scenario, seed, decision log) for `ptosim replay`");
  run->add_option("--trace", run_args.trace, "Write a Chrome trace-event JSON file (open it in Perfetto)");
  run->add_option("--snapshot", run_args.snapshot, "Write the runtime snapshot taken when a detector fired");

  std::string replay_path;
  bool replay_json = false;
  std::string replay_trace;
  CLI::App* rep = app.add_subcommand("replay", "Re-execute a recording from its decision log and check its digest");
  rep->add_option("recording", replay_path, "Recording written by `ptosim run --record`")->required();
  rep->add_flag("--json", replay_json, "Print one JSON object instead of text");
  rep->add_option("--trace", replay_trace, "Write a Chrome trace-event JSON file of the replay");

  SweepArgs sweep_args;
  CLI::App* swp = app.add_subcommand(
      "sweep",
      "Run seeds A..B, one child process each; exit 0 only if the scenario's expect holds (without expect: every "
      "seed must pass). Progress goes to stderr on a terminal");
  swp->add_option("scenario", sweep_args.scenario, "Scenario JSON file")->required();
  swp->add_option("--seeds", sweep_args.seeds, "Inclusive seed range A..B (at most 10,000,000 seeds)")->required();
  swp->add_option("--jobs,-j", sweep_args.jobs, "Child processes at once (default 1)")->check(CLI::Range(1, 256));
  swp->add_flag("--json", sweep_args.json, "Print one JSON object instead of text");
  swp->add_option("--snapshot-dir", sweep_args.snapshot_dir,
                  "Write seed-<N>.snapshot.json here (created if missing) for every seed that did not pass and has a "
                  "snapshot");

  std::string check_path;
  bool check_json = false;
  CLI::App* chk = app.add_subcommand("check", "Validate a scenario and print its size and warnings without running it");
  chk->add_option("scenario", check_path, "Scenario JSON file")->required();
  chk->add_flag("--json", check_json, "Print one JSON object instead of text");

  std::string inspect_path;
  bool inspect_dot = false;
  bool inspect_json = false;
  CLI::App* ins = app.add_subcommand("inspect", "Render a snapshot: verdict, runtime error text, head table, ring usage");
  ins->add_option("snapshot", inspect_path, "Snapshot written by --snapshot or --snapshot-dir")->required();
  auto* dot_flag = ins->add_flag("--dot", inspect_dot, "Print the wait-for/dependency graph around the head as DOT");
  ins->add_flag("--json", inspect_json, "Print the snapshot as JSON")->excludes(dot_flag);

  // CLI11 reports an unknown first word as a missing subcommand; name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const char* command : COMMANDS) known = known || std::string(argv[1]) == command;
    if (!known) {
      std::cerr << "error: unknown command '" << argv[1] << "' (commands: run, replay, sweep, check, inspect; see --help)\n";
      return EXIT_USAGE;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? EXIT_PASS : EXIT_USAGE;
  }

  const bool json = (run->parsed() && run_args.json) || (rep->parsed() && replay_json) ||
                    (swp->parsed() && sweep_args.json) || (chk->parsed() && check_json) ||
                    (ins->parsed() && inspect_json);
  try {
    if (run->parsed()) return cmd_run(run_args);
    if (rep->parsed()) return cmd_replay(replay_path, replay_json, replay_trace);
    if (swp->parsed()) return cmd_sweep(sweep_args);
    if (chk->parsed()) return cmd_check(check_path, check_json);
    if (ins->parsed()) return cmd_inspect(inspect_path, inspect_dot, inspect_json);
  } catch (const CLI::ValidationError& e) {
    return report_error(json, "usage", e.what(), EXIT_USAGE);
  } catch (const scenarios::ScenarioError& e) {
    return report_error(json, "invalid_input", std::string("invalid scenario: ") + e.what(), EXIT_INVALID_INPUT);
  } catch (const replay::InputError& e) {
    return report_error(json, "invalid_input", std::string("invalid input: ") + e.what(), EXIT_INVALID_INPUT);
  } catch (const simcore::DecisionDivergence& e) {
    return report_error(json, "replay_mismatch", e.what(), EXIT_REPLAY_MISMATCH);
  } catch (const replay::OutputFileError& e) {
    return report_error(json, "output", e.what(), EXIT_OUTPUT);
  } catch (const std::exception& e) {
    return report_error(json, "internal", std::string("internal error (a bug in ptosim): ") + e.what(), EXIT_INTERNAL);
  }
  return EXIT_USAGE;
}
