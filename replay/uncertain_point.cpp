#include "replay/uncertain_point.h"

#include "scenarios/uncertain.h"
#include "simcore/hashing.h"
#include "simcore/model_assert.h"

#include <algorithm>
#include <memory>
#include <string_view>

namespace ptosim::replay {

namespace {

// Draws a point from hash(seed, key) alone, as `random` draws every decision; a log range's
// value comes from a uniform position on the log scale.
class PointStrategy final : public simcore::ExplorationStrategy {
 public:
  PointStrategy(std::uint64_t seed, const std::vector<scenarios::UncertainParam>& params) : seed_(seed), params_(params) {}
  std::string_view name() const override { return "random"; }
  void on_new_stream(simcore::StreamId, std::string_view stream_name) override { stream_hash_ = fnv1a64(stream_name); }
  std::uint64_t choose(const simcore::DecisionRequest& request) override {
    simcore::StreamGenerator generator(seed_, stream_hash_, request.key.subject, request.key.part, request.occurrence);
    const scenarios::UncertainParam& param = find(request.key.subject);
    if (request.kind == simcore::DecisionKind::range && param.kind == scenarios::UncertainKind::log_range) {
      const std::uint64_t position = generator.next_in(scenarios::log_scale(param.lo), scenarios::log_scale(param.hi));
      return static_cast<std::uint64_t>(std::clamp(scenarios::from_log_scale(position), param.lo, param.hi));
    }
    return generator.next_in(request.lo, request.hi);
  }

 private:
  const scenarios::UncertainParam& find(std::uint64_t subject) const {
    for (const scenarios::UncertainParam& param : params_) {
      if (scenarios::uncertain_subject(param.pointer) == subject) return param;
    }
    PTOSIM_ASSERT(false, "a point decision names one of the scenario's uncertain parameters");
    return params_.front();
  }

  std::uint64_t seed_;
  const std::vector<scenarios::UncertainParam>& params_;
  std::uint64_t stream_hash_ = 0;
};

bool is_point_entry(const simcore::DecisionLog& log, const simcore::DecisionEntry& entry) {
  return entry.stream < log.streams.size() && log.streams[entry.stream] == scenarios::UNCERTAIN_STREAM;
}

}  // namespace

DrawnPoint draw_point(const scenarios::Scenario& scenario, std::uint64_t seed,
                      const std::optional<simcore::DecisionLog>& replay_log, bool lenient) {
  DrawnPoint point;
  if (scenario.uncertain.empty()) return point;
  std::unique_ptr<simcore::ExplorationStrategy> strategy;
  if (!replay_log) {
    strategy = std::make_unique<PointStrategy>(seed, scenario.uncertain);
  } else if (lenient) {
    strategy = simcore::make_lenient_replay_strategy(point_part(*replay_log));
  } else {
    strategy = simcore::make_replay_strategy(point_part(*replay_log));
  }
  simcore::DecisionSource source(seed, std::move(strategy), true);
  const simcore::StreamId stream = source.stream(scenarios::UNCERTAIN_STREAM);
  for (const scenarios::UncertainParam& param : scenario.uncertain) {
    const simcore::DecisionKey key{stream, scenarios::uncertain_subject(param.pointer), 0};
    std::uint64_t value = 0;
    if (param.kind == scenarios::UncertainKind::list) {
      std::vector<std::uint64_t> candidates(param.values.size());
      for (std::size_t i = 0; i < candidates.size(); ++i) candidates[i] = i;
      value = source.choose(key, candidates, param.nominal_index);
    } else {
      PTOSIM_ASSERT(param.lo >= 0, "an uncertain range starts at 0 or above");
      value = source.decide(key, static_cast<std::uint64_t>(param.lo), static_cast<std::uint64_t>(param.hi),
                            static_cast<std::uint64_t>(param.nominal_value));
    }
    point.values.push_back(scenarios::Override{param.pointer, scenarios::uncertain_value_text(param, value)});
  }
  source.finish();  // strict replay: the log's point is used up
  point.log = source.take_log();
  PTOSIM_ASSERT(point.log.entries.size() == scenario.uncertain.size(), "one decision per uncertain parameter");
  return point;
}

simcore::DecisionLog point_part(const simcore::DecisionLog& log) {
  simcore::DecisionLog part;
  part.streams = log.streams;
  for (const simcore::DecisionEntry& entry : log.entries) {
    if (is_point_entry(log, entry)) part.entries.push_back(entry);
  }
  return part;
}

simcore::DecisionLog model_part(const simcore::DecisionLog& log) {
  simcore::DecisionLog part;
  part.streams = log.streams;
  for (const simcore::DecisionEntry& entry : log.entries) {
    if (!is_point_entry(log, entry)) part.entries.push_back(entry);
  }
  return part;
}

simcore::DecisionLog join_logs(const simcore::DecisionLog& point, const simcore::DecisionLog& model) {
  if (point.entries.empty()) return model;
  simcore::DecisionLog joined = point;
  const auto shift = static_cast<simcore::StreamId>(point.streams.size());
  joined.streams.insert(joined.streams.end(), model.streams.begin(), model.streams.end());
  for (simcore::DecisionEntry entry : model.entries) {
    entry.stream += shift;
    joined.entries.push_back(entry);
  }
  return joined;
}

}  // namespace ptosim::replay
