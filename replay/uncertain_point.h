// The point a run draws in its scenario's uncertain region (scenarios/uncertain.h), before the
// model is built.
//
// Each parameter is one keyed decision of stream `uncertain.point`, subject
// uncertain_subject(pointer), part 0, drawn in pointer order: a value in [lo, hi] (a range; a log
// range spreads its draws evenly over the doublings) or a choice among the listed values, whose
// default is the scenario's nominal value. They are logged first in the run's decision log, so a
// recording replays to its point: strict replay takes them from the log in order, lenient replay
// by key (clamped, the nominal value where the log has none), and shrinking moves them to their
// defaults, back to nominal, like any other decision.
//
// Whatever the strategy, a point is drawn from hash(seed, key), as `random` draws: PCT's
// priorities, change points and step count never see these decisions, so a PCT run at a point is
// the PCT run of the scenario pinned to that point.
#pragma once

#include "scenarios/scenario.h"
#include "simcore/decision_source.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace ptosim::replay {

struct DrawnPoint {
  std::vector<scenarios::Override> values;  // one per uncertain parameter, in pointer order
  simcore::DecisionLog log;                 // the decisions that drew it (empty when none)
};

// Draws the point of `scenario` for `seed`: from the seed, or, given a replay log, from its
// `uncertain.point` entries (strictly in order, or leniently by key). Strict replay throws
// simcore::DecisionDivergence when the log does not hold exactly these draws.
DrawnPoint draw_point(const scenarios::Scenario& scenario, std::uint64_t seed,
                      const std::optional<simcore::DecisionLog>& replay_log, bool lenient);

// A decision log split in two: the entries of the point draw, and those of the model (the
// stream table is kept whole in both; entries name streams by index).
simcore::DecisionLog point_part(const simcore::DecisionLog& log);
simcore::DecisionLog model_part(const simcore::DecisionLog& log);
// The run's whole log: the point's entries first, then the model's (stream indices renumbered).
simcore::DecisionLog join_logs(const simcore::DecisionLog& point, const simcore::DecisionLog& model);

}  // namespace ptosim::replay
