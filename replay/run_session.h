// Running scenarios: one run in this process, and sweeps of seeds over child processes (SimGrid
// allows one engine per process, so every seed of a sweep runs in its own fork).
#pragma once

#include "runtime/runtime_model.h"
#include "scenarios/scenario.h"
#include "simcore/decision_source.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ptosim::replay {

inline constexpr const char* TOOL_VERSION = "0.1.0";

struct RunResult {
  std::uint64_t seed = 0;
  std::string strategy = "random";
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
  // Where the simulated time went (run and replay; sweeps drop it).
  std::optional<runtime::TimingReport> timing;
  // Set instead of an outcome when the run could not complete (child crash, replay divergence).
  std::string failure;
};

// What a run leaves behind for recordings and traces.
struct RunArtifacts {
  simcore::DecisionLog decisions;
  std::vector<simcore::Event> events;
  std::vector<runtime::Lane> lanes;
  std::vector<runtime::TaskSummary> tasks;  // per task ordinal
};

// How a decision log is fed back: strictly in order (a mismatch is a divergence), or leniently
// by key (clamped values, defaults where the log has nothing; never diverges).
enum class ReplayMode : std::uint8_t { strict, lenient };

// Runs once in this process (at most once per process). With `replay_log`, decisions come from
// the log; in strict mode a mismatch throws simcore::DecisionDivergence.
RunResult run_scenario(const scenarios::Scenario& scenario, std::uint64_t seed,
                       const std::optional<simcore::DecisionLog>& replay_log = std::nullopt,
                       RunArtifacts* artifacts = nullptr, ReplayMode mode = ReplayMode::strict);

struct SweepOptions {
  scenarios::SeedRange seeds;
  int jobs = 1;
  std::string snapshot_dir;  // empty: no snapshots; created when missing
  std::function<void(std::uint64_t done, std::uint64_t total, std::uint64_t failing)> progress;
};

// A sweep keeps every count but the details of at most this many runs that did not pass (the
// lowest seeds), so its memory stays bounded whatever the range.
inline constexpr std::size_t SWEEP_MAX_LISTED_RUNS = 10000;
inline constexpr std::uint64_t SWEEP_MAX_SEEDS = 10000000;

struct SweepSummary {
  std::uint64_t runs = 0;
  std::vector<std::uint64_t> outcome_counts = std::vector<std::uint64_t>(simcore::OUTCOME_COUNT, 0);
  // Seeds on which each finding kind was reported at least once.
  std::vector<std::uint64_t> finding_counts = std::vector<std::uint64_t>(simcore::FINDING_KIND_COUNT, 0);
  std::uint64_t failed_runs = 0;     // runs that ended with RunResult::failure
  std::vector<RunResult> not_passing;  // did not pass or failed, in seed order
  std::uint64_t not_passing_unlisted = 0;
  std::vector<std::string> output_errors;  // snapshot files that could not be written
};

SweepSummary sweep(const scenarios::Scenario& scenario, const SweepOptions& options);

struct ExpectationCheck {
  bool holds = true;
  std::vector<std::string> violations;
};

// Checks a sweep against expectations (a scenario without `expect` must pass on every seed).
ExpectationCheck check_expectations(const std::optional<scenarios::Expectations>& expect, const SweepSummary& summary);

}  // namespace ptosim::replay
