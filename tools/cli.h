// Shared pieces of the ptosim command line: exit codes, output-file handling, result printing and
// the entry point of each command. Each command lives in its own file (cmd_<name>.cpp); main()
// in ptosim.cpp only declares flags, dispatches and maps errors to exit codes.
#pragma once

#include "replay/failure_map.h"
#include "replay/report_json.h"
#include "replay/run_session.h"
#include "replay/sweep_plan.h"
#include "scenarios/scenario.h"

#include <csignal>
#include <cstdint>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace ptosim::cli {

// Exit codes: 0 and 10..15 are outcomes, the rest are about the tool and its input.
enum ExitCode : int {
  EXIT_PASS = 0,
  EXIT_INTERNAL = 1,
  EXIT_USAGE = 2,
  EXIT_INVALID_INPUT = 3,
  EXIT_REPLAY_MISMATCH = 4,
  EXIT_EXPECTATIONS = 5,
  EXIT_OUTPUT = 6,
  EXIT_FINDINGS = 7,  // `check`: findings (races in the task graph, kernel-program hazards)
  // sweep, shard, merge, map: a run could not complete (it crashed, or its worker was killed).
  // Not an outcome and not a verdict on the expectations: the tool could not measure that seed.
  EXIT_RUNS_FAILED = 8,
  // A sweep stopped by SIGINT or SIGTERM: 128 + the signal number, as a shell reports it.
  EXIT_INTERRUPTED_BASE = 128,
};

int exit_code_for(simcore::Outcome outcome);

// Stop signals (SIGINT, SIGTERM, SIGHUP) are handled from the first line of main(), before any
// flag is parsed or file read, so that no signal finds the process without its handler. A command
// that stops cleanly on a signal (`sweep`: the partial summary, no worker left) is `deferred`: the
// handler only records the signal, and the command polls stop_signal_flag() and exits 128+signal.
// Every other command is short and writes its files atomically: the handler records the signal,
// then dies of it with the default action, as the process would without a handler.
void install_stop_signals(bool deferred);
// The first stop signal received, 0 while there is none. The address is stable for the process.
volatile std::sig_atomic_t* stop_signal_flag();
// The exit code of a deferred command that returned `code` while `signal_number` was recorded:
// 128+signal unless the command already reported an interruption (any code of 128 or more).
int exit_code_after_signal(int code, int signal_number);

// Levenshtein distance, to suggest the command or flag that a misspelt one meant.
std::size_t edit_distance(const std::string& a, const std::string& b);

// Output files of one command: written before the result is printed, failures collected. The
// path "-" writes to stdout; the command's own result then goes to stderr (see result_stream).
class Outputs {
 public:
  // Throws CLI-usage errors when more than one of `paths` is "-".
  explicit Outputs(std::initializer_list<const std::string*> paths = {});

  // Where the command prints its result: stdout, unless an output file goes there.
  std::ostream& result_stream() const { return stdout_taken_ ? std::cerr : std::cout; }

  void write(const char* what, const std::string& path, const std::string& text) {
    if (path.empty()) return;
    if (path == "-") {
      std::cout << text << std::flush;
      if (!std::cout) {
        errors_.push_back(std::string("cannot write the ") + what + " to stdout");
      } else {
        written_.emplace_back(what, "-");
      }
      return;
    }
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
      for (const auto& [what, path] : written_) {
        result_stream() << what << " written to " << (path == "-" ? std::string("stdout") : path) << "\n";
      }
    }
    for (const std::string& message : errors_) std::cerr << "error: " << message << "\n";
  }
  // The outcome's code, unless an output file could not be written.
  int exit_code(int outcome_code) const { return failed() ? static_cast<int>(EXIT_OUTPUT) : outcome_code; }

 private:
  std::vector<std::pair<std::string, std::string>> written_;
  std::vector<std::string> errors_;
  bool stdout_taken_ = false;
};

void print_result(std::ostream& out, const replay::RunResult& result);
void print_warnings(const scenarios::Scenario& scenario);
// Reports an error in the --json shape as well as on stderr, and returns its exit code.
int report_error(bool json, const char* kind, const std::string& message, int code);

