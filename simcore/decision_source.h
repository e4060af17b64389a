// The decision source: the one seam through which every nondeterministic choice of a run passes.
//
// Every decision has a stable key: a named stream (what kind of choice: "kernel.duration",
// "dispatch.core", ...), a subject (what it is about: a task ordinal, a thread, a core) and a part
// (a block, a burst, a wait number), plus an occurrence number the source counts itself, so a
// key never repeats within a run. A decision is either a value in an inclusive range or a choice
// among identified candidates (actors, tasks, cores), and it has a default: the value a run takes
// when nothing perturbs it (the lower bound, the first candidate). Keys and defaults make a log
// editable: lenient replay looks decisions up by key, clamps values to the requested range and
// takes the default where the log holds nothing, so an edited or truncated recording still runs.
//
// The random strategy derives each value from hash(seed, key) alone, so the value of one decision
// never depends on how many draws came before it: adding a stream, or a draw that happens in one
// run and not another, shifts nothing else. Every decision is appended to the decision log; a
// recording carries it and strict replay feeds it back in order, treating any mismatch (another
// key, a value outside the range, a candidate that is not offered) as a divergence.
//
// Exploration strategies are policies behind ExplorationStrategy: `random` and the two replays
// exist today; priority strategies (PCT) see the candidates' identities through the request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ptosim::simcore {

using StreamId = std::uint32_t;

// Which decision: the stream, the subject (task, thread, core ...) and the part (block, burst,
// wait number ...). The source adds the occurrence number.
struct DecisionKey {
  StreamId stream = 0;
  std::uint64_t subject = 0;
  std::uint32_t part = 0;
};

enum class DecisionKind : std::uint8_t { range, choice };

// One logged decision. For a range: `value` in [lo, hi], `default_value` in the same range.
// For a choice: `value` and `default_value` are candidate identities, lo = 0 and hi = the number
// of candidates minus one.
struct DecisionEntry {
  StreamId stream = 0;
  std::uint64_t subject = 0;
  std::uint32_t part = 0;
  std::uint32_t occurrence = 0;
  DecisionKind kind = DecisionKind::range;
  std::uint64_t value = 0;
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::uint64_t default_value = 0;

  bool is_default() const { return value == default_value; }
  bool same_key(const DecisionEntry& other) const {
    return stream == other.stream && subject == other.subject && part == other.part && occurrence == other.occurrence;
  }
};

// The ordered log of a run's decisions. `streams` names the stream ids used by the entries.
struct DecisionLog {
  std::vector<std::string> streams;
  std::vector<DecisionEntry> entries;

  std::size_t nondefault_count() const;
  // "stream subject/part#occurrence", for messages.
  std::string describe_key(const DecisionEntry& entry) const;
};

// A decision request handed to a strategy. For a choice, `candidates` holds the identities on
// offer (in the model's natural order) and lo = 0, hi = candidates.size() - 1; the strategy
// returns an index. For a range it returns a value in [lo, hi].
struct DecisionRequest {
  DecisionKey key;
  std::string_view stream_name;
  std::uint32_t occurrence = 0;
  std::uint64_t global_index = 0;  // how many decisions the run made before this one
  DecisionKind kind = DecisionKind::range;
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::uint64_t default_value = 0;  // range: a value; choice: an index
  std::span<const std::uint64_t> candidates;
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
  // Range: a value in [lo, hi]. Choice: an index in [0, candidates.size()).
  virtual std::uint64_t choose(const DecisionRequest& request) = 0;
  // Called once the run has made its last decision (strict replay checks the log is used up).
  virtual void finish(std::uint64_t decisions_made) { (void)decisions_made; }
};

// Values from hash(seed, key): independent of how many decisions came before.
std::unique_ptr<ExplorationStrategy> make_random_strategy(std::uint64_t seed);
// Strict replay: the logged decisions in order; any mismatch throws DecisionDivergence, and so
// does a log that is not used up when the run ends.
std::unique_ptr<ExplorationStrategy> make_replay_strategy(DecisionLog log);
// Lenient replay: decisions looked up by key; a logged value outside the requested range is
// clamped, a logged candidate that is not on offer or a key the log lacks takes the default.
// Never diverges. Used by shrinking and `ptosim replay --lenient`.
std::unique_ptr<ExplorationStrategy> make_lenient_replay_strategy(DecisionLog log);

