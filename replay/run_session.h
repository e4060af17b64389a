// Running scenarios: one run in this process, and sweeps of seeds over worker processes (SimGrid
// allows one engine per process; a sweep's workers each run seed after seed in theirs, see
// replay/seed_worker.h).
#pragma once

#include "replay/scenario_analysis.h"
#include "runtime/data_oracle.h"
#include "runtime/runtime_model.h"
#include "scenarios/scenario.h"
#include "simcore/decision_source.h"
#include "simcore/strategies.h"

#include <csignal>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ptosim::replay {

inline constexpr const char* TOOL_VERSION = "0.1.0";

struct RunResult {
  std::uint64_t seed = 0;
  std::string strategy = "random";  // what made the decisions: random, pct, replay, replay-lenient
  simcore::StrategySpec spec;        // the strategy asked for (its name and parameters)
  simcore::Outcome outcome = simcore::Outcome::pass;
  std::string summary;
  std::uint64_t digest = 0;
  TimeNs sim_time_ns = 0;
  std::uint32_t tasks = 0;            // tasks in the program
  std::uint32_t tasks_submitted = 0;  // submitted before the run ended
  std::uint32_t tasks_completed = 0;
  std::uint64_t events = 0;
  std::uint64_t decisions = 0;
  std::optional<runtime::RuntimeReport> report;
  std::optional<runtime::StateSnapshot> snapshot;
  std::vector<std::string> wait_chain;
  // What the oracles found (races, visibility hazards, flag protocol errors), beside the outcome.
  std::vector<simcore::Finding> findings;
  // The data oracle judged the run (it completed): final contents of every external tensor the
  // program writes, against the sequential program.
  bool data_checked = false;
  std::vector<runtime::TensorMismatch> mismatches;
  // Faults that fired at an instant (mte_hang), in the order the cores logged them.
  std::vector<hwmodel::FaultFired> faults_fired;
  // Where the simulated time went (run and replay; sweeps drop it).
  std::optional<runtime::TimingReport> timing;
  // Set instead of an outcome when the run could not complete (child crash, replay divergence).
  std::string failure;
  // The point of the scenario's uncertain region the run drew (pointer, value), in pointer order;
  // empty for a scenario without uncertain parameters.
  std::vector<scenarios::Override> point;
  // Wall time from hand-out to result, measured by the sweep's parent (0 when not measured).
  std::uint64_t wall_us = 0;
};

// What a run leaves behind for recordings and traces.
struct RunArtifacts {
  simcore::DecisionLog decisions;
  std::vector<simcore::Event> events;
  std::vector<runtime::Lane> lanes;
  std::vector<runtime::TaskSummary> tasks;  // per task ordinal
  // Micro-programs: what each operation occupied, their GM traffic, and the reads the data
  // oracle found stale (a judged run only).
  std::vector<hwmodel::PipeSlice> slices;
  std::vector<hwmodel::ProgramAccess> program_accesses;
  std::vector<runtime::StaleRead> stale_reads;
  simcore::HostLanes host_lanes;  // a2a3sim, when a trace is asked for
};

// How a decision log is fed back: strictly in order (a mismatch is a divergence), or leniently
// by key (clamped values, defaults where the log has nothing; never diverges).
enum class ReplayMode : std::uint8_t { strict, lenient };

// How one run makes its decisions: a strategy (random, pct), or a decision log fed back.
struct RunOptions {
  simcore::StrategySpec strategy;  // used when there is no replay log; pct steps resolved
  std::optional<simcore::DecisionLog> replay_log;
  ReplayMode mode = ReplayMode::strict;
  // The scenario's seed-independent analysis (task graph, races, data reference); computed by the
  // run when null. A sweep computes it once before its children fork.
  const ScenarioAnalysis* analysis = nullptr;
  // What the run's artifacts keep (when there are artifacts at all): the decision log for a
  // recording, the events and tasks for a trace.
  runtime::OutputPolicy keep;
};

// PCT places its change points over the decisions a run is expected to make. Estimated from the
// program alone (2 per task, plus 8), so that every run of a sweep, and a repeat of one of its
// seeds with `ptosim run`, uses the same estimate. Measured: 1.6 to 2.7 decisions per task over
// the catalogue and the benchmarks.
std::uint64_t estimate_pct_steps(const scenarios::Scenario& scenario);
// The spec with pct steps filled in from the estimate when they are 0.
simcore::StrategySpec resolve_strategy(const simcore::StrategySpec& spec, const scenarios::Scenario& scenario);

// Runs once in this process (at most once per process). With a replay log, decisions come from
// the log; in strict mode a mismatch throws simcore::DecisionDivergence. A completed run is judged
// by the data oracle: a read that observed another version than the sequential program turns
// `pass` into `wrong_values`.
RunResult run_scenario(const scenarios::Scenario& scenario, std::uint64_t seed, const RunOptions& options,
                       RunArtifacts* artifacts = nullptr);
RunResult run_scenario(const scenarios::Scenario& scenario, std::uint64_t seed,
                       const std::optional<simcore::DecisionLog>& replay_log = std::nullopt,
                       RunArtifacts* artifacts = nullptr, ReplayMode mode = ReplayMode::strict);

// A seed fails when it does not pass: an outcome other than `pass`, a finding, or a run that
// could not complete.
bool is_failing(const RunResult& result);
// A seed's outcome fails: an outcome other than `pass`, or a run that could not complete. A
// finding alone (a race on every seed) does not: it is a property of the program, and this
// counts what the schedule did with it.
bool is_outcome_failing(const RunResult& result);

