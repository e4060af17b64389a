// `ptosim sweep` and `ptosim merge`: seeds in child processes, their summary, JUnit, recordings of
// the failing seeds, and the scenario's expectations; shards of one sweep combined into one.
#include "replay/failure_map.h"
#include "replay/plan_context.h"
#include "replay/plan_worker.h"
#include "replay/sweep_executor.h"
#include "replay/sweep_report.h"
#include "scenarios/uncertain.h"
#include "simcore/plural.h"
#include "simcore/model_assert.h"
#include "tools/cli.h"
#include "tools/progress.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace ptosim::cli {

namespace {

std::string percent(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f%%", value * 100);
  return buffer;
}

void print_summary(std::ostream& out, const replay::SweepSummary& summary, const replay::SweepMeta& meta,
                   const replay::ExpectationCheck& check) {
  out << "outcomes:";
  for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
    const auto count = summary.outcome_counts[static_cast<std::size_t>(i)];
    if (count > 0) out << " " << simcore::to_string(static_cast<simcore::Outcome>(i)) << "=" << count;
  }
  if (summary.failed_runs > 0) out << " failed=" << summary.failed_runs;
  out << "\n";
  bool any_finding = false;
  for (int i = 0; i < simcore::FINDING_KIND_COUNT; ++i) {
    const auto count = summary.finding_counts[static_cast<std::size_t>(i)];
    if (count == 0) continue;
    out << (any_finding ? " " : "findings (seeds):") << " " << simcore::to_string(static_cast<simcore::FindingKind>(i))
              << "=" << count;
    any_finding = true;
  }
  if (any_finding) out << "\n";
  if (!summary.tensor_wrong_seeds.empty()) {
    out << "tensors (seeds with wrong final contents):";
    for (const auto& [tensor, seeds] : summary.tensor_wrong_seeds) out << " " << tensor << "=" << seeds;
    out << "\n";
  }
  // One vocabulary with the JSON: failing = a failing outcome or a finding (failure_rate);
  // failing outcome = an outcome other than pass (outcome_failure_rate).
  const replay::FailureRate rate = replay::failure_rate(summary.failing, summary.runs);
  out << "failing " << summary.failing << "/" << summary.runs << " = " << percent(rate.value)
            << " (95% Wilson interval " << percent(rate.low) << " .. " << percent(rate.high) << ")";
  if (summary.first_failing_seed) out << ", first failing seed " << *summary.first_failing_seed;
  out << "\n";
  const replay::FailureRate outcome_rate = replay::failure_rate(summary.outcome_failing, summary.runs);
  out << "failing outcome " << summary.outcome_failing << "/" << summary.runs << " = " << percent(outcome_rate.value)
      << " (95% Wilson interval " << percent(outcome_rate.low) << " .. " << percent(outcome_rate.high) << ")";
  if (summary.first_outcome_failing_seed) out << ", first " << *summary.first_outcome_failing_seed;
  out << "\n";
  if (meta.wall_seconds > 0) {
    out << "seeds per second: " << static_cast<std::uint64_t>(static_cast<double>(summary.runs) / meta.wall_seconds)
              << " (" << simcore::count_noun(summary.runs, "seed") << " in " << static_cast<std::uint64_t>(meta.wall_seconds * 1000) << " ms)\n";
  }
  // Seeds whose outcome failed first: on a race scenario every seed fails by its finding, and the
  // seeds the schedule turned into wrong values are the ones worth reading.
  std::size_t listed = 0;
  for (const bool outcome_pass : {false, true}) {
    for (const replay::RunResult& run : summary.not_passing) {
      if (replay::is_outcome_failing(run) == outcome_pass) continue;
      if (listed++ == 0) out << "failing seeds:\n";
      if (listed > 20) continue;
      const std::string what = !run.failure.empty() ? "FAILED - " + run.failure
                                                     : std::string(simcore::to_string(run.outcome)) + " - " + run.summary;
      out << "  seed " << run.seed << (run.point.empty() ? "" : " at " + scenarios::point_text(run.point)) << ": " << what
          << "\n";
      for (const simcore::Finding& finding : run.findings) {
        out << "    finding " << simcore::to_string(finding.kind) << ": " << finding.summary << "\n";
      }
      out << "    repro: " << replay::repro_command(meta, run.seed, run.point) << "\n";
    }
  }
  if (listed > 20) out << "  ... and " << (listed - 20 + summary.not_passing_unlisted) << " more (use --json)\n";
  if (summary.stopped_early) out << "stopped early: --stop-after reached\n";
  if (!meta.judged) {
    out << "expectations: not judged (a shard judges only with --judge; `ptosim merge` judges all shards)\n";
  } else {
    out << "expectations: " << (check.holds ? "hold" : "VIOLATED") << (meta.expect ? "" : " (no expect: every seed must pass)")
              << "\n";
  }
  for (std::size_t i = 0; i < check.violations.size() && i < 10; ++i) out << "  - " << check.violations[i] << "\n";
  if (check.violations.size() > 10) out << "  ... " << (check.violations.size() - 10) << " more violations\n";
}

