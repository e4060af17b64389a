#include "simcore/decision_source.h"

#include "simcore/hashing.h"

#include <limits>
#include <utility>

namespace ptosim::simcore {

namespace {

std::string describe(std::string_view stream, std::uint64_t lo, std::uint64_t hi) {
  return "stream '" + std::string(stream) + "' range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

class RandomStrategy final : public ExplorationStrategy {
 public:
  explicit RandomStrategy(std::uint64_t seed) : seed_(seed) {}
  std::string_view name() const override { return "random"; }
  void on_new_stream(StreamId id, std::string_view stream_name) override {
    if (generators_.size() <= id) generators_.resize(id + 1, StreamGenerator(0, ""));
    generators_[id] = StreamGenerator(seed_, stream_name);
  }
  std::uint64_t choose(const DecisionRequest& request) override {
    return generators_[request.stream].next_in(request.lo, request.hi);
  }

 private:
  std::uint64_t seed_;
  std::vector<StreamGenerator> generators_;
};

class ReplayStrategy final : public ExplorationStrategy {
 public:
  explicit ReplayStrategy(DecisionLog log) : log_(std::move(log)) {}
  std::string_view name() const override { return "replay"; }
  void on_new_stream(StreamId, std::string_view) override {}
  std::uint64_t choose(const DecisionRequest& request) override {
    std::string requested = describe(request.stream_name, request.lo, request.hi);
    if (cursor_ >= log_.entries.size()) {
      throw DecisionDivergence(request.global_index, requested,
                               "end of the recorded log (" + std::to_string(log_.entries.size()) + " decisions)");
    }
    const DecisionEntry& entry = log_.entries[cursor_];
    const std::string& logged_stream = log_.streams.at(entry.stream);
    std::string expected = describe(logged_stream, entry.lo, entry.hi) + " value " + std::to_string(entry.value);
    if (logged_stream != request.stream_name) throw DecisionDivergence(request.global_index, requested, expected);
    if (entry.value < request.lo || entry.value > request.hi) {
      throw DecisionDivergence(request.global_index, requested, expected);
    }
    ++cursor_;
    return entry.value;
  }

 private:
  DecisionLog log_;
  std::size_t cursor_ = 0;
};

}  // namespace

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

StreamGenerator::StreamGenerator(std::uint64_t seed, std::string_view stream_name)
    : state_(mix64(seed ^ mix64(fnv1a64(stream_name)))) {}

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

DecisionSource::DecisionSource(std::uint64_t seed, std::unique_ptr<ExplorationStrategy> strategy)
    : seed_(seed), strategy_(std::move(strategy)) {}

StreamId DecisionSource::stream(std::string_view name) {
  for (StreamId id = 0; id < log_.streams.size(); ++id) {
    if (log_.streams[id] == name) return id;
  }
  auto id = static_cast<StreamId>(log_.streams.size());
  log_.streams.emplace_back(name);
  stream_draws_.push_back(0);
  strategy_->on_new_stream(id, name);
  return id;
}

std::uint64_t DecisionSource::uniform(StreamId stream_id, std::uint64_t lo, std::uint64_t hi) {
  if (lo >= hi) return lo;
  DecisionRequest request{stream_id, log_.streams.at(stream_id), stream_draws_[stream_id], log_.entries.size(), lo, hi};
  std::uint64_t value = strategy_->choose(request);
  ++stream_draws_[stream_id];
  log_.entries.push_back(DecisionEntry{stream_id, value, lo, hi});
  return value;
}

std::int64_t DecisionSource::uniform_ns(StreamId stream_id, std::int64_t lo, std::int64_t hi) {
  if (lo < 0 || hi < lo) throw std::logic_error("uniform_ns: invalid range");
  return static_cast<std::int64_t>(uniform(stream_id, static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi)));
}

bool DecisionSource::chance(StreamId stream_id, std::uint32_t num, std::uint32_t den) {
  if (den == 0 || num > den) throw std::logic_error("chance: ratio must satisfy num <= den, den > 0");
  if (num == 0) return false;
  if (num == den) return true;
  return uniform(stream_id, 0, den - 1) < num;
}

std::size_t DecisionSource::pick(StreamId stream_id, std::size_t n) {
  if (n == 0) throw std::logic_error("pick: empty choice");
  return static_cast<std::size_t>(uniform(stream_id, 0, n - 1));
}

}  // namespace ptosim::simcore
