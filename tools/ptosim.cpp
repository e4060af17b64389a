// The ptosim command line: parses flags, calls the library, prints results and maps outcomes to
// the documented exit codes (docs/exit-codes.md). Nothing here models anything.
//
// Output discipline: a run's result is always printed (text, or one JSON object with --json);
// output files are written atomically before that, and a file that cannot be written is reported
// next to the result and turns the exit code into 6. With --json, errors are also printed as one
// JSON object {"error": {...}} on stdout, so scripts always get JSON.
#include "tools/cli.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace {

using namespace ptosim;
using namespace ptosim::cli;

constexpr const char* COMMANDS[] = {"run", "replay", "sweep", "check", "inspect"};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ptosim: deterministic simulator of the PTO2 tensormap_and_ringbuffer runtime and its AI cores.\n"
               "Exit codes: 0 pass; 10 wrong_values, 11 hang, 12 deadlock_true, 13 deadlock_false, 14 runtime_error,\n"
               "15 sim_limit; 1 internal error, 2 usage, 3 invalid input, 4 replay mismatch, 5 sweep expectations\n"
               "not met, 6 cannot write an output file, 7 check found races. See docs/exit-codes.md."};
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
  bool replay_lenient = false;
  CLI::App* rep = app.add_subcommand("replay", "Re-execute a recording from its decision log and check its digest");
  rep->add_option("recording", replay_path, "Recording written by `ptosim run --record`")->required();
  rep->add_flag("--json", replay_json, "Print one JSON object instead of text");
  rep->add_flag("--lenient", replay_lenient,
                "Look decisions up by key instead of in order: values outside their range are clamped, missing "
                "ones take their default. For edited or shortened recordings; the exit code is the outcome's");
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
  bool check_dot = false;
  CLI::App* chk = app.add_subcommand(
      "check",
      "Validate a scenario and analyse its task graph without running it: size, width, critical path, races "
      "(exit 7 when there are findings)");
  chk->add_option("scenario", check_path, "Scenario JSON file")->required();
  auto* check_json_flag = chk->add_flag("--json", check_json, "Print one JSON object instead of text");
  chk->add_flag("--dot", check_dot,
                "Print the task graph as DOT, each race's missing edge drawn in red with its remedy (big graphs: the "
                "neighbourhood of each race)")
      ->excludes(check_json_flag);

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
    if (rep->parsed()) return cmd_replay(replay_path, replay_json, replay_trace, replay_lenient);
    if (swp->parsed()) return cmd_sweep(sweep_args);
    if (chk->parsed()) return cmd_check(check_path, check_json, check_dot);
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
