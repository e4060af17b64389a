// Exploration strategies by name, with their parameters: what `--strategy` selects and what a
// recording keeps, so that a run can be repeated from its seed and its strategy alone.
//
// `random` derives every decision from hash(seed, key). `pct` is probabilistic concurrency
// testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010) adapted to this simulator:
// - a step is any decision of the run (a choice among identified candidates or a value in a
//   range); the run is estimated to make `steps` of them;
// - every candidate identity gets a random priority, derived from (seed, stream, identity), so
//   the candidates of any choice (scheduler threads, tasks, cores, host threads ...) are ranked
//   without the strategy knowing what they are; a choice takes the highest-priority candidate;
// - depth d places d-1 change points uniformly over steps 1..`steps`; at the i-th change point
//   the candidate about to win drops to priority d-i, below every initial priority, so that
//   choice and every later one it takes part in go to others (a preemption), and a range
//   decision made there takes the end of its range farthest from its default (the longest
//   duration, the fault that fires) instead of its seeded value;
// - range decisions elsewhere take the same seeded values as `random`.
// Everything PCT draws comes from the seed, so a (seed, depth, steps) triple is one run.
// docs/exploration.md gives the probability bound this keeps.
#pragma once

#include "simcore/decision_source.h"

#include <cstdint>
#include <memory>
#include <string>

namespace ptosim::simcore {

struct StrategySpec {
  std::string name = "random";  // "random" or "pct"
  std::uint32_t depth = 2;      // pct: the number of ordering constraints a bug may need (d >= 1)
  std::uint64_t steps = 0;      // pct: estimated decisions per run (k); 0 = not yet estimated

  bool operator==(const StrategySpec& other) const = default;
};

inline constexpr std::uint32_t PCT_MAX_DEPTH = 64;

// Empty when the spec is usable, else what is wrong with it ("pct needs --depth in 1..64", ...).
std::string validate_strategy(const StrategySpec& spec);

std::unique_ptr<ExplorationStrategy> make_pct_strategy(std::uint64_t seed, std::uint32_t depth, std::uint64_t steps);
// `random` or `pct` (whose steps must be estimated already).
std::unique_ptr<ExplorationStrategy> make_strategy(const StrategySpec& spec, std::uint64_t seed);

}  // namespace ptosim::simcore
