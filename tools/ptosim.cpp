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

constexpr const char* COMMANDS[] = {"run", "replay", "sweep", "map", "worker", "merge", "shrink", "check", "inspect"};

// --set and the strategy flags, shared by the commands that run a scenario.
void add_scenario_flags(CLI::App* command, ScenarioArgs& args, bool strategy) {
  command->add_option("scenario", args.scenario, "Scenario JSON file")->required();
  command->add_option("--set", args.sets,
                      "Override a scenario field before validation, PATH=VALUE with PATH a JSON pointer "
                      "(--set /platform/clusters=8); VALUE is JSON, or a string when it is not. Repeatable; "
                      "recordings keep the overridden scenario. A --set of a parameter the scenario declares "
                      "uncertain pins it");
  command->add_flag("--nominal", args.nominal,
                    "Pin every uncertain parameter at its nominal value: the scenario as written, without draws");
  if (!strategy) return;
  command->add_option("--strategy", args.strategy, "random (default) or pct (priority change points)")
      ->check(CLI::IsMember({"random", "pct"}));
  command->add_option("--depth", args.depth, "pct: bug depth d, the number of priority change points + 1 (default 2)")
      ->check(CLI::Range(1u, simcore::PCT_MAX_DEPTH));
  command->add_option("--pct-steps", args.pct_steps,
                      "pct: decisions a run is expected to make, over which change points are placed (default: "
                      "2 per task + 8)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
}

// An output option given with an empty name is a mistake, not a request to skip the output.
const CLI::Validator OUTPUT_PATH(
    [](const std::string& text) { return text.empty() ? std::string("expected a file name (or - for stdout)") : std::string(); },
    "FILE");

// --json anywhere before a "--" asks for the JSON error shape, even when parsing fails.
bool json_requested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--json") return true;
  }
  return false;
}

// The known option that an unknown `--word` most likely meant, or "".
std::string closest_option(const CLI::App& command, const std::string& typed) {
  std::string best;
  std::size_t best_distance = 0;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) {
      const std::size_t distance = edit_distance(typed, "--" + name);
      if (best.empty() || distance < best_distance) {
        best = "--" + name;
        best_distance = distance;
      }
    }
  }
  // A suggestion further away than a third of the word is noise.
  return !best.empty() && best_distance * 3 <= typed.size() ? best : std::string();
}

