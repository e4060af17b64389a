#include "replay/plan_context.h"

#include "simcore/model_assert.h"

#include <algorithm>

namespace ptosim::replay {

PlanContext::PlanContext(const SweepPlan& plan, const scenarios::Scenario* base) : plan_(plan) {
  PTOSIM_ASSERT(!plan.cells.empty(), "a plan has at least one cell");
  PTOSIM_ASSERT(plan.cells.size() <= PLAN_MAX_CELLS, "a plan has at most PLAN_MAX_CELLS cells");
  std::shared_ptr<const scenarios::Scenario> loaded;
  if (base != nullptr) {
    PTOSIM_ASSERT(base->text == plan.scenario_text, "the loaded scenario is the plan's");
    loaded = std::shared_ptr<const scenarios::Scenario>(std::shared_ptr<void>(), base);  // not owned
  }
  auto base_scenario = [&]() {
    if (!loaded) {
      auto scenario = std::make_shared<scenarios::Scenario>(scenarios::load_scenario_text(plan.scenario_text, plan.scenario_path));
      scenario->overrides = plan.overrides;
      scenario->nominal = plan.nominal;
      loaded = std::move(scenario);
    }
    return loaded;
  };
  for (const PlanCell& cell : plan.cells) {
    if (cell.point.empty()) {
      add_cell(base_scenario(), true);
      continue;
    }
    // A cell pins its point as `--set` would, on top of the plan's own overrides.
    auto scenario = std::make_shared<scenarios::Scenario>(scenarios::load_scenario_text(
        scenarios::apply_overrides(plan.scenario_text, plan.scenario_path, cell.point), plan.scenario_path));
    scenario->overrides = plan.overrides;
    scenario->nominal = plan.nominal;
    for (const scenarios::Override& item : cell.point) scenario->overrides.push_back(item.pointer + "=" + item.value);
    add_cell(std::move(scenario), true);
  }
}

PlanContext::PlanContext(const scenarios::Scenario& scenario, const ChildJob& job) {
  plan_.scenario_path = scenario.path;
  plan_.scenario_text = scenario.text;
  plan_.overrides = scenario.overrides;
  plan_.strategy = job.options.strategy;
  add_cell(std::shared_ptr<const scenarios::Scenario>(std::shared_ptr<void>(), &scenario), false);
  cells_.back().job = job;
}

void PlanContext::add_cell(std::shared_ptr<const scenarios::Scenario> scenario, bool analyse) {
  Cell cell;
  cell.scenario = std::move(scenario);
  // Cells that share a scenario share its analysis (a map's cells pin different points).
  if (analyse) {
    const ChildJob* shared = nullptr;
    for (const Cell& other : cells_) {
      if (other.scenario == cell.scenario) shared = &other.job;
    }
    if (shared == nullptr) {
      cell.analysis = analyse_scenario(*cell.scenario);
      cell.job.options.analysis = cell.analysis.get();
    } else {
      cell.job.options.analysis = shared->options.analysis;
    }
    cell.job.options.strategy = plan_.strategy;
    cell.job.want_snapshot = !plan_.snapshot_dir.empty() || !plan_.record_dir.empty();
    cell.job.log = plan_.record_dir.empty() ? ChildJob::Log::never : ChildJob::Log::when_failing;
  }
  max_sim_time_ns_ = std::max(max_sim_time_ns_, cell.scenario->model.limits.max_sim_time_ns);
  cells_.push_back(std::move(cell));
}

void PlanContext::prepare() const {
  // Workers run seed after seed in one engine whose hosts are made once: make the hosts of the
  // largest platform of any cell, a superset of every cell's (names are per thread and core).
  int clusters = 0;
  int threads = 0;
  for (const Cell& cell : cells_) {
    const scenarios::Scenario& scenario = *cell.scenario;
    clusters = std::max({clusters, scenario.model.platform.clusters, scenario.max_clusters});
    threads = std::max({threads, scenario.model.platform.scheduler_threads, scenario.max_scheduler_threads});
  }
  prepare_for_children(clusters, threads);
}

}  // namespace ptosim::replay