// Runs that could not complete (a crash, a killed worker) are listed by seed, at most this many.
constexpr std::size_t MAX_LISTED_FAILED_RUNS = 20;

// The seeds (among those the summary lists) whose run could not complete.
std::vector<std::uint64_t> failed_run_seeds(const replay::SweepSummary& summary) {
  std::vector<std::uint64_t> seeds;
  for (const replay::RunResult& run : summary.not_passing) {
    if (!run.failure.empty() && seeds.size() < MAX_LISTED_FAILED_RUNS) seeds.push_back(run.seed);
  }
  return seeds;
}

std::string runs_failed_message(const replay::SweepSummary& summary) {
  std::string text = simcore::count_noun(summary.failed_runs, "run") + " could not complete (a crash or a killed worker)";
  const std::vector<std::uint64_t> seeds = failed_run_seeds(summary);
  for (std::size_t i = 0; i < seeds.size(); ++i) text += (i == 0 ? ": seed " : ", ") + std::to_string(seeds[i]);
  if (seeds.size() < summary.failed_runs) text += ", ...";
  return text + "; the tool could not measure them (exit 8)";
}

}  // namespace

replay::Json runs_failed_error(const replay::SweepSummary& summary) {
  PTOSIM_ASSERT(summary.failed_runs > 0, "an error object only for runs that failed");
  PTOSIM_ASSERT(summary.failed_runs <= summary.runs, "a failed run is a run");
  return replay::Json{{"kind", "runs_failed"},
                      {"message", runs_failed_message(summary)},
                      {"exit_code", static_cast<int>(EXIT_RUNS_FAILED)},
                      {"failed_runs", summary.failed_runs},
                      {"seeds", failed_run_seeds(summary)}};
}

void print_runs_failed(std::ostream& out, const replay::SweepSummary& summary) {
  if (summary.failed_runs > 0) out << "error: " << runs_failed_message(summary) << "\n";
}

int sweep_exit_code(const replay::SweepSummary& summary, bool judged, bool holds) {
  if (summary.interrupted_by != 0) return EXIT_INTERRUPTED_BASE + summary.interrupted_by;
  if (summary.failed_runs > 0) return EXIT_RUNS_FAILED;
  return !judged || holds ? EXIT_PASS : EXIT_EXPECTATIONS;
}

int map_exit_code(const std::vector<replay::SweepSummary>& summaries) {
  std::uint64_t failed = 0;
  for (const replay::SweepSummary& summary : summaries) failed += summary.failed_runs;
  if (failed == 0) return EXIT_PASS;
  std::cerr << "error: " << simcore::count_noun(failed, "run") << " of the map could not complete (a crash or a killed worker)\n";
  return EXIT_RUNS_FAILED;
}

int default_jobs() {
  const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  return cores < 1 ? 1 : cores > 256 ? 256 : static_cast<int>(cores);
}

