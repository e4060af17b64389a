// The ptosim command line: parses flags, calls the library, prints results and maps outcomes to
// the documented exit codes (docs/exit-codes.md). Nothing here models anything.
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

// Exit codes: 0 and 10..16 are outcomes, the rest are about the tool and its input.
enum ExitCode : int {
  EXIT_PASS = 0,
  EXIT_INTERNAL = 1,
  EXIT_USAGE = 2,
  EXIT_INVALID_INPUT = 3,
  EXIT_REPLAY_MISMATCH = 4,
  EXIT_EXPECTATIONS = 5,
  EXIT_OUTPUT = 6,
};

int exit_code_for(runtime::Outcome outcome) {
  switch (outcome) {
    case runtime::Outcome::pass: return EXIT_PASS;
    case runtime::Outcome::wrong_values: return 10;
    case runtime::Outcome::hang: return 11;
    case runtime::Outcome::deadlock_true: return 12;
    case runtime::Outcome::deadlock_false: return 13;
    case runtime::Outcome::runtime_error: return 14;
    case runtime::Outcome::sim_limit: return 15;
  }
  return EXIT_INTERNAL;
}

// Output files are written after the run, atomically; a failure is its own exit code.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void write_output(const std::string& path, const std::string& text) {
  try {
    replay::write_file_atomically(path, text);
  } catch (const std::exception& e) {
    throw OutputError(e.what());
  }
}

void print_result(const replay::RunResult& result) {
  std::cout << "outcome " << runtime::to_string(result.outcome) << ": " << result.summary << "\n";
  std::cout << "digest " << replay::hex64(result.digest) << "\n";
  std::cout << "sim_time_ns " << result.sim_time_ns << "  tasks " << result.tasks_completed << "/" << result.tasks
            << " completed  events " << result.events << "  decisions " << result.decisions << "\n";
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
  if (!args.json) {
    std::cout << "seed " << args.seed << std::endl;
    std::cout << "scenario " << scenario.name << " (" << scenario.path << ")" << std::endl;
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
    write_output(args.record, replay::recording_to_text(rec));
  }
  if (!args.trace.empty()) write_output(args.trace, replay::chrome_trace_json(artifacts, scenario.model));
  if (!args.snapshot.empty()) {
    if (result.snapshot) {
      write_output(args.snapshot, replay::snapshot_to_json(*result.snapshot).dump(1) + "\n");
    } else {
      std::cerr << "note: no detector fired, so there is no snapshot to write to " << args.snapshot << "\n";
    }
  }
  if (args.json) {
    replay::Json out = replay::result_to_json(result, false);
    out["scenario"] = scenario.name;
    std::cout << out.dump(2) << "\n";
  } else {
    print_result(result);
    if (!args.record.empty()) std::cout << "recording written to " << args.record << "\n";
    if (!args.trace.empty()) std::cout << "trace written to " << args.trace << "\n";
    if (!args.snapshot.empty() && result.snapshot) std::cout << "snapshot written to " << args.snapshot << "\n";
  }
  return exit_code_for(result.outcome);
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
  const bool digest_matches = result.digest == rec.digest;
  const bool outcome_matches = result.outcome == rec.outcome;
  if (!trace.empty()) write_output(trace, replay::chrome_trace_json(artifacts, scenario.model));
  if (json) {
    replay::Json out = replay::result_to_json(result, false);
    out["recorded_digest"] = replay::hex64(rec.digest);
    out["recorded_outcome"] = runtime::to_string(rec.outcome);
    out["matches"] = digest_matches && outcome_matches;
    std::cout << out.dump(2) << "\n";
  } else {
    print_result(result);
  }
  if (!digest_matches || !outcome_matches) {
    std::cerr << "error: replay mismatch: recorded outcome " << runtime::to_string(rec.outcome) << " digest "
              << replay::hex64(rec.digest) << ", replayed outcome " << runtime::to_string(result.outcome) << " digest "
              << replay::hex64(result.digest) << "\n";
    return EXIT_REPLAY_MISMATCH;
  }
  if (!json) std::cout << "replay matches the recording (digest " << replay::hex64(rec.digest) << ")\n";
  return exit_code_for(result.outcome);
}

