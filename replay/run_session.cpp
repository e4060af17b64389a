#include "replay/run_session.h"

#include "replay/plan_context.h"
#include "replay/sweep_executor.h"
#include "replay/sweep_plan.h"
#include "replay/uncertain_point.h"
#include "scenarios/uncertain.h"
#include "simcore/model_assert.h"
#include "simcore/plural.h"

#include <algorithm>
#include <cmath>

namespace ptosim::replay {

std::uint64_t estimate_pct_steps(const scenarios::Scenario& scenario) {
  return 2 * static_cast<std::uint64_t>(scenario.model.program.task_count) + 8;
}

simcore::StrategySpec resolve_strategy(const simcore::StrategySpec& spec, const scenarios::Scenario& scenario) {
  simcore::StrategySpec resolved = spec;
  if (resolved.name == "pct" && resolved.steps == 0) resolved.steps = estimate_pct_steps(scenario);
  return resolved;
}

namespace {

// One run of a scenario without uncertain parameters (or of one re-evaluated at its point).
RunResult run_model(const scenarios::Scenario& scenario, std::uint64_t seed, const RunOptions& options,
                    RunArtifacts* artifacts) {
  PTOSIM_ASSERT(scenario.uncertain.empty(), "a model runs at one point: its uncertain parameters are drawn already");
  const ScenarioAnalysis* analysis = options.analysis;
  std::unique_ptr<ScenarioAnalysis> own_analysis;
  if (analysis == nullptr) {
    own_analysis = analyse_scenario(scenario);
    analysis = own_analysis.get();
  }
  std::unique_ptr<simcore::ExplorationStrategy> strategy;
  const simcore::StrategySpec spec = resolve_strategy(options.strategy, scenario);
  if (!options.replay_log) {
    strategy = simcore::make_strategy(spec, seed);
  } else if (options.mode == ReplayMode::lenient) {
    strategy = simcore::make_lenient_replay_strategy(*options.replay_log);
  } else {
    strategy = simcore::make_replay_strategy(*options.replay_log);
  }
  RunResult result;
  result.seed = seed;
  result.strategy = std::string(strategy->name());
  result.spec = spec;
  const runtime::OutputPolicy keep = artifacts != nullptr ? options.keep : runtime::OutputPolicy{false, false, false, false};
  runtime::ModelOutput output = runtime::simulate(scenario.model, seed, std::move(strategy), keep);
  result.outcome = output.verdict.outcome;
  result.summary = output.verdict.summary;
  result.digest = output.digest;
  result.sim_time_ns = output.sim_time_ns;
  result.tasks = scenario.model.program.task_count;
  result.tasks_submitted = output.tasks_submitted;
  result.tasks_completed = output.tasks_completed;
  result.events = output.event_count;
  result.decisions = output.decision_count;
  result.report = output.verdict.report;
  result.snapshot = output.verdict.snapshot;
  result.wait_chain = output.verdict.wait_chain;
  result.findings = analysis->races.findings;
  result.findings.insert(result.findings.end(), analysis->program_findings.begin(), analysis->program_findings.end());
  result.findings.insert(result.findings.end(), output.findings.begin(), output.findings.end());
  result.faults_fired = output.gm_accesses.faults;
  std::vector<runtime::StaleRead> stale_reads;
  if (result.outcome == simcore::Outcome::pass) {
    runtime::DataVerdict data = analysis->reference->judge(output.gm_accesses, output.sim_time_ns);
    result.data_checked = true;
    result.mismatches = std::move(data.tensors);
    stale_reads = std::move(data.stale_reads);
    if (data.wrong) {
      result.outcome = simcore::Outcome::wrong_values;
      result.summary = data.summary;
    }
  }
  result.timing = output.timing;
  if (artifacts != nullptr) {
    artifacts->decisions = std::move(output.decisions);
    artifacts->events = std::move(output.events);
    artifacts->lanes = std::move(output.lanes);
    artifacts->tasks = std::move(output.tasks);
    artifacts->slices = std::move(output.gm_accesses.slices);
    artifacts->program_accesses = std::move(output.gm_accesses.program);
    artifacts->stale_reads = std::move(stale_reads);
    artifacts->host_lanes = std::move(output.host_lanes);
  }
  return result;
}

}  // namespace

RunResult run_scenario(const scenarios::Scenario& scenario, std::uint64_t seed, const RunOptions& options,
                       RunArtifacts* artifacts) {
  if (scenario.uncertain.empty()) return run_model(scenario, seed, options, artifacts);
  // PCT's estimate of a run's decisions comes from the scenario as given, not from its point, so
  // every seed of a sweep places its change points over the same steps.
  RunOptions at_options = options;
  at_options.strategy = resolve_strategy(options.strategy, scenario);
  at_options.analysis = nullptr;  // the graph and the reference are the point's
  const bool lenient = options.replay_log && options.mode == ReplayMode::lenient;
  DrawnPoint point = draw_point(scenario, seed, options.replay_log, lenient);
  if (options.replay_log) at_options.replay_log = model_part(*options.replay_log);
  scenarios::Scenario at;
  try {
    at = scenarios::load_scenario_text(scenarios::text_at_point(scenario.text, scenario.path, point.values), scenario.path);
  } catch (const scenarios::ScenarioError& e) {
    // The region's ends are checked when the scenario loads; a combination of values can still
    // be invalid (more scheduler threads than clusters).
    throw scenarios::ScenarioError(e.file(), e.pointer(), e.problem() + " (at the point " + scenarios::point_text(point.values) + ")");
  }
  RunResult result = run_model(at, seed, at_options, artifacts);
  result.point = std::move(point.values);
  result.decisions += point.log.entries.size();
  if (artifacts != nullptr) artifacts->decisions = join_logs(point.log, artifacts->decisions);
  return result;
}

RunResult run_scenario(const scenarios::Scenario& scenario, std::uint64_t seed,
                       const std::optional<simcore::DecisionLog>& replay_log, RunArtifacts* artifacts,
                       ReplayMode mode) {
  RunOptions options;
  options.replay_log = replay_log;
  options.mode = mode;
  return run_scenario(scenario, seed, options, artifacts);
}

bool is_failing(const RunResult& result) { return is_outcome_failing(result) || !result.findings.empty(); }

bool is_outcome_failing(const RunResult& result) {
  return !result.failure.empty() || result.outcome != simcore::Outcome::pass;
}

std::uint64_t SeedSelection::count() const {
  const std::uint64_t span = range.count();  // at most SWEEP_MAX_SEEDS, checked by the caller
  const std::uint64_t offset = shard_index - 1;
  return span > offset ? (span - offset + shard_count - 1) / shard_count : 0;
}

std::uint64_t SeedSelection::at(std::uint64_t n) const {
  return range.first + (shard_index - 1) + n * shard_count;
}

bool SeedSelection::contains(std::uint64_t seed) const {
  if (seed < range.first || seed > range.last) return false;
  return (seed - range.first) % shard_count == shard_index - 1u;
}

std::string SeedSelection::shard_text() const { return std::to_string(shard_index) + "/" + std::to_string(shard_count); }

std::string parse_shard(const std::string& text, SeedSelection& out) {
  const std::size_t slash = text.find('/');
  std::uint64_t index = 0;
  std::uint64_t count = 0;
  if (slash == std::string::npos || !scenarios::parse_u64(text.substr(0, slash), index) ||
      !scenarios::parse_u64(text.substr(slash + 1), count) || index < 1 || count < 1 || index > count ||
      count > 100000) {
    return "a shard I/N with 1 <= I <= N <= 100000, found \"" + text + "\"";
  }
  out.shard_index = static_cast<std::uint32_t>(index);
  out.shard_count = static_cast<std::uint32_t>(count);
  return {};
}

FailureRate failure_rate(std::uint64_t failing, std::uint64_t runs) {
  FailureRate rate;
  if (runs == 0) {
    rate.high = 1;
    return rate;
  }
  // Wilson score interval at 95% (z = 1.96): stays inside [0, 1] and is honest at 0 and at n.
  const double n = static_cast<double>(runs);
  const double p = static_cast<double>(failing) / n;
  const double z = 1.959963984540054;
  const double z2 = z * z;
  const double center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  rate.value = p;
  rate.low = std::max(0.0, center - half);
  rate.high = std::min(1.0, center + half);
  if (failing == 0) rate.low = 0;
  if (failing == runs) rate.high = 1;
  return rate;
}

bool finding_matches(const scenarios::FindingPattern& pattern, const simcore::Finding& finding) {
  if (finding.kind != pattern.kind) return false;
  auto text_field = [&finding](std::string_view key, std::string_view inner) -> std::string {
    const simcore::Detail* value = finding.details.find(key);
    if (value != nullptr && !inner.empty()) value = value->find(inner);
    return value != nullptr && value->type() == simcore::Detail::Type::text ? value->as_text() : std::string();
  };
  if (!pattern.hazard.empty() && text_field("hazard", "") != pattern.hazard) return false;
  if (!pattern.first.empty() && text_field("first", "name") != pattern.first) return false;
  if (!pattern.second.empty() && text_field("second", "name") != pattern.second) return false;
  return true;
}

SweepSummary sweep(const scenarios::Scenario& scenario, const SweepOptions& options) {
  SweepPlan plan;
  plan.scenario_path = scenario.path;
  plan.scenario_text = scenario.text;
  plan.overrides = scenario.overrides;
  plan.nominal = scenario.nominal;
  plan.strategy = options.strategy;
  plan.seeds = options.seeds;
  plan.snapshot_dir = options.snapshot_dir;
  plan.record_dir = options.record_dir;
  plan.stop_after = options.stop_after;
  plan.stop_on = options.stop_on_outcome ? StopOn::outcome : StopOn::any;
  const PlanContext context(plan, &scenario);
  PlanRunOptions run;
  run.jobs = options.jobs;
  run.keep_seed_status = options.keep_seed_status;
  run.stop_signal = options.stop_signal;
  run.progress = options.progress;
  std::vector<SweepSummary> cells = run_plan(context, run);
  return std::move(cells.front());
}

ExpectationCheck check_expectations(const std::optional<scenarios::Expectations>& expect, const SweepSummary& summary) {
  ExpectationCheck check;
  auto violation = [&check](std::string text) {
    check.holds = false;
    check.violations.push_back(std::move(text));
  };
  if (summary.failed_runs > 0) violation(simcore::count_noun(summary.failed_runs, "run") + " failed to complete");
  const std::vector<simcore::Outcome> always =
      expect ? expect->always : std::vector<simcore::Outcome>{simcore::Outcome::pass};
  auto listed = [](const std::vector<simcore::Outcome>& list, simcore::Outcome outcome) {
    for (simcore::Outcome o : list) {
      if (o == outcome) return true;
    }
    return false;
  };
  // The lowest listed seed with this outcome, to point at one example.
  auto example = [&](simcore::Outcome outcome) -> std::string {
    for (const RunResult& run : summary.not_passing) {
      if (run.failure.empty() && run.outcome == outcome) return " (first: seed " + std::to_string(run.seed) + ")";
    }
    return "";
  };
  for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
    const auto outcome = static_cast<simcore::Outcome>(i);
    const std::uint64_t count = summary.outcome_counts[static_cast<std::size_t>(i)];
    if (count == 0) continue;
    if (!always.empty() && !listed(always, outcome)) {
      violation(simcore::count_noun(count, "seed") + " ended in " + simcore::to_string(outcome) + example(outcome) +
                ", expected always one of the listed outcomes");
    }
    if (expect && listed(expect->never, outcome)) {
      violation(simcore::count_noun(count, "seed") + " ended in " + simcore::to_string(outcome) + example(outcome) +
                ", which must never appear");
    }
  }
  if (expect && expect->error_code) {
    for (const RunResult& run : summary.not_passing) {
      if (!run.failure.empty()) continue;
      if (run.report && static_cast<int>(run.report->code) != *expect->error_code) {
        violation("seed " + std::to_string(run.seed) + " reported runtime code " +
                  std::to_string(static_cast<int>(run.report->code)) + ", expected " + std::to_string(*expect->error_code));
      } else if (!run.report) {
        violation("seed " + std::to_string(run.seed) + " ended in " + simcore::to_string(run.outcome) +
                  " without a runtime report, expected code " + std::to_string(*expect->error_code));
      }
    }
  }
  if (expect) {
    for (simcore::Outcome wanted : expect->sometimes) {
      if (summary.outcome_counts[static_cast<std::size_t>(wanted)] == 0) {
        violation(std::string("outcome ") + simcore::to_string(wanted) + " never appeared, expected at least once");
      }
    }
    // Rates are shares of the seeds that ran to an outcome, in whole percent, compared exactly.
    const std::uint64_t ran = summary.runs - summary.failed_runs;
    for (const scenarios::OutcomeRate& rate : expect->rates) {
      const std::uint64_t count = summary.outcome_counts[static_cast<std::size_t>(rate.outcome)];
      const auto min = static_cast<std::uint64_t>(rate.min_percent);
      const auto max = static_cast<std::uint64_t>(rate.max_percent);
      if (count * 100 < min * ran || count * 100 > max * ran) {
        violation(std::string("outcome ") + simcore::to_string(rate.outcome) + " on " + std::to_string(count) + " of " +
                  std::to_string(ran) + " seeds, expected between " + std::to_string(min) + "% and " +
                  std::to_string(max) + "%");
      }
    }
    for (const std::string& tensor : expect->correct_tensors) {
      auto wrong = summary.tensor_wrong_seeds.find(tensor);
      if (wrong != summary.tensor_wrong_seeds.end() && wrong->second > 0) {
        violation("tensor " + tensor + " ended with wrong contents on " + std::to_string(wrong->second) +
                  " seeds, expected correct on every seed");
      }
    }
    const std::size_t always_count = expect->findings_always.size();
    if (summary.pattern_counts.size() != always_count + expect->findings_never.size()) {
      // Counts from another scenario's expectations (a merge of mismatched inputs): nothing to judge them by.
      violation("the sweep counted " + std::to_string(summary.pattern_counts.size()) + " finding patterns, its expectations name " +
                std::to_string(always_count + expect->findings_never.size()));
      return check;
    }
    for (std::size_t p = 0; p < summary.pattern_counts.size(); ++p) {
      const bool required = p < always_count;
      const scenarios::FindingPattern& pattern =
          required ? expect->findings_always[p] : expect->findings_never[p - always_count];
      const std::uint64_t seen = summary.pattern_counts[p];
      if (required && seen != summary.runs) {
        violation("finding " + scenarios::to_string(pattern) + " reported on " + std::to_string(seen) + " of " +
                  std::to_string(summary.runs) + " seeds, expected on every seed");
      } else if (!required && seen != 0) {
        violation("finding " + scenarios::to_string(pattern) + " reported on " + std::to_string(seen) +
                  " seeds, expected on none");
      }
    }
  }
  return check;
}

}  // namespace ptosim::replay
