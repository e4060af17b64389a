// The decision source: the one seam through which every nondeterministic choice of a run passes.
//
// A run has one root seed. Each component draws from a named stream whose generator is derived
// from hash(seed, name), so adding a stream never shifts the values of the others. Every draw is
// an integer in an inclusive range and is appended to the decision log; a recording carries that
// log, and replay feeds it back instead of drawing. A replayed request that does not match the
// log (another stream, a value outside the requested range, or the log has ended) is a divergence.
//
// Exploration strategies are policies behind ExplorationStrategy: `random` and `replay` exist
// today; `pct` (priority change points) and shrinking (editing a log) plug in at the same seam.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ptosim::simcore {

using StreamId = std::uint32_t;

// One logged decision: the stream, the chosen value and the range it was chosen from.
struct DecisionEntry {
  StreamId stream = 0;
  std::uint64_t value = 0;
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
};

// The ordered log of a run's decisions. `streams` names the stream ids used by the entries.
struct DecisionLog {
  std::vector<std::string> streams;
  std::vector<DecisionEntry> entries;
};

// A decision request handed to a strategy: the stream, how many draws that stream had before,
// and the inclusive range.
struct DecisionRequest {
  StreamId stream = 0;
  std::string_view stream_name;
  std::uint64_t stream_index = 0;
  std::uint64_t global_index = 0;
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
};

// Replay asked for something the recording does not hold.
class DecisionDivergence : public std::runtime_error {
 public:
  DecisionDivergence(std::uint64_t global_index, std::string requested, std::string expected);
  std::uint64_t global_index() const { return global_index_; }
  const std::string& requested() const { return requested_; }
  const std::string& expected() const { return expected_; }

 private:
  std::uint64_t global_index_;
  std::string requested_;
  std::string expected_;
};

class ExplorationStrategy {
 public:
  virtual ~ExplorationStrategy() = default;
  virtual std::string_view name() const = 0;
  // Called once per stream when it is first used, in order of first use.
  virtual void on_new_stream(StreamId id, std::string_view name) = 0;
  // Returns a value in [request.lo, request.hi].
  virtual std::uint64_t choose(const DecisionRequest& request) = 0;
};

// Uniform choices from per-stream SplitMix64 generators seeded with hash(seed, stream name).
std::unique_ptr<ExplorationStrategy> make_random_strategy(std::uint64_t seed);
// Returns the logged values in order; any mismatch throws DecisionDivergence.
std::unique_ptr<ExplorationStrategy> make_replay_strategy(DecisionLog log);

class DecisionSource {
 public:
  DecisionSource(std::uint64_t seed, std::unique_ptr<ExplorationStrategy> strategy);

  std::uint64_t seed() const { return seed_; }
  std::string_view strategy_name() const { return strategy_->name(); }

  // Returns the id of the named stream, registering it on first use.
  StreamId stream(std::string_view name);

  // Integer in [lo, hi] (inclusive). A range with one value is not a decision and is not logged.
  std::uint64_t uniform(StreamId stream, std::uint64_t lo, std::uint64_t hi);
  // Signed convenience for durations; requires 0 <= lo <= hi.
  std::int64_t uniform_ns(StreamId stream, std::int64_t lo, std::int64_t hi);
  // True with probability num/den (integer ratio; no floating point).
  bool chance(StreamId stream, std::uint32_t num, std::uint32_t den);
  // Index in [0, n).
  std::size_t pick(StreamId stream, std::size_t n);
  // Fisher-Yates shuffle driven by the stream.
  template <class T>
  void shuffle(StreamId stream, std::vector<T>& items) {
    for (std::size_t i = items.size(); i > 1; --i) {
      std::size_t j = pick(stream, i);
      std::swap(items[i - 1], items[j]);
    }
  }

  const DecisionLog& log() const { return log_; }
  std::uint64_t decision_count() const { return log_.entries.size(); }

 private:
  std::uint64_t seed_;
  std::unique_ptr<ExplorationStrategy> strategy_;
  DecisionLog log_;
  std::vector<std::uint64_t> stream_draws_;
};

// The raw per-stream generator, exposed for pinned-value tests.
class StreamGenerator {
 public:
  StreamGenerator(std::uint64_t seed, std::string_view stream_name);
  std::uint64_t next();
  // Unbiased value in [lo, hi] by rejection sampling (bounded retries).
  std::uint64_t next_in(std::uint64_t lo, std::uint64_t hi);

 private:
  std::uint64_t state_;
};

}  // namespace ptosim::simcore