struct SweepArgs {
  std::string scenario;
  std::string seeds;
  int jobs = 1;
  bool json = false;
  std::string snapshot_dir;
};

int cmd_sweep(const SweepArgs& args) {
  scenarios::Scenario scenario = scenarios::load_scenario_file(args.scenario);
  replay::SweepOptions options;
  const std::string problem = scenarios::parse_seed_range(args.seeds, options.seeds);
  if (!problem.empty()) {
    std::cerr << "error: --seeds: expected " << problem << "\n";
    return EXIT_USAGE;
  }
  if (options.seeds.count() > 10'000'000) {
    std::cerr << "error: --seeds: at most 10000000 seeds per sweep\n";
    return EXIT_USAGE;
  }
  options.jobs = args.jobs;
  options.snapshot_dir = args.snapshot_dir;
  if (!args.snapshot_dir.empty() && ::access(args.snapshot_dir.c_str(), W_OK) != 0) {
    std::cerr << "error: --snapshot-dir: " << args.snapshot_dir << " is not a writable directory\n";
    return EXIT_OUTPUT;
  }
  const bool show_progress = ::isatty(STDERR_FILENO) != 0;
  if (show_progress) {
    options.progress = [](std::uint64_t done, std::uint64_t total, std::uint64_t failing) {
      std::cerr << "\rsweep: " << done << "/" << total << " seeds done, " << failing << " not passing" << std::flush;
      if (done == total) std::cerr << "\n";
    };
  }
  replay::SweepSummary summary = replay::sweep(scenario, options);
  replay::ExpectationCheck check = replay::check_expectations(scenario.expect, summary);
  if (args.json) {
    replay::Json out;
    out["scenario"] = scenario.name;
    out["seeds"] = args.seeds;
    out["runs"] = summary.runs;
    replay::Json counts;
    for (int i = 0; i < runtime::OUTCOME_COUNT; ++i) {
      counts[runtime::to_string(static_cast<runtime::Outcome>(i))] = summary.outcome_counts[static_cast<std::size_t>(i)];
    }
    out["outcomes"] = counts;
    replay::Json failing = replay::Json::array();
    for (const replay::RunResult& run : summary.not_passing) {
      if (!run.failure.empty()) {
        failing.push_back({{"seed", run.seed}, {"failure", run.failure}});
      } else {
        replay::Json entry{{"seed", run.seed}, {"outcome", runtime::to_string(run.outcome)}, {"digest", replay::hex64(run.digest)}};
        if (run.report) entry["code"] = static_cast<int>(run.report->code);
        failing.push_back(entry);
      }
    }
    out["failing_seeds"] = failing;
    out["failing_seeds_unlisted"] = summary.not_passing_unlisted;
    out["failed_runs"] = summary.failed_runs;
    out["expectations"] = {{"holds", check.holds}, {"violations", check.violations}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "sweep " << scenario.name << " seeds " << args.seeds << " (" << summary.runs << " runs, "
              << options.jobs << " jobs)\n";
    std::cout << "outcomes:";
    for (int i = 0; i < runtime::OUTCOME_COUNT; ++i) {
      const auto count = summary.outcome_counts[static_cast<std::size_t>(i)];
      if (count > 0) std::cout << " " << runtime::to_string(static_cast<runtime::Outcome>(i)) << "=" << count;
    }
    std::cout << "\n";
    std::size_t listed = 0;
    for (const replay::RunResult& run : summary.not_passing) {
      if (listed++ == 0) std::cout << "not passing:\n";
      if (listed > 20) continue;
      std::cout << "  seed " << run.seed << ": "
                << (run.failure.empty() ? std::string(runtime::to_string(run.outcome)) + " - " + run.summary : "FAILED - " + run.failure)
                << "\n";
    }
    if (listed > 20) std::cout << "  ... and " << (listed - 20 + summary.not_passing_unlisted) << " more (use --json)\n";
    std::cout << "expectations: " << (check.holds ? "hold" : "VIOLATED") << (scenario.expect ? "" : " (no expect: every seed must pass)")
              << "\n";
    for (std::size_t i = 0; i < check.violations.size() && i < 10; ++i) std::cout << "  - " << check.violations[i] << "\n";
    if (check.violations.size() > 10) std::cout << "  ... " << (check.violations.size() - 10) << " more violations\n";
  }
  return check.holds ? EXIT_PASS : EXIT_EXPECTATIONS;
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
    out["expect_seeds"] = scenario.expect ? std::to_string(scenario.expect->seeds.first) + ".." +
                                                std::to_string(scenario.expect->seeds.last)
                                          : "";
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << scenario.path << ": valid scenario '" << scenario.name << "': " << program.task_count << " tasks, "
              << program.ops.size() << " runtime calls, " << scenario.model.kernels.size() << " kernels, "
              << program.externals.size() << " external tensors\n";
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
            bool ok = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
            for (char c : text) {
              ok = ok && !__builtin_mul_overflow(value, 10, &value) &&
                   !__builtin_add_overflow(value, static_cast<std::uint64_t>(c - '0'), &value);
            }
            return ok ? std::string() : "expected a seed in 0..18446744073709551615, found '" + text + "'";
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
  swp->add_option("--seeds", sweep_args.seeds, "Inclusive seed range A..B")->required();
  swp->add_option("--jobs,-j", sweep_args.jobs, "Child processes at once (default 1)")->check(CLI::Range(1, 256));
  swp->add_flag("--json", sweep_args.json, "Print one JSON object instead of text");
  swp->add_option("--snapshot-dir", sweep_args.snapshot_dir,
                  "Write seed-<N>.snapshot.json here for every seed that did not pass and has a snapshot");

  std::string check_path;
  bool check_json = false;
  CLI::App* chk = app.add_subcommand("check", "Validate a scenario and print its size without running it");
  chk->add_option("scenario", check_path, "Scenario JSON file")->required();
  chk->add_flag("--json", check_json, "Print one JSON object instead of text");

  std::string inspect_path;
  bool inspect_dot = false;
  bool inspect_json = false;
  CLI::App* ins = app.add_subcommand("inspect", "Render a snapshot: head table, runtime error text, ring usage");
  ins->add_option("snapshot", inspect_path, "Snapshot written by --snapshot or --snapshot-dir")->required();
  auto* dot_flag = ins->add_flag("--dot", inspect_dot, "Print the wait-for/dependency graph around the head as DOT");
  ins->add_flag("--json", inspect_json, "Print the snapshot as JSON")->excludes(dot_flag);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? EXIT_PASS : EXIT_USAGE;
  }

  try {
    if (run->parsed()) return cmd_run(run_args);
    if (rep->parsed()) return cmd_replay(replay_path, replay_json, replay_trace);
    if (swp->parsed()) return cmd_sweep(sweep_args);
    if (ins->parsed()) return cmd_inspect(inspect_path, inspect_dot, inspect_json);
    if (chk->parsed()) return cmd_check(check_path, check_json);
  } catch (const scenarios::ScenarioError& e) {
    std::cerr << "error: invalid scenario: " << e.what() << "\n";
    return EXIT_INVALID_INPUT;
  } catch (const replay::InputError& e) {
    std::cerr << "error: invalid input: " << e.what() << "\n";
    return EXIT_INVALID_INPUT;
  } catch (const simcore::DecisionDivergence& e) {
    std::cerr << "error: " << e.what() << "\n";
    return EXIT_REPLAY_MISMATCH;
  } catch (const OutputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return EXIT_OUTPUT;
  } catch (const std::exception& e) {
    std::cerr << "internal error (a bug in ptosim): " << e.what() << "\n";
    return EXIT_INTERNAL;
  }
  return EXIT_USAGE;
}
