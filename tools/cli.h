// Shared pieces of the ptosim command line: exit codes, output-file handling, result printing and
// the entry point of each command. Each command lives in its own file (cmd_<name>.cpp); main()
// in ptosim.cpp only declares flags, dispatches and maps errors to exit codes.
#pragma once

#include "replay/report_json.h"
#include "replay/run_session.h"
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
  EXIT_FINDINGS = 7,  // `check`: the task graph has findings (races)
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
};

int cmd_sweep(const SweepArgs& args);
int cmd_merge(const std::vector<std::string>& files, bool json);

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
