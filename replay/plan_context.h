// A plan made ready to run: every cell's scenario loaded and its seed-independent analysis done,
// once, before the worker processes fork, so a worker only runs seeds. What a worker is asked to
// run is a ticket: a cell of the plan and a seed.
#pragma once

#include "replay/child_process.h"
#include "replay/scenario_analysis.h"
#include "replay/sweep_plan.h"
#include "scenarios/scenario.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace ptosim::replay {

struct Ticket {
  std::uint32_t cell = 0;
  std::uint64_t seed = 0;
};

class PlanContext {
 public:
  // Loads every cell of `plan`. `base`, when given, is the plan's scenario already loaded (its
  // text must be the plan's): cells that pin nothing use it instead of loading it again; it must
  // outlive the context. Throws scenarios::ScenarioError when a cell's scenario is invalid.
  explicit PlanContext(const SweepPlan& plan, const scenarios::Scenario* base = nullptr);
  // One cell: `scenario` (not copied; it must outlive the context) run as `job` says (its seed is
  // ignored).
  PlanContext(const scenarios::Scenario& scenario, const ChildJob& job);
  PlanContext(const PlanContext&) = delete;
  PlanContext& operator=(const PlanContext&) = delete;

  const SweepPlan& plan() const { return plan_; }
  std::uint32_t cells() const { return static_cast<std::uint32_t>(cells_.size()); }
  const scenarios::Scenario& scenario(std::uint32_t cell) const { return *cells_.at(cell).scenario; }
  // What a worker runs for a ticket of this cell (its seed is the ticket's).
  const ChildJob& job(std::uint32_t cell) const { return cells_.at(cell).job; }
  // The longest simulated-time budget of any cell: a worker retires before its engine's clock
  // cannot hold another run of that length.
  TimeNs max_sim_time_ns() const { return max_sim_time_ns_; }
  // Builds the engine and hosts that every cell needs before the first fork (see
  // prepare_for_children).
  void prepare() const;

 private:
  struct Cell {
    std::shared_ptr<const scenarios::Scenario> scenario;
    std::unique_ptr<ScenarioAnalysis> analysis;
    ChildJob job;
  };
  void add_cell(std::shared_ptr<const scenarios::Scenario> scenario, bool analyse);

  SweepPlan plan_;
  std::vector<Cell> cells_;
  TimeNs max_sim_time_ns_ = 0;
};

}  // namespace ptosim::replay