// A usage error: the parser's message, the flag that was probably meant, and where to look.
std::string usage_message(const CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
  std::string message = error.what();
  const CLI::App* command = &app;
  for (const CLI::App* sub : app.get_subcommands()) command = sub;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() < 3 || arg.rfind("--", 0) != 0) continue;
    const std::string name = arg.substr(0, arg.find('='));
    if (command->get_option_no_throw(name) != nullptr || name == "--help" || name == "--version") continue;
    const std::string suggestion = closest_option(*command, name);
    if (!suggestion.empty()) message += " (did you mean " + suggestion + "?)";
  }
  return message + "; see `ptosim " + (command == &app ? std::string() : command->get_name() + " ") + "--help`";
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything else: a signal in the first milliseconds finds its handler (cli.h).
  // sweep, map and worker stop on a signal themselves (partial summary, no worker left).
  const std::string first = argc > 1 ? argv[1] : "";
  install_stop_signals(first == "sweep" || first == "map" || first == "worker");
  // Named here, so that Usage: lines say "ptosim" rather than the path the binary was started from.
  CLI::App app{"ptosim: deterministic simulator of the PTO2 tensormap_and_ringbuffer runtime and its AI cores.\n"
               "Exit codes: 0 pass; 10 wrong_values, 11 hang, 12 deadlock_true, 13 deadlock_false, 14 runtime_error,\n"
               "15 sim_limit; 1 internal error, 2 usage, 3 invalid input, 4 replay mismatch, 5 sweep expectations\n"
               "not met, 6 cannot write an output file, 7 check found program-level findings (race, visibility_hazard,\n"
               "flag_protocol, dropped_dependency), 8 a run of\n"
               "a sweep, shard, merge or map could not complete (a crash, a killed worker), 129/130/143 sweep or\n"
               "map stopped by SIGHUP/SIGINT/SIGTERM. See docs/exit-codes.md.",
               "ptosim"};
  app.set_version_flag("--version", std::string("ptosim ") + replay::TOOL_VERSION);
  app.require_subcommand(1);

  RunArgs run_args;
  CLI::App* run = app.add_subcommand("run", "Run a scenario once with one seed; exit code = the outcome's");
  run->add_option("--seed", run_args.seed, "Root seed of the run, 0..2^64-1 (default 0)")
      ->check(CLI::Validator(
          [](const std::string& text) {
            std::uint64_t value = 0;
            return scenarios::parse_u64(text, value) ? std::string()
                                                     : "expected a seed in 0..18446744073709551615, found '" + text + "'";
          },
          "SEED"));
  // After --seed, so that a mistyped --sed suggests --seed before --set.
  add_scenario_flags(run, run_args, true);
  run->add_flag("--json", run_args.json, "Print one JSON object instead of text");
  run->add_option("--record", run_args.record, "Write a recording (scenario, seed, decision log) for `ptosim replay`")->check(OUTPUT_PATH);
  run->add_option("--trace", run_args.trace, "Write a Chrome trace-event JSON file (open it in Perfetto)")->check(OUTPUT_PATH);
  run->add_option("--snapshot", run_args.snapshot, "Write the runtime snapshot taken when a detector fired")->check(OUTPUT_PATH);
  run->add_flag("--check-determinism", run_args.check_determinism,
                "Run twice, one after the other in one engine as a sweep's worker does, and replay the first run's "
                "decision log strictly in a fresh process; all three digests must agree (exit 4 when they do not), "
                "else the exit code is the outcome's");

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
  rep->add_option("--trace", replay_trace, "Write a Chrome trace-event JSON file of the replay")->check(OUTPUT_PATH);

  SweepArgs sweep_args;
  sweep_args.program = argv[0];
  CLI::App* swp = app.add_subcommand(
      "sweep",
      "Run seeds A..B in worker processes (--jobs of them, each running seed after seed; a worker that dies fails "
      "its seed alone); exit 0 only if the scenario's expect holds (without expect: every seed must pass; a shard "
      "judges only with --judge). SIGINT/SIGTERM stop every worker, print the partial summary and exit "
      "128+signal");
  add_scenario_flags(swp, sweep_args, true);
  swp->add_option("--seeds", sweep_args.seeds,
                  "Inclusive seed range A..B (at most 10,000,000 seeds; default: the scenario's expect.seeds)");
  swp->add_option("--jobs,-j", sweep_args.jobs, "Worker processes at once (default: the number of cores)")
      ->check(CLI::Range(1, 256));
  swp->add_option("--shard", sweep_args.shard,
                  "Run only shard I of N (seeds with (seed - A) mod N = I - 1); `ptosim merge` combines the shards");
  swp->add_flag("--judge", sweep_args.judge, "With --shard: let this shard's expectations decide the exit code");
  swp->add_option("--junit", sweep_args.junit, "Write JUnit XML: one test case per seed, failures with a repro command")
      ->check(OUTPUT_PATH);
  swp->add_option("--record-failures", sweep_args.record_failures,
                  "Write seed-<N>.recording.json (and seed-<N>.snapshot.json when there is one) here for every "
                  "failing seed (created if missing)")
      ->check(CLI::Validator(
          [](const std::string& text) { return text.empty() ? std::string("expected a directory name") : std::string(); },
          "DIR"));
  swp->add_option("--stop-after", sweep_args.stop_after,
                  "Stop launching seeds once K seeds failed, as --stop-on counts them (with --jobs above 1, seeds "
                  "already running finish)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  swp->add_option("--stop-on", sweep_args.stop_on,
                  "What --stop-after counts: any (default: a seed with a failing outcome or a finding, as "
                  "failure_rate counts) or outcome (an outcome other than pass, as outcome_failure_rate counts)")
      ->check(CLI::IsMember({"any", "outcome"}));
  swp->add_flag("--json", sweep_args.json, "Print one JSON object instead of text");
  swp->add_option("--snapshot-dir", sweep_args.snapshot_dir,
                  "Write seed-<N>.snapshot.json here (created if missing) for every seed that did not pass and has a "
                  "snapshot")
      ->check(CLI::Validator(
          [](const std::string& text) { return text.empty() ? std::string("expected a directory name") : std::string(); },
          "DIR"));

  swp->add_option("--write-plan", sweep_args.write_plan,
                  "Write the sweep's plan (scenario text, overrides, strategy, seeds) as JSON for `ptosim worker "
                  "--plan` and run nothing")
      ->check(OUTPUT_PATH);

  MapArgs map_args;
  map_args.program = argv[0];
  CLI::App* map = app.add_subcommand(
      "map",
      "Run the same seeds at every point of a grid over one or two parameters (or at N random points over more) and "
      "count each cell as a sweep counts: where a bug lives. A cell pins its point as --set would; other uncertain "
      "parameters are still drawn per seed. Exit 0 unless an output failed or a signal stopped it");
  add_scenario_flags(map, map_args, true);
  map->add_option("--vary", map_args.vary,
                  "PTR=SPEC, repeatable (twice for a grid over two parameters). SPEC: v1,v2,... (JSON values), a JSON "
                  "array, A..B:N (N integers evenly spaced), log:A..B:N (evenly spaced on the log scale), A..B (every "
                  "integer; with --points, uniform draws), log:A..B (log-uniform draws with --points)");
  map->add_option("--points", map_args.points,
                  "N random points over the --vary specs (default: over the scenario's uncertain parameters) instead "
                  "of a grid")
      ->check(CLI::Range(std::size_t{1}, replay::PLAN_MAX_CELLS));
  map->add_option("--seeds", map_args.seeds, "Inclusive seed range A..B run in every cell (default: expect.seeds)");
  map->add_option("--jobs,-j", map_args.jobs, "Child processes at once (default: the number of cores)")->check(CLI::Range(1, 256));
  map->add_option("--shard", map_args.shard, "Run only shard I of N of the seeds, in every cell; `ptosim merge` combines them");
  auto* map_json_flag = map->add_flag("--json", map_args.json, "Print one JSON object (cells with sweep-shaped counts)");
  map->add_flag("--csv", map_args.csv, "Print CSV, one row per cell")->excludes(map_json_flag);
  map->add_option("--svg", map_args.svg,
                  "Write an SVG picture: one parameter, the rate with its interval per value; two, a heatmap")
      ->check(OUTPUT_PATH);
  map->add_option("--write-plan", map_args.write_plan, "Write the map's plan as JSON for `ptosim worker --plan` and run nothing")
      ->check(OUTPUT_PATH);

  WorkerArgs worker_args;
  CLI::App* wrk = app.add_subcommand(
      "worker",
      "Run tickets of a plan (written by sweep/map --write-plan) for an external engine: read lines `SEED` or "
      "`CELL SEED` (or `A..B`, every seed of a range in every cell) on stdin, write one JSON line per finished run on "
      "stdout between a header line naming the plan and an end line; `ptosim merge` folds the outputs of the workers "
      "of one plan into the sweep's (or the map's) counts");
  wrk->add_option("--plan", worker_args.plan, "The plan's JSON file")->required();
  wrk->add_option("--jobs,-j", worker_args.jobs, "Child processes at once (default 1)")->check(CLI::Range(1, 256));

  std::vector<std::string> merge_files;
  bool merge_json = false;
  CLI::App* mrg = app.add_subcommand(
      "merge",
      "Combine the --json outputs of the shards of one sweep (or one map, cell by cell, or the counts of workers "
      "of one plan) into one JSON and judge the scenario's expectations over all of them (a map judges none); exit "
      "0 when they hold, 5 when not");
  mrg->add_option("shards", merge_files,
                  "sweep or map --json outputs, one per shard (every shard exactly once), or worker outputs")
      ->required();
  mrg->add_flag("--json", merge_json, "Print the merged JSON instead of text");

  ShrinkArgs shrink_args;
  CLI::App* shr = app.add_subcommand(
      "shrink",
      "Reduce a failing recording: decisions move to their defaults while the outcome (and runtime code and "
      "findings) stays the same; one child process per candidate. Writes a recording that `replay` reproduces");
  shr->add_option("recording", shrink_args.recording, "Recording of a run that did not pass")->required();
  shr->add_option("-o,--output", shrink_args.output, "Where to write the shrunk recording (default: <recording>.shrunk.json)")
      ->check(OUTPUT_PATH);
  shr->add_option("--max-runs", shrink_args.max_runs, "At most this many candidate runs (default 200)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000000}));
  shr->add_flag("--json", shrink_args.json, "Print one JSON object instead of text");

  ScenarioArgs check_args;
  bool check_json = false;
  bool check_dot = false;
  CLI::App* chk = app.add_subcommand(
      "check",
      "Validate a scenario and analyse it without running it: task graph size, width, critical path, and the program-level "
      "findings, decided from the program text as run and sweep report them: race (tasks of the graph, blocks of an SPMD task or "
      "cores of a MIX task with nothing ordering them), visibility_hazard (a signal or FIN that can overtake an unfenced "
      "store, scalar stores dirty at exit), flag_protocol (pipe flags, cross-core flags, block sync, signal cells) and "
      "dropped_dependency (a TensorMap lookup cap that drops a writer). Exit 7 when there is any finding, of any of these "
      "kinds, not only races; 0 when there is none");
  add_scenario_flags(chk, check_args, false);
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
  bool inspect_all = false;
  ins->add_flag("--all", inspect_all, "List every live task of every ring, not only the head of the blocked ring");

  const bool wants_json = json_requested(argc, argv);
  // CLI11 reports an unknown first word as a missing subcommand; name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const char* command : COMMANDS) known = known || std::string(argv[1]) == command;
    if (!known) {
      std::string closest;
      std::size_t closest_distance = 0;
      for (const char* command : COMMANDS) {
        const std::size_t distance = edit_distance(argv[1], command);
        if (closest.empty() || distance < closest_distance) {
          closest = command;
          closest_distance = distance;
        }
      }
      return report_error(wants_json, "usage",
                          std::string("unknown command '") + argv[1] + "'" +
                              (closest_distance <= 2 ? " (did you mean " + closest + "?)" : std::string()) +
                              "; commands: run, replay, sweep, map, worker, merge, shrink, check, inspect; see `ptosim --help`",
                          EXIT_USAGE);
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_error(wants_json, "usage", usage_message(app, e, argc, argv), EXIT_USAGE);
  }

  const bool json = (run->parsed() && run_args.json) || (rep->parsed() && replay_json) ||
                    (swp->parsed() && sweep_args.json) || (mrg->parsed() && merge_json) ||
                    (map->parsed() && map_args.json) || wrk->parsed() ||
                    (shr->parsed() && shrink_args.json) || (chk->parsed() && check_json) ||
                    (ins->parsed() && inspect_json);
  // A signal the sweep or map did not stop on (one before its own handler, or one between its
  // last seed and its exit) still ends the process as interrupted, never as a clean pass.
  const auto after_signal = [](const char* command, int code) {
    const int signal_number = *stop_signal_flag();
    if (signal_number != 0 && code < EXIT_INTERRUPTED_BASE) {
      std::cerr << command << ": interrupted by signal " << signal_number
                << " (received before the " << command << " could stop on it)\n";
    }
    return exit_code_after_signal(code, signal_number);
  };
  try {
    if (run->parsed()) return cmd_run(run_args);
    if (rep->parsed()) return cmd_replay(replay_path, replay_json, replay_trace, replay_lenient);
    if (swp->parsed()) return after_signal("sweep", cmd_sweep(sweep_args));
    if (map->parsed()) return after_signal("map", cmd_map(map_args));
    if (wrk->parsed()) return cmd_worker(worker_args);
    if (mrg->parsed()) return cmd_merge(merge_files, merge_json);
    if (shr->parsed()) return cmd_shrink(shrink_args);
    if (chk->parsed()) return cmd_check(check_args, check_json, check_dot);
    if (ins->parsed()) return cmd_inspect(inspect_path, inspect_dot, inspect_json, inspect_all);
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