// The seeds of a sweep: the range, or the I-th of N disjoint shards of it (seed - first = I-1
// modulo N), whose union is the range.
struct SeedSelection {
  scenarios::SeedRange range;
  std::uint32_t shard_index = 1;  // 1-based
  std::uint32_t shard_count = 1;

  bool sharded() const { return shard_count > 1; }
  std::uint64_t count() const;
  // The n-th seed of the selection (n < count()).
  std::uint64_t at(std::uint64_t n) const;
  // Whether `seed` is one of the selection's.
  bool contains(std::uint64_t seed) const;
  std::string shard_text() const;  // "I/N"
};
// Parses "I/N" (1 <= I <= N <= 100000); returns an empty string on success, else what is wrong.
std::string parse_shard(const std::string& text, SeedSelection& out);

struct SweepOptions {
  SeedSelection seeds;
  int jobs = 1;
  simcore::StrategySpec strategy;  // resolved (pct steps filled in)
  std::string snapshot_dir;        // empty: no snapshots; created when missing
  std::string record_dir;          // empty: none; else a recording (and snapshot) per failing seed
  std::uint64_t stop_after = 0;    // stop launching seeds once this many failed (0: never)
  bool stop_on_outcome = false;    // stop_after counts seeds whose outcome failed, not findings
  bool keep_seed_status = false;   // remember pass/fail of every seed (JUnit needs it)
  // Set (to the signal number) by a SIGINT/SIGTERM handler: every child is killed, the sweep
  // returns what finished.
  const volatile std::sig_atomic_t* stop_signal = nullptr;
  // Called after every finished seed and about once a second while children run.
  std::function<void(std::uint64_t done, std::uint64_t total, std::uint64_t failing)> progress;
};

// A sweep keeps every count but the details of at most this many runs that did not pass (the
// lowest seeds), so its memory stays bounded whatever the range.
inline constexpr std::size_t SWEEP_MAX_LISTED_RUNS = 10000;
inline constexpr std::uint64_t SWEEP_MAX_SEEDS = 10000000;

// What JUnit needs of every seed that ran (kept only when asked: keep_seed_status), to judge each
// seed against the expectations the way the sweep judges them all.
struct SeedStatus {
  enum class State : std::uint8_t { not_run, passed, failing, run_failed };
  State state = State::not_run;
  simcore::Outcome outcome = simcore::Outcome::pass;
  std::uint32_t finding_kinds = 0;  // bit k: a finding of kind k was reported
  std::vector<bool> patterns;       // [p]: expected pattern p (expected_patterns) matched
  std::int32_t error_code = -1;     // the runtime report's code; -1 without a report
  std::uint64_t wall_us = 0;        // measured by the parent, from hand-out to result
  std::vector<std::string> wrong_tensors;  // external tensors whose final contents were wrong
};

struct SweepSummary {
  std::uint64_t total = 0;  // seeds selected
  std::uint64_t runs = 0;   // seeds that finished
  std::vector<std::uint64_t> outcome_counts = std::vector<std::uint64_t>(simcore::OUTCOME_COUNT, 0);
  // Seeds on which each finding kind was reported at least once.
  std::vector<std::uint64_t> finding_counts = std::vector<std::uint64_t>(simcore::FINDING_KIND_COUNT, 0);
  // Seeds on which the scenario's expected finding patterns were reported (findings_always, then
  // findings_never, in the order of the expectations).
  std::vector<std::uint64_t> pattern_counts;
  // Per external tensor the data oracle reported on: seeds whose final contents were wrong.
  std::map<std::string, std::uint64_t> tensor_wrong_seeds;
  std::uint64_t failed_runs = 0;     // runs that ended with RunResult::failure
  std::uint64_t failing = 0;         // seeds that failed (is_failing)
  std::uint64_t outcome_failing = 0;  // seeds whose outcome failed (is_outcome_failing)
  std::optional<std::uint64_t> first_failing_seed;
  std::optional<std::uint64_t> first_outcome_failing_seed;
  std::vector<RunResult> not_passing;  // failing seeds, in seed order, at most SWEEP_MAX_LISTED_RUNS
  std::uint64_t not_passing_unlisted = 0;
  std::vector<std::string> output_errors;  // snapshot or recording files that could not be written
  std::uint64_t recordings_written = 0;
  bool stopped_early = false;  // --stop-after reached
  int interrupted_by = 0;      // the signal that stopped the sweep, 0 if none
  // With keep_seed_status: per selected seed, in selection order.
  std::vector<SeedStatus> seed_status;
};

// Failure rate with its 95% Wilson score interval.
struct FailureRate {
  double value = 0;
  double low = 0;
  double high = 0;
};
FailureRate failure_rate(std::uint64_t failing, std::uint64_t runs);

SweepSummary sweep(const scenarios::Scenario& scenario, const SweepOptions& options);

// Whether a finding matches an expectation's pattern (kind, and for races hazard and task names).
bool finding_matches(const scenarios::FindingPattern& pattern, const simcore::Finding& finding);

struct ExpectationCheck {
  bool holds = true;
  std::vector<std::string> violations;
};

// Checks a sweep against expectations (a scenario without `expect` must pass on every seed).
ExpectationCheck check_expectations(const std::optional<scenarios::Expectations>& expect, const SweepSummary& summary);

}  // namespace ptosim::replay
