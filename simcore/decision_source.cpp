#include "simcore/decision_source.h"

#include "simcore/hashing.h"
#include "simcore/marks.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

namespace ptosim::simcore {

namespace {

std::string describe_request(const DecisionRequest& request) {
  std::string text = "'" + std::string(request.stream_name) + "' subject " + std::to_string(request.key.subject) +
                     " part " + std::to_string(request.key.part) + " #" + std::to_string(request.occurrence);
  if (request.kind == DecisionKind::range) {
    text += " range [" + std::to_string(request.lo) + ", " + std::to_string(request.hi) + "]";
  } else {
    text += " choice among " + std::to_string(request.candidates.size()) + " candidates";
  }
  return text;
}

std::string describe_entry(const DecisionLog& log, const DecisionEntry& entry) {
  std::string text = "'" + (entry.stream < log.streams.size() ? log.streams[entry.stream] : std::string("?")) +
                     "' subject " + std::to_string(entry.subject) + " part " + std::to_string(entry.part) + " #" +
                     std::to_string(entry.occurrence);
  if (entry.kind == DecisionKind::range) {
    text += " range [" + std::to_string(entry.lo) + ", " + std::to_string(entry.hi) + "] value " +
            std::to_string(entry.value);
  } else {
    text += " choice among " + std::to_string(entry.hi + 1) + " candidates: " + std::to_string(entry.value);
  }
  return text;
}

// The index of `id` among the candidates, or nullopt-like SIZE_MAX.
std::size_t index_of(std::span<const std::uint64_t> candidates, std::uint64_t id) {
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i] == id) return i;
  }
  return std::numeric_limits<std::size_t>::max();
}

class RandomStrategy final : public ExplorationStrategy {
 public:
  explicit RandomStrategy(std::uint64_t seed) : seed_(seed) {}
  std::string_view name() const override { return "random"; }
  void on_new_stream(StreamId id, std::string_view stream_name) override {
    if (stream_hashes_.size() <= id) stream_hashes_.resize(id + 1, 0);
    stream_hashes_[id] = fnv1a64(stream_name);
  }
  std::uint64_t choose(const DecisionRequest& request) override {
    StreamGenerator generator(seed_, stream_hashes_[request.key.stream], request.key.subject, request.key.part,
                              request.occurrence);
    return generator.next_in(request.lo, request.hi);
  }

 private:
  std::uint64_t seed_;
  std::vector<std::uint64_t> stream_hashes_;
};

class ReplayStrategy final : public ExplorationStrategy {
 public:
  explicit ReplayStrategy(DecisionLog log) : log_(std::move(log)) {}
  std::string_view name() const override { return "replay"; }
  void on_new_stream(StreamId, std::string_view) override {}
  std::uint64_t choose(const DecisionRequest& request) override {
    const std::string requested = describe_request(request);
    if (cursor_ >= log_.entries.size()) {
      throw DecisionDivergence(request.global_index, requested,
                               "the end of the recorded log (" + std::to_string(log_.entries.size()) + " decisions)");
    }
    const DecisionEntry& entry = log_.entries[cursor_];
    auto diverge = [&] {
      PTOSIM_MARK("replay divergence");
      throw DecisionDivergence(request.global_index, requested, describe_entry(log_, entry));
    };
    if (entry.stream >= log_.streams.size() || log_.streams[entry.stream] != request.stream_name) diverge();
    if (entry.subject != request.key.subject || entry.part != request.key.part || entry.occurrence != request.occurrence ||
        entry.kind != request.kind || entry.lo != request.lo || entry.hi != request.hi) {
      diverge();
    }
    ++cursor_;
    if (request.kind == DecisionKind::range) {
      if (entry.value < request.lo || entry.value > request.hi) diverge();
      return entry.value;
    }
    const std::size_t index = index_of(request.candidates, entry.value);
    if (index == std::numeric_limits<std::size_t>::max()) diverge();
    return index;
  }
  void finish(std::uint64_t decisions_made) override {
    if (cursor_ < log_.entries.size()) {
      throw DecisionDivergence(decisions_made, "the run to end after " + std::to_string(decisions_made) + " decisions",
                               std::to_string(log_.entries.size()) + " decisions, starting with " +
                                   describe_entry(log_, log_.entries[cursor_]) + " that the run never asked for");
    }
  }

 private:
  DecisionLog log_;
  std::size_t cursor_ = 0;
};