replay::SeedSelection seed_selection(const std::string& seeds, const std::string& shard, const scenarios::Scenario& scenario) {
  replay::SeedSelection selection;
  if (!seeds.empty()) {
    const std::string problem = scenarios::parse_seed_range(seeds, selection.range);
    if (!problem.empty()) throw CLI::ValidationError("--seeds", "expected " + problem);
  } else if (scenario.expect) {
    selection.range = scenario.expect->seeds;
  } else {
    throw CLI::ValidationError("--seeds", "the scenario has no expect.seeds: give --seeds A..B");
  }
  if (selection.range.last - selection.range.first >= replay::SWEEP_MAX_SEEDS) {
    throw CLI::ValidationError("--seeds", "at most " + std::to_string(replay::SWEEP_MAX_SEEDS) + " seeds per sweep");
  }
  if (!shard.empty()) {
    const std::string problem = replay::parse_shard(shard, selection);
    if (!problem.empty()) throw CLI::ValidationError("--shard", "expected " + problem);
  }
  return selection;
}

replay::SweepPlan plan_for(const ScenarioArgs& args, const std::string& program, const scenarios::Scenario& scenario,
                           const replay::SeedSelection& seeds) {
  replay::SweepPlan plan;
  plan.program = program;
  plan.scenario_path = scenario.path;
  plan.scenario_text = scenario.text;
  plan.overrides = scenario.overrides;
  plan.nominal = scenario.nominal;
  plan.strategy = args.strategy_spec(scenario);
  plan.pct_steps_given = args.pct_steps > 0;
  plan.seeds = seeds;
  return plan;
}

void write_plan(const replay::SweepPlan& plan, const std::string& path, bool json) {
  Outputs outputs({&path});
  outputs.write("plan", path, replay::json_text(replay::plan_to_json(plan), 1) + "\n");
  if (json) {
    replay::Json doc{{"plan_hash", replay::hex64(replay::plan_hash(plan))},
                     {"cells", plan.cells.size()},
                     {"seeds", std::to_string(plan.seeds.range.first) + ".." + std::to_string(plan.seeds.range.last)}};
    outputs.add_to(doc);
    outputs.result_stream() << replay::json_text(doc, 2) << "\n";
  }
  outputs.print(json);
  if (outputs.failed()) throw replay::OutputFileError("the plan could not be written to " + path);
}

