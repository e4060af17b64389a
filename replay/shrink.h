// Shrinking a failing recording: delta debugging (Zeller and Hildebrandt's ddmin) over the keyed
// decisions that differ from their defaults, while the run keeps failing the same way.
//
// A candidate keeps a subset of the non-default decisions and leaves every other decision at its
// default (the lower bound of a range, the first candidate of a choice: shorter kernels and
// spins, default tie-breaks, faults that do not fire). It runs in a child process under lenient
// replay, which looks decisions up by key, so a decision whose key no longer comes up is simply
// not asked for. A candidate is kept when its outcome is the same, with the same runtime error
// code and every finding kind of the original; the log that run actually made becomes the new
// baseline. The result is re-recorded from the last kept run's own log, so strict replay
// reproduces it exactly; a final strict replay in a child checks that.
#pragma once

#include "replay/recording.h"
#include "scenarios/scenario.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ptosim::replay {

struct ShrinkOptions {
  std::uint64_t max_runs = 200;  // candidate runs at most (the reference and the final check are extra)
  // Told after each candidate run: its number, how many non-default decisions it kept, whether it
  // still failed the same way.
  std::function<void(std::uint64_t run, std::size_t nondefault, bool kept)> progress;
};

struct ShrinkResult {
  Recording recording;  // the shrunk run, re-recorded from its own log
  std::size_t nondefault_before = 0;
  std::size_t nondefault_after = 0;
  std::size_t decisions_before = 0;
  std::size_t decisions_after = 0;
  std::uint64_t runs = 0;      // candidate runs made (at most max_runs)
  bool exhausted = false;      // stopped by max_runs before ddmin finished
  bool verified = false;       // strict replay of `recording` reproduced its outcome and digest
  std::string failure_class;   // "deadlock_false, runtime code 3", for messages
};

// Throws InputError when the recording passes (nothing to shrink) or does not reproduce.
ShrinkResult shrink(const Recording& recording, const scenarios::Scenario& scenario, const ShrinkOptions& options);

}  // namespace ptosim::replay