class LenientReplayStrategy final : public ExplorationStrategy {
 public:
  explicit LenientReplayStrategy(DecisionLog log) {
    for (const DecisionEntry& entry : log.entries) {
      if (entry.stream >= log.streams.size()) continue;
      by_key_.emplace(std::make_tuple(log.streams[entry.stream], entry.subject, entry.part, entry.occurrence), entry);
    }
  }
  std::string_view name() const override { return "replay-lenient"; }
  void on_new_stream(StreamId id, std::string_view stream_name) override {
    if (names_.size() <= id) names_.resize(id + 1);
    names_[id] = std::string(stream_name);
  }
  std::uint64_t choose(const DecisionRequest& request) override {
    auto it = by_key_.find(std::make_tuple(names_[request.key.stream], request.key.subject, request.key.part,
                                           request.occurrence));
    if (it == by_key_.end() || it->second.kind != request.kind) return request.default_value;
    const DecisionEntry& entry = it->second;
    if (request.kind == DecisionKind::range) return std::clamp(entry.value, request.lo, request.hi);
    const std::size_t index = index_of(request.candidates, entry.value);
    return index == std::numeric_limits<std::size_t>::max() ? request.default_value : index;
  }

 private:
  std::vector<std::string> names_;
  std::map<std::tuple<std::string, std::uint64_t, std::uint32_t, std::uint32_t>, DecisionEntry> by_key_;
};

}  // namespace

std::size_t DecisionLog::nondefault_count() const {
  std::size_t count = 0;
  for (const DecisionEntry& entry : entries) count += entry.is_default() ? 0 : 1;
  return count;
}

std::string DecisionLog::describe_key(const DecisionEntry& entry) const {
  return (entry.stream < streams.size() ? streams[entry.stream] : std::string("?")) + " " +
         std::to_string(entry.subject) + "/" + std::to_string(entry.part) + "#" + std::to_string(entry.occurrence);
}

DecisionDivergence::DecisionDivergence(std::uint64_t global_index, std::string requested, std::string expected)
    : std::runtime_error("replay diverged at decision #" + std::to_string(global_index) + ": the run requested " +
                         requested + " but the recording holds " + expected),
      global_index_(global_index),
      requested_(std::move(requested)),
      expected_(std::move(expected)) {}

std::unique_ptr<ExplorationStrategy> make_random_strategy(std::uint64_t seed) {
  return std::make_unique<RandomStrategy>(seed);
}

std::unique_ptr<ExplorationStrategy> make_replay_strategy(DecisionLog log) {
  return std::make_unique<ReplayStrategy>(std::move(log));
}

std::unique_ptr<ExplorationStrategy> make_lenient_replay_strategy(DecisionLog log) {
  return std::make_unique<LenientReplayStrategy>(std::move(log));
}

StreamGenerator::StreamGenerator(std::uint64_t seed, std::string_view stream_name)
    : state_(mix64(seed ^ mix64(fnv1a64(stream_name)))) {}

StreamGenerator::StreamGenerator(std::uint64_t seed, std::uint64_t stream_hash, std::uint64_t subject,
                                 std::uint32_t part, std::uint32_t occurrence)
    : state_(mix64(mix64(mix64(seed ^ mix64(stream_hash)) ^ subject) ^
                   ((static_cast<std::uint64_t>(part) << 32) | occurrence))) {}

std::uint64_t StreamGenerator::next() {
  state_ += GOLDEN_GAMMA;
  return mix64(state_);
}

std::uint64_t StreamGenerator::next_in(std::uint64_t lo, std::uint64_t hi) {
  if (lo == 0 && hi == std::numeric_limits<std::uint64_t>::max()) return next();
  const std::uint64_t span = hi - lo + 1;
  // Values below `threshold` would bias the modulo; reject them. Each retry succeeds with
  // probability > 1/2, so 64 attempts make a fallback practically unreachable.
  const std::uint64_t threshold = (0 - span) % span;
  std::uint64_t x = next();
  for (int attempt = 0; attempt < 64 && x < threshold; ++attempt) x = next();
  return lo + x % span;
}

DecisionSource::DecisionSource(std::uint64_t seed, std::unique_ptr<ExplorationStrategy> strategy, bool keep_log)
    : seed_(seed), strategy_(std::move(strategy)), keep_log_(keep_log) {}

StreamId DecisionSource::stream(std::string_view name) {
  for (StreamId id = 0; id < log_.streams.size(); ++id) {
    if (log_.streams[id] == name) return id;
  }
  auto id = static_cast<StreamId>(log_.streams.size());
  log_.streams.emplace_back(name);
  strategy_->on_new_stream(id, name);
  return id;
}

namespace {

std::uint64_t key_hash(const DecisionKey& key) {
  return mix64(mix64(key.subject ^ (static_cast<std::uint64_t>(key.stream) << 40)) ^ key.part);
}

}  // namespace

