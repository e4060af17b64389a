// A loaded, validated scenario: the model input (platform, runtime configuration, kernels and the
// expanded program) plus its identity and expectations.
#pragma once

#include "simcore/outcome.h"
#include "runtime/model_input.h"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ptosim::scenarios {

inline constexpr int SCENARIO_FORMAT_VERSION = 1;
// Bounds on what one scenario may expand to; exceeding them is invalid input, not a hang.
inline constexpr std::uint64_t MAX_PROGRAM_TASKS = 1'000'000;
inline constexpr std::uint64_t MAX_PROGRAM_OPS = 2'000'000;
// The loader's own work is bounded too, not only what it produces: every statement expanded,
// loop iteration, argument, view step and dependency entry evaluated is one step. Loops whose
// bodies produce nothing would otherwise run unbounded (8e6 x 8e6 empty iterations).
// The budget stops a runaway expansion within about a second (a step costs 0.2 to 1 us, and about
// 40 bytes of program when it produces tasks); the biggest program shipped, paged attention Case1
// (scenarios/bench, 65,792 tasks), takes 1,100,309 steps of it.
inline constexpr std::uint64_t MAX_EXPANSION_STEPS = 4'000'000;
// GM runs of contiguous elements over all arguments of the program (each at most 1,048,576): the
// race detector, the data oracle and GM keep work per run, so `check` and a run stay within
// seconds (about 1 us per run in the race detector).
inline constexpr std::uint64_t MAX_TOTAL_ARG_RUNS = 4'000'000;
inline constexpr std::size_t MAX_PROGRAM_PARAMS = 1'000;
// Identifiers (kernels, tensors, parameters, loop variables) and task name templates.
inline constexpr std::size_t MAX_NAME_LENGTH = 256;
inline constexpr std::int64_t MAX_BLOCK_NUM = 4096;  // blocks of one SPMD task

struct SeedRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
  std::uint64_t count() const { return last - first + 1; }
};

// Parses "A..B" (inclusive, A <= B); returns an empty string on success, else what is wrong.
std::string parse_seed_range(const std::string& text, SeedRange& out);
// Parses a decimal integer in 0..2^64-1 (digits only).
bool parse_u64(const std::string& text, std::uint64_t& out);

// A finding a sweep looks for: a kind and, for races, optionally the hazard and the two tasks
// (by name, as the finding's `first` and `second` name them). Empty fields match anything.
struct FindingPattern {
  simcore::FindingKind kind = simcore::FindingKind::race;
  std::string hazard;  // "RAW", "WAR" or "WAW"
  std::string first;   // task name of the earlier access
  std::string second;  // task name of the later access
};
std::string to_string(const FindingPattern& pattern);

// The share of seeds that must end in `outcome`, in whole percent of the seeds that ran.
struct OutcomeRate {
  simcore::Outcome outcome = simcore::Outcome::pass;
  std::int64_t min_percent = 0;
  std::int64_t max_percent = 100;
};

// What a sweep over `seeds` must show. Every listed constraint must hold.
struct Expectations {
  SeedRange seeds;
  std::vector<simcore::Outcome> always;     // every seed ends in one of these
  std::vector<simcore::Outcome> sometimes;  // each of these appears at least once
  std::vector<simcore::Outcome> never;      // none of these appears
  std::optional<int> error_code;            // every seed with a runtime report carries this code
  std::vector<OutcomeRate> rates;           // bounds on the share of seeds per outcome
  std::vector<FindingPattern> findings_always;  // reported on every seed
  std::vector<FindingPattern> findings_never;   // reported on no seed
  std::vector<std::string> correct_tensors;     // external tensors whose final contents always match
};

// How much of the loader's budgets a scenario used (`check --json` reports it).
struct LoaderWork {
  std::uint64_t expansion_steps = 0;  // of MAX_EXPANSION_STEPS
  std::uint64_t argument_runs = 0;    // of MAX_TOTAL_ARG_RUNS
};