int cmd_sweep(const SweepArgs& args) {
  scenarios::Scenario scenario = args.load();
  print_warnings(scenario);
  replay::SweepPlan plan = plan_for(args, args.program, scenario, seed_selection(args.seeds, args.shard, scenario));
  plan.snapshot_dir = args.snapshot_dir;
  plan.record_dir = args.record_failures;
  plan.stop_after = args.stop_after;
  plan.stop_on = args.stop_on == "outcome" ? replay::StopOn::outcome : replay::StopOn::any;
  if (!args.write_plan.empty()) {
    write_plan(plan, args.write_plan, args.json);
    return EXIT_PASS;
  }
  // No more workers than seeds: a worker without a seed would only start and stop.
  const int jobs = static_cast<int>(std::min<std::uint64_t>(static_cast<std::uint64_t>(args.jobs > 0 ? args.jobs : default_jobs()),
                                                            std::max<std::uint64_t>(plan.seeds.count(), 1)));
  Progress progress(::isatty(STDERR_FILENO) != 0, "sweep", "seeds");
  replay::PlanRunOptions options;
  options.jobs = jobs;
  options.keep_seed_status = !args.junit.empty();
  options.stop_signal = &g_stop_signal;
  options.progress = [&progress](std::uint64_t done, std::uint64_t total, std::uint64_t failing) {
    progress.update(done, total, failing);
  };
  // Per-seed wall time for JUnit, measured here: replay/ reads no clock.
  options.now_us = [] {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
  };

  replay::SweepMeta meta = replay::sweep_meta_for(scenario, plan.seeds, plan.strategy);
  meta.program = args.program;
  meta.pct_steps_given = plan.pct_steps_given;
  meta.jobs = jobs;
  meta.judged = !plan.seeds.sharded() || args.judge;
  Outputs outputs({&args.junit});
  std::ostream& out = outputs.result_stream();
  if (!args.json) {
    out << "sweep " << scenario.name << " seeds " << plan.seeds.range.first << ".." << plan.seeds.range.last;
    if (plan.seeds.sharded()) out << " shard " << plan.seeds.shard_text();
    out << " (" << simcore::count_noun(plan.seeds.count(), "run") << ", "
              << simcore::count_noun(static_cast<std::uint64_t>(jobs), "job") << ", strategy " << plan.strategy.name;
    if (plan.strategy.name == "pct") {
      out << " depth " << plan.strategy.depth << " steps " << plan.strategy.steps;
    }
    if (!scenario.uncertain.empty()) {
      out << ", each seed at its own point of " << simcore::count_noun(scenario.uncertain.size(), "uncertain parameter");
    }
    out << ")" << std::endl;
  }

  replay::SweepSummary summary;
  {
    // Building the simulation engine installs SimGrid's own SIGINT handler (it exits 1 with no
    // summary): build it before the first worker, then install ours over it.
    const replay::PlanContext context(plan, &scenario);
    context.prepare();
    StopSignals signals;
    summary = std::move(replay::run_plan(context, options).front());
  }
  progress.finish();
  meta.wall_seconds = progress.elapsed_seconds();
  replay::ExpectationCheck check = replay::check_expectations(scenario.expect, summary);
  if (summary.interrupted_by != 0) {
    check.holds = false;
    check.violations.insert(check.violations.begin(), "interrupted by signal " + std::to_string(summary.interrupted_by) +
                                                          " after " + std::to_string(summary.runs) + " of " +
                                                          std::to_string(summary.total) + " seeds");
  }
  for (const std::string& message : summary.output_errors) outputs.error(message);
  if (!args.junit.empty()) outputs.write("junit", args.junit, replay::sweep_to_junit(summary, meta, check));
  if (args.json) {
    replay::Json doc = replay::sweep_to_json(summary, meta, check);
    if (!plan.record_dir.empty()) doc["recordings_written"] = summary.recordings_written;
    if (summary.failed_runs > 0) doc["error"] = runs_failed_error(summary);
    outputs.add_to(doc);
    out << replay::json_text(doc, 2) << "\n";
  } else {
    print_summary(out, summary, meta, check);
    print_runs_failed(out, summary);
    if (!plan.snapshot_dir.empty() && summary.failing > 0) out << "snapshots written to " << plan.snapshot_dir << "\n";
    if (!plan.record_dir.empty()) {
      out << summary.recordings_written << " recordings of failing seeds written to " << plan.record_dir << "\n";
    }
  }
  outputs.print(args.json);
  if (summary.interrupted_by != 0) {
    std::cerr << "sweep interrupted by signal " << summary.interrupted_by << ": " << summary.runs << " of "
              << summary.total << " seeds finished; every child was stopped\n";
    return EXIT_INTERRUPTED_BASE + summary.interrupted_by;
  }
  // A run that could not complete outranks an output file that could not be written (6) and the
  // verdict (5): the sweep did not measure every seed, whatever the rest says.
  const int code = sweep_exit_code(summary, meta.judged, check.holds);
  return code == EXIT_RUNS_FAILED ? code : outputs.exit_code(code);
}

