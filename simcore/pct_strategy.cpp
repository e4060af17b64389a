// PCT behind the decision source (see strategies.h for the adaptation, docs/exploration.md for the
// bound it keeps).
#include "simcore/hashing.h"
#include "simcore/strategies.h"

#include <algorithm>
#include <map>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ptosim::simcore {

namespace {

class PctStrategy final : public ExplorationStrategy {
 public:
  PctStrategy(std::uint64_t seed, std::uint32_t depth, std::uint64_t steps) : seed_(seed), depth_(depth) {
    // d-1 change points, uniform over steps 1..k and distinct while k allows it. Bounded: each
    // draw either adds a point or repeats one, and at most 64 draws per point are made.
    StreamGenerator generator(seed, "pct.change_points");
    const std::uint64_t wanted = std::min<std::uint64_t>(depth - 1, steps);
    for (std::uint64_t attempt = 0; change_points_.size() < wanted && attempt < 64 * wanted; ++attempt) {
      const std::uint64_t step = generator.next_in(1, steps);
      if (std::find(change_points_.begin(), change_points_.end(), step) == change_points_.end()) {
        change_points_.push_back(step);
      }
    }
    // change_points_[i] is the (i+1)-th change point in draw order; its rank d-(i+1) does not
    // depend on where the step falls, as in the original algorithm.
  }

  std::string_view name() const override { return "pct"; }

  void on_new_stream(StreamId id, std::string_view stream_name) override {
    if (stream_hashes_.size() <= id) stream_hashes_.resize(id + 1, 0);
    stream_hashes_[id] = fnv1a64(stream_name);
  }

  std::uint64_t choose(const DecisionRequest& request) override {
    ++step_;
    std::uint32_t change = 0;  // 1-based index of the change point at this step, 0 for none
    for (std::size_t i = 0; i < change_points_.size(); ++i) {
      if (change_points_[i] == step_) change = static_cast<std::uint32_t>(i + 1);
    }
    const std::uint64_t stream_hash = stream_hashes_[request.key.stream];
    if (request.kind == DecisionKind::range) {
      if (change != 0) {
        const std::uint64_t above = request.hi - request.default_value;
        const std::uint64_t below = request.default_value - request.lo;
        return above >= below ? request.hi : request.lo;
      }
      StreamGenerator generator(seed_, stream_hash, request.key.subject, request.key.part, request.occurrence);
      return generator.next_in(request.lo, request.hi);
    }
    // At a change point the candidate about to win is demoted first, so this very choice goes to
    // another one: the preemption of the thread about to run, in PCT's terms. It stays demoted.
    if (change != 0) lowered_[{stream_hash, request.candidates[highest(stream_hash, request.candidates)]}] = depth_ - change;
    return highest(stream_hash, request.candidates);
  }

 private:
  // (band, value): band 1 holds the initial random priorities, band 0 the lowered ones (d-i).
  using Priority = std::pair<std::uint32_t, std::uint64_t>;

  std::size_t highest(std::uint64_t stream_hash, std::span<const std::uint64_t> candidates) const {
    std::size_t best = 0;
    Priority best_priority = priority(stream_hash, candidates[0]);
    for (std::size_t i = 1; i < candidates.size(); ++i) {
      const Priority p = priority(stream_hash, candidates[i]);
      if (best_priority < p) {
        best = i;
        best_priority = p;
      }
    }
    return best;
  }

  Priority priority(std::uint64_t stream_hash, std::uint64_t identity) const {
    auto it = lowered_.find({stream_hash, identity});
    if (it != lowered_.end()) return {0, it->second};
    return {1, mix64(mix64(seed_ ^ mix64(stream_hash)) ^ identity)};
  }

  std::uint64_t seed_;
  std::uint32_t depth_;
  std::vector<std::uint64_t> change_points_;
  std::uint64_t step_ = 0;
  std::vector<std::uint64_t> stream_hashes_;
  // Candidates demoted at a change point, by (stream, identity). Looked up, never iterated.
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint32_t> lowered_;
};

}  // namespace

std::string validate_strategy(const StrategySpec& spec) {
  if (spec.name == "random") return "";
  if (spec.name != "pct") return "unknown strategy '" + spec.name + "' (expected random or pct)";
  if (spec.depth < 1 || spec.depth > PCT_MAX_DEPTH) {
    return "pct needs a depth in 1.." + std::to_string(PCT_MAX_DEPTH) + ", found " + std::to_string(spec.depth);
  }
  return "";
}

std::unique_ptr<ExplorationStrategy> make_pct_strategy(std::uint64_t seed, std::uint32_t depth, std::uint64_t steps) {
  if (depth < 1 || depth > PCT_MAX_DEPTH) throw std::logic_error("pct: depth out of range");
  return std::make_unique<PctStrategy>(seed, depth, steps < 1 ? 1 : steps);
}

std::unique_ptr<ExplorationStrategy> make_strategy(const StrategySpec& spec, std::uint64_t seed) {
  const std::string problem = validate_strategy(spec);
  if (!problem.empty()) throw std::logic_error(problem);
  if (spec.name == "pct") return make_pct_strategy(seed, spec.depth, spec.steps);
  return make_random_strategy(seed);
}

}  // namespace ptosim::simcore