// A parameter the scenario does not know (`uncertain`): a JSON pointer into the file and the
// values a user could plausibly meet there. Each run draws one value (a keyed decision whose
// default is the file's own, nominal value) and runs the scenario with it (scenarios/uncertain.h).
enum class UncertainKind : std::uint8_t {
  range,      // an integer in [lo, hi], every value equally likely
  log_range,  // an integer in [lo, hi], every doubling equally likely (1 <= lo)
  list,       // one of `values`, each equally likely
};
const char* to_string(UncertainKind kind);

inline constexpr std::size_t MAX_UNCERTAIN_PARAMS = 64;
inline constexpr std::size_t MAX_UNCERTAIN_VALUES = 64;  // values of one list
inline constexpr std::int64_t MAX_UNCERTAIN_VALUE = std::int64_t{1} << 53;

struct UncertainParam {
  std::string pointer;  // into the scenario, e.g. "/platform/host_cpus"
  UncertainKind kind = UncertainKind::range;
  std::int64_t lo = 0;  // range and log_range, inclusive
  std::int64_t hi = 0;
  std::vector<std::string> values;  // list: each value as compact JSON text
  std::string nominal;              // the file's value at `pointer`, as compact JSON text
  std::uint64_t nominal_index = 0;  // list: the position of the nominal value in `values`
  std::int64_t nominal_value = 0;   // range and log_range: the nominal value
  std::string description;          // why this range (optional)
};

struct Scenario {
  LoaderWork work;
  std::string path;
  std::string text;        // the file's bytes, so recordings can embed it
  std::uint64_t text_hash = 0;
  std::string name;
  std::string description;
  runtime::ModelInput model;
  std::optional<Expectations> expect;
  // Valid but almost certainly not what was meant (e.g. a scope that can never fit its window).
  std::vector<std::string> warnings;
  // The --set overrides applied to the file ("PATH=VALUE"), so a command can be repeated; `text`
  // already holds the overridden document.
  std::vector<std::string> overrides;
  // The parameters declared uncertain and not pinned (by --set or --nominal), sorted by pointer.
  // Empty for a scenario without `uncertain`, which runs exactly as it always did.
  std::vector<UncertainParam> uncertain;
  // --nominal: `uncertain` was dropped, the scenario runs as written (repro commands repeat it).
  bool nominal = false;
  // The largest platform any point of the uncertain region asks for (a superset of hosts for the
  // processes that run seeds at different points); the scenario's own without `uncertain`.
  int max_clusters = 0;
  int max_scheduler_threads = 0;
};

// One `--set PATH=VALUE`: PATH is a JSON pointer into the scenario, VALUE is JSON when it parses as
// JSON and a string otherwise.
struct Override {
  std::string pointer;
  std::string value;
};

// Bad input: the file, the JSON pointer of the offending field, and what was expected.
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string file, std::string pointer, std::string problem);
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_;
  std::string pointer_;
  std::string problem_;
};

Scenario load_scenario_file(const std::string& path);
// The file's bytes; a ScenarioError naming the path when it is a directory or cannot be read.
std::string read_scenario_file(const std::string& path);
// The file with overrides applied before validation (the overridden document is the text that is
// hashed and recorded). A pointer into a missing field or past an array's end is a ScenarioError.
// An override of a declared uncertain parameter (its pointer, or a field inside its value) pins
// it: the parameter leaves `uncertain` and keeps the value given. `nominal` drops `uncertain`
// altogether: the file as written.
Scenario load_scenario_file(const std::string& path, const std::vector<Override>& overrides, bool nominal = false);
std::string apply_overrides(const std::string& text, const std::string& origin, const std::vector<Override>& overrides);
// The text without its `uncertain` section (the same text when it has none).
std::string drop_uncertain(const std::string& text, const std::string& origin);
// Parses "PATH=VALUE"; returns an empty string on success, else what is wrong.
std::string parse_override(const std::string& text, Override& out);
// `origin` names the text in error messages (a path, or "<recording>").
Scenario load_scenario_text(const std::string& text, const std::string& origin);

}  // namespace ptosim::scenarios