std::uint32_t DecisionSource::OccurrenceTable::next(const DecisionKey& key) {
  if (4 * (used_ + 1) > 3 * slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = key_hash(key) & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.count == 0) {
      slot = Slot{key.subject, key.stream, key.part, 1};
      ++used_;
      return 0;
    }
    if (slot.subject == key.subject && slot.stream == key.stream && slot.part == key.part) return slot.count++;
  }
}

void DecisionSource::OccurrenceTable::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 256 : 2 * old.size(), Slot{});
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.count == 0) continue;
    std::size_t i = key_hash({slot.stream, slot.subject, slot.part}) & mask;
    while (slots_[i].count != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

std::uint32_t DecisionSource::next_occurrence(const DecisionKey& key) { return occurrences_.next(key); }

std::uint64_t DecisionSource::request(DecisionKey key, DecisionKind kind, std::uint64_t lo, std::uint64_t hi,
                                      std::uint64_t default_value, std::span<const std::uint64_t> candidates,
                                      bool once) {
  if (key.stream >= log_.streams.size()) throw std::logic_error("decision on an unregistered stream");
  DecisionRequest request;
  request.key = key;
  request.stream_name = log_.streams[key.stream];
  request.occurrence = once ? 0 : next_occurrence(key);
  request.global_index = count_;
  request.kind = kind;
  request.lo = lo;
  request.hi = hi;
  request.default_value = default_value;
  request.candidates = candidates;
  const std::uint64_t value = strategy_->choose(request);
  if (value < lo || value > hi) throw std::logic_error("strategy returned a value outside the requested range");
  ++count_;
  if (!keep_log_) return value;
  DecisionEntry entry;
  entry.stream = key.stream;
  entry.subject = key.subject;
  entry.part = key.part;
  entry.occurrence = request.occurrence;
  entry.kind = kind;
  entry.lo = lo;
  entry.hi = hi;
  if (kind == DecisionKind::range) {
    entry.value = value;
    entry.default_value = default_value;
  } else {
    entry.value = candidates[value];
    entry.default_value = candidates[default_value];
  }
  log_.entries.push_back(entry);
  return value;
}

std::uint64_t DecisionSource::decide(DecisionKey key, std::uint64_t lo, std::uint64_t hi, std::uint64_t default_value) {
  if (hi < lo || default_value < lo || default_value > hi) throw std::logic_error("decide: invalid range or default");
  if (lo == hi) return lo;
  return request(key, DecisionKind::range, lo, hi, default_value, {});
}

std::int64_t DecisionSource::decide_ns(DecisionKey key, std::int64_t lo, std::int64_t hi) {
  if (lo < 0 || hi < lo) throw std::logic_error("decide_ns: invalid range");
  const auto lo_u = static_cast<std::uint64_t>(lo);
  return static_cast<std::int64_t>(decide(key, lo_u, static_cast<std::uint64_t>(hi), lo_u));
}

bool DecisionSource::decide_chance(DecisionKey key, std::uint32_t num, std::uint32_t den) {
  if (den == 0 || num > den) throw std::logic_error("decide_chance: ratio must satisfy num <= den, den > 0");
  if (num == 0) return false;
  if (num == den) return true;
  // Values below num fire; the default (den - 1) does not.
  return decide(key, 0, den - 1, den - 1) < num;
}

std::size_t DecisionSource::choose(DecisionKey key, std::span<const std::uint64_t> candidates, std::size_t default_index) {
  if (candidates.empty() || default_index >= candidates.size()) throw std::logic_error("choose: no candidate or bad default");
  if (candidates.size() == 1) return 0;
  return static_cast<std::size_t>(request(key, DecisionKind::choice, 0, candidates.size() - 1, default_index, candidates));
}

std::int64_t DecisionSource::decide_ns_once(DecisionKey key, std::int64_t lo, std::int64_t hi) {
  if (lo < 0 || hi < lo) throw std::logic_error("decide_ns_once: invalid range");
  if (lo == hi) return lo;
  const auto lo_u = static_cast<std::uint64_t>(lo);
  return static_cast<std::int64_t>(request(key, DecisionKind::range, lo_u, static_cast<std::uint64_t>(hi), lo_u, {}, true));
}

std::size_t DecisionSource::choose_once(DecisionKey key, std::span<const std::uint64_t> candidates) {
  if (candidates.empty()) throw std::logic_error("choose_once: no candidate");
  if (candidates.size() == 1) return 0;
  return static_cast<std::size_t>(request(key, DecisionKind::choice, 0, candidates.size() - 1, 0, candidates, true));
}

void DecisionSource::finish() { strategy_->finish(count_); }

}  // namespace ptosim::simcore