class DecisionSource {
 public:
  // Without `keep_log` the decisions are made and counted but not logged (a run nobody records).
  DecisionSource(std::uint64_t seed, std::unique_ptr<ExplorationStrategy> strategy, bool keep_log = true);

  std::uint64_t seed() const { return seed_; }
  std::string_view strategy_name() const { return strategy_->name(); }

  // Returns the id of the named stream, registering it on first use.
  StreamId stream(std::string_view name);

  // A value in [lo, hi] (inclusive) whose default is `default_value`. A range with one value is
  // not a decision and is not logged.
  std::uint64_t decide(DecisionKey key, std::uint64_t lo, std::uint64_t hi, std::uint64_t default_value);
  // A duration in [lo, hi] ns; the default is the lower bound. Requires 0 <= lo <= hi.
  std::int64_t decide_ns(DecisionKey key, std::int64_t lo, std::int64_t hi);
  // True with probability num/den (integer ratio; no floating point). The default is "false".
  bool decide_chance(DecisionKey key, std::uint32_t num, std::uint32_t den);
  // Picks one of `candidates` (identities: thread, task, core ...) and returns its index. The
  // default is `default_index`. A single candidate is not a decision and is not logged.
  std::size_t choose(DecisionKey key, std::span<const std::uint64_t> candidates, std::size_t default_index = 0);

  // As decide_ns and choose, for a key the caller asks for at most once per run (a block's
  // duration, a block's core): its occurrence is 0 without counting, so the source keeps no
  // entry for it. Most decisions of a large program are of this kind.
  std::int64_t decide_ns_once(DecisionKey key, std::int64_t lo, std::int64_t hi);
  std::size_t choose_once(DecisionKey key, std::span<const std::uint64_t> candidates);

  // The log (its entries only when kept).
  const DecisionLog& log() const { return log_; }
  DecisionLog take_log() { return std::move(log_); }
  std::uint64_t decision_count() const { return count_; }
  // Tells the strategy the run is over (strict replay checks the log is used up).
  void finish();

 private:
  std::uint32_t next_occurrence(const DecisionKey& key);
  std::uint64_t request(DecisionKey key, DecisionKind kind, std::uint64_t lo, std::uint64_t hi,
                        std::uint64_t default_value, std::span<const std::uint64_t> candidates, bool once = false);

  // Occurrences per key so far: an open-addressing table (one allocation, no node per key).
  // Looked up, never iterated, so its order cannot reach the output.
  class OccurrenceTable {
   public:
    std::uint32_t next(const DecisionKey& key);

   private:
    struct Slot {
      std::uint64_t subject = 0;
      StreamId stream = 0;
      std::uint32_t part = 0;
      std::uint32_t count = 0;  // occurrences so far; 0: the slot is free
    };
    void grow();
    std::vector<Slot> slots_;
    std::size_t used_ = 0;
  };

  std::uint64_t seed_;
  std::unique_ptr<ExplorationStrategy> strategy_;
  bool keep_log_;
  std::uint64_t count_ = 0;
  DecisionLog log_;
  OccurrenceTable occurrences_;
};

// The raw keyed generator, exposed for pinned-value tests: a SplitMix64 sequence seeded from
// (seed, stream name, subject, part, occurrence).
class StreamGenerator {
 public:
  StreamGenerator(std::uint64_t seed, std::string_view stream_name);
  StreamGenerator(std::uint64_t seed, std::uint64_t stream_hash, std::uint64_t subject, std::uint32_t part,
                  std::uint32_t occurrence);
  std::uint64_t next();
  // Unbiased value in [lo, hi] by rejection sampling (bounded retries).
  std::uint64_t next_in(std::uint64_t lo, std::uint64_t hi);

 private:
  std::uint64_t state_;
};

}  // namespace ptosim::simcore
