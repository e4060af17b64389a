// The fold of a sweep: what a sweep, a map's cell and a merge count. Pure: it reads results and
// summaries and writes no file, starts no process and reads no clock, so the same code counts the
// runs of a local sweep as they arrive, the runs a `ptosim worker` wrote as JSON lines, and the
// summaries of the shards `ptosim merge` is given. Everything it keeps is bounded: counts, and the
// details of at most SWEEP_MAX_LISTED_RUNS failing runs (the lowest seeds).
#pragma once

#include "replay/run_session.h"
#include "scenarios/scenario.h"

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace ptosim::replay {

// The expected finding patterns of a scenario, in the order a summary counts them:
// findings_always, then findings_never.
std::vector<scenarios::FindingPattern> expected_patterns(const std::optional<scenarios::Expectations>& expect);

class SweepFold {
 public:
  // `patterns`: what SweepSummary::pattern_counts counts (see expected_patterns). `total`: the
  // seeds selected.
  SweepFold(std::vector<scenarios::FindingPattern> patterns, std::uint64_t total);

  // Remembers pass or fail per seed of `seeds` (JUnit needs it); every result added must then be
  // a seed of the selection.
  void keep_seed_status(const SeedSelection& seeds);

  // One finished run (a failure to complete counts as failing, in no outcome).
  void add(RunResult result);
  // Everything another fold (a shard's summary) counted; its seeds must be disjoint from ours.
  void add(const SweepSummary& other);

  std::uint64_t runs() const { return summary_.runs; }
  std::uint64_t failing() const { return summary_.failing; }
  std::uint64_t outcome_failing() const { return summary_.outcome_failing; }

  // The summary of what was added, failing runs in seed order.
  SweepSummary finish() &&;

 private:
  void list(RunResult result);

  std::vector<scenarios::FindingPattern> patterns_;
  SweepSummary summary_;
  // Failing runs by seed, at most SWEEP_MAX_LISTED_RUNS (a multimap: a seed folded twice, from
  // two shards that overlap by mistake, stays counted and listed twice).
  std::multimap<std::uint64_t, RunResult> listed_;
  std::optional<SeedSelection> status_of_;
};

}  // namespace ptosim::replay