namespace {

// Shards of one map, combined cell by cell; a map measures and judges nothing.
int merge_map_shards(const std::vector<replay::Json>& docs, const std::vector<std::string>& files, bool json) {
  std::vector<replay::MapDocument> shards;
  for (std::size_t i = 0; i < docs.size(); ++i) shards.push_back(replay::map_from_json(docs[i], files[i]));
  const replay::MapDocument merged = replay::merge_maps(shards, files);
  if (json) {
    std::cout << replay::json_text(replay::map_to_json(merged), 2) << "\n";
  } else {
    const replay::SeedSelection& seeds = merged.meta.seeds;
    std::cout << "merged " << files.size() << " shards of map " << merged.meta.scenario_name << " seeds " << seeds.range.first
              << ".." << seeds.range.last << " (" << simcore::count_noun(merged.cells.size(), "cell") << ")\n";
    print_map_table(std::cout, merged);
  }
  for (const replay::SweepSummary& summary : merged.summaries) {
    if (summary.interrupted_by != 0) {
      std::cerr << "a shard was interrupted by signal " << summary.interrupted_by << ": the map is partial\n";
      return EXIT_EXPECTATIONS;
    }
  }
  return map_exit_code(merged.summaries);
}

// Judges a merged sweep and prints it as merge does.
int print_merged_sweep(const replay::SweepDocument& merged, const std::string& what, bool json);

// The outputs of the workers of one plan, folded: a sweep's JSON or a map's.
int merge_worker_outputs(const std::vector<std::string>& texts, const std::vector<std::string>& files, bool json) {
  replay::PlanResults results = replay::merge_worker_outputs(texts, files);
  const std::string what = simcore::count_noun(files.size(), "worker output");
  if (results.plan.is_map()) {
    replay::MapDocument map;
    map.meta = results.meta;
    map.meta.judged = false;
    map.meta.expect.reset();
    map.mode = results.plan.map_mode;
    for (std::size_t i = 0; i < results.plan.vary.size(); ++i) {
      replay::VarySpec spec;
      const std::string problem = replay::parse_vary(results.plan.vary[i] + "=" + results.plan.vary_specs[i], spec);
      if (!problem.empty()) throw replay::InputError(files.front(), "/plan/vary/" + std::to_string(i), problem);
      map.vary.push_back(std::move(spec));
    }
    map.cells = results.plan.cells;
    map.summaries = std::move(results.summaries);
    if (json) {
      std::cout << replay::json_text(replay::map_to_json(map), 2) << "\n";
    } else {
      std::cout << "merged " << what << " of map " << map.meta.scenario_name << " seeds " << map.meta.seeds.range.first << ".."
                << map.meta.seeds.range.last << " (" << simcore::count_noun(map.cells.size(), "cell") << ")\n";
      print_map_table(std::cout, map);
    }
    return map_exit_code(map.summaries);
  }
  replay::SweepDocument merged;
  merged.meta = results.meta;
  merged.summary = std::move(results.summaries.front());
  return print_merged_sweep(merged, what, json);
}

}  // namespace

int cmd_merge(const std::vector<std::string>& files, bool json) {
  std::vector<std::string> texts;
  for (const std::string& file : files) texts.push_back(replay::read_file(file));
  if (replay::is_worker_output(texts.front())) return merge_worker_outputs(texts, files, json);
  std::vector<replay::Json> docs;
  for (std::size_t i = 0; i < files.size(); ++i) {
    docs.push_back(replay::parse_json_input(texts[i], files[i]));
  }
  if (docs.front().is_object() && docs.front().contains("cells")) return merge_map_shards(docs, files, json);
  std::vector<replay::SweepDocument> shards;
  for (std::size_t i = 0; i < docs.size(); ++i) shards.push_back(replay::sweep_from_json(docs[i], files[i]));
  return print_merged_sweep(replay::merge_sweeps(shards, files), simcore::count_noun(files.size(), "shard"), json);
}

namespace {

int print_merged_sweep(const replay::SweepDocument& merged_in, const std::string& what, bool json) {
  replay::SweepDocument merged = merged_in;
  merged.meta.judged = true;
  replay::ExpectationCheck check = replay::check_expectations(merged.meta.expect, merged.summary);
  if (merged.summary.interrupted_by != 0) {
    check.holds = false;
    check.violations.insert(check.violations.begin(), "a shard was interrupted by signal " +
                                                          std::to_string(merged.summary.interrupted_by) + ": " +
                                                          std::to_string(merged.summary.runs) + " of " +
                                                          std::to_string(merged.summary.total) + " seeds ran");
  }
  if (json) {
    replay::Json doc = replay::sweep_to_json(merged.summary, merged.meta, check);
    if (merged.summary.failed_runs > 0) doc["error"] = runs_failed_error(merged.summary);
    std::cout << replay::json_text(doc, 2) << "\n";
  } else {
    const replay::SeedSelection& seeds = merged.meta.seeds;
    std::cout << "merged " << what << " of sweep " << merged.meta.scenario_name << " seeds "
              << seeds.range.first << ".." << seeds.range.last << " (" << merged.summary.runs << " runs, strategy "
              << merged.meta.strategy.name << ")\n";
    print_summary(std::cout, merged.summary, merged.meta, check);
    print_runs_failed(std::cout, merged.summary);
  }
  if (merged.summary.interrupted_by != 0) return EXIT_EXPECTATIONS;  // a partial shard: the verdict fails
  return sweep_exit_code(merged.summary, true, check.holds);
}

}  // namespace

}  // namespace ptosim::cli