// What every command that runs a scenario accepts: --set overrides and the strategy.
struct ScenarioArgs {
  std::string scenario;
  std::vector<std::string> sets;  // --set PATH=VALUE
  bool nominal = false;           // --nominal: the uncertain parameters at their nominal values
  std::string strategy = "random";
  std::uint32_t depth = 2;
  std::uint64_t pct_steps = 0;  // 0: estimated from the program

  // Loads the scenario with its overrides (usage error for a malformed --set).
  scenarios::Scenario load() const;
  // The strategy spec, resolved for `scenario` (usage error for a bad one).
  simcore::StrategySpec strategy_spec(const scenarios::Scenario& scenario) const;
};

struct RunArgs : ScenarioArgs {
  std::uint64_t seed = 0;
  bool json = false;
  std::string record;
  std::string trace;
  std::string snapshot;
  bool check_determinism = false;
};

int cmd_run(const RunArgs& args);
// `lenient`: decisions by key, clamped, defaults where the log has none; never a divergence.
int cmd_replay(const std::string& path, bool json, const std::string& trace, bool lenient);

struct SweepArgs : ScenarioArgs {
  std::string program = "ptosim";  // argv[0], for repro commands
  std::string seeds;               // empty: the scenario's expect.seeds
  int jobs = 0;                    // 0: the number of cores
  bool json = false;
  std::string snapshot_dir;
  std::string shard;
  bool judge = false;  // a shard judges the expectations only when asked
  std::string junit;
  std::string record_failures;
  std::uint64_t stop_after = 0;
  std::string stop_on = "any";  // what --stop-after counts: any failing seed, or failing outcomes only
  std::string write_plan;       // write the plan here and run nothing
};

struct MapArgs : ScenarioArgs {
  std::string program = "ptosim";
  std::vector<std::string> vary;  // --vary PTR=SPEC
  std::size_t points = 0;         // --points N: random points instead of a grid
  std::string seeds;
  int jobs = 0;
  bool json = false;
  bool csv = false;
  std::string svg;
  std::string shard;
  std::string write_plan;
};

struct WorkerArgs {
  std::string plan;
  int jobs = 1;
};

int cmd_sweep(const SweepArgs& args);
int cmd_map(const MapArgs& args);
int cmd_worker(const WorkerArgs& args);
// Shards of a sweep, shards of a map, or worker outputs of one plan, combined.
int cmd_merge(const std::vector<std::string>& files, bool json);

// A map as a Markdown table, one row per cell: it pastes into a scenario's description as it is
// (cmd_map.cpp).
void print_map_table(std::ostream& out, const replay::MapDocument& map);

// Pieces shared by sweep, map and worker (cmd_sweep.cpp).
int default_jobs();
// Runs that could not complete (a crash, a killed worker): the `error` object of the JSON
// ({"kind": "runs_failed", "message", "exit_code": 8, "failed_runs", "seeds"}, docs/outputs.md)
// and the text line; nothing when every run completed.
replay::Json runs_failed_error(const replay::SweepSummary& summary);
void print_runs_failed(std::ostream& out, const replay::SweepSummary& summary);
// 128+signal when interrupted, else 8 when a run could not complete, else 5 when judged and the
// expectations do not hold, else 0.
int sweep_exit_code(const replay::SweepSummary& summary, bool judged, bool holds);
// A map's: 8 when a run of any cell could not complete, else 0 (a map judges nothing).
int map_exit_code(const std::vector<replay::SweepSummary>& summaries);
// --seeds (default: the scenario's expect.seeds) and --shard; usage errors for bad ones.
replay::SeedSelection seed_selection(const std::string& seeds, const std::string& shard, const scenarios::Scenario& scenario);
// The plan of running `scenario` (loaded with `args`) over `seeds`, one cell.
replay::SweepPlan plan_for(const ScenarioArgs& args, const std::string& program, const scenarios::Scenario& scenario,
                           const replay::SeedSelection& seeds);
// --write-plan FILE: the plan's JSON, atomically (OutputFileError when it cannot be written).
void write_plan(const replay::SweepPlan& plan, const std::string& path, bool json);

struct ShrinkArgs {
  std::string recording;
  std::string output;
  std::uint64_t max_runs = 200;
  bool json = false;
};
int cmd_shrink(const ShrinkArgs& args);
int cmd_check(const ScenarioArgs& args, bool json, bool dot);
int cmd_inspect(const std::string& path, bool dot, bool json, bool all_tasks);

}  // namespace ptosim::cli
